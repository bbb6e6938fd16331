"""`sccli ticket …`: register tickets and move them through the contract's lifecycle."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import click

from ..domain.events import Event
from ..domain.history import TicketHistory
from ..domain.model import EventKind, RejectReason
from ..errors import UsageError
from ..i18n import tr
from ..render import Column, emit, safe_cell, say, to_json
from ..usecases import corrections, ticket_fields, ticket_steps, views
from ..usecases import tickets as cases
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


def ticket_row(state: TicketHistory, tz) -> dict:
    ticket = state.ticket
    assert ticket is not None
    return {
        "id": ticket.id,
        "client": state.client,
        "status": "voided" if state.registration_voided else state.status.value,
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
    added = cases.add_ticket(
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
    """List tickets, oldest first (as of --at: those registered by then, their status then)."""
    app = app_of(ctx)
    rows = [ticket_row(h, app.tz) for h in views.ticket_list(app, client_key, status, priority)]
    emit(rows, LIST_COLUMNS, fmt, app.lang, empty="no tickets")


def _event_row(event: Event, voided_by: Mapping[int, Event], tz) -> dict:
    from ..store.codec import stored_data

    void = voided_by.get(event.seq)
    return {
        "seq": event.seq,
        "at": event.at.astimezone(tz),
        "kind": event.kind.value,
        "actor": event.actor,
        "data": stored_data(event),
        "details": event_details(event) + (f" [voided by #{void.seq}]" if void else ""),
        **({"voided_by": void.seq} if void else {}),
    }


def event_details(event: Event) -> str:
    """One line about an event for `ticket show` (every kind: the type checker says so)."""
    from typing import assert_never

    from ..domain import events as ev

    p = event.payload
    match p:
        case ev.Registered():
            parts = [f"priority: {p.priority.value}"] if p.priority else []
        case ev.Rejected():
            parts = [p.message, f"reason: {p.reason.value}"]
        case ev.Note():
            parts = [f"[from {p.origin}]"] if p.origin else []
            parts += ["[public]"] if p.public else []
            parts.append(p.message)
        case (ev.Responded() | ev.Asked() | ev.Answered() | ev.Resolved() | ev.Accepted()
              | ev.AutoAccepted() | ev.Reopened()):
            parts = [p.message]
        case ev.PriorityChanged():
            parts = [f"priority: {p.priority.value}"]
            parts += [f"from: {p.previous.value}"] if p.previous else []
            parts += [f"agreed_by: {p.agreed_by}"] if p.agreed_by else []
        case ev.SourceSet():
            parts = [f"source: {p.source.value}"] + ([f"party: {p.party}"] if p.party else [])
            parts += [f"fixed by: {p.fixed_by}"] if p.fixed_by else []
        case ev.EstimateSet():
            parts = [f"estimate: {p.estimate.isoformat()}"]
            parts += [f"reason: {p.reason}"] if p.reason else []
        case ev.Reordered():
            parts = [f"agreed_by: {p.agreed_by}"]
        case ev.Confirmed():
            parts = [f"confirmed by {p.by}", p.message]
        case ev.Alerted():
            parts = [p.fact] + ([f"due: {p.due.isoformat()}"] if p.due else []) + [p.detail]
        case ev.Voided():
            parts = [f"voids #{p.target}", f"reason: {p.reason}"]
        case ev.Edited():
            parts = [f"{name}: {value}" for name, value in (
                ("title", p.title), ("from", p.reporter), ("client", p.client)) if value]
            parts += ["body changed"] if p.body is not None else []
            parts.append(f"reason: {p.reason}")
        case _:
            assert_never(p)
    return "; ".join(part for part in parts if part)


@ticket.command("show")
@click.argument("ticket_id", metavar="ID")
@format_option
@click.pass_context
def ticket_show(ctx, ticket_id, fmt):
    """Show a ticket with its full history (voided events and edits included)."""
    app = app_of(ctx)
    state, events = views.ticket_show(app, ticket_id)
    found = state.ticket
    assert found is not None
    row = ticket_row(state, app.tz)
    row["kind"] = views.request_kind(found).value
    auto = state.acceptance_expired
    if auto is not None:  # contract: 7 calendar days of acceptance, then closed automatically
        row["auto_accepted_at"] = auto.astimezone(app.tz)
    history = [_event_row(e, state.voids, app.tz) for e in events]
    routing = _routing(app, state)
    if fmt == "json":
        click.echo(to_json({**row, "routing": routing, "body": found.body, "events": history}))
        return
    if fmt == "csv":
        emit(history, EVENT_COLUMNS, fmt, app.lang)
        return
    for col in LIST_COLUMNS + [Column("channel", "channel", "канал"), Column("source", "source", "источник")]:
        value = row.get(col.key)
        if value not in (None, ""):
            say(f"{col.header(app.lang)}: {safe_cell(value)}")
    say(f"{'тип' if app.lang == 'ru' else 'kind'}: {tr(row['kind'], app.lang)}")
    from .triage import routing_line

    ru = app.lang == "ru"
    say(f"{'владелец / действие / оплата' if ru else 'owner / action / billing'}:"
        f" {routing_line(routing, app.lang)}")
    say(f"{'почему' if ru else 'why'}: {routing['routing_explain']}")
    if auto is not None:
        when = f"{auto.astimezone(app.tz):%Y-%m-%d %H:%M:%S}"
        say(f"закрыта автоматически: {when} (срок приёмки истёк)" if app.lang == "ru" else
            f"closed automatically: {when} (the acceptance window ended)")
    if found.body:
        click.echo("")
        say(found.body)
    click.echo("")
    emit(history, EVENT_COLUMNS, "table", app.lang)


def _routing(app, state: TicketHistory) -> dict:
    """Who owns the ticket's problem and who pays (the contract's "Boundaries")."""
    from .triage import routing_data

    decision = views.routing_of(app, state)
    return {
        "owner": decision.owner, "party": decision.party, "action": decision.action,
        "billing": decision.billing, "billable": decision.billable,
        "billable_extras": list(decision.extras),
        **routing_data(decision, app.settings.parties),
    }


def _transition_command(name: str, kind: EventKind, help_text: str):
    @ticket.command(name, help=help_text)
    @click.argument("ticket_id", metavar="ID")
    @click.option("-m", "--message", required=True, metavar="TEXT", help="What was said or done.")
    @click.pass_context
    def command(ctx, ticket_id, message):
        app = app_of(ctx)
        state = ticket_steps.transition(app, ticket_id, kind, message)
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
@click.option("-m", "--message", metavar="TEXT", default="",
              help="The explanation for the client (required for unreasonable).")
@click.pass_context
def ticket_reject(ctx, ticket_id, reason, message):
    """Refuse the service on one of the contract's three grounds, when the history holds it.

    \b
    unauthorized  the reporter was not the authorized contact at registration, and no
                  confirmation was recorded (ticket confirm)
    no-access     the client was asked for remote access or a hardware fix
                  (ticket ask ID --need remote-access|hardware-fix) and has not answered
    unreasonable  -m explains why it cannot be solved in reasonable time remotely

    The message to the client (recorded with the rejection, printed) quotes the ground
    from the contract in the client's language, then the explanation.
    """
    app = app_of(ctx)
    event, state = ticket_steps.reject(app, ticket_id, reason, message)
    click.echo(f"{event.ticket_id}: {state.status.value} ({reason})")
    say(getattr(event.payload, "message", ""))  # as stored: credentials are references


@ticket.command("set")
@click.argument("ticket_id", metavar="ID")
@click.option("--priority", metavar="P", help="New priority (critical|high|medium|low|Критичный…).")
@click.option("--source", metavar="S", help="Problem source (see README, Routing).")
@click.option("--party", metavar="NAME", help="The party that owns the source (with --source).")
@click.option("--estimate", metavar="ISO", help="Resolution estimate; extending needs --reason.")
@click.option("--reason", metavar="TEXT", help="Why the estimate is extended.")
@click.option("--fixed-by", "fixed_by", type=click.Choice(["executor", "owner"]),
              help="Another partner's project layer or the client's team: who fixes it —"
              " executor (for an extra fee: billable) or owner (the executor helps deal"
              " with them: included).")
@click.option("--agreed-by", metavar="WHO",
              help="Who agreed to the priority change on the client's side (required to change"
              " a priority already given; the contract allows changes by agreement).")
@click.pass_context
def ticket_set(ctx, ticket_id, priority, source, party, estimate, reason, fixed_by, agreed_by):
    """Change priority, problem source or resolution estimate.

    A source in the client's infrastructure, a third-party provider or adjacent software
    with --party NAME sends that party's contact (parties.NAME.email) a notice.

    \b
    Examples:
      sccli ticket set VEGA-1 --source partner-project --party partner-x
      sccli ticket set VEGA-1 --fixed-by executor      # the client pays for the fix
      sccli ticket set ACME-7 --source third-party-provider --party sms-gate
      sccli ticket set ACME-7 --priority critical --agreed-by it@acme.example
    """
    app = app_of(ctx)
    when = app.instant(estimate, "--estimate") if estimate else None
    found = ticket_fields.set_fields(app, ticket_id, priority, source, party, when, reason,
                                     fixed_by=fixed_by, agreed_by=agreed_by)
    click.echo(f"{found.id}: updated")
    if source:
        from ..usecases.routing import notify_responsible_party

        sent = notify_responsible_party(app, found.id)
        if sent is not None and sent.queued:
            say(f"{found.id}: notice to {sent.party} <{sent.email}> queued"
                " (sent by the next `sccli tick` or `sccli outbox deliver`)")
        elif sent is not None:
            say(f"{found.id}: the notice to {sent.party} <{sent.email}> was queued before")


@ticket.command("note")
@click.argument("ticket_id", metavar="ID")
@click.option("-m", "--message", required=True, metavar="TEXT", help="The note.")
@click.option("--public", is_flag=True,
              help="Send it to the remote issues this ticket is escalated to and to the"
              " client's intake request (at the next sync).")
@click.pass_context
def ticket_note(ctx, ticket_id, message, public):
    """Add an internal note (or, with --public, one that sync sends to linked trackers)."""
    app = app_of(ctx)
    event = ticket_steps.note(app, ticket_id, message, public)
    click.echo(f"{event.ticket_id}: note #{event.seq}{' (public)' if public else ''}")


@ticket.command("ask")
@click.argument("ticket_id", metavar="ID")
@click.option("-m", "--message", metavar="TEXT", help="The question.")
@click.option("--missing", is_flag=True,
              help="Ask for exactly what the request lacks (contract: account, address, steps…),"
              " in the ticket's language.")
@click.option("--need", multiple=True, type=click.Choice(["remote-access", "hardware-fix"]),
              help="Ask for remote access or a hardware fix (what a no-access refusal needs"
              " first); -m replaces the generated text.")
@click.pass_context
def ticket_ask(ctx, ticket_id, message, missing, need):
    """Ask the client a clarifying question (starts the 2-business-day clock).

    A ticket that came from an intake (the portal) gets the question there at the next
    `sccli sync`; otherwise sccli sends nothing: pass the printed text to the client.
    """
    app = app_of(ctx)
    if need:
        if missing:
            raise UsageError("--need and --missing are separate questions; give one of them")
        _, text = ticket_steps.ask_access(app, ticket_id, list(need), message)
        say(text)
        _where_it_goes(app, ticket_id)
        return
    if missing == bool(message):
        raise UsageError("give -m TEXT or --missing (one of them)")
    if missing:
        text, _ = ticket_steps.ask_missing(app, ticket_id)
        say(text)
        _where_it_goes(app, ticket_id)
        return
    state = ticket_steps.transition(app, ticket_id, EventKind.ASKED, message)
    click.echo(f"{ticket_id.upper()}: {state.status.value}")
    _where_it_goes(app, ticket_id)


def _where_it_goes(app, ticket_id: str) -> None:
    """Say how the question reaches the client: through the intake at the next sync, or
    not at all (the clock started all the same: the engineer sends it)."""
    from ..sync.intake import intake_request

    tid = ticket_id.strip().upper()
    found = intake_request(app, tid)
    ru = app.lang == "ru"
    if found is not None:
        tracker, request = found
        say(f"{tid}: вопрос уйдёт клиенту через {tracker} (заявка {request}) при следующем"
            " `sccli sync`" if ru else
            f"{tid}: the question reaches the client through {tracker} (request {request})"
            " at the next `sccli sync`", err=True)
    else:
        say(f"{tid}: не отправлено: обращение пришло не через приёмный трекер; передайте"
            " текст клиенту сами" if ru else
            f"{tid}: not sent: the ticket came through no intake; send the text to the"
            " client yourself", err=True)


@ticket.command("secret")
@click.argument("ticket_id", metavar="ID")
@format_option
@click.pass_context
def ticket_secret(ctx, ticket_id, fmt):
    """Show the credentials sccli moved out of a ticket (for the engineer who needs them)."""
    app = app_of(ctx)
    # A value this machine's vault does not hold is an error (exit 2) saying why, never a blank.
    found, values, missing = cases.reveal_secrets(app, ticket_id)
    if missing is not None and not values:
        raise missing
    rows = [{"reference": ref, "value": value} for ref, value in values]
    click.echo(f"{found.id}: secrets are shown on request only; never paste them into other"
               f" trackers ({app.vault.backend})", err=True)
    # The one output that shows credentials: the value column opts out of redaction.
    emit(rows, [Column("reference", "reference", "ссылка"),
                Column("value", "value", "значение", reveal=True)],
         fmt, app.lang, empty=f"{found.id}: no secrets")
    if missing is not None:
        raise missing


@ticket.command("confirm")
@click.argument("ticket_id", metavar="ID")
@click.option("--by", "by", required=True, metavar="EMAIL",
              help="The client's authorized contact who confirmed the request.")
@click.option("-m", "--message", required=True, metavar="TEXT",
              help="How the confirmation came (a letter, a portal message…).")
@click.pass_context
def ticket_confirm(ctx, ticket_id, by, message):
    """Record that the authorized person confirmed a request someone else sent.

    The contract takes requests from the client's one authorized person; triage flags
    others as unauthorized until they are confirmed (or rejected).

    \b
    Example:
      sccli ticket confirm ACME-7 --by it@acme.example -m "confirmed by letter of 25.11"
    """
    app = app_of(ctx)
    done = ticket_steps.confirm(app, ticket_id, by, message)
    say(f"{done.ticket_id}: confirmed by {by.strip().lower()} (#{done.seq})")


@ticket.command("void")
@click.argument("ticket_id", metavar="ID")
@click.argument("event", metavar="EVENT")
@click.option("--reason", required=True, metavar="TEXT", help="Why the event is cancelled.")
@click.pass_context
def ticket_void(ctx, ticket_id, event, reason):
    """Cancel one event of a ticket (a mistake); the history keeps both.

    EVENT is the event number from `ticket show`. Voiding the registration (#1) removes
    a test ticket from every view and report. The later steps that depend on an event
    must be voided first.

    \b
    Example:
      sccli ticket void ACME-12 4 --reason "typo in --at: 2027 instead of 2026"
    """
    app = app_of(ctx)
    done = corrections.void(app, ticket_id, corrections.parse_seq(event), reason)
    click.echo(f"{done.ticket_id}: event #{event.lstrip('#')} voided by #{done.seq}")


@ticket.command("edit")
@click.argument("ticket_id", metavar="ID")
@click.option("--title", help="The corrected subject.")
@click.option("--body", help="The corrected text.")
@click.option("--body-file", metavar="FILE", help="Read the corrected text from FILE ('-' = stdin).")
@click.option("--from", "reporter", metavar="EMAIL", help="The corrected sender.")
@click.option("--client", "client_key", metavar="KEY", help="The client the ticket belongs to.")
@click.option("--reason", required=True, metavar="TEXT", help="Why it is corrected.")
@click.pass_context
def ticket_edit(ctx, ticket_id, title, body, body_file, reporter, client_key, reason):
    """Correct a ticket's title, text, sender or client; the old values stay in history.

    \b
    Example:
      sccli ticket edit ACME-12 --from olga@acme.ru --reason "registered from the wrong address"
    """
    app = app_of(ctx)
    text = _read_body(body, body_file) if (body is not None or body_file is not None) else None
    done = corrections.edit(app, ticket_id, reason, title, text, reporter, client_key)
    click.echo(f"{done.ticket_id}: edited (#{done.seq})")
