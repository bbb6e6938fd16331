"""Crash safety, proven: `sccli sync` killed with SIGKILL at many points, then re-run.

Each round adds work (a new ticket to escalate, a public note, a human reply on a remote
issue) and runs `python -m sccli sync` in a subprocess that kills itself at one point
(``SCCLI_CRASH_AT=point:n``, honoured by ``sccli.sync.wiring.crash_point``). Then runs
without crashes converge, and the invariants must hold: one remote issue per escalated
ticket, every public note exactly once as a remote comment, every human reply exactly
once as a note, no pending intent, and each cursor at the newest change of its tracker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime

from synchelp import add_ticket, remote_issues, store_of, tracker

from sccli.domain.events import Note

POINTS = [
    "after-intent:1", "after-create:1", "after-create:2", "after-intent:2", "after-comment:1",
    "mid-page:1", "after-pull:1", "after-comment:2", "mid-page:3", "after-pull:2",
    "after-intent:4", "after-create:1", "after-comment:1", "mid-page:2", "after-pull:1",
]
TRACKER_OF = {"vendor": "vendor-local", "partner": "partner-local"}


def run_sync(cli, crash: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCCLI_")}
    env.update(cli.env)
    env["SCCLI_HOME"] = str(cli.home)
    if crash:
        env["SCCLI_CRASH_AT"] = crash
    return subprocess.run([sys.executable, "-m", "sccli", "sync"], env=env,
                          capture_output=True, text=True, timeout=60)


def test_sync_killed_anywhere_converges_without_duplicates_or_losses(ws):
    tickets: dict[str, str] = {}  # ticket → "vendor" | "partner"
    notes: list[tuple[str, int]] = []
    human: list[tuple[str, str]] = []  # (tracker name, comment id)
    killed = 0
    for round_no, point in enumerate(POINTS):
        side = "vendor" if round_no % 2 == 0 else "partner"
        tid = add_ticket(ws, title=f"Problem {round_no}",
                         source="vendor-product" if side == "vendor" else "partner-product",
                         party=None if side == "vendor" else "partner-x")
        tickets[tid] = side
        if round_no:  # a public note on the previous round's ticket
            prev = list(tickets)[round_no - 1]
            out = ws.ok("ticket", "note", prev, "-m", f"note {round_no}", "--public").stdout
            notes.append((prev, int(out.split("#")[1].split()[0])))
        for which in ("vendor", "partner"):  # a human reply on the newest issue of each side
            issues = remote_issues(ws, which)
            if issues:
                newest = max(issues, key=lambda i: int(i["id"]))
                c = tracker(ws, which).add_comment(newest["id"], f"reply {round_no}", "human")
                human.append((TRACKER_OF[which], c["id"]))
        result = run_sync(ws, point)
        assert result.returncode in (0, -signal.SIGKILL), result.stderr
        killed += result.returncode == -signal.SIGKILL
    print(f"killed {killed} of {len(POINTS)} runs")
    assert killed >= 12, f"only {killed} of {len(POINTS)} runs were killed"

    for _ in range(2):
        final = run_sync(ws)
        assert final.returncode == 0, final.stderr
    assert "nothing to do" in final.stdout and "create" not in final.stdout

    # one remote issue per escalated ticket, on the right tracker only
    for which in ("vendor", "partner"):
        per_ticket = Counter(i["ticket"] for i in remote_issues(ws, which))
        expected = {t for t, side in tickets.items() if side == which}
        assert set(per_ticket) == expected and set(per_ticket.values()) == {1}, per_ticket
    # every public note exactly once on the remote side
    origins = Counter(c["origin"] for which in ("vendor", "partner")
                      for i in remote_issues(ws, which) for c in i["comments"] if c["origin"])
    assert origins == Counter({f"{t}/e{seq}": 1 for t, seq in notes})
    # every human reply exactly once on our side
    store = store_of(ws)
    try:
        notes_in = [e.payload for t in tickets for e in store.events(t)
                    if isinstance(e.payload, Note)]
        pulled = Counter(n.origin for n in notes_in if n.origin and not n.verify)
        assert pulled == Counter({f"{name}:{cid}": 1 for name, cid in human})
        assert len(store.comment_map()) == len(notes) + len(human)
        assert store.pending_intents() == []
        cursors = store.cursors()
        for which, name in TRACKER_OF.items():
            newest = max(datetime.fromisoformat(i["updated_at"]) for i in remote_issues(ws, which))
            assert cursors[name] == newest
        links = store.links()
        assert len(links) == len(tickets)
    finally:
        store.close()
