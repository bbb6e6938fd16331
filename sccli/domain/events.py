"""The typed event log: one frozen payload class per event kind, one envelope for them all.

Why typed: every rule of the contract is a function of a ticket's events. A payload is
built by its class, so a misspelt field is a ``TypeError`` at the writer, not valid JSON
that silently disables a rule; and the fold (``history.py``) matches on the classes, so
the type checker points at every place that forgets a new kind (``assert_never``).

The envelope (:class:`Event`) holds what every event has: ticket, sequence number, when
it happened, who recorded it. Its payload may be decoded lazily: the store hands over the
stored text and a decoder, and the text is decoded only when a rule reads the payload
(`sla check` over a million events needs the payloads of only a few kinds).

Adding an event kind: add its payload class here and to ``Payload``, a value to
``EventKind``, its case to ``history.fold`` and to the renderer (``describe``); the codec
(``store/codec.py``) encodes any payload by its fields. mypy then reports every ``match``
that does not handle it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, TypeVar, dataclass_transform

from .model import Channel, EventKind, Priority, RejectReason, Source

K = EventKind

_C = TypeVar("_C")


@dataclass_transform(frozen_default=True, kw_only_default=True)
def _frozen(cls: type[_C]) -> type[_C]:
    """``dataclass(frozen=True, slots=True, kw_only=True)``, named so type checkers see it."""
    return dataclass(frozen=True, slots=True, kw_only=True)(cls)


@_frozen
class Said:
    """Base of the kinds that carry a message to or from the client."""

    KIND: ClassVar[EventKind]
    message: str = ""
    secrets: int = 0  # credentials moved out of the message into the vault


@_frozen
class Registered:
    KIND: ClassVar[EventKind] = K.REGISTERED
    priority: Priority | None = None
    channel: Channel = Channel.PORTAL
    on_behalf: bool = False
    reporter: str = ""
    secrets: int = 0


@_frozen
class Responded(Said):
    KIND: ClassVar[EventKind] = K.RESPONDED


@_frozen
class Asked(Said):
    KIND: ClassVar[EventKind] = K.ASKED
    missing: tuple[str, ...] = ()  # intake items asked for (``ticket ask --missing``)


@_frozen
class Answered(Said):
    KIND: ClassVar[EventKind] = K.ANSWERED


@_frozen
class Resolved(Said):
    KIND: ClassVar[EventKind] = K.RESOLVED


@_frozen
class Accepted(Said):
    KIND: ClassVar[EventKind] = K.ACCEPTED


@_frozen
class AutoAccepted(Said):
    KIND: ClassVar[EventKind] = K.AUTO_ACCEPTED


@_frozen
class Reopened(Said):
    KIND: ClassVar[EventKind] = K.REOPENED


@_frozen
class Rejected(Said):
    KIND: ClassVar[EventKind] = K.REJECTED
    reason: RejectReason


@_frozen
class PriorityChanged:
    KIND: ClassVar[EventKind] = K.PRIORITY_CHANGED
    priority: Priority
    previous: Priority | None = None
    rule: str | None = None  # the priority rule that suggested it (``triage --apply``)
    # Who agreed on the client's side (contract: "the priority or order may be changed by
    # agreement between client and executor"); None: the first priority set, or an old store
    agreed_by: str | None = None


@_frozen
class SourceSet:
    KIND: ClassVar[EventKind] = K.SOURCE_SET
    source: Source
    party: str | None = None
    # who fixes a billable-if-fixed source: "executor" (for a fee) or "owner"; None: open
    fixed_by: str | None = None


@_frozen
class EstimateSet:
    KIND: ClassVar[EventKind] = K.ESTIMATE_SET
    estimate: datetime
    reason: str | None = None  # required when extending (the fold keeps the ledger)


@_frozen
class Reordered:
    """An agreed move in the client's queue: to the head (``before`` None) or before another."""

    KIND: ClassVar[EventKind] = K.REORDERED
    agreed_by: str
    before: str | None = None
    # The client's agreements are numbered as recorded: moves dated the same second apply in
    # this order (0: recorded by an older sccli; those fall back to registration order).
    order: int = 0


@_frozen
class Note(Said):
    KIND: ClassVar[EventKind] = K.NOTE
    public: bool = False  # sent to the linked trackers by sync
    origin: str | None = None  # "<tracker>:<comment id>" when pulled from a tracker
    author: str | None = None  # the remote author of a pulled comment
    remote: str | None = None  # the remote issue it was pulled from
    verify: bool = False  # the owner party closed its issue: verify before resolving


@_frozen
class Confirmed(Said):
    """The client's authorized person confirmed a request someone else sent (contract: a
    request "must come from the client's authorized person")."""

    KIND: ClassVar[EventKind] = K.CONFIRMED
    by: str  # the authorized contact who confirmed (their e-mail)


@_frozen
class Alerted:
    """A time-driven fact `sccli tick` recorded once, dated when it happened (its notice
    is queued in the same transaction): a feedback window passed unanswered ("client
    overdue"), a reaction clock reached its warning share or breached, a resolution
    estimate passed, an escalation went unanswered. Changes no status and no clock."""

    KIND: ClassVar[EventKind] = K.ALERTED
    fact: str  # client-overdue | reaction-warning | reaction-breached | estimate-passed | …
    key: str  # unique within the ticket: the fact is recorded once per key
    due: datetime | None = None  # the deadline (or estimate) that passed
    detail: str = ""


@_frozen
class Voided:
    """Cancels one earlier event; the log stays append-only, the fold ignores the target."""

    KIND: ClassVar[EventKind] = K.VOIDED
    target: int  # the seq of the voided event
    reason: str


@_frozen
class Edited:
    """Corrects registration facts; ``None`` leaves a field as it was."""

    KIND: ClassVar[EventKind] = K.EDITED
    title: str | None = None
    body: str | None = None
    reporter: str | None = None
    client: str | None = None
    reason: str = ""
    secrets: int = 0


Payload = (
    Registered
    | Responded
    | Asked
    | Answered
    | Resolved
    | Accepted
    | AutoAccepted
    | Reopened
    | Rejected
    | PriorityChanged
    | SourceSet
    | EstimateSet
    | Reordered
    | Note
    | Confirmed
    | Alerted
    | Voided
    | Edited
)

PAYLOAD_CLASSES: dict[EventKind, type[Payload]] = {
    cls.KIND: cls
    for cls in (
        Registered, Responded, Asked, Answered, Resolved, Accepted, AutoAccepted, Reopened,
        Rejected, PriorityChanged, SourceSet, EstimateSet, Reordered, Note, Confirmed, Voided,
        Edited, Alerted,
    )
}  # fmt: skip
assert set(PAYLOAD_CLASSES) == set(EventKind), "every EventKind needs its payload class"

Decoder = Callable[["Event"], Payload]


class Event:
    """One fact in a ticket's append-only history.

    Immutable by convention (slots, no setters); ``payload`` is decoded on first read when
    the store built the event from its stored text.
    """

    __slots__ = ("ticket_id", "seq", "kind", "at", "actor", "recorded_at", "_payload", "raw",
                 "_decode")

    def __init__(
        self,
        ticket_id: str,
        seq: int,
        at: datetime,
        actor: str,
        payload: Payload,
        recorded_at: datetime | None = None,
    ) -> None:
        if at.tzinfo is None:
            raise ValueError(f"naive datetime {at!r}: events happen at an aware instant")
        self.ticket_id = ticket_id
        self.seq = seq
        self.kind: EventKind = payload.KIND
        self.at = at
        self.actor = actor
        self.recorded_at = recorded_at
        self._payload: Payload | None = payload
        self.raw: str | None = None  # the stored text, when read from a store
        self._decode: Decoder | None = None

    @classmethod
    def stored(
        cls,
        ticket_id: str,
        seq: int,
        kind: EventKind,
        at: datetime,
        actor: str,
        raw: str,
        decode: Decoder,
        recorded_at: datetime | None = None,
    ) -> Event:
        """An event read from the store, its payload decoded only when first read."""
        event = cls.__new__(cls)
        event.ticket_id, event.seq, event.kind, event.at = ticket_id, seq, kind, at
        event.actor, event.recorded_at = actor, recorded_at
        event._payload, event.raw, event._decode = None, raw, decode
        return event

    @property
    def payload(self) -> Payload:
        payload = self._payload
        if payload is None:
            assert self._decode is not None
            payload = self._payload = self._decode(self)
        return payload

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return (self.ticket_id, self.seq, self.kind, self.at, self.actor, self.payload) == (
            other.ticket_id, other.seq, other.kind, other.at, other.actor, other.payload)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Event({self.ticket_id!r}, {self.seq}, {self.at.isoformat()}, {self.actor!r},"
                f" {self.payload!r})")


__all__ = [
    "Accepted", "Alerted", "Answered", "Asked", "AutoAccepted", "Edited", "EstimateSet", "Event", "Note",
    "PAYLOAD_CLASSES", "Payload", "PriorityChanged", "Registered", "Rejected", "Reopened",
    "Reordered", "Resolved", "Responded", "Said", "SourceSet", "Voided",
]
