"""Crash safety against the fake BPMSoft portal: `sccli sync` as a process, killed with
SIGKILL at every write point of the intake (``SCCLI_CRASH_AT``, see
``sccli.sync.wiring.crash_point``) and between the answer's message and its status move
(the server kills the client when the status PATCH arrives), then re-run. Issue 11:
"answers and status written back once each after a SIGKILL at any write".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter

from synchelp import store_of
from test_bpmsoft_e2e import ASKED, ROOT, Portal, run_sync, servers, sync, ws

from sccli.domain import events as ev
from sccli.fakes.bpmsoft import Fault

__all__ = ["servers", "ws"]  # the fixtures of the end-to-end file

POINTS = [
    "mid-page:1", "after-register:1", "after-bind:1", "after-intent:1", "after-reply:1",
    "after-pull:1", "after-register:2", "after-reply:2", "after-intent:2", "after-pull:2",
]


def test_sync_killed_at_every_write_point_writes_each_answer_once(ws, servers):
    portal = Portal(servers[0])
    cases: list[str] = []
    messages = 0
    killed = 0
    for round_no, point in enumerate(POINTS):
        cases.append(portal.new_case(subject=f"Заявка {round_no}",
                                     body=f"Не работает раздел {round_no}"))
        if round_no:
            portal.reply(cases[round_no - 1], f"Сообщение {round_no}")
            messages += 1
        for row in ws.ok("ticket", "list", "--format", "json").json():
            tid, status = row["id"], row["status"]
            if status == "new":
                ws.ok("ticket", "respond", tid, "-m", f"Взяли {tid}")
            elif status == "in-progress" and round_no % 3 == 0:
                ws.ok("ticket", "ask", tid, "-m", f"Уточните {round_no}")
            else:
                ws.ok("ticket", "note", tid, "-m", f"Новости {round_no}", "--public")
        result = run_sync(ws, crash=point)
        assert result.returncode in (0, -signal.SIGKILL), result.stderr
        killed += result.returncode == -signal.SIGKILL
    assert killed >= 8, f"only {killed} of {len(POINTS)} runs were killed"
    for _ in range(2):
        final = run_sync(ws)
        assert final.returncode == 0, final.stderr
    assert "nothing to do" in final.stdout

    rows = ws.ok("ticket", "list", "--format", "json").json()
    assert len(rows) == len(cases)
    bound = [[m["Message"] for m in portal.db.messages(c, "SocialMessage")] for c in cases]
    assert all(len(b) == 1 for b in bound)  # each case bound once, to its own ticket
    store = store_of(ws)
    try:
        inbound = [m for m in store.comment_map("portal") if m.direction == "in"]
        assert len(inbound) == messages == len({m.remote_comment_id for m in inbound})
        expected: Counter = Counter()
        for row in rows:
            for e in store.events(row["id"]):
                p = e.payload
                if isinstance(p, ev.Responded | ev.Asked) or (
                        isinstance(p, ev.Note) and p.public and not p.origin):
                    expected[f"{row['id']}/e{e.seq}"] += 1
        written: Counter = Counter()
        for c in cases:
            for m in portal.sccli_messages(c):
                written[m["Message"].split("sccli:origin=")[1].split()[0].rstrip("-> ")] += 1
        assert written == expected
        # and each status too: a ticket awaiting the client has its case paused
        by_ticket = {bound[i][0].split("sccli:ticket=")[1].split()[0].rstrip("->"): c
                     for i, c in enumerate(cases)}
        waiting = [r["id"] for r in rows if r["status"] == "awaiting-client"]
        assert waiting and all(portal.status(by_ticket[t])["IsPaused"] for t in waiting)
        assert store.pending_intents() == []
    finally:
        store.close()


def test_killed_between_the_message_and_the_status_the_status_still_moves(ws, servers):
    """The answer's message reached the portal, the process died before the status PATCH:
    the next run writes no second message and moves the status."""
    server = servers[0]
    portal = Portal(server)
    case = portal.new_case()
    sync(ws)
    ws.ok("ticket", "respond", "ACME-1", "-m", "Взяли в работу")
    ws.ok("ticket", "ask", "ACME-1", "-m", "Какая версия?")
    sync(ws)
    assert portal.status(case)["Id"] == ASKED
    ws.ok("ticket", "answer", "ACME-1", "-m", "Версия 1.6 (по телефону)")
    ws.ok("ticket", "note", "ACME-1", "-m", "Нашли причину", "--public")
    ws.ok("ticket", "resolve", "ACME-1", "-m", "Исправлено")

    env = {k: v for k, v in os.environ.items() if not k.startswith("SCCLI_")}
    env.update(ws.env)
    env.update({"SCCLI_HOME": str(ws.home), "PYTHONPATH": str(ROOT)})
    proc = subprocess.Popen([sys.executable, "-m", "sccli", "sync"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    take = server.take_fault

    def kill_at_the_status(path: str) -> Fault | None:
        if "/odata/Case(" in path:  # the status PATCH of the answer: the client dies
            os.kill(proc.pid, signal.SIGKILL)
            return Fault(503, None, 1, None)  # and the PATCH is not applied
        return take(path)

    server.take_fault = kill_at_the_status  # type: ignore[method-assign]
    try:
        proc.communicate(timeout=60)
    finally:
        server.take_fault = take  # type: ignore[method-assign]
    assert proc.returncode == -signal.SIGKILL
    texts = [m["Message"] for m in portal.sccli_messages(case)]
    assert any("Исправлено" in t for t in texts)  # the message went out, not the status
    assert portal.status(case)["Id"] == ASKED
    out = sync(ws)
    assert not any(a["action"] == "reply" and "Исправлено" in json.dumps(a, ensure_ascii=False)
                   for a in out["actions"])
    assert [m["Message"] for m in portal.sccli_messages(case)] == texts  # none twice
    assert portal.status(case)["IsResolved"] is True  # the status moved after all
    assert sync(ws)["actions"] == []
