"""The embedded default: one SQLite file in the workspace.

The file (and SQLite's -wal and -shm files, which take its mode) is created 0600: the
store holds client correspondence. Reads never wait for a writer (WAL); a write waits
``busy_timeout`` seconds for another writer, then fails as temporary (exit 75).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from ..errors import ConfigurationError, SccliError, TemporaryFailure, UsageError
from .base import Store, StoreDamaged


def classify(exc: sqlite3.Error, location: str) -> SccliError | None:
    """SQLite's refusals as one-line errors with the right exit code (None: not one)."""
    if isinstance(exc, sqlite3.IntegrityError):
        return None  # a constraint: the caller's business (a lost race, a duplicate)
    text = str(exc)
    where = f"the store {location}" if location else "the store"
    if "locked" in text or "busy" in text:
        return TemporaryFailure(f"{where} is busy (another sccli is writing); try again")
    if "readonly" in text or "read-only" in text:
        return ConfigurationError(
            f"{where} is not writable; fix its permissions or pass --db PATH"
        )
    if "disk is full" in text:
        return TemporaryFailure(
            f"the disk of {where} is full; nothing was written, free some space and try again"
        )
    if any(sign in text for sign in _DAMAGED):
        return StoreDamaged(location, text)
    return None


# what a damaged store or a schema that does not match its version looks like
_DAMAGED = ("file is not a database", "malformed", "corrupt", "no such table", "no such column", "has no column named",
            "already exists", "no such index")


class SQLiteStore(Store):
    dialect = "sqlite"
    id_column = "INTEGER PRIMARY KEY AUTOINCREMENT"
    foreign_if_any_table = True
    busy_timeout = 30.0  # seconds a write waits for another writer (tests shorten it)

    def __init__(self, path: Path):
        super().__init__()
        self.location = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _create_private(path)
            self.conn = sqlite3.connect(
                str(path), isolation_level=None, timeout=self.busy_timeout
            )
        except (sqlite3.OperationalError, OSError) as exc:
            raise UsageError(
                f"cannot open the store {path}: {exc}; check the path and its permissions"
                " (or pass --db PATH / set SCCLI_DB)"
            ) from None
        try:
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._use_wal()
            self.conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            self.conn.close()
            error = classify(exc, self.location)
            if error is None:
                error = UsageError(
                    f"cannot open the store {path}: {exc}; check the path and its"
                    " permissions (or pass --db PATH / set SCCLI_DB)"
                )
            raise error from None

    def _use_wal(self) -> None:
        """Switch a new store to WAL (readers never wait for the writer). Of several sccli
        creating one store at once, all but one get "locked" at once, without SQLite's
        busy wait: they retry for the busy timeout (a store already in WAL never waits)."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

    def _begin(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._refused(exc) or UsageError(
                f"cannot write to the store {self.location}: {exc}"
            ) from None

    def _commit(self) -> None:
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            error = self._refused(exc)
            if error is None:
                raise
            raise error from None

    def _refused(self, exc: sqlite3.Error) -> SccliError | None:
        """SQLite's refusals that are the environment's or the store's, as one-line errors
        (else None)."""
        return classify(exc, self.location)

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def execute(self, sql, params=()):
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise self._refused(exc) or exc from None

    def executemany(self, sql, rows):
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise self._refused(exc) or exc from None

    def query(self, sql, params=()):
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self._refused(exc) or exc from None

    def tuples(self, sql, params=()):
        cursor = self.conn.cursor()
        cursor.row_factory = None
        try:
            return cursor.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self._refused(exc) or exc from None

    def table_exists(self, name: str) -> bool:
        return name in self.table_names()

    def table_names(self) -> set[str]:
        rows = self.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return {row[0] for row in rows}

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


def _create_private(path: Path) -> None:
    """Create a new store file 0600 whatever the umask (SQLite gives its -wal and -shm
    files the database file's mode); an existing file is left as it is."""
    if path.exists():
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another sccli created it meanwhile
        return
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
