"""Property tests: every clock's deadline, elapsed time and state against the brute-force
calendar oracle of test_calendar_oracle (which shares no code with sccli's calendar)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sccli.domain.clocks import ClockState, PriorityChangeRule, SlaPolicy
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


# Independent targets (the contract's table), not read from SlaPolicy.
CONTRACT_TARGETS = {"critical": 1800, "high": 7200, "medium": 14400, "low": 14400, None: 14400}


@calendar_names
@PROPERTY
@given(data=st.data())
def test_reaction_with_priority_changes_matches_oracle(name, data):
    """Contract: "the priority or order may be changed by agreement between client and
    executor". Issue 10: raising the priority makes the deadline the earlier of the
    current deadline and the change time plus the new target; lowering it makes it
    registration plus the new target (never earlier than the current one); a breach that
    already happened stays a breach; the alternative setting counts the target of the
    priority in force from registration. Deadlines from the brute-force oracle."""
    cal, oracle = CALENDARS[name], ORACLES[name]
    rule = data.draw(st.sampled_from(list(PriorityChangeRule)))
    policy = SlaPolicy(priority_change=rule)
    registered = data.draw(instants(cal.tz))
    first = data.draw(st.sampled_from([None, *(p.value for p in Priority)]))
    offsets = sorted(data.draw(st.lists(st.integers(0, 3 * 24 * 60), min_size=1, max_size=3)))
    changes = [(registered + timedelta(minutes=m), data.draw(st.sampled_from(list(Priority))))
               for m in offsets]
    now = registered + timedelta(minutes=offsets[-1] + data.draw(minutes))
    answer_after = data.draw(st.one_of(st.none(), st.integers(0, offsets[-1] + 24 * 60)))
    responded = registered + timedelta(minutes=answer_after) if answer_after is not None else None
    items = [(K.REGISTERED, registered, {"priority": first})]
    items += [(K.PRIORITY_CHANGED, at, {"priority": p.value}) for at, p in changes]
    if responded is not None:
        # recorded in time order with the changes (a response between two changes)
        items.append((K.RESPONDED, responded, {"message": "m"}))
        # (changes after it are recorded too: they no longer move the stopped clock)
        items.sort(key=lambda item: (item[1], item[0] is K.RESPONDED))
    reading = read_clocks(_events(*items), cal, policy, now)[0]

    end = ts(responded) if responded is not None else ts(now)
    reg = ts(registered)
    judged, target = first, CONTRACT_TARGETS[first]
    deadline = oracle.add(reg, target)
    in_force = target
    for at, p in changes:
        if ts(at) > end:
            break  # the clock had stopped: no change moves it
        if ts(at) > deadline:
            break  # breached already: stays breached
        new = CONTRACT_TARGETS[p.value]
        if rule is PriorityChangeRule.FROM_REGISTRATION:
            deadline, judged = oracle.add(reg, new), p.value
        elif new < in_force:
            candidate = oracle.add(ts(at), new)
            if candidate <= deadline:
                deadline, judged = candidate, p.value
        else:
            candidate = oracle.add(reg, new)
            if candidate >= deadline:
                deadline, judged = candidate, p.value
        in_force = new
    target = CONTRACT_TARGETS[judged]
    assert ts(reading.deadline) == deadline
    assert reading.target_seconds == target
    assert (reading.priority.value if reading.priority else None) == judged
    remaining = oracle.elapsed(end, deadline) if end <= deadline else -oracle.elapsed(deadline, end)
    assert reading.remaining_seconds == remaining
    if responded is not None:
        expected = ClockState.MET if end <= deadline else ClockState.MET_LATE
    elif end > deadline:
        expected = ClockState.BREACHED
    elif target - remaining >= 0.8 * target:
        expected = ClockState.WARNING
    else:
        expected = ClockState.RUNNING
    assert reading.state is expected
