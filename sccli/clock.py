"""The one injectable "now" (``--at`` / ``SCCLI_NOW``) and user-typed instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from .errors import UsageError


def parse_instant(text: str, tz: ZoneInfo, what: str = "time") -> datetime:
    """ISO-8601 with or without offset; a bare date means its midnight; naive = calendar zone.

    UsageError (exit 2) when malformed or outside the calendar's supported years.
    """
    raw = text.strip()
    try:
        if len(raw) == 10:
            value = datetime.combine(date.fromisoformat(raw), time())
        else:
            value = datetime.fromisoformat(raw.replace(" ", "T", 1) if " " in raw else raw)
    except ValueError:
        raise UsageError(
            f"malformed {what} {text!r} (expected ISO-8601, e.g. 2026-11-20T17:10 or"
            " 2026-11-20T17:10:00+03:00)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    from .domain.calendar import MAX_YEAR, MIN_YEAR, SUPPORTED_RANGE

    # 9999-12-31 or 0001-01-01 is a typo, not a date: refuse it here, in the calendar's zone
    if not (MIN_YEAR <= value.year <= MAX_YEAR and MIN_YEAR <= value.astimezone(tz).year <= MAX_YEAR):
        raise UsageError(
            f"{what} {raw!r} is outside the dates the business calendar supports"
            f" ({SUPPORTED_RANGE})"
        )
    return value


def system_now() -> datetime:
    """The only place sccli reads the wall clock."""
    return datetime.now(UTC)
