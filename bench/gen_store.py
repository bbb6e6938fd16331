"""Generate a realistic sccli store: N tickets (~10 events each) over two years.

    python bench/gen_store.py --tickets 100000 --home /tmp/sccli-bench

Mix: ~88 % closed (accepted or auto-accepted), ~2 % rejected, ~10 % open in every
state (new, in progress, awaiting the client, resolved awaiting acceptance, reopened).
Rows are written with executemany in one transaction per 10,000 tickets: this measures
sccli reading a big store, not sccli writing one.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PRIORITIES = ["critical", "high", "medium", "medium", "low", "low", None]
CLIENTS = [f"C{i:02d}" for i in range(40)]


STATUS_AFTER = {"registered": "new", "responded": "in-progress", "note": None,
                "asked": "awaiting-client", "answered": "in-progress", "estimate-set": None,
                "priority-changed": None, "rejected": "rejected", "resolved": "resolved",
                "accepted": "closed", "auto-accepted": "closed"}


def ticket_events(tid: str, start: datetime, rng: random.Random, open_: bool, now: datetime):
    """A ticket's history up to ``now`` (a store never holds what has not happened yet)."""
    events, status = _story(start, rng, open_)
    kept = [e for e in events if e[1] <= now]
    if len(kept) < len(events):
        status = next(STATUS_AFTER[k] for k, _, _ in reversed(kept) if STATUS_AFTER[k])
    return kept, status


def _story(start: datetime, rng: random.Random, open_: bool):
    at = start
    events = [("registered", at, {"priority": rng.choice(PRIORITIES), "channel": "portal",
                                  "on_behalf": False, "reporter": "it@client.example"})]

    def step(kind, minutes, data=None):
        nonlocal at
        at = at + timedelta(minutes=minutes)
        events.append((kind, at, data or {"message": "…"}))

    if open_ and rng.random() < 0.25:
        return events, "new"
    step("responded", rng.randint(5, 300))
    for _ in range(rng.randint(1, 6)):
        step("note", rng.randint(10, 600), {"message": "internal", "public": False})
    for _ in range(rng.randint(0, 2)):
        step("asked", rng.randint(30, 900))
        if open_ and rng.random() < 0.3:
            return events, "awaiting-client"
        step("answered", rng.randint(60, 4000))
    if rng.random() < 0.3:
        step("estimate-set", 5, {"estimate": (at + timedelta(days=3)).isoformat()})
    if rng.random() < 0.1:
        step("priority-changed", 10, {"priority": "high", "previous": None})
    if open_ and rng.random() < 0.3:
        return events, "in-progress"
    if not open_ and rng.random() < 0.02:
        step("rejected", 30, {"reason": "unreasonable", "message": "…"})
        return events, "rejected"
    step("resolved", rng.randint(60, 6000))
    if open_:
        return events, "resolved"
    step(rng.choice(["accepted", "auto-accepted"]), rng.randint(60, 10000))
    return events, "closed"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--home", default="/tmp/sccli-bench")
    parser.add_argument("--now", default="2026-11-25T12:00:00+03:00")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    home = Path(args.home)
    if home.exists():
        import shutil

        shutil.rmtree(home)
    subprocess.run([sys.executable, "-m", "sccli", "--home", str(home), "init"], check=True,
                   stdout=subprocess.DEVNULL)
    from sccli.store import open_store

    store = open_store(None, home)
    rng = random.Random(args.seed)
    now = datetime.fromisoformat(args.now).astimezone(UTC)
    begin = now - timedelta(days=730)
    t0 = time.perf_counter()
    with store.transaction():
        for c in CLIENTS:
            store.execute("INSERT INTO clients (key, name, hosting, created_at, next_seq)"
                          " VALUES (?,?,?,?,?)", (c, f"Client {c}", "on-premise", begin.isoformat(), 1))
    seqs = dict.fromkeys(CLIENTS, 0)
    n_events = 0
    batch_t, batch_e = [], []
    for i in range(args.tickets):
        client = rng.choice(CLIENTS)
        seqs[client] += 1
        tid = f"{client}-{seqs[client]}"
        open_ = rng.random() < 0.10
        span = 20 if open_ else 700
        start = now - timedelta(days=rng.uniform(0.05, span))
        events, status = ticket_events(tid, start, rng, open_, now)
        batch_t.append((tid, client, seqs[client], "it@client.example", f"Ticket {i}", "body",
                        "portal", 0, start.isoformat(), status))
        for seq, (kind, at, data) in enumerate(events, start=1):
            batch_e.append((tid, seq, kind, at.isoformat(), "gen",
                            json.dumps(data, ensure_ascii=False), at.isoformat()))
        n_events += len(events)
        if len(batch_t) >= 10_000 or i == args.tickets - 1:
            with store.transaction():
                store.executemany("INSERT INTO tickets (id, client, seq, reporter, title, body,"
                                  " channel, on_behalf, registered_at, status)"
                                  " VALUES (?,?,?,?,?,?,?,?,?,?)", batch_t)
                store.executemany("INSERT INTO events (ticket_id, seq, kind, at, actor, data,"
                                  " recorded_at) VALUES (?,?,?,?,?,?,?)", batch_e)
            batch_t, batch_e = [], []
    with store.transaction():
        for c, n in seqs.items():
            store.execute("UPDATE clients SET next_seq = ? WHERE key = ?", (n + 1, c))
    store.close()
    print(f"generated {args.tickets} tickets, {n_events} events in {home}"
          f" ({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
