"""The one write path for tickets (``record``), reading one ticket, registration, and a
ticket's secrets.

One write path (``record``): the ticket's history is folded, the new event must be legal
in it, dated no earlier than its last event and no later than the clock (unless the user
says ``--future``), texts are redacted before anything is stored, and the event and the
projections (status, client) are written in one transaction.

Secrets move to the vault *before* that transaction (``move_secrets``): a keyring that is
slow or blocks never holds the store's write lock. The reference numbers they get are
reserved first, in a transaction of their own (``reserve_secret_numbers``), so two writers
never give one number to two values, whichever machine they run on.

The changes built on ``record`` live beside it, one concept each: the lifecycle steps
(``ticket_steps``), field changes (``ticket_fields``) and corrections (``corrections``).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from ..domain.contacts import normalize_email
from ..domain.events import Edited, Event, Note, Payload, Registered, Rejected, Voided
from ..domain.history import TicketHistory, check_void, history
from ..domain.model import Channel, DomainError, EventKind, Priority, Ticket
from ..errors import NotFoundError, UsageError
from .clients import require_client
from .context import Workspace
from .credentials import (
    Moved,
    keep_in_vault,
    last_secret_index,
    move_secrets,
    reserve_secret_numbers,
    reveal,
)

if TYPE_CHECKING:
    from ..secrets import SecretError

MAX_TITLE = 500
MAX_BODY_BYTES = 1024 * 1024


def actor() -> str:
    """Who is acting: SCCLI_USER, else the OS user."""
    name = os.environ.get("SCCLI_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry in some containers
        return "unknown"


def check_text(value: str, what: str, limit: int) -> str:
    """A one-line text the user gives (a title): stripped, not empty, at most ``limit``."""
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
    """One ticket as known at ``as_of`` (None: everything); unknown there → NotFoundError.

    A resolved ticket whose acceptance window expired by ``as_of`` (None: ``ws.at``) is
    closed (see ``views.acceptance_rule``)."""
    from .views import acceptance_rules

    ticket = require_ticket(ws, ticket_id)
    h = history(ws.store.events(ticket.id), as_of, ticket,
                acceptance=acceptance_rules(ws),
                now=as_of if as_of is not None else ws.at)
    if not h.exists:
        when = f" at {as_of.astimezone(ws.tz).isoformat()}" if as_of is not None else ""
        raise NotFoundError(f"ticket {ticket.id} does not exist{when} (registered later,"
                            " or its registration was voided)")
    return h


# ------------------------------------------------------------------ secrets
# How credentials leave a text is sccli.usecases.credentials; what a ticket's are, here.


def secret_refs(ws: Workspace, ticket_id: str) -> tuple[Ticket, list[str]]:
    """The ``[secret:…]`` references in a ticket's stored texts, in order of appearance."""
    from ..domain.redaction import REF_RE

    h = load(ws, ticket_id)
    assert h.ticket is not None
    return h.ticket, list(dict.fromkeys(ref for t in h.texts for ref in REF_RE.findall(t)))


def reveal_secrets(ws: Workspace, ticket_id: str
                   ) -> tuple[Ticket, list[tuple[str, str]], SecretError | None]:
    """A ticket's references with their values (``ticket secret``), and what is missing."""
    ticket, refs = secret_refs(ws, ticket_id)
    return ticket, *reveal(ws, ticket.id, refs)


def redact_stored(ws: Workspace, ticket: Ticket) -> int:
    """Move credentials still in clear in a stored ticket (imported, synced) to the vault."""
    stored = ws.store.get_ticket(ticket.id)
    (title, body), moved = move_secrets(ws, ticket.id, [ticket.title, ticket.body],
                                        lambda: list(load(ws, ticket.id).texts))
    if not moved:
        return 0
    with ws.store.transaction() as store:
        store.lock_ticket(ticket.id)
        now = store.get_ticket(ticket.id)
        if stored is None or now is None or (now.title, now.body) != (stored.title, stored.body):
            return 0  # changed meanwhile (another sccli moved them): these entries stay unused
        store.update_text(ticket.id, title, body)
        record(ws, ticket.id, Note(message=f"{moved} secret(s) moved to the vault",
                                   secrets=moved))
    return moved


_TEXT_FIELDS = ("message", "title", "body", "reason", "agreed_by")


def _payload_texts(payload: Payload) -> dict[str, str]:
    texts = {name: getattr(payload, name) for name in _TEXT_FIELDS
             if isinstance(getattr(payload, name, None), str) and getattr(payload, name)}
    if isinstance(payload, Rejected):  # its reason is an enum, not text
        texts.pop("reason", None)
    return texts


def with_secrets_moved(ws: Workspace, ticket: Ticket, payload: Payload,
                       check: Callable[[list[Event]], TicketHistory]) -> Payload:
    """The payload with every free text redacted and the values in the vault (call outside
    any transaction). ``check`` refuses an illegal step before anything is written."""
    texts = _payload_texts(payload)
    if not texts:
        return payload
    moved = Moved(ticket.id)
    clean = [moved.redact(text) for text in texts.values()]
    if not moved:
        return payload
    before = check(ws.store.events(ticket.id))  # no vault write for a step to be refused
    floor = last_secret_index(ticket.id, [*before.texts, *texts.values()])
    first = reserve_secret_numbers(ws, ticket.id, len(moved), floor)
    moved.number(ticket.id, first)
    keep_in_vault(ws, ticket.id, moved.pairs)
    changes: dict[str, object] = dict(zip(texts, map(moved.final, clean), strict=True))
    if hasattr(payload, "secrets"):
        changes["secrets"] = getattr(payload, "secrets", 0) + len(moved)
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
    then: Callable[[Ticket], None] | None = None,
) -> Ticket:
    """Register a request (its title and body redacted); returns it with its new id.

    ``then`` runs inside the transaction that stores the ticket (sync records the intake
    request's link there, so a crash never leaves a ticket without its link)."""
    client = require_client(ws, client_key)
    when = check_date(ws, at or ws.at)
    prio = Priority.parse(priority) if priority else None
    ticket = Ticket(
        id="",
        client=client.key,
        reporter=normalize_email(reporter),
        title=check_text(title, "title", MAX_TITLE),
        body=check_body(body),
        channel=Channel.parse(channel),
        on_behalf=on_behalf,
        registered_at=when,
    )
    moved = Moved(client.key)
    title_clean, body_clean = moved.redact(ticket.title), moved.redact(ticket.body)
    ticket_id = ""
    if moved:
        # The id is taken first, in a transaction of its own, so the vault is written
        # outside any transaction; a failure leaves this number unused.
        with ws.store.transaction() as store:
            ticket_id = store.next_ticket_id(client.key)
        moved.number(ticket_id, last_secret_index(ticket_id, [ticket.title, ticket.body]) + 1)
        keep_in_vault(ws, f"the new ticket {ticket_id}", moved.pairs,
                      f" ({ticket_id} stays unused)")
        title_clean, body_clean = moved.final(title_clean), moved.final(body_clean)
    with ws.store.transaction() as store:
        ticket_id = ticket_id or store.next_ticket_id(client.key)
        ticket = Ticket(**{**ticket.__dict__, "id": ticket_id, "title": title_clean,
                           "body": body_clean})
        first = Event(ticket_id, 1, when, actor(), Registered(
            priority=prio, channel=ticket.channel, on_behalf=on_behalf,
            reporter=ticket.reporter, secrets=len(moved)))
        store.add_ticket(ticket, first, history([first]).status.value, ws.clock)
        if then is not None:
            then(ticket)
    return ticket


def record(
    ws: Workspace,
    ticket_id: str,
    payload: Payload,
    at: datetime | None = None,
    who: str | None = None,
) -> tuple[Event, TicketHistory]:
    """Append one event if the lifecycle allows it; refuse with the allowed next steps."""
    from .views import acceptance_rules

    ticket = require_ticket(ws, ticket_id)
    correction = isinstance(payload, Voided | Edited)
    when = ws.clock if correction and at is None else check_date(ws, at or ws.at)
    rule = acceptance_rules(ws)

    def check(events: list[Event]) -> TicketHistory:
        before = history(events, ticket=ticket, acceptance=rule, now=when)
        if not before.exists and not correction:
            raise UsageError(f"{ticket.id}'s registration was voided; nothing can be recorded")
        if not correction and before.acceptance_expired is not None:
            raise DomainError(_window_ended(ws, ticket.id, before, payload))
        last = before.last_event_at
        if not correction and last is not None and when < last:
            raise UsageError(
                f"{when.isoformat()} is before the ticket's last event"
                f" ({last.astimezone(when.tzinfo).isoformat()}); events are kept in order"
            )
        if isinstance(payload, Voided):
            check_void(events, payload.target, ticket)
        return before

    # Credentials to the vault first, outside the transaction (see move_secrets); inside,
    # only the already redacted payload is checked again and written.
    payload = with_secrets_moved(ws, ticket, payload, check)
    with ws.store.transaction() as store:
        store.lock_ticket(ticket.id)
        events = store.events(ticket.id)
        check(events)
        event = Event(ticket.id, len(events) + 1, when, who or actor(), payload)
        after = history([*events, event], ticket=ticket)
        store.insert_event(event, ws.clock)
        store.set_status(ticket.id, after.status.value if after.exists else "voided")
        if after.ticket is not None and after.ticket.client != ticket.client:
            store.set_client(ticket.id, after.ticket.client)  # the projection filters use
    return event, after


def _window_ended(ws: Workspace, ticket_id: str, h: TicketHistory, payload: Payload) -> str:
    """Why nothing can happen any more to a ticket the acceptance window closed.

    Contract: "Acceptance and testing after Resolved: 7 calendar days" («Приемка и
    тестирование после статуса Решено: 7 календарных дней»), then closed automatically:
    a problem found later is a new request.
    """
    from .views import acceptance_rule

    assert h.resolved_at is not None
    rule = acceptance_rule(ws, h.client)
    ended = rule.deadline(h.resolved_at).astimezone(ws.tz)
    what = {EventKind.REOPENED: "reopen", EventKind.ACCEPTED: "accept"}.get(
        payload.KIND, f"record {payload.KIND.value} on")
    return (f"cannot {what} {ticket_id}: its acceptance window ({rule.days} calendar days"
            f" after resolved) ended at {ended:%Y-%m-%d %H:%M %Z} and the ticket was closed"
            " automatically; a new problem needs a new ticket (sccli ticket add)")
