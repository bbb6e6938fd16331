"""The contract's four clocks, read from a ticket's folded history (nothing derived is stored).

* reaction — registration → first response (or clarifying question); business time;
  warns at ``warn_at``. A priority change while it runs moves the deadline by the policy's
  ``priority_change`` rule (see :func:`reaction_window`); the reading names the priority
  whose target produced the deadline (the one the reaction is judged by).
* feedback — one per clarifying question: the client has ``feedback_business_days`` full
  business days to answer; past that the delay is the client's ("client overdue").
* acceptance — ``acceptance_days`` calendar days (wall clock) after the latest "resolved",
  then the ticket is closed automatically: an acceptance at the deadline is on time, the
  window has "expired" strictly after it (the fold derives the closing, ``history.py``).
* resolution — an estimate, never a hard target; present only once an estimate was set.

State conventions: a deadline is the last on-time instant (a response exactly at it is
"met"; a running clock is "breached" / "client-overdue" only strictly after it). Lateness is
judged on the wall clock, while elapsed/remaining figures of business clocks are business
seconds — so a response at 17:35 after a 17:30 deadline is "met-late" with 0 business
seconds over. A ticket rejected while a feedback or resolution clock runs stops that clock
in state "stopped"; a rejection before any response stops the reaction clock (met/met-late).
From awaiting client (contract over time: "the executor may ask again (another round) or
resolve (the acceptance window then runs), so a ticket whose client never answers can
end"): a new question stops the unanswered one's clock in state "superseded", and
"resolved" stops it in state "stopped"; client-caused delay counts only up to that instant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache

from .calendar import BusinessCalendar
from .durations import duration_text
from .history import AcceptanceRule, TicketHistory, extended
from .model import EventKind, Priority

K = EventKind
# The commonest events, on which no clock depends: a view of clocks alone need not read them.
CLOCK_FREE_KINDS = (K.NOTE, K.SOURCE_SET, K.REORDERED, K.CONFIRMED, K.ALERTED)
_SECOND = timedelta(seconds=1)


def _u(at: datetime) -> datetime:
    """UTC view: Python compares and subtracts same-zone datetimes on the wall clock."""
    return at if at.tzinfo is UTC else at.astimezone(UTC)


def _seconds(a: datetime, b: datetime) -> int:
    """Real seconds from ``a`` to ``b`` (floored), correct across DST."""
    return (_u(b) - _u(a)) // _SECOND


class PriorityChangeRule(StrEnum):
    """How a priority change moves a running reaction clock's deadline (sla.yaml
    ``reaction.priority_change``).

    Contract: "Exception: the priority or order may be changed by agreement between client
    and executor".

    * ``from-change`` (default) — raising the priority makes the deadline the earlier of
      the current one and the change time plus the new target (a reaction that was on
      time under the old priority is not breached retroactively); lowering it makes the
      deadline registration plus the new target (never earlier than the current one).
    * ``from-registration`` — the target of the priority in force, counted from
      registration.

    Under both, a breach that already happened stays a breach: a change after the
    deadline passed does not move it.
    """

    FROM_CHANGE = "from-change"
    FROM_REGISTRATION = "from-registration"


def _default_targets() -> dict[Priority, int]:
    return {
        Priority.CRITICAL: 1800,
        Priority.HIGH: 7200,
        Priority.MEDIUM: 14400,
        Priority.LOW: 14400,
    }


@dataclass(frozen=True)
class SlaPolicy:
    """The contract's service levels (sla.yaml)."""

    reaction_targets: Mapping[Priority, int] = field(default_factory=_default_targets)
    default_priority: Priority = Priority.MEDIUM
    warn_at: float = 0.8
    feedback_business_days: int = 2
    acceptance_days: int = 7
    priority_change: PriorityChangeRule = PriorityChangeRule.FROM_CHANGE

    def __post_init__(self) -> None:
        targets = {
            **_default_targets(),
            **{Priority(k): v for k, v in self.reaction_targets.items()},
        }
        if any(v <= 0 for v in targets.values()):
            raise ValueError("reaction targets must be positive numbers of seconds")
        if not 0 < self.warn_at <= 1:
            raise ValueError(f"warn_at must be in (0, 1], got {self.warn_at}")
        if self.feedback_business_days < 1 or self.acceptance_days < 1:
            raise ValueError("feedback_business_days and acceptance_days must be at least 1")
        object.__setattr__(self, "reaction_targets", targets)
        object.__setattr__(self, "priority_change", PriorityChangeRule(self.priority_change))

    def reaction_target(self, priority: Priority | None) -> int:
        """Business seconds allowed for the first response (default priority when unset)."""
        return self.reaction_targets[priority or self.default_priority]

    def acceptance_rule(self, tz: tzinfo | None) -> AcceptanceRule:
        """The acceptance window in the calendar's zone ``tz`` (what the fold derives)."""
        return AcceptanceRule(self.acceptance_days, tz)

    def feedback_seconds(self, calendar: BusinessCalendar) -> int:
        """The client's answer window: N full business days, in business seconds."""
        return self.feedback_business_days * calendar.full_day_seconds()


class ClockState(StrEnum):
    RUNNING = "running"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"
    MET_LATE = "met-late"
    CLIENT_OVERDUE = "client-overdue"
    ANSWERED = "answered"
    EXPIRED = "expired"
    ACCEPTED = "accepted"
    REOPENED = "reopened"
    ON_TRACK = "on-track"
    ESTIMATE_OVERDUE = "estimate-overdue"
    RESOLVED = "resolved"
    STOPPED = "stopped"  # the ticket was rejected (or resolved, unanswered) while it ran
    SUPERSEDED = "superseded"  # feedback: another question was asked before any answer


_RUNNING = frozenset(
    {
        ClockState.RUNNING,
        ClockState.WARNING,
        ClockState.BREACHED,
        ClockState.CLIENT_OVERDUE,
        ClockState.ESTIMATE_OVERDUE,
        ClockState.ON_TRACK,
    }
)


@dataclass(frozen=True, slots=True)
class ClockReading:
    """One clock of one ticket at ``now``; see the module docstring for the units."""

    ticket_id: str
    clock: str
    state: ClockState
    start: datetime
    deadline: datetime | None
    stopped_at: datetime | None
    target_seconds: int | None
    elapsed_seconds: int
    remaining_seconds: int
    rule: str
    client_delay_seconds: int = 0
    sequence: int = 0
    # reaction: the priority whose target produced the deadline (None: none was set, the
    # default's target applied) — the priority the reaction is judged and reported by
    priority: Priority | None = None

    @property
    def is_open(self) -> bool:
        """The clock is still running (not stopped by a response, answer, acceptance…)."""
        return self.stopped_at is None and self.state in _RUNNING


def reaction_deadline(
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    priority: Priority | None,
    registered_at: datetime,
) -> tuple[datetime, datetime]:
    """(clock start = next opening, deadline) of the first response."""
    start = calendar.next_opening(registered_at)
    return start, calendar.add(start, policy.reaction_target(priority))


def feedback_deadline(
    calendar: BusinessCalendar, policy: SlaPolicy, asked_at: datetime
) -> tuple[datetime, datetime]:
    """(clock start, deadline) of the client's answer to a question asked at ``asked_at``."""
    start = calendar.next_opening(asked_at)
    return start, calendar.add(start, policy.feedback_seconds(calendar))


def acceptance_deadline(
    policy: SlaPolicy, resolved_at: datetime, tz: tzinfo | None = None
) -> tuple[datetime, datetime]:
    """(resolved_at, the same wall-clock time ``acceptance_days`` later in ``tz``).

    ``tz`` should be the calendar's zone; without it, ``resolved_at``'s own zone is used.
    The deadline is the last on-time instant: an acceptance then is on time, the window
    has expired strictly after it.
    """
    if resolved_at.tzinfo is None:
        raise ValueError(f"naive datetime {resolved_at!r}: give a timezone-aware datetime")
    start = resolved_at.astimezone(tz) if tz is not None else resolved_at
    return start, AcceptanceRule(policy.acceptance_days, tz).deadline(resolved_at)


def read_clocks(
    h: TicketHistory,
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    now: datetime,
    running_only: bool = False,
) -> list[ClockReading]:
    """Every clock of one ticket at ``now``, from its folded history.

    Order: reaction, feedback #1…n, acceptance, resolution (those that exist).
    ``running_only`` skips clocks already stopped (what `sla check` and `sla status`
    need; it saves the calendar arithmetic of every met reaction).
    """
    now = calendar.localize(now)
    if not h.exists or h.registered_at is None:
        return []
    ticket_id, rejected = h.ticket_id, h.rejected_at
    out: list[ClockReading] = []
    hours = calendar.describe()
    stop = h.first_response_at or rejected
    if not (running_only and stop):
        out.append(_reaction(ticket_id, h.registered_at, _changes(h, stop or now), stop,
                             calendar, policy, now, hours))
    for q in h.questions:
        if not (running_only and q.stopped_at):
            out.append(_feedback(ticket_id, q.number, q.asked_at, q.stopped_at, q.stopped_by,
                                 calendar, policy, now, hours))
    acc_stop = h.acceptance_stop
    if h.resolved_at is not None and not (running_only and acc_stop):
        out.append(_acceptance(ticket_id, h.resolved_at, acc_stop, calendar, policy, now))
    if h.estimates and not (running_only and (h.resolution_stop or rejected)):
        estimates = [(e.at, e.estimate, e.reason, x)
                     for e, x in zip(h.estimates, extended(h.estimates), strict=True)]
        out.append(_resolution(ticket_id, h.registered_at, estimates, h.resolution_stop,
                               rejected, calendar, now))
    return out


Change = tuple[datetime, Priority | None]


def _changes(h: TicketHistory, end: datetime) -> tuple[Change, ...]:
    """The priority timeline while the reaction clock ran (registration first), in time
    order: the changes dated up to the response (or rejection, or now)."""
    timeline = h.priority_timeline
    if len(timeline) == 1:
        return timeline
    cut = _u(end)
    later = sorted((c for c in timeline[1:] if _u(c[0]) <= cut), key=lambda c: _u(c[0]))
    return (timeline[0], *later)


def reaction_window(
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    changes: tuple[Change, ...],
) -> tuple[datetime, Priority | None, datetime | None]:
    """(deadline, the priority it is judged by, the change it counts from or None) of a
    reaction clock whose priority timeline while it ran is ``changes`` (registration
    first).

    Contract: "Exception: the priority or order may be changed by agreement between client
    and executor" ("Исключением может быть изменение приоритета … по согласованию клиента
    и Исполнителя"). The rule is ``policy.priority_change`` (:class:`PriorityChangeRule`);
    under either rule a change after the deadline passed leaves it where it was, so a
    breach that happened stays a breach.
    """
    registered, judged = changes[0]
    target = policy.reaction_target(judged)
    deadline = calendar.add(registered, target)
    since: datetime | None = None
    by_change = policy.priority_change is PriorityChangeRule.FROM_CHANGE
    for at, priority in changes[1:]:
        if _u(at) > _u(deadline):
            break  # already breached: no later change erases (or moves) the breach
        new = policy.reaction_target(priority)
        if not by_change:
            deadline, judged, since = calendar.add(registered, new), priority, None
        elif new < target:  # raised: the earlier of the current deadline and change + target
            candidate = calendar.add(at, new)
            if _u(candidate) <= _u(deadline):
                deadline, judged, since = candidate, priority, at
        else:  # lowered (or an equal target): registration + the new target, never earlier
            candidate = calendar.add(registered, new)
            if _u(candidate) >= _u(deadline):
                deadline, judged, since = candidate, priority, None
        target = new
    return deadline, judged, since


def _reaction(
    ticket_id: str,
    registered: datetime,
    changes: tuple[Change, ...],
    stop: datetime | None,
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    now: datetime,
    hours: str,
) -> ClockReading:
    priority = changes[-1][1]
    target = policy.reaction_target(priority)
    start, deadline, elapsed = calendar.window(registered, target, stop or now)
    since: datetime | None = None
    remaining = target - elapsed
    if len(changes) > 1:  # the priority changed while the clock ran
        deadline, priority, since = reaction_window(calendar, policy, changes)
        target = policy.reaction_target(priority)
        end = stop or now
        remaining = (calendar.elapsed(end, deadline) if _u(end) <= _u(deadline)
                     else -calendar.elapsed(deadline, end))
        used = target - remaining  # of the target in force: the share that warns
    else:
        used = elapsed
    if stop is not None:
        state = ClockState.MET if _u(stop) <= _u(deadline) else ClockState.MET_LATE
    elif _u(now) > _u(deadline):
        state = ClockState.BREACHED
    elif used >= policy.warn_at * target:
        state = ClockState.WARNING
    else:
        state = ClockState.RUNNING
    rule = _reaction_rule(priority, policy.default_priority, target, hours)
    if since is not None:
        rule += (f"; counted from the priority change at"
                 f" {calendar.localize(since):%Y-%m-%d %H:%M} (raised while the clock ran)")
    elif len(changes) > 1 and policy.priority_change is PriorityChangeRule.FROM_REGISTRATION:
        rule += "; the priority in force, counted from registration"
    return ClockReading(
        ticket_id, "reaction", state, start, deadline, stop and calendar.localize(stop),
        target, elapsed, remaining, rule, priority=priority,
    )  # fmt: skip


@lru_cache(maxsize=256)
def _reaction_rule(priority: Priority | None, default: Priority, target: int, hours: str) -> str:
    """The rule text (the same few strings for 100,000 tickets: built once each)."""
    which = f"priority {priority.value}" if priority else f"no priority set (default {default.value})"
    return f"reaction, {which}: {duration_text(target, exact=True)} of business time ({hours})"


@lru_cache(maxsize=256)
def _feedback_rule(n: int, days: int, target: int, hours: str) -> str:
    return (
        f"feedback #{n}: the client answers within {days} business day{'s' * (days != 1)}"
        f" = {duration_text(target, exact=True)} of business time ({hours})"
    )


def _feedback(
    ticket_id: str,
    n: int,
    asked: datetime,
    stop: datetime | None,
    why: EventKind | None,
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    now: datetime,
    hours: str,
) -> ClockReading:
    target = policy.feedback_seconds(calendar)
    start, deadline, elapsed = calendar.window(asked, target, stop or now)
    if why is K.ANSWERED:
        state = ClockState.ANSWERED
    elif why is K.ASKED:
        state = ClockState.SUPERSEDED
    elif why is K.REJECTED or why is K.RESOLVED:
        state = ClockState.STOPPED
    elif _u(now) > _u(deadline):
        state = ClockState.CLIENT_OVERDUE
    else:
        state = ClockState.RUNNING
    rule = _feedback_rule(n, policy.feedback_business_days, target, hours)
    return ClockReading(
        ticket_id, "feedback", state, start, deadline, stop and calendar.localize(stop),
        target, elapsed, target - elapsed, rule,
        client_delay_seconds=max(0, elapsed - target), sequence=n,
    )  # fmt: skip


def _acceptance(
    ticket_id: str,
    resolved: datetime,
    stop: tuple[datetime, EventKind] | None,
    calendar: BusinessCalendar,
    policy: SlaPolicy,
    now: datetime,
) -> ClockReading:
    start, deadline = acceptance_deadline(policy, resolved, calendar.tz)
    end = stop[0] if stop else now
    if stop is not None:
        state = {K.ACCEPTED: ClockState.ACCEPTED, K.AUTO_ACCEPTED: ClockState.EXPIRED}.get(
            stop[1], ClockState.REOPENED)
    else:
        # "expired" strictly after the last on-time instant (an acceptance at the deadline
        # is on time); the views' fold closes such a ticket, so this shows only where a
        # caller folded without the acceptance rule
        state = ClockState.EXPIRED if _u(now) > _u(deadline) else ClockState.RUNNING
    days = policy.acceptance_days
    rule = (
        f'acceptance: {days} calendar day{"s" * (days != 1)} after "resolved",'
        " then closed automatically"
    )
    return ClockReading(
        ticket_id, "acceptance", state, start, deadline, stop and calendar.localize(stop[0]),
        _seconds(start, deadline), max(0, _seconds(start, end)), _seconds(end, deadline), rule,
    )  # fmt: skip


def _resolution(
    ticket_id: str,
    begin: datetime,
    estimates: list[tuple[datetime, datetime, str | None, bool]],  # …, is an extension
    resolved: datetime | None,
    rejected: datetime | None,
    calendar: BusinessCalendar,
    now: datetime,
) -> ClockReading:
    estimate = calendar.localize(estimates[-1][1])
    stop = rejected or resolved
    end = stop or now
    if rejected is not None:
        state = ClockState.STOPPED
    elif resolved is not None:
        state = ClockState.RESOLVED
    else:
        state = ClockState.ESTIMATE_OVERDUE if _u(now) > _u(estimate) else ClockState.ON_TRACK
    rule = f"resolution: an estimate, not a hard target; current estimate {estimate:%Y-%m-%d %H:%M}"
    reasons = [r or "no reason given" for _, _, r, extension in estimates if extension]
    if reasons:  # bringing the estimate forward is not an extension
        rule += f" (extended {len(reasons)}×: {'; '.join(reasons)})"
    return ClockReading(
        ticket_id, "resolution", state, calendar.localize(begin), estimate,
        stop and calendar.localize(stop), None, max(0, _seconds(begin, end)),
        _seconds(end, estimate), rule,
    )  # fmt: skip


__all__ = [
    "ClockReading",
    "ClockState",
    "PriorityChangeRule",
    "SlaPolicy",
    "acceptance_deadline",
    "feedback_deadline",
    "reaction_deadline",
    "reaction_window",
    "read_clocks",
]
