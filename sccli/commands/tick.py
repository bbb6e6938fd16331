"""`sccli tick` (time-driven facts, for cron) and `sccli outbox` (the notices and their
deliveries)."""

from __future__ import annotations

import click

from ..errors import PartialFailure, UsageError
from ..i18n import tr
from ..render import Column, emit, say, to_json
from ..usecases import outbox as outbox_cases
from ..usecases.tick import TickResult, tick
from . import app_of

FACT_COLUMNS = [
    Column("ticket", "ticket", "заявка"),
    Column("fact_text", "fact", "факт"),
    Column("at", "at", "когда"),
    Column("audience", "notice to", "кому"),
    Column("delivery", "delivery", "доставка"),
]
OUTBOX_COLUMNS = [
    Column("ticket", "ticket", "заявка"),
    Column("kind", "notice", "уведомление"),
    Column("audience", "to", "кому"),
    Column("created_at", "at", "когда"),
    Column("state", "delivery", "доставка"),
]
_FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]),
                       default="table", show_default=True, help="Output format.")


def _channels(app):
    from ..notify.channels import channels_from

    return channels_from(app.settings)


@click.command("tick")
@click.option("--dry-run", is_flag=True, help="Show what would be recorded; write nothing.")
@_FORMAT
@click.pass_context
def tick_command(ctx, dry_run, fmt) -> None:
    """Record each time-driven fact once and deliver the outbox (run it from cron).

    \b
    Facts (each recorded once, as an event dated when it happened, with its notice):
      auto-accepted          the acceptance window (7 calendar days) ended → closed; client
      client-overdue         a question unanswered for 2 business days → authorized contact
      reaction-warning       a reaction clock reached its warning share → engineers
      reaction-breached      a reaction clock passed its target → engineers
      estimate-passed        a resolution estimate passed unresolved → the engineer
      escalation-unanswered  the owner party did not answer an escalation → that party
    Engineers are told in business hours only (sla.yaml notices.outside_hours_for_critical
    lets a critical ticket's notice out at any hour).

    \b
    Exit codes: 0 done (or nothing to do); 5 a delivery failed (retried later, or marked
    failed: see `sccli outbox`); 2 usage or configuration; 75 the store is busy or down.
    """
    app = app_of(ctx)
    if getattr(app, "_at", None):
        raise UsageError("tick runs as of now and records what has happened by then; --at"
                         " does not apply (SCCLI_NOW sets the clock for a simulation)")
    result = tick(app, _channels(app), dry_run=dry_run)
    _show(app, result, fmt)
    if result.delivered.troubled:
        d = result.delivered
        raise PartialFailure(
            f"{len(d.retrying) + len(d.failed)} delivery(ies) failed"
            f" ({len(d.retrying)} to be retried, {len(d.failed)} failed for good);"
            " see `sccli outbox --pending`")


def _show(app, result: TickResult, fmt: str) -> None:
    lang, tz = app.lang, app.tz
    rows = [{
        "ticket": f.due.ticket_id, "client": f.client, "fact": f.due.fact, "key": f.due.key,
        "at": f.due.at.astimezone(tz),
        "due": f.due.due.astimezone(tz) if f.due.due else None,
        "audience": f.due.audience, "channels": list(f.channels),
        "not_before": f.not_before.astimezone(tz), "notice": f.notice_key,
        "fact_text": tr(f.due.fact, lang),
        "delivery": (", ".join(f.channels) if f.channels else tr("no channel", lang))
        + ("" if f.not_before <= result.now else
           f" ({'с' if lang == 'ru' else 'from'} {f.not_before.astimezone(tz):%Y-%m-%d %H:%M})"),
    } for f in result.facts]
    d = result.delivered
    if fmt == "json":
        click.echo(to_json({
            "now": result.now.astimezone(tz), "dry_run": result.dry_run, "facts": rows,
            "delivered": [{"notice": k, "channel": c} for k, c in d.sent],
            "retrying": [{"notice": k, "channel": c, "error": e} for k, c, e in d.retrying],
            "failed": [{"notice": k, "channel": c, "error": e} for k, c, e in d.failed],
            **({"due_deliveries": result.pending_before} if result.dry_run else {}),
        }))
        return
    head = "would record" if result.dry_run else "recorded"
    if lang == "ru":
        head = "будет записано" if result.dry_run else "записано"
    if rows:
        say(f"{head}: {len(rows)}")
        emit(rows, FACT_COLUMNS, "table", lang)
    else:
        say("нечего записывать" if lang == "ru" else "nothing to record")
    if result.dry_run:
        say(f"{'deliveries due' if lang != 'ru' else 'доставок к отправке'}:"
            f" {result.pending_before}")
    elif d.sent or d.troubled:
        say(f"delivered {len(d.sent)}, retrying {len(d.retrying)}, failed {len(d.failed)}"
            if lang != "ru" else
            f"доставлено {len(d.sent)}, повтор {len(d.retrying)}, ошибок {len(d.failed)}")


class _DefaultList(click.Group):
    """`sccli outbox [--pending]` lists; `sccli outbox deliver` sends what is due."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.group("outbox", cls=_DefaultList)
def outbox() -> None:
    """The notices `sccli tick` queued and their delivery per channel."""


@outbox.command("list")
@click.option("--pending", is_flag=True, help="Only notices with a delivery still to make.")
@_FORMAT
@click.pass_context
def list_command(ctx, pending, fmt) -> None:
    """Every notice and the state of each delivery ("no channel": its audience is routed
    to no channel in sccli.yaml `notify:`; it stays here, nothing is sent)."""
    app = app_of(ctx)
    rows = outbox_cases.listing(app, pending=pending)
    if pending:
        empty = ("нет уведомлений, ожидающих отправки" if app.lang == "ru"
                 else "no notice is waiting for delivery")
    else:
        empty = ("очередь уведомлений пуста" if app.lang == "ru" else "the outbox is empty")
    emit(rows, OUTBOX_COLUMNS, fmt, app.lang, empty=empty)


@outbox.command("deliver")
@_FORMAT
@click.pass_context
def deliver_command(ctx, fmt) -> None:
    """Send every delivery due now (what `sccli tick` does after recording).

    Exit codes: 0 sent (or nothing due); 5 a delivery failed (retried later with backoff,
    or failed for good); 2 usage or configuration; 75 the store is busy or down.
    """
    app = app_of(ctx)
    d = outbox_cases.deliver(app, _channels(app))
    if fmt == "json":
        click.echo(to_json({
            "delivered": [{"notice": k, "channel": c} for k, c in d.sent],
            "retrying": [{"notice": k, "channel": c, "error": e} for k, c, e in d.retrying],
            "failed": [{"notice": k, "channel": c, "error": e} for k, c, e in d.failed],
        }))
    else:
        say(f"delivered {len(d.sent)}, retrying {len(d.retrying)}, failed {len(d.failed)}"
            if app.lang != "ru" else
            f"доставлено {len(d.sent)}, повтор {len(d.retrying)}, ошибок {len(d.failed)}")
    if d.troubled:
        raise PartialFailure(f"{len(d.retrying) + len(d.failed)} delivery(ies) failed;"
                             " see `sccli outbox --pending`")
