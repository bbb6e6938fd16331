"""Property tests: the interval arithmetic against a brute-force oracle.

The oracle shares no code with sccli.domain.calendar: it re-implements the day rules from
the spec and the ``holidays`` package, and walks the time line minute by minute (or second
by second), asking "is this instant inside the local day's hours?".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sccli.domain.calendar import BusinessCalendar, CalendarSpec

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
STD = ((time(8, 30), time(17, 30)),)
SPLIT = ((time(9), time(13)), (time(14), time(18)))
NINE_FIVE = ((time(9), time(17)),)


def _weekdays(hours):
    return {i: (hours if i < 5 else ()) for i in range(7)}


SPECS = {
    # The contract as shipped: 08:30–17:30 Mon–Fri Moscow time, RU holidays and decrees only.
    "contract": CalendarSpec(),
    # The old sla.yaml listed the decrees' working Saturdays in extra_workdays too.
    "moscow": CalendarSpec(
        extra_workdays=frozenset(
            {date(2024, 4, 27), date(2024, 11, 2), date(2024, 12, 28), date(2025, 11, 1)}
        ),
        extra_holidays=frozenset({date(2025, 11, 5), date(2027, 5, 4)}),
        shortened={
            date(2024, 12, 28): ((time(8, 30), time(16, 30)),),
            date(2025, 11, 1): ((time(8, 30), time(16, 30)),),
            date(2026, 11, 3): ((time(8, 30), time(16, 30)),),
        },
    ),
    # Labor Code art. 95 on: the working day before a non-working holiday is an hour shorter.
    "contract-art95": CalendarSpec(pre_holiday_shortening=True),
    "berlin-split": CalendarSpec(timezone="Europe/Berlin", weekly=_weekdays(SPLIT), country="DE"),
    "berlin-none": CalendarSpec(
        timezone="Europe/Berlin", weekly=_weekdays(NINE_FIVE), country=None
    ),
    "new-york": CalendarSpec(
        timezone="America/New_York",
        weekly={**_weekdays(NINE_FIVE), 5: ((time(10), time(12)),)},
        country="US",
        extra_workdays=frozenset({date(2026, 11, 29)}),
    ),
}
CALENDARS = {name: BusinessCalendar(spec) for name, spec in SPECS.items()}


class Oracle:
    """Brute force: step through UTC instants, look up the local day's hours."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.tz = ZoneInfo(spec.timezone)
        table = (
            holidays.country_holidays(spec.country, years=range(2023, 2030)) if spec.country else {}
        )
        self.names = dict(table)
        # working weekend days of the decrees (e.g. Saturday 2027-02-20 in RU)
        self.decree_workdays = set(getattr(table, "weekend_workdays", ()))
        self.transfers = {d for d, n in self.names.items() if "Day off" in n or "observed" in n}
        if spec.country == "RU":
            self._labor_code_art112()
        self.offset = lru_cache(maxsize=None)(self._offset)
        self.hours = lru_cache(maxsize=None)(self._hours)

    def _labor_code_art112(self) -> None:
        """A year whose table has no decree (no transfer, no working weekend day): a holiday
        on a Saturday or Sunday, except 1–8 January, moves to the next free Monday–Friday."""
        for year in range(2023, 2030):
            days = [d for d in self.names if d.year == year]
            if any(d in self.transfers for d in days) or any(
                d.year == year for d in self.decree_workdays
            ):
                continue
            for d in sorted(days):
                if d.isoweekday() in (6, 7) and not (d.month == 1 and d.day < 9):
                    moved = d + timedelta(days=1)
                    while moved.isoweekday() > 5 or moved in self.names:
                        moved += timedelta(days=1)
                    self.names[moved] = f"art. 112: {self.names[d]}"
                    self.transfers.add(moved)

    def _status(self, d: date) -> str:
        """'off-holiday', 'off-transfer', 'off-other', 'work-decree' or 'work'."""
        spec = self.spec
        if d in spec.shortened:
            return "work" if spec.shortened[d] else "off-other"
        if d in spec.extra_holidays:
            return "off-other"
        if d in spec.extra_workdays:
            return "work"
        if d in self.names:
            return "off-transfer" if d in self.transfers else "off-holiday"
        if d in self.decree_workdays:
            return "work-decree"
        return "work" if spec.weekly.get(d.weekday()) else "off-weekend"

    def _pre_holiday(self, d: date) -> bool:
        """Art. 95 as the decrees' production calendars read it: the next day is a holiday;
        a decree's working Saturday is shorter when the weekday it works in place of (the
        day off "substituted from" it) was the eve of a holiday."""
        if d in self.spec.shortened or self._status(d).startswith("off"):
            return False
        if self._status(d + timedelta(days=1)) == "off-holiday":
            return True
        if self._status(d) != "work-decree":
            return False
        label = d.strftime("substituted from %m/%d/%Y")
        swapped = [day for day, name in self.names.items() if label in name]
        return any(self._status(w + timedelta(days=1)) == "off-holiday" for w in swapped)

    def _offset(self, hour: int) -> int:
        """UTC offset (s) during the UTC hour ``hour`` (DST switches on whole hours)."""
        return int(datetime.fromtimestamp(hour * 3600, self.tz).utcoffset().total_seconds())

    def _hours(self, ordinal: int) -> tuple[tuple[int, int], ...]:
        d, spec = date.fromordinal(ordinal), self.spec
        if d in spec.shortened:
            hours = spec.shortened[d]
        elif d in spec.extra_holidays:
            hours = ()
        elif d in spec.extra_workdays:
            hours = spec.weekly[d.weekday()] or spec.workday_hours or spec.weekly[0]
        elif d in self.names:
            hours = ()
        elif d in self.decree_workdays:
            hours = spec.weekly[d.weekday()] or spec.workday_hours or spec.weekly[0]
        else:
            hours = spec.weekly.get(d.weekday(), ())

        def sec(t: time) -> int:
            return t.hour * 3600 + t.minute * 60 + t.second

        out = [(sec(s), sec(e) or 86400) for s, e in hours]
        if spec.pre_holiday_shortening and out and self._pre_holiday(d):
            s, e = out[-1]
            out[-1] = (s, e - 3600)  # one hour less, at the end (no test day ends under 1 h)
        return tuple(out)

    def business(self, t: int) -> bool:
        local = t + self.offset(t // 3600)
        sod = local % 86400
        return any(s <= sod < e for s, e in self.hours(_EPOCH_ORDINAL + local // 86400))

    def elapsed(self, a: int, b: int, step: int = 60) -> int:
        return sum(step for t in range(a, b, step) if self.business(t))

    def add(self, a: int, n: int, step: int = 60) -> int:
        t = a
        if n == 0:
            while not self.business(t):
                t += step
            return t
        count = 0
        while True:
            if self.business(t):
                count += step
                if count >= n:
                    return t + step
            t += step


ORACLES = {name: Oracle(spec) for name, spec in SPECS.items()}

EDGE_DATES = sorted(
    {
        date(y, m, d)
        for y in range(2024, 2028)
        for m, days in ((1, range(1, 13)), (5, range(1, 13)), (11, range(1, 6)))
        for d in days
    }
    | {date(2024, 4, 27), date(2024, 11, 2), date(2024, 12, 28), date(2025, 11, 1)}
    | {date(2024, 12, 27), date(2024, 12, 30), date(2025, 10, 31), date(2026, 11, 3)}
    | {date(2027, 2, 19), date(2027, 2, 20), date(2027, 2, 22), date(2027, 2, 23)}
    # DST switches: EU last Sundays of March/October, US 2nd Sunday March / 1st November
    | {date(2024, 3, 31), date(2024, 10, 27), date(2025, 3, 30), date(2025, 10, 26)}
    | {date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)}
    | {date(2026, 3, 8), date(2026, 11, 1), date(2025, 3, 9), date(2025, 11, 2)}
    | {date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 29)}
    # a year without a decree: Unity Day 2028-11-04 (Sat) moves to Monday 2028-11-06 (art. 112)
    | {date(2028, 1, 1), date(2028, 1, 8), date(2028, 1, 10), date(2028, 11, 3)}
    | {date(2028, 11, 4), date(2028, 11, 6), date(2028, 11, 7), date(2028, 2, 22)}
)
EDGE_MINUTES = [
    h * 60 + m
    for h, m in (
        (0, 0), (8, 29), (8, 30), (8, 31), (9, 0), (12, 59), (13, 0), (13, 59),
        (14, 0), (16, 29), (16, 30), (16, 59), (17, 0), (17, 29), (17, 30), (17, 59),
        (18, 0), (23, 59),
    )
]  # fmt: skip

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def instants(draw, tz: ZoneInfo) -> datetime:
    """Whole-minute instants in 2024–2028, biased to holiday, DST and opening/closing edges."""
    d = draw(st.one_of(st.sampled_from(EDGE_DATES), st.dates(date(2024, 1, 1), date(2028, 12, 10))))
    minute = draw(st.one_of(st.sampled_from(EDGE_MINUTES), st.integers(0, 1439)))
    local = datetime.combine(d, time(minute // 60, minute % 60), tz)
    return local.astimezone(UTC).astimezone(tz)  # normalise instants inside DST gaps


def ts(at: datetime) -> int:
    return int(at.timestamp())


def from_ts(t: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(t, tz)


calendar_names = pytest.mark.parametrize("name", sorted(SPECS))
three_weeks = st.integers(-600, 21 * 24 * 60)
# amounts that often land exactly on a closing time (from an opening or a closing)
business_minutes = st.one_of(
    st.integers(0, 60),
    st.integers(0, 5 * 9 * 60),
    st.sampled_from([30, 60, 120, 180, 240, 420, 480, 510, 540, 1080, 1620, 2160, 2700]),
)


@calendar_names
@PROPERTY
@given(data=st.data())
def test_elapsed_matches_oracle(name, data):
    cal, oracle = CALENDARS[name], ORACLES[name]
    a = data.draw(instants(cal.tz))
    b = a + timedelta(minutes=data.draw(three_weeks))
    assert cal.elapsed(a, b) == (oracle.elapsed(ts(a), ts(b)) if b > a else 0)


@calendar_names
@PROPERTY
@given(data=st.data())
def test_add_matches_oracle(name, data):
    cal, oracle = CALENDARS[name], ORACLES[name]
    start = data.draw(instants(cal.tz))
    n = data.draw(business_minutes)
    got = cal.add(start, n * 60)
    assert got == from_ts(oracle.add(ts(start), n * 60), cal.tz)
    assert got.tzinfo is cal.tz


@calendar_names
@PROPERTY
@given(data=st.data())
def test_next_opening_and_is_open_match_oracle(name, data):
    cal, oracle = CALENDARS[name], ORACLES[name]
    at = data.draw(instants(cal.tz))
    assert cal.is_open(at) == oracle.business(ts(at))
    assert cal.next_opening(at) == from_ts(oracle.add(ts(at), 0), cal.tz)


@calendar_names
@PROPERTY
@given(data=st.data())
def test_add_then_elapsed_round_trips(name, data):
    cal = CALENDARS[name]
    start = data.draw(instants(cal.tz))
    start += timedelta(
        seconds=data.draw(st.integers(0, 59)), microseconds=data.draw(st.integers(0, 999_999))
    )
    seconds = data.draw(st.integers(0, 10 * 32400))
    end = cal.add(start, seconds)
    assert end >= start
    assert cal.elapsed(cal.next_opening(start), end) == seconds
    assert cal.elapsed(start, end) == seconds
    if seconds:
        assert cal.is_open(end - timedelta(microseconds=1))


@calendar_names
@PROPERTY
@given(data=st.data())
def test_elapsed_then_add_is_the_earliest_such_instant(name, data):
    """add(a, elapsed(a, b)) is the first instant c with that much business time: b itself,
    or the closing time before a non-business gap ending at b (never the next opening)."""
    cal = CALENDARS[name]
    a = data.draw(instants(cal.tz))
    b = a + timedelta(minutes=data.draw(st.integers(0, 21 * 24 * 60)))
    x = cal.elapsed(a, b)
    c = cal.add(a, x)
    assert cal.elapsed(a, c) == x
    if x:
        assert a < c <= b
        assert cal.elapsed(c, b) == 0
        assert cal.is_open(c - timedelta(microseconds=1))
        assert c == b or not cal.is_open(c)


@calendar_names
@PROPERTY
@given(data=st.data())
def test_window_agrees_with_separate_calls(name, data):
    cal = CALENDARS[name]
    start = data.draw(instants(cal.tz))
    until = start + timedelta(minutes=data.draw(three_weeks))
    seconds = data.draw(st.integers(1, 5 * 32400))
    assert cal.window(start, seconds, until) == (
        cal.next_opening(start),
        cal.add(start, seconds),
        cal.elapsed(start, until),
    )


@calendar_names
@PROPERTY
@given(data=st.data())
def test_monotonic(name, data):
    cal = CALENDARS[name]
    a = data.draw(instants(cal.tz))
    b = a + timedelta(minutes=data.draw(st.integers(0, 21 * 24 * 60)))
    c = b + timedelta(minutes=data.draw(st.integers(0, 7 * 24 * 60)))
    s1, s2 = sorted(data.draw(st.lists(st.integers(0, 20 * 32400), min_size=2, max_size=2)))
    assert cal.add(a, s1) <= cal.add(a, s2)
    assert cal.add(a, s1) <= cal.add(b, s1)
    assert cal.elapsed(a, b) <= cal.elapsed(a, c)
    assert cal.elapsed(a, c) == cal.elapsed(a, b) + cal.elapsed(b, c)  # additive


@calendar_names
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_second_resolution_against_oracle(name, data):
    """Amounts and instants that are not whole minutes, on a short span, stepping by 1 s."""
    cal, oracle = CALENDARS[name], ORACLES[name]
    start = data.draw(instants(cal.tz)) + timedelta(seconds=data.draw(st.integers(0, 59)))
    span = data.draw(st.integers(0, 4 * 3600))
    end = start + timedelta(seconds=span)
    assert cal.elapsed(start, end) == oracle.elapsed(ts(start), ts(end), step=1)
    n = data.draw(st.integers(0, 1800))
    assert cal.add(start, n) == from_ts(oracle.add(ts(start), n, step=1), cal.tz)


def test_oracle_knows_the_labor_code_days():
    """The oracle itself applies art. 112 to a year without a decree and art. 95 when on
    (so the property tests above compare something on those days)."""
    contract, art95 = ORACLES["contract"], ORACLES["contract-art95"]
    full, short = ((30600, 63000),), ((30600, 59400),)  # 08:30–17:30, 08:30–16:30
    assert contract.hours(date(2028, 11, 6).toordinal()) == ()  # Unity Day Sat 4 → Mon 6
    assert contract.hours(date(2028, 1, 10).toordinal()) == full  # 1–8 January not moved
    assert contract.hours(date(2026, 11, 3).toordinal()) == full  # art. 95 off by default
    assert art95.hours(date(2026, 11, 3).toordinal()) == short  # before Unity Day (Wed)
    assert art95.hours(date(2024, 11, 2).toordinal()) == short  # in place of 30 April
    assert art95.hours(date(2024, 12, 28).toordinal()) == full  # in place of 30 December
    assert art95.hours(date(2023, 4, 28).toordinal()) == full  # Friday, then a weekend
    assert art95.hours(date(2025, 5, 7).toordinal()) == full  # before a transferred day off
    for name in ("contract", "contract-art95"):
        cal, oracle = CALENDARS[name], ORACLES[name]
        for d in (date(2026, 11, 3), date(2028, 11, 6), date(2028, 11, 3), date(2024, 11, 2),
                  date(2024, 12, 28), date(2027, 2, 20)):
            a = datetime.combine(d, time(0), cal.tz)
            b = a + timedelta(days=1)
            assert cal.elapsed(a, b) == oracle.elapsed(ts(a), ts(b))
