"""Sync state in the store: links, intents, the comment origin map, cursors, journal.

Why a mixin: ``Store`` stays about tickets; sync's tables (schema v3) and their queries live
here. Every method is plain SQL with ``?`` placeholders, so it runs on SQLite and
PostgreSQL alike; callers decide the transactions (see ``sccli.sync.apply``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .codec import from_db, to_db


def _db(value: datetime) -> str:
    return to_db(value)


def _dt(text: str | None) -> datetime | None:
    return from_db(text) if text else None


def _at(text: str) -> datetime:
    return from_db(text)


@dataclass(frozen=True)
class LinkRow:
    ticket_id: str
    tracker: str
    remote_id: str
    url: str | None
    state: str  # "open" | "closed"
    remote_updated_at: datetime | None  # the remote state we have fully read
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class IntentRow:
    id: int
    ticket_id: str
    tracker: str
    kind: str  # "create" | "comment"
    key: str  # the ticket id (create) or the event origin "<ticket>/e<seq>" (comment)
    state: str  # "pending" | "done"
    created_at: datetime


@dataclass(frozen=True)
class CommentMapRow:
    ticket_id: str
    tracker: str
    remote_comment_id: str
    event_seq: int
    direction: str  # "in" | "out"


def _link(row: Any) -> LinkRow:
    return LinkRow(
        row["ticket_id"], row["tracker"], row["remote_id"], row["url"], row["state"],
        _dt(row["remote_updated_at"]), _at(row["created_at"]), _at(row["updated_at"]),
    )


class SyncStoreMixin:
    """Methods ``Store`` gains for sync; they rely on ``execute``/``query``."""

    # -- links -------------------------------------------------------------------------
    def links(self, ticket_id: str | None = None, tracker: str | None = None) -> list[LinkRow]:
        from .base import filters

        where, params = filters({"ticket_id": ticket_id, "tracker": tracker})
        sql = f"SELECT * FROM links{where} ORDER BY ticket_id, tracker"
        return [_link(r) for r in self.query(sql, params)]  # type: ignore[attr-defined]

    def put_link(
        self, ticket_id: str, tracker: str, remote_id: str, url: str | None, state: str,
        remote_updated_at: datetime | None, now: datetime,
    ) -> None:
        """Insert or replace the link of ``ticket_id`` on ``tracker``."""
        self.execute(  # type: ignore[attr-defined]
            "DELETE FROM links WHERE (ticket_id = ? AND tracker = ?)"
            " OR (tracker = ? AND remote_id = ?)",
            (ticket_id, tracker, tracker, remote_id),
        )
        self.execute(  # type: ignore[attr-defined]
            "INSERT INTO links (ticket_id, tracker, remote_id, url, state, remote_updated_at,"
            " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
            (ticket_id, tracker, remote_id, url, state,
             _db(remote_updated_at) if remote_updated_at else None, _db(now), _db(now)),
        )

    def update_link(
        self, ticket_id: str, tracker: str, now: datetime, *, state: str | None = None,
        remote_updated_at: datetime | None = None,
    ) -> None:
        sets, params = ["updated_at = ?"], [_db(now)]
        if state is not None:
            sets.append("state = ?")
            params.append(state)
        if remote_updated_at is not None:
            sets.append("remote_updated_at = ?")
            params.append(_db(remote_updated_at))
        self.execute(  # type: ignore[attr-defined]
            f"UPDATE links SET {', '.join(sets)} WHERE ticket_id = ? AND tracker = ?",
            (*params, ticket_id, tracker),
        )

    # -- intents -----------------------------------------------------------------------
    def add_intent(self, ticket_id: str, tracker: str, kind: str, key: str, now: datetime) -> int:
        self.execute(  # type: ignore[attr-defined]
            "INSERT INTO sync_intents (ticket_id, tracker, kind, key, state, created_at)"
            " VALUES (?,?,?,?,'pending',?)",
            (ticket_id, tracker, kind, key, _db(now)),
        )
        rows = self.query(  # type: ignore[attr-defined]
            "SELECT MAX(id) AS id FROM sync_intents WHERE tracker = ? AND key = ?", (tracker, key)
        )
        return int(rows[0]["id"])

    def final_with_unsent_notes(self, statuses: list[str]) -> list[str]:
        """Linked tickets in ``statuses`` (the final ones) with a note not yet sent to, nor
        pulled from, one of their trackers. A cheap pre-filter on the event kind; whether a
        note is public is the fold's business (the plan decides exactly)."""
        marks = ",".join("?" * len(statuses))
        rows = self.query(  # type: ignore[attr-defined]
            "SELECT DISTINCT e.ticket_id AS id FROM events e"
            " JOIN links l ON l.ticket_id = e.ticket_id"
            " JOIN tickets t ON t.id = e.ticket_id"
            f" WHERE t.status IN ({marks}) AND e.kind = 'note'"
            " AND NOT EXISTS (SELECT 1 FROM comment_map m WHERE m.ticket_id = e.ticket_id"
            " AND m.tracker = l.tracker AND m.event_seq = e.seq)"
            " ORDER BY e.ticket_id",
            statuses,
        )
        return [r["id"] for r in rows]

    def pending_intents(self, tracker: str | None = None) -> list[IntentRow]:
        sql, params = "SELECT * FROM sync_intents WHERE state = 'pending'", []
        if tracker:
            sql += " AND tracker = ?"
            params.append(tracker)
        rows = self.query(sql + " ORDER BY id", params)  # type: ignore[attr-defined]
        return [IntentRow(int(r["id"]), r["ticket_id"], r["tracker"], r["kind"], r["key"],
                          r["state"], _at(r["created_at"])) for r in rows]

    def finish_intent(self, intent_id: int) -> None:
        self.execute("UPDATE sync_intents SET state = 'done' WHERE id = ?",  # type: ignore[attr-defined]
                     (intent_id,))

    def drop_intent(self, intent_id: int) -> None:
        """A pending intent whose remote write never happened: forget it (plan redoes it)."""
        self.execute("DELETE FROM sync_intents WHERE id = ?", (intent_id,))  # type: ignore[attr-defined]

    # -- comment map -------------------------------------------------------------------
    def map_comment(
        self, ticket_id: str, tracker: str, remote_comment_id: str, event_seq: int,
        direction: str, now: datetime,
    ) -> None:
        self.execute(  # type: ignore[attr-defined]
            "INSERT INTO comment_map (ticket_id, tracker, remote_comment_id, event_seq,"
            " direction, created_at) VALUES (?,?,?,?,?,?)",
            (ticket_id, tracker, str(remote_comment_id), int(event_seq), direction, _db(now)),
        )

    def comment_map(self, tracker: str | None = None) -> list[CommentMapRow]:
        sql, params = "SELECT * FROM comment_map", []
        if tracker:
            sql += " WHERE tracker = ?"
            params.append(tracker)
        rows = self.query(sql, params)  # type: ignore[attr-defined]
        return [CommentMapRow(r["ticket_id"], r["tracker"], r["remote_comment_id"],
                              int(r["event_seq"]), r["direction"]) for r in rows]

    # -- cursors -----------------------------------------------------------------------
    def cursor(self, tracker: str) -> datetime | None:
        rows = self.query("SELECT value FROM cursors WHERE tracker = ?",  # type: ignore[attr-defined]
                          (tracker,))
        return _dt(rows[0]["value"]) if rows else None

    def set_cursor(self, tracker: str, value: datetime, now: datetime) -> None:
        self.execute("DELETE FROM cursors WHERE tracker = ?", (tracker,))  # type: ignore[attr-defined]
        self.execute(  # type: ignore[attr-defined]
            "INSERT INTO cursors (tracker, value, updated_at) VALUES (?,?,?)",
            (tracker, _db(value), _db(now)),
        )

    def cursors(self) -> dict[str, datetime]:
        rows = self.query("SELECT tracker, value FROM cursors")  # type: ignore[attr-defined]
        return {r["tracker"]: from_db(r["value"]) for r in rows}

    # -- journal -----------------------------------------------------------------------
    def journal_add(
        self, at: datetime, tracker: str | None, ticket_id: str | None, action: str,
        detail: Mapping[str, Any] | str | None = None,
    ) -> None:
        text = detail if isinstance(detail, str) or detail is None else json.dumps(
            dict(detail), ensure_ascii=False, sort_keys=True)
        self.execute(  # type: ignore[attr-defined]
            "INSERT INTO journal (at, tracker, ticket_id, action, detail) VALUES (?,?,?,?,?)",
            (_db(at), tracker, ticket_id, action, text),
        )

    def journal(self, ticket_id: str | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT * FROM journal", []
        if ticket_id:
            sql += " WHERE ticket_id = ?"
            params.append(ticket_id)
        rows = self.query(sql + " ORDER BY id", params)  # type: ignore[attr-defined]
        return [dict(r) for r in rows]

    # -- conditional-request cache (ETags) ---------------------------------------------
    def http_cache(self, tracker: str) -> dict[str, Any]:
        rows = self.query("SELECT key, value FROM http_cache WHERE tracker = ?",  # type: ignore[attr-defined]
                          (tracker,))
        return {r["key"]: json.loads(r["value"]) for r in rows}

    def save_http_cache(
        self, tracker: str, entries: Iterable[tuple[str, Any]], now: datetime
    ) -> None:
        """Replace the tracker's cache by ``entries`` (only what the last run used)."""
        self.execute("DELETE FROM http_cache WHERE tracker = ?", (tracker,))  # type: ignore[attr-defined]
        rows = [(tracker, key, json.dumps(value, ensure_ascii=False), _db(now))
                for key, value in entries]
        if rows:
            self.executemany(  # type: ignore[attr-defined]
                "INSERT INTO http_cache (tracker, key, value, updated_at) VALUES (?,?,?,?)", rows
            )

    # -- the run lock (backends override) ----------------------------------------------
    def try_sync_lock(self) -> bool:  # pragma: no cover - each backend implements it
        raise NotImplementedError

    def release_sync_lock(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def sync_lock_holder(self) -> str:
        return "holder unknown"
