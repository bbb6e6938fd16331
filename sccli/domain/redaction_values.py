"""Taking a credential's value out of a text, and judging whether it is one.

Every detector (``redaction_formats``, ``redaction_prose``) finds a label or a shape, then
asks the same two questions: where does the value after it end (:class:`Values`: a quoted
string or a run of non-space, sentence punctuation and unbalanced brackets trimmed), and
is it a secret or a word of the sentence (:func:`is_prose` with the Russian and English
stopwords, :func:`looks_secret`, :func:`looks_token`). It is a module of its own because
every detector shares these answers, and they concern values, not the labels before them
(``redaction_labels``).

Bounded work: a value is judged by its first :data:`_MAX_VALUE` characters, and a run of
non-space is scanned once per detector (the cache in :class:`Values`), so taking values
never makes a scan quadratic.

Pure: no I/O. Part of the credential detector whose API is ``sccli.domain.redaction``.
"""

from __future__ import annotations

import re

__all__ = [
    "ALPHA",
    "Values",
    "head",
    "is_prose",
    "looks_secret",
    "looks_token",
    "trim",
    "word_before",
]

# Values are examined at most this long; longer runs are taken whole but judged by their
# head (and never re-scanned: see Values).
_MAX_VALUE = 1024
_MAX_QUOTED = 512
_QUOTES = {'"': '"', "'": "'", "«": "»", "“": "”", "„": "“", "`": "`"}
# A quoted value ends on its line; in "…" a backslash escapes the next character (JSON).
_QUOTED = {
    open_: re.compile(
        rf'"((?:[^"\\\n]|\\[^\n]){{1,{_MAX_QUOTED}}})"'
        if open_ == '"'
        else f"{re.escape(open_)}([^{re.escape(close)}\\n]{{1,{_MAX_QUOTED}}}){re.escape(close)}"
    )
    for open_, close in _QUOTES.items()
}
_TRAIL = ".,;:»\"'”“`"
_PAIRS = {")": "(", "]": "[", "}": "{"}
_RUNS: dict[str, re.Pattern[str]] = {}


def _run_re(stop: str) -> re.Pattern[str]:
    rx = _RUNS.get(stop)
    if rx is None:
        rx = _RUNS[stop] = re.compile(rf"[^\s{re.escape(stop)}]+" if stop else r"\S+")
    return rx


class Values:
    """Takes values from one text for one detector: quoted strings or runs of non-space.

    The end of the last run scanned is cached: labels repeated inside one long run
    ("pwd=pwd=pwd=…") share one scan instead of each scanning to the run's end.
    """

    __slots__ = ("hi", "lo", "run", "text")

    def __init__(self, text: str, stop: str = "") -> None:
        self.text = text
        self.run = _run_re(stop)
        self.lo = self.hi = -1

    def take(self, pos: int) -> tuple[int, int] | None:
        """Span of the value starting at ``pos``, sentence punctuation trimmed."""
        text = self.text
        if pos >= len(text):
            return None
        quoted = _QUOTED.get(text[pos])
        if quoted is not None:
            if pos and text[pos - 1] == "\\":  # an escaped quote opens nothing
                return None
            m = quoted.match(text, pos)
            return m.span(1) if m else None
        if self.lo <= pos < self.hi:
            end = self.hi
        else:
            run = self.run.match(text, pos)
            if run is None:
                return None
            end = run.end()
            self.lo, self.hi = pos, end
        return trim(text, pos, end)


def trim(text: str, pos: int, end: int) -> tuple[int, int] | None:
    """Drop sentence punctuation and unbalanced closing brackets glued to a value."""
    if end - pos > _MAX_VALUE:
        for _ in range(16):
            if text[end - 1] not in _TRAIL:
                break
            end -= 1
        return pos, end
    counts: dict[str, int] | None = None
    while end > pos:
        ch = text[end - 1]
        if ch in _TRAIL:
            end -= 1
            continue
        opener = _PAIRS.get(ch)
        if opener is None:
            break
        if counts is None:
            counts = {c: text.count(c, pos, end) for c in "()[]{}"}
        if counts[opener] >= counts[ch]:
            break
        counts[ch] -= 1
        end -= 1
    return (pos, end) if end > pos else None


def head(text: str, start: int, end: int) -> str:
    """The value, or its first _MAX_VALUE characters: what the checks look at."""
    return text[start : min(end, start + _MAX_VALUE)]


# Words that follow a password label in prose, never as a value.
_STOPWORD_LINES = (
    "не нет нету ни отсутствует пустой пусто пустое см смотрите ниже выше прежний старый",
    "такой такая тот же как был была было будет в во на по из у с к от для и или а",
    "none null nil n/a na not no empty missing is was were will be the a an see same",
    "below above in on at from by to as for of and or it this that here there old new",
    "reset field fields policy policies expired expires expiry change changed changes",
    "recovery forgot forgotten hint manager protected length complexity requirements",
    "required requires incorrect wrong invalid must should does did doesn't don't has",
    "have had sent send link page form box prompt dialog screen error errors",
    "true false yes off please your yours my our their his her ваш ваша свой своя",
    "пожалуйста hidden redacted removed скрыт скрыто удален удалён",
    # English prose after "password" ("the account with its password under which …")
    "under which with whose whom where you we they used via through into when while",
)
_STOPWORDS = frozenset(w for line in _STOPWORD_LINES for w in line.split())

_CYRILLIC_WORD = re.compile(r"[А-Яа-яЁё]+(?:-[А-Яа-яЁё]+)*")
_MASK = re.compile(r"[*•xX.·]+")
_PLACEHOLDER = re.compile(r"%\w+%|%\(\w+\)s|\$\w+|\{\w*\}")


def is_prose(value: str) -> bool:
    """True for values that are words of a sentence, masks or placeholders."""
    if value.startswith(("<", "{", "$", "[")):
        return True
    core = value.strip("()[]{}«»\"'")
    return (
        not core
        or (len(core) <= 16 and core.lower() in _STOPWORDS)
        or _CYRILLIC_WORD.fullmatch(core) is not None
        or _MASK.fullmatch(core) is not None
        or _PLACEHOLDER.fullmatch(value) is not None
        or ("***" in value and value.count("*") * 2 >= len(value))
    )


_DIGIT = re.compile(r"\d")
ALPHA = re.compile(r"[^\W\d_]")
_SYMBOL = re.compile(r"[\W_]")


def looks_secret(value: str) -> bool:
    """Password-like on its own: letters mixed with digits/symbols, or inner capitals."""
    if len(value) < 4 or is_prose(value):
        return False
    if _DIGIT.search(value) or (ALPHA.search(value) and _SYMBOL.search(value)):
        return True
    tail = value[1:]  # inner capitals ("QwErty"), with lowercase letters too
    return tail.lower() != tail and value.upper() != value


_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-.+/=~:]+")


def looks_token(value: str) -> bool:
    """API-token-like: long and made of token characters, with digits or mixed case."""
    if len(value) < 16 or _TOKEN_CHARS.fullmatch(value) is None:
        return False
    return any(c.isdigit() for c in value) or (
        any(c.isupper() for c in value) and any(c.islower() for c in value)
    )


def word_before(text: str, pos: int) -> bool:
    """True if ``text[pos - 1]`` continues a word (``(?<![\\w-])`` fails at ``pos``)."""
    if pos <= 0:
        return False
    ch = text[pos - 1]
    return ch.isalnum() or ch in "_-"
