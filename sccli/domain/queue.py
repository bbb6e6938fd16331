"""The client queue: a client's requests are solved one after another, oldest first.

Only the head is "in work"; the others are "queued" (their reaction clocks still run).
The order changes only by agreement between client and executor, recorded as a
``reordered`` event (to the head, or before another ticket; who agreed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .events import PriorityChanged, Reordered
from .history import Reorder
from .model import DomainError, Priority, Status

# Solved (resolved, closed) or refused requests leave the queue.
QUEUED_STATUSES = frozenset({Status.NEW, Status.IN_PROGRESS, Status.AWAITING_CLIENT, Status.REOPENED})


@dataclass(frozen=True)
class QueueEntry:
    ticket_id: str
    position: int  # 1 = in work
    priority: Priority | None
    registered_at: datetime

    @property
    def in_work(self) -> bool:
        return self.position == 1


@dataclass(frozen=True)
class QueueItem:
    ticket_id: str
    registered_at: datetime
    status: Status
    priority: Priority | None
    reorders: Sequence[Reorder]


def client_queue(items: Sequence[QueueItem]) -> list[QueueEntry]:
    """Order one client's unsolved tickets: registration order, then agreed moves in time order."""
    waiting = [i for i in items if i.status in QUEUED_STATUSES]
    order = [i.ticket_id for i in sorted(waiting, key=lambda i: (i.registered_at, _seq(i.ticket_id)))]
    moves = sorted(
        (r for i in waiting for r in i.reorders),
        key=lambda r: (r.at, r.ticket_id, r.seq),
    )
    for move in moves:
        order.remove(move.ticket_id)
        before = move.before
        if before and before in order:
            order.insert(order.index(before), move.ticket_id)
        elif before:
            order.insert(0, move.ticket_id)  # the other one was solved meanwhile: still ahead
        else:
            order.insert(0, move.ticket_id)
    by_id = {i.ticket_id: i for i in waiting}
    return [
        QueueEntry(tid, pos, by_id[tid].priority, by_id[tid].registered_at)
        for pos, tid in enumerate(order, start=1)
    ]


def _seq(ticket_id: str) -> int:
    tail = ticket_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def critical_behind(queue: Sequence[QueueEntry]) -> dict[str, str]:
    """Critical tickets waiting behind a lesser one → the ticket currently in work."""
    if not queue:
        return {}
    head = queue[0]
    if head.priority is Priority.CRITICAL:
        return {}
    return {e.ticket_id: head.ticket_id for e in queue[1:] if e.priority is Priority.CRITICAL}


def check_move(
    queue: Sequence[QueueEntry], ticket_id: str, before: str | None, agreed_by: str
) -> Reordered:
    """Validate a reorder and return the event to record."""
    ids = [e.ticket_id for e in queue]
    if not agreed_by.strip():
        raise DomainError(
            "a reorder needs the client's agreement: --agreed-by 'who agreed, when, how'"
        )
    if ticket_id not in ids:
        raise DomainError(f"{ticket_id} is not waiting in its client's queue (solved or refused)")
    if before is not None:
        if before not in ids:
            raise DomainError(f"{before} is not in the same client's queue")
        if before == ticket_id:
            raise DomainError("a ticket cannot be moved before itself")
        return Reordered(before=before, agreed_by=agreed_by.strip())
    return Reordered(agreed_by=agreed_by.strip())


def check_priority_change(
    current: Priority | None, priority: Priority, agreed_by: str | None
) -> PriorityChanged:
    """Validate a priority change and return the event to record.

    Contract: "Exception: the priority or order may be changed by agreement between client
    and executor" (Russian original: "Исключением может быть изменение приоритета,
    последовательности решения заявок по согласованию клиента и Исполнителя"). A change
    of a priority already given records who agreed; giving a priority where none was
    given is the executor's classification and needs no agreement.
    """
    who = (agreed_by or "").strip()
    if current is not None and not who:
        raise DomainError(
            f"changing the priority from {current.value} to {priority.value} needs the"
            " client's agreement: --agreed-by 'who agreed, when, how'"
        )
    return PriorityChanged(priority=priority, previous=current, agreed_by=who or None)
