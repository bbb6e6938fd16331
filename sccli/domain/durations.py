"""The one duration formatter: business time for people, in English or Russian."""

from __future__ import annotations

from functools import lru_cache

_UNITS = {"en": ("h", "min", "s"), "ru": ("ч", "мин", "с")}


@lru_cache(maxsize=1024)
def duration_text(seconds: int, lang: str = "en", exact: bool = False) -> str:
    """A signed duration, '-' meaning overdue.

    Default (tables): whole minutes, '1 h 05 min', '-25 min', '40 s' under a minute.
    ``exact`` (rule texts): every non-zero part, '30 min', '1 h 30 min', '18 h', '1 h 5 s'.
    """
    h_, m_, s_ = _UNITS.get(lang, _UNITS["en"])
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if exact:
        parts = [f"{hours} {h_}"] * bool(hours) + [f"{minutes} {m_}"] * bool(minutes)
        parts += [f"{secs} {s_}"] * bool(secs)
        return sign + (" ".join(parts) or f"0 {s_}")
    if hours:
        return f"{sign}{hours} {h_} {minutes:02d} {m_}"
    return f"{sign}{minutes} {m_}" if minutes else f"{sign}{secs} {s_}"
