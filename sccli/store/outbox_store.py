"""The outbox in the store (schema v5): notices, and their deliveries per channel.

A notice is stored once per ``Notice.key`` (a unique key: a second `sccli tick`, or one
running at the same time on another host, inserts nothing). Each channel its audience is
routed to gets one delivery row: ``pending`` → ``sending`` (claimed by one run until its
lease ends) → ``delivered``, or back to ``pending`` with a later ``next_attempt_at`` after a
temporary failure, or ``failed`` for good. The claim is one conditional UPDATE, so of two
runs only one sends a delivery. Plain SQL with ``?`` placeholders: SQLite and PostgreSQL
alike; callers decide the transactions (``sccli.usecases.outbox``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..notify import Notice
from .codec import from_db, to_db

PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"


@dataclass(frozen=True)
class DeliveryRow:
    notice_id: int
    channel: str
    state: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class NoticeRow:
    id: int
    notice: Notice
    not_before: datetime
    queued_at: datetime
    deliveries: tuple[DeliveryRow, ...]


def _notice(row: Any) -> Notice:
    return Notice(
        key=row["key"], ticket_id=row["ticket_id"], kind=row["kind"], audience=row["audience"],
        lang=row["lang"], subject=row["subject"], text=row["text"],
        created_at=from_db(row["created_at"]), data=json.loads(row["data"]),
    )


class OutboxStoreMixin:
    """Outbox queries; mixed into ``Store`` (which provides execute/query)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:  # pragma: no cover
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:  # pragma: no cover
        raise NotImplementedError

    def queue_notice(self, notice: Notice, channels: Sequence[str], not_before: datetime,
                     now: datetime) -> bool:
        """Store ``notice`` and a pending delivery per channel, unless its key is stored
        already (returns False then: the notice was queued before)."""
        cursor = self.execute(
            "INSERT INTO notices (key, ticket_id, kind, audience, lang, subject, text, data,"
            " created_at, not_before, queued_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (key) DO NOTHING",
            (notice.key, notice.ticket_id, notice.kind, notice.audience, notice.lang,
             notice.subject, notice.text, json.dumps(notice.to_json()["data"],
                                                     ensure_ascii=False, sort_keys=True,
                                                     default=str),
             to_db(notice.created_at), to_db(not_before), to_db(now)),
        )
        if cursor.rowcount == 0:
            return False
        notice_id = self.query("SELECT id FROM notices WHERE key = ?", (notice.key,))[0]["id"]
        for channel in channels:
            self.execute(
                "INSERT INTO deliveries (notice_id, channel, state, attempts, next_attempt_at)"
                " VALUES (?,?,?,0,?)", (notice_id, channel, PENDING, to_db(not_before)))
        return True

    def has_notice(self, key: str) -> bool:
        return bool(self.query("SELECT 1 AS x FROM notices WHERE key = ?", (key,)))

    def notices(self, pending: bool = False, ticket_id: str | None = None) -> list[NoticeRow]:
        """Queued notices, oldest first, with their deliveries (``pending``: only those with
        a delivery not yet delivered or failed)."""
        where, params = [], []
        if ticket_id:
            where.append("n.ticket_id = ?")
            params.append(ticket_id)
        if pending:
            where.append("EXISTS (SELECT 1 FROM deliveries d WHERE d.notice_id = n.id"
                         " AND d.state IN (?, ?))")
            params += [PENDING, SENDING]
        sql = "SELECT n.* FROM notices n" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self.query(sql + " ORDER BY n.created_at, n.id", params)
        by_notice: dict[int, list[DeliveryRow]] = {}
        if rows:
            for d in self.query("SELECT * FROM deliveries ORDER BY notice_id, channel"):
                by_notice.setdefault(d["notice_id"], []).append(DeliveryRow(
                    d["notice_id"], d["channel"], d["state"], d["attempts"],
                    from_db(d["next_attempt_at"]),
                    from_db(d["delivered_at"]) if d["delivered_at"] else None,
                    d["last_error"]))
        return [NoticeRow(r["id"], _notice(r), from_db(r["not_before"]), from_db(r["queued_at"]),
                          tuple(by_notice.get(r["id"], ()))) for r in rows]

    def due_deliveries(self, now: datetime, limit: int = 500) -> list[tuple[int, str]]:
        """(notice id, channel) of the deliveries due at ``now``: pending and due, or
        claimed by a run whose lease ended (it crashed mid-send)."""
        stamp = to_db(now)
        rows = self.query(
            "SELECT notice_id, channel FROM deliveries WHERE (state = ? AND next_attempt_at <= ?)"
            " OR (state = ? AND claimed_until < ?) ORDER BY next_attempt_at, notice_id LIMIT ?",
            (PENDING, stamp, SENDING, stamp, limit))
        return [(r["notice_id"], r["channel"]) for r in rows]

    def claim_delivery(self, notice_id: int, channel: str, now: datetime,
                       lease_until: datetime) -> Notice | None:
        """Take one due delivery for this run (one conditional UPDATE: of two runs, one
        wins); returns its notice, or None when another run took it or it is not due."""
        stamp = to_db(now)
        cursor = self.execute(
            "UPDATE deliveries SET state = ?, attempts = attempts + 1, claimed_until = ?"
            " WHERE notice_id = ? AND channel = ? AND ((state = ? AND next_attempt_at <= ?)"
            " OR (state = ? AND claimed_until < ?))",
            (SENDING, to_db(lease_until), notice_id, channel, PENDING, stamp, SENDING, stamp))
        if cursor.rowcount != 1:
            return None
        rows = self.query("SELECT * FROM notices WHERE id = ?", (notice_id,))
        return _notice(rows[0])

    def delivery_attempts(self, notice_id: int, channel: str) -> int:
        rows = self.query("SELECT attempts FROM deliveries WHERE notice_id = ? AND channel = ?",
                          (notice_id, channel))
        return int(rows[0]["attempts"]) if rows else 0

    def finish_delivery(self, notice_id: int, channel: str, now: datetime, state: str,
                        error: str | None = None, next_attempt: datetime | None = None) -> None:
        """Record the outcome of a claimed delivery: delivered, failed, or pending again
        (retry at ``next_attempt``)."""
        if state == DELIVERED:
            self.execute(
                "UPDATE deliveries SET state = ?, delivered_at = ?, claimed_until = NULL,"
                " last_error = NULL WHERE notice_id = ? AND channel = ?",
                (state, to_db(now), notice_id, channel))
        else:
            self.execute(
                "UPDATE deliveries SET state = ?, last_error = ?, claimed_until = NULL,"
                " next_attempt_at = ? WHERE notice_id = ? AND channel = ?",
                (state, error, to_db(next_attempt or now), notice_id, channel))
