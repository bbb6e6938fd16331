"""The parts of a ticket's body: steps, environment, expected and actual results, error
text, system address and account. Pure: text in, values out.

The contract lists what a request must contain: "clearly stated questions; an account with
its password; the system's address; the steps that led to the error, as a list (the case);
and the environment: database servers used, number of nodes, adjacent software,
customizations" (Russian original: «учетная запись с паролем, адрес Системы,
последовательность шагов, оформленных списком, приведших к ошибке (кейс), информация об
окружении»). Clients write these parts under headings ("Шаги:", "Steps to reproduce:",
"Окружение:", "Expected result:") on lines of their own or inline in one paragraph
("Steps: 1) open 2) run. Environment: PostgreSQL 14, 2 nodes"), and write steps as lines
("1. …", "- …", "Шаг 1: …") or inline ("Шаги: 1. войти 2. открыть раздел"). Intake
(``intake.py``) and the escalation text (``sync/escalation.py``) read them from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FIELDS", "Sections", "parse_sections", "split_steps"]

FIELDS = ("steps", "environment", "expected", "actual", "error", "url", "account")

# Heading words per field (lower case; matched case-insensitively, "ё" folded to "е").
_HEADINGS: dict[str, str] = {
    "steps": r"steps(?:\s+to\s+reproduce)?|reproduction(?:\s+steps)?|how\s+to\s+reproduce|"
    r"шаги(?:\s+(?:для\s+)?воспроизведения)?|порядок\s+(?:воспроизведения|действий)|"
    r"как\s+воспроизвести|последовательность\s+(?:шагов|действий)",
    "environment": r"environment|окружение|среда|инфраструктура",
    "expected": r"expected(?:\s+(?:result|behaviou?r))?|ожидаем\w*(?:\s+(?:результат|поведение))?"
    r"|ожидалось",
    "actual": r"actual(?:\s+(?:result|behaviou?r))?|фактическ\w*(?:\s+(?:результат|поведение))?"
    r"|на\s+самом\s+деле|получаем|что\s+происходит",
    "error": r"error(?:\s+(?:message|text))?|exception|stack\s*trace|текст\s+ошибки|"
    r"сообщение\s+об\s+ошибке|ошибка",
    "url": r"(?:system\s+)?(?:url|address)|system|адрес(?:\s+системы)?|ссылка(?:\s+на\s+систему)?",
    "account": r"account|login|user(?:\s*name)?|credentials|учетн\w+\s+запис\w+|учетк\w*|логин|"
    r"пользователь",
}
_LINE_FIELDS = frozenset({"url", "account"})  # a value on the heading's line only
_HEADING_RE = re.compile(
    r"(?i)(?<![\w\-/.])(?P<name>"
    + "|".join(f"(?P<{k}>{v})" for k, v in _HEADINGS.items())
    + r")[ \t*_]*[:：](?!//)[ \t]*"
)
_LEAD = frozenset(" \t#*_>•-")  # markdown or bullet characters before a heading on its line
_STEP_LINE = re.compile(
    r"(?im)^[ \t]*(?:\d{1,2}[.)]|[-*•–—]|(?:шаг|step)\s*\d{1,2}[.:)]?)[ \t]+(?P<text>\S.*?)[ \t]*$"
)
_NUMBERED_LINE = re.compile(r"(?m)^[ \t]*(?:\d{1,2}[.)]|(?:шаг|step)\s*\d{1,2}[.:)]?)[ \t]+\S")
_INLINE_NUMBER = re.compile(r"(?i)(?<![\w.,:/-])(?:(?:шаг|step)\s*)?(?P<n>\d{1,2})[.)](?=\s+\S)")
_ARROW = re.compile(r"\s*(?:→|->|=>|»)\s*")
_URL = re.compile(r"(?i)\bhttps?://[^\s<>\"'«»]+")
_HOST = re.compile(
    r"(?i)(?<![@\w.\-])(?:[a-zа-я0-9](?:[a-zа-я0-9\-]*[a-zа-я0-9])?\.)+"
    r"(?:ru|рф|su|com|net|org|io|local|lan|corp|internal|intra|cloud|online|pro|biz|info|by|kz|"
    r"uz|ua|am|ge|tech|app|dev|site|space|group|team|work)"
    r"(?::\d{2,5})?(?:/[^\s<>\"'«»]*)?(?![\w@\-])"
)
_IP = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{2,5})?(?:/\S*)?(?![\d.])")


@dataclass(frozen=True)
class Sections:
    """What was found in a body; ``None`` / empty where the body has no such part."""

    steps: tuple[str, ...] = ()  # the items, without their numbers or bullets
    steps_listed: bool = False  # written as a list (numbered, bulleted or with arrows)
    environment: str | None = None
    expected: str | None = None
    actual: str | None = None
    error: str | None = None
    url: str | None = None
    account: str | None = None
    description: str = ""  # the text outside every recognised section

    @property
    def has_steps(self) -> bool:
        """The contract's "steps that led to the error, as a list": two or more items."""
        return self.steps_listed and len(self.steps) >= 2

    def steps_text(self) -> str | None:
        if not self.steps:
            return None
        if len(self.steps) == 1:
            return self.steps[0]
        return "\n".join(f"{n}. {step}" for n, step in enumerate(self.steps, start=1))

    def text(self, field: str) -> str | None:
        """One field as text (``steps`` numbered one per line)."""
        if field == "steps":
            return self.steps_text()
        if field not in FIELDS:
            raise KeyError(field)
        value = getattr(self, field)
        return value if isinstance(value, str) and value else None


def _norm(text: str) -> str:
    return text.replace("ё", "е").replace("Ё", "Е")


def _is_heading(body: str, start: int) -> bool:
    """At the start of a line (after markdown), after a sentence, or capitalised inline."""
    i = start - 1
    while i >= 0 and body[i] in _LEAD:
        i -= 1
    if i < 0 or body[i] in "\r\n":
        return True
    j = start - 1
    while j >= 0 and body[j] in " \t":
        j -= 1
    if j < start - 1 and body[j] in ".!?;)":
        return True
    return j < start - 1 and body[start].isupper()


def _field(m: re.Match[str]) -> str:
    return next(k for k in _HEADINGS if m.group(k))


@dataclass(frozen=True)
class _Heading:
    field: str
    start: int  # of the heading word
    end: int  # after the colon and the blanks that follow it


def _headings(norm: str) -> list[_Heading]:
    return [_Heading(_field(m), m.start(), m.end()) for m in _HEADING_RE.finditer(norm)
            if _is_heading(norm, m.start())]


def split_steps(text: str) -> tuple[tuple[str, ...], bool]:
    """The items of a steps text and whether they were written as a list.

    Lines ("1. …", "2) …", "- …", "Шаг 1: …"), then an inline numbered sequence starting
    at 1 ("1. войти 2. открыть раздел", "1) open 2) run"), then arrows ("Продажи →
    Договоры → Открыть"); otherwise the text itself, as one unlisted item.
    """
    lines = [m.group("text") for m in _STEP_LINE.finditer(text)]
    if len(lines) >= 2:
        return tuple(_clean(s) for s in lines), True
    inline = _inline_steps(text)
    if len(inline) >= 2:
        return inline, True
    one = " ".join(text.split())
    parts = [p for p in _ARROW.split(one) if p]
    if len(parts) >= 2:
        return tuple(_clean(p) for p in parts), True
    return ((_clean(one),) if one else ()), False


def _inline_steps(text: str) -> tuple[str, ...]:
    """A numbered sequence 1, 2, 3… written inline (the first one of two items or more);
    one pass over the numbers, so a long body costs linear time."""
    chain: list[re.Match[str]] = []
    for m in _INLINE_NUMBER.finditer(text):
        n = int(m.group("n"))
        if n == 1:
            if len(chain) >= 2:
                break
            chain = [m]
        elif chain and n == len(chain) + 1:
            chain.append(m)
    if len(chain) < 2:
        return ()
    nl = text.find("\n", chain[-1].end())
    ends = [c.start() for c in chain[1:]] + [nl if nl >= 0 else len(text)]
    items = [_clean(text[c.end():e]) for c, e in zip(chain, ends, strict=True)]
    return tuple(i for i in items if i)


def _clean(item: str) -> str:
    return " ".join(item.split()).rstrip(",;.").strip()


def _first_address(text: str) -> str | None:
    found = [m for rx in (_URL, _HOST, _IP) if (m := rx.search(text))]
    if not found:
        return None
    return min(found, key=lambda m: m.start()).group(0).rstrip(".,;:)»\"'")


_BLANK = re.compile(r"\n[ \t]*\n")


def _block_extent(region: str, pos: int) -> int:
    """Where the paragraph starting at (or after blank space from) ``pos`` ends."""
    content = len(region) - len(region[pos:].lstrip()) if region[pos:].strip() else len(region)
    blank = _BLANK.search(region, content)
    return blank.start() if blank else len(region)


def _steps_extent(region: str) -> int:
    """The steps' paragraph, and the following paragraphs that are numbered lines (a blank
    line between the heading and the list, or between items)."""
    cut = _block_extent(region, 0)
    while cut < len(region):
        nxt = region[cut:].lstrip()
        if not _NUMBERED_LINE.match(nxt):
            break
        cut = _block_extent(region, len(region) - len(nxt))
    return cut


def parse_sections(body: str) -> Sections:
    """The recognised parts of ``body`` (Russian and English headings); pure."""
    norm = _norm(body)
    heads = _headings(norm)
    found: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    for i, m in enumerate(heads):
        key = m.field
        region = body[m.end:heads[i + 1].start if i + 1 < len(heads) else len(body)]
        if key in _LINE_FIELDS:
            nl = region.find("\n")
            cut = nl if nl >= 0 else len(region)
        elif key == "steps":
            cut = _steps_extent(region)
        else:
            cut = _block_extent(region, 0)
        value = region[:cut].strip()
        spans.append((m.start, m.end + cut))
        if key == "url":
            value = _first_address(value) or ""
        if value and key not in found:
            found[key] = value
    description = _outside(body, spans)
    steps: tuple[str, ...] = ()
    listed = False
    if "steps" in found:
        steps, listed = split_steps(found["steps"])
    if not listed:  # no steps heading with a list: a list anywhere outside the sections
        loose, loose_listed = _loose_steps(description)
        if loose_listed:
            steps, listed = loose, True
    return Sections(
        steps=steps,
        steps_listed=listed,
        environment=found.get("environment"),
        expected=found.get("expected"),
        actual=found.get("actual"),
        error=found.get("error"),
        url=found.get("url") or _first_address(body),
        account=found.get("account"),
        description=description,
    )


def _loose_steps(text: str) -> tuple[tuple[str, ...], bool]:
    lines = [m.group("text") for m in _STEP_LINE.finditer(text)]
    if len(lines) >= 2:
        return tuple(_clean(s) for s in lines), True
    inline = _inline_steps(text)
    return (inline, True) if len(inline) >= 2 else ((), False)


def _outside(body: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in sorted(spans):
        if start > pos:
            out.append(body[pos:start])
        pos = max(pos, end)
    out.append(body[pos:])
    kept = "".join(out)
    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", kept).strip()
