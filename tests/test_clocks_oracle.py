"""Property tests: every clock's deadline, elapsed time and state against the brute-force
calendar oracle of test_calendar_oracle (which shares no code with sccli's calendar)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sccli.domain.clocks import ClockState, SlaPolicy
from sccli.domain.clocks import read_clocks as _read_clocks
from sccli.domain.history import history
from sccli.domain.model import EventKind, Priority
from sccli.store.codec import event_from_data as Event
from tests.test_calendar_oracle import CALENDARS, ORACLES, PROPERTY, SPECS, instants, ts

POLICY = SlaPolicy()
K = EventKind


def read_clocks(events, calendar, policy, now):
    return _read_clocks(history(events), calendar, policy, now)
calendar_names = pytest.mark.parametrize("name", sorted(SPECS))
minutes = st.integers(0, 15 * 24 * 60)


def _events(*items):
    return [Event("T-1", i, kind, at, "x", data) for i, (kind, at, data) in enumerate(items, 1)]


@calendar_names
@PROPERTY
@given(data=st.data())
def test_reaction_clock_matches_oracle(name, data):
    cal, oracle = CALENDARS[name], ORACLES[name]
    registered = data.draw(instants(cal.tz))
    priority = data.draw(st.sampled_from(list(Priority)))
    now = registered + timedelta(minutes=data.draw(minutes))
    answer_after = data.draw(st.one_of(st.none(), minutes))
    events = [(K.REGISTERED, registered, {"priority": priority.value})]
    responded = None
    if answer_after is not None and registered + timedelta(minutes=answer_after) <= now:
        responded = registered + timedelta(minutes=answer_after)
        events.append((K.RESPONDED, responded, {"message": "m"}))
    reading = read_clocks(_events(*events), cal, POLICY, now)[0]

    target = POLICY.reaction_target(priority)
    start, deadline = oracle.add(ts(registered), 0), oracle.add(ts(registered), target)
    end = ts(responded) if responded else ts(now)
    elapsed = oracle.elapsed(ts(registered), end)
    assert (ts(reading.start), ts(reading.deadline)) == (start, deadline)
    assert reading.elapsed_seconds == elapsed and reading.remaining_seconds == target - elapsed
    if responded:
        expected = ClockState.MET if ts(responded) <= deadline else ClockState.MET_LATE
    elif ts(now) > deadline:
        expected = ClockState.BREACHED
    elif elapsed >= 0.8 * target:
        expected = ClockState.WARNING
    else:
        expected = ClockState.RUNNING
    assert reading.state is expected


@calendar_names
@PROPERTY
@given(data=st.data())
def test_feedback_clock_matches_oracle(name, data):
    cal, oracle = CALENDARS[name], ORACLES[name]
    registered = data.draw(instants(cal.tz))
    asked = registered + timedelta(minutes=data.draw(st.integers(0, 600)))
    now = asked + timedelta(minutes=data.draw(minutes))
    answered = data.draw(st.one_of(st.none(), st.integers(0, 15 * 24 * 60)))
    events = [(K.REGISTERED, registered, {"priority": "low"}), (K.ASKED, asked, {"message": "?"})]
    answer_at = asked + timedelta(minutes=answered) if answered is not None else None
    if answer_at and answer_at <= now:
        events.append((K.ANSWERED, answer_at, {"message": "!"}))
    else:
        answer_at = None
    feedback = [r for r in read_clocks(_events(*events), cal, POLICY, now) if r.clock == "feedback"][0]

    day = max(  # the longest day of the weekly schedule, computed independently
        sum((e.hour * 60 + e.minute) * 60 - (s.hour * 60 + s.minute) * 60 for s, e in hours)
        for hours in SPECS[name].weekly.values()
    )
    window = POLICY.feedback_business_days * day
    deadline = oracle.add(ts(asked), window)
    end = ts(answer_at) if answer_at else ts(now)
    elapsed = oracle.elapsed(ts(asked), end)
    assert ts(feedback.deadline) == deadline and feedback.elapsed_seconds == elapsed
    assert feedback.client_delay_seconds == max(0, elapsed - window)
    if answer_at:
        assert feedback.state is ClockState.ANSWERED
    else:
        overdue = ts(now) > deadline
        assert feedback.state is (ClockState.CLIENT_OVERDUE if overdue else ClockState.RUNNING)


@calendar_names
@PROPERTY
@given(data=st.data())
def test_acceptance_clock_is_seven_wall_clock_days(name, data):
    cal = CALENDARS[name]
    resolved = data.draw(instants(cal.tz))
    now = resolved + timedelta(minutes=data.draw(minutes))
    events = [
        (K.REGISTERED, resolved - timedelta(hours=3), {"priority": "low"}),
        (K.RESPONDED, resolved - timedelta(hours=2), {"message": "m"}),
        (K.RESOLVED, resolved, {"message": "done"}),
    ]
    acceptance = read_clocks(_events(*events), cal, POLICY, now)[-1]
    local = resolved.astimezone(cal.tz)
    wall = local.replace(tzinfo=None) + timedelta(days=7)
    expected = ts(wall.replace(tzinfo=cal.tz, fold=0))
    assert ts(acceptance.deadline) == expected
    assert acceptance.state is (ClockState.EXPIRED if ts(now) >= expected else ClockState.RUNNING)
