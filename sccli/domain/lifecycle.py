"""The ticket lifecycle of DESIGN.md: legal transitions, and state folded from events.

new → in progress → (awaiting client ⇄ in progress) → resolved → closed;
resolved → reopened → in progress; any open state → rejected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .model import DomainError, Event, EventKind, Priority, RejectReason, Source, Status

S, K = Status, EventKind
_ACTIVE = (S.NEW, S.IN_PROGRESS, S.AWAITING_CLIENT, S.REOPENED)

# kind → {status it may happen in: status it leads to}
TRANSITIONS: dict[EventKind, dict[Status, Status]] = {
    K.RESPONDED: {S.NEW: S.IN_PROGRESS, S.IN_PROGRESS: S.IN_PROGRESS, S.REOPENED: S.IN_PROGRESS},
    K.ASKED: {
        S.NEW: S.AWAITING_CLIENT,
        S.IN_PROGRESS: S.AWAITING_CLIENT,
        S.REOPENED: S.AWAITING_CLIENT,
    },
    K.ANSWERED: {S.AWAITING_CLIENT: S.IN_PROGRESS},
    K.RESOLVED: {S.IN_PROGRESS: S.RESOLVED},
    K.ACCEPTED: {S.RESOLVED: S.CLOSED},
    K.AUTO_ACCEPTED: {S.RESOLVED: S.CLOSED},
    K.REOPENED: {S.RESOLVED: S.REOPENED},
    K.REJECTED: {s: S.REJECTED for s in _ACTIVE},
}
# Facts that change no status but are only recorded while the ticket is not final.
_ANNOTATIONS = {
    K.PRIORITY_CHANGED,
    K.SOURCE_SET,
    K.ESTIMATE_SET,
    K.REORDERED,
    K.NOTE,
}

# What a user types on the command line for each transition.
COMMAND_OF = {
    K.RESPONDED: "respond",
    K.ASKED: "ask",
    K.ANSWERED: "answer",
    K.RESOLVED: "resolve",
    K.ACCEPTED: "accept",
    K.AUTO_ACCEPTED: "auto-accept",
    K.REOPENED: "reopen",
    K.REJECTED: "reject",
}


def allowed_commands(status: Status) -> list[str]:
    return [
        COMMAND_OF[kind]
        for kind, table in TRANSITIONS.items()
        if status in table and kind is not K.AUTO_ACCEPTED
    ]


def next_status(current: Status, kind: EventKind) -> Status:
    """The status after ``kind`` happens in ``current``; refuses illegal steps."""
    if kind in _ANNOTATIONS:
        if current.is_final:
            raise DomainError(f"ticket is {current.value}: nothing can be changed any more")
        return current
    table = TRANSITIONS.get(kind)
    if table is None or current not in table:
        allowed = allowed_commands(current)
        hint = ", ".join(allowed) if allowed else "none (the ticket is final)"
        raise DomainError(
            f"cannot {COMMAND_OF.get(kind, kind.value)} a ticket that is {current.value}"
            f" (allowed next: {hint})"
        )
    return table[current]


@dataclass(frozen=True)
class Estimate:
    at: datetime
    estimate: datetime
    actor: str
    reason: str | None


@dataclass
class TicketState:
    """Everything derivable from a ticket's events."""

    status: Status = S.NEW
    priority: Priority | None = None
    source: Source | None = None
    party: str | None = None
    estimates: list[Estimate] = field(default_factory=list)
    reject_reason: RejectReason | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    last_event_at: datetime | None = None

    @property
    def estimate(self) -> datetime | None:
        return self.estimates[-1].estimate if self.estimates else None


def apply(state: TicketState, event: Event) -> TicketState:
    """Fold one event into the state (mutates and returns ``state`` for speed)."""
    kind, data = event.kind, event.data
    if kind is K.REGISTERED:
        state.status = S.NEW
        prio = data.get("priority")
        state.priority = Priority(prio) if prio else None
        state.last_event_at = event.at
        return state
    state.status = next_status(state.status, kind)
    state.last_event_at = event.at
    if kind in (K.RESPONDED, K.ASKED) and state.first_response_at is None:
        state.first_response_at = event.at
    elif kind is K.PRIORITY_CHANGED:
        state.priority = Priority(data["priority"])
    elif kind is K.SOURCE_SET:
        state.source = Source(data["source"])
        state.party = data.get("party")
    elif kind is K.ESTIMATE_SET:
        state.estimates.append(
            Estimate(
                event.at, datetime.fromisoformat(data["estimate"]), event.actor, data.get("reason")
            )
        )
    elif kind is K.RESOLVED:
        state.resolved_at = event.at
    elif kind in (K.ACCEPTED, K.AUTO_ACCEPTED):
        state.closed_at = event.at
    elif kind is K.REJECTED:
        state.reject_reason = RejectReason(data["reason"])
        state.closed_at = event.at
    return state


def fold(events: Iterable[Event]) -> TicketState:
    state = TicketState()
    for event in events:
        apply(state, event)
    return state


def check_estimate(state: TicketState, reason: str | None) -> None:
    """The first estimate needs no reason; every extension does (contract: objective causes)."""
    if state.estimates and not (reason and reason.strip()):
        raise DomainError(
            "extending the resolution estimate needs a reason (use --reason TEXT,"
            " e.g. 'new problems found')"
        )


def current_priority(events: Iterable[Event]) -> Priority | None:
    """The priority in force, without folding the whole history (hot path of SLA views)."""
    priority = None
    for event in events:
        if event.kind is K.REGISTERED or event.kind is K.PRIORITY_CHANGED:
            value = event.data.get("priority")
            priority = Priority(value) if value else None
    return priority
