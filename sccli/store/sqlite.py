"""The embedded default: one SQLite file in the workspace."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import ConfigurationError, SccliError, TemporaryFailure, UsageError
from .base import Store


class SQLiteStore(Store):
    dialect = "sqlite"
    id_column = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(self, path: Path):
        super().__init__()
        self.location = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
        except (sqlite3.OperationalError, OSError) as exc:
            raise UsageError(
                f"cannot open the store {path}: {exc}; check the path and its permissions"
                " (or pass --db PATH / set SCCLI_DB)"
            ) from None
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"{path} is not an sccli store ({exc})") from None

    def _begin(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise self._refused(exc) or UsageError(
                f"cannot write to the store {self.location}: {exc}"
            ) from None

    def _commit(self) -> None:
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            error = self._refused(exc)
            if error is None:
                raise
            raise error from None

    def _refused(self, exc: sqlite3.OperationalError) -> SccliError | None:
        """SQLite's refusals that are the environment's, as one-line errors (else None)."""
        text = str(exc)
        if "locked" in text or "busy" in text:
            return TemporaryFailure(
                f"the store {self.location} is busy (another sccli is writing); try again"
            )
        if "readonly" in text or "read-only" in text:
            return ConfigurationError(
                f"the store {self.location} is not writable; fix its permissions or pass"
                " --db PATH"
            )
        if "disk is full" in text:
            return TemporaryFailure(
                f"the disk of the store {self.location} is full; nothing was written, free"
                " some space and try again"
            )
        return None

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def execute(self, sql, params=()):
        try:
            return self.conn.execute(sql, params)
        except sqlite3.OperationalError as exc:
            error = self._refused(exc)
            if error is None:
                raise
            raise error from None

    def executemany(self, sql, rows):
        self.conn.executemany(sql, rows)

    def query(self, sql, params=()):
        return self.conn.execute(sql, params).fetchall()

    def tuples(self, sql, params=()):
        cursor = self.conn.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, params).fetchall()

    def table_exists(self, name: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def close(self) -> None:
        self.release_sync_lock()
        self.conn.close()

    # -- the sync run lock: an flock on <db>.sync.lock, released by the kernel when the
    # process ends (a killed sync never leaves a stale lock behind) -----------------------
    def _lock_path(self) -> Path:
        return Path(self.location + ".sync.lock")

    def try_sync_lock(self) -> bool:
        import fcntl
        import os
        import socket
        from datetime import UTC, datetime

        if getattr(self, "_lock_fd", None) is not None:
            return True
        try:
            fd = os.open(self._lock_path(), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise UsageError(f"cannot create the sync lock {self._lock_path()}: {exc.strerror}"
                             ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()} since {stamp}\n".encode())
        self._lock_fd: int | None = fd
        return True

    def release_sync_lock(self) -> None:
        import fcntl
        import os

        fd = getattr(self, "_lock_fd", None)
        if fd is None:
            return
        self._lock_fd = None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def sync_lock_holder(self) -> str:
        try:
            text = self._lock_path().read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        return text or f"lock file {self._lock_path()}"
