"""The client queue: a client's requests are solved one after another, oldest first.

Only the head is "in work"; the others are "queued" (their reaction clocks still run).
The order changes only by agreement between client and executor, recorded as a
``reordered`` event (to the head, or before another ticket; who agreed); a priority
change of a priority already given records who agreed too (:func:`check_priority_change`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    head: str = ""  # the ticket in work (position 1) of this queue
    agreements: tuple[Reorder, ...] = ()  # this ticket's agreed moves, in recording order

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
    """Order one client's unsolved tickets: registration order, then agreed moves in
    recording order.

    Contract: "Requests are solved one after another: the executor starts analysing a
    client's next request only after the previous one is solved. Exception: the priority
    or order may be changed by agreement between client and executor." (Russian original:
    "Заявки решаются последовательно … Исключением может быть изменение приоритета,
    последовательности решения заявок по согласованию клиента и Исполнителя".)

    An agreed move is durable and relative: "A before X" puts A just ahead of X and
    changes nothing else; "A first" puts A ahead of every ticket then in the queue. The
    moves are applied to every ticket given, solved or refused ones included (they keep
    their places as anchors), and only then are those left out: when X is solved, A keeps
    its place relative to the remaining tickets instead of jumping to the head. Give the
    tickets that agreed moves name (``before``) even when they have left the queue.

    Moves dated the same instant apply in recording order (``Reorder.order``, the
    client's agreement number; moves recorded by an older sccli have none and fall back
    to the ticket's number, then the event's).
    """
    waiting = {i.ticket_id for i in items if i.status in QUEUED_STATUSES}
    if not waiting:
        return []
    ranked = sorted(items, key=lambda i: (i.registered_at, _seq(i.ticket_id)))
    order = [i.ticket_id for i in ranked]
    moves = sorted(
        (r for i in items for r in i.reorders),
        key=lambda r: (r.at, r.order, _seq(r.ticket_id), r.seq),
    )
    for move in moves:
        before = move.before
        if before is not None and (before not in order or before == move.ticket_id):
            continue  # the other ticket is unknown here: the agreement moves nothing
        order.remove(move.ticket_id)
        order.insert(order.index(before) if before is not None else 0, move.ticket_id)
    by_id = {i.ticket_id: i for i in items}
    queue = [tid for tid in order if tid in waiting]
    return [
        QueueEntry(tid, pos, by_id[tid].priority, by_id[tid].registered_at, queue[0],
                   tuple(by_id[tid].reorders))
        for pos, tid in enumerate(queue, start=1)
    ]


def _seq(ticket_id: str) -> int:
    tail = ticket_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def critical_behind(queue: Sequence[QueueEntry]) -> dict[str, str]:
    """Critical tickets waiting behind a lesser one → the first lesser ticket ahead of it
    (the head when the ticket in work is lesser).

    Every lesser ticket ahead counts, not only the head: a critical ticket at #3 behind a
    critical #1 and a medium #2 waits for the medium one too.
    """
    out: dict[str, str] = {}
    lesser: str | None = None
    for e in queue:
        if e.priority is Priority.CRITICAL:
            if lesser is not None:
                out[e.ticket_id] = lesser
        elif lesser is None:
            lesser = e.ticket_id
    return out


def next_agreement(reorders: Iterable[Reorder]) -> int:
    """The number of the client's next agreed move (same-second moves apply in this order)."""
    return max((r.order for r in reorders), default=0) + 1


def check_move(
    queue: Sequence[QueueEntry], ticket_id: str, before: str | None, agreed_by: str,
    order: int = 0,
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
        return Reordered(before=before, agreed_by=agreed_by.strip(), order=order)
    return Reordered(agreed_by=agreed_by.strip(), order=order)


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
