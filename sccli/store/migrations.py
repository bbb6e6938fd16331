"""Versioned schema migrations, shared by SQLite and PostgreSQL.

Each step runs in one transaction with the version bump, so a crash leaves the store at
the previous version; the transaction holds the migration lock and re-reads the version
first, so concurrent sccli migrate once (``Store.migrate``). ``{id}`` expands to each dialect's auto-increment primary key.
A step may also be a Python callable (data migrations).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
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
    from ..domain.history import history

    store.execute("ALTER TABLE tickets ADD COLUMN status TEXT NOT NULL DEFAULT 'new'")
    store.execute("CREATE INDEX tickets_status ON tickets (status)")
    ids = [row["id"] for row in store.query("SELECT id FROM tickets")]
    for ticket_id in ids:
        status = history(store.events(ticket_id)).status
        store.execute("UPDATE tickets SET status = ? WHERE id = ?", (status.value, ticket_id))


# v3: sync state. Links to remote issues, intents written before each remote write (crash
# safety), the comment origin map (no echo, no duplicate), per-tracker cursors, a journal,
# and the conditional-request cache (ETags) kept between runs.
V3_SYNC = [
    """CREATE TABLE links (
        ticket_id TEXT NOT NULL,
        tracker TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        url TEXT,
        state TEXT NOT NULL,
        remote_updated_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (ticket_id, tracker)
    )""",
    "CREATE UNIQUE INDEX links_remote ON links (tracker, remote_id)",
    """CREATE TABLE sync_intents (
        id {id},
        ticket_id TEXT NOT NULL,
        tracker TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX sync_intents_state ON sync_intents (tracker, state)",
    """CREATE TABLE comment_map (
        ticket_id TEXT NOT NULL,
        tracker TEXT NOT NULL,
        remote_comment_id TEXT NOT NULL,
        event_seq INTEGER NOT NULL,
        direction TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE UNIQUE INDEX comment_map_remote ON comment_map (tracker, remote_comment_id)",
    "CREATE UNIQUE INDEX comment_map_event ON comment_map (ticket_id, tracker, event_seq, direction)",
    """CREATE TABLE cursors (
        tracker TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE journal (
        id {id},
        at TEXT NOT NULL,
        tracker TEXT,
        ticket_id TEXT,
        action TEXT NOT NULL,
        detail TEXT
    )""",
    "CREATE INDEX journal_ticket ON journal (ticket_id, at)",
    """CREATE TABLE http_cache (
        tracker TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tracker, key)
    )""",
]

# v4: the as-of view reads the tickets that have events after an instant (their status
# then may differ from the projection): an index on the event time. No data changes.
V4_AS_OF = ["CREATE INDEX events_at ON events (at)"]

# v5: the outbox (`sccli tick`, `sccli outbox`): each notice once per key, and one delivery
# per channel with its attempts, next attempt, claim lease, delivery time and last error.
V5_OUTBOX = [
    """CREATE TABLE notices (
        id {id},
        key TEXT NOT NULL UNIQUE,
        ticket_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        audience TEXT NOT NULL,
        lang TEXT NOT NULL,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        not_before TEXT NOT NULL,
        queued_at TEXT NOT NULL
    )""",
    "CREATE INDEX notices_ticket ON notices (ticket_id)",
    """CREATE TABLE deliveries (
        notice_id BIGINT NOT NULL REFERENCES notices(id),
        channel TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        claimed_until TEXT,
        delivered_at TEXT,
        last_error TEXT,
        PRIMARY KEY (notice_id, channel)
    )""",
    "CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at)",
]

# v6 (client packages): each client names its service package ("the package of services
# specified in the Specification"); NULL is the default package (sla.yaml's top level).
V6_CLIENT_PACKAGE = ["ALTER TABLE clients ADD COLUMN package TEXT"]

Step = str | Callable[["Store"], None]

MIGRATIONS: list[Sequence[Step]] = [V1, [_v2_status_projection], V3_SYNC, V4_AS_OF, V5_OUTBOX,
                                    V6_CLIENT_PACKAGE]
LATEST = len(MIGRATIONS)


def tables_at(version: int) -> set[str]:
    """The tables a store at ``version`` holds (opening one that lacks any is refused)."""
    names = {"meta"}
    for steps in MIGRATIONS[: max(version, 0)]:
        for step in steps:
            if isinstance(step, str):
                names.update(re.findall(r"^\s*CREATE TABLE (\w+)", step))
    return names


SCCLI_TABLES = tables_at(LATEST)
