"""The four clocks read from events (sccli/domain/clocks.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sccli.domain.calendar import BusinessCalendar, CalendarSpec
from sccli.domain.clocks import (
    ClockReading,
    ClockState,
    PriorityChangeRule,
    SlaPolicy,
    acceptance_deadline,
    feedback_deadline,
    reaction_deadline,
    read_clocks,
)
from sccli.domain.history import history as fold
from sccli.domain.model import EventKind, Priority
from sccli.store.codec import event_from_data as Event

K, S = EventKind, ClockState
MSK = ZoneInfo("Europe/Moscow")
CAL = BusinessCalendar(
    CalendarSpec(extra_workdays=frozenset({date(2024, 4, 27), date(2025, 11, 1)}))
)
POLICY = SlaPolicy()


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


MON = (2026, 11, 23)  # a plain Monday; Tue 24, Wed 25, Thu 26, Fri 27


def mon(h: int, m: int = 0, day: int = 0) -> datetime:
    return msk(2026, 11, 23 + day, h, m)


def history(*steps: tuple, ticket: str = "T-1") -> list[Event]:
    """Events from (kind, at, data?) steps; the lifecycle checks they are a legal history."""
    events = [
        Event(ticket, i, kind, at, "someone", rest[0] if rest else {})
        for i, (kind, at, *rest) in enumerate(steps, 1)
    ]
    fold(events)
    return events


def reg(at: datetime, priority: str | None = "critical") -> tuple:
    return (K.REGISTERED, at, {"priority": priority})


def read(events, calendar, policy, now, running_only=False):
    """The clocks of the folded events."""
    return read_clocks(fold(events), calendar, policy, now, running_only)


def clocks(events: list, now: datetime, policy: SlaPolicy = POLICY) -> dict[str, list]:
    out: dict[str, list[ClockReading]] = {}
    for r in read(events, CAL, policy, now):
        out.setdefault(r.clock, []).append(r)
    return out


def reaction(events, now, policy=POLICY) -> ClockReading:
    (r,) = clocks(events, now, policy)["reaction"]
    return r


# ---- reaction ----------------------------------------------------------------------------


def test_reaction_running_warning_breached():
    ev = history(reg(mon(10)))
    r = reaction(ev, mon(10, 10))
    assert (r.state, r.elapsed_seconds, r.remaining_seconds) == (S.RUNNING, 600, 1200)
    assert r.start == mon(10) and r.deadline == mon(10, 30) and r.target_seconds == 1800
    assert r.is_open and r.stopped_at is None and r.ticket_id == "T-1"
    assert reaction(ev, mon(10, 24)).state is S.WARNING  # exactly 80 %
    assert reaction(ev, mon(10, 23)).state is S.RUNNING
    assert reaction(ev, mon(10, 30)).state is S.WARNING  # the deadline itself is on time
    late = reaction(ev, mon(10, 31))
    assert late.state is S.BREACHED and late.remaining_seconds == -60 and late.is_open
    assert late.rule == (
        "reaction, priority critical: 30 min of business time (Mon–Fri 08:30–17:30 Europe/Moscow)"
    )


def test_reaction_met_and_met_late():
    on_time = reaction(history(reg(mon(10)), (K.RESPONDED, mon(10, 30))), mon(16))
    assert on_time.state is S.MET and on_time.stopped_at == mon(10, 30)
    assert on_time.remaining_seconds == 0 and not on_time.is_open
    late = reaction(history(reg(mon(10)), (K.RESPONDED, mon(10, 45))), mon(16))
    assert late.state is S.MET_LATE and late.remaining_seconds == -900
    assert late.elapsed_seconds == 2700


def test_reaction_late_after_hours_is_late_with_zero_business_overrun():
    ev = history(reg(mon(17), "critical"), (K.RESPONDED, mon(17, 45)))
    r = reaction(ev, mon(18))
    assert r.deadline == mon(17, 30)
    assert r.state is S.MET_LATE and r.remaining_seconds == 0


def test_a_question_counts_as_the_response():
    ev = history(reg(mon(10)), (K.ASKED, mon(10, 5)))
    r = reaction(ev, mon(12))
    assert r.state is S.MET and r.stopped_at == mon(10, 5) and r.elapsed_seconds == 300


def test_out_of_hours_registration_starts_at_next_opening():
    ev = history(reg(msk(2026, 11, 21, 12), "high"))  # Saturday
    r = reaction(ev, msk(2026, 11, 22, 20))  # Sunday evening: nothing elapsed yet
    assert r.start == mon(8, 30) and r.deadline == mon(10, 30)
    assert (r.state, r.elapsed_seconds, r.remaining_seconds) == (S.RUNNING, 0, 7200)


def test_worked_example_friday_evening_critical():
    ev = history(reg(msk(2026, 11, 20, 17, 10)))
    r = reaction(ev, msk(2026, 11, 21, 10))
    assert r.start == msk(2026, 11, 20, 17, 10)  # open then: the clock starts at once
    assert r.deadline == mon(8, 40) and r.elapsed_seconds == 1200
    assert r.state is S.RUNNING  # 20 of 30 minutes: under 80 %


def test_holiday_registration():
    ev = history(reg(msk(2026, 1, 8, 16), "high"))
    r = reaction(ev, msk(2026, 1, 12, 10, 29))
    assert r.start == msk(2026, 1, 12, 8, 30) and r.deadline == msk(2026, 1, 12, 10, 30)
    assert r.state is S.WARNING and r.remaining_seconds == 60


def test_priority_change_mid_flight():
    ev = history(
        reg(mon(10), "medium"),
        (K.PRIORITY_CHANGED, mon(10, 10), {"priority": "critical", "previous": "medium"}),
    )
    # default rule (sla.yaml reaction.priority_change: from-change): raised at 10:10, the
    # new 30 minutes count from the change (see tests/test_priority_change.py)
    r = reaction(ev, mon(10, 40))
    assert r.deadline == mon(10, 40) and r.target_seconds == 1800
    assert r.state is S.WARNING and r.remaining_seconds == 0
    # from-registration: the target of the priority in force, counted from registration
    policy = SlaPolicy(priority_change=PriorityChangeRule.FROM_REGISTRATION)
    r = reaction(ev, mon(10, 40), policy)
    assert r.deadline == mon(10, 30) and r.target_seconds == 1800
    assert r.state is S.BREACHED and r.remaining_seconds == -600


def test_priority_change_after_response_does_not_move_the_target():
    ev = history(
        reg(mon(10), "medium"),
        (K.RESPONDED, mon(11)),
        (K.PRIORITY_CHANGED, mon(11, 10), {"priority": "critical", "previous": "medium"}),
    )
    r = reaction(ev, mon(12))
    assert r.target_seconds == 14400 and r.state is S.MET


def test_no_priority_uses_the_default():
    r = reaction(history(reg(mon(10), None)), mon(11))
    assert r.target_seconds == 14400 and r.deadline == mon(14)
    assert "no priority set (default medium): 4 h" in r.rule
    policy = SlaPolicy(default_priority=Priority.HIGH)
    assert reaction(history(reg(mon(10), None)), mon(11), policy).deadline == mon(12)


def test_russian_priority_names_are_accepted():
    ev = [Event("T-9", 1, K.REGISTERED, mon(10), "", {"priority": "Высокий"})]
    assert reaction(ev, mon(11)).target_seconds == 7200


def test_rejection_without_response_stops_reaction():
    on_time = history(reg(mon(10)), (K.REJECTED, mon(10, 20), {"reason": "unauthorized"}))
    r = reaction(on_time, mon(16))
    assert r.state is S.MET and r.stopped_at == mon(10, 20) and not r.is_open
    late = history(reg(mon(10)), (K.REJECTED, mon(11), {"reason": "no-access"}))
    assert reaction(late, mon(16)).state is S.MET_LATE


def test_warn_at_is_configurable():
    ev = history(reg(mon(10)))
    assert reaction(ev, mon(10, 16), SlaPolicy(warn_at=0.5)).state is S.WARNING
    assert reaction(ev, mon(10, 14), SlaPolicy(warn_at=0.5)).state is S.RUNNING


# ---- feedback ----------------------------------------------------------------------------


def test_feedback_running_overdue_answered():
    asked = history(reg(mon(9)), (K.ASKED, mon(10)))
    (f,) = clocks(asked, mon(15, day=1))["feedback"]  # Tuesday 15:00
    assert f.state is S.RUNNING and f.sequence == 1 and f.is_open
    assert f.target_seconds == 64800 and f.deadline == mon(10, day=2)  # Wednesday 10:00
    assert f.elapsed_seconds == 32400 + 5 * 3600
    assert f.rule.startswith("feedback #1: the client answers within 2 business days = 18 h")
    (f,) = clocks(asked, mon(11, day=2))["feedback"]
    assert f.state is S.CLIENT_OVERDUE and f.client_delay_seconds == 3600 and f.is_open
    assert f.remaining_seconds == -3600
    answered = history(reg(mon(9)), (K.ASKED, mon(10)), (K.ANSWERED, mon(12, day=2)))
    (f,) = clocks(answered, mon(16, day=3))["feedback"]
    assert f.state is S.ANSWERED and f.client_delay_seconds == 7200 and not f.is_open
    assert f.stopped_at == mon(12, day=2)


def test_multiple_questions():
    ev = history(
        reg(mon(9)),
        (K.RESPONDED, mon(9, 10)),
        (K.ASKED, mon(10)),
        (K.ANSWERED, mon(11)),
        (K.ASKED, msk(2026, 11, 27, 17)),  # Friday 17:00: 30 min Friday, then next week
        (K.ANSWERED, msk(2026, 12, 2, 9)),  # Wednesday 09:00, deadline was Tue 16:30
    )
    f1, f2 = clocks(ev, msk(2026, 12, 3, 12))["feedback"]
    assert (f1.sequence, f1.state, f1.client_delay_seconds) == (1, S.ANSWERED, 0)
    assert f1.elapsed_seconds == 3600 and f1.remaining_seconds == 64800 - 3600
    assert f2.sequence == 2 and f2.deadline == msk(2026, 12, 1, 17)
    assert f2.state is S.ANSWERED and f2.client_delay_seconds == 30 * 60 + 30 * 60


def test_question_asked_out_of_hours():
    ev = history(reg(mon(9)), (K.ASKED, mon(19)))
    (f,) = clocks(ev, mon(20))["feedback"]
    assert f.start == mon(8, 30, day=1) and f.deadline == mon(17, 30, day=2)
    assert f.elapsed_seconds == 0


def test_rejection_while_awaiting_client_stops_feedback():
    ev = history(
        reg(mon(9)), (K.ASKED, mon(10)), (K.REJECTED, mon(12, day=3), {"reason": "no-access"})
    )
    got = clocks(ev, mon(12, day=4))
    (f,) = got["feedback"]
    assert f.state is S.STOPPED and f.stopped_at == mon(12, day=3) and not f.is_open
    assert f.client_delay_seconds == 9 * 3600 + 2 * 3600  # Wed 10:00 → Thu 12:00
    assert got["reaction"][0].state is S.MET_LATE  # asked an hour after a critical one


# ---- acceptance --------------------------------------------------------------------------


def resolved_history(*more: tuple) -> list[Event]:
    return history(reg(mon(9)), (K.RESPONDED, mon(9, 5)), (K.RESOLVED, mon(15)), *more)


def test_acceptance_running_and_expired():
    (a,) = clocks(resolved_history(), msk(2026, 11, 25, 15))["acceptance"]
    assert a.state is S.RUNNING and a.start == mon(15)
    assert a.deadline == msk(2026, 11, 30, 15) and a.target_seconds == 7 * 86400
    assert a.elapsed_seconds == 2 * 86400 and a.remaining_seconds == 5 * 86400
    assert a.rule == 'acceptance: 7 calendar days after "resolved", then closed automatically'
    # Issue 10: "Expired means strictly after the last on-time instant": at the deadline
    # an acceptance is still on time, so the clock still runs; one second later it expired.
    (a,) = clocks(resolved_history(), msk(2026, 11, 30, 15))["acceptance"]
    assert a.state is S.RUNNING and a.remaining_seconds == 0 and a.is_open
    (a,) = clocks(resolved_history(), msk(2026, 11, 30, 15, 0, 1))["acceptance"]
    assert a.state is S.EXPIRED and a.remaining_seconds == -1 and not a.is_open


def test_acceptance_accepted_auto_accepted_reopened():
    (a,) = clocks(resolved_history((K.ACCEPTED, mon(16, day=1))), msk(2026, 12, 3, 9))["acceptance"]
    assert a.state is S.ACCEPTED and a.stopped_at == mon(16, day=1)
    auto = resolved_history((K.AUTO_ACCEPTED, msk(2026, 11, 30, 15)))
    (a,) = clocks(auto, msk(2026, 12, 5))["acceptance"]
    # closed automatically: the acceptance clock reads "expired", not "accepted"
    assert a.state is S.EXPIRED and a.remaining_seconds == 0
    reopened = resolved_history((K.REOPENED, mon(10, day=2)))
    got = clocks(reopened, mon(12, day=2))
    assert got["acceptance"][0].state is S.REOPENED
    assert got["acceptance"][0].elapsed_seconds == 43 * 3600  # Mon 15:00 → Wed 10:00


def test_acceptance_follows_the_latest_resolution():
    ev = resolved_history(
        (K.REOPENED, mon(10, day=2)), (K.RESPONDED, mon(10, 5, day=2)), (K.RESOLVED, mon(14, day=3))
    )
    (a,) = clocks(ev, mon(15, day=3))["acceptance"]
    assert a.start == mon(14, day=3) and a.state is S.RUNNING


def test_acceptance_is_seven_wall_clock_days_across_dst():
    ber = ZoneInfo("Europe/Berlin")
    start, deadline = acceptance_deadline(POLICY, datetime(2026, 3, 25, 12, tzinfo=ber), ber)
    assert deadline == datetime(2026, 4, 1, 12, tzinfo=ber)
    assert deadline.utcoffset() == timedelta(hours=2) and start.utcoffset() == timedelta(hours=1)
    assert (deadline.timestamp() - start.timestamp()) == 7 * 86400 - 3600
    # without tz: the value's own zone; with the calendar's zone: converted first
    utc_start, utc_deadline = acceptance_deadline(POLICY, msk(2026, 11, 23, 15).astimezone(ber))
    assert utc_deadline == msk(2026, 11, 30, 15)
    with pytest.raises(ValueError):
        acceptance_deadline(POLICY, datetime(2026, 3, 25, 12))


def test_acceptance_reading_across_dst():
    ber = ZoneInfo("Europe/Berlin")
    cal = BusinessCalendar(CalendarSpec(timezone="Europe/Berlin", country="DE"))
    at = datetime(2026, 3, 25, 12, tzinfo=ber)
    ev = history(
        reg(at - timedelta(hours=2)), (K.RESPONDED, at - timedelta(hours=1)), (K.RESOLVED, at)
    )
    (a,) = [
        r
        for r in read(ev, cal, POLICY, datetime(2026, 3, 31, 12, tzinfo=ber))
        if r.clock == "acceptance"
    ]
    assert a.deadline == datetime(2026, 4, 1, 12, tzinfo=ber)
    assert a.target_seconds == 7 * 86400 - 3600
    assert a.elapsed_seconds == 6 * 86400 - 3600 and a.remaining_seconds == 86400


# ---- resolution --------------------------------------------------------------------------


def est(at: datetime, estimate: datetime, reason: str | None = None) -> tuple:
    return (K.ESTIMATE_SET, at, {"estimate": estimate.isoformat(), "reason": reason})


def test_no_resolution_clock_without_an_estimate():
    assert "resolution" not in clocks(history(reg(mon(9))), mon(10))


def test_resolution_on_track_and_overdue():
    ev = history(reg(mon(9)), (K.RESPONDED, mon(9, 5)), est(mon(9, 10), mon(17, day=2)))
    (r,) = clocks(ev, mon(12, day=1))["resolution"]
    assert r.state is S.ON_TRACK and r.is_open and r.deadline == mon(17, day=2)
    assert r.start == mon(9) and r.target_seconds is None
    assert r.elapsed_seconds == 27 * 3600 and r.remaining_seconds == 29 * 3600
    (r,) = clocks(ev, mon(18, day=2))["resolution"]
    assert r.state is S.ESTIMATE_OVERDUE and r.remaining_seconds == -3600 and r.is_open


def test_estimate_extension_ledger():
    ev = history(
        reg(mon(9)),
        (K.RESPONDED, mon(9, 5)),
        est(mon(9, 10), mon(17, day=1)),
        est(mon(16, day=1), mon(17, day=3), "new problems found"),
        est(mon(16, day=3), msk(2026, 12, 1, 17), "waiting for the vendor's fix"),
    )
    (r,) = clocks(ev, mon(18, day=3))["resolution"]
    assert r.deadline == msk(2026, 12, 1, 17) and r.state is S.ON_TRACK
    assert r.rule == (
        "resolution: an estimate, not a hard target; current estimate 2026-12-01 17:00"
        " (extended 2×: new problems found; waiting for the vendor's fix)"
    )


def test_resolution_resolved_reopened_rejected():
    base = (reg(mon(9)), (K.RESPONDED, mon(9, 5)), est(mon(9, 10), mon(17, day=1)))
    ev = history(*base, (K.RESOLVED, mon(18, day=1)))
    (r,) = clocks(ev, mon(12, day=5))["resolution"]
    assert r.state is S.RESOLVED and r.stopped_at == mon(18, day=1) and not r.is_open
    assert r.remaining_seconds == -3600  # resolved an hour after the estimate
    ev = history(*base, (K.RESOLVED, mon(12)), (K.REOPENED, mon(10, day=2)))
    (r,) = clocks(ev, mon(12, day=2))["resolution"]
    assert r.state is S.ESTIMATE_OVERDUE and r.stopped_at is None
    ev = history(*base, (K.REJECTED, mon(12), {"reason": "unreasonable"}))
    (r,) = clocks(ev, mon(12, day=2))["resolution"]
    assert r.state is S.STOPPED and r.stopped_at == mon(12) and not r.is_open


def test_naive_estimate_is_read_in_calendar_zone():
    ev = history(reg(mon(9)), (K.RESPONDED, mon(9, 5)))
    ev.append(Event("T-1", 9, K.ESTIMATE_SET, mon(9, 10), "", {"estimate": "2026-11-24T17:00+03:00"}))
    (r,) = clocks(ev, mon(12))["resolution"]
    assert r.deadline == mon(17, day=1)


# ---- everything together -----------------------------------------------------------------


def test_full_history_order_and_states():
    ev = history(
        reg(msk(2026, 11, 20, 17, 10), "high"),
        (K.ASKED, mon(9)),
        (K.ANSWERED, mon(11, day=1)),
        est(mon(11, 30, day=1), mon(17, day=3)),
        (K.RESOLVED, mon(16, day=3)),
        (K.ACCEPTED, mon(10, day=4)),
    )
    got = read(list(reversed(ev)), CAL, POLICY, mon(12, day=4))  # order is restored
    assert [(r.clock, r.state) for r in got] == [
        ("reaction", S.MET),
        ("feedback", S.ANSWERED),
        ("acceptance", S.ACCEPTED),
        ("resolution", S.RESOLVED),
    ]
    assert not any(r.is_open for r in got)
    assert all(r.start.tzinfo is MSK for r in got)


def test_empty_and_naive():
    assert read([], CAL, POLICY, mon(10)) == []
    with pytest.raises(ValueError, match="naive"):
        read(history(reg(mon(9))), CAL, POLICY, datetime(2026, 11, 23, 10))


def test_deadline_helpers():
    assert reaction_deadline(CAL, POLICY, Priority.CRITICAL, msk(2026, 11, 20, 17, 10)) == (
        msk(2026, 11, 20, 17, 10),
        mon(8, 40),
    )
    assert reaction_deadline(CAL, POLICY, None, mon(7)) == (mon(8, 30), mon(12, 30))
    assert feedback_deadline(CAL, POLICY, mon(10)) == (mon(10), mon(10, day=2))
    assert feedback_deadline(CAL, SlaPolicy(feedback_business_days=1), mon(10)) == (
        mon(10),
        mon(10, day=1),
    )


def test_policy_validation_and_string_keys():
    assert SlaPolicy(reaction_targets={"critical": 900}).reaction_target(Priority.CRITICAL) == 900
    assert SlaPolicy(reaction_targets={"critical": 900}).reaction_target(Priority.LOW) == 14400
    with pytest.raises(ValueError):
        SlaPolicy(warn_at=1.5)
    with pytest.raises(ValueError):
        SlaPolicy(reaction_targets={Priority.HIGH: 0})
    with pytest.raises(ValueError):
        SlaPolicy(acceptance_days=0)


def test_feedback_window_follows_the_calendar_day_length():
    short = BusinessCalendar(CalendarSpec(weekly={i: ((time(10), time(14)),) for i in range(5)}))
    assert POLICY.feedback_seconds(short) == 2 * 4 * 3600


def test_readings_are_values():
    r = reaction(history(reg(mon(10))), mon(10, 10))
    with pytest.raises(AttributeError):
        r.state = S.MET  # type: ignore[misc]
    assert r == reaction(history(reg(mon(10))), mon(10, 10))
    assert timedelta(seconds=r.remaining_seconds) == r.deadline - mon(10, 10)


def test_running_only_keeps_exactly_the_running_clocks():
    ev = history(
        reg(msk(2026, 11, 20, 17, 10), "high"),
        (K.ASKED, mon(9)),
        (K.ANSWERED, mon(11, day=1)),
        (K.ASKED, mon(12, day=1)),
        est(mon(11, 30, day=1), mon(17, day=3)),
    )
    now = mon(12, day=4)
    every = read(ev, CAL, POLICY, now)
    running = read(ev, CAL, POLICY, now, running_only=True)
    assert running == [r for r in every if r.is_open]
    assert [r.clock for r in running] == ["feedback", "resolution"]
