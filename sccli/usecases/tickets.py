"""Use cases that change tickets: register, record a step, set fields, void, edit.

One write path (``record``): the ticket's history is folded, the new event must be legal
in it, dated no earlier than its last event and no later than the clock (unless the user
says ``--future``), texts are redacted before anything is stored, and the event and the
projections (status, client) are written in one transaction.

Secrets move to the vault *before* that transaction (``move_secrets``): a keyring that is
slow or blocks never holds the store's write lock. The reference numbers they get are
reserved first, in a transaction of their own (``reserve_secret_numbers``), so two writers
never give one number to two values, whichever machine they run on.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from ..domain.contacts import normalize_email
from ..domain.events import (
    Accepted,
    Answered,
    Asked,
    Confirmed,
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
    DomainError,
    EventKind,
    Priority,
    RejectReason,
    Source,
    Ticket,
)
from ..domain.queue import check_priority_change
from ..domain.routing import check_fixed_by
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


_TEXT_FIELDS = ("message", "title", "body", "reason", "agreed_by")


def _payload_texts(payload: Payload) -> dict[str, str]:
    texts = {name: getattr(payload, name) for name in _TEXT_FIELDS
             if isinstance(getattr(payload, name, None), str) and getattr(payload, name)}
    if isinstance(payload, Rejected):  # its reason is an enum, not text
        texts.pop("reason", None)
    return texts


def _with_secrets_moved(ws: Workspace, ticket: Ticket, payload: Payload,
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
    payload = _with_secrets_moved(ws, ticket, payload, check)
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


def transition(ws: Workspace, ticket_id: str, kind: EventKind, message: str) -> TicketHistory:
    """respond, ask, answer, resolve, accept, reopen: a step with the message said."""
    message = message.strip()
    if not message:
        raise UsageError("the message (-m) is empty; say what was done or asked")
    cls = _SAID_KINDS.get(kind)
    if cls is None:
        raise UsageError(f"{kind.value} is not a step with a message")
    return record(ws, ticket_id, cls(message=message))[1]


def reject(ws: Workspace, ticket_id: str, reason: str, message: str
           ) -> tuple[Event, TicketHistory]:
    """Refuse the service on one of the contract's three grounds, when the ticket's history
    supports the ground (``domain.refusals.check_ground``: "The executor may refuse the
    service when: …"). The text recorded with the rejection is the message to the client:
    the ground quoted from the contract in the client's language, then ``message`` (the
    explanation; required for ``unreasonable``). Nothing is written when a check fails."""
    from ..domain.intake import detect_language
    from ..domain.lifecycle import next_status
    from ..domain.refusals import check_ground, refusal_message

    ground = RejectReason.parse(reason)
    h = load(ws, ticket_id)
    ticket = h.ticket
    assert ticket is not None
    next_status(h.status, EventKind.REJECTED)  # an illegal step first, with the allowed ones
    check_ground(ground, h, ws.store.contacts(h.client), message)
    language = detect_language(f"{ticket.title}\n{ticket.body}")
    text = refusal_message(ground, language, ticket.id, ticket.title, message)
    return record(ws, ticket.id, Rejected(reason=ground, message=text))


def note(ws: Workspace, ticket_id: str, message: str, public: bool) -> Event:
    text = message.strip()
    if not text:
        raise UsageError("the message (-m) is empty")
    return record(ws, ticket_id, Note(message=text, public=public))[0]


def confirm(ws: Workspace, ticket_id: str, by: str, message: str) -> Event:
    """Record that the client's authorized person confirmed a request someone else sent.

    Contract: a request "must come from the client's authorized person"; ``by`` must be
    the authorized contact in force now (the confirmation is theirs, not the sender's).
    """
    from ..domain.contacts import authorized_at

    if not message.strip():
        raise UsageError("say how the confirmation came (-m TEXT, e.g. 'letter of 25.11')")
    h = load(ws, ticket_id)
    email = normalize_email(by)
    contact = authorized_at(ws.store.contacts(h.client), ws.at)
    if contact is None or contact.email != email:
        current = contact.email if contact else "none appointed"
        raise UsageError(f"{email} is not {h.client}'s authorized contact ({current});"
                         " only the authorized person can confirm a request")
    return record(ws, h.ticket_id, Confirmed(by=email, message=message.strip()))[0]


def set_fields(
    ws: Workspace,
    ticket_id: str,
    priority: str | None = None,
    source: str | None = None,
    party: str | None = None,
    estimate: datetime | None = None,
    reason: str | None = None,
    fixed_by: str | None = None,
    agreed_by: str | None = None,
) -> Ticket:
    """Priority (a change records who agreed), problem source (with its party and who fixes
    it) and resolution estimate, in one step.

    ``fixed_by`` ("executor" or "owner") records the decision the contract leaves open for
    another partner's project layer and the client's internal team: "the executor
    identifies the source, then helps deal with that partner, or fixes it for an extra
    fee" — billable only when the executor fixes it. Without ``source`` it applies to the
    recorded source; a new ``source`` without it keeps the decision only when the source
    stays the same.
    """
    if agreed_by is not None and not priority:
        raise UsageError("--agreed-by goes with --priority")
    if not (priority or source or estimate or fixed_by):
        raise UsageError("nothing to set: give --priority, --source, --fixed-by or --estimate")
    if party and not source:
        raise UsageError("--party goes with --source")
    if reason and not estimate:
        raise UsageError("--reason goes with --estimate")
    ticket = require_ticket(ws, ticket_id)
    prio = Priority.parse(priority) if priority else None
    change: PriorityChanged | None = None
    if prio:  # refused before anything is written (the vault included); credentials in
        # the agreement go to the vault before the transaction, not inside it
        moved = _with_secrets_moved(
            ws, ticket, _priority_checked(ws, ticket.id, prio, agreed_by),
            lambda events: _priority_history(ws, ticket.id, prio, agreed_by))
        assert isinstance(moved, PriorityChanged)
        change = moved
    src = Source.parse(source) if source else None
    if party and party not in ws.settings.parties:
        known = ", ".join(ws.settings.parties) or "none"
        raise UsageError(f"unknown party {party!r} (parties in sccli.yaml: {known})")
    est: Payload | None = None
    if estimate:  # its reason's credentials go to the vault before the transaction
        est = EstimateSet(estimate=estimate, reason=reason.strip() if reason else None)
        est = _with_secrets_moved(ws, ticket, est,
                                  lambda events: _estimate_checked(ws, ticket.id, estimate,
                                                                   reason))
    if fixed_by is not None:  # refused before anything is written
        check_fixed_by(ws.sla.routing, src or load(ws, ticket.id).source, fixed_by)
    with ws.store.transaction():
        if prio and change is not None:
            h = _priority_history(ws, ticket.id, prio, agreed_by)
            record(ws, ticket.id, replace(change, previous=h.priority))
        if src or fixed_by:
            record(ws, ticket.id, _source_set(load(ws, ticket.id), src, party, fixed_by,
                                              ws.sla.routing))
        if est is not None and estimate is not None:  # (est is built from estimate)
            _estimate_checked(ws, ticket.id, estimate, reason)
            record(ws, ticket.id, est)
    return ticket


def _source_set(h: TicketHistory, src: Source | None, party: str | None,
                fixed_by: str | None, table) -> SourceSet:
    """The whole routing decision as one event: source, party and who fixes it."""
    if src is None:  # --fixed-by alone: the recorded source and party stay
        assert h.source is not None and fixed_by is not None
        return SourceSet(source=h.source, party=h.party,
                         fixed_by=check_fixed_by(table, h.source, fixed_by))
    if fixed_by is not None:
        return SourceSet(source=src, party=party, fixed_by=check_fixed_by(table, src, fixed_by))
    return SourceSet(source=src, party=party, fixed_by=h.fixed_by if src is h.source else None)


def _priority_checked(
    ws: Workspace, ticket_id: str, priority: Priority, agreed_by: str | None
) -> PriorityChanged:
    return check_priority_change(load(ws, ticket_id).priority, priority, agreed_by)


def _priority_history(
    ws: Workspace, ticket_id: str, priority: Priority, agreed_by: str | None
) -> TicketHistory:
    h = load(ws, ticket_id)
    check_priority_change(h.priority, priority, agreed_by)
    return h


def _estimate_checked(
    ws: Workspace, ticket_id: str, estimate: datetime, reason: str | None
) -> TicketHistory:
    h = load(ws, ticket_id)
    check_estimate(h, estimate, reason)
    return h


def set_estimate(ws: Workspace, ticket_id: str, estimate: datetime, reason: str | None) -> None:
    h = _estimate_checked(ws, ticket_id, estimate, reason)
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


def ask_missing(ws: Workspace, ticket_id: str) -> tuple[str, list[str]]:
    """Record the clarification request for what the ticket lacks; starts the feedback clock."""
    from ..domain.intake import check_intake, clarification_request

    h = load(ws, ticket_id)
    ticket = h.ticket
    assert ticket is not None
    intake = check_intake(ticket.title, ticket.body)
    if not intake.missing:
        raise UsageError(f"{ticket.id} has everything the contract asks for; nothing to ask")
    text = clarification_request(intake.missing, intake.language, ticket.id, ticket.title,
                                 intake.kind)
    missing = [item.value for item in intake.missing]
    record(ws, ticket.id, Asked(message=text, missing=tuple(missing)))
    return text, missing


def ask_access(ws: Workspace, ticket_id: str, needs: list[str], message: str | None
               ) -> tuple[Event, str]:
    """Ask the client for remote access or a hardware fix (contract: the executor may refuse
    when "the problem is caused by broken client hardware or missing remote access that the
    client does not fix or provide"): the question a ``no-access`` refusal needs first.
    ``message`` replaces the generated text (the items asked for are recorded either way)."""
    from ..domain.intake import detect_language
    from ..domain.refusals import access_request

    h = load(ws, ticket_id)
    ticket = h.ticket
    assert ticket is not None
    needs = list(dict.fromkeys(needs))
    text = access_request(needs, detect_language(f"{ticket.title}\n{ticket.body}"), ticket.id,
                          ticket.title)
    if message is not None:
        if not message.strip():
            raise UsageError("the message (-m) is empty; say what the client should provide")
        text = message.strip()
    event, _ = record(ws, ticket.id, Asked(message=text, missing=tuple(needs)))
    return event, getattr(event.payload, "message", text)  # as stored (redacted)


def parse_seq(text: str) -> int:
    raw = text.strip().lstrip("#")
    if not raw.isdigit():
        raise UsageError(f"{text!r} is not an event number (see `sccli ticket show ID`)")
    return int(raw)

