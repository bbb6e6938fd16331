"""Use cases that change tickets: register, record a step, set fields, void, edit.

One write path (``record``): the ticket's history is folded, the new event must be legal
in it, dated no earlier than its last event and no later than the clock (unless the user
says ``--future``), texts are redacted before anything is stored, and the event and the
projections (status, client) are written in one transaction.
"""

from __future__ import annotations

import getpass
import os
from datetime import datetime

from ..domain.contacts import normalize_email
from ..domain.events import (
    Accepted,
    Answered,
    Asked,
    Edited,
    EstimateSet,
    Event,
    Note,
    Payload,
    PriorityChanged,
    Registered,
    Rejected,
    Reopened,
    Resolved,
    Responded,
    SourceSet,
    Voided,
)
from ..domain.history import TicketHistory, check_estimate, check_void, history
from ..domain.model import (
    Channel,
    EventKind,
    Priority,
    RejectReason,
    Source,
    Ticket,
)
from ..errors import NotFoundError, UsageError
from .clients import require_client
from .context import Workspace

MAX_TITLE = 500
MAX_BODY_BYTES = 1024 * 1024

_SAID_KINDS: dict[
    EventKind, type[Responded | Asked | Answered | Resolved | Accepted | Reopened]
] = {
    EventKind.RESPONDED: Responded,
    EventKind.ASKED: Asked,
    EventKind.ANSWERED: Answered,
    EventKind.RESOLVED: Resolved,
    EventKind.ACCEPTED: Accepted,
    EventKind.REOPENED: Reopened,
}


def actor() -> str:
    """Who is acting: SCCLI_USER, else the OS user."""
    name = os.environ.get("SCCLI_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry in some containers
        return "unknown"


def _text(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise UsageError(f"the {what} is empty; give a short description")
    if len(value) > limit:
        raise UsageError(f"the {what} is {len(value)} characters; at most {limit} are allowed")
    return value


def check_body(body: str) -> str:
    size = len(body.encode("utf-8"))
    if size > MAX_BODY_BYTES:
        raise UsageError(
            f"the body is {size / 1024 / 1024:.1f} MB; at most 1 MB is accepted"
            " (attach large logs to the portal ticket instead)"
        )
    if "\x00" in body:
        raise UsageError("the body contains NUL bytes; is it a binary file?")
    return body


def check_date(ws: Workspace, when: datetime) -> datetime:
    """A write dated after the clock is a typo unless the user says so (--future)."""
    if when > ws.clock and not ws.allow_future:
        tz = ws.tz
        raise UsageError(
            f"{when.astimezone(tz).isoformat()} is in the future (now is"
            f" {ws.clock.astimezone(tz).isoformat()}); check the date, or pass --future if"
            " you mean to record it ahead of time"
        )
    return when


# ------------------------------------------------------------------ reading one ticket


def require_ticket(ws: Workspace, ticket_id: str) -> Ticket:
    ticket = ws.store.get_ticket(ticket_id.strip().upper())
    if ticket is None:
        raise NotFoundError(f"unknown ticket {ticket_id!r} (see `sccli ticket list`)")
    return ticket


def load(ws: Workspace, ticket_id: str, as_of: datetime | None = None) -> TicketHistory:
    """One ticket as known at ``as_of`` (None: everything); unknown there → NotFoundError."""
    ticket = require_ticket(ws, ticket_id)
    h = history(ws.store.events(ticket.id), as_of, ticket)
    if not h.exists:
        when = f" at {as_of.astimezone(ws.tz).isoformat()}" if as_of is not None else ""
        raise NotFoundError(f"ticket {ticket.id} does not exist{when} (registered later,"
                            " or its registration was voided)")
    return h


# ------------------------------------------------------------------ secrets


def _last_secret_index(ticket_id: str, texts: list[str]) -> int:
    from ..domain.redaction import REF_RE

    prefix = f"[secret:{ticket_id}/"
    found = [int(ref[len(prefix):-1]) for t in texts for ref in REF_RE.findall(t)
             if ref.startswith(prefix)]
    return max(found, default=0)


def move_secrets(ws: Workspace, ticket_id: str, texts: list[str],
                 known: list[str]) -> tuple[list[str], int]:
    """Replace pasted credentials by ``[secret:ID/N]`` and keep their values in the vault.

    ``known`` are the ticket's texts already stored (so numbering continues). Vault writes
    happen before the caller's transaction commits: a failure stores nothing in clear.
    """
    from ..domain.redaction import redact
    from ..secrets import SecretError

    index = _last_secret_index(ticket_id, known + texts) + 1
    out, moved = [], 0
    for text in texts:
        clean, found = redact(text, ticket_id, index)
        for ref, value in found:
            try:
                ws.vault.put(ref, value)
            except SecretError as exc:  # nothing is stored in clear: the transaction ends
                raise UsageError(f"cannot keep a secret from {ticket_id} safely: {exc}",
                                 exit_code=exc.exit_code) from None
        index += len(found)
        moved += len(found)
        out.append(clean)
    return out, moved


def secret_refs(ws: Workspace, ticket_id: str) -> tuple[Ticket, list[str]]:
    """The ``[secret:…]`` references in a ticket's stored texts, in order of appearance."""
    from ..domain.redaction import REF_RE

    h = load(ws, ticket_id)
    assert h.ticket is not None
    return h.ticket, list(dict.fromkeys(ref for t in h.texts for ref in REF_RE.findall(t)))


def _redacted(ws: Workspace, h: TicketHistory, payload: Payload) -> Payload:
    """The payload with every free text redacted (credentials to the vault)."""
    from dataclasses import replace

    texts = {name: getattr(payload, name)
             for name in ("message", "title", "body", "reason", "agreed_by")
             if isinstance(getattr(payload, name, None), str) and getattr(payload, name)}
    if isinstance(payload, Rejected):  # its reason is an enum, not text
        texts.pop("reason", None)
    if not texts:
        return payload
    clean, moved = move_secrets(ws, h.ticket_id, list(texts.values()), list(h.texts))
    changes: dict[str, object] = dict(zip(texts, clean, strict=True))
    if moved and hasattr(payload, "secrets"):
        changes["secrets"] = moved
    # The field names are computed: mypy's dataclasses plugin cannot check `replace` on a
    # union of payload classes with them.
    return replace(payload, **changes)  # type: ignore[arg-type]


# ------------------------------------------------------------------ writes


def add_ticket(
    ws: Workspace,
    client_key: str,
    reporter: str,
    title: str,
    body: str,
    priority: str | None,
    channel: str,
    on_behalf: bool,
    at: datetime | None = None,
) -> Ticket:
    """Register a request (its title and body redacted); returns it with its new id."""
    client = require_client(ws, client_key)
    when = check_date(ws, at or ws.at)
    prio = Priority.parse(priority) if priority else None
    ticket = Ticket(
        id="",
        client=client.key,
        reporter=normalize_email(reporter),
        title=_text(title, "title", MAX_TITLE),
        body=check_body(body),
        channel=Channel.parse(channel),
        on_behalf=on_behalf,
        registered_at=when,
    )
    with ws.store.transaction() as store:
        ticket_id = store.next_ticket_id(client.key)
        (title_clean, body_clean), secrets = move_secrets(
            ws, ticket_id, [ticket.title, ticket.body], [])
        ticket = Ticket(**{**ticket.__dict__, "id": ticket_id, "title": title_clean,
                           "body": body_clean})
        first = Event(ticket_id, 1, when, actor(), Registered(
            priority=prio, channel=ticket.channel, on_behalf=on_behalf,
            reporter=ticket.reporter, secrets=secrets))
        store.add_ticket(ticket, first, history([first]).status.value, ws.clock)
    return ticket


def record(
    ws: Workspace,
    ticket_id: str,
    payload: Payload,
    at: datetime | None = None,
    who: str | None = None,
) -> tuple[Event, TicketHistory]:
    """Append one event if the lifecycle allows it; refuse with the allowed next steps."""
    ticket = require_ticket(ws, ticket_id)
    correction = isinstance(payload, Voided | Edited)
    when = ws.clock if correction and at is None else check_date(ws, at or ws.at)
    with ws.store.transaction() as store:
        store.lock_ticket(ticket.id)
        events = store.events(ticket.id)
        before = history(events, ticket=ticket)
        if not before.exists and not correction:
            raise UsageError(f"{ticket.id}'s registration was voided; nothing can be recorded")
        last = before.last_event_at
        if not correction and last is not None and when < last:
            raise UsageError(
                f"{when.isoformat()} is before the ticket's last event"
                f" ({last.astimezone(when.tzinfo).isoformat()}); events are kept in order"
            )
        if isinstance(payload, Voided):
            check_void(events, payload.target, ticket)
        payload = _redacted(ws, before, payload)
        event = Event(ticket.id, len(events) + 1, when, who or actor(), payload)
        after = history([*events, event], ticket=ticket)
        store.insert_event(event, ws.clock)
        store.set_status(ticket.id, after.status.value if after.exists else "voided")
        if after.ticket is not None and after.ticket.client != ticket.client:
            store.set_client(ticket.id, after.ticket.client)  # the projection filters use
    return event, after


def transition(ws: Workspace, ticket_id: str, kind: EventKind, message: str) -> TicketHistory:
    """respond, ask, answer, resolve, accept, reopen: a step with the message said."""
    message = message.strip()
    if not message:
        raise UsageError("the message (-m) is empty; say what was done or asked")
    cls = _SAID_KINDS.get(kind)
    if cls is None:
        raise UsageError(f"{kind.value} is not a step with a message")
    return record(ws, ticket_id, cls(message=message))[1]


def reject(ws: Workspace, ticket_id: str, reason: str, message: str) -> TicketHistory:
    """Refuse the service on one of the contract's three grounds, with an explanation."""
    if not message.strip():
        raise UsageError("a rejection needs an explanation for the client (-m TEXT)")
    payload = Rejected(reason=RejectReason.parse(reason), message=message.strip())
    return record(ws, ticket_id, payload)[1]


def note(ws: Workspace, ticket_id: str, message: str, public: bool) -> Event:
    text = message.strip()
    if not text:
        raise UsageError("the message (-m) is empty")
    return record(ws, ticket_id, Note(message=text, public=public))[0]


def set_fields(
    ws: Workspace,
    ticket_id: str,
    priority: str | None = None,
    source: str | None = None,
    party: str | None = None,
    estimate: datetime | None = None,
    reason: str | None = None,
) -> Ticket:
    """Priority, problem source (with its party) and resolution estimate, in one step."""
    if not (priority or source or estimate):
        raise UsageError("nothing to set: give --priority, --source or --estimate")
    if party and not source:
        raise UsageError("--party goes with --source")
    if reason and not estimate:
        raise UsageError("--reason goes with --estimate")
    ticket = require_ticket(ws, ticket_id)
    prio = Priority.parse(priority) if priority else None
    src = Source.parse(source) if source else None
    if party and party not in ws.settings.parties:
        known = ", ".join(ws.settings.parties) or "none"
        raise UsageError(f"unknown party {party!r} (parties in sccli.yaml: {known})")
    with ws.store.transaction():
        if prio:
            h = load(ws, ticket.id)
            record(ws, ticket.id, PriorityChanged(priority=prio, previous=h.priority))
        if src:
            record(ws, ticket.id, SourceSet(source=src, party=party))
        if estimate:
            set_estimate(ws, ticket.id, estimate, reason)
    return ticket


def set_estimate(ws: Workspace, ticket_id: str, estimate: datetime, reason: str | None) -> None:
    h = load(ws, ticket_id)
    check_estimate(h, reason)
    record(ws, h.ticket_id, EstimateSet(estimate=estimate,
                                        reason=reason.strip() if reason else None))


def void(ws: Workspace, ticket_id: str, seq: int, reason: str) -> Event:
    """Cancel one event by a new one that names it (the log stays append-only)."""
    if not reason.strip():
        raise UsageError("a void needs a reason (--reason TEXT): it stays in the history")
    return record(ws, ticket_id, Voided(target=seq, reason=reason.strip()))[0]


def edit(
    ws: Workspace,
    ticket_id: str,
    reason: str,
    title: str | None = None,
    body: str | None = None,
    reporter: str | None = None,
    client: str | None = None,
) -> Event:
    """Correct registration facts; the old values stay in the history."""
    if not reason.strip():
        raise UsageError("an edit needs a reason (--reason TEXT): it stays in the history")
    if title is None and body is None and reporter is None and client is None:
        raise UsageError("nothing to edit: give --title, --body, --from or --client")
    h = load(ws, ticket_id)
    assert h.ticket is not None
    new_client = require_client(ws, client).key if client else None
    payload = Edited(
        title=_text(title, "title", MAX_TITLE) if title is not None else None,
        body=check_body(body) if body is not None else None,
        reporter=normalize_email(reporter) if reporter else None,
        client=new_client if new_client != h.ticket.client else None,
        reason=reason.strip(),
    )
    return record(ws, h.ticket_id, payload)[0]


def redact_stored(ws: Workspace, ticket: Ticket) -> int:
    """Move credentials still in clear in a stored ticket (imported, synced) to the vault."""
    from ..domain.redaction import find_secrets

    if not (find_secrets(ticket.title) or find_secrets(ticket.body)):
        return 0
    with ws.store.transaction() as store:
        h = load(ws, ticket.id)
        (title, body), moved = move_secrets(ws, ticket.id, [ticket.title, ticket.body],
                                            list(h.texts))
        store.update_text(ticket.id, title, body)
        record(ws, ticket.id, Note(message=f"{moved} secret(s) moved to the vault",
                                   secrets=moved))
    return moved


def ask_missing(ws: Workspace, ticket_id: str) -> tuple[str, list[str]]:
    """Record the clarification request for what the ticket lacks; starts the feedback clock."""
    from ..domain.intake import check_intake, clarification_request

    h = load(ws, ticket_id)
    ticket = h.ticket
    assert ticket is not None
    intake = check_intake(ticket.title, ticket.body)
    if not intake.missing:
        raise UsageError(f"{ticket.id} has everything the contract asks for; nothing to ask")
    text = clarification_request(intake.missing, intake.language, ticket.id, ticket.title)
    missing = [item.value for item in intake.missing]
    record(ws, ticket.id, Asked(message=text, missing=tuple(missing)))
    return text, missing


def parse_seq(text: str) -> int:
    raw = text.strip().lstrip("#")
    if not raw.isdigit():
        raise UsageError(f"{text!r} is not an event number (see `sccli ticket show ID`)")
    return int(raw)

