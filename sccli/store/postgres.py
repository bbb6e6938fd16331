"""The shared team store: PostgreSQL by URL (needs the ``postgres`` extra).

No message shows the URL's password (:func:`sccli.store.mask_url`, applied to every
message that may quote the URL, the driver's included). Failures are classified: a server
that does not answer is temporary (75); a malformed URL, a missing database, role or
schema, a bad ``sslmode``, a damaged store are configuration errors (2); a refused
password is an authentication failure (4).
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from ..errors import (
    AuthFailure,
    ConfigurationError,
    SccliError,
    TemporaryFailure,
    UsageError,
    one_line,
)
from . import mask_url, remember_secrets
from .base import Store, StoreDamaged

URL_SHAPE = "postgresql://user[:password]@host[:port]/database[?sslmode=…]"


def check_url(url: str) -> None:
    """Refuse a URL that libpq would misread and then quote a piece of its password in
    an error (a raw '@' or '/' in the user or password, a space, a bad %-escape)."""
    rest = url.partition("://")[2]
    head = rest.split("?", 1)[0]  # the query may hold an '@' (sslrootcert=/a@b/c)
    problem = None
    if head.count("@") > 1:
        problem = "a raw '@' (write it %40)"
    elif "@" in head and "/" in head[: head.rfind("@")]:
        problem = "a raw '/' (write it %2F)"
    else:
        userinfo = rest[: rest.rfind("@")] if "@" in rest else ""
        if re.search(r"\s", userinfo):
            problem = "a space (write it %20)"
        elif re.search(r"%(?![0-9A-Fa-f]{2})", userinfo):
            problem = "a '%' that starts no %XX escape (write it %25)"
    if problem:
        raise UsageError(
            f"malformed PostgreSQL URL {mask_url(url)}: its user or password holds {problem};"
            f" percent-encode it ({URL_SHAPE}), or leave the password out of the URL and"
            " use PGPASSWORD or ~/.pgpass"
        )


def _detail(exc: BaseException) -> str:
    """The first line of a driver error, masked, on one line."""
    first = (str(exc).strip().splitlines() or ["no detail"])[0]
    return one_line(mask_url(first), 300)


# libpq's and the server's words (English and Russian server messages) → what is wrong
_CONNECT_PERMANENT = (
    (("role", "does not exist"), ("роль", "не существует")),
    (("database", "does not exist"), ("база данных", "не существует")),
)
_AUTH = ("password authentication failed", "no pg_hba.conf entry", "no password supplied",
         "authentication failed", "проверку подлинности", "pg_hba.conf")
_OPTIONS = ("invalid sslmode", "invalid connection option", "invalid integer value",
            "invalid value", "invalid uri", "ssl was required", "sslmode value",
            "certificate", "invalid ", "unsupported", "could not open", "could not read")


def connect_failure(exc: BaseException, location: str) -> SccliError:
    """Why a connection failed, with the exit code that fits: the server's or network's
    trouble is temporary; the URL's mistakes and missing objects are not."""
    detail = _detail(exc)
    text = detail.lower()
    psycopg = _driver()
    if psycopg is not None and isinstance(exc, psycopg.ProgrammingError):
        return UsageError(f"invalid PostgreSQL URL {location}: {detail}; fix it ({URL_SHAPE})")
    for english, russian in _CONNECT_PERMANENT:
        if all(w in text for w in english) or all(w in text for w in russian):
            what = "role (user)" if english[0] == "role" else "database"
            return ConfigurationError(
                f"cannot use PostgreSQL at {location}: {detail}; create the {what} or fix the"
                " URL"
            )
    if any(w in text for w in _AUTH):
        return AuthFailure(
            f"PostgreSQL at {location} refused the login: {detail}; check the user and"
            " password (PGPASSWORD, ~/.pgpass) and the server's pg_hba.conf"
        )
    if any(w in text for w in _OPTIONS):
        return ConfigurationError(
            f"cannot connect to PostgreSQL at {location}: {detail}; fix the URL's options"
            " (e.g. sslmode=disable|require|verify-full)"
        )
    return TemporaryFailure(
        f"cannot connect to PostgreSQL at {location}: {detail}; check that the server runs"
        " and the URL is right"
    )


# SQLSTATEs of a store that cannot be used as it is, or of an environment to fix
_DAMAGED = {"42P01", "42703", "42P07", "42704", "42P16"}  # undefined/duplicate objects
_TEMPORARY_CLASSES = ("08", "53", "57", "40", "55")  # connection, resources, shutdown, races


def classify(exc: BaseException, location: str) -> SccliError | None:
    """A PostgreSQL error as a one-line error with the right exit code (None: not one)."""
    psycopg = _driver()
    if psycopg is None or isinstance(exc, psycopg.IntegrityError):
        return None  # a constraint: the caller's business (a lost race, a duplicate)
    state = getattr(exc, "sqlstate", None) or ""
    where = f"PostgreSQL at {location}" if location else "PostgreSQL"
    if state in ("42501", "25006"):
        # Permanent until a DBA acts: not the "try again" (75) of other database errors.
        return ConfigurationError(
            f"{where} refused: {_detail(exc)}; grant the user rights on sccli's tables, or"
            " connect to the primary server"
        )
    if state in _DAMAGED:
        return StoreDamaged(location, _detail(exc))
    if state == "3F000":
        return ConfigurationError(
            f"{where} has no schema to keep sccli's tables in ({_detail(exc)}); create the"
            " schema, or fix search_path in the URL (options=-csearch_path%3DNAME)"
        )
    if state.startswith(_TEMPORARY_CLASSES) or isinstance(exc, psycopg.OperationalError):
        return TemporaryFailure(f"{where} failed: {_detail(exc)}; try again")
    return None


def _driver() -> Any:
    import sys

    return sys.modules.get("psycopg")


class PostgresStore(Store):
    dialect = "postgres"
    for_update = " FOR UPDATE"
    id_column = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"

    def __init__(self, url: str, connect_timeout: int = 5):
        super().__init__()
        remember_secrets(url)
        self.location = mask_url(url)
        check_url(url)
        try:
            import psycopg
            from psycopg.rows import dict_row
        except ImportError:
            raise UsageError(
                "a postgresql:// store needs the PostgreSQL driver: pip install 'sccli[postgres]'"
            ) from None
        self._psycopg = psycopg
        try:
            self.conn = psycopg.connect(
                url, autocommit=True, row_factory=dict_row, connect_timeout=connect_timeout
            )
        except psycopg.Error as exc:
            raise connect_failure(exc, self.location) from None

    def _refused(self, exc: BaseException) -> SccliError | None:
        return classify(exc, self.location)

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def _begin(self) -> None:
        self.execute("BEGIN")

    def _commit(self) -> None:
        self.execute("COMMIT")

    def _rollback(self) -> None:
        with contextlib.suppress(self._psycopg.Error):  # the connection may be gone already
            self.conn.execute("ROLLBACK")

    def execute(self, sql, params=()):
        try:
            return self.conn.execute(self._sql(sql), tuple(params))
        except self._psycopg.Error as exc:
            raise self._refused(exc) or exc from None

    def executemany(self, sql, rows):
        try:
            with self.conn.cursor() as cur:
                cur.executemany(self._sql(sql), [tuple(r) for r in rows])
        except self._psycopg.Error as exc:
            raise self._refused(exc) or exc from None

    def query(self, sql, params=()):
        try:
            return self.conn.execute(self._sql(sql), tuple(params)).fetchall()
        except self._psycopg.Error as exc:
            raise self._refused(exc) or exc from None

    def tuples(self, sql, params=()):
        from psycopg.rows import tuple_row

        try:
            with self.conn.cursor(row_factory=tuple_row) as cur:
                return cur.execute(self._sql(sql), tuple(params)).fetchall()
        except self._psycopg.Error as exc:
            raise self._refused(exc) or exc from None

    def table_exists(self, name: str) -> bool:
        row = self.conn.execute("SELECT to_regclass(%s) AS t", (name,)).fetchone()
        assert row is not None  # a SELECT without FROM returns one row
        return row["t"] is not None

    def table_names(self) -> set[str]:
        # what an unqualified name resolves to through search_path (as to_regclass does)
        rows = self.query(
            "SELECT c.relname AS name FROM pg_class c WHERE c.relkind IN ('r', 'p')"
            " AND pg_table_is_visible(c.oid) AND c.relnamespace NOT IN"
            " ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)"
        )
        return {row["name"] for row in rows}

    def _lock_migrations(self) -> None:
        # held to the end of the migration's transaction; one lock per schema (one store)
        self.execute(
            "SELECT pg_advisory_xact_lock(hashtext('sccli-migrate:' ||"
            " coalesce(current_schema(), '')))"
        )

    def close(self) -> None:
        self.conn.close()  # a session advisory lock ends with the session

    # -- the sync run lock: a session-level advisory lock, per schema (one store) ----------
    _LOCK_KEY = "hashtext('sccli-sync:' || current_schema())"

    def try_sync_lock(self) -> bool:
        if getattr(self, "_locked", False):
            return True
        row = self.conn.execute(f"SELECT pg_try_advisory_lock({self._LOCK_KEY}) AS ok").fetchone()
        assert row is not None  # a SELECT without FROM returns one row
        self._locked = bool(row["ok"])
        return self._locked

    def release_sync_lock(self) -> None:
        if getattr(self, "_locked", False):
            self._locked = False
            with contextlib.suppress(self._psycopg.Error):  # the session may be gone already
                self.conn.execute(f"SELECT pg_advisory_unlock({self._LOCK_KEY})")

    def sync_lock_holder(self) -> str:
        try:
            row = self.conn.execute(
                "SELECT a.pid, a.client_addr, a.backend_start FROM pg_locks l"
                " JOIN pg_stat_activity a ON a.pid = l.pid"
                f" WHERE l.locktype = 'advisory' AND l.objid = ({self._LOCK_KEY})::oid"
                " AND l.granted LIMIT 1"
            ).fetchone()
        except self._psycopg.Error:  # pragma: no cover
            row = None
        if not row:
            return "a PostgreSQL session holds the advisory lock"
        where = row["client_addr"] or "local socket"
        return f"PostgreSQL backend pid {row['pid']} from {where}"
