"""No client password leaks: planted in every kind of text sccli takes in, then every
command, a sync and an escalation to every adapter are run, and the planted values are
looked for in every output, in the store's bytes and in everything the trackers received.
Only `ticket secret` (the engineer asking for them) may show them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from fake_tracker import FakeGitHub  # noqa: E402

NOW = "2026-11-25T12:00:00+03:00"
TOKEN = "ghp_fake_token_for_tests_0000000000000000"

# One distinct password per kind of text, each in a format the detector knows.
PLANTED = {
    "title": "Ttl-Pa55word-01",
    "body": "Bdy-Pa55word-02",
    "respond": "Rsp-Pa55word-03",
    "ask": "Ask-Pa55word-04",
    "answer": "Ans-Pa55word-05",
    "note": "Nte-Pa55word-06",
    "public": "Pub-Pa55word-07",
    "estimate-reason": "Est-Pa55word-08",
    "agreed-by": "Agr-Pa55word-09",
    "notice": "Ntc-Pa55word-10",
    "system-url": "Url-Pa55word-11",
    "edit": "Edt-Pa55word-12",
    "void": "Vod-Pa55word-13",
    "reject": "Rej-Pa55word-14",
    "local-comment": "Loc-Pa55word-15",
    "github-comment": "Ghb-Pa55word-16",
}


def pw(kind: str) -> str:
    return f"логин: admin пароль: {PLANTED[kind]}"


CONFIG = """\
executor:
  name: Programmnye Tekhnologii
  email: crm.support@samarasoft.com
  language: ru
parties:
  vendor:
    kind: vendor
    title: BPMSoft
    language: ru
    tracker: vendor-local
  partner-x:
    kind: partner
    title: Partner X
    language: en
    tracker: partner-gh
trackers:
  vendor-local:
    adapter: local
    path: trackers/vendor
  partner-gh:
    adapter: github
    repo: acme/crm
    token: env:LEAK_GH_TOKEN
    api_url: {url}
"""


@pytest.fixture
def github():
    import time

    offset = [0.0]
    fake = FakeGitHub(clock=lambda: time.time() + offset[0]).start()
    fake.later = lambda seconds: offset.__setitem__(0, offset[0] + seconds)  # type: ignore[attr-defined]
    try:
        yield fake
    finally:
        fake.stop()


def test_no_planted_password_leaks_anywhere(tmp_path, github):
    from sccli.adapters.local import LocalTracker

    cli = Cli(tmp_path / "ws", env={"SCCLI_NOW": NOW, "SCCLI_VAULT": "file",
                                    "LEAK_GH_TOKEN": TOKEN})
    outputs: list[str] = []

    def run(*args: str, ok: bool = True, **kw) -> str:
        result = cli(*args, **kw)
        if ok:
            assert result.exit_code in (0, 1), (args, result.stdout, result.stderr)
        outputs.append(f"{result.stdout}\n{result.stderr}")
        return result.stdout

    run("init")
    (cli.home / "sccli.yaml").write_text(CONFIG.format(url=github.url), encoding="utf-8")
    run("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru",
        "--system-url", f"https://admin:{PLANTED['system-url']}@crm.acme.ru", at="2026-11-01")
    run("contact", "set", "ACME", "olga@acme.ru", "--name", "Olga", "--effective",
        "2026-11-02T09:00", "--notice", f"letter 12; {pw('notice')}", at="2026-11-02")
    # a vendor problem and a partner problem, with a password in every text
    vendor = run("ticket", "add", "--client", "ACME", "--from", "olga@acme.ru", "--title",
                 f"Login fails {pw('title')}", "--body", f"Steps:\n1. open\n{pw('body')}",
                 "--priority", "high", at="2026-11-20T10:00").strip()
    partner = run("ticket", "add", "--client", "ACME", "--from", "olga@acme.ru", "--title",
                  "Warehouse posting fails", "--body", "1. post\n2. see error",
                  at="2026-11-20T11:00").strip()
    other = run("ticket", "add", "--client", "ACME", "--from", "olga@acme.ru", "--title",
                "Server down", at="2026-11-20T12:00").strip()
    run("ticket", "respond", vendor, "-m", f"Looking. {pw('respond')}", at="2026-11-20T10:10")
    run("ticket", "ask", partner, "-m", f"Which account? {pw('ask')}", at="2026-11-20T11:10")
    run("ticket", "answer", partner, "-m", f"This one: {pw('answer')}", at="2026-11-20T11:20")
    run("ticket", "note", vendor, "-m", f"internal {pw('note')}", at="2026-11-20T10:20")
    run("ticket", "set", vendor, "--source", "vendor-product", at="2026-11-20T10:30")
    run("ticket", "set", partner, "--source", "partner-product", "--party", "partner-x",
        at="2026-11-20T11:30")
    run("ticket", "set", vendor, "--estimate", "2026-11-27T17:00", at="2026-11-20T10:40")
    run("ticket", "set", vendor, "--estimate", "2026-12-01T17:00", "--reason",
        f"new problems found {pw('estimate-reason')}", at="2026-11-20T10:50")
    run("queue", "move", partner, "--first", "--agreed-by",
        f"Olga by phone {pw('agreed-by')}", at="2026-11-20T11:40")
    run("ticket", "edit", vendor, "--body", f"Corrected steps\n1. open\n{pw('edit')}",
        "--reason", "client resent")
    run("ticket", "note", vendor, "-m", "typo", at="2026-11-20T11:50")
    seq = show_last_seq(cli, vendor)
    run("ticket", "void", vendor, str(seq), "--reason", f"typo {pw('void')}")
    run("ticket", "ask", other, "--need", "remote-access", at="2026-11-20T12:05")
    run("ticket", "reject", other, "--reason", "no-access", "-m", f"no access {pw('reject')}",
        at="2026-11-20T12:10")
    # escalate to both trackers, then partners reply with passwords, then a public note
    run("escalate", vendor, "--dry-run")
    run("escalate", vendor)
    run("sync", "--dry-run")
    run("sync")
    vendor_issue = next(iter(LocalTracker(cli.home / "trackers" / "vendor").records()))
    LocalTracker(cli.home / "trackers" / "vendor").add_comment(
        vendor_issue["id"], f"Try this account: {pw('local-comment')}", "dev@vendor.example")
    number = next(iter(github.issues))
    github.later(5)  # the reply comes later than the issue (the fake stamps to the second)
    github.add_comment(number, f"Use {pw('github-comment')} on the test stand")
    run("ticket", "note", partner, "-m", f"Workaround needs {pw('public')}", "--public")
    run("sync", "--dry-run")
    run("sync", "--dry-run", "--format", "json")
    run("sync")
    run("sync", "--format", "json")
    # every reading command, every format
    for ticket in (vendor, partner, other):
        for fmt in ("table", "json", "csv"):
            run("ticket", "show", ticket, "--format", fmt)
        run("sla", "explain", ticket)
        run("links", ticket, "--format", "json")
    for fmt in ("table", "json", "csv"):
        run("ticket", "list", "--format", fmt)
        run("triage", "--format", fmt)
        run("queue", "--format", fmt)
        run("sla", "status", "--format", fmt)
        run("billing", "--month", "2026-11", "--format", fmt)
        run("client", "list", "--format", fmt)
        run("contact", "show", "ACME", "--history", "--format", fmt)
        run("sla", "report", "--month", "2026-11", "--format", fmt)
    run("sla", "report", "--month", "2026-11", "--format", "html")
    run("sla", "check", "--format", "json")
    run("tracker", "list")
    run("triage", "--apply")

    # the engineer who asks sees them
    secrets_shown = cli.ok("ticket", "secret", vendor, "--format", "json").stdout
    assert PLANTED["title"] in secrets_shown and PLANTED["body"] in secrets_shown

    places = {"outputs": "\n".join(outputs)}
    trackers = cli.home / "trackers"
    for path in cli.home.rglob("*"):  # the store, its journal, logs: all but the vault
        if path.is_file() and path.name not in ("vault.json", "vault.key") and \
                trackers not in path.parents:
            places[str(path.relative_to(cli.home))] = path.read_bytes().decode(
                "utf-8", "replace")
    # what sccli wrote to the trackers (the partners' own comments are theirs)
    local = LocalTracker(trackers / "vendor")
    places["local tracker"] = json.dumps(
        [{**r, "comments": [c for c in r["comments"] if c["author"] != "dev@vendor.example"]}
         for r in local.records()], ensure_ascii=False)
    places["github issues"] = json.dumps(list(github.issues.values()), ensure_ascii=False)
    places["github comments"] = json.dumps(
        [c for c in github.comments.values() if c["author"] != "partner"], ensure_ascii=False)
    leaks = [(kind, where) for kind, value in PLANTED.items()
             for where, text in places.items() if value in text]
    assert leaks == [], "\n".join(f"{k} in {w}" for k, w in leaks)
    # and the pulled replies did arrive (as references)
    shown = cli.ok("ticket", "show", partner, "--format", "json").stdout
    assert "[secret:" in shown and "test stand" in shown


def show_last_seq(cli: Cli, ticket: str) -> int:
    return cli.ok("ticket", "show", ticket, "--format", "json").json()["events"][-1]["seq"]
