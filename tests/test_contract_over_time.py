"""Two rules of the contract over time, through the CLI.

* "From awaiting-client the executor may ask again (another round) or resolve (the
  acceptance window then runs), so a ticket whose client never answers can end."
  Asking again supersedes the unanswered question: its feedback clock stops at the new
  question in state "superseded" (client-caused delay counts up to that instant only).
  Resolving stops the open question's clock in state "stopped" and starts acceptance.
* "Bringing an estimate forward is not an extension: no reason required, not counted as
  one." Only an estimate later than the one in force needs a reason and is an extension;
  the ledger keeps every entry.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli

NOW = "2026-12-10T12:00:00+03:00"  # every write below is before it


@pytest.fixture
def desk(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path / "ws", env={"SCCLI_NOW": NOW})
    cli.ok("init", at="2026-11-02T09:00")
    cli.ok("client", "add", "ACME", "--name", "Acme", "--system-url", "https://crm.acme.example",
           at="2026-11-02T09:00")
    cli.ok("contact", "set", "ACME", "it@acme.example", "--effective", "2026-11-02T09:00",
           at="2026-11-02T09:00")
    return cli


def add(cli: Cli, at: str) -> str:
    return cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title",
                  "Report fails", "--at", at, at=at).stdout.strip()


def show(cli: Cli, tid: str) -> dict:
    return cli.ok("ticket", "show", tid, "--format", "json", at=NOW).json()


def section(cli: Cli, tid: str, title: str) -> str:
    """One clock's block of `sla explain` (e.g. "feedback #1:")."""
    explain = cli.ok("sla", "explain", tid).stdout
    assert title in explain, explain
    return explain.split(title, 1)[1].split("\n\n", 1)[0]


def report(cli: Cli) -> dict:
    return cli.ok("sla", "report", "--month", "2026-11", "--format", "json").json()


def test_asking_again_from_awaiting_client_supersedes_the_unanswered_question(desk: Cli):
    tid = add(desk, "2026-11-23T09:00")  # Monday; business hours Mon–Fri 08:30–17:30
    desk.ok("ticket", "ask", tid, "-m", "Which page?", at="2026-11-23T10:00")
    # no answer; the 2 business days ran out on Wednesday 10:00; another round on Thursday
    out = desk.ok("ticket", "ask", tid, "-m", "Which page? A screenshot?",
                  at="2026-11-26T12:00").stdout.strip()
    assert out == f"{tid}: awaiting-client"
    assert show(desk, tid)["status"] == "awaiting-client"
    first = section(desk, tid, "feedback #1:")
    assert first.startswith(" superseded\n")
    assert "stopped: 2026-11-26T12:00:00+03:00" in first
    # Wed 10:00 → Thu 12:00: 7 h 30 min + 3 h 30 min, the client's; nothing after the
    # new question is counted against the first one
    assert "client-caused delay: 11 h 00 min" in first
    second = section(desk, tid, "feedback #2:")
    assert second.startswith(" running\n") or second.startswith(" client-overdue\n")
    assert "starts: 2026-11-26T12:00:00+03:00" in second
    desk.ok("ticket", "answer", tid, "-m", "The report page", at="2026-11-27T12:00")
    assert section(desk, tid, "feedback #2:").startswith(" answered\n")
    assert report(desk)["client_delay_hours"] == {"ACME": 11.0}
    # only the open question of a round can be answered: the superseded one stays so
    assert section(desk, tid, "feedback #1:").startswith(" superseded\n")


def test_resolving_from_awaiting_client_stops_the_question_and_starts_acceptance(desk: Cli):
    tid = add(desk, "2026-11-23T09:00")
    desk.ok("ticket", "ask", tid, "-m", "Which page?", at="2026-11-23T10:00")
    out = desk.ok("ticket", "resolve", tid, "-m", "fixed the report for every page",
                  at="2026-11-26T12:00").stdout.strip()
    assert out == f"{tid}: resolved"
    feedback = section(desk, tid, "feedback #1:")
    assert feedback.startswith(" stopped\n")
    assert "stopped: 2026-11-26T12:00:00+03:00" in feedback
    assert "client-caused delay: 11 h 00 min" in feedback
    acceptance = section(desk, tid, "acceptance:")
    assert "starts: 2026-11-26T12:00:00+03:00" in acceptance
    assert "deadline: 2026-12-03T12:00:00+03:00" in acceptance
    assert report(desk)["client_delay_hours"] == {"ACME": 11.0}
    # the ticket can end: the client accepts (or the acceptance window closes it)
    desk.ok("ticket", "accept", tid, "-m", "ok", at="2026-11-27T09:00")
    assert show(desk, tid)["status"] == "closed"


def test_only_a_later_estimate_is_an_extension(desk: Cli):
    tid = add(desk, "2026-11-23T09:00")
    desk.ok("ticket", "respond", tid, "-m", "on it", at="2026-11-23T09:30")
    desk.ok("ticket", "set", tid, "--estimate", "2026-12-04T17:00", at="2026-11-23T10:00")
    # brought forward, then repeated: no reason needed
    desk.ok("ticket", "set", tid, "--estimate", "2026-12-02T17:00", at="2026-11-24T10:00")
    desk.ok("ticket", "set", tid, "--estimate", "2026-12-02T17:00", at="2026-11-24T11:00")
    # later than the estimate in force (though earlier than the first one): an extension
    late = desk("ticket", "set", tid, "--estimate", "2026-12-03T12:00", at="2026-11-25T10:00")
    assert late.exit_code == 2 and "reason" in late.stderr
    assert show(desk, tid)["estimate"] == "2026-12-02T17:00:00+03:00"
    assert report(desk)["estimate_extensions"] == 0
    desk.ok("ticket", "set", tid, "--estimate", "2026-12-03T12:00", "--reason",
            "new problems found", at="2026-11-25T10:00")
    shown = show(desk, tid)
    assert shown["estimate"] == "2026-12-03T12:00:00+03:00"
    ledger = [e["data"] for e in shown["events"] if e["kind"] == "estimate-set"]
    assert [(d["estimate"], d.get("reason")) for d in ledger] == [
        ("2026-12-04T17:00:00+03:00", None),
        ("2026-12-02T17:00:00+03:00", None),
        ("2026-12-02T17:00:00+03:00", None),
        ("2026-12-03T12:00:00+03:00", "new problems found")]
    assert report(desk)["estimate_extensions"] == 1
    assert "(extended 1×: new problems found)" in section(desk, tid, "resolution:")
