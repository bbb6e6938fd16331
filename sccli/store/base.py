"""Persistence of clients, authorized contacts, tickets and their append-only events.

One class for both backends: SQL is written with ``?`` placeholders and each backend's
connection adapts them. Times are stored as UTC ISO-8601 text so both backends sort them
the same way. Nothing derived is stored as truth: ``tickets.status`` is a projection
rewritten in the same transaction as the event that changes it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from ..domain.events import Event
from ..domain.model import Channel, Client, Contact, EventKind, Hosting, Status, Ticket
from ..errors import ConfigurationError, UsageError
from .codec import decode, encode, from_db, to_db
from .migrations import LATEST, MIGRATIONS, SCCLI_TABLES, tables_at
from .outbox_store import OutboxStoreMixin
from .sync_store import SyncStoreMixin


class StoreTooNew(UsageError):
    pass


class StoreDamaged(ConfigurationError):
    """A store that cannot be used as it is (permanent: exit 2, retrying never helps)."""

    def __init__(self, location: str, detail: str):
        where = f"the store {location}" if location else "the store"
        super().__init__(
            f"{where} is damaged ({detail}); restore it from a backup or point --db elsewhere"
        )


class NotAStore(ConfigurationError):
    """A database that holds something else: sccli adds no tables to it (exit 2)."""

    def __init__(self, location: str, detail: str):
        super().__init__(
            f"{location} is not an sccli store ({detail}); point --db at an sccli store or at"
            " a new file"
        )


class Store(SyncStoreMixin, OutboxStoreMixin):
    """Backend-neutral store; subclasses provide the connection and dialect."""

    dialect = "sqlite"
    id_column = "INTEGER PRIMARY KEY AUTOINCREMENT"
    location = ""

    def __init__(self) -> None:
        self._depth = 0

    # -- backend hooks -------------------------------------------------------------
    def _begin(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _commit(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def _rollback(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:  # pragma: no cover
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:  # pragma: no cover
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:  # pragma: no cover
        raise NotImplementedError

    def tuples(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:  # pragma: no cover
        """Like ``query`` but plain tuples in column order (faster for bulk reads)."""
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def table_exists(self, name: str) -> bool:  # pragma: no cover
        raise NotImplementedError

    def table_names(self) -> set[str]:  # pragma: no cover
        """The tables an unqualified name can refer to (not the database's own)."""
        raise NotImplementedError

    def _lock_migrations(self) -> None:
        """Serialize migrations (called first in the migration's transaction)."""

    # Refuse a database holding any table but sccli's (a SQLite file is one application's);
    # else only one that holds sccli's table names without sccli's meta table.
    foreign_if_any_table = False

    # -- transactions --------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All-or-nothing; nested calls join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self._begin()
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            self._rollback()
            raise
        self._depth = 0
        self._commit()

    # -- schema --------------------------------------------------------------------
    def schema_version(self) -> int:
        if not self.table_exists("meta"):
            return 0
        rows = self.query("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(rows[0]["value"]) if rows else 0

    def migrate(self, target: int = LATEST) -> int:
        """Bring the schema to ``target``; refuse a store written by a newer sccli, a
        damaged store and a database that is not an sccli store.

        Reading the version takes no lock, so opening a current store never waits for a
        writer (SQLite's WAL readers) and never writes. Each migration step takes the
        migration lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory transaction lock)
        and re-reads the version under it: of several sccli opening one new store at once,
        one migrates and the others find the work done. A step commits with its version
        bump, so a crash leaves the store at the previous version.
        """
        current = self._checked_version()
        while current < target:
            with self.transaction():
                self._lock_migrations()
                current = self._checked_version()
                if current >= target:
                    break
                if current == 0 and "meta" not in self.table_names():
                    self.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                    self.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '0')")
                for step in MIGRATIONS[current]:
                    if callable(step):
                        step(self)
                    else:
                        self.execute(step.replace("{id}", self.id_column))
                current += 1
                self.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(current),)
                )
        return current

    def _checked_version(self) -> int:
        """The stored schema version (0: a new store), after checking the store is sccli's,
        not newer than this sccli, and holds every table of its version."""
        tables = self.table_names()
        if "meta" not in tables:
            ours = sorted(tables & SCCLI_TABLES)
            others = sorted(tables - SCCLI_TABLES)
            if ours or (others and self.foreign_if_any_table):
                shown = ", ".join((ours or others)[:5])
                raise NotAStore(self.location, f"it has tables ({shown}) but no sccli meta table")
            return 0
        rows = self.query("SELECT value FROM meta WHERE key = 'schema_version'")
        try:
            current = int(rows[0]["value"])
        except (IndexError, KeyError, TypeError, ValueError):
            raise StoreDamaged(self.location, "its meta table holds no valid schema version"
                               ) from None
        if current > LATEST:
            raise StoreTooNew(
                f"the store {self.location} has schema version {current}, newer than this"
                f" sccli understands ({LATEST}); upgrade sccli (pip install -U sccli)"
            )
        if current < 0:
            raise StoreDamaged(self.location, f"schema version {current}")
        # read again: without the lock, another sccli may have migrated since the first
        # read (tables only ever come with a version, so this read holds all of this one's)
        missing = sorted(tables_at(current) - self.table_names())
        if missing:
            raise StoreDamaged(
                self.location, f"schema version {current} but no table {', '.join(missing)}"
            )
        return current

    def instance_id(self) -> str:
        """A random id naming this store (it namespaces the secrets kept outside it)."""
        rows = self.query("SELECT value FROM meta WHERE key = 'store_id'")
        if rows:
            return rows[0]["value"]
        import uuid

        with self.transaction():  # the first of two racing sccli wins; both read its id
            self.execute(
                "INSERT INTO meta (key, value) VALUES ('store_id', ?) ON CONFLICT (key) DO NOTHING",
                (uuid.uuid4().hex,),
            )
        return self.query("SELECT value FROM meta WHERE key = 'store_id'")[0]["value"]

    # -- clients -------------------------------------------------------------------
    def add_client(self, client: Client, now: datetime) -> None:
        if self.get_client(client.key):
            raise UsageError(f"client {client.key} already exists (see `sccli client list`)")
        self.execute(
            "INSERT INTO clients (key, name, system_url, hosting, created_at) VALUES (?,?,?,?,?)",
            (client.key, client.name, client.system_url, client.hosting.value, to_db(now)),
        )
        if client.package is not None:
            self.set_client_package(client.key, client.package)

    def set_client_package(self, key: str, package: str | None) -> None:
        """The client's service package from now on (None: the default one)."""
        self.execute("UPDATE clients SET package = ? WHERE key = ?", (package, key))

    def get_client(self, key: str) -> Client | None:
        rows = self.query("SELECT * FROM clients WHERE key = ?", (key,))
        return _client(rows[0]) if rows else None

    def clients(self) -> list[Client]:
        return [_client(r) for r in self.query("SELECT * FROM clients ORDER BY key")]

    # -- authorized contacts -------------------------------------------------------
    def add_contact(self, contact: Contact, now: datetime) -> None:
        self.execute(
            "INSERT INTO contacts (client, email, name, effective, notice, recorded_at)"
            " VALUES (?,?,?,?,?,?)",
            (
                contact.client,
                contact.email,
                contact.name,
                to_db(contact.effective),
                contact.notice,
                to_db(now),
            ),
        )

    def contacts(self, client: str) -> list[Contact]:
        """The appointment history, in effect order (ties: the later record wins)."""
        rows = self.query(
            "SELECT * FROM contacts WHERE client = ? ORDER BY effective, id", (client,)
        )
        return [
            Contact(r["client"], r["email"], r["name"], from_db(r["effective"]), r["notice"])
            for r in rows
        ]

    # -- tickets and events -------------------------------------------------------
    # Row locks for read-modify-write inside a transaction. SQLite's BEGIN IMMEDIATE already
    # serializes writers; PostgreSQL needs FOR UPDATE so two sccli never take the same number.
    for_update = ""

    def lock_ticket(self, ticket_id: str) -> None:
        """Serialize appends to one ticket's history (call inside a transaction)."""
        if self.for_update:
            self.query(f"SELECT id FROM tickets WHERE id = ?{self.for_update}", (ticket_id,))

    def next_ticket_id(self, client: str) -> str:
        """Reserve the client's next number (inside the caller's transaction)."""
        rows = self.query(f"SELECT next_seq FROM clients WHERE key = ?{self.for_update}", (client,))
        seq = int(rows[0]["next_seq"])
        self.execute("UPDATE clients SET next_seq = ? WHERE key = ?", (seq + 1, client))
        return f"{client}-{seq}"

    def add_ticket(self, ticket: Ticket, first: Event, status: str, recorded_at: datetime) -> None:
        seq = int(ticket.id.rsplit("-", 1)[1])
        self.execute(
            "INSERT INTO tickets (id, client, seq, reporter, title, body, channel, on_behalf,"
            " registered_at, status) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                ticket.id,
                ticket.client,
                seq,
                ticket.reporter,
                ticket.title,
                ticket.body,
                ticket.channel.value,
                int(ticket.on_behalf),
                to_db(ticket.registered_at),
                status,
            ),
        )
        self.insert_event(first, recorded_at)

    def insert_event(self, event: Event, recorded_at: datetime) -> None:
        self.execute(
            "INSERT INTO events (ticket_id, seq, kind, at, actor, data, recorded_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (
                event.ticket_id,
                event.seq,
                event.kind.value,
                to_db(event.at),
                event.actor,
                encode(event.payload),
                to_db(recorded_at),
            ),
        )

    def set_status(self, ticket_id: str, status: str) -> None:
        self.execute("UPDATE tickets SET status = ? WHERE id = ?", (status, ticket_id))

    def set_client(self, ticket_id: str, client: str) -> None:
        """The client projection (a cache of the folded edits, for filtering by client)."""
        self.execute("UPDATE tickets SET client = ? WHERE id = ?", (client, ticket_id))

    def update_text(self, ticket_id: str, title: str, body: str) -> None:
        """Only for redaction: replace pasted secrets by references in place."""
        self.execute("UPDATE tickets SET title = ?, body = ? WHERE id = ?", (title, body, ticket_id))

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        rows = self.query("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        return _ticket(rows[0]) if rows else None

    def tickets(
        self,
        client: str | None = None,
        statuses: Sequence[Status] | None = None,
        as_of: datetime | None = None,
    ) -> list[Ticket]:
        """Tickets registered by ``as_of`` that may match (see ``_selection``), oldest first."""
        where, params = self._selection("", client, statuses, self._as_of(as_of))
        sql = f"SELECT * FROM tickets{where} ORDER BY registered_at, client, seq"
        return [_ticket(r) for r in self.query(sql, params)]

    def events(self, ticket_id: str) -> list[Event]:
        rows = self.tuples(
            "SELECT ticket_id, seq, kind, at, actor, data, recorded_at FROM events"
            " WHERE ticket_id = ? ORDER BY seq", (ticket_id,))
        return [Event.stored(tid, seq, _KINDS[kind], from_db(at), actor, data, decode,
                             from_db(recorded))
                for tid, seq, kind, at, actor, data, recorded in rows]

    def events_by_ticket(
        self,
        statuses: Sequence[Status] | None = None,
        client: str | None = None,
        as_of: datetime | None = None,
        skip: Sequence[EventKind] = (),
    ) -> dict[str, list[Event]]:
        """Every event dated by ``as_of`` of the selected tickets, in one query (the hot
        path of `sla check`), but the kinds in ``skip`` (a view that depends on none of
        them reads fewer rows).

        Rows come as plain tuples and payloads are decoded on first use: checking 100,000
        tickets' clocks needs the payloads of only a few event kinds.
        """
        as_of = self._as_of(as_of)
        where, params = self._selection("t.", client, statuses, as_of)
        join = " JOIN tickets t ON t.id = e.ticket_id" if where else ""
        if as_of is not None:
            where += (" AND " if where else " WHERE ") + "e.at <= ?"
            params.append(to_db(as_of))
        if skip:
            where += (" AND " if where else " WHERE ") + (
                f"e.kind NOT IN ({','.join('?' * len(skip))})")
            params += [k.value for k in skip]
        sql = (
            "SELECT e.ticket_id, e.seq, e.kind, e.at, e.actor, e.data FROM events e"
            f"{join}{where} ORDER BY e.ticket_id, e.seq"
        )
        out: dict[str, list[Event]] = {}
        kinds, parse, stored = _KINDS, datetime.fromisoformat, Event.stored
        current_id, current = None, []
        # Hundreds of thousands of small acyclic objects: the cyclic GC would walk them
        # again and again while they are built, for nothing.
        with gc_paused():
            for tid, seq, kind, at, actor, data in self.tuples(sql, params):
                if tid != current_id:
                    current_id, current = tid, out.setdefault(tid, [])
                current.append(stored(tid, seq, kinds[kind], parse(at), actor, data, decode))
        return out

    def _as_of(self, as_of: datetime | None) -> datetime | None:
        """``as_of``, or None when every event had happened by then (no filter needed)."""
        if as_of is None:
            return None
        latest = self.latest_event_at()
        return as_of if latest is not None and latest > as_of else None

    def latest_event_at(self) -> datetime | None:
        """The date of the latest event (an index lookup): views as of any later instant
        need no as-of filtering, since every ticket registers with an event."""
        rows = self.tuples("SELECT MAX(at) FROM events")
        return from_db(rows[0][0]) if rows and rows[0][0] else None

    def _selection(
        self, t: str, client: str | None, statuses: Sequence[Status] | None,
        as_of: datetime | None,
    ) -> tuple[str, list[Any]]:
        """The WHERE clause of a ticket selection: a superset the fold narrows exactly.

        ``statuses`` filter on the status projection (the status after every event). As of
        an instant, a ticket with events after it may have had another status then, so it
        is read too; so is a ticket whose client was edited (its id names the first one).
        """
        parts, params = [], []
        if client:
            parts.append(f"({t}client = ? OR ({t}id >= ? AND {t}id < ?))")
            params += [client, f"{client}-", f"{client}."]
        if as_of is not None:
            parts.append(f"{t}registered_at <= ?")
            params.append(to_db(as_of))
        if statuses:
            marks = ",".join("?" * len(statuses))
            clause = f"{t}status IN ({marks})"
            params += [s.value if isinstance(s, Status) else s for s in statuses]
            if as_of is not None:
                clause = (f"({clause} OR {t}id IN (SELECT ticket_id FROM events"
                          " WHERE at > ?))")
                params.append(to_db(as_of))
            parts.append(clause)
        return (" WHERE " + " AND ".join(parts) if parts else ""), params


@contextmanager
def gc_paused(freeze: bool = False) -> Iterator[None]:
    """Build many small acyclic objects without the cyclic GC walking them again and again.

    ``freeze`` also moves what exists at the end out of the collector's sight (gc.freeze):
    those objects are still freed by reference counting, but the first collection after
    the block does not walk them all once more (a tenth of `sla check` at 100,000
    tickets). Only a cycle among them that becomes garbage later is never collected.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if freeze:
                gc.freeze()
            gc.enable()


def filters(conditions: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """`` WHERE a = ? AND b IN (?,?)`` for the conditions that are set (a list means IN)."""
    parts: list[str] = []
    params: list[Any] = []
    for column, value in conditions.items():
        if value is None or (isinstance(value, (list, tuple)) and not value):
            continue
        if isinstance(value, (list, tuple)):
            parts.append(f"{column} IN ({','.join('?' * len(value))})")
            params.extend(value)
        else:
            parts.append(f"{column} = ?")
            params.append(value)
    return (" WHERE " + " AND ".join(parts) if parts else ""), params


_KINDS = {k.value: k for k in EventKind}


def _client(row: Any) -> Client:
    package = row["package"] if "package" in row.keys() else None  # noqa: SIM118 - sqlite3.Row
    return Client(row["key"], row["name"], row["system_url"], Hosting(row["hosting"]), package)


def _ticket(row: Any) -> Ticket:
    return Ticket(
        id=row["id"],
        client=row["client"],
        reporter=row["reporter"],
        title=row["title"],
        body=row["body"],
        channel=Channel(row["channel"]),
        on_behalf=bool(row["on_behalf"]),
        registered_at=from_db(row["registered_at"]),
    )
