"""What in a ticket's history waits for an engineer. Pure: a history and clock readings in,
the reasons out; triage shows them and puts these tickets ahead of the rest.

- A remote close waiting for verification: the owner party closed its issue (sync records a
  note with ``verify``); the contract leaves acceptance to the client ("Acceptance and
  testing after a request is set to "Resolved": 7 calendar days"), so the engineer verifies
  the fix with the client and resolves the ticket; sccli never resolves it on its own.
- A reply: the client's answer to a clarifying question ("The client answers the
  executor's clarifying questions within 2 business days"), or a comment pulled from the
  owner party's tracker, recorded after the executor's last action on the ticket.
- An overdue answer: the executor's first response past its reaction time ("reaction time,
  critical priority: 30 minutes …"), or the client's answer past its 2 business days.

Each reason stands until the executor acts on the ticket after it (responds, asks,
resolves, rejects, sets an estimate or writes a note), or, for a remote close, until the
party reopens its issue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .clocks import ClockReading, ClockState
from .events import Answered, Asked, EstimateSet, Note, Rejected, Resolved, Responded
from .history import TicketHistory

__all__ = ["Attention", "Reason", "advise", "needs_engineer"]


class Attention(StrEnum):
    VERIFY_REMOTE_CLOSE = "verify-remote-close"
    CLIENT_REPLIED = "client-replied"
    PARTY_REPLIED = "party-replied"
    ANSWER_OVERDUE = "answer-overdue"  # the executor's first response
    CLIENT_ANSWER_OVERDUE = "client-answer-overdue"


@dataclass(frozen=True)
class Reason:
    what: Attention
    at: datetime | None  # when the fact was recorded, or the deadline that passed
    detail: str = ""  # the tracker and remote issue, the reply's author


_EXECUTOR_ACTS = (Responded, Asked, Resolved, Rejected, EstimateSet)


def needs_engineer(state: TicketHistory,
                   readings: Sequence[ClockReading]) -> tuple[Reason, ...]:
    """Why an engineer must look at this open ticket now (empty: nothing new)."""
    if not state.status.is_open:
        return ()
    verify: Reason | None = None
    replies: list[Reason] = []
    for ev in state.events:
        p = ev.payload
        if isinstance(p, Note):
            if p.verify:
                verify = Reason(Attention.VERIFY_REMOTE_CLOSE, ev.at, _tracker(p.origin))
            elif p.origin and p.remote is None:  # another state change pulled by sync
                if p.origin.endswith(":reopened"):
                    verify = None
            elif p.origin:  # a comment pulled from the owner party's tracker
                where = p.origin.split(":", 1)[0] + (f":{p.remote}" if p.remote else "")
                replies.append(Reason(Attention.PARTY_REPLIED, ev.at,
                                      f"{p.author or '?'} ({where})"))
            else:  # the engineer's own note
                verify, replies = None, []
        elif isinstance(p, _EXECUTOR_ACTS):
            verify, replies = None, []
        elif isinstance(p, Answered):
            replies.append(Reason(Attention.CLIENT_REPLIED, ev.at, ev.actor))
    out = [verify] if verify else []
    seen = set()
    for r in reversed(replies):  # the latest reply of each kind
        if r.what not in seen:
            seen.add(r.what)
            out.append(r)
    for reading in readings:
        if not reading.is_open:
            continue
        if reading.clock == "reaction" and reading.state is ClockState.BREACHED:
            out.append(Reason(Attention.ANSWER_OVERDUE, reading.deadline, "reaction"))
        elif reading.state is ClockState.CLIENT_OVERDUE:
            out.append(Reason(Attention.CLIENT_ANSWER_OVERDUE, reading.deadline, reading.clock))
    return tuple(out)


def _tracker(origin: str | None) -> str:
    """``tracker:remote id`` of a sync note's origin (``tracker:id:closed``)."""
    if not origin:
        return ""
    parts = origin.split(":")
    return ":".join(parts[:2]) if len(parts) >= 2 else origin


def advise(reasons: Sequence[Reason], tid: str, lang: str = "en") -> list[str]:
    """One line per reason: what the engineer should do next."""
    ru = lang == "ru"
    out = []
    for r in reasons:
        if r.what is Attention.VERIFY_REMOTE_CLOSE:
            out.append(
                f"{tid}: владелец закрыл задачу {r.detail}: проверьте исправление с клиентом"
                f" и решите заявку: sccli ticket resolve {tid} -m …"
                if ru else
                f"{tid}: the owner party closed {r.detail}: verify the fix with the client,"
                f" then resolve: sccli ticket resolve {tid} -m …")
        elif r.what is Attention.CLIENT_REPLIED:
            out.append(f"{tid}: клиент ответил на вопрос: ответьте или продолжите работу"
                       if ru else
                       f"{tid}: the client answered the question: respond or carry on")
        elif r.what is Attention.PARTY_REPLIED:
            out.append(f"{tid}: новый комментарий от {r.detail}: прочитайте и ответьте"
                       if ru else
                       f"{tid}: a new comment from {r.detail}: read it and act")
        elif r.what is Attention.ANSWER_OVERDUE:
            out.append(f"{tid}: время реакции истекло: ответьте клиенту: sccli ticket"
                       f" respond {tid} -m …"
                       if ru else
                       f"{tid}: the reaction time has passed: respond to the client: sccli"
                       f" ticket respond {tid} -m …")
        elif r.what is Attention.CLIENT_ANSWER_OVERDUE:
            out.append(f"{tid}: срок ответа клиента на вопрос истёк: напомните, спросите"
                       " снова или решите заявку"
                       if ru else
                       f"{tid}: the client's answer to the question is overdue: remind them,"
                       " ask again or resolve")
    return out
