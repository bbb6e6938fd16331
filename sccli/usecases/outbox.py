"""The outbox's delivery loop and listing (`sccli outbox`, and `sccli tick` after recording).

Each due delivery is claimed first (one conditional UPDATE: of two runs at once, on one
host or two, only one sends it), then sent through its channel's transport, then marked
delivered. A temporary failure (``DeliveryError(retry=True)``, or an OS error) schedules
the next attempt with exponential backoff — 1 min after the first failed attempt, then 2,
4, 8 … minutes, at most 6 h apart; after ``MAX_ATTEMPTS`` attempts, or on a permanent
failure (``retry=False``), the delivery is marked failed and stays visible in `sccli
outbox`. A run that dies between sending and marking leaves the claim to expire
(``LEASE``); the next run sends again: delivery is exactly once unless a run crashes in
that window (then at least once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..errors import SccliError, one_line
from ..notify import Channels, DeliveryError, Notice
from ..store.outbox_store import DELIVERED, FAILED, PENDING, NoticeRow
from .context import Workspace

MAX_ATTEMPTS = 10
LEASE = timedelta(minutes=5)
_FIRST_RETRY = timedelta(minutes=1)
_LONGEST_WAIT = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (1, 2, 4 … min, ≤ 6 h)."""
    return min(_FIRST_RETRY * 2 ** max(attempts - 1, 0), _LONGEST_WAIT)


@dataclass
class Delivered:
    """What one delivery run did."""

    sent: list[tuple[str, str]] = field(default_factory=list)  # (notice key, channel)
    retrying: list[tuple[str, str, str]] = field(default_factory=list)  # … , error
    failed: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def troubled(self) -> bool:
        return bool(self.retrying or self.failed)


def enqueue(ws: Workspace, notice: Notice, channels: Channels,
            not_before: datetime | None = None) -> bool:
    """Store ``notice`` once (by its key) with a pending delivery per channel its audience
    is routed to; the next `sccli tick` or `sccli outbox deliver` sends it. False: a
    notice with that key was queued before (nothing is stored twice)."""
    now = ws.clock
    with ws.store.transaction() as store:
        return store.queue_notice(notice, channels.for_audience(notice.audience),
                                  not_before or now, now)


def deliver(ws: Workspace, channels: Channels, now: datetime | None = None) -> Delivered:
    """Send every delivery due at ``now`` (default: the clock)."""
    now = now or ws.clock
    store, out = ws.store, Delivered()
    for notice_id, channel in store.due_deliveries(now):
        with store.transaction():
            notice = store.claim_delivery(notice_id, channel, now, now + LEASE)
        if notice is None:
            continue  # another run took it
        error, retry = _send(channels, channel, notice)
        with store.transaction():
            if error is None:
                store.finish_delivery(notice_id, channel, now, DELIVERED)
                out.sent.append((notice.key, channel))
                continue
            attempts = store.delivery_attempts(notice_id, channel)
            if retry and attempts < MAX_ATTEMPTS:
                store.finish_delivery(notice_id, channel, now, PENDING, error,
                                      now + backoff(attempts))
                out.retrying.append((notice.key, channel, error))
            else:
                store.finish_delivery(notice_id, channel, now, FAILED, error)
                out.failed.append((notice.key, channel, error))
    return out


def _send(channels: Channels, channel: str, notice: Notice) -> tuple[str | None, bool]:
    """(error, retry?) of one send; (None, …) when the peer accepted it."""
    transport = channels.get(channel)
    if transport is None:  # removed from the configuration since: may come back
        return f"channel {channel} is not configured", True
    try:
        transport.send(notice)
    except DeliveryError as exc:
        return one_line(str(exc), 300), exc.retry
    except (SccliError, OSError) as exc:
        return one_line(str(exc), 300), True
    return None, True


def listing(ws: Workspace, pending: bool = False) -> list[dict]:
    """``sccli outbox``: every notice (``pending``: those still to be delivered) with the
    state of each delivery; a notice whose audience has no channel says "no channel"."""
    tz = ws.tz
    return [_row(r, tz) for r in ws.store.notices(pending=pending)]


def _row(r: NoticeRow, tz) -> dict:
    n = r.notice
    deliveries: list[dict[str, Any]] = [{
        "channel": d.channel, "state": d.state, "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at.astimezone(tz) if d.state == PENDING else None,
        "delivered_at": d.delivered_at.astimezone(tz) if d.delivered_at else None,
        "last_error": d.last_error,
    } for d in r.deliveries]
    if deliveries:
        state = "; ".join(f"{d['channel']}: {d['state']}"
                          + (f" ×{d['attempts']}" if d["attempts"] > 1 else "")
                          + (f" ({d['last_error']})" if d["last_error"] else "")
                          for d in deliveries)
    else:
        state = "no channel"
    return {
        "key": n.key, "ticket": n.ticket_id, "kind": n.kind, "audience": n.audience,
        "lang": n.lang, "subject": n.subject, "text": n.text,
        "created_at": n.created_at.astimezone(tz), "not_before": r.not_before.astimezone(tz),
        "queued_at": r.queued_at.astimezone(tz), "state": state, "deliveries": deliveries,
    }
