"""Worked examples of the business calendar (sccli/domain/calendar.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sccli.domain.calendar import BusinessCalendar, CalendarSpec

MSK = ZoneInfo("Europe/Moscow")
BER = ZoneInfo("Europe/Berlin")
NYC = ZoneInfo("America/New_York")
WORKING_SATURDAYS = frozenset(
    {date(2024, 4, 27), date(2024, 11, 2), date(2024, 12, 28), date(2025, 11, 1)}
)


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


@pytest.fixture(scope="module")
def cal() -> BusinessCalendar:
    return BusinessCalendar(
        CalendarSpec(
            extra_workdays=WORKING_SATURDAYS,
            shortened={date(2026, 11, 3): ((time(8, 30), time(16, 30)),)},
        )
    )


@pytest.fixture(scope="module")
def berlin() -> BusinessCalendar:
    nine_five = ((time(9), time(17)),)
    weekly = {i: (nine_five if i < 5 else ()) for i in range(7)}
    return BusinessCalendar(CalendarSpec(timezone="Europe/Berlin", weekly=weekly, country=None))


# (name, start, business seconds, expected result)
WORKED = [
    ("critical, Fri 17:10 → Mon 08:40", msk(2026, 11, 20, 17, 10), 1800, msk(2026, 11, 23, 8, 40)),
    ("high, on holiday Jan 8 → Jan 12", msk(2026, 1, 8, 16), 7200, msk(2026, 1, 12, 10, 30)),
    ("deadline exactly at closing", msk(2026, 11, 23, 13, 30), 4 * 3600, msk(2026, 11, 23, 17, 30)),
    ("working Saturday", msk(2025, 11, 1, 10), 1800, msk(2025, 11, 1, 10, 30)),
    ("Nov 3 day off, Nov 4 holiday", msk(2025, 11, 1, 17), 3600, msk(2025, 11, 5, 9)),
    ("start at 17:30 exactly", msk(2026, 11, 23, 17, 30), 1800, msk(2026, 11, 24, 9)),
    ("start before opening", msk(2026, 11, 23, 6, 0), 1800, msk(2026, 11, 23, 9)),
    ("feedback 2 days Mon → Wed", msk(2026, 11, 23, 10), 64800, msk(2026, 11, 25, 10)),
    ("shortened day ends 16:30", msk(2026, 11, 3, 16), 3600, msk(2026, 11, 5, 9)),
    ("New Year 2025 → Jan 9", msk(2024, 12, 28, 17), 3600, msk(2025, 1, 9, 9)),
    ("May holidays 2025", msk(2025, 4, 30, 17), 3600, msk(2025, 5, 5, 9)),
    ("whole week", msk(2026, 11, 23, 8, 30), 5 * 32400, msk(2026, 11, 27, 17, 30)),
    ("a second past closing", msk(2026, 11, 23, 17, 29, 59), 2, msk(2026, 11, 24, 8, 30, 1)),
    ("from UTC input", datetime(2026, 11, 23, 6, 0, tzinfo=UTC), 60, msk(2026, 11, 23, 9, 1)),
]


@pytest.mark.parametrize(
    ("name", "start", "seconds", "expected"), WORKED, ids=[w[0] for w in WORKED]
)
def test_worked_examples(cal, name, start, seconds, expected):
    got = cal.add(start, seconds)
    assert got == expected
    assert got.tzinfo is MSK and got.utcoffset() == expected.utcoffset()
    assert cal.elapsed(start, got) == seconds


def test_holiday_start_begins_at_next_opening(cal):
    assert cal.next_opening(msk(2026, 1, 8, 16)) == msk(2026, 1, 12, 8, 30)
    assert cal.day(date(2026, 1, 9)).reason == (
        "transferred day off: Day off (substituted from 01/03/2026)"
    )


def test_day_reasons(cal):
    assert cal.day(date(2026, 1, 1)).reason == "holiday: New Year Holidays"
    assert cal.day(date(2025, 11, 4)).reason == "holiday: Unity Day"
    assert cal.day(date(2025, 11, 1)).reason == "working Saturday (extra_workdays)"
    assert cal.day(date(2025, 11, 1)).intervals == ((time(8, 30), time(17, 30)),)
    assert cal.day(date(2026, 11, 21)).reason == "weekend"
    assert cal.day(date(2026, 11, 23)).reason == "business day"
    short = cal.day(date(2026, 11, 3))
    assert short.reason == "shortened day" and short.working
    assert short.intervals == ((time(8, 30), time(16, 30)),)


def test_precedence():
    d_hol, d_sat, d_mon = date(2026, 1, 5), date(2026, 11, 21), date(2026, 11, 23)
    spec = CalendarSpec(
        extra_holidays=frozenset({d_mon, d_sat}),
        extra_workdays=frozenset({d_hol, d_sat, d_mon}),
        shortened={d_mon: ((time(10), time(12)),)},
    )
    c = BusinessCalendar(spec)
    assert c.day(d_mon).reason == "shortened day"  # shortened beats everything
    assert c.day(d_sat).reason == "extra holiday"  # extra holiday beats extra workday
    hol = c.day(d_hol)  # extra workday beats a public holiday
    assert (
        hol.working
        and hol.reason == "working day (extra_workdays, overrides holiday: New Year Holidays)"
    )


def test_workday_hours_for_working_saturday():
    sat = date(2026, 11, 21)
    spec = CalendarSpec(
        extra_workdays=frozenset({sat}), workday_hours=((time(10), time(14)),), country=None
    )
    c = BusinessCalendar(spec)
    assert c.day(sat).intervals == ((time(10), time(14)),)
    assert c.add(msk(2026, 11, 21, 9), 3600) == msk(2026, 11, 21, 11)


def test_no_country_means_no_public_holidays():
    c = BusinessCalendar(CalendarSpec(country=None))
    assert c.day(date(2026, 1, 1)).working
    assert c.add(msk(2025, 12, 31, 17), 3600) == msk(2026, 1, 1, 9)


def test_is_open_is_half_open(cal):
    assert cal.is_open(msk(2026, 11, 23, 8, 30))
    assert cal.is_open(msk(2026, 11, 23, 17, 29, 59))
    assert not cal.is_open(msk(2026, 11, 23, 17, 30))
    assert not cal.is_open(msk(2026, 11, 23, 8, 29, 59))
    assert not cal.is_open(msk(2026, 11, 21, 12))


def test_add_zero(cal):
    inside = msk(2026, 11, 23, 12, 0, 0, 5)
    assert cal.add(inside, 0) == inside
    assert cal.add(msk(2026, 11, 23, 17, 30), 0) == msk(2026, 11, 24, 8, 30)
    assert cal.next_opening(msk(2026, 11, 20, 18)) == msk(2026, 11, 23, 8, 30)


def test_negative_and_naive_are_refused(cal):
    with pytest.raises(ValueError, match="naive"):
        cal.add(datetime(2026, 11, 23, 10), 60)
    with pytest.raises(ValueError, match="naive"):
        cal.elapsed(datetime(2026, 11, 23, 10), msk(2026, 11, 23, 11))
    with pytest.raises(ValueError, match="naive"):
        cal.is_open(datetime(2026, 11, 23, 10))
    with pytest.raises(ValueError, match="naive"):
        cal.next_opening(datetime(2026, 11, 23, 10))
    with pytest.raises(ValueError, match="negative"):
        cal.add(msk(2026, 11, 23, 10), -1)


def test_elapsed(cal):
    assert cal.elapsed(msk(2026, 11, 20, 17, 10), msk(2026, 11, 23, 8, 40)) == 1800
    assert cal.elapsed(msk(2026, 11, 23, 12), msk(2026, 11, 23, 11)) == 0
    assert cal.elapsed(msk(2026, 11, 23, 12), msk(2026, 11, 23, 12)) == 0
    # the whole of 2026: 247 working days in Russia's production calendar, one shortened 1 h
    assert cal.elapsed(msk(2026, 1, 1), msk(2027, 1, 1)) == 247 * 32400 - 3600
    # sub-second inputs: whole seconds, floored
    assert cal.elapsed(msk(2026, 11, 23, 10), msk(2026, 11, 23, 10, 0, 1, 999_999)) == 1


def test_full_day_seconds():
    assert BusinessCalendar(CalendarSpec(country=None)).full_day_seconds() == 32400
    split = ((time(9), time(13)), (time(14), time(18)))
    weekly = {0: split, 4: ((time(9), time(15)),)}
    c = BusinessCalendar(CalendarSpec(weekly=weekly, country=None))
    assert c.full_day_seconds() == 8 * 3600
    assert c.describe() == "Mon 09:00–13:00, 14:00–18:00; Fri 09:00–15:00 Europe/Moscow"


def test_describe(cal):
    assert cal.describe() == "Mon–Fri 08:30–17:30 Europe/Moscow"


def test_several_intervals_per_day():
    split = ((time(9), time(13)), (time(14), time(18)))
    c = BusinessCalendar(
        CalendarSpec(weekly={i: split for i in range(5)}, country=None, timezone="Europe/Berlin")
    )
    at = datetime(2026, 11, 23, 12, tzinfo=BER)
    assert c.add(at, 3600) == datetime(2026, 11, 23, 13, tzinfo=BER)  # ends at lunch: 13:00
    assert c.add(at, 3601) == datetime(2026, 11, 23, 14, 0, 1, tzinfo=BER)
    assert not c.is_open(datetime(2026, 11, 23, 13, 30, tzinfo=BER))
    assert c.next_opening(datetime(2026, 11, 23, 13, 30, tzinfo=BER)) == datetime(
        2026, 11, 23, 14, tzinfo=BER
    )
    assert c.elapsed(at, datetime(2026, 11, 23, 15, tzinfo=BER)) == 7200


def test_dst_berlin_spring(berlin):
    # Fri 16:00 + 2 h with 09:00–17:00 hours; DST starts Sun 2026-03-29 → Mon 10:00 CEST.
    got = berlin.add(datetime(2026, 3, 27, 16, tzinfo=BER), 7200)
    assert got == datetime(2026, 3, 30, 10, tzinfo=BER)
    assert got.utcoffset() == timedelta(hours=2)
    assert berlin.elapsed(datetime(2026, 3, 27, 16, tzinfo=BER), got) == 7200


def test_dst_berlin_autumn(berlin):
    got = berlin.add(datetime(2026, 10, 23, 16, tzinfo=BER), 5 * 8 * 3600)
    assert got == datetime(2026, 10, 30, 16, tzinfo=BER)
    assert got.utcoffset() == timedelta(hours=1)


def test_dst_new_york_24h_schedule():
    """Across DST, a 24-hour day really lasts 23 or 25 hours."""
    allday = ((time(0), time(0)),)
    c = BusinessCalendar(
        CalendarSpec(
            timezone="America/New_York", weekly={i: allday for i in range(7)}, country=None
        )
    )
    assert c.full_day_seconds() == 86400
    day = datetime(2026, 3, 8, tzinfo=NYC), datetime(2026, 3, 9, tzinfo=NYC)
    assert c.elapsed(*day) == 23 * 3600
    autumn = datetime(2026, 11, 1, tzinfo=NYC), datetime(2026, 11, 2, tzinfo=NYC)
    assert c.elapsed(*autumn) == 25 * 3600
    assert c.add(datetime(2026, 3, 8, tzinfo=NYC), 3 * 3600) == datetime(2026, 3, 8, 4, tzinfo=NYC)


def test_segments_and_skipped_days(cal):
    a, b = msk(2026, 1, 8, 16), msk(2026, 1, 12, 10, 30)
    assert cal.segments(a, b) == [(msk(2026, 1, 12, 8, 30), msk(2026, 1, 12, 10, 30))]
    skipped = cal.skipped_days(a, b)
    assert [d.date for d in skipped] == [date(2026, 1, d) for d in (8, 9, 10, 11)]
    assert skipped[1].reason.startswith("transferred day off")
    a, b = msk(2026, 11, 20, 17, 10), msk(2026, 11, 23, 8, 40)
    assert cal.segments(a, b) == [
        (msk(2026, 11, 20, 17, 10), msk(2026, 11, 20, 17, 30)),
        (msk(2026, 11, 23, 8, 30), msk(2026, 11, 23, 8, 40)),
    ]
    assert [d.reason for d in cal.skipped_days(a, b)] == ["weekend", "weekend"]
    assert cal.segments(b, a) == [] and cal.skipped_days(b, a) == []
    # an end at midnight does not touch the next date
    assert cal.skipped_days(msk(2026, 11, 20, 12), msk(2026, 11, 21)) == []


def test_window_is_the_three_calls_in_one(cal):
    start, until = msk(2026, 11, 20, 17, 10), msk(2026, 11, 23, 9)
    assert cal.window(start, 1800, until) == (start, msk(2026, 11, 23, 8, 40), 1200 + 1800)
    sat = msk(2026, 11, 21, 12)
    assert cal.window(sat, 7200, msk(2026, 11, 21, 13)) == (
        msk(2026, 11, 23, 8, 30),
        msk(2026, 11, 23, 10, 30),
        0,
    )
    with pytest.raises(ValueError):
        cal.window(sat, 0, sat)


def test_far_dates_extend_the_timeline(cal):
    start = msk(2026, 6, 1, 9)
    far = cal.add(start, 10 * 250 * 32400)  # about ten years of business time
    assert 2035 <= far.year <= 2037
    assert cal.elapsed(start, far) == 10 * 250 * 32400
    early = msk(2019, 3, 4, 9)  # before the timeline built so far
    assert cal.add(early, 3600) == msk(2019, 3, 4, 10)
    assert cal.elapsed(early, start) > 0


def test_absurd_dates_are_refused():
    c = BusinessCalendar(CalendarSpec(country=None))
    with pytest.raises(ValueError, match="range"):
        c.add(datetime(9999, 12, 31, 10, tzinfo=UTC), 3600)
    with pytest.raises(ValueError, match="range"):
        c.elapsed(datetime(1, 1, 2, tzinfo=UTC), msk(2026, 1, 1))
    assert c.add(msk(2026, 11, 23, 9), 60) == msk(2026, 11, 23, 9, 1)  # still usable


def test_bad_specs_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        BusinessCalendar(CalendarSpec(timezone="Mars/Olympus"))
    with pytest.raises(ValueError, match="country"):
        BusinessCalendar(CalendarSpec(country="XX"))
    with pytest.raises(ValueError, match="no business hours"):
        CalendarSpec(weekly={0: ()})
    with pytest.raises(ValueError, match="ends before"):
        CalendarSpec(weekly={0: ((time(17), time(9)),)})
    with pytest.raises(ValueError, match="overlap"):
        CalendarSpec(weekly={0: ((time(9), time(13)), (time(12), time(18)))})


def test_lists_from_yaml_are_accepted():
    spec = CalendarSpec(weekly={0: [[time(9), time(17)]]}, extra_workdays={date(2026, 1, 3)})
    assert spec.weekly[0] == ((time(9), time(17)),) and spec.weekly[6] == ()
    assert isinstance(spec.extra_workdays, frozenset)


# ---- the decrees' working Saturdays, from the ``holidays`` package --------------------------
# The contract: "08:30–17:30, Monday–Friday, Moscow time", public holidays and the
# government's transfer decrees included; the decree for 2027 makes Saturday 2027-02-20 a
# working day (and Monday 2027-02-22 a day off). CalendarSpec() is the contract, with no
# extra_workdays: the working Saturdays come from ``weekend_workdays``.
OLD_SHIPPED_SATURDAYS = WORKING_SATURDAYS  # what sla.yaml listed in extra_workdays before


@pytest.fixture(scope="module")
def contract() -> BusinessCalendar:
    return BusinessCalendar(CalendarSpec())


def test_decree_saturday_2027_02_20_is_a_working_day(contract):
    sat = contract.day(date(2027, 2, 20))
    assert sat.working and sat.reason == "working Saturday (decree)"
    assert sat.intervals == ((time(8, 30), time(17, 30)),)
    assert contract.is_open(msk(2027, 2, 20, 8, 30)) and not contract.is_open(
        msk(2027, 2, 20, 17, 30)
    )
    assert contract.day(date(2027, 2, 22)).reason.startswith("transferred day off")
    assert not contract.day(date(2027, 2, 21)).working  # the Sunday stays a weekend


def test_deadline_across_the_decree_saturday_uses_it(contract):
    # high (2 h) on Friday 2027-02-19 at 17:00: 30 min on Friday, 1 h 30 on the Saturday
    assert contract.add(msk(2027, 2, 19, 17), 7200) == msk(2027, 2, 20, 10)
    # 4 h from Saturday 16:30: 1 h on Saturday, then Monday 22 (off) and Tuesday 23 (holiday)
    assert contract.add(msk(2027, 2, 20, 16, 30), 4 * 3600) == msk(2027, 2, 24, 11, 30)
    assert contract.elapsed(msk(2027, 2, 19, 8, 30), msk(2027, 2, 24, 8, 30)) == 2 * 32400
    assert contract.next_opening(msk(2027, 2, 19, 17, 30)) == msk(2027, 2, 20, 8, 30)


def test_readme_example_holds_on_the_contract_calendar(contract):
    # README "Business time": high on the holiday 2026-01-08 16:00 is due 2026-01-12 10:30
    assert contract.add(msk(2026, 1, 8, 16), 7200) == msk(2026, 1, 12, 10, 30)
    assert contract.day(date(2026, 1, 9)).reason.startswith("transferred day off")


def test_earlier_decree_saturdays_come_from_the_package(contract):
    for d in OLD_SHIPPED_SATURDAYS:
        assert contract.day(d).working and contract.day(d).reason == "working Saturday (decree)"


def test_old_sla_yaml_with_the_saturdays_in_extra_workdays_behaves_the_same(contract):
    old = BusinessCalendar(CalendarSpec(extra_workdays=OLD_SHIPPED_SATURDAYS))
    d = date(2024, 1, 1)
    while d <= date(2027, 12, 31):
        a, b = old.day(d), contract.day(d)
        assert (a.working, a.intervals) == (b.working, b.intervals), d
        d += timedelta(days=1)
    for start in (msk(2024, 12, 27, 17), msk(2025, 10, 31, 12), msk(2027, 2, 19, 17)):
        for seconds in (1800, 7200, 64800):
            assert old.add(start, seconds) == contract.add(start, seconds)
    assert old.day(date(2025, 11, 1)).reason == "working Saturday (extra_workdays)"


def test_old_workspace_sla_yaml_behaves_the_same():
    from sccli.config import default_sla_text, parse_sla

    text = default_sla_text()
    assert "  extra_workdays: []\n" in text
    old_text = text.replace(
        "  extra_workdays: []\n",
        "  extra_workdays:\n"
        + "".join(f"    - {d.isoformat()}\n" for d in sorted(OLD_SHIPPED_SATURDAYS)),
    )
    new, old = parse_sla(text, "sla.yaml").calendar, parse_sla(old_text, "sla.yaml").calendar
    assert not parse_sla(text, "sla.yaml").extra_workdays
    for d in (*OLD_SHIPPED_SATURDAYS, date(2027, 2, 20), date(2026, 1, 9), date(2027, 2, 22)):
        assert (old.day(d).working, old.day(d).intervals) == (
            new.day(d).working,
            new.day(d).intervals,
        )
    assert new.add(msk(2027, 2, 19, 17), 7200) == old.add(msk(2027, 2, 19, 17), 7200)


def test_decree_saturday_in_the_precedence_order():
    sat = date(2027, 2, 20)
    # extra_holidays and shortened days beat the decree; extra_workdays keep their reason
    assert BusinessCalendar(CalendarSpec(extra_holidays={sat})).day(sat).reason == "extra holiday"
    short = BusinessCalendar(CalendarSpec(shortened={sat: ((time(9), time(12)),)})).day(sat)
    assert short.reason == "shortened day" and short.intervals == ((time(9), time(12)),)
    extra = BusinessCalendar(CalendarSpec(extra_workdays={sat})).day(sat)
    assert extra.working and extra.reason == "working Saturday (extra_workdays)"
    # a working Saturday gets workday_hours; without a country there is no decree
    own = BusinessCalendar(CalendarSpec(workday_hours=((time(10), time(14)),))).day(sat)
    assert own.working and own.intervals == ((time(10), time(14)),)
    assert not BusinessCalendar(CalendarSpec(country=None)).day(sat).working


def test_sla_calendar_shows_the_decree_saturday(cli):
    rows = cli.ok(
        "sla", "calendar", "--from", "2027-02-19", "--to", "2027-02-23", "--format", "json"
    ).json()
    assert [(r["date"], r["working"]) for r in rows] == [
        ("2027-02-19", True), ("2027-02-20", True), ("2027-02-21", False),
        ("2027-02-22", False), ("2027-02-23", False)]  # fmt: skip
    assert rows[1]["reason"] == "working Saturday (decree)"
    assert (
        "working Saturday (decree)"
        in cli.ok("sla", "calendar", "--from", "2027-02-20", "--to", "2027-02-20").stdout
    )
