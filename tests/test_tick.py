"""`sccli tick` driven across weeks of simulated time (SCCLI_NOW): each time-driven fact is
recorded once, as an event dated when it happened, and its notice is queued and delivered
once — also when two runs race on one PostgreSQL store.

Contract sentences (English; the Russian original stands where they differ):
* "Acceptance and testing after Resolved: 7 calendar days" («Приемка и тестирование после
  статуса Решено: 7 календарных дней») — then closed automatically (auto-accepted).
* "The client answers clarifying questions within 2 business days" — else "client overdue",
  and a reminder to the authorized contact.
* Reaction targets by priority ("Critical 30 minutes, High 2 hours, Medium/Low 4 hours",
  business time) — the engineers on duty are told at the warning share and at the breach.
* "The resolution time is an estimate … it may be extended for objective reasons" — a
  passed estimate is a reminder to its engineer, once per estimate.
* Boundaries: the executor "helps the client deal with the vendor" — an escalation the
  vendor leaves unanswered gets a follow-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sccli.notify import Channels, Notice
from tests.conftest import Cli

MSK = ZoneInfo("Europe/Moscow")
ROOT = Path(__file__).resolve().parents[1]
AUDIENCES = ("client", "contact", "engineers", "engineer", "party:vendor")


class Memory:
    """An in-memory transport: remembers every notice sent (thread-safe)."""

    name = "mem"

    def __init__(self) -> None:
        self.sent: list[Notice] = []
        self.lock = threading.Lock()

    def send(self, notice: Notice) -> None:
        with self.lock:
            self.sent.append(notice)


@pytest.fixture
def mem(monkeypatch) -> Memory:
    transport = Memory()
    channels = Channels({"mem": transport}, {a: ("mem",) for a in AUDIENCES})
    monkeypatch.setattr("sccli.notify.channels.channels_from", lambda settings: channels)
    return transport


def iso(d: datetime) -> str:
    return d.isoformat()


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


def with_vendor_tracker(cli: Cli) -> None:
    path = cli.home / "sccli.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    title: BPMSoft\n    language: ru\n",
                        "    title: BPMSoft\n    language: ru\n    tracker: vendor\n", 1)
    text = text.replace("trackers: {}", "trackers:\n  vendor:\n    adapter: local\n"
                        "    path: trackers/vendor\n")
    path.write_text(text, encoding="utf-8")


def desk(tmp_path: Path, db: str | None = None) -> Cli:
    cli = Cli(tmp_path / "ws", db=db, env={"SCCLI_NOW": "2026-11-23T08:00:00+03:00"})
    cli.ok("init")
    with_vendor_tracker(cli)
    cli.ok("client", "add", "ACME", "--name", "Acme")
    cli.ok("contact", "set", "ACME", "it@acme.example", "--effective", "2026-11-01T09:00")
    return cli


def at(cli: Cli, when: datetime, *args: str) -> str:
    cli.env["SCCLI_NOW"] = iso(when)
    return cli.ok(*args).stdout.strip()


def add(cli: Cli, when: datetime, title: str, priority: str) -> str:
    return at(cli, when, "ticket", "add", "--client", "ACME", "--from", "it@acme.example",
              "--title", title, "--priority", priority).split()[0]


def tick(cli: Cli, when: datetime, *more: str) -> dict:
    cli.env["SCCLI_NOW"] = iso(when)
    result = cli("tick", "--format", "json", *more)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.json()


def runs(first: date, days: int) -> list[datetime]:
    """Cron: three runs a day (before, inside and after business hours)."""
    out = []
    for n in range(days):
        d = first + timedelta(days=n)
        out += [datetime(d.year, d.month, d.day, h, m, tzinfo=MSK)
                for h, m in ((8, 0), (12, 30), (20, 0))]
    return out


def alerted(cli: Cli, tid: str) -> list[tuple[str, str]]:
    events = cli.ok("ticket", "show", tid, "--format", "json").json()["events"]
    return [(e["kind"], e["at"]) for e in events if e["kind"] in ("alerted", "auto-accepted")]


def test_three_weeks_of_cron_each_fact_once(tmp_path: Path, mem: Memory):
    cli = desk(tmp_path)
    mon = msk(2026, 11, 23, 9, 0)
    # A: critical, never answered — reaction warning (80% of 30 min) then breach
    a = add(cli, mon, "Nobody can log in", "critical")
    # B: asked a clarifying question the client never answers
    b = add(cli, mon, "Report totals wrong", "medium")
    at(cli, msk(2026, 11, 23, 9, 5), "ticket", "ask", b, "-m", "Which report?")
    # C: resolved Monday 15:00; the client never accepts
    c = add(cli, mon, "Export button", "high")
    at(cli, msk(2026, 11, 23, 9, 10), "ticket", "respond", c, "-m", "Looking")
    at(cli, msk(2026, 11, 23, 15, 0), "ticket", "resolve", c, "-m", "Fixed")
    # D: an estimate that passes, is extended, and passes again
    d = add(cli, mon, "Slow search", "medium")
    at(cli, msk(2026, 11, 23, 9, 10), "ticket", "respond", d, "-m", "Looking")
    at(cli, msk(2026, 11, 23, 9, 15), "ticket", "set", d, "--estimate", "2026-11-24T12:00")
    recorded: dict[str, list[tuple[str, datetime]]] = {}

    def run(when: datetime) -> None:
        for fact in tick(cli, when)["facts"]:
            recorded.setdefault(fact["key"] + "@" + fact["ticket"], []).append(
                (fact["at"], when))

    run(msk(2026, 11, 23, 9, 25))
    # E: escalated to the vendor, who never answers; F: escalated, answered next day
    e = add(cli, mon, "Platform bug", "medium")
    f = add(cli, mon, "Platform bug 2", "medium")
    for tid in (e, f):
        at(cli, msk(2026, 11, 23, 9, 20), "ticket", "respond", tid, "-m", "Looking")
        at(cli, msk(2026, 11, 23, 9, 21), "ticket", "set", tid, "--source", "vendor-product")
        at(cli, msk(2026, 11, 23, 10, 0), "escalate", tid)
    remote_f = cli.ok("links", f, "--format", "json").json()[0]["remote_id"]

    schedule = runs(date(2026, 11, 23), 21)
    ordered = sorted(schedule)
    done_answer = done_extend = False
    for when in ordered:
        if when >= msk(2026, 11, 24, 11, 0) and not done_answer:
            from sccli.adapters.local import LocalTracker

            LocalTracker(cli.home / "trackers" / "vendor").add_comment(
                remote_f, "We are looking into it", author="vendor-eng")
            cli.env["SCCLI_NOW"] = iso(msk(2026, 11, 24, 11, 0))
            cli.ok("sync")
            done_answer = True
        if when >= msk(2026, 11, 25, 10, 0) and not done_extend:
            at(cli, msk(2026, 11, 25, 10, 0), "ticket", "set", d, "--estimate",
               "2026-11-27T12:00", "--reason", "vendor fix needed")
            done_extend = True
        if when > msk(2026, 11, 23, 10, 0):
            run(when)

    def once(tid: str, key: str) -> tuple[datetime, datetime]:
        entries = recorded.get(f"{key}@{tid}", [])
        assert len(entries) == 1, (tid, key, recorded)
        return datetime.fromisoformat(entries[0][0]), entries[0][1]

    # A: warning when 80 % of 30 min had passed (09:24), breach strictly after 09:30
    assert once(a, "reaction-warning") == (msk(2026, 11, 23, 9, 24), msk(2026, 11, 23, 9, 25))
    assert once(a, "reaction-breached") == (msk(2026, 11, 23, 9, 30, 1),
                                            msk(2026, 11, 23, 12, 30))
    # B: 2 business days from Monday 09:05 end Wednesday 09:05; overdue a second later
    assert once(b, "client-overdue#1") == (msk(2026, 11, 25, 9, 5, 1), msk(2026, 11, 25, 12, 30))
    # C: 7 calendar days from Monday 15:00 end Monday 30th 15:00; closed a second later
    assert once(c, "auto-accepted") == (msk(2026, 11, 30, 15, 0, 1), msk(2026, 11, 30, 20, 0))
    # D: each estimate passes once
    first = "estimate-passed@" + iso(msk(2026, 11, 24, 12, 0))
    second = "estimate-passed@" + iso(msk(2026, 11, 27, 12, 0))
    assert once(d, first) == (msk(2026, 11, 24, 12, 0, 1), msk(2026, 11, 24, 12, 30))
    assert once(d, second) == (msk(2026, 11, 27, 12, 0, 1), msk(2026, 11, 27, 12, 30))
    # E: escalated Monday 10:00, no answer in 2 business days: follow-up Wednesday 10:00
    (key_e,) = [k for k in recorded if k.endswith("@" + e)]
    assert key_e.startswith("escalation-unanswered:vendor:")
    assert once(e, key_e.split("@")[0]) == (msk(2026, 11, 25, 10, 0, 1),
                                            msk(2026, 11, 25, 12, 30))
    # F was answered (a comment pulled from the vendor's tracker): no follow-up
    assert not [k for k in recorded if k.endswith("@" + f)]
    assert sum(len(v) for v in recorded.values()) == 7

    # the events: one each, dated when the fact happened
    assert alerted(cli, a) == [("alerted", "2026-11-23T09:24:00+03:00"),
                               ("alerted", "2026-11-23T09:30:01+03:00")]
    assert alerted(cli, c) == [("auto-accepted", "2026-11-30T15:00:01+03:00")]
    assert cli.ok("ticket", "show", c, "--format", "json").json()["status"] == "closed"
    assert len(alerted(cli, d)) == 2 and len(alerted(cli, b)) == 1
    # each notice delivered once, to its audience, in its language
    keys = [n.key for n in mem.sent]
    assert len(keys) == len(set(keys)) == 7
    by_kind = {n.kind: n for n in mem.sent}
    assert by_kind["auto-accepted"].audience == "client" and by_kind["auto-accepted"].lang == "ru"
    assert "7 календарных дней" in by_kind["auto-accepted"].text
    assert by_kind["client-overdue"].audience == "contact"
    assert by_kind["client-overdue"].data["to"] == "it@acme.example"  # the authorized contact
    assert by_kind["auto-accepted"].data["to"] == "it@acme.example"  # who sent the request
    assert by_kind["reaction-breached"].audience == "engineers"
    assert by_kind["estimate-passed"].audience == "engineer"
    assert by_kind["escalation-unanswered"].audience == "party:vendor"
    outbox = cli.ok("outbox", "--format", "json").json()
    assert len(outbox) == 7 and all(r["deliveries"][0]["state"] == "delivered" for r in outbox)
    assert cli.ok("outbox", "--pending", "--format", "json").json() == []


def test_engineers_are_told_in_business_hours_only(tmp_path: Path, mem: Memory):
    cli = desk(tmp_path)
    # medium, registered Monday 14:00: 4 business hours end Tuesday 09:00; the warning
    # share (80 % = 3 h 12 min) was reached Monday 17:12
    tid = add(cli, msk(2026, 11, 23, 14, 0), "Report fails", "medium")
    out = tick(cli, msk(2026, 11, 23, 20, 0))
    (fact,) = out["facts"]
    assert fact["fact"] == "reaction-warning" and fact["at"] == "2026-11-23T17:12:00+03:00"
    assert fact["not_before"] == "2026-11-24T08:30:00+03:00"  # the next business instant
    assert mem.sent == []
    assert tick(cli, msk(2026, 11, 24, 7, 0))["facts"] == [] and mem.sent == []
    pending = cli.ok("outbox", "--pending", "--format", "json").json()
    assert [r["deliveries"][0]["state"] for r in pending] == ["pending"]
    tick(cli, msk(2026, 11, 24, 8, 31))
    assert [n.kind for n in mem.sent] == ["reaction-warning"]
    out = tick(cli, msk(2026, 11, 24, 9, 5))
    assert [f["fact"] for f in out["facts"]] == ["reaction-breached"]
    assert [n.kind for n in mem.sent] == ["reaction-warning", "reaction-breached"]
    assert tid in mem.sent[0].text


@pytest.mark.parametrize("allowed", [False, True])
def test_critical_outside_hours_only_when_configured(tmp_path: Path, mem: Memory, allowed):
    cli = desk(tmp_path)
    if allowed:
        sla = cli.home / "sla.yaml"
        sla.write_text(sla.read_text(encoding="utf-8").replace(
            "outside_hours_for_critical: false", "outside_hours_for_critical: true"),
            encoding="utf-8")
    add(cli, msk(2026, 11, 23, 17, 5), "Nobody can log in", "critical")
    # 30 business minutes from Monday 17:05 end Tuesday 08:35; the warning share (24 min)
    # was reached Monday 17:29; the run at 18:00 is outside business hours
    out = tick(cli, msk(2026, 11, 23, 18, 0))
    assert [f["fact"] for f in out["facts"]] == ["reaction-warning"]
    assert [n.kind for n in mem.sent] == (["reaction-warning"] if allowed else [])


def test_dry_run_writes_nothing(tmp_path: Path, mem: Memory):
    cli = desk(tmp_path)
    tid = add(cli, msk(2026, 11, 23, 9, 0), "Nobody can log in", "critical")
    before = cli.ok("ticket", "show", tid, "--format", "json").json()["events"]
    out = tick(cli, msk(2026, 11, 23, 12, 0), "--dry-run")
    assert out["dry_run"] is True
    assert [f["fact"] for f in out["facts"]] == ["reaction-breached"]
    assert cli.ok("ticket", "show", tid, "--format", "json").json()["events"] == before
    assert cli.ok("outbox", "--format", "json").json() == [] and mem.sent == []
    table = cli.ok("tick", "--dry-run").stdout
    assert "would record: 1" in table and "reaction-breached" in table
    # the real run records what the dry run showed, once
    assert [f["fact"] for f in tick(cli, msk(2026, 11, 23, 12, 0))["facts"]] == [
        "reaction-breached"]
    assert tick(cli, msk(2026, 11, 23, 12, 0))["facts"] == []
    assert len(mem.sent) == 1


def test_no_channel_stays_visible(tmp_path: Path):
    cli = desk(tmp_path)
    add(cli, msk(2026, 11, 23, 9, 0), "Nobody can log in", "critical")
    out = tick(cli, msk(2026, 11, 23, 12, 0))
    assert out["facts"][0]["channels"] == []
    listing = cli.ok("outbox").stdout
    assert "reaction-breached" in listing and "no channel" in listing
    assert cli.ok("outbox", "--pending", "--format", "json").json() == []


def test_tick_texts_are_redacted(tmp_path: Path, mem: Memory):
    cli = desk(tmp_path)
    tid = add(cli, msk(2026, 11, 23, 9, 0), "Login admin password Qwerty123! fails",
              "critical")
    tick(cli, msk(2026, 11, 23, 12, 0))
    (notice,) = mem.sent
    assert "Qwerty123!" not in notice.text and tid in notice.text
    assert "Qwerty123!" not in cli.ok("outbox", "--format", "json").stdout


def test_tick_in_russian_and_exit_codes(tmp_path: Path):
    cli = desk(tmp_path)
    cli.env["SCCLI_NOW"] = iso(msk(2026, 11, 23, 12, 0))
    result = cli("tick", "--format", "xml")
    assert result.exit_code == 2
    back = cli("tick", at="2026-11-01T12:00")
    assert back.exit_code == 2 and "--at does not apply" in back.stderr
    cli.env["SCCLI_LANG"] = "ru"
    assert "нечего записывать" in cli.ok("tick").stdout


def test_a_fact_dated_in_the_past_keeps_later_steps_in_order(tmp_path: Path):
    """tick dates a fact when it happened, after a later-dated note was recorded: a step
    dated before that note is still refused (events are kept in order)."""
    cli = desk(tmp_path)
    tid = add(cli, msk(2026, 11, 23, 9, 0), "Nobody can log in", "critical")
    at(cli, msk(2026, 11, 23, 11, 0), "ticket", "note", tid, "-m", "Called the client")
    tick(cli, msk(2026, 11, 23, 12, 0))  # the breach, dated 09:30:01, recorded after it
    assert alerted(cli, tid) == [("alerted", "2026-11-23T09:30:01+03:00")]
    late = cli("ticket", "respond", tid, "-m", "Hi", at="2026-11-23T10:00")
    assert late.exit_code == 2 and "kept in order" in late.stderr


# ------------------------------------------------------------------ two runs at once


def _tickets_with_facts(cli: Cli, n: int) -> list[str]:
    out = []
    for i in range(n):
        tid = add(cli, msk(2026, 11, 23, 9, 0), f"Problem {i}", "critical")
        if i % 2:
            at(cli, msk(2026, 11, 23, 9, 5), "ticket", "ask", tid, "-m", "Which page?")
        out.append(tid)
    return out


def test_two_processes_at_once_on_postgres_do_each_thing_once(tmp_path: Path, pg_url: str):
    cli = desk(tmp_path, pg_url)
    tickets = _tickets_with_facts(cli, 12)
    env = {**os.environ, **cli.env, "SCCLI_NOW": iso(msk(2026, 11, 26, 12, 0)),
           "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "sccli", "--home", str(cli.home), "--db", pg_url, "tick",
            "--format", "json"]
    procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0, 0], results
    import json

    facts = [f["notice"] for out, _err, _rc in results for f in json.loads(out)["facts"]]
    # critical breached (6 unanswered) + client overdue (6 asked): 12 facts, once in all
    assert len(facts) == len(set(facts)) == 12
    cli.env["SCCLI_NOW"] = iso(msk(2026, 11, 26, 12, 0))
    for tid in tickets:
        assert len(alerted(cli, tid)) == 1, tid
    assert len(cli.ok("outbox", "--format", "json").json()) == 12


def test_two_threads_at_once_on_postgres_record_and_deliver_once(tmp_path: Path, pg_url: str,
                                                                  monkeypatch):
    from sccli.app import App
    from sccli.usecases.tick import tick as tick_case

    cli = desk(tmp_path, pg_url)
    tickets = _tickets_with_facts(cli, 10)
    transport = Memory()
    channels = Channels({"mem": transport}, {a: ("mem",) for a in AUDIENCES})
    now = iso(msk(2026, 11, 26, 12, 0))
    barrier = threading.Barrier(3)
    results, errors = [], []

    def run() -> None:
        app = App(home=str(cli.home), db=pg_url, clock=now)
        try:
            barrier.wait()
            results.append(tick_case(app, channels))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            app.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    recorded = [f.notice_key for r in results for f in r.facts]
    assert len(recorded) == len(set(recorded)) == 10
    sent = [n.key for n in transport.sent]
    assert sorted(sent) == sorted(recorded)  # each notice sent once, by one of the runs
    cli.env["SCCLI_NOW"] = now
    for tid in tickets:
        assert len(alerted(cli, tid)) == 1


def test_missed_cron_records_the_auto_acceptance_when_it_happened(tmp_path: Path, mem: Memory):
    """Reopened and resolved again: the window runs from the latest "resolved"; a tick run
    weeks later records the acceptance dated at the window's end, and tells the client."""
    cli = desk(tmp_path)
    tid = add(cli, msk(2026, 11, 23, 9, 0), "Export button", "high")
    at(cli, msk(2026, 11, 23, 9, 10), "ticket", "respond", tid, "-m", "Looking")
    at(cli, msk(2026, 11, 23, 15, 0), "ticket", "resolve", tid, "-m", "Fixed")
    at(cli, msk(2026, 11, 25, 10, 0), "ticket", "reopen", tid, "-m", "Still broken")
    at(cli, msk(2026, 11, 25, 10, 5), "ticket", "respond", tid, "-m", "Looking again")
    at(cli, msk(2026, 11, 26, 16, 0), "ticket", "resolve", tid, "-m", "Fixed, really")
    # 7 days after Monday's resolve have passed, but not after Thursday's
    assert tick(cli, msk(2026, 12, 1, 12, 0))["facts"] == []
    out = tick(cli, msk(2026, 12, 21, 12, 0))  # cron was down for weeks
    assert [(f["fact"], f["at"]) for f in out["facts"]] == [
        ("auto-accepted", "2026-12-03T16:00:01+03:00")]
    assert alerted(cli, tid) == [("auto-accepted", "2026-12-03T16:00:01+03:00")]
    assert [n.audience for n in mem.sent] == ["client"]
    assert tick(cli, msk(2026, 12, 22, 12, 0))["facts"] == [] and len(mem.sent) == 1
