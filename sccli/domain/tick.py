"""What `sccli tick` records, decided from a ticket's folded history at an instant. Pure.

Each time-driven fact happens once, at an instant the rules fix (never "now"), and has a
key unique within its ticket; `tick` records it as an event once per key and queues its
notice in the same transaction. The facts (contract quotes, English / Russian original):

* ``auto-accepted`` — "Acceptance and testing after Resolved: 7 calendar days" («Приемка и
  тестирование после статуса Решено: 7 календарных дней»), then closed automatically: at
  the first instant after the window; notice to the client.
* ``client-overdue`` — "the client answers clarifying questions within 2 business days"
  (feedback window): strictly after the window, per question; reminder to the authorized
  contact.
* ``reaction-warning`` / ``reaction-breached`` — the reaction clock reached its warning share
  (sla.yaml ``reaction.warn_at``) / passed its target: notice to the engineers on duty,
  once per clock and state. A run that finds the clock already breached records only the
  breach (a warning then would be noise).
* ``estimate-passed`` — "the resolution time is an estimate … it may be extended for
  objective reasons": the estimate in force passed while the ticket is unresolved, once per
  estimate (an extension sets a new one); reminder to the engineer who set it.
* ``escalation-unanswered`` — the owner party (vendor, partner) has not answered an
  escalation within ``notices.escalation_follow_up_days`` business days (answered: a comment
  pulled from its tracker after the escalation): a follow-up to that party, once per
  escalation (audience ``party:<name>``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .calendar import BusinessCalendar
from .clocks import ClockState, SlaPolicy, read_clocks
from .events import Alerted
from .history import TicketHistory
from .model import EventKind, Priority

AUTO_ACCEPTED = "auto-accepted"
CLIENT_OVERDUE = "client-overdue"
REACTION_WARNING = "reaction-warning"
REACTION_BREACHED = "reaction-breached"
ESTIMATE_PASSED = "estimate-passed"
ESCALATION_UNANSWERED = "escalation-unanswered"
FACTS = (AUTO_ACCEPTED, CLIENT_OVERDUE, REACTION_WARNING, REACTION_BREACHED, ESTIMATE_PASSED,
         ESCALATION_UNANSWERED)
# Engineers are told in business hours only (a critical ticket may override: sla.yaml).
ON_DUTY = frozenset({"engineers", "engineer"})
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Escalation:
    """One escalation of a ticket (a link to the owner party's tracker) and its answer."""

    tracker: str
    party: str | None
    remote_id: str
    at: datetime
    answered_at: datetime | None  # the first comment pulled from that tracker after ``at``


@dataclass(frozen=True)
class Due:
    """One time-driven fact due for recording."""

    ticket_id: str
    fact: str
    key: str  # unique within the ticket
    at: datetime  # when it happened (the event's date)
    due: datetime | None  # the deadline or estimate that passed
    audience: str
    critical: bool = False
    detail: str = ""  # who: the engineer who set the estimate; the tracker escalated to
    since: datetime | None = None  # the question asked, the escalation made

    @property
    def notice_key(self) -> str:
        return f"{self.ticket_id}/{self.key}/{self.audience}"


def recorded(h: TicketHistory) -> set[str]:
    """The keys of the facts already recorded for this ticket."""
    keys = set()
    for ev in h.events:
        if ev.kind is EventKind.ALERTED:
            p = ev.payload
            assert isinstance(p, Alerted)
            keys.add(p.key)
        elif ev.kind is EventKind.AUTO_ACCEPTED:
            keys.add(AUTO_ACCEPTED)
    return keys


def due_facts(
    h: TicketHistory,
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    now: datetime,
    escalations: Sequence[Escalation] = (),
    follow_up_days: int = 2,
    done: set[str] | None = None,
) -> list[Due]:
    """The facts that have happened by ``now`` and are not recorded yet (``done``: the keys
    already recorded; default read from ``h``). ``h`` is folded as of ``now`` with the
    acceptance rule, so an expired window shows as ``auto_closed``."""
    if not h.exists:
        return []
    done = recorded(h) if done is None else done
    tid = h.ticket_id
    out: list[Due] = []
    if h.auto_closed and AUTO_ACCEPTED not in done and h.acceptance_stop is not None:
        out.append(Due(tid, AUTO_ACCEPTED, AUTO_ACCEPTED, h.acceptance_stop[0],
                       h.acceptance_stop[0] - _SECOND, "client"))
    if not h.status.is_open:
        return out
    critical = h.priority is Priority.CRITICAL
    for r in read_clocks(h, calendar, policy, now, running_only=True):
        if r.clock == "reaction" and r.deadline is not None:
            if r.state is ClockState.BREACHED and REACTION_BREACHED not in done:
                out.append(Due(tid, REACTION_BREACHED, REACTION_BREACHED, r.deadline + _SECOND,
                               r.deadline, "engineers", critical))
            elif r.state is ClockState.WARNING and REACTION_WARNING not in done:
                assert r.target_seconds is not None
                share = math.ceil(policy.warn_at * r.target_seconds)
                out.append(Due(tid, REACTION_WARNING, REACTION_WARNING,
                               calendar.add(r.start, share), r.deadline, "engineers", critical))
        elif r.clock == "feedback" and r.state is ClockState.CLIENT_OVERDUE:
            key = f"{CLIENT_OVERDUE}#{r.sequence}"
            if key not in done and r.deadline is not None:
                asked = h.questions[r.sequence - 1].asked_at
                out.append(Due(tid, CLIENT_OVERDUE, key, r.deadline + _SECOND, r.deadline,
                               "contact", since=asked))
        elif r.clock == "resolution" and r.state is ClockState.ESTIMATE_OVERDUE:
            assert r.deadline is not None
            key = f"{ESTIMATE_PASSED}@{r.deadline.isoformat()}"
            if key not in done:
                who = h.estimates[-1].actor if h.estimates else ""
                out.append(Due(tid, ESTIMATE_PASSED, key, r.deadline + _SECOND, r.deadline,
                               "engineer", critical, who))
    if h.status.value != "resolved":
        for e in escalations:
            key = f"{ESCALATION_UNANSWERED}:{e.tracker}:{e.remote_id}"
            deadline = calendar.add(calendar.next_opening(e.at),
                                    follow_up_days * calendar.full_day_seconds())
            answered = e.answered_at is not None and e.answered_at <= deadline
            if key not in done and not answered and now > deadline:
                audience = f"party:{e.party}" if e.party else "engineers"
                out.append(Due(tid, ESCALATION_UNANSWERED, key, deadline + _SECOND, deadline,
                               audience, critical, e.tracker, e.at))
    out.sort(key=lambda d: d.at)
    return out


def not_before(d: Due, calendar: BusinessCalendar, now: datetime,
               outside_hours_for_critical: bool) -> datetime:
    """When the notice of ``d`` may go out: at once, except that engineers are told in
    business hours only — outside them the notice waits for the next business instant,
    unless the ticket is critical and sla.yaml ``notices.outside_hours_for_critical`` allows
    it."""
    if d.audience not in ON_DUTY or (d.critical and outside_hours_for_critical):
        return now
    return calendar.next_opening(now)


# ------------------------------------------------------------------ notice texts

_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        AUTO_ACCEPTED: (
            "{ticket}: closed automatically",
            "Your request {ticket} \"{title}\" was resolved on {resolved}. The acceptance"
            " period of {days} calendar days ended on {due} without a reply, so under the"
            " support contract the request is accepted and closed. If a problem remains,"
            " please send a new request.",
        ),
        CLIENT_OVERDUE: (
            "{ticket}: we are waiting for your answer",
            "Request {ticket} \"{title}\": we asked a clarifying question on {asked} and have"
            " had no answer within {days} business days (by {due}). Until you answer, the time"
            " counts as the client's. Please reply to the question.",
        ),
        REACTION_WARNING: (
            "{ticket}: reaction deadline at {due}",
            "{ticket} ({priority}) \"{title}\" has no first response yet; the reaction"
            " deadline is {due}.",
        ),
        REACTION_BREACHED: (
            "{ticket}: reaction deadline breached",
            "{ticket} ({priority}) \"{title}\" had no first response by its reaction deadline"
            " {due}. Respond now.",
        ),
        ESTIMATE_PASSED: (
            "{ticket}: resolution estimate passed",
            "{ticket} ({priority}) \"{title}\" is not resolved and its resolution estimate"
            " {due} has passed. Resolve it, or extend the estimate with a reason.",
        ),
        ESCALATION_UNANSWERED: (
            "{ticket}: follow-up on our escalation",
            "We escalated ticket {ticket} \"{title}\" to you on {asked} ({detail}) and have had"
            " no answer within {days} business days. Please reply in the issue.",
        ),
    },
    "ru": {
        AUTO_ACCEPTED: (
            "{ticket}: закрыто автоматически",
            "Ваше обращение {ticket} «{title}» решено {resolved}. Срок приёмки и"
            " тестирования ({days} календарных дней) истёк {due} без ответа, поэтому по"
            " регламенту обращение принято и закрыто. Если проблема осталась, пожалуйста,"
            " направьте новое обращение.",
        ),
        CLIENT_OVERDUE: (
            "{ticket}: ждём вашего ответа",
            "Обращение {ticket} «{title}»: {asked} мы задали уточняющий вопрос и не получили"
            " ответа в течение {days} рабочих дней (до {due}). Пока ответа нет, время"
            " считается временем клиента. Пожалуйста, ответьте на вопрос.",
        ),
        REACTION_WARNING: (
            "{ticket}: срок реакции {due}",
            "{ticket} ({priority}) «{title}»: первого ответа ещё нет; срок реакции — {due}.",
        ),
        REACTION_BREACHED: (
            "{ticket}: срок реакции нарушен",
            "{ticket} ({priority}) «{title}»: нет первого ответа к сроку реакции {due}."
            " Ответьте сейчас.",
        ),
        ESTIMATE_PASSED: (
            "{ticket}: оценка срока решения прошла",
            "{ticket} ({priority}) «{title}» не решено, а оценка срока решения {due} прошла."
            " Решите обращение или продлите оценку с указанием причины.",
        ),
        ESCALATION_UNANSWERED: (
            "{ticket}: напоминание об эскалации",
            "{asked} мы передали вам обращение {ticket} «{title}» ({detail}) и не получили"
            " ответа в течение {days} рабочих дней. Пожалуйста, ответьте в задаче.",
        ),
    },
}


def notice_text(fact: str, lang: str, **values: object) -> tuple[str, str]:
    """(subject, text) of a fact's notice in ``lang`` (ru or en; others: ru)."""
    subject, text = _TEXTS.get(lang, _TEXTS["ru"])[fact]
    return subject.format(**values), text.format(**values)


__all__ = [
    "Due", "Escalation", "FACTS", "due_facts", "not_before", "notice_text", "recorded",
]
