"""Crash safety of the intake role: `sccli sync` killed with SIGKILL at every write point of
an intake (``SCCLI_CRASH_AT``), then re-run. Issue 11: "answers and status written back
once each after a SIGKILL at any write".

Each round adds a client's request, a client's message on an earlier request and an
executor's step (a response, a clarifying question or a public note) on every ticket so
far, then runs `python -m sccli sync` as a process that kills itself at one point. Runs
without crashes then converge, and: one ticket per request, each bound to its request;
every client message recorded exactly once; every client-facing event written back
exactly once; no pending intent.
"""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

from test_crash import run_sync
from test_intake_role import INTAKE, new_request, write_config

from sccli.adapters.local import LocalTracker
from sccli.domain import events as ev

POINTS = [
    "mid-page:1", "after-register:1", "after-bind:1", "after-intent:1", "after-reply:1",
    "after-pull:1", "after-register:2", "after-reply:2", "after-intent:2", "after-pull:2",
    "after-bind:2", "mid-page:3", "after-reply:1", "after-register:1", "after-pull:1",
]


def test_intake_sync_killed_anywhere_writes_nothing_twice(ws):
    write_config(ws, INTAKE)
    portal = LocalTracker(Path(ws.home) / "portal")
    requests: list[str] = []
    messages: list[str] = []
    killed = 0
    for round_no, point in enumerate(POINTS):
        requests.append(new_request(portal, title=f"Заявка {round_no}",
                                    body=f"Не работает раздел {round_no}"))
        if round_no:
            c = portal.add_message(requests[round_no - 1], f"Сообщение {round_no}",
                                   "it@acme.example")
            messages.append(c["id"])
        for row in ws.ok("ticket", "list", "--format", "json").json():
            tid, status = row["id"], row["status"]
            if status == "new":
                ws.ok("ticket", "respond", tid, "-m", f"Взяли {tid}")
            elif status == "in-progress" and round_no % 3 == 0:
                ws.ok("ticket", "ask", tid, "-m", f"Уточните {round_no}")
            else:
                ws.ok("ticket", "note", tid, "-m", f"Новости {round_no}", "--public")
        result = run_sync(ws, point)
        assert result.returncode in (0, -signal.SIGKILL), result.stderr
        killed += result.returncode == -signal.SIGKILL
        print(point, "killed" if result.returncode == -signal.SIGKILL else "ran through")
    print(f"killed {killed} of {len(POINTS)} runs")
    assert killed >= 12, f"only {killed} of {len(POINTS)} runs were killed"
    for _ in range(2):
        final = run_sync(ws)
        assert final.returncode == 0, final.stderr
    assert "nothing to do" in final.stdout

    # one ticket per request, each bound to its own
    rows = ws.ok("ticket", "list", "--format", "json").json()
    bound = [portal.load(r)["ticket"] for r in requests]
    assert len(rows) == len(requests) and sorted(bound) == sorted(r["id"] for r in rows)
    from synchelp import store_of

    store = store_of(ws)
    try:
        # every client message recorded exactly once (an answer or a note)
        inbound = Counter(m.remote_comment_id for m in store.comment_map("portal")
                          if m.direction == "in")
        assert inbound == Counter({m: 1 for m in messages})
        # every client-facing event written back exactly once
        expected = Counter()
        for row in rows:
            for e in store.events(row["id"]):
                p = e.payload
                if isinstance(p, ev.Responded | ev.Asked) or (
                        isinstance(p, ev.Note) and p.public and not p.origin):
                    expected[f"{row['id']}/e{e.seq}"] += 1
        written = Counter(c["origin"] for r in requests for c in portal.load(r)["comments"]
                          if c["author"] == "sccli")
        assert written == expected
        assert store.pending_intents() == []
    finally:
        store.close()
