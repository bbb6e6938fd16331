"""The business calendar's years: public holidays a year at a time, and provisional years.

A year's holidays come from the ``holidays`` package, loaded when a day of the year is first
asked about: the holiday names, the decree's working weekend days (``weekend_workdays``) and
the weekday each of them swaps with. This module also says what kind of year it is, which
is why it is separate from the day rules (``calendar_days``) and the arithmetic
(``calendar``): it is the one place that knows which years have a decree.

Russia's Labor Code rules (``labor_code``): for a year whose decree the ``holidays`` package
does not carry yet (a *provisional* year), art. 112 moves a holiday falling on a weekend to
the next working day (not 1–8 January); such a year, unless ``confirmed_years`` lists it, is
reported once through ``on_provisional`` when an operation actually uses it (building the
next year of the timeline ahead does not): ``ProvisionalReport`` keeps that account.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import holidays

from . import labor_code

NEVER = 1 << 62  # an instant (µs) after every instant the calendar handles


class HolidayYears:
    """A country's public holidays, loaded one year at a time, and each year's status."""

    def __init__(self, country: str | None, confirmed_years: frozenset[int]) -> None:
        self.country = country
        self.confirmed_years = confirmed_years
        # The years the package has holiday data for (None: no country, or it does not say).
        self.since: int | None = None
        self.until: int | None = None
        self.decreed_until: int | None = None  # the package's last decree year
        if country:
            try:
                table = holidays.country_holidays(country, years=[])
            except NotImplementedError:
                raise ValueError(
                    f"unknown holiday country {country!r} (use an ISO code such as RU,"
                    " or none for no public holidays)"
                ) from None
            self.since = getattr(table, "start_year", None)
            self.until = getattr(table, "end_year", None)
            self.decreed_until = labor_code.decreed_until(table)
        self.art112_on = country == "RU"  # Labor Code art. 112 for years without a decree
        self.names: dict[date, str] = {}
        self.decree_workdays: set[date] = set()  # the package's ``weekend_workdays``
        self.swaps: dict[date, date] = {}  # decree working Saturday → the day off it swaps
        self.art112: dict[date, date] = {}  # a moved day off → its holiday
        self.provisional_years: set[int] = set()  # loaded, without a decree
        self._loaded: set[int] = set()

    def holiday(self, d: date) -> str | None:
        """Public-holiday name of ``d``, loading the ``holidays`` data one year at a time
        (with the year's working weekend days, ``weekend_workdays``, into ``decree_workdays``,
        and for a year without a decree the art. 112 transfers into ``art112``)."""
        if not self.country:
            return None
        if d.year not in self._loaded:
            self._load_year(d.year)
        return self.names.get(d)

    def _load_year(self, year: int) -> None:
        self._loaded.add(year)
        assert self.country
        table = holidays.country_holidays(self.country, years=year, language="en_US")
        names = dict(table.items())
        for day, name in names.items():
            self.names.setdefault(day, name)
            workday = labor_code.swapped_workday(name)
            if workday is not None:
                self.swaps.setdefault(workday, day)
        workdays = set(getattr(table, "weekend_workdays", ()))
        self.decree_workdays.update(workdays)
        if self.art112_on and not labor_code.year_is_decreed(
            year, self.decreed_until, names, workdays
        ):
            self.provisional_years.add(year)
            self.art112.update(labor_code.art112_transfers(names))

    def status(self, year: int) -> str:
        """``decree`` (the package carries the year's decree, or the country is not Russia),
        ``provisional`` (art. 112 applied, not confirmed) or ``confirmed`` (art. 112 applied,
        listed in ``confirmed_years``)."""
        if self.country and year not in self._loaded:
            self._load_year(year)
        if year not in self.provisional_years:
            return "decree"
        return "confirmed" if year in self.confirmed_years else "provisional"

    def names_in(self, year: int, language: str) -> dict[date, str]:
        """The package's holiday names of ``year`` in ``language`` (e.g. ``ru``), for display."""
        if not self.country:
            return {}
        try:
            table = holidays.country_holidays(self.country, years=year, language=language)
        except (NotImplementedError, ValueError):
            return {}
        return dict(table.items())


class ProvisionalReport:
    """Tells ``on_provisional`` each provisional, unconfirmed year once, when an operation
    first uses it.

    ``lo`` is the watermark the arithmetic compares with: no operation before this instant
    (µs) can use a provisional year not yet reported, so the hot path costs one comparison.
    Instants are the calendar's: ``midnight_us`` gives a local date's midnight, ``local``
    an instant's local datetime.
    """

    def __init__(
        self,
        years: HolidayYears,
        first_year: int,
        last_year: int,
        midnight_us: Callable[[date], int],
        local: Callable[[int], datetime],
        on_provisional: Callable[[int], None] | None,
    ) -> None:
        self.years, self.last_year = years, last_year
        self.midnight_us, self.local = midnight_us, local
        self.on_provisional = on_provisional
        self.used: set[int] = set()  # reported through ``on_provisional``
        self.lo = NEVER
        if years.art112_on:
            after = (years.decreed_until or first_year - 1) + 1
            self.lo = midnight_us(date(min(max(after, 1), 9999), 1, 1))
        self._noted_lo = self._noted_hi = 0  # instants already checked for provisional years

    def note(self, lo: int, hi: int) -> int:
        """An operation used instants ``[lo, hi]`` (µs), some past ``lo``: report each
        provisional, unconfirmed year among them once. Returns the new watermark."""
        lo = max(lo, self.lo)
        if self._noted_lo <= lo and hi < self._noted_hi:
            return self.lo
        try:
            y0, y1 = self.local(lo).year, self.local(hi).year
        except (OverflowError, ValueError):
            return self.lo
        for year in range(y0, min(y1, self.last_year) + 1):
            if year not in self.used and self.years.status(year) == "provisional":
                self.used.add(year)
                if self.on_provisional is not None:
                    self.on_provisional(year)
        new_lo = self.midnight_us(date(y0, 1, 1))
        new_hi = self.midnight_us(date(y1 + 1, 1, 1)) if y1 < 9999 else NEVER
        if self._noted_lo < self._noted_hi and new_lo <= self._noted_hi and self._noted_lo <= new_hi:
            new_lo, new_hi = min(new_lo, self._noted_lo), max(new_hi, self._noted_hi)
        self._noted_lo, self._noted_hi = new_lo, new_hi
        if new_lo <= self.lo < new_hi:  # every year before new_hi is checked: the
            self.lo = new_hi  # arithmetic then compares with the next unchecked year
        return self.lo
