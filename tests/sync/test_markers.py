"""Markers cannot be spoofed: they count only on what sccli itself wrote.

A partner can type ``sccli:origin=ACME-1/e3`` in a comment (invisible on GitHub, inside an
HTML comment) or ``sccli:ticket=ACME-1`` in an issue. Such a comment is a human's text: it
is pulled as a note and never stops the real public note from being sent; such an issue is
never linked, neither by crash recovery nor by ``sync --relink``, which shows what it would
change and changes nothing without ``--yes``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import responses
from contract import FakeTime
from synchelp import add_ticket, configure, remote_issues, store_of, tracker

from sccli.adapters.base import RemoteComment, RemoteIssue
from sccli.sync.plan import (
    IgnoredMarker,
    MapOwnComment,
    PullComment,
    Relinked,
    plan_pull,
    plan_relink,
    vouched_comments,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Link:
    ticket_id: str
    tracker: str
    remote_id: str
    state: str = "open"
    remote_updated_at: datetime | None = T0


# ------------------------------------------------------------------ trackers, partner side
class LocalSide:
    """The partner tracker of the sync workspace (a local tracker; sccli writes as "sccli")."""

    name = "partner-local"
    us = "sccli"

    def __init__(self, cli):
        self.cli = cli
        self.partner = tracker(cli, "partner")

    def spoof_comment(self, issue_id: str, text: str, origin: str, as_field: bool) -> None:
        if as_field:  # the local tracker keeps the marker as a field…
            self.partner.add_comment(issue_id, text, "px-dev", origin=origin)
        else:  # …or finds it as a line of the text
            self.partner.add_comment(issue_id, f"{text}\n\nsccli:origin={origin}", "px-dev")

    def spoof_issue(self, ticket: str) -> str:
        return self.partner.add_issue("Looks like yours", "copied", ticket=ticket,
                                      author="px-dev")["id"]

    def comments(self, issue_id: str) -> list[tuple[str, str]]:
        return [(c["author"], c["body"] + (f"\n\nsccli:origin={c['origin']}" if c["origin"]
                                           else ""))
                for c in self.partner.load(issue_id)["comments"]]

    def later(self) -> None:
        pass  # local timestamps are the machine's clock, distinct per write


GH_TOKEN = "ghp_" + "Q7w8E9r0" * 4 + "yy"
RM_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f001234567"
PARTY = """\
parties:
  partner-x:
    kind: partner
    title: Partner X
    language: en
    tracker: {name}
"""


class GitHubSide:
    """GitHub's fake (tests/adapters/test_github.py): sccli's token is octocat's."""

    name = "partner-gh"
    us = "octocat"
    config = PARTY.format(name=name) + """\
trackers:
  partner-gh:
    adapter: github
    repo: acme/crm
    token: env:SCCLI_TEST_GH_TOKEN
"""

    def __init__(self, cli, rsps):
        from test_github import FakeGitHub

        self.clock = FakeTime()
        self.fake = FakeGitHub(self.clock, token=GH_TOKEN)
        self.fake.install(rsps)
        cli.env["SCCLI_TEST_GH_TOKEN"] = GH_TOKEN

    def spoof_comment(self, issue_id: str, text: str, origin: str, as_field: bool) -> None:
        self.fake.add_comment(int(issue_id), f"{text}\n\n<!-- sccli:origin={origin} -->", "bob")

    def spoof_issue(self, ticket: str) -> str:
        issue = self.fake.add_issue("Looks like yours", f"copied\n\n<!-- sccli:ticket={ticket} -->",
                                    author="bob", labels=["sccli"])
        return str(issue["number"])

    def comments(self, issue_id: str) -> list[tuple[str, str]]:
        raw = self.fake.issues[int(issue_id)]
        return [(self.fake.comments[c]["author"], self.fake.comments[c]["body"])
                for c in raw["comments"]]

    def later(self) -> None:
        self.clock.advance(60)


class RedmineSide:
    """Redmine's fake (tests/adapters/test_redmine.py): sccli's API key is user 1's."""

    name = "partner-rm"
    us = "Redmine Admin"
    config = PARTY.format(name=name) + """\
trackers:
  partner-rm:
    adapter: redmine
    url: http://redmine.test
    project: support
    api_key: env:SCCLI_TEST_RM_KEY
"""

    def __init__(self, cli, rsps):
        from test_redmine import KEY, FakeRedmine

        self.clock = FakeTime()
        self.fake = FakeRedmine(self.clock)
        self.fake.install(rsps)
        cli.env["SCCLI_TEST_RM_KEY"] = KEY

    def spoof_comment(self, issue_id: str, text: str, origin: str, as_field: bool) -> None:
        self.fake.human_comment(issue_id, f"{text}\nsccli:origin={origin}", "Bob Partner")

    def spoof_issue(self, ticket: str) -> str:
        issue = self.fake.add_issue("Looks like yours", f"copied\nsccli:ticket={ticket}",
                                    author={"id": 2, "name": "Bob Partner"})
        return str(issue["id"])

    def comments(self, issue_id: str) -> list[tuple[str, str]]:
        return [(j["user"]["name"], j["notes"].replace("\r\n", "\n"))
                for j in self.fake.issues[int(issue_id)]["journals"]]

    def later(self) -> None:
        self.clock.advance(60)


@pytest.fixture(params=["local", "github", "redmine"])
def side(request, cli):
    if request.param == "local":
        configure(cli)
        yield LocalSide(cli)
        return
    cls = GitHubSide if request.param == "github" else RedmineSide
    (Path(cli.home) / "sccli.yaml").write_text(
        "executor:\n  name: Programmnye Tekhnologii\n  email: crm.support@samarasoft.com\n"
        + cls.config, encoding="utf-8")
    cli.ok("client", "add", "ACME", "--name", "Acme Corp")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield cls(cli, rsps)


def pulled_notes(cli, tid: str) -> list[str]:
    return [e["data"]["message"]
            for e in cli.ok("ticket", "show", tid, "--format", "json").json()["events"]
            if e["kind"] == "note" and e["data"].get("origin")]


def note_seq(result) -> int:
    return int(result.stdout.split("#")[1].split()[0])


# ------------------------------------------------------------------ rule 1: comments
def test_a_spoofed_origin_is_pulled_as_text_and_the_real_note_still_goes_out(cli, side):
    tid = add_ticket(cli, source="partner-product", party="partner-x")  # events #1, #2
    cli.ok("sync")
    (issue,) = cli.ok("links", tid, "--format", "json").json()
    remote = issue["remote_id"]
    side.later()
    # The partner claims the next two events of the ticket: #3 and #4.
    side.spoof_comment(remote, "We fixed it, close the ticket", f"{tid}/e3", as_field=True)
    side.spoof_comment(remote, "Nothing more to send", f"{tid}/e4", as_field=False)
    out = cli.ok("sync", "--format", "json").json()
    assert [a["action"] for a in out["actions"]] == ["comment-in", "comment-in"]
    assert pulled_notes(cli, tid) == [
        f"We fixed it, close the ticket\n\nsccli:origin={tid}/e3",  # the claim stays visible
        f"Nothing more to send\n\nsccli:origin={tid}/e4"]
    note = cli.ok("ticket", "note", tid, "-m", "Please send the logs", "--public")
    seq = note_seq(note)
    side.later()
    out = cli.ok("sync", "--format", "json").json()
    assert [(a["action"], a.get("event")) for a in out["actions"]] == [("comment-out", seq)]
    ours = [(who, body) for who, body in side.comments(remote)
            if body.startswith("Please send the logs")]
    assert len(ours) == 1 and ours[0][0] == side.us
    assert f"sccli:origin={tid}/e{seq}" in ours[0][1]
    side.later()
    assert cli.ok("sync", "--format", "json").json()["actions"] == []  # nothing echoed


def test_plan_pull_binds_origins_to_recorded_ids_and_recovery_to_the_author():
    link = Link("ACME-1", "px", "7")
    spoof = RemoteComment("c5", "close it", "bob", T0, "ACME-1/e3", author_id="bob")
    ours = RemoteComment("c6", "sent by us", "sccli", T0, "ACME-1/e3", author_id="sccli")
    issue = RemoteIssue("7", "u", "t", "b", "open", T0, comments=(spoof, ours))
    (pulled,) = plan_pull(issue, "px", link, set(), set(), own={"c6"})
    assert isinstance(pulled, PullComment) and pulled.comment.id == "c5"
    assert pulled.comment.body == "close it\n\nsccli:origin=ACME-1/e3"
    assert pulled.comment.origin is None
    # recovery vouches only for the comment sccli's account wrote
    assert vouched_comments(issue, "ACME-1", set(), "sccli", {"ACME-1/e3"}) == {"c6"}
    assert vouched_comments(issue, "ACME-1", set(), "sccli", {"ACME-1/e4"}) == frozenset()
    assert vouched_comments(issue, "ACME-1", set(), "sccli", None) == {"c6"}  # relinking
    assert vouched_comments(issue, "ACME-2", set(), "sccli", None) == frozenset()
    actions = plan_pull(issue, "px", link, set(), set(), vouched={"c6"})
    assert [type(a) for a in actions] == [PullComment, MapOwnComment]


# ------------------------------------------------------------------ crash recovery
def run_sync(cli, crash: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCCLI_")}
    env.update(cli.env)
    env["SCCLI_HOME"] = str(cli.home)
    if crash:
        env["SCCLI_CRASH_AT"] = crash
    return subprocess.run([sys.executable, "-m", "sccli", "sync"], env=env,
                          capture_output=True, text=True, timeout=60)


def test_a_spoof_never_completes_a_crashed_comment(ws):
    tid = add_ticket(ws, source="partner-product", party="partner-x")
    ws.ok("sync")
    seq = note_seq(ws.ok("ticket", "note", tid, "-m", "Any news?", "--public"))
    killed = run_sync(ws, "after-intent:1")  # the comment's intent is kept, nothing sent
    assert killed.returncode == -signal.SIGKILL
    partner = tracker(ws, "partner")
    partner.add_comment("1", "already answered", "px-dev", origin=f"{tid}/e{seq}")
    assert run_sync(ws).returncode == 0
    comments = partner.load("1")["comments"]
    assert [(c["author"], c["body"]) for c in comments][1][0] == "sccli"  # sent after all
    assert comments[1]["origin"] == f"{tid}/e{seq}" and comments[1]["body"].startswith(
        "Any news?")
    assert pulled_notes(ws, tid) == [f"already answered\n\nsccli:origin={tid}/e{seq}"]
    store = store_of(ws)
    try:
        changes = [j["action"] for j in store.journal(tid)]
        assert "dropped-intent" in changes and "recovered-comment" not in changes
        assert store.pending_intents() == []
    finally:
        store.close()


def test_a_partner_issue_with_the_marker_never_completes_a_crashed_create(ws):
    tid = add_ticket(ws, source="partner-product", party="partner-x")
    killed = run_sync(ws, "after-intent:1")  # the create's intent is kept, nothing created
    assert killed.returncode == -signal.SIGKILL and remote_issues(ws, "partner") == []
    partner_made = LocalSide(ws).spoof_issue(tid)
    assert run_sync(ws).returncode == 0
    (link,) = ws.ok("links", tid, "--format", "json").json()
    assert link["remote_id"] != partner_made
    issue = tracker(ws, "partner").load(link["remote_id"])
    assert issue["author"] == "sccli" and issue["ticket"] == tid


@pytest.mark.parametrize("kind", ["github", "redmine"])
def test_find_by_marker_skips_an_issue_another_account_opened(kind):
    from sccli.adapters.http import HttpFactory

    clock = FakeTime()
    factory = HttpFactory(sleep=clock.sleep, clock=clock.clock, rng=lambda: 0.5)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        if kind == "github":
            import test_github as mod

            fake = mod.FakeGitHub(clock)
            body = "copied\n\n<!-- sccli:ticket=ACME-1 -->"
            fake.install(rsps)
            fake.add_issue("theirs", body, author="bob", labels=["sccli"])
        else:
            import test_redmine as mod

            fake = mod.FakeRedmine(clock)
            fake.install(rsps)
            fake.add_issue("theirs", "copied\nsccli:ticket=ACME-1", {"id": 2, "name": "Bob"})
        adapter = mod.make_adapter(factory)
        assert adapter.find_by_marker("ACME-1") is None
        ours = adapter.create("ACME-1", "ours", "body")
        found = adapter.find_by_marker("ACME-1")
        assert found is not None and found.id == ours.id
        marked = {i.id: i.author_id for i in adapter.marked_issues()}
        assert marked == {"1": "bob" if kind == "github" else "2", ours.id: adapter.account()}


# ------------------------------------------------------------------ rule 2 and 3: relink
def test_plan_relink_links_only_what_sccli_opened():
    def issue(rid, ticket, author):
        return RemoteIssue(rid, f"u{rid}", "t", "b", "open", T0, ticket=ticket, author=author,
                           author_id=author)

    issues = [issue("1", "A-1", "sccli"), issue("2", "A-1", "bob"), issue("3", "A-2", "sccli"),
              issue("4", "A-3", "sccli"), issue("5", "A-3", "sccli"), issue("6", "Z-9", "sccli")]
    links = {("A-1", "px"): Link("A-1", "px", "2"), ("A-3", "px"): Link("A-3", "px", "5")}
    actions = plan_relink(issues, "px", links, {"A-1", "A-2", "A-3"}, "sccli")
    assert [(a.kind, a.ticket, a.remote_id if hasattr(a, "remote_id") else None)
            for a in actions] == [
        ("ignored", "A-1", "2"), ("skip", "Z-9", None), ("relink", "A-1", "1"),
        ("relink", "A-2", "3"), ("ignored", "A-3", "4")]
    repoint, new = actions[2], actions[3]
    assert isinstance(repoint, Relinked) and repoint.previous == "2"
    assert repoint.row()["detail"] == "re-point #2 → #1"
    assert isinstance(new, Relinked) and new.previous is None
    assert isinstance(actions[0], IgnoredMarker) and "bob opened it" in actions[0].reason


def _snapshot(cli):
    store = store_of(cli)
    try:
        state = (store.links(), store.journal(), store.cursors(), store.comment_map())
    finally:
        store.close()
    files = {p: p.read_bytes() for p in Path(cli.home, "trackers").rglob("*") if p.is_file()}
    return state, files


def test_relink_shows_its_plan_and_changes_nothing_without_yes(ws):
    lost = add_ticket(ws, title="Lost link", source="partner-product", party="partner-x")
    moved = add_ticket(ws, title="Pointed at the partner", source="partner-product",
                       party="partner-x")
    ws.ok("sync")  # sccli opens #1 (lost) and #2 (moved)
    side = LocalSide(ws)
    fake_lost = side.spoof_issue(lost)  # #3: the partner copies the markers
    fake_moved = side.spoof_issue(moved)  # #4
    store = store_of(ws)
    try:
        with store.transaction():  # a restored store: one link lost, one pointing elsewhere
            store.execute("DELETE FROM links WHERE ticket_id = ?", (lost,))
            store.put_link(moved, "partner-local", fake_moved, None, "open", None,
                           datetime.now(UTC))
    finally:
        store.close()
    seq = note_seq(ws.ok("ticket", "note", moved, "-m", "a public note waits", "--public"))
    side.spoof_comment("2", "claims the note", f"{moved}/e{seq}", as_field=True)
    add_ticket(ws, title="Not escalated yet", source="vendor-product")
    before = _snapshot(ws)

    preview = ws("sync", "--relink", "--format", "json")
    assert preview.exit_code == 0, preview.stderr
    assert "--relink --yes" in preview.stderr
    plan = preview.json()
    assert plan["dry_run"] is True and plan["changes"] == []
    rows = {(a["action"], a["ticket"], a["remote"]): a for a in plan["actions"]}
    assert set(rows) == {("relink", lost, "1"), ("relink", moved, "2"),
                         ("ignored", lost, fake_lost), ("ignored", moved, fake_moved)}
    assert rows[("relink", lost, "1")]["previous"] is None
    assert rows[("relink", moved, "2")]["detail"] == f"re-point #{fake_moved} → #2"
    assert "px-dev opened it" in rows[("ignored", lost, fake_lost)]["detail"]
    assert _snapshot(ws) == before  # no link, journal row, cursor or remote write

    table = ws.ok("sync", "--relink").stdout
    assert f"re-point #{fake_moved} → #2" in table and "ignored" in table
    dry = ws.ok("sync", "--relink", "--dry-run", "--format", "json").json()
    assert {("relink", lost, "1"), ("relink", moved, "2")} <= {
        (a["action"], a["ticket"], a["remote"]) for a in dry["actions"]}
    assert _snapshot(ws) == before

    done = ws.ok("sync", "--relink", "--yes", "--format", "json").json()
    assert {(c["change"], c["ticket"], c["detail"]["remote"]) for c in done["changes"]
            if c["change"] == "relinked"} == {("relinked", lost, "1"), ("relinked", moved, "2")}
    links = {lk["ticket"]: lk["remote_id"] for t in (lost, moved)
             for lk in ws.ok("links", t, "--format", "json").json()}
    assert links == {lost: "1", moved: "2"}
    store = store_of(ws)
    try:
        journal = [(j["ticket_id"], j["action"]) for j in store.journal()]
    finally:
        store.close()
    assert (lost, "relinked") in journal and (moved, "relinked") in journal
    comments = tracker(ws, "partner").load("2")["comments"]
    assert [(c["author"], c["body"].split("\n")[0], c["origin"]) for c in comments] == [
        ("px-dev", "claims the note", f"{moved}/e{seq}"),
        ("sccli", "a public note waits", f"{moved}/e{seq}")]  # the claim did not stop it
    assert pulled_notes(ws, moved) == [f"claims the note\n\nsccli:origin={moved}/e{seq}"]
    again = ws.ok("sync", "--relink", "--format", "json").json()
    assert {a["action"] for a in again["actions"]} == {"ignored"}  # nothing left to relink


def test_relink_on_github_ignores_an_issue_bob_opened(cli):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        (Path(cli.home) / "sccli.yaml").write_text(
            "executor:\n  name: PT\n  email: pt@example.test\n" + GitHubSide.config,
            encoding="utf-8")
        cli.ok("client", "add", "ACME", "--name", "Acme Corp")
        side = GitHubSide(cli, rsps)
        tid = add_ticket(cli, source="partner-product", party="partner-x")
        cli.ok("sync")
        store = store_of(cli)
        try:
            with store.transaction():
                store.execute("DELETE FROM links WHERE ticket_id = ?", (tid,))
        finally:
            store.close()
        theirs = side.spoof_issue(tid)
        plan = cli.ok("sync", "--relink", "--format", "json").json()
        assert sorted((a["action"], a["remote"]) for a in plan["actions"]) == [
            ("ignored", theirs), ("relink", "1")]
        ignored = next(a for a in plan["actions"] if a["action"] == "ignored")
        assert "bob opened it, not sccli's account (octocat)" in ignored["detail"]
        assert cli.ok("links", tid, "--format", "json").json() == []
        cli.ok("sync", "--relink", "--yes")
        assert [lk["remote_id"] for lk in cli.ok("links", tid, "--format", "json").json()] == [
            "1"]


def test_yes_alone_is_a_usage_error(ws):
    result = ws("sync", "--yes")
    assert result.exit_code == 2 and "--yes confirms --relink" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_partner_issue_with_the_marker_cannot_hide_the_one_sccli_created(ws):
    tid = add_ticket(ws, source="partner-product", party="partner-x")
    partner_made = LocalSide(ws).spoof_issue(tid)  # #1, before ours
    killed = run_sync(ws, "after-create:1")  # ours (#2) exists, its link was never stored
    assert killed.returncode == -signal.SIGKILL
    assert run_sync(ws).returncode == 0
    issues = remote_issues(ws, "partner")
    assert [(i["id"], i["author"]) for i in issues] == [(partner_made, "px-dev"), ("2", "sccli")]
    assert [lk["remote_id"] for lk in ws.ok("links", tid, "--format", "json").json()] == ["2"]


def test_recovery_takes_the_comment_sccli_wrote_not_an_earlier_spoof(ws):
    tid = add_ticket(ws, source="partner-product", party="partner-x")
    ws.ok("sync")
    seq = note_seq(ws.ok("ticket", "note", tid, "-m", "Any news?", "--public"))
    partner = tracker(ws, "partner")
    spoof = partner.add_comment("1", "first!", "px-dev", origin=f"{tid}/e{seq}")
    killed = run_sync(ws, "after-comment:1")  # ours is posted after the spoof, not recorded
    assert killed.returncode == -signal.SIGKILL
    ours = partner.load("1")["comments"][1]
    assert (ours["author"], ours["origin"]) == ("sccli", f"{tid}/e{seq}")
    plan = ws.ok("sync", "--dry-run", "--format", "json").json()  # before recovery:
    planned = {(a["action"], a.get("comment")) for a in plan["actions"]}
    assert {("comment-in", spoof["id"]), ("map", ours["id"])} <= planned  # vouched by author
    assert ("map", spoof["id"]) not in planned and ("comment-in", ours["id"]) not in planned
    assert run_sync(ws).returncode == 0
    store = store_of(ws)
    try:
        recovered = [j for j in store.journal(tid) if j["action"] == "recovered-comment"]
        assert len(recovered) == 1 and ours["id"] in recovered[0]["detail"]
        mapped = {(m.remote_comment_id, m.direction) for m in store.comment_map()}
        assert mapped == {(ours["id"], "out"), (spoof["id"], "in")}
    finally:
        store.close()
    assert len(partner.load("1")["comments"]) == 2  # nothing sent twice
    assert pulled_notes(ws, tid) == [f"first!\n\nsccli:origin={tid}/e{seq}"]
