"""`sccli escalate`, `sync`, `links`, `tracker`: end to end with local trackers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import responses
from synchelp import add_ticket, configure, remote_issues, store_of, tracker

PASSWORD = "Zx9-Very$ecret"


# ------------------------------------------------------------------ escalate
def test_escalate_follows_routing_and_is_idempotent(ws_any):
    tid = add_ticket(ws_any, source="vendor-product")
    out = ws_any.ok("escalate", tid).stdout
    assert "escalated to vendor as vendor-local #1" in out
    (issue,) = remote_issues(ws_any, "vendor")
    assert issue["ticket"] == tid and issue["title"] == f"{tid}: Report fails"
    assert "Клиент:** Acme Corp" in issue["body"]  # the vendor's language is ru
    again = ws_any.ok("escalate", tid).stdout
    assert "already escalated" in again and len(remote_issues(ws_any, "vendor")) == 1
    links = ws_any.ok("links", tid, "--format", "json").json()
    assert [(lk["tracker"], lk["remote_id"], lk["state"]) for lk in links] == [
        ("vendor-local", "1", "open")]


def test_escalate_to_partner_in_english_and_dry_run_writes_nothing(ws):
    tid = add_ticket(ws, source="partner-product", party="partner-x")
    preview = ws.ok("escalate", tid, "--dry-run").stdout
    assert "would create on partner-local" in preview and "Client:** Acme Corp" in preview
    assert remote_issues(ws, "partner") == []
    ws.ok("escalate", tid)
    assert len(remote_issues(ws, "partner")) == 1


@pytest.mark.parametrize("source,party,args,needle", [
    (None, None, (), "problem source is not set"),
    ("executor-product", None, (), "nothing to escalate"),
    ("partner-product", "partner-y", (), "has no tracker"),
    (None, None, ("--to", "nobody"), "unknown party"),
])
def test_escalate_refusals_are_one_clear_line(ws, source, party, args, needle):
    tid = add_ticket(ws, source=source, party=party)
    result = ws("escalate", tid, *args)
    assert result.exit_code == 2 and needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_escalate_with_to_overrides_routing(ws):
    tid = add_ticket(ws)
    ws.ok("escalate", tid, "--to", "partner-x")
    assert remote_issues(ws, "partner")[0]["ticket"] == tid


# ------------------------------------------------------------------ sync both ways
def test_sync_round_trip_without_echo(ws_any):
    cli = ws_any
    vendor_t = add_ticket(cli, source="vendor-product")
    partner_t = add_ticket(cli, title="Module", source="partner-product", party="partner-x")
    add_ticket(cli, title="Ours", source="executor-product")
    cli.ok("ticket", "note", vendor_t, "-m", "Any news?", "--public")
    cli.ok("ticket", "note", vendor_t, "-m", "internal only")
    first = cli.ok("sync", "--format", "json").json()
    assert first["exit_code"] == 0
    kinds = sorted((a["tracker"], a["action"]) for a in first["actions"])
    assert kinds == [("partner-local", "create"), ("vendor-local", "comment-out"),
                     ("vendor-local", "create")]
    (vissue,) = remote_issues(cli, "vendor")
    assert [c["body"].split("\n")[0] for c in vissue["comments"]] == ["Any news?"]
    # the partner answers and closes; the vendor answers
    tracker(cli, "vendor").add_comment(vissue["id"], "Fixed in the next build", "bpm-eng")
    pissue = remote_issues(cli, "partner")[0]
    tracker(cli, "partner").add_comment(pissue["id"], "Done on our side", "px-dev")
    tracker(cli, "partner").set_state(pissue["id"], "closed")
    second = cli.ok("sync", "--format", "json").json()
    kinds = sorted((a["tracker"], a["action"]) for a in second["actions"])
    assert kinds == [("partner-local", "closed"), ("partner-local", "comment-in"),
                     ("vendor-local", "comment-in")]
    notes = [e for e in cli.ok("ticket", "show", vendor_t, "--format", "json").json()["events"]
             if e["kind"] == "note"]
    pulled = [n for n in notes if n["data"].get("origin")]
    assert [n["data"]["message"] for n in pulled] == ["Fixed in the next build"]
    assert pulled[0]["data"]["origin"] == f"vendor-local:{vissue['id']}/2"
    shown = cli.ok("ticket", "show", partner_t, "--format", "json").json()
    assert shown["status"] == "new"  # never resolved by sync
    verify = [e for e in shown["events"] if e["data"].get("verify")]
    assert len(verify) == 1
    assert cli.ok("links", partner_t, "--format", "json").json()[0]["state"] == "closed"
    # a third run changes nothing anywhere: no echo of pulled notes, no repeats
    third = cli.ok("sync", "--format", "json").json()
    assert third["actions"] == []
    assert len(remote_issues(cli, "vendor")[0]["comments"]) == 2
    store = store_of(cli)
    try:
        assert store.pending_intents() == []
        assert set(store.cursors()) == {"vendor-local", "partner-local"}
    finally:
        store.close()


def test_a_public_note_left_on_a_ticket_closed_before_the_sync_still_goes_out(ws_any):
    cli = ws_any
    tid = add_ticket(cli, source="vendor-product")
    cli.ok("sync")
    cli.ok("ticket", "respond", tid, "-m", "on it")
    cli.ok("ticket", "note", tid, "-m", "Closing: the fix is deployed", "--public")
    cli.ok("ticket", "resolve", tid, "-m", "fixed")
    cli.ok("ticket", "accept", tid, "-m", "thanks")
    other = add_ticket(cli, title="Old one", source="vendor-product")
    out = cli.ok("sync", "--format", "json").json()
    assert sorted((a["action"], a["ticket"]) for a in out["actions"]) == [
        ("comment-out", tid), ("create", other)]
    for step in ("respond", "resolve", "accept"):
        cli.ok("ticket", step, other, "-m", "x")
    issue = next(i for i in remote_issues(cli, "vendor") if i["ticket"] == tid)
    assert [c["body"].split("\n")[0] for c in issue["comments"]] == ["Closing: the fix is deployed"]
    store = store_of(cli)
    try:
        assert store.final_with_unsent_notes(["closed", "rejected"]) == []
    finally:
        store.close()
    assert cli.ok("sync", "--format", "json").json()["actions"] == []


def test_dry_run_changes_nothing(ws):
    tid = add_ticket(ws, source="vendor-product")
    ws.ok("sync")
    ws.ok("ticket", "note", tid, "-m", "public", "--public")
    tracker(ws, "vendor").add_comment("1", "human reply", "bob")
    add_ticket(ws, title="Another", source="partner-product", party="partner-x")
    before_files = {p: p.read_bytes() for p in Path(ws.home, "trackers").rglob("*")
                    if p.is_file()}
    store = store_of(ws)
    try:
        before = (store.journal(), store.cursors(), store.links(), store.events(tid))
    finally:
        store.close()
    plan = ws.ok("sync", "--dry-run", "--format", "json").json()
    assert sorted(a["action"] for a in plan["actions"]) == ["comment-in", "comment-out", "create"]
    assert plan["dry_run"] is True
    after_files = {p: p.read_bytes() for p in Path(ws.home, "trackers").rglob("*") if p.is_file()}
    assert after_files == before_files
    store = store_of(ws)
    try:
        assert (store.journal(), store.cursors(), store.links(), store.events(tid)) == before
    finally:
        store.close()
    table = ws.ok("sync", "--dry-run").stdout
    assert "would do" in table and "comment-in" in table


def test_relink_after_restoring_an_old_store_creates_no_duplicates(ws):
    tid = add_ticket(ws, source="vendor-product")
    ws.ok("ticket", "note", tid, "-m", "public note", "--public")
    db = Path(ws.home, "sccli.db")
    store_of(ws).close()
    backup = Path(ws.home, "backup.db")
    shutil.copy(db, backup)  # WAL is checkpointed on close
    ws.ok("sync")
    tracker(ws, "vendor").add_comment("1", "vendor reply", "bob")
    ws.ok("sync")
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    shutil.copy(backup, db)  # the store is back to before the first sync
    out = ws.ok("sync", "--relink", "--yes", "--format", "json").json()
    assert ("relink", "vendor-local") in {(a["action"], a["tracker"]) for a in out["actions"]}
    issues = remote_issues(ws, "vendor")
    assert len(issues) == 1 and len(issues[0]["comments"]) == 2  # nothing re-posted
    notes = [e for e in ws.ok("ticket", "show", tid, "--format", "json").json()["events"]
             if e["data"].get("origin")]
    assert [n["data"]["message"] for n in notes] == ["vendor reply"]
    assert ws.ok("sync", "--format", "json").json()["actions"] == []


# ------------------------------------------------------------------ failures
GH = """\
  broken-gh:
    adapter: github
    repo: acme/crm
    token: env:SYNC_TEST_GH_TOKEN
    api_url: https://gh.example.test/api
"""


def _github_401(rsps):
    rsps.add(responses.GET, "https://gh.example.test/api/repos/acme/crm/issues", status=401,
             json={"message": "Bad credentials"})
    rsps.add(responses.GET, "https://gh.example.test/api/user", status=401,
             json={"message": "Bad credentials"})


@pytest.fixture
def ws_gh(cli, monkeypatch):
    configure(cli, GH)
    cli.env["SYNC_TEST_GH_TOKEN"] = "ghp_" + "x" * 36
    return cli


def test_one_broken_tracker_does_not_stop_the_others(ws_gh):
    tid = add_ticket(ws_gh, source="vendor-product")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        _github_401(rsps)
        result = ws_gh("sync")
    assert result.exit_code == 5, result.stderr
    assert "broken-gh" in result.stderr and "Bad credentials" in result.stderr
    assert "ghp_" not in result.stderr + result.stdout and "Traceback" not in result.stderr
    assert "vendor-local: done (1 create)" in result.stdout
    assert remote_issues(ws_gh, "vendor")[0]["ticket"] == tid


def test_every_tracker_refusing_credentials_exits_4(ws_gh):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        _github_401(rsps)
        assert ws_gh("sync", "--tracker", "broken-gh").exit_code == 4
        check = ws_gh("tracker", "check", "broken-gh")
    assert check.exit_code == 4 and "Bad credentials" in check.stderr


def test_a_missing_secret_is_an_auth_failure_with_the_fix(ws_gh):
    del ws_gh.env["SYNC_TEST_GH_TOKEN"]
    result = ws_gh("sync", "--tracker", "broken-gh")
    assert result.exit_code == 4 and "SYNC_TEST_GH_TOKEN is not set" in result.stderr
    assert ws_gh("tracker", "check", "broken-gh").exit_code == 4


def test_unreachable_tracker_exits_75(ws_gh):
    import requests

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.GET, "https://gh.example.test/api/repos/acme/crm/issues",
                 body=requests.ConnectionError("refused"))
        rsps.add(responses.GET, "https://gh.example.test/api/user",
                 body=requests.ConnectionError("refused"))
        check = ws_gh("tracker", "check", "broken-gh")
    assert check.exit_code == 75 and "connection failed" in check.stderr


def test_tracker_list_shows_adapters_and_capabilities(ws_gh):
    rows = {r["name"]: r for r in ws_gh.ok("tracker", "list", "--format", "json").json()}
    assert rows["broken-gh"]["adapter"] == "github"
    assert "conditional-requests" in rows["broken-gh"]["capabilities"]
    assert rows["vendor-local"]["parties"] == ["vendor"]
    assert ws_gh("tracker", "check", "nope").exit_code == 2


# ------------------------------------------------------------------ lock
def test_a_second_sync_exits_75_while_one_runs(ws_any):
    holder = store_of(ws_any)
    try:
        assert holder.try_sync_lock()
        result = ws_any("sync")
        assert result.exit_code == 75
        assert "another sync is running" in result.stderr and "try again later" in result.stderr
        assert ws_any("sync", "--dry-run").exit_code == 0  # a dry run reads only
    finally:
        holder.release_sync_lock()
        holder.close()
    ws_any.ok("sync")


def test_wait_polls_until_the_deadline(ws):
    import time

    holder = store_of(ws)
    try:
        assert holder.try_sync_lock()
        started = time.monotonic()
        assert ws("sync", "--wait", "0.5").exit_code == 75
        assert time.monotonic() - started >= 0.5
    finally:
        holder.close()  # closing releases it too
    ws.ok("sync", "--wait", "1")


# ------------------------------------------------------------------ redaction
def test_no_secret_ever_reaches_a_remote_tracker(ws_any):
    """Even a ticket stored before redaction existed, and a public note, go out redacted."""
    from datetime import UTC, datetime

    from sccli.domain.model import Channel, EventKind, Ticket
    from sccli.store.codec import event_from_data as Event

    store = store_of(ws_any)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    try:
        with store.transaction():
            tid = store.next_ticket_id("ACME")
            ticket = Ticket(tid, "ACME", "it@acme.example", f"login admin password: {PASSWORD}",
                            f"Server: db1\nlogin: admin\npassword: {PASSWORD}\n",
                            Channel.PORTAL, False, now)
            first = Event(tid, 1, EventKind.REGISTERED, now, "x", {"priority": "high"})
            store.add_ticket(ticket, first, "new", now)
            store.insert_event(Event(tid, 2, EventKind.SOURCE_SET, now, "x",
                                     {"source": "vendor-product", "party": None}), now)
    finally:
        store.close()
    ws_any.ok("ticket", "note", tid, "-m", f"new password: {PASSWORD}", "--public")
    ws_any.ok("sync")
    ws_any.ok("sync")
    dumped = json.dumps(remote_issues(ws_any, "vendor"), ensure_ascii=False)
    assert tid in dumped and "[secret:" in dumped
    assert PASSWORD not in dumped
    for path in Path(ws_any.home, "trackers").rglob("*"):
        if path.is_file():
            assert PASSWORD not in path.read_text(encoding="utf-8")


def test_rate_limit_that_outlasts_the_run_exits_75_and_keeps_the_cursor(ws_gh):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.GET, "https://gh.example.test/api/repos/acme/crm/issues", status=429,
                 headers={"Retry-After": "3600"}, json={"message": "slow down"})
        result = ws_gh("sync", "--format", "json")
    assert result.exit_code == 75 and "rate limit reached" in result.stderr
    out = result.json()
    assert {t["name"]: t["status"] for t in out["trackers"]} == {
        "broken-gh": "failed", "partner-local": "ok", "vendor-local": "ok"}
    store = store_of(ws_gh)
    try:
        assert "broken-gh" not in store.cursors()
    finally:
        store.close()


def test_a_spent_request_budget_exits_75(ws_gh):
    body = [{"number": n, "title": "x", "body": "", "state": "open", "labels": [],
             "updated_at": "2026-03-02T09:00:00Z", "html_url": "u"} for n in (1, 2)]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.GET, "https://gh.example.test/api/repos/acme/crm/issues", json=body,
                 headers={"Link": '<https://gh.example.test/api/repos/acme/crm/issues?page=2>;'
                                  ' rel="next"'})
        result = ws_gh("sync", "--tracker", "broken-gh", "--budget", "1")
    assert result.exit_code == 75 and "budget" in result.stderr


GH_CONFIG = """\
executor:
  name: Programmnye Tekhnologii
  email: crm.support@samarasoft.com
parties:
  partner-gh:
    kind: partner
    title: Partner on GitHub
    language: en
    tracker: gh
trackers:
  gh:
    adapter: github
    repo: acme/crm
    token: env:GITHUB_TOKEN
"""


def test_a_partners_pasted_password_reaches_the_store_only_as_a_reference(cli):
    """Pulled comments are redacted into the vault, and the ETag cache keeps no clear copy."""
    from contract import FakeTime
    from test_github import TOKEN, FakeGitHub

    (Path(cli.home) / "sccli.yaml").write_text(GH_CONFIG, encoding="utf-8")
    cli.env.update({"GITHUB_TOKEN": TOKEN, "SCCLI_VAULT": "file"})
    cli.ok("client", "add", "ACME", "--name", "Acme Corp")
    tid = add_ticket(cli, source="partner-product", party="partner-gh")
    clock = FakeTime()
    fake = FakeGitHub(clock)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        cli.ok("sync")
        clock.now += 60
        fake.add_comment(1, f"Try our test user: login qa, password: {PASSWORD}", "bob")
        cli.ok("sync")
    notes = [e for e in cli.ok("ticket", "show", tid, "--format", "json").json()["events"]
             if e["kind"] == "note"]
    assert len(notes) == 1 and "[secret:" in notes[0]["data"]["message"]
    assert PASSWORD not in json.dumps(notes, ensure_ascii=False)
    assert cli.ok("ticket", "secret", tid, "--format", "json").json()[0]["value"] == PASSWORD
    store = store_of(cli)
    try:
        cached = json.dumps(dict(store.http_cache("gh")), ensure_ascii=False)
    finally:
        store.close()
    assert "Try our test user" in cached  # the comment listing is cached for its ETag…
    assert PASSWORD not in cached  # …without the password
    stored = b"".join(p.read_bytes() for p in Path(cli.home).glob("sccli.db*"))
    assert PASSWORD.encode() not in stored


def test_long_runs_report_progress(ws, capsys):
    """One typed stream: the progress a terminal shows, the journal and the outcome are all
    read from the same results."""
    from sccli.adapters.http import HttpFactory
    from sccli.app import App
    from sccli.commands.sync import Progress
    from sccli.sync.apply import run_sync
    from sccli.sync.results import Changed, Finished, Progressed, Started

    for n in range(25):
        add_ticket(ws, title=f"Problem {n}", source="vendor-product")
    seen: list = []
    shown = Progress()
    shown.on = True  # as on a terminal

    def sink(result) -> None:
        seen.append(result)
        shown(result)

    app = App(home=str(ws.home), lang="en")
    try:
        outcomes = run_sync(app, ["vendor-local"], HttpFactory(), sink=sink)
        journal = app.store.journal()
    finally:
        app.close()
    assert isinstance(seen[0], Started) and isinstance(seen[-1], Finished)
    assert seen[-1].error is None
    assert [(r.done, r.total) for r in seen if isinstance(r, Progressed)] == [
        (10, 25), (20, 25), (25, 25)]
    changes = [r for r in seen if isinstance(r, Changed)]
    assert [c.change for c in changes] == ["created"] * 25
    assert [(j["ticket_id"], j["action"]) for j in journal] == [
        (c.ticket, c.change) for c in changes]
    assert outcomes[0].counts() == {"create": 25}
    err = capsys.readouterr().err
    assert "vendor-local: 25/25 changes sent" in err
    assert err.rstrip().endswith("vendor-local: done (25 create)")
    assert len(remote_issues(ws, "vendor")) == 25


def test_a_pulled_replys_secrets_reach_the_vault_outside_any_store_transaction(ws, monkeypatch):
    """Nothing slow (a keyring, a vault file) runs inside a store transaction, pulls included."""
    from sccli.adapters.http import HttpFactory
    from sccli.app import App
    from sccli.secrets import TicketVault
    from sccli.sync.apply import run_sync

    tid = add_ticket(ws, source="vendor-product")
    ws.ok("sync")
    issue = next(iter(tracker(ws, "vendor").records()))
    tracker(ws, "vendor").add_comment(issue["id"], "login: qa password: Qa-Pa55word!", "dev")
    app = App(home=str(ws.home), lang="en")
    depths: list[int] = []
    original = TicketVault.put_many

    def watched(self, pairs):
        depths.append(app.store._depth)
        return original(self, pairs)

    monkeypatch.setattr(TicketVault, "put_many", watched)
    try:
        outcomes = run_sync(app, ["vendor-local"], HttpFactory())
    finally:
        app.close()
    assert outcomes[0].ok and outcomes[0].counts() == {"comment-in": 1}
    assert depths == [0]
    shown = ws.ok("ticket", "secret", tid, "--format", "json").json()
    assert "Qa-Pa55word!" in [r["value"] for r in shown]
