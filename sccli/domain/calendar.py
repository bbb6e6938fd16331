"""The business calendar's arithmetic: service hours minus holidays, to the second.

Shaped like Zendesk's ``biz``: a schedule (weekly wall-clock hours, public holidays from the
``holidays`` package, and the exceptions of sla.yaml) becomes concrete intervals on the time
line, and durations are consumed from them. What each date is (its hours and why) is
``calendar_days``; the public holidays of each year and which years are provisional (Labor
Code art. 112, reported once through ``on_provisional``) are ``calendar_years``. This
module keeps the timeline and the operations on it, the hot path of ``sla check``.
``CalendarSpec`` and ``DayInfo`` live in ``calendar_days``; ``CalendarSpec`` is also
exported here (``__all__``), the calendar's constructor argument that tests and benches
import with it.

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
* The day rules' precedence (``shortened`` > ``extra_holidays`` > ``extra_workdays`` > public
  holiday > ``weekly``) and Labor Code arts. 112 and 95: see ``calendar_days``.
* Every datetime must be timezone-aware (``ValueError`` otherwise); results are returned in
  the calendar's zone.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import UsageError
from .calendar_days import CalendarSpec, DayInfo, Days, describe_week, longest_day_seconds
from .calendar_years import HolidayYears, ProvisionalReport

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "SUPPORTED_RANGE",
    "BusinessCalendar",
    "CalendarRangeError",
    "CalendarSpec",
]

_US = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIDNIGHT = time(0)
_MAX_YEARS = 400  # a timeline wider than this means a nonsense date, not a real deadline

# The years sccli accepts an instant in (``sccli.clock.parse_instant`` refuses others): inside
# the years the ``holidays`` package knows public holidays for (RU: 1991–2100), and wider
# than any support contract. A calendar whose country's holiday data is shorter narrows it.
MIN_YEAR = 2000
MAX_YEAR = 2100
SUPPORTED_RANGE = f"{MIN_YEAR}-01-01 … {MAX_YEAR}-12-31"


class CalendarRangeError(UsageError, ValueError):
    """A date or instant outside the calendar's supported years: a user mistake (exit 2),
    and a ``ValueError`` like the calendar's other refusals."""


class BusinessCalendar:
    """Business-time arithmetic over a :class:`CalendarSpec` (see the module docstring)."""

    def __init__(
        self,
        spec: CalendarSpec | None = None,
        on_provisional: Callable[[int], None] | None = None,
    ) -> None:
        self.spec = spec = spec or CalendarSpec()
        try:
            self.tz: ZoneInfo = ZoneInfo(spec.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {spec.timezone!r} (use an IANA name, e.g. Europe/Moscow)"
            ) from None
        self._years = years = HolidayYears(spec.country, spec.confirmed_years)
        first, last, known = MIN_YEAR, MAX_YEAR, ""
        since = first if years.since is None else years.since
        until = last if years.until is None else years.until
        if since > first or until < last:  # no silent "no holidays" outside their data
            first, last = max(first, since), min(last, until)
            known = f"; public holidays of {spec.country} are known for {since}–{until}"
        self.first_year, self.last_year = first, last
        self._days = Days(spec, years)
        # Told each provisional, unconfirmed year once, when an operation first uses it.
        # No operation before ``_prov_lo`` (µs) can use a provisional year not yet reported:
        # the arithmetic compares with it and asks ``_provisional`` only past it. (Few
        # instance attributes: past 30 CPython stops sharing the instance dict's keys, and
        # every attribute read of the arithmetic gets slower.)
        self._provisional = ProvisionalReport(
            years, first, last, self._midnight_us, self._dt, on_provisional
        )
        self._prov_lo = self._provisional.lo
        self._range_text = f"{first}-01-01 … {last}-12-31{known}"
        self._full = longest_day_seconds(spec.weekly)
        self._description = f"{describe_week(spec.weekly)} {spec.timezone}"
        # The timeline: business intervals of local years [_y0, _y1] as UTC microseconds.
        self._built = False
        self._y0 = self._y1 = 0
        self._lo = self._hi = 0  # covered instants: [_lo, _hi)
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._cum: list[int] = []  # business µs before interval k
        self._cum_end: list[int] = []  # business µs up to the end of interval k

    # ---- days and years ---------------------------------------------------------------------

    def day(self, d: date) -> DayInfo:
        """The hours of date ``d`` and why (cached); CalendarRangeError outside the years."""
        if not self.first_year <= d.year <= self.last_year:
            raise self._out_of_range(d.isoformat())
        info = self._days.day(d)
        if self._years.art112_on:
            us = self._local_us(d, _MIDNIGHT)
            if us >= self._prov_lo:
                self._note(us, us)
        return info

    def _out_of_range(self, what: str) -> CalendarRangeError:
        return CalendarRangeError(
            f"{what} is outside the range the business calendar supports ({self._range_text})"
        )

    def year_days(self, year: int) -> list[DayInfo]:
        """The year's non-standard days (every kind but business days and weekends)."""
        self.day(date(year, 1, 1))  # the range check; reports a provisional year
        return self._days.year_days(year)

    def year_status(self, year: int) -> str:
        """``decree``, ``provisional`` or ``confirmed`` (see ``HolidayYears.status``)."""
        return self._years.status(year)

    def holiday_names(self, year: int, language: str) -> dict[date, str]:
        """The package's holiday names of ``year`` in ``language`` (e.g. ``ru``), for display."""
        return self._years.names_in(year, language)

    def _note(self, lo: int, hi: int) -> None:
        """An operation used instants ``[lo, hi]`` (µs), some past ``_prov_lo``: report each
        provisional, unconfirmed year among them once (``ProvisionalReport.note``)."""
        self._prov_lo = self._provisional.note(lo, hi)

    def full_day_seconds(self) -> int:
        """Length of a standard full business day: the longest day of the weekly schedule."""
        return self._full

    def describe(self) -> str:
        """Human summary of the hours, e.g. ``Mon–Fri 08:30–17:30 Europe/Moscow``."""
        return self._description

    # ---- the timeline -----------------------------------------------------------------------

    def _local_us(self, d: date, t: time) -> int:
        delta = datetime.combine(d, t, self.tz) - _EPOCH
        return (delta.days * 86400 + delta.seconds) * _US + delta.microseconds

    def _midnight_us(self, d: date) -> int:
        return self._local_us(d, _MIDNIGHT)

    def _year_intervals(self, year: int) -> list[tuple[int, int]]:
        out = []
        d, one, day = date(year, 1, 1), timedelta(days=1), self._days.day
        while d.year == year:
            for s, e in day(d).intervals:
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
            out.append(self._days.day(d))
            d += timedelta(days=1)
        return out

    def localize(self, at: datetime) -> datetime:
        """``at`` in the calendar's zone; a naive value is refused (ValueError)."""
        if at.tzinfo is None:
            raise ValueError(f"naive datetime {at!r}: give a timezone-aware datetime")
        return at if at.tzinfo is self.tz else at.astimezone(self.tz)
