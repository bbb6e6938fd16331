"""What each date is to the business calendar, and why: the schedule and the day rules.

``CalendarSpec`` is what sla.yaml says about service hours; ``Days`` turns it, with the
public holidays of ``calendar_years``, into one ``DayInfo`` per date: its hours, whether it
works, and the reason ``sla explain`` and ``sla calendar`` show. It is separate from the
arithmetic (``calendar``) because it answers a different question: the arithmetic asks it
for a year's hours once, when it builds the timeline, and never again on its hot path.

Precedence for one date: ``shortened`` > ``extra_holidays`` > ``extra_workdays`` > public
holiday > ``weekly``. Public holidays include the decrees' transfers from the ``holidays``
package: transferred days off, and working weekend days (``weekend_workdays``, e.g. the
working Saturday 2027-02-20). A working day from ``extra_workdays`` or a decree keeps its
weekday's hours, or gets ``workday_hours`` (default: Monday's) when its weekday has none.
In a year without a decree a day off moved by Labor Code art. 112 is a non-working day; with
``pre_holiday_shortening``, art. 95 ends the working day before a non-working holiday one
hour earlier; an explicit ``shortened`` wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from . import labor_code
from .calendar_years import HolidayYears

Hours = tuple[tuple[time, time], ...]
_Date = date  # DayInfo's field ``date`` shadows the type inside its class body

_MIDNIGHT = time(0)
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_WORDS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_STANDARD: Hours = ((time(8, 30), time(17, 30)),)


def _default_weekly() -> dict[int, Hours]:
    return {i: (_STANDARD if i < 5 else ()) for i in range(7)}


def _sec(t: time, end: bool = False) -> int:
    """Seconds since midnight; an interval *end* of 00:00 means 24:00."""
    if end and t == _MIDNIGHT:
        return 86400
    return t.hour * 3600 + t.minute * 60 + t.second


def _hours(value: Any, where: str) -> Hours:
    """Normalise and validate one day's intervals: sorted, non-empty, non-overlapping."""
    out: list[tuple[time, time]] = []
    prev_end = -1
    for pair in value or ():
        start, end = pair
        if not isinstance(start, time) or not isinstance(end, time):
            raise ValueError(f"{where}: hours must be (time, time) pairs, got {pair!r}")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"{where}: hours are wall-clock times, without a time zone")
        s, e = _sec(start), _sec(end, end=True)
        if e <= s:
            raise ValueError(f"{where}: {start:%H:%M}-{end:%H:%M} ends before it starts")
        if s < prev_end:
            raise ValueError(f"{where}: intervals overlap or are not in order")
        prev_end = e
        out.append((start, end))
    return tuple(out)


def _fmt_hours(hours: Hours) -> str:
    return ", ".join(
        f"{s:%H:%M}–{'24:00' if e == _MIDNIGHT else format(e, '%H:%M')}" for s, e in hours
    )


def longest_day_seconds(weekly: Mapping[int, Hours]) -> int:
    """Length of a standard full business day: the longest day of the weekly schedule."""
    return max(sum(_sec(e, True) - _sec(s) for s, e in h) for h in weekly.values())


def describe_week(weekly: Mapping[int, Hours]) -> str:
    """Human summary of weekly hours, e.g. ``Mon–Fri 08:30–17:30``."""
    parts, i = [], 0
    while i < 7:
        j = i
        while j + 1 < 7 and weekly[j + 1] == weekly[i]:
            j += 1
        if weekly[i]:
            days = _DAY_NAMES[i] if i == j else f"{_DAY_NAMES[i]}–{_DAY_NAMES[j]}"
            parts.append(f"{days} {_fmt_hours(weekly[i])}")
        i = j + 1
    return "; ".join(parts)


@dataclass(frozen=True)
class CalendarSpec:
    """What sla.yaml says about service hours (defaults: the contract's)."""

    timezone: str = "Europe/Moscow"
    weekly: Mapping[int, Hours] = field(default_factory=_default_weekly)
    country: str | None = "RU"
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    shortened: Mapping[date, Hours] = field(default_factory=dict)
    workday_hours: Hours | None = None
    # Provisional years checked by hand (sla.yaml calendar.confirmed_years): no warning.
    confirmed_years: frozenset[int] = frozenset()
    # Labor Code art. 95: the working day before a non-working holiday is one hour shorter.
    pre_holiday_shortening: bool = False

    def __post_init__(self) -> None:
        # Accept lists (from YAML) but store tuples/frozensets so the spec stays a value.
        weekly = {}
        for day, hours in dict(self.weekly).items():
            if day not in range(7):
                raise ValueError(f"weekly: weekday {day!r} is not 0 (Mon) … 6 (Sun)")
            weekly[day] = _hours(hours, f"weekly[{_DAY_NAMES[day]}]")
        weekly = {i: weekly.get(i, ()) for i in range(7)}
        if not any(weekly.values()):
            raise ValueError("weekly: no business hours on any day")
        shortened = {d: _hours(h, f"shortened[{d}]") for d, h in dict(self.shortened).items()}
        set_ = object.__setattr__
        set_(self, "weekly", weekly)
        set_(self, "shortened", shortened)
        set_(self, "extra_holidays", frozenset(self.extra_holidays))
        set_(self, "extra_workdays", frozenset(self.extra_workdays))
        set_(self, "confirmed_years", frozenset(self.confirmed_years))
        if self.workday_hours is not None:
            set_(self, "workday_hours", _hours(self.workday_hours, "workday_hours"))


# What makes a day what it is (``DayInfo.kind``); ``sla calendar --year`` lists every kind
# but the first two.
STANDARD_KINDS = ("business", "weekend")
DAY_KINDS = (
    *STANDARD_KINDS,
    "holiday",  # a public holiday of the ``holidays`` package
    "transfer-decree",  # a day off transferred by a decree (the package's data)
    "transfer-art112",  # a day off moved by Labor Code art. 112 (a year without a decree)
    "working-weekend-decree",  # a decree's working Saturday (``weekend_workdays``)
    "extra-holiday",  # sla.yaml extra_holidays
    "extra-workday",  # sla.yaml extra_workdays
    "shortened",  # sla.yaml shortened
    "pre-holiday",  # one hour shorter, Labor Code art. 95 (pre_holiday_shortening)
)


@dataclass(frozen=True)
class DayInfo:
    """One date as the calendar sees it, with the reason (shown by ``sla explain``).

    ``kind`` is one of ``DAY_KINDS``; ``name`` the holiday behind it (a package holiday's
    English name; for an art. 112 transfer or an art. 95 day, the holiday at ``source``);
    ``provisional`` is true for a day a year without a decree gets from art. 112 (until its
    year is confirmed).
    """

    date: date
    intervals: Hours
    working: bool
    reason: str
    kind: str = "business"
    name: str = ""
    provisional: bool = False
    source: _Date | None = None  # the holiday an art. 112 transfer or art. 95 day refers to


class Days:
    """The dates of one calendar, classified on first use and cached (no range check: the
    calendar's timeline covers the years next to an instant, and deadlines may run past
    its last year)."""

    def __init__(self, spec: CalendarSpec, years: HolidayYears) -> None:
        self.spec, self.years = spec, years
        self._workday: Hours = (
            spec.workday_hours or spec.weekly[0] or next(h for h in spec.weekly.values() if h)
        )
        self._days: dict[date, DayInfo] = {}
        self._bases: dict[date, DayInfo] = {}  # days before art. 95

    def day(self, d: date) -> DayInfo:
        """The hours of date ``d`` and why (cached)."""
        info = self._days.get(d)
        if info is None:
            info = self._days[d] = self._make_day(d)
        return info

    def year_days(self, year: int) -> list[DayInfo]:
        """The year's non-standard days (every kind but business days and weekends)."""
        d, one, out = date(year, 1, 1), timedelta(days=1), []
        while d.year == year:
            info = self.day(d)
            if info.kind not in STANDARD_KINDS:
                out.append(info)
            d += one
        return out

    def _make_day(self, d: date) -> DayInfo:
        if not self.spec.pre_holiday_shortening:
            return self._make_base(d)
        info = self._base(d)
        if not info.working or info.kind == "shortened":
            return info
        holiday = labor_code.pre_holiday(d, info.kind, self._base, self.years.swaps.get(d))
        if holiday is None:
            return info
        hours, name = labor_code.cut_end(info.intervals, 3600), self._base(holiday).name
        instead = "" if holiday == d + timedelta(days=1) else (
            f" (works in place of {holiday - timedelta(days=1):%a %Y-%m-%d})")
        return DayInfo(
            d, hours, bool(hours),
            f"pre-holiday day, one hour shorter (Labor Code art. 95): before {name}"
            f" {holiday:%a %Y-%m-%d}{instead}",
            "pre-holiday", name, False, holiday,
        )  # fmt: skip

    def _base(self, d: date) -> DayInfo:
        """The day without art. 95's shortening (cached; used only when it is on)."""
        info = self._bases.get(d)
        if info is None:
            info = self._bases[d] = self._make_base(d)
        return info

    def _make_base(self, d: date) -> DayInfo:
        spec, years, wd = self.spec, self.years, d.weekday()
        weekly = spec.weekly[wd]
        if d in spec.shortened:
            hours = spec.shortened[d]
            return DayInfo(d, hours, bool(hours), "shortened day", "shortened")
        if d in spec.extra_holidays:
            return DayInfo(d, (), False, "extra holiday", "extra-holiday")
        name = years.holiday(d)
        moved = years.art112.get(d) if years.art112 else None
        if d in spec.extra_workdays:
            if not weekly:
                return DayInfo(d, self._workday, True,
                               f"working {_DAY_WORDS[wd]} (extra_workdays)", "extra-workday")
            over = name or (moved and years.names.get(moved))
            why = f", overrides holiday: {over}" if over else ""
            return DayInfo(d, weekly, True, f"working day (extra_workdays{why})", "extra-workday")
        if name:
            kind = "transfer-decree" if labor_code.is_transfer_name(name) else "holiday"
            word = "transferred day off" if name.startswith("Day off") else "holiday"
            return DayInfo(d, (), False, f"{word}: {name}", kind, name)
        if moved is not None:
            of = years.names.get(moved, "holiday")
            provisional = moved.year not in spec.confirmed_years
            why = "Labor Code art. 112" + (", provisional" if provisional else "")
            return DayInfo(d, (), False,
                           f"transferred day off: {of} of {moved:%a %Y-%m-%d} ({why})",
                           "transfer-art112", of, provisional, moved)  # fmt: skip
        if d in years.decree_workdays:  # filled by ``years.holiday(d)`` for d's year
            return DayInfo(d, weekly or self._workday, True,
                           f"working {_DAY_WORDS[wd]} (decree)", "working-weekend-decree")
        if weekly:
            return DayInfo(d, weekly, True, "business day")
        return DayInfo(d, (), False, "weekend", "weekend")
