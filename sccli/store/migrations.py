"""Versioned schema migrations, shared by SQLite and PostgreSQL.

Each step runs in one transaction with the version bump, so a crash leaves the store at
the previous version. ``{id}`` expands to each dialect's auto-increment primary key.
A step may also be a Python callable (data migrations).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Store

V1 = [
    """CREATE TABLE clients (
        key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        system_url TEXT,
        hosting TEXT NOT NULL,
        created_at TEXT NOT NULL,
        next_seq INTEGER NOT NULL DEFAULT 1
    )""",
    """CREATE TABLE contacts (
        id {id},
        client TEXT NOT NULL REFERENCES clients(key),
        email TEXT NOT NULL,
        name TEXT,
        effective TEXT NOT NULL,
        notice TEXT,
        recorded_at TEXT NOT NULL
    )""",
    "CREATE INDEX contacts_client ON contacts (client, effective)",
    """CREATE TABLE tickets (
        id TEXT PRIMARY KEY,
        client TEXT NOT NULL REFERENCES clients(key),
        seq INTEGER NOT NULL,
        reporter TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        channel TEXT NOT NULL,
        on_behalf INTEGER NOT NULL,
        registered_at TEXT NOT NULL
    )""",
    "CREATE INDEX tickets_client ON tickets (client, registered_at)",
    """CREATE TABLE events (
        ticket_id TEXT NOT NULL REFERENCES tickets(id),
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        data TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (ticket_id, seq)
    )""",
]


def _v2_status_projection(store: Store) -> None:
    """Add the status projection (a cache of the folded events, for filtering open tickets)."""
    from ..domain.lifecycle import fold

    store.execute("ALTER TABLE tickets ADD COLUMN status TEXT NOT NULL DEFAULT 'new'")
    store.execute("CREATE INDEX tickets_status ON tickets (status)")
    ids = [row["id"] for row in store.query("SELECT id FROM tickets")]
    for ticket_id in ids:
        status = fold(store.events(ticket_id)).status
        store.execute("UPDATE tickets SET status = ? WHERE id = ?", (status.value, ticket_id))


Step = str | Callable[["Store"], None]

MIGRATIONS: list[list[Step]] = [V1, [_v2_status_projection]]
LATEST = len(MIGRATIONS)
