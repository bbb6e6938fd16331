"""The Russian Labor Code's calendar rules the business calendar applies itself.

Provisional years. The government's decree for a year (its transfers of days off and working
Saturdays) is published a few months before the year; the ``holidays`` package carries it
from its next release. A year is *decreed* when the package's RU data has it: the year is a
key of the country's ``special_public_holidays`` / ``special_public_holidays_observed`` tables
(every decree since 1991 has entries there: the New Year days falling on a weekend are always
transferred), or the year's table has a transferred day off, an observed day or a working
weekend day. A later year is *provisional*: the package applies no transfers to it (its RU
class has no observed rule), so the calendar applies art. 112 itself (``art112_transfers``):

    Art. 112: "При совпадении выходного и нерабочего праздничного дней выходной день
    переносится на следующий после праздничного рабочий день, за исключением выходных дней,
    совпадающих с нерабочими праздничными днями, указанными в абзацах втором и третьем части
    первой настоящей статьи." (When a weekend day and a non-working holiday coincide, the day
    off moves to the next working day after the holiday, except for the weekend days that
    coincide with the holidays of paragraphs 2 and 3 of part 1: 1–6 and 8 January, the New
    Year holidays, and 7 January, Christmas. Only a government decree transfers those.)

If a newer package computes transfers for a year without a decree (observed days in its
table), they are used as they are and art. 112 is not applied a second time.

Pre-holiday shortening (off by default: the contract states 08:30–17:30), art. 95:

    "Продолжительность рабочего дня или смены, непосредственно предшествующих нерабочему
    праздничному дню, уменьшается на один час." (The working day immediately before a
    non-working holiday is one hour shorter.)

``pre_holiday`` reads it as the decrees' production calendars do: the working day whose next
day is a non-working holiday (also one falling on a Saturday: 2021-04-30, 2023-11-03) — not a
Friday before an ordinary weekend and a Monday holiday (2023-04-28), nor a day before a
transferred day off (2025-05-07, 2025-12-30). A decree's working Saturday works in place of the
weekday it swaps with (the package's "Day off (substituted from …)"), and is shorter when that
weekday was: 2024-11-02 replaces 2024-04-30, the eve of 1 May, so it is shortened; 2024-12-28
replaces 2024-12-30 and 2024-04-27 replaces 2024-04-29, ordinary days, so they are not (the
government's explanation for 28 December 2024). These give the published lists exactly:
2023 Feb 22, Mar 7, Nov 3 (1973 hours); 2024 Feb 22, Mar 7, May 8, Jun 11, Nov 2 (1979
hours); 2025 Mar 7, Apr 30, Jun 11, Nov 1 (1972 hours).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, time, timedelta
from typing import Any, Protocol

Hours = tuple[tuple[time, time], ...]
_ONE = timedelta(days=1)


class _Day(Protocol):
    @property
    def working(self) -> bool: ...
    @property
    def kind(self) -> str: ...


def is_transfer_name(name: str) -> bool:
    """A ``holidays`` entry that is a decree's transfer, not a holiday itself."""
    return name.startswith("Day off") or name.endswith("(observed)")


def decreed_until(table: Any) -> int | None:
    """The last year whose decree the package's data carries (None: it does not say)."""
    years = set(getattr(table, "special_public_holidays", None) or ()) | set(
        getattr(table, "special_public_holidays_observed", None) or ()
    )
    return max(years) if years else None


def year_is_decreed(
    year: int, last_decree: int | None, names: Mapping[date, str], weekend_workdays: Iterable[date]
) -> bool:
    """Whether the package knows ``year``'s decree (see the module docstring)."""
    if last_decree is not None and year <= last_decree:
        return True
    return any(weekend_workdays) or any(is_transfer_name(n) for n in names.values())


def art112_transfers(holidays: Iterable[date]) -> dict[date, date]:
    """Art. 112 for one year without a decree: each day off it moves → the holiday moved.

    A holiday on a Saturday or Sunday, outside 1–8 January, moves to the next working day
    (Monday–Friday, not a holiday, not a day another holiday already moved to).
    """
    taken, out = set(holidays), {}
    for holiday in sorted(taken):
        # "…за исключением выходных дней, совпадающих с нерабочими праздничными днями,
        # указанными в абзацах втором и третьем части первой": 1–8 January stay with a decree.
        if holiday.weekday() < 5 or (holiday.month == 1 and holiday.day <= 8):
            continue
        day = holiday + _ONE  # "…на следующий после праздничного рабочий день"
        while day.weekday() >= 5 or day in taken:
            day += _ONE
        taken.add(day)
        out[day] = holiday
    return out


_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


def swapped_workday(name: str) -> date | None:
    """The working weekend day a decree's "Day off (substituted from MM/DD/YYYY)" (the
    package's ``en_US`` label) swaps with, if ``name`` is one."""
    match = _SUBSTITUTED.search(name)
    if not match:
        return None
    month, day, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def pre_holiday(
    d: date, kind: str, base: Callable[[date], _Day], swapped: date | None = None
) -> date | None:
    """Art. 95: the holiday that makes working day ``d`` (of ``kind``) a pre-holiday day, if
    any. ``base`` gives a day's status before any shortening; ``swapped`` is the weekday a
    decree's working weekend day ``d`` works in place of."""
    if base(d + _ONE).kind == "holiday":
        return d + _ONE
    after = swapped + _ONE if kind == "working-weekend-decree" and swapped else None
    return after if after is not None and base(after).kind == "holiday" else None


def _sec(t: time, end: bool = False) -> int:
    if end and t == time(0):
        return 86400
    return t.hour * 3600 + t.minute * 60 + t.second


def cut_end(hours: Hours, seconds: int) -> Hours:
    """``hours`` with ``seconds`` taken off the end of the day (art. 95's shorter day)."""
    out, left = list(hours), seconds
    while out and left > 0:
        start, end = out[-1]
        length = _sec(end, True) - _sec(start)
        if length > left:
            e = _sec(end, True) - left
            out[-1] = (start, time(e // 3600, e % 3600 // 60, e % 60))
            left = 0
        else:
            out.pop()
            left -= length
    return tuple(out)
