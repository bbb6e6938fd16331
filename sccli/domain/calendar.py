"""The business calendar: service hours minus holidays, with interval arithmetic to the second.

Shaped like Zendesk's ``biz``: a schedule (weekly wall-clock hours, public holidays from the
``holidays`` package, and the exceptions of sla.yaml) becomes concrete intervals on the time
line, and durations are consumed from them.

Why it is fast: the intervals of a contiguous range of years are flattened once into sorted
UTC instants with a running total of business time (a prefix sum). ``add`` and ``elapsed`` are
then two bisections each, whatever the span: no minute stepping and no per-day loops.

Conventions (tested against a brute-force oracle in ``tests/test_calendar_oracle.py``):

* Intervals are half-open, ``[open, close)``: at 17:30 exactly the office is closed.
* A clock started outside business hours starts at the next opening.
* ``add(start, s)`` with ``s > 0`` whose deadline falls exactly at a closing time returns
  that closing time (17:30), not the next opening; ``add(x, 0)`` is ``x`` when open, else the
  next opening.
* Hours are wall-clock times in the calendar's zone; every day's intervals are made concrete
  with ``datetime.combine(day, t, tzinfo)`` and measured in UTC, so DST days are exact. An end
  of ``time(0)`` means 24:00. A boundary inside a DST gap resolves with ``fold=0``.
* Precedence for one date: ``shortened`` > ``extra_holidays`` > ``extra_workdays`` > public
  holiday > ``weekly``. Public holidays include the decrees' transfers from the ``holidays``
  package: transferred days off, and working weekend days (``weekend_workdays``, e.g. the
  working Saturday 2027-02-20). A working day from ``extra_workdays`` or a decree keeps its
  weekday's hours, or gets ``workday_hours`` (default: Monday's) when its weekday has none.
* Every datetime must be timezone-aware (``ValueError`` otherwise); results are returned in
  the calendar's zone.

Russia's Labor Code rules (``labor_code``): for a year whose decree the ``holidays`` package
does not carry yet (a *provisional* year), art. 112 moves a holiday falling on a weekend to
the next working day (not 1–8 January); such a year, unless ``confirmed_years`` lists it, is
reported once through ``on_provisional`` when an operation actually uses it (building the
next year of the timeline ahead does not). With ``pre_holiday_shortening``, art. 95 ends the
working day before a non-working holiday one hour earlier; an explicit ``shortened`` wins.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from ..errors import UsageError
from . import labor_code

Hours = tuple[tuple[time, time], ...]
_Date = date  # DayInfo's field ``date`` shadows the type inside its class body

_US = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIDNIGHT = time(0)
_NEVER = 1 << 62  # an instant (µs) after every instant the calendar handles
_MAX_YEARS = 400  # a timeline wider than this means a nonsense date, not a real deadline
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_WORDS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_STANDARD: Hours = ((time(8, 30), time(17, 30)),)

# The years sccli accepts an instant in (``sccli.clock.parse_instant`` refuses others): inside
# the years the ``holidays`` package knows public holidays for (RU: 1991–2100), and wider
# than any support contract. A calendar whose country's holiday data is shorter narrows it.
MIN_YEAR = 2000
MAX_YEAR = 2100
SUPPORTED_RANGE = f"{MIN_YEAR}-01-01 … {MAX_YEAR}-12-31"


class CalendarRangeError(UsageError, ValueError):
    """A date or instant outside the calendar's supported years: a user mistake (exit 2),
    and a ``ValueError`` like the calendar's other refusals."""


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


@dataclass
class _LaborState:
    """A calendar's Labor Code state: art. 112 for years without a decree, art. 95."""

    art112_on: bool  # Russia
    decreed_until: int | None  # the package's last decree year (None: it does not say)
    art112: dict[date, date] = field(default_factory=dict)  # a moved day off → its holiday
    provisional_years: set[int] = field(default_factory=set)  # loaded, without a decree
    swaps: dict[date, date] = field(default_factory=dict)  # decree working Saturday → day off
    bases: dict[date, DayInfo] = field(default_factory=dict)  # days before art. 95


class BusinessCalendar:
    """Business-time arithmetic over a :class:`CalendarSpec` (see the module docstring)."""

    def __init__(
        self,
        spec: CalendarSpec | None = None,
        on_provisional: Callable[[int], None] | None = None,
    ) -> None:
        self.spec = spec = spec or CalendarSpec()
        # Told each provisional, unconfirmed year once, when an operation first uses it.
        self.on_provisional = on_provisional
        try:
            self.tz: ZoneInfo = ZoneInfo(spec.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {spec.timezone!r} (use an IANA name, e.g. Europe/Moscow)"
            ) from None
        first, last, known = MIN_YEAR, MAX_YEAR, ""
        decreed: int | None = None
        if spec.country:
            try:
                table = holidays.country_holidays(spec.country, years=[])
            except NotImplementedError:
                raise ValueError(
                    f"unknown holiday country {spec.country!r} (use an ISO code such as RU,"
                    " or none for no public holidays)"
                ) from None
            since, until = getattr(table, "start_year", first), getattr(table, "end_year", last)
            if since > first or until < last:  # no silent "no holidays" outside their data
                first, last = max(first, since), min(last, until)
                known = f"; public holidays of {spec.country} are known for {since}–{until}"
            decreed = labor_code.decreed_until(table)
        self.first_year, self.last_year = first, last
        # Labor Code art. 112 for the years without a decree (Russia only), and art. 95.
        # Kept in one object: past 30 instance attributes CPython stops sharing the
        # instance dict's keys, and every attribute read of the arithmetic gets slower.
        self._lc = _LaborState(spec.country == "RU", decreed)
        self.provisional_used: set[int] = set()  # reported through ``on_provisional``
        # No operation before this instant (µs) can use a provisional year not yet reported.
        self._prov_lo = _NEVER
        if self._lc.art112_on:
            after = (decreed or first - 1) + 1
            self._prov_lo = self._local_us(date(min(max(after, 1), 9999), 1, 1), _MIDNIGHT)
        self._noted_lo = self._noted_hi = 0  # instants already checked for provisional years
        self._range_text = f"{first}-01-01 … {last}-12-31{known}"
        self._workday: Hours = (
            spec.workday_hours or spec.weekly[0] or next(h for h in spec.weekly.values() if h)
        )
        self._holiday_names: dict[date, str] = {}
        self._decree_workdays: set[date] = set()  # the package's ``weekend_workdays``
        self._holiday_years: set[int] = set()
        self._days: dict[date, DayInfo] = {}
        self._full = max(sum(_sec(e, True) - _sec(s) for s, e in h) for h in spec.weekly.values())
        self._description = f"{self._describe_week()} {spec.timezone}"
        # The timeline: business intervals of local years [_y0, _y1] as UTC microseconds.
        self._built = False
        self._y0 = self._y1 = 0
        self._lo = self._hi = 0  # covered instants: [_lo, _hi)
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._cum: list[int] = []  # business µs before interval k
        self._cum_end: list[int] = []  # business µs up to the end of interval k

    # ---- days -------------------------------------------------------------------------------

    def day(self, d: date) -> DayInfo:
        """The hours of date ``d`` and why (cached); CalendarRangeError outside the years."""
        if not self.first_year <= d.year <= self.last_year:
            raise self._out_of_range(d.isoformat())
        info = self._day(d)
        if self._lc.art112_on:
            us = self._local_us(d, _MIDNIGHT)
            if us >= self._prov_lo:
                self._note(us, us)
        return info

    def _out_of_range(self, what: str) -> CalendarRangeError:
        return CalendarRangeError(
            f"{what} is outside the range the business calendar supports ({self._range_text})"
        )

    def _day(self, d: date) -> DayInfo:
        """``day`` without the range check: the timeline covers the years next to an instant
        and deadlines may run past the last year."""
        info = self._days.get(d)
        if info is None:
            info = self._days[d] = self._make_day(d)
        return info

    def _make_day(self, d: date) -> DayInfo:
        if not self.spec.pre_holiday_shortening:
            return self._make_base(d)
        info = self._base(d)
        if not info.working or info.kind == "shortened":
            return info
        holiday = labor_code.pre_holiday(d, info.kind, self._base, self._lc.swaps.get(d))
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
        info = self._lc.bases.get(d)
        if info is None:
            info = self._lc.bases[d] = self._make_base(d)
        return info

    def _make_base(self, d: date) -> DayInfo:
        spec, wd = self.spec, d.weekday()
        weekly = spec.weekly[wd]
        if d in spec.shortened:
            hours = spec.shortened[d]
            return DayInfo(d, hours, bool(hours), "shortened day", "shortened")
        if d in spec.extra_holidays:
            return DayInfo(d, (), False, "extra holiday", "extra-holiday")
        name = self._holiday(d)
        moved = self._lc.art112.get(d) if self._lc.art112 else None
        if d in spec.extra_workdays:
            if not weekly:
                return DayInfo(d, self._workday, True,
                               f"working {_DAY_WORDS[wd]} (extra_workdays)", "extra-workday")
            over = name or (moved and self._holiday_names.get(moved))
            why = f", overrides holiday: {over}" if over else ""
            return DayInfo(d, weekly, True, f"working day (extra_workdays{why})", "extra-workday")
        if name:
            kind = "transfer-decree" if labor_code.is_transfer_name(name) else "holiday"
            word = "transferred day off" if name.startswith("Day off") else "holiday"
            return DayInfo(d, (), False, f"{word}: {name}", kind, name)
        if moved is not None:
            of = self._holiday_names.get(moved, "holiday")
            provisional = moved.year not in spec.confirmed_years
            why = "Labor Code art. 112" + (", provisional" if provisional else "")
            return DayInfo(d, (), False,
                           f"transferred day off: {of} of {moved:%a %Y-%m-%d} ({why})",
                           "transfer-art112", of, provisional, moved)  # fmt: skip
        if d in self._decree_workdays:  # filled by ``_holiday(d)`` for d's year
            return DayInfo(d, weekly or self._workday, True,
                           f"working {_DAY_WORDS[wd]} (decree)", "working-weekend-decree")
        if weekly:
            return DayInfo(d, weekly, True, "business day")
        return DayInfo(d, (), False, "weekend", "weekend")

    def _holiday(self, d: date) -> str | None:
        """Public-holiday name of ``d``, loading the ``holidays`` data one year at a time
        (with the year's working weekend days, ``weekend_workdays``, into ``_decree_workdays``,
        and for a year without a decree the art. 112 transfers into ``_lc.art112``)."""
        if not self.spec.country:
            return None
        if d.year not in self._holiday_years:
            self._load_year(d.year)
        return self._holiday_names.get(d)

    def _load_year(self, year: int) -> None:
        self._holiday_years.add(year)
        assert self.spec.country
        table = holidays.country_holidays(self.spec.country, years=year, language="en_US")
        names = dict(table.items())
        for day, name in names.items():
            self._holiday_names.setdefault(day, name)
            workday = labor_code.swapped_workday(name)
            if workday is not None:
                self._lc.swaps.setdefault(workday, day)
        workdays = set(getattr(table, "weekend_workdays", ()))
        self._decree_workdays.update(workdays)
        if self._lc.art112_on and not labor_code.year_is_decreed(
            year, self._lc.decreed_until, names, workdays
        ):
            self._lc.provisional_years.add(year)
            self._lc.art112.update(labor_code.art112_transfers(names))

    # ---- provisional years --------------------------------------------------------------------

    def year_status(self, year: int) -> str:
        """``decree`` (the package carries the year's decree, or the country is not Russia),
        ``provisional`` (art. 112 applied, not confirmed) or ``confirmed`` (art. 112 applied,
        listed in ``confirmed_years``)."""
        if self.spec.country and year not in self._holiday_years:
            self._load_year(year)
        if year not in self._lc.provisional_years:
            return "decree"
        return "confirmed" if year in self.spec.confirmed_years else "provisional"

    def _note(self, lo: int, hi: int) -> None:
        """An operation used instants ``[lo, hi]`` (µs), some past ``_prov_lo``: report each
        provisional, unconfirmed year among them once."""
        lo = max(lo, self._prov_lo)
        if self._noted_lo <= lo and hi < self._noted_hi:
            return
        try:
            y0, y1 = self._dt(lo).year, self._dt(hi).year
        except (OverflowError, ValueError):
            return
        for year in range(y0, min(y1, self.last_year) + 1):
            if year not in self.provisional_used and self.year_status(year) == "provisional":
                self.provisional_used.add(year)
                if self.on_provisional is not None:
                    self.on_provisional(year)
        new_lo = self._local_us(date(y0, 1, 1), _MIDNIGHT)
        new_hi = self._local_us(date(y1 + 1, 1, 1), _MIDNIGHT) if y1 < 9999 else _NEVER
        if self._noted_lo < self._noted_hi and new_lo <= self._noted_hi and self._noted_lo <= new_hi:
            new_lo, new_hi = min(new_lo, self._noted_lo), max(new_hi, self._noted_hi)
        self._noted_lo, self._noted_hi = new_lo, new_hi
        if new_lo <= self._prov_lo < new_hi:  # every year before new_hi is checked: the
            self._prov_lo = new_hi  # arithmetic then compares with the next unchecked year

    def year_days(self, year: int) -> list[DayInfo]:
        """The year's non-standard days (every kind but business days and weekends)."""
        d, one, out = date(year, 1, 1), timedelta(days=1), []
        self.day(d)  # the range check; reports a provisional year
        while d.year == year:
            info = self._day(d)
            if info.kind not in STANDARD_KINDS:
                out.append(info)
            d += one
        return out

    def holiday_names(self, year: int, language: str) -> dict[date, str]:
        """The package's holiday names of ``year`` in ``language`` (e.g. ``ru``), for display."""
        if not self.spec.country:
            return {}
        try:
            table = holidays.country_holidays(self.spec.country, years=year, language=language)
        except (NotImplementedError, ValueError):
            return {}
        return dict(table.items())

    def full_day_seconds(self) -> int:
        """Length of a standard full business day: the longest day of the weekly schedule."""
        return self._full

    def describe(self) -> str:
        """Human summary of the hours, e.g. ``Mon–Fri 08:30–17:30 Europe/Moscow``."""
        return self._description

    def _describe_week(self) -> str:
        weekly, parts, i = self.spec.weekly, [], 0
        while i < 7:
            j = i
            while j + 1 < 7 and weekly[j + 1] == weekly[i]:
                j += 1
            if weekly[i]:
                days = _DAY_NAMES[i] if i == j else f"{_DAY_NAMES[i]}–{_DAY_NAMES[j]}"
                parts.append(f"{days} {_fmt_hours(weekly[i])}")
            i = j + 1
        return "; ".join(parts)

    # ---- the timeline -----------------------------------------------------------------------

    def _local_us(self, d: date, t: time) -> int:
        delta = datetime.combine(d, t, self.tz) - _EPOCH
        return (delta.days * 86400 + delta.seconds) * _US + delta.microseconds

    def _year_intervals(self, year: int) -> list[tuple[int, int]]:
        out = []
        d, one = date(year, 1, 1), timedelta(days=1)
        while d.year == year:
            for s, e in self._day(d).intervals:
                su = self._local_us(d, s)
                eu = self._local_us(d + one, e) if e == _MIDNIGHT else self._local_us(d, e)
                if eu > su:
                    out.append((su, eu))
            d += one
        return out

    def _append_year(self, year: int) -> None:
        total = self._cum_end[-1] if self._cum_end else 0
        for su, eu in self._year_intervals(year):
            self._starts.append(su)
            self._ends.append(eu)
            self._cum.append(total)
            total += eu - su
            self._cum_end.append(total)
        self._y1 = year
        self._hi = self._local_us(date(year + 1, 1, 1), _MIDNIGHT)

    def _build(self, y0: int, y1: int) -> None:
        if y1 - y0 > _MAX_YEARS or y0 < 2 or y1 > 9997:
            raise self._out_of_range(f"the years {y0 + 1}–{y1 - 1}")
        self._starts, self._ends, self._cum, self._cum_end = [], [], [], []
        self._y0 = y0
        self._lo = self._local_us(date(y0, 1, 1), _MIDNIGHT)
        for year in range(y0, y1 + 1):
            self._append_year(year)

    def _extend_forward(self) -> None:
        if self._y1 - self._y0 >= _MAX_YEARS or self._y1 >= 9997:
            raise self._out_of_range(f"a deadline after {self._y1}")
        self._append_year(self._y1 + 1)

    def _ensure(self, t: int) -> None:
        """Make the timeline cover instant ``t`` (µs); rebuilding only when going backwards."""
        if self._lo <= t < self._hi:
            return
        try:
            local = self._dt(t)
        except OverflowError:
            raise self._out_of_range("the date") from None
        year = local.year
        if not self.first_year <= year <= self.last_year:
            raise self._out_of_range(local.isoformat())
        if not self._built:
            self._build(year - 1, year + 1)
            self._built = True
        elif t < self._lo:
            self._build(year - 1, self._y1)
        else:
            while t >= self._hi:
                self._extend_forward()

    def _us(self, at: datetime) -> int:
        try:
            delta = at - _EPOCH
        except TypeError:
            raise ValueError(f"naive datetime {at!r}: give a timezone-aware datetime") from None
        return (delta.days * 86400 + delta.seconds) * _US + delta.microseconds

    def _dt(self, us: int) -> datetime:
        return (_EPOCH + timedelta(microseconds=us)).astimezone(self.tz)

    def _pos(self, t: int) -> int:
        """Business µs from the timeline's start up to instant ``t`` (covered)."""
        k = bisect_right(self._starts, t) - 1
        if k < 0:
            return 0
        end = self._ends[k]
        return self._cum[k] + (t if t < end else end) - self._starts[k]

    # ---- public arithmetic ------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """True when ``at`` lies inside business hours (opening included, closing excluded)."""
        t = self._us(at)
        self._ensure(t)
        if t >= self._prov_lo:
            self._note(t, t)
        k = bisect_right(self._starts, t) - 1
        return k >= 0 and t < self._ends[k]

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself when open, else the start of the next business interval."""
        t = self._us(at)
        self._ensure(t)
        k = bisect_right(self._starts, t) - 1
        if k >= 0 and t < self._ends[k]:
            if t >= self._prov_lo:
                self._note(t, t)
            return at.astimezone(self.tz)
        while k + 1 >= len(self._starts):
            self._extend_forward()
        if self._starts[k + 1] >= self._prov_lo:
            self._note(t, self._starts[k + 1])
        return self._dt(self._starts[k + 1])

    def add(self, start: datetime, seconds: int) -> datetime:
        """The instant ``seconds`` of business time after ``start``.

        A clock started out of hours starts at the next opening; a deadline landing exactly
        on a closing time is that closing time; ``add(x, 0)`` is ``next_opening(x)``.
        """
        if seconds < 0:
            raise ValueError(f"cannot add a negative business duration ({seconds} s)")
        if seconds == 0:
            return self.next_opening(start)
        t = self._us(start)
        self._ensure(t)
        target = self._pos(t) + round(seconds * _US)
        while self._cum_end[-1] < target:
            self._extend_forward()
        k = bisect_left(self._cum_end, target)
        end = self._starts[k] + target - self._cum[k]
        if end >= self._prov_lo:
            self._note(t, end)
        return self._dt(end)

    def elapsed(self, a: datetime, b: datetime) -> int:
        """Whole business seconds in ``[a, b)``; 0 when ``b <= a``."""
        ta, tb = self._us(a), self._us(b)
        if tb <= ta:
            return 0
        self._ensure(ta)
        self._ensure(tb)
        if tb > self._prov_lo:
            self._note(ta, tb - 1)
        return (self._pos(tb) - self._pos(ta)) // _US

    def window(
        self, start: datetime, seconds: int, until: datetime
    ) -> tuple[datetime, datetime, int]:
        """``(next_opening(start), add(start, seconds), elapsed(start, until))`` in one pass.

        Exactly what a business clock needs; converting each instant once keeps
        ``sla check`` over 100,000 tickets fast.
        """
        if seconds <= 0:
            raise ValueError(f"a clock needs a positive business duration ({seconds} s)")
        t, tu = self._us(start), self._us(until)
        self._ensure(t)
        k = bisect_right(self._starts, t) - 1
        if k >= 0 and t < self._ends[k]:
            opening = start.astimezone(self.tz)
        else:
            while k + 1 >= len(self._starts):
                self._extend_forward()
            opening = self._dt(self._starts[k + 1])
        pos = self._pos(t)
        target = pos + round(seconds * _US)
        while self._cum_end[-1] < target:
            self._extend_forward()
        j = bisect_left(self._cum_end, target)
        end = self._starts[j] + target - self._cum[j]
        if end >= self._prov_lo or tu > self._prov_lo:
            self._note(t, max(end, tu - 1))
        deadline = self._dt(end)
        if tu <= t:
            return opening, deadline, 0
        self._ensure(tu)
        return opening, deadline, (self._pos(tu) - pos) // _US

    def segments(self, a: datetime, b: datetime) -> list[tuple[datetime, datetime]]:
        """The business intervals counted in ``[a, b)`` (for ``sla explain``)."""
        ta, tb = self._us(a), self._us(b)
        if tb <= ta:
            return []
        self._ensure(ta)
        self._ensure(tb)
        if tb > self._prov_lo:
            self._note(ta, tb - 1)
        out = []
        k = max(bisect_right(self._starts, ta) - 1, 0)
        while k < len(self._starts) and self._starts[k] < tb:
            s, e = max(self._starts[k], ta), min(self._ends[k], tb)
            if e > s:
                out.append((self._dt(s), self._dt(e)))
            k += 1
        return out

    def skipped_days(self, a: datetime, b: datetime) -> list[DayInfo]:
        """Non-working local dates touched by ``[a, b)``, with their reason."""
        ta, tb = self._us(a), self._us(b)
        if tb <= ta:
            return []
        if tb > self._prov_lo:
            self._note(ta, tb - 1)
        return [info for info in self._days_touched(ta, tb) if not info.working]

    def shortened_days(self, a: datetime, b: datetime) -> list[DayInfo]:
        """Working local dates touched by ``[a, b)`` that are shorter than their weekday:
        sla.yaml ``shortened`` days and art. 95's pre-holiday days (for ``sla explain``)."""
        ta, tb = self._us(a), self._us(b)
        if tb <= ta:
            return []
        kinds = ("shortened", "pre-holiday")
        return [i for i in self._days_touched(ta, tb) if i.working and i.kind in kinds]

    def _days_touched(self, ta: int, tb: int) -> list[DayInfo]:
        d, last = self._dt(ta).date(), self._dt(tb - 1).date()
        out = []
        while d <= last:
            out.append(self._day(d))
            d += timedelta(days=1)
        return out

    def localize(self, at: datetime) -> datetime:
        """``at`` in the calendar's zone; a naive value is refused (ValueError)."""
        if at.tzinfo is None:
            raise ValueError(f"naive datetime {at!r}: give a timezone-aware datetime")
        return at if at.tzinfo is self.tz else at.astimezone(self.tz)
