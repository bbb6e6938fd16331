"""The labelled corpus of the credential detector: tests/data/redaction_corpus.txt.

Shared by tests/test_redaction.py (which asserts full recall and no false positive) and
bench/redaction_bench.py (which prints the same figures). The file's preamble describes
the format.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

CORPUS = Path(__file__).resolve().parent / "data" / "redaction_corpus.txt"
HEADER = "=== "
VALUE = "=> "


@dataclass(frozen=True)
class Entry:
    line: int  # of the header, 1-based
    lang: str
    what: str
    text: str
    secrets: tuple[str, ...]  # empty for a negative

    @property
    def name(self) -> str:
        sign = "+" if self.secrets else "-"
        return f"L{self.line} {sign}{self.lang} {self.what}"


def load_corpus(path: Path = CORPUS) -> list[Entry]:
    entries: list[Entry] = []
    current: tuple[int, str, str, str] | None = None
    text: list[str] = []
    values: list[str] = []

    def close() -> None:
        if current is None:
            return
        line, sign, lang, what = current
        while text and not text[-1].strip():
            text.pop()
        if not text:
            raise ValueError(f"{path}:{line}: the entry has no text")
        if (sign == "+") != bool(values):
            raise ValueError(f"{path}:{line}: a positive lists values, a negative none")
        entries.append(Entry(line, lang, what, "\n".join(text), tuple(values)))

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if raw.startswith(HEADER):
            close()
            head, _, what = raw[len(HEADER) :].partition("|")
            sign, lang = head.split()
            if sign not in "+-" or lang not in ("ru", "en", "mixed"):
                raise ValueError(f"{path}:{number}: bad header {raw!r}")
            current, text, values = (number, sign, lang, what.strip()), [], []
        elif current is None:
            continue
        elif raw.startswith(VALUE):
            values.append(raw[len(VALUE) :])
        elif values:
            if not raw.strip():
                continue
            raise ValueError(f"{path}:{number}: text after the values of an entry")
        else:
            text.append(raw)
    close()
    return entries


class _Finding(Protocol):
    @property
    def value(self) -> str: ...


@dataclass(frozen=True)
class Recall:
    found: int
    total: int

    @property
    def ratio(self) -> float:
        return self.found / self.total if self.total else 1.0


def check(found: Iterable[str], expected: Sequence[str]) -> tuple[list[str], list[str]]:
    """(missed expected values, findings that are not expected) — as multisets."""
    got, want = Counter(found), Counter(expected)
    missed = list((want - got).elements())
    extra = list((got - want).elements())
    return missed, extra


def score(
    find: Callable[[str], Sequence[_Finding]], entries: Sequence[Entry]
) -> tuple[Recall, list[str]]:
    """Recall over every listed secret, and every finding that is a false positive."""
    found = total = 0
    false_positives: list[str] = []
    for entry in entries:
        missed, extra = check((f.value for f in find(entry.text)), entry.secrets)
        total += len(entry.secrets)
        found += len(entry.secrets) - len(missed)
        false_positives += extra
    return Recall(found, total), false_positives
