"""Years without a decree (Labor Code art. 112, provisional), `sla calendar --year`, and the
optional pre-holiday shortening (Labor Code art. 95).

The contract: "Service hours: 08:30–17:30 Moscow time (UTC+03:00), on business days
according to the production calendar of the Russian Federation" (Russian original: "по
рабочим дням согласно производственному календарю РФ"). The production calendar of a year
is the Labor Code's holidays plus the government's decree for that year; the ``holidays``
package carries a decree from its next release. Until then a year is provisional.

Art. 112 (the rule applied to a year without a decree): "При совпадении выходного и
нерабочего праздничного дней выходной день переносится на следующий после праздничного
рабочий день, за исключением выходных дней, совпадающих с нерабочими праздничными днями,
указанными в абзацах втором и третьем части первой настоящей статьи" — when a weekend day
and a non-working holiday coincide, the day off moves to the next working day after the
holiday, except 1–8 January (paragraphs 2 and 3: the New Year holidays and Christmas), whose
weekend days only a decree transfers.

2028 by hand (weekday of each non-working holiday of art. 112 part 1):
  1 Jan Sat, 2 Jan Sun, 3–6 Jan Mon–Thu, 7 Jan Fri (Christmas), 8 Jan Sat
      → 1, 2 and 8 January fall on a weekend but are 1–8 January: NOT moved by art. 112;
  23 Feb Wed, 8 Mar Wed, 1 May Mon, 9 May Tue, 12 Jun Mon → on working days: nothing moves;
  4 Nov Sat (Unity Day) → moves to the next working day, Monday 6 November 2028.
So the only art. 112 transfer of 2028 is 2028-11-06. (2029: 4 Nov Sun → Mon 5 Nov; 7 Jan
Sun stays. 2030: 23 Feb Sat → Mon 25 Feb.)

Art. 95: "Продолжительность рабочего дня или смены, непосредственно предшествующих
нерабочему праздничному дню, уменьшается на один час" — the working day immediately before
a non-working holiday is one hour shorter. Off by default: the contract states 08:30–17:30.
"""

from __future__ import annotations

from datetime import date

import pytest

from sccli.domain import calendar_years as calendar_module  # the module that loads `holidays`
from sccli.domain.calendar import BusinessCalendar, CalendarSpec
from tests.conftest import Cli

PROVISIONAL = BusinessCalendar().year_status(2028) == "provisional"
needs_2028 = pytest.mark.skipif(
    not PROVISIONAL,
    reason="the installed holidays package carries the 2028 decree: move these tests a year on",
)
WARNING = "the business calendar of 2028 is provisional"


def set_calendar(cli: Cli, **keys: str) -> None:
    """Add keys to sla.yaml's calendar: section (replacing the shipped defaults)."""
    path = cli.home / "sla.yaml"
    text = path.read_text(encoding="utf-8")
    for key, value in keys.items():
        lines = [ln for ln in text.splitlines() if not ln.startswith(f"  {key}:")]
        at = lines.index("calendar:") + 1
        lines.insert(at, f"  {key}: {value}")
        text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")


def warnings(result) -> list[str]:
    return [ln for ln in result.stderr.splitlines() if "provisional" in ln]


# ---- art. 112 in the domain ----------------------------------------------------------------


@needs_2028
def test_2028_art112_moves_only_unity_day():
    cal = BusinessCalendar()
    moved = {i.date: i for i in cal.year_days(2028) if i.kind == "transfer-art112"}
    assert list(moved) == [date(2028, 11, 6)]  # the one transfer computed by hand above
    day = moved[date(2028, 11, 6)]
    assert not day.working and day.provisional and day.source == date(2028, 11, 4)
    assert day.reason == (
        "transferred day off: Unity Day of Sat 2028-11-04 (Labor Code art. 112, provisional)"
    )
    # 1–8 January: weekend holidays 1, 2 and 8 January are not moved; Monday 10 works.
    assert cal.day(date(2028, 1, 10)).working
    assert cal.day(date(2028, 1, 10)).reason == "business day"
    assert cal.day(date(2028, 1, 9)).reason == "weekend"
    # later years without a decree follow the same rule
    assert [i.date for i in cal.year_days(2029) if i.kind == "transfer-art112"] == [
        date(2029, 11, 5)
    ]
    assert [i.date for i in cal.year_days(2030) if i.kind == "transfer-art112"] == [
        date(2030, 2, 25)
    ]


def test_decreed_years_are_not_shifted_again():
    """2027's decree (in the package) moves its weekend holidays itself: no art. 112 on top."""
    cal = BusinessCalendar()
    assert cal.year_status(2027) == "decree" and cal.year_status(2026) == "decree"
    assert not [i for i in cal.year_days(2027) if i.kind == "transfer-art112"]
    # the decree's own transfers: 1 May 2027 (Sat) → Mon 3 May, not also Tue 4 May
    assert cal.day(date(2027, 5, 3)).kind == "transfer-decree"
    assert cal.day(date(2027, 5, 4)).working


@needs_2028
def test_a_package_that_moves_days_itself_is_not_shifted_twice(monkeypatch):
    """If a newer package computes the transfers for a year (observed days), art. 112 is not
    applied a second time (and the year still counts as provisional only without them)."""
    real = calendar_module.holidays.country_holidays

    def with_observed(country, years, **kw):
        table = real(country, years=years, **kw)
        if years == 2028:
            table[date(2028, 11, 6)] = "Unity Day (observed)"
        return table

    monkeypatch.setattr(calendar_module.holidays, "country_holidays", with_observed)
    cal = BusinessCalendar()
    assert cal.year_status(2028) == "decree"
    assert cal.day(date(2028, 11, 6)).kind == "transfer-decree"
    assert cal.day(date(2028, 11, 7)).working  # not moved again to Tuesday


@needs_2028
def test_each_provisional_year_is_reported_once_and_only_when_used():
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    msk, told = ZoneInfo("Europe/Moscow"), []
    cal = BusinessCalendar(on_provisional=told.append)
    start = datetime(2027, 6, 1, 10, tzinfo=msk)
    cal.add(start, 3600)  # the timeline now holds 2026–2028, but only 2027 is used
    assert told == [] and cal.day(date(2027, 12, 31)).kind == "transfer-decree"
    assert told == []
    cal.add(datetime(2027, 12, 30, 16, tzinfo=msk), 4 * 3600)  # reaches January 2028
    assert told == [2028]
    for n in range(200):  # many clocks in 2028 and 2029
        at = datetime(2028, 1, 10, 9, tzinfo=msk) + timedelta(days=3 * n)
        cal.window(at, 4 * 3600, at + timedelta(days=2))
        cal.elapsed(at, at + timedelta(days=1))
    assert told == [2028, 2029]
    confirmed = BusinessCalendar(CalendarSpec(confirmed_years=frozenset({2028})), told.append)
    confirmed.add(datetime(2028, 11, 3, 15, 30, tzinfo=msk), 4 * 3600)
    assert told == [2028, 2029] and confirmed.year_status(2028) == "confirmed"


def test_other_countries_have_no_provisional_years():
    cal = BusinessCalendar(CalendarSpec(timezone="Europe/Berlin", country="DE"))
    assert cal.year_status(2028) == "decree"
    assert not [i for i in cal.year_days(2028) if i.kind == "transfer-art112"]


# ---- through the CLI: deadlines and the warning --------------------------------------------


@needs_2028
def test_deadline_across_the_transferred_2028_day_warns_once(cli: Cli):
    # medium = 4 h: Fri 2028-11-03 15:30–17:30 (2 h), Sat 4 (Unity Day), Sun 5, Mon 6 (day
    # off moved from Saturday by art. 112), then Tue 7 08:30–10:30.
    result = cli.ok("sla", "deadline", "--priority", "medium", "--at", "2028-11-03T15:30",
                    "--format", "json")
    assert result.json()["deadline"] == "2028-11-07T10:30:00+03:00"
    assert len(warnings(result)) == 1 and WARNING in result.stderr
    assert "calendar.confirmed_years" in result.stderr and "art. 112" in result.stderr
    # 1–8 January: Saturday 8 January stays a holiday, nothing moves to Monday 10
    jan = cli.ok("sla", "deadline", "--priority", "high", "--at", "2028-01-08T10:00",
                 "--format", "json").json()
    assert jan["deadline"] == "2028-01-10T10:30:00+03:00"


@needs_2028
def test_no_warning_when_no_provisional_year_is_used(cli: Cli):
    result = cli.ok("sla", "deadline", "--priority", "low", "--at", "2027-06-01T10:00")
    assert warnings(result) == []
    # the last days of 2027 reach into 2028: that deadline uses 2028
    late = cli.ok("sla", "deadline", "--priority", "medium", "--at", "2027-12-30T16:00")
    assert "2028-01-10T11:00:00+03:00" in late.stdout  # 31 Dec: decree day off; 1–9 Jan off
    assert len(warnings(late)) == 1


@needs_2028
def test_confirmed_years_silences_the_warning(cli: Cli):
    set_calendar(cli, confirmed_years="[2028]")
    result = cli.ok("sla", "deadline", "--priority", "medium", "--at", "2028-11-03T15:30",
                    "--format", "json")
    assert result.json()["deadline"] == "2028-11-07T10:30:00+03:00"  # art. 112 still applies
    assert warnings(result) == []
    year = cli.ok("sla", "calendar", "--year", "2028", "--format", "json").json()
    assert year["status"] == "confirmed" and warnings(result) == []
    moved = [d for d in year["days"] if d["kind"] == "transfer-art112"]
    assert [(d["date"], d["provisional"]) for d in moved] == [("2028-11-06", False)]
    assert moved[0]["reason"] == "transfer (Labor Code art. 112, confirmed): Unity Day 2028-11-04"


@needs_2028
def test_warning_once_per_run_across_many_clocks(cli: Cli):
    cli.env["SCCLI_NOW"] = "2028-11-03T08:00"
    cli.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru",
           at="2028-10-02T09:00")
    for n in range(6):
        cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title",
               f"ticket {n}", "--priority", "medium", at=f"2028-11-02T1{n}:00")
    cli.env["SCCLI_NOW"] = "2028-11-03T17:00"
    status = cli.ok("sla", "status", "--format", "json")
    assert len(status.json()) == 6
    assert len(warnings(status)) == 1, status.stderr
    check = cli("sla", "check")
    assert check.exit_code in (0, 1) and len(warnings(check)) == 1
    explain = cli.ok("sla", "explain", "ACME-6", at="2028-11-07T12:00")
    assert "Mon 2028-11-06 skipped: transferred day off: Unity Day of Sat 2028-11-04" \
        " (Labor Code art. 112, provisional)" in explain.stdout
    assert len(warnings(explain)) == 1


@needs_2028
def test_russian_warning(cli: Cli):
    cli.env["SCCLI_LANG"] = "ru"
    result = cli.ok("sla", "deadline", "--at", "2028-11-03T15:30")
    assert len(warnings(result)) == 0  # the Russian text says "предварительный"
    lines = [ln for ln in result.stderr.splitlines() if "предварительный" in ln]
    assert len(lines) == 1 and "ст. 112 ТК РФ" in lines[0]
    assert "calendar.confirmed_years" in lines[0]


# ---- sla calendar --year -------------------------------------------------------------------


def test_calendar_year_2027_shows_the_decree_saturday(cli: Cli):
    out = cli.ok("sla", "calendar", "--year", "2027", "--format", "json")
    data = out.json()
    assert data["year"] == 2027 and data["status"] == "decree"
    days = {d["date"]: d for d in data["days"]}
    sat = days["2027-02-20"]
    assert sat["working"] and sat["kind"] == "working-weekend-decree"
    assert sat["reason"] == "working Saturday (decree)" and not sat["provisional"]
    assert days["2027-02-22"]["reason"].startswith("transfer (decree): ")
    assert days["2027-02-23"]["reason"] == "holiday: Defender of the Fatherland Day"
    assert not any(d["provisional"] for d in data["days"])
    assert "2027-02-19" not in days and "2027-02-21" not in days  # ordinary days left out
    assert warnings(out) == []
    table = cli.ok("sla", "calendar", "--year", "2027")
    assert "2027-02-20  Sat    yes        08:30-17:30  working Saturday (decree)" in table.stdout
    ru = cli.ok("--lang", "ru", "sla", "calendar", "--year", "2027").stdout
    assert "рабочая суббота (постановление)" in ru
    assert "праздник: День защитника Отечества" in ru


@needs_2028
def test_calendar_year_2028_flags_provisional_days(cli: Cli):
    out = cli.ok("sla", "calendar", "--year", "2028")
    assert out.stdout.startswith("2028: provisional")
    row = next(ln for ln in out.stdout.splitlines() if ln.startswith("2028-11-06"))
    assert "transfer (Labor Code art. 112, provisional): Unity Day 2028-11-04" in row
    assert row.rstrip().endswith("provisional")
    assert len(warnings(out)) == 1  # the header line is on stdout; stderr has the warning
    assert len([ln for ln in out.stderr.splitlines() if WARNING in ln]) == 1
    data = cli.ok("sla", "calendar", "--year", "2028", "--format", "json").json()
    assert data["status"] == "provisional"
    assert [d["date"] for d in data["days"] if d["provisional"]] == ["2028-11-06"]
    assert {"2028-01-01", "2028-01-08", "2028-11-04"} <= {d["date"] for d in data["days"]}
    ru = cli.ok("--lang", "ru", "sla", "calendar", "--year", "2028").stdout
    assert "перенос выходного (ст. 112 ТК РФ, предварительно): День народного единства" in ru
    # the --from/--to listing carries the same flag
    rows = cli.ok("sla", "calendar", "--from", "2028-11-03", "--to", "2028-11-07",
                  "--format", "json").json()
    assert [(r["date"], r["working"], r["provisional"]) for r in rows] == [
        ("2028-11-03", True, False), ("2028-11-04", False, False), ("2028-11-05", False, False),
        ("2028-11-06", False, True), ("2028-11-07", True, False),
    ]


def test_calendar_year_company_days(cli: Cli):
    set_calendar(cli, extra_holidays="[2027-05-04]", extra_workdays="[2027-12-25]",
                 shortened='{2027-03-05: ["08:30-15:30"]}')
    days = {d["date"]: d for d in
            cli.ok("sla", "calendar", "--year", "2027", "--format", "json").json()["days"]}
    assert days["2027-05-04"]["reason"] == "company holiday (sla.yaml)"
    assert days["2027-12-25"]["reason"] == "company working day (sla.yaml)"
    assert days["2027-03-05"]["reason"] == "shortened day (sla.yaml)"
    assert days["2027-03-05"]["hours"] == "08:30-15:30"


def test_calendar_year_bad_input(cli: Cli):
    result = cli("sla", "calendar", "--year", "1999")
    assert result.exit_code == 2 and "outside the range" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = cli("sla", "calendar", "--year", "2027", "--from", "2027-01-01")
    assert result.exit_code == 2 and "--year cannot be combined" in result.stderr
    result = cli("sla", "calendar", "--year", "next")
    assert result.exit_code == 2


# ---- art. 95: pre-holiday shortening -------------------------------------------------------


def test_pre_holiday_shortening_is_off_by_default(cli: Cli):
    # Tue 2026-11-03 precedes Unity Day (Wed 4 Nov). medium 4 h from 14:00: 3 h 30 on the
    # 3rd (to 17:30), then 30 min on Thu 5 Nov → 09:00.
    out = cli.ok("sla", "deadline", "--at", "2026-11-03T14:00", "--format", "json").json()
    assert out["deadline"] == "2026-11-05T09:00:00+03:00"
    day = cli.ok("sla", "calendar", "--from", "2026-11-03", "--to", "2026-11-03",
                 "--format", "json").json()[0]
    assert day["hours"] == "08:30-17:30"


def test_pre_holiday_shortening_on(cli: Cli):
    set_calendar(cli, pre_holiday_shortening="true")
    # the 3rd ends at 16:30: 2 h 30 that day, 1 h 30 on Thu 5 Nov → 10:00 (one hour later)
    out = cli.ok("sla", "deadline", "--at", "2026-11-03T14:00", "--format", "json").json()
    assert out["deadline"] == "2026-11-05T10:00:00+03:00"
    days = {d["date"]: d for d in
            cli.ok("sla", "calendar", "--year", "2026", "--format", "json").json()["days"]}
    pre = days["2026-11-03"]
    assert pre["hours"] == "08:30-16:30" and pre["kind"] == "pre-holiday"
    assert pre["reason"] == ("pre-holiday day, one hour shorter (Labor Code art. 95):"
                             " before Unity Day 2026-11-04")
    # sla explain of a clock crossing that day says so
    cli.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru",
           at="2026-10-01T09:00")
    cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "slow",
           "--priority", "medium", at="2026-11-03T14:00")
    explain = cli.ok("sla", "explain", "ACME-1", at="2026-11-05T12:00").stdout
    assert "deadline: 2026-11-05T10:00:00+03:00" in explain
    assert ("~ Tue 2026-11-03 shortened to 08:30-16:30: pre-holiday day, one hour shorter"
            " (Labor Code art. 95): before Unity Day Wed 2026-11-04") in explain
    assert "+ Tue 2026-11-03 14:00:00 – 16:30:00" in explain


@pytest.mark.parametrize(
    "year,published",
    [
        # the government's production calendars (40-hour week: 1973, 1979, 1972 hours)
        (2023, ["2023-02-22", "2023-03-07", "2023-11-03"]),
        (2024, ["2024-02-22", "2024-03-07", "2024-05-08", "2024-06-11", "2024-11-02"]),
        (2025, ["2025-03-07", "2025-04-30", "2025-06-11", "2025-11-01"]),
    ],
)
def test_art95_days_match_the_published_production_calendars(year, published):
    """Not a Friday before a weekend and a Monday holiday (2023-04-28), not the day before a
    transferred day off (2025-05-07), and a decree's working Saturday only when the weekday it
    works in place of was a holiday's eve (2024-11-02 for 30 April; not 2024-12-28, which
    replaces Monday 30 December)."""
    cal = BusinessCalendar(CalendarSpec(pre_holiday_shortening=True))
    days = [i for i in cal.year_days(year) if i.kind == "pre-holiday"]
    assert [i.date.isoformat() for i in days] == published
    assert all(i.intervals[-1][1].strftime("%H:%M") == "16:30" for i in days)
    assert sum(len(i.intervals) > 0 for i in days) == len(published)


def test_explicit_shortened_wins_over_art95(cli: Cli):
    set_calendar(cli, pre_holiday_shortening="true", shortened='{2026-11-03: ["08:30-15:00"]}')
    # 1 h on the 3rd (14:00–15:00), 3 h on Thu 5 Nov → 11:30
    out = cli.ok("sla", "deadline", "--at", "2026-11-03T14:00", "--format", "json").json()
    assert out["deadline"] == "2026-11-05T11:30:00+03:00"


# ---- configuration errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,message",
    [
        ("[twenty]", "calendar.confirmed_years[0]"),
        ("[1999]", "too small"),
        ("[2028.5]", "not an integer"),
        ("2028", "expected a list"),
        ("[true]", "not an integer"),
    ],
)
def test_bad_confirmed_years_is_a_one_line_config_error(cli: Cli, value, message):
    set_calendar(cli, confirmed_years=value)
    result = cli("sla", "deadline", "--at", "2026-11-03T14:00")
    assert result.exit_code == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "confirmed_years" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_pre_holiday_shortening_is_a_config_error(cli: Cli):
    set_calendar(cli, pre_holiday_shortening="sometimes")
    result = cli("sla", "deadline", "--at", "2026-11-03T14:00")
    assert result.exit_code == 2 and "pre_holiday_shortening" in result.stderr
    assert "true or false" in result.stderr and len(result.stderr.strip().splitlines()) == 1
