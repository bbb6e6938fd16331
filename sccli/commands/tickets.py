"""`sccli ticket …`: register tickets and move them through the contract's lifecycle."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import service
from ..domain import lifecycle
from ..domain.model import EventKind, Priority, RejectReason, Source, Status
from ..errors import UsageError
from ..render import Column, cell, emit, to_json
from . import app_of, format_option

LIST_COLUMNS = [
    Column("id", "id", "номер"),
    Column("client", "client", "клиент"),
    Column("status", "status", "статус"),
    Column("priority", "priority", "приоритет"),
    Column("registered_at", "registered", "зарегистрирован"),
    Column("reporter", "from", "от"),
    Column("title", "title", "тема"),
]
EVENT_COLUMNS = [
    Column("seq", "#", "№"),
    Column("at", "at", "время"),
    Column("kind", "event", "событие"),
    Column("actor", "by", "кто"),
    Column("details", "details", "подробности"),
]


def ticket_row(ticket, state: lifecycle.TicketState, tz) -> dict:
    return {
        "id": ticket.id,
        "client": ticket.client,
        "status": state.status.value,
        "priority": state.priority.value if state.priority else None,
        "registered_at": ticket.registered_at.astimezone(tz),
        "reporter": ticket.reporter,
        "channel": ticket.channel.value,
        "on_behalf": ticket.on_behalf,
        "title": ticket.title,
        "source": state.source.value if state.source else None,
        "party": state.party,
        "estimate": state.estimate.astimezone(tz) if state.estimate else None,
    }


@click.group("ticket")
def ticket() -> None:
    """Register tickets and move them through their lifecycle."""


def _read_body(body: str | None, body_file: str | None) -> str:
    if body is not None and body_file is not None:
        raise UsageError("give either --body or --body-file, not both")
    if body_file is None:
        return body or ""
    try:
        if body_file == "-":
            return sys.stdin.read()
        return Path(body_file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--body-file {body_file}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"--body-file {body_file}: not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"--body-file {body_file}: {exc.strerror}") from None


@ticket.command("add")
@click.option("--client", "client_key", required=True, metavar="KEY", help="The client.")
@click.option("--from", "reporter", required=True, metavar="EMAIL", help="Who sent it.")
@click.option("--title", required=True, help="Subject of the request.")
@click.option("--body", help="Text of the request.")
@click.option("--body-file", metavar="FILE", help="Read the text from FILE ('-' = stdin).")
@click.option("--priority", metavar="P", help="critical|high|medium|low (or Критичный…).")
@click.option(
    "--channel",
    default="portal",
    show_default=True,
    metavar="C",
    help="email|portal (included), phone|messenger (billable).",
)
@click.option("--on-behalf", is_flag=True, help="Registered by the executor for the client (billable).")
@click.option("--at", "at", metavar="ISO", help="Registration time (back-dated imports) [now].")
@format_option
@click.pass_context
def ticket_add(ctx, client_key, reporter, title, body, body_file, priority, channel, on_behalf, at, fmt):
    """Register a request; prints its id.

    \b
    Example:
      sccli ticket add --client ACME --from it@acme.example \\
          --title "Ошибка на странице логина" --priority Критичный
    """
    app = app_of(ctx)
    text = _read_body(body, body_file)
    when = app.instant(at, "--at") if at else None
    added = service.add_ticket(
        app, client_key, reporter, title, text, priority, channel, on_behalf, when
    )
    click.echo(to_json({"id": added.id}) if fmt == "json" else added.id)


@ticket.command("list")
@click.option("--client", "client_key", metavar="KEY", help="Only this client's tickets.")
@click.option("--status", metavar="S", help="Only this status (new, in-progress, …, or 'open').")
@click.option("--priority", metavar="P", help="Only this priority.")
@format_option
@click.pass_context
def ticket_list(ctx, client_key, status, priority, fmt):
    """List tickets, oldest first."""
    app = app_of(ctx)
    if client_key:
        client_key = service.require_client(app, client_key).key
    if status == "open":
        statuses = [s.value for s in Status if s.is_open]
    elif status:
        statuses = [Status.parse(status).value]
    else:
        statuses = None
    wanted = Priority.parse(priority) if priority else None
    tickets = app.store.tickets(client=client_key, statuses=statuses)
    events = app.store.events_by_ticket(statuses)
    rows = []
    for t in tickets:
        state = lifecycle.fold(events.get(t.id, []))
        if wanted and state.priority is not wanted:
            continue
        rows.append(ticket_row(t, state, app.tz))
    emit(rows, LIST_COLUMNS, fmt, app.lang, empty="no tickets")


def _details(event) -> str:
    data = dict(event.data)
    parts = []
    for key in ("message", "priority", "source", "party", "estimate", "reason", "agreed_by"):
        if data.get(key):
            parts.append(f"{key}: {data[key]}" if key != "message" else str(data[key]))
    if data.get("public"):
        parts.insert(0, "[public]")
    if data.get("origin"):
        parts.insert(0, f"[from {data['origin']}]")
    return "; ".join(parts)


@ticket.command("show")
@click.argument("ticket_id", metavar="ID")
@format_option
@click.pass_context
def ticket_show(ctx, ticket_id, fmt):
    """Show a ticket with its full history."""
    app = app_of(ctx)
    found = service.require_ticket(app, ticket_id)
    events = app.store.events(found.id)
    state = lifecycle.fold(events)
    row = ticket_row(found, state, app.tz)
    history = [
        {
            "seq": e.seq,
            "at": e.at.astimezone(app.tz),
            "kind": e.kind.value,
            "actor": e.actor,
            "data": dict(e.data),
            "details": _details(e),
        }
        for e in events
    ]
    if fmt == "json":
        click.echo(to_json({**row, "body": found.body, "events": history}))
        return
    if fmt == "csv":
        emit(history, EVENT_COLUMNS, fmt, app.lang)
        return
    for col in LIST_COLUMNS + [Column("channel", "channel", "канал"), Column("source", "source", "источник")]:
        value = row.get(col.key)
        if value not in (None, ""):
            click.echo(f"{col.header(app.lang)}: {cell(value)}")
    if found.body:
        click.echo("")
        click.echo(found.body)
    click.echo("")
    emit(history, EVENT_COLUMNS, "table", app.lang)


def _transition_command(name: str, kind: EventKind, help_text: str):
    @ticket.command(name, help=help_text)
    @click.argument("ticket_id", metavar="ID")
    @click.option("-m", "--message", required=True, metavar="TEXT", help="What was said or done.")
    @click.pass_context
    def command(ctx, ticket_id, message):
        app = app_of(ctx)
        state = service.transition(app, ticket_id, kind, message)
        click.echo(f"{ticket_id.upper()}: {state.status.value}")

    return command


_transition_command("respond", EventKind.RESPONDED, "Record the executor's response (stops the reaction clock).")
_transition_command("answer", EventKind.ANSWERED, "Record the client's answer to a question.")
_transition_command("resolve", EventKind.RESOLVED, "Set the ticket to resolved (starts the 7-day acceptance).")
_transition_command("accept", EventKind.ACCEPTED, "Record the client's acceptance (closes the ticket).")
_transition_command("reopen", EventKind.REOPENED, "Reopen a resolved ticket the client did not accept.")


@ticket.command("reject")
@click.argument("ticket_id", metavar="ID")
@click.option(
    "--reason",
    required=True,
    type=click.Choice([r.value for r in RejectReason]),
    help="unauthorized: not from the authorized person; unreasonable: not solvable in"
    " reasonable time remotely; no-access: broken client hardware or no remote access.",
)
@click.option("-m", "--message", required=True, metavar="TEXT",
              help="The explanation for the client (recorded with the rejection).")
@click.pass_context
def ticket_reject(ctx, ticket_id, reason, message):
    """Refuse the service on one of the contract's three grounds."""
    app = app_of(ctx)
    if not message.strip():
        raise UsageError("a rejection needs an explanation for the client (-m TEXT)")
    _, state = service.record(
        app, ticket_id, EventKind.REJECTED, {"reason": reason, "message": message.strip()}
    )
    click.echo(f"{ticket_id.upper()}: {state.status.value} ({reason})")


@ticket.command("set")
@click.argument("ticket_id", metavar="ID")
@click.option("--priority", metavar="P", help="New priority (critical|high|medium|low|Критичный…).")
@click.option("--source", metavar="S", help="Problem source (see README, Routing).")
@click.option("--party", metavar="NAME", help="The party that owns the source (with --source).")
@click.option("--estimate", metavar="ISO", help="Resolution estimate; extending needs --reason.")
@click.option("--reason", metavar="TEXT", help="Why the estimate is extended.")
@click.pass_context
def ticket_set(ctx, ticket_id, priority, source, party, estimate, reason):
    """Change priority, problem source or resolution estimate."""
    app = app_of(ctx)
    if not (priority or source or estimate):
        raise UsageError("nothing to set: give --priority, --source or --estimate")
    if party and not source:
        raise UsageError("--party goes with --source")
    if reason and not estimate:
        raise UsageError("--reason goes with --estimate")
    found = service.require_ticket(app, ticket_id)
    prio = Priority.parse(priority) if priority else None
    src = Source.parse(source) if source else None
    when = app.instant(estimate, "--estimate") if estimate else None
    if party and party not in app.settings.parties:
        known = ", ".join(app.settings.parties) or "none"
        raise UsageError(f"unknown party {party!r} (parties in sccli.yaml: {known})")
    with app.store.transaction():
        if prio:
            state = lifecycle.fold(app.store.events(found.id))
            previous = state.priority.value if state.priority else None
            service.record(
                app, found.id, EventKind.PRIORITY_CHANGED, {"priority": prio.value, "previous": previous}
            )
        if src:
            service.record(app, found.id, EventKind.SOURCE_SET, {"source": src.value, "party": party})
        if when:
            service.set_estimate(app, found.id, when, reason)
    click.echo(f"{found.id}: updated")


@ticket.command("note")
@click.argument("ticket_id", metavar="ID")
@click.option("-m", "--message", required=True, metavar="TEXT", help="The note.")
@click.option("--public", is_flag=True,
              help="Send it to the remote issues this ticket is escalated to (at the next sync).")
@click.pass_context
def ticket_note(ctx, ticket_id, message, public):
    """Add an internal note (or, with --public, one that sync sends to linked trackers)."""
    app = app_of(ctx)
    text = message.strip()
    if not text:
        raise UsageError("the message (-m) is empty")
    event, _ = service.record(app, ticket_id, EventKind.NOTE, {"message": text, "public": public})
    click.echo(f"{event.ticket_id}: note #{event.seq}{' (public)' if public else ''}")


@ticket.command("ask")
@click.argument("ticket_id", metavar="ID")
@click.option("-m", "--message", metavar="TEXT", help="The question.")
@click.option("--missing", is_flag=True,
              help="Ask for exactly what the request lacks (contract: account, address, steps…),"
              " in the ticket's language.")
@click.pass_context
def ticket_ask(ctx, ticket_id, message, missing):
    """Ask the client a clarifying question (starts the 2-business-day clock)."""
    from .. import desk

    app = app_of(ctx)
    if missing == bool(message):
        raise UsageError("give -m TEXT or --missing (one of them)")
    if missing:
        text, _ = desk.ask_missing(app, ticket_id)
        click.echo(text)
        return
    state = service.transition(app, ticket_id, EventKind.ASKED, message)
    click.echo(f"{ticket_id.upper()}: {state.status.value}")


@ticket.command("secret")
@click.argument("ticket_id", metavar="ID")
@format_option
@click.pass_context
def ticket_secret(ctx, ticket_id, fmt):
    """Show the credentials sccli moved out of a ticket (for the engineer who needs them)."""
    from ..domain.redaction import REF_RE

    app = app_of(ctx)
    found = service.require_ticket(app, ticket_id)
    texts = service.stored_texts(found, app.store.events(found.id))
    refs = list(dict.fromkeys(ref for t in texts for ref in REF_RE.findall(t)))
    rows = [{"reference": ref, "value": app.vault.get(ref)} for ref in refs]
    click.echo(f"{found.id}: secrets are shown on request only; never paste them into other"
               f" trackers ({app.vault.backend})", err=True)
    emit(rows, [Column("reference", "reference", "ссылка"), Column("value", "value", "значение")],
         fmt, app.lang, empty=f"{found.id}: no secrets")
