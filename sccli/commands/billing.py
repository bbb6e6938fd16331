"""`sccli billing`: the month's work the client pays for."""

from __future__ import annotations

import click

from ..i18n import tr
from ..render import Column, emit
from ..usecases import views
from . import app_of, format_option
from .sla import parse_month

COLUMNS = [
    Column("ticket", "ticket", "заявка"),
    Column("client", "client", "клиент"),
    Column("registered_at", "registered", "зарегистрирована"),
    Column("reasons_text", "why billable", "почему платно"),
    Column("title", "title", "тема"),
]


@click.command("billing")
@click.option("--month", required=True, metavar="YYYY-MM")
@click.option("--client", "client_key", metavar="KEY", help="Only this client.")
@format_option
@click.pass_context
def billing(ctx, month, client_key, fmt) -> None:
    """Billable work of a month: changes outside the Technical Design, fixes in others'
    layers, phone/messenger support and requests registered on the client's behalf."""
    app = app_of(ctx)
    first, last = parse_month(month)
    lo, hi = views.month_bounds(app, first, last)
    rows = views.billable_work(app, lo, hi, client_key)
    for row in rows:
        row["reasons_text"] = "; ".join(tr(r, app.lang) for r in row["reasons"])
    if fmt != "table":
        rows = [{k: v for k, v in r.items() if k != "reasons_text"} for r in rows]
    emit(rows, COLUMNS, fmt, app.lang, empty=f"no billable work in {month}")
