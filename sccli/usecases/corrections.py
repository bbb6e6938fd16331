"""Use cases that correct a ticket's history: void an event, edit the registration facts.

Separate from ``tickets`` (the write path and registration) because a correction never
changes what happened, only what is known: it is a new event that names what it corrects
(the log stays append-only, the old values stay in the history), recorded at the clock
and exempt from the ordering and acceptance-window checks ``tickets.record`` applies to
other steps.
"""

from __future__ import annotations

from ..domain.contacts import normalize_email
from ..domain.events import Edited, Event, Voided
from ..errors import UsageError
from .clients import require_client
from .context import Workspace
from .tickets import MAX_TITLE, check_body, check_text, load, record


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
        title=check_text(title, "title", MAX_TITLE) if title is not None else None,
        body=check_body(body) if body is not None else None,
        reporter=normalize_email(reporter) if reporter else None,
        client=new_client if new_client != h.ticket.client else None,
        reason=reason.strip(),
    )
    return record(ws, h.ticket_id, payload)[0]


def parse_seq(text: str) -> int:
    """The event number a void names ("4" or "#4")."""
    raw = text.strip().lstrip("#")
    if not raw.isdigit():
        raise UsageError(f"{text!r} is not an event number (see `sccli ticket show ID`)")
    return int(raw)

