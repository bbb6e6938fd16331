"""Suggest a ticket's priority from its text, by the contract's classification examples.

Rules come from ``sla.yaml`` (``priority_rules:``), are tried in order, and the first that
matches wins. A suggestion is advice for the engineer, with the reason spelled out; the
priority in force is whatever the ticket's events say. Pure: no I/O.

Keywords are word stems matched case-insensitively, with ``ё`` read as ``е``: each stem of
three letters or more matches any ending ("логин" matches "логина", "логином"); shorter
ones ("не", "в", "бп") match whole words only. As a convenience, up to two final vowels of
a Russian word of five letters or more are dropped ("страница" also finds "странице").
A multi-word keyword allows up to two other words between its stems ("не могу войти"
matches "не могу сегодня войти").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import DomainError, Priority

__all__ = ["PriorityRule", "Suggestion", "compile_rules", "keyword_regex", "suggest_priority"]

_GAP = r"(?:\W+\w+){0,2}?\W+"


def _fold(text: str) -> str:
    """Same length as ``text``, so match offsets stay valid for the original."""
    return text.replace("ё", "е").replace("Ё", "Е")


_CYRILLIC = re.compile(r"[а-яА-Я]+")
_VOWEL_ENDINGS = "аеиоуыэюяьйАЕИОУЫЭЮЯЬЙ"


def _stem(word: str) -> str:
    """Drop up to two final vowels of a Russian word, so "страница" also finds "странице"."""
    if _CYRILLIC.fullmatch(word) and len(word) >= 5:
        for _ in range(2):
            if len(word) > 4 and word[-1] in _VOWEL_ENDINGS:
                word = word[:-1]
    return word


def keyword_regex(keyword: str) -> str:
    """The regular expression for one keyword (stems separated by spaces or hyphens)."""
    stems = [_stem(s) for s in re.split(r"[\s\-]+", _fold(keyword.strip())) if s]
    if not stems:
        raise ValueError("empty keyword")
    parts = []
    for stem in stems:
        tail = r"\w*" if len(stem) >= 3 else r"(?!\w)"
        parts.append(r"(?<!\w)" + re.escape(stem) + tail)
    return _GAP.join(parts)


def _compile(source: str) -> re.Pattern[str]:
    return re.compile(_fold(source), re.IGNORECASE)


@dataclass(frozen=True)
class PriorityRule:
    """One rule: any keyword or pattern matches, and every ``all_of`` entry matches too.

    An ``all_of`` entry may list alternative stems separated by ``|``
    ("ежедневн|каждый день|daily").
    """

    name: str
    priority: Priority
    explain: str
    explain_ru: str
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    _any: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    _all: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        anys = [_compile(keyword_regex(k)) for k in self.keywords]
        anys += [_compile(p) for p in self.patterns]
        alls = [
            _compile("|".join(f"(?:{keyword_regex(alt)})" for alt in entry.split("|")))
            for entry in self.all_of
        ]
        object.__setattr__(self, "_any", tuple(anys))
        object.__setattr__(self, "_all", tuple(alls))

    def match(self, text: str) -> str | None:
        """The fragment of ``text`` that fired the rule, or None."""
        folded = _fold(text)
        if not all(rx.search(folded) for rx in self._all):
            return None
        for rx in self._any:
            m = rx.search(folded)
            if m:
                return text[m.start() : m.end()]
        return None


@dataclass(frozen=True)
class Suggestion:
    priority: Priority
    rule: str
    explain: str
    explain_ru: str
    matched: str


_KEYS = {"name", "priority", "explain", "explain_ru", "keywords", "patterns", "all_of"}


def _strings(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, ())
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise DomainError(f"{where}.{key}: expected a list of strings")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise DomainError(f"{where}.{key}[{i}]: expected a non-empty string")
        out.append(item.strip())
    return tuple(out)


def _text(raw: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise DomainError(f"{where}.{key}: required, a non-empty string")
    return value.strip()


def compile_rules(raw: Sequence[Mapping[str, Any]]) -> list[PriorityRule]:
    """Validate the ``priority_rules`` list of sla.yaml into rules, naming the bad key."""
    if not isinstance(raw, list | tuple):
        raise DomainError("priority_rules: expected a list of rules")
    rules: list[PriorityRule] = []
    names: set[str] = set()
    for n, entry in enumerate(raw):
        where = f"priority_rules[{n}]"
        if not isinstance(entry, Mapping):
            raise DomainError(f"{where}: expected a mapping with name, priority, explain, …")
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise DomainError(
                f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_KEYS))})"
            )
        name = _text(entry, "name", where)
        if name in names:
            raise DomainError(f"{where}.name: duplicate rule name {name!r}")
        names.add(name)
        try:
            priority = Priority.parse(str(entry.get("priority", "")))
        except DomainError as exc:
            raise DomainError(f"{where}.priority: {exc}") from None
        explain = _text(entry, "explain", where)
        explain_ru = _text(entry, "explain_ru", where, default=explain)
        keywords = _strings(entry, "keywords", where)
        patterns = _strings(entry, "patterns", where)
        all_of = _strings(entry, "all_of", where)
        if not keywords and not patterns:
            raise DomainError(f"{where}: give at least one of keywords or patterns")
        for i, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise DomainError(
                    f"{where}.patterns[{i}]: invalid regular expression {pattern!r}: {exc}"
                ) from None
        for key, values in (("keywords", keywords), ("all_of", all_of)):
            for i, value in enumerate(values):
                if not all(alt.strip() for alt in value.split("|")):
                    raise DomainError(f"{where}.{key}[{i}]: empty alternative in {value!r}")
                if key == "keywords" and "|" in value:
                    raise DomainError(
                        f"{where}.keywords[{i}]: '|' is only allowed in all_of; list each"
                        " keyword separately"
                    )
        rules.append(PriorityRule(name, priority, explain, explain_ru, keywords, patterns, all_of))
    return rules


def suggest_priority(rules: Sequence[PriorityRule], title: str, body: str) -> Suggestion | None:
    """The first rule that matches the ticket's title and body, or None."""
    text = f"{title}\n{body}"
    for rule in rules:
        matched = rule.match(text)
        if matched is not None:
            return Suggestion(rule.priority, rule.name, rule.explain, rule.explain_ru, matched)
    return None
