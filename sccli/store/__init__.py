"""Open the store a user names: a SQLite file path or a ``postgresql://`` URL."""

from __future__ import annotations

from pathlib import Path

from .base import Store

DEFAULT_FILE = "sccli.db"


def open_store(target: str | None, home: Path, migrate: bool = True) -> Store:
    if target and target.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        store: Store = PostgresStore(target)
    else:
        from .sqlite import SQLiteStore

        store = SQLiteStore(Path(target).expanduser() if target else home / DEFAULT_FILE)
    if migrate:
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
    return store


__all__ = ["Store", "open_store", "DEFAULT_FILE"]
