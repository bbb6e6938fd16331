"""Output for people (tables) and programs (JSON, CSV), with English and Russian labels."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click

FORMATS = ("table", "json", "csv")


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    ru: str

    def header(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.en


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def to_json(data: Any) -> str:
    """Indented on a terminal; compact (and much faster for big listings) in pipes."""
    indent = 2 if sys.stdout.isatty() else None
    return json.dumps(_plain(data), ensure_ascii=False, indent=indent)


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
    body = [[cell(row.get(c.key)) for c in columns] for row in rows]
    return tabulate(body, headers=headers, tablefmt="simple", disable_numparse=True)


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow([cell(row.get(c.key)) if c.key in row else "" for c in columns])
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
        click.echo(to_json(list(rows)))
    elif fmt == "csv":
        click.echo(csv_text(rows, columns), nl=False)
    elif not rows and empty:
        click.echo(empty)
    else:
        click.echo(table(rows, columns, lang))


def use_color() -> bool:
    """Colours only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def paint(text: str, color: str | None) -> str:
    if not color or not use_color():
        return text
    return click.style(text, fg=color)
