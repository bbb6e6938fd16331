"""Output for people (tables) and programs (JSON, CSV), with English and Russian labels.

Everything sccli prints passes one gate here (``emit``, ``table``, ``csv_text``,
``to_json``, ``say``):

- **Credentials** that ``find_secrets`` recognises are replaced by ``[redacted]``, in table
  cells, CSV cells, every JSON string (recursively) and plain lines. Printing never writes
  to the vault. The one exception is explicit: a ``Column(..., reveal=True)`` (only the
  value column of ``ticket secret``, whose purpose is to show them).
- **Control characters** cannot drive the terminal (or a log viewer), colour or not:
  in tables and plain lines, C0 controls and DEL are shown in caret notation
  (``ESC`` → ``^[``, ``CR`` → ``^M``, ``BEL`` → ``^G``, ``DEL`` → ``^?``), C1 controls as
  ``\\x9b`` and bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
  U+061C) as ``\\u202e``: visible text, inert. Multi-line texts keep newlines and tabs
  (CRLF reads as a newline); a table cell turns them into spaces. CSV cells get the same
  treatment as multi-line texts. JSON keeps every string exact: ``json.dumps`` escapes C0
  controls, and DEL, C1 and the bidi controls are written as ``\\uXXXX`` escapes, so a JSON
  consumer reads the original text and a terminal shows only ASCII escapes.
- **CSV cells** that a spreadsheet would run as a formula (starting with ``=``, ``+``,
  ``-``, ``@``, tab or CR; OWASP) get a leading ``'``; numbers such as ``-25`` stay.

Only code-made colours (``paint``) reach the terminal as escape sequences.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import click

FORMATS = ("table", "json", "csv")


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    ru: str
    # True only where showing a credential is the point (`ticket secret`'s value column):
    # its cells are not redacted on output (control characters are still neutralised).
    reveal: bool = False

    def header(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.en


# --- the output gate -------------------------------------------------------------------

# C0 controls but newline and tab, DEL, C1 controls, bidirectional controls.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_CELL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# What JSON leaves raw with ensure_ascii=False and a terminal could act on.
_JSON_RAW = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _visible(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if ch in "\n\t":
        return " "
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    if code <= 0x9F:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def neutralise(text: str, multiline: bool = True) -> str:
    """Control and bidi characters as visible escapes (``^[``, ``\\x9b``, ``\\u202e``);
    ``multiline`` keeps newlines and tabs (CRLF becomes a newline), else they are spaces."""
    pattern = _UNSAFE if multiline else _UNSAFE_CELL
    if pattern.search(text) is None:
        return text
    return pattern.sub(_visible, text.replace("\r\n", "\n"))


REDACTED = "[redacted]"
_MAX_PASSES = 4


@lru_cache(maxsize=8192)
def redact_text(text: str) -> str:
    """``text`` with every credential replaced by ``[redacted]`` (nothing goes to the vault),
    to a fixed point like the store's ``redact``; a mark is never taken for a value."""
    from .domain.redaction import find_secrets

    for _ in range(_MAX_PASSES):
        marks = [(m.start(), m.end()) for m in re.finditer(re.escape(REDACTED), text)]
        findings = [f for f in find_secrets(text)
                    if not any(a <= f.start and f.end <= b for a, b in marks)]
        if not findings:
            break
        parts: list[str] = []
        pos = 0
        for f in findings:
            parts += [text[pos:f.start], REDACTED]
            pos = f.end
        parts.append(text[pos:])
        text = "".join(parts)
    return text


def safe(text: str, multiline: bool = True, reveal: bool = False) -> str:
    """The gate for one printed text: credentials redacted, control characters neutralised.
    ``reveal=True`` keeps credentials: only for output whose purpose is to show them."""
    return neutralise(text if reveal else redact_text(text), multiline)


def say(text: str = "", err: bool = False, nl: bool = True, multiline: bool = True) -> None:
    """``click.echo`` for lines that carry user data (titles, bodies, remote messages)."""
    click.echo(safe(text, multiline), err=err, nl=nl)


def _is_text(value: Any) -> bool:
    """Whether a value can carry user text (numbers, flags and instants cannot)."""
    return not (value is None or isinstance(value, (bool, int, float, datetime)))


def safe_cell(value: Any, reveal: bool = False) -> str:
    """One table cell or header value on one line, through the gate."""
    if isinstance(value, Styled):
        return value
    text = cell(value)
    return safe(text, multiline=False, reveal=reveal) if _is_text(value) else text


class Styled(str):
    """Text that ``paint`` coloured: its escape sequences are ours; its text passed the gate."""


def join_styled(sep: str, parts: Sequence[str]) -> str:
    """Join cells some of which may be painted, keeping the colours (the rest is gated)."""
    return Styled(sep.join(p if isinstance(p, Styled) else safe(p, multiline=False) for p in parts))


def _plain(value: Any, reveal: frozenset[str] = frozenset(), key: Any = None) -> Any:
    if isinstance(value, str):
        return value if key in reveal else redact_text(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v, reveal) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v, reveal, k) for k, v in value.items()}
    return value


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def to_json(data: Any, reveal: Sequence[str] = ()) -> str:
    """Indented on a terminal; compact (and much faster for big listings) in pipes.

    Every string is redacted (but values under the keys in ``reveal``); DEL, C1 and bidi
    controls are ``\\uXXXX`` escapes, so the text a consumer parses is unchanged."""
    indent = 2 if sys.stdout.isatty() else None
    text = json.dumps(_plain(data, frozenset(reveal)), ensure_ascii=False, indent=indent)
    return _JSON_RAW.sub(_json_escape, text)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    return str(value)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], lang: str) -> str:
    from tabulate import tabulate

    headers = [c.header(lang) for c in columns]
    body = [[safe_cell(row.get(c.key), c.reveal) for c in columns] for row in rows]
    return tabulate(body, headers=headers, tablefmt="simple", disable_numparse=True)


_NUMBER = re.compile(r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?")


def csv_cell(value: Any, reveal: bool = False) -> str:
    """A CSV cell through the gate; a would-be formula gets a leading ``'`` (OWASP)."""
    text = cell(value)
    if _is_text(value):
        text = safe(text, multiline=True, reveal=reveal)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and _NUMBER.fullmatch(text) is None:
        text = "'" + text
    return text


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow([csv_cell(row.get(c.key), c.reveal) if c.key in row else ""
                         for c in columns])
    return out.getvalue()


def emit(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: str,
    lang: str,
    empty: str = "",
) -> None:
    """Print a listing; JSON carries every field of every row, not only the columns."""
    if fmt == "json":
        click.echo(to_json(list(rows), reveal=[c.key for c in columns if c.reveal]))
    elif fmt == "csv":
        click.echo(csv_text(rows, columns), nl=False)
    elif not rows and empty:
        say(empty)
    else:
        click.echo(table(rows, columns, lang))


def use_color() -> bool:
    """Colours only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def paint(text: str, color: str | None) -> str:
    """``text`` in ``color`` on a terminal (a ``Styled`` cell that tables keep as is)."""
    if not color or not use_color():
        return text
    return Styled(click.style(safe(text, multiline=False), fg=color))
