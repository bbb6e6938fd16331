"""The ticket lifecycle of DESIGN.md: which step is legal in which status (the fold that
applies it is ``history.py``).

new → in progress → (awaiting client ⇄ in progress) → resolved → closed;
resolved → reopened → in progress; any open state → rejected. Contract over time: "From
awaiting-client the executor may ask again (another round) or resolve (the acceptance
window then runs), so a ticket whose client never answers can end." — so awaiting client
→ awaiting client (a new question supersedes the unanswered one) and awaiting client →
resolved (the open question's clock stops); the fold in ``history.py`` stops those clocks.
"""

from __future__ import annotations

from .model import DomainError, EventKind, Status

S, K = Status, EventKind
_ACTIVE = (S.NEW, S.IN_PROGRESS, S.AWAITING_CLIENT, S.REOPENED)

# kind → {status it may happen in: status it leads to}
TRANSITIONS: dict[EventKind, dict[Status, Status]] = {
    K.RESPONDED: {S.NEW: S.IN_PROGRESS, S.IN_PROGRESS: S.IN_PROGRESS, S.REOPENED: S.IN_PROGRESS},
    K.ASKED: {
        S.NEW: S.AWAITING_CLIENT,
        S.IN_PROGRESS: S.AWAITING_CLIENT,
        S.REOPENED: S.AWAITING_CLIENT,
        S.AWAITING_CLIENT: S.AWAITING_CLIENT,  # another round: supersedes the open question
    },
    K.ANSWERED: {S.AWAITING_CLIENT: S.IN_PROGRESS},
    # From awaiting client too: a client who never answers cannot keep a ticket open.
    K.RESOLVED: {S.IN_PROGRESS: S.RESOLVED, S.AWAITING_CLIENT: S.RESOLVED},
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
    K.CONFIRMED,
    K.ALERTED,
}
# Corrections of mistakes: allowed in any status, they change none.
CORRECTIONS = frozenset({K.VOIDED, K.EDITED})

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
    if kind in CORRECTIONS:
        return current
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
