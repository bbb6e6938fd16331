"""Use cases for the contract's lifecycle steps on a ticket, each one event through
``tickets.record``: respond, ask, answer, resolve, accept and reopen with the message said;
reject on one of the contract's grounds; ask the client for what a request lacks or for
access; the authorized person's confirmation; notes.

Separate from ``tickets`` (the write path and registration) because each step here builds
the text that goes to the client (refusal grounds, clarification and access requests) from
the domain's rules; the lifecycle itself (which step is legal when) is checked by
``record``.
"""

from __future__ import annotations

from ..domain.contacts import normalize_email
from ..domain.events import (
    Accepted,
    Answered,
    Asked,
    Confirmed,
    Event,
    Note,
    Rejected,
    Reopened,
    Resolved,
    Responded,
)
from ..domain.history import TicketHistory
from ..domain.model import EventKind, RejectReason
from ..errors import UsageError
from .context import Workspace
from .tickets import load, record

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
