"""`sccli queue`: a client's requests, solved one after another."""

from __future__ import annotations

import click

from ..domain.history import Reorder
from ..domain.queue import critical_behind
from ..i18n import tr
from ..render import Column, emit
from ..usecases import views
from . import app_of, format_option

COLUMNS = [
    Column("position", "#", "№"),
    Column("ticket", "ticket", "заявка"),
    Column("state", "queue", "очередь"),
    Column("priority", "priority", "приоритет"),
    Column("registered_at", "registered", "зарегистрирована"),
    Column("note", "note", "примечание"),
    Column("agreed_text", "agreed", "согласовано"),
]


class _DefaultShow(click.Group):
    """`sccli queue [CLIENT]` shows; `sccli queue move …` reorders."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["show", *args]
        return super().parse_args(ctx, args)


@click.group("queue", cls=_DefaultShow)
def queue() -> None:
    """Show a client's queue (`sccli queue [CLIENT]`) or reorder it by agreement."""


@queue.command("show")
@click.argument("client_key", metavar="[CLIENT]", required=False)
@format_option
@click.pass_context
def show(ctx, client_key, fmt) -> None:
    """Each client's unsolved tickets in the order they are analysed; only #1 is in work."""
    app = app_of(ctx)
    rows = []
    for key, entries in views.all_queues(app, client_key).items():
        behind = critical_behind(entries)
        for e in entries:
            note = ""
            if e.ticket_id in behind:
                head = behind[e.ticket_id]
                note = (f"critical behind {head}: propose a reorder to the client"
                        if app.lang != "ru" else
                        f"критичная за {head}: предложите клиенту изменить порядок")
            agreed = [_agreement(a, app.tz) for a in e.agreements]
            rows.append({
                "client": key,
                "position": e.position,
                "ticket": e.ticket_id,
                "state": tr("in work" if e.in_work else "queued", app.lang),
                "priority": tr(e.priority.value, app.lang) if e.priority else None,
                "registered_at": e.registered_at.astimezone(app.tz),
                "note": note,
                "agreements": agreed,
                "agreed_text": "; ".join(_agreement_text(a, app.lang) for a in agreed),
            })
    emit(rows, COLUMNS if client_key else [Column("client", "client", "клиент"), *COLUMNS],
         fmt, app.lang, empty="no tickets waiting")


def _agreement(move: Reorder, tz) -> dict:
    """One agreed move as shown (contract: the order "may be changed by agreement between
    client and executor"): what was agreed, by whom, when."""
    return {"ticket": move.ticket_id, "before": move.before, "first": move.before is None,
            "agreed_by": move.agreed_by, "at": move.at.astimezone(tz)}


def _agreement_text(a: dict, lang: str) -> str:
    ru = lang == "ru"
    what = (f"{a['ticket']} {'перед' if ru else 'before'} {a['before']}" if a["before"] else
            f"{a['ticket']} {'первой' if ru else 'first'}")
    return f"{what} ({a['agreed_by']}, {a['at']:%Y-%m-%d %H:%M})"


@queue.command("move")
@click.argument("ticket_id", metavar="ID")
@click.option("--first", is_flag=True, help="Put the ticket at the head of its client's queue.")
@click.option("--before", metavar="OTHER", help="Put the ticket just before OTHER.")
@click.option("--agreed-by", required=True, metavar="TEXT",
              help="Who agreed on the client's side (the contract allows reorders by agreement).")
@click.pass_context
def move(ctx, ticket_id, first, before, agreed_by) -> None:
    """Change the order by agreement between client and executor (recorded)."""
    app = app_of(ctx)
    if first == bool(before):
        raise click.UsageError("give exactly one of --first or --before OTHER")
    entries = views.move_in_queue(app, ticket_id, before, agreed_by)
    click.echo(" → ".join(e.ticket_id for e in entries))
