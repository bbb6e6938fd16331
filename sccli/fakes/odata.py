"""The OData 4 subset a BPMSoft (Creatio) server answers, for the fake server.

Only what sccli uses and what the research (../shared/research/bpmsoft.md §1.5) documents:
``$filter`` with ``eq ne ge gt le lt``, ``and``, ``contains(Col,'text')`` and parentheses;
``$orderby`` on several keys; ``$top``/``$skip``; ``$count=true``; ``$select``. Literals are
OData 4's: strings in single quotes (``''`` escapes a quote), GUIDs and date-times unquoted
(``ModifiedOn ge 2026-04-26T00:00:00Z``), numbers, ``true``/``false``/``null``. A quoted
date compared with a date column is refused as BPMSoft does ("incompatible types
Edm.DateTimeOffset and Edm.String"), and so is a quoted GUID against a GUID column.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]

DATE_COLUMNS = frozenset({
    "CreatedOn", "ModifiedOn", "RegisteredOn", "ResponseDate", "SolutionDate", "RespondedOn",
    "SolutionProvidedOn", "FirstSolutionProvidedOn", "ClosureDate",
})


class ODataError(Exception):
    """A request the server refuses: HTTP ``status`` with the OData error body."""

    def __init__(self, status: int, message: str, kind: str = "Terrasoft.Common.ODataException"):
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind


def is_guid_column(name: str) -> bool:
    return name == "Id" or name.endswith("Id")


def parse_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def format_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<str>'(?:[^']|'')*')
    | (?P<date>\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d))
    | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    )""", re.X)

_OPS = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
}


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ODataError(400, f"Syntax error at position {pos} in '{text}'.")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _column(name: str) -> str:
    """``Case/Id`` (navigation) is the foreign key ``CaseId`` of the row."""
    if "/" in name:
        nav, _, col = name.partition("/")
        if col != "Id":
            raise ODataError(400, f"Navigation filter '{name}' is not supported by this server.")
        return nav + "Id"
    return name


class _Parser:
    def __init__(self, text: str, columns: frozenset[str]):
        self.tokens, self.i, self.columns = _tokens(text), 0, columns

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ODataError(400, "Syntax error: unexpected end of the filter.")
        self.i += 1
        return token

    def expect(self, value: str) -> None:
        kind, text = self.take()
        if text != value:
            raise ODataError(400, f"Syntax error: '{value}' expected, found '{text}'.")

    def parse(self) -> Predicate:
        pred = self.conjunction()
        if self.peek() is not None:
            raise ODataError(400, f"Syntax error: unexpected '{self.peek()[1]}'.")  # type: ignore[index]
        return pred

    def conjunction(self) -> Predicate:
        parts = [self.term()]
        while self.peek() and self.peek()[1] == "and":  # type: ignore[index]
            self.take()
            parts.append(self.term())
        return lambda row: all(p(row) for p in parts)

    def term(self) -> Predicate:
        kind, text = self.take()
        if text == "(":
            inner = self.conjunction()
            self.expect(")")
            return inner
        if kind != "word":
            raise ODataError(400, f"Syntax error: a property expected, found '{text}'.")
        if text == "contains":
            self.expect("(")
            column = self.known(self.take()[1])
            self.expect(",")
            needle = self.literal(column, *self.take())
            self.expect(")")
            if not isinstance(needle, str):
                raise ODataError(400, "contains() takes a string literal.")
            return lambda row: needle.lower() in str(row.get(column) or "").lower()
        column = self.known(text)
        _, op = self.take()
        if op not in _OPS:
            raise ODataError(400, f"Operator '{op}' is not supported by this server.")
        value = self.literal(column, *self.take())
        compare = _OPS[op]
        if isinstance(value, str) and is_guid_column(column):
            return lambda row: compare(str(row.get(column) or "").lower() or None, value)
        return lambda row: compare(row.get(column), value)

    def known(self, name: str) -> str:
        column = _column(name)
        if column not in self.columns:
            raise ODataError(400, f"Could not find a property named '{name}'.")
        return column

    def literal(self, column: str, kind: str, text: str) -> Any:
        if kind == "str":
            if column in DATE_COLUMNS:
                raise ODataError(400, "A binary operator with incompatible types was detected. "
                                 "Found operand types 'Edm.DateTimeOffset' and 'Edm.String' "
                                 f"for operator kind 'GreaterThanOrEqual' on '{column}'.")
            if is_guid_column(column):
                raise ODataError(400, "A binary operator with incompatible types was detected. "
                                 f"Found operand types 'Edm.Guid' and 'Edm.String' on '{column}'.")
            return text[1:-1].replace("''", "'")
        if kind == "date":
            if column not in DATE_COLUMNS:
                raise ODataError(400, f"Incompatible types: '{column}' is not a date.")
            return parse_datetime(text)
        if kind == "guid":
            return str(uuid.UUID(text))
        if kind == "num":
            return float(text) if "." in text else int(text)
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        raise ODataError(400, f"Syntax error: a literal expected, found '{text}'.")


def parse_filter(text: str, columns: frozenset[str]) -> Predicate:
    return _Parser(text, columns).parse()


def sort_rows(rows: list[dict[str, Any]], orderby: str, columns: frozenset[str]) -> None:
    """``$orderby=A asc,B desc``: stable sorts from the last key to the first."""
    keys = []
    for part in orderby.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ODataError(400, f"Syntax error in $orderby: '{orderby}'.")
        column = _column(words[0])
        if column not in columns:
            raise ODataError(400, f"Could not find a property named '{words[0]}'.")
        keys.append((column, len(words) == 2 and words[1] == "desc"))
    for column, desc in reversed(keys):
        rows.sort(key=lambda r: (r.get(column) is not None, r.get(column) or 0
                                 if not isinstance(r.get(column), str) else r.get(column)),
                  reverse=desc)


def select(row: Row, fields: list[str] | None) -> dict[str, Any]:
    """The row as JSON, only ``fields`` when ``$select`` names them."""
    names = fields if fields else [k for k in row if not k.startswith("_")]
    out: dict[str, Any] = {}
    for name in names:
        value = row.get(name)
        out[name] = format_datetime(value) if isinstance(value, datetime) else value
    return out
