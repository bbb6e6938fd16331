"""The intake role of a tracker: where client requests arrive and client-facing answers go.

A tracker plays one of two roles (``role:`` in sccli.yaml, checked against the adapter's
``roles``):

* **escalation** — a party's tracker (vendor, partner): sccli creates an issue for a
  ticket there, comments, and reads the party's replies (``sccli.adapters.base.Adapter``).
* **intake** — the executor's single window (the BPMSoft Customer Success Portal; later
  the support mailbox): a client's request there becomes a ticket, the client's messages
  become answers or notes, and the executor's responses, questions, resolutions,
  reopenings, rejections and public notes are written back, visible to the client, with
  the request's status moved to match.

An intake adapter implements :class:`Intake` beside ``Adapter``; what a role does not use,
its adapter need not implement (an intake-only adapter raises ``NotImplementedError`` from
``create``/``find_by_marker``; sync never calls them for an intake).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .base import RemoteComment

ESCALATION = "escalation"
INTAKE = "intake"
ROLES = (ESCALATION, INTAKE)

# What the executor did, as an intake's status moves (the adapter maps each to its own
# status, by the status flags where the tracker has them).
STEP_RESPONDED = "responded"  # first response: work started
STEP_ASKED = "asked"  # a clarifying question: waiting for the client (the clock pauses)
STEP_RESOLVED = "resolved"
STEP_REOPENED = "reopened"
STEP_REJECTED = "rejected"
STEP_CLOSED = "closed"
STEPS = (STEP_RESPONDED, STEP_ASKED, STEP_RESOLVED, STEP_REOPENED, STEP_REJECTED,
         STEP_CLOSED)


@dataclass(frozen=True)
class IncomingRequest:
    """A client's request as the intake holds it (times aware, UTC)."""

    id: str  # the intake's id (a BPMSoft Case Id)
    number: str  # what people call it (SR00000042)
    url: str
    account: str  # the client's account as the intake names it (sync maps it through
    # trackers.NAME.accounts), or the client key an adapter already mapped through that map
    reporter: str  # the contact's e-mail
    registered_at: datetime
    updated_at: datetime
    title: str
    body: str
    state: str  # "open" | "paused" | "resolved" | "closed" (from the status flags)
    status_name: str = ""  # the intake's own status name, for people
    channel: str | None = None  # sccli Channel value mapped from the origin
    priority: str | None = None  # sccli Priority value mapped from the intake's priority
    messages: tuple[RemoteComment, ...] = ()  # client-visible messages, oldest first
    attachments: tuple[str, ...] = ()  # file names
    ticket: str | None = None  # the sccli ticket it became (from sccli's marker), if any
    deadlines: Mapping[str, datetime] = field(default_factory=dict)  # the intake's own:
    # "response", "solution", "responded" (actual first response), when it sends them


class Intake(ABC):
    """The calls sync makes on an intake."""

    @abstractmethod
    def requests_changed_since(self, since: datetime | None) -> Iterator[IncomingRequest]:
        """Every request (new or changed) updated at/after ``since`` (None: all), oldest
        change first, streamed page by page; messages need not be loaded (``request``)."""

    @abstractmethod
    def request(self, request_id: str) -> IncomingRequest:
        """One request with its client-visible messages."""

    @abstractmethod
    def bind(self, request_id: str, ticket: str) -> None:
        """Record on the intake that ``request_id`` is sccli ticket ``ticket`` (its marker),
        so a lost store can relink; idempotent."""

    @abstractmethod
    def reply(self, request_id: str, body: str, origin: str, step: str | None
              ) -> RemoteComment:
        """Write a client-visible message carrying ``origin``'s marker, and move the
        request's status for ``step`` (one of ``STEPS``; None: a message only)."""
