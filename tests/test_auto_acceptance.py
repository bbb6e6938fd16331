"""Automatic acceptance, derived by the fold in every view (no `sccli tick` needed).

Contract: "Acceptance and testing after Resolved: 7 calendar days" («Приемка и
тестирование после статуса Решено: 7 календарных дней»), then the ticket is closed
automatically (sla.yaml, README). Issue 10: "A resolved ticket whose acceptance window has
passed is closed (auto-accepted) in every view as of now, derived by the fold, so a missed
cron run never shows a wrong state. Expired means strictly after the last on-time instant
… Reopening after that is refused with a message that says why."
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli

RESOLVED = "2026-11-23T15:00:00+03:00"  # Monday
DEADLINE = "2026-11-30T15:00:00+03:00"  # the last on-time instant: 7 calendar days later
AFTER = "2026-11-30T15:00:01+03:00"  # one second later: expired


def desk(tmp_path: Path, db: str | None = None) -> Cli:
    cli = Cli(tmp_path / "ws", db=db, env={"SCCLI_NOW": "2026-11-23T08:00:00+03:00"})
    cli.ok("init")
    cli.ok("client", "add", "ACME", "--name", "Acme")
    cli.ok("contact", "set", "ACME", "it@acme.example", "--effective", "2026-11-01T09:00")
    return cli


def resolved_ticket(cli: Cli) -> str:
    cli.env["SCCLI_NOW"] = RESOLVED
    tid = cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title",
                 "Report fails", at="2026-11-23T09:00").stdout.strip()
    cli.ok("ticket", "respond", tid, "-m", "Looking", at="2026-11-23T09:10")
    cli.ok("ticket", "resolve", tid, "-m", "Fixed", at=RESOLVED)
    return tid


@pytest.fixture
def ws(tmp_path: Path) -> tuple[Cli, str]:
    cli = desk(tmp_path)
    return cli, resolved_ticket(cli)


def status(cli: Cli, tid: str, at: str) -> str:
    return cli.ok("ticket", "show", tid, "--format", "json", at=at).json()["status"]


def test_closed_in_every_view_after_the_window_without_tick(ws):
    cli, tid = ws
    cli.env["SCCLI_NOW"] = "2026-12-20T12:00:00+03:00"  # weeks later; tick never ran
    assert status(cli, tid, "2026-12-20T12:00") == "closed"
    shown = cli.ok("ticket", "show", tid, "--format", "json").json()
    assert shown["status"] == "closed"
    assert shown["auto_accepted_at"] == "2026-11-30T15:00:01+03:00"
    assert "closed automatically: 2026-11-30 15:00:01" in cli.ok("ticket", "show", tid).stdout
    listed = cli.ok("ticket", "list", "--format", "json").json()
    assert [t["status"] for t in listed if t["id"] == tid] == ["closed"]
    closed = cli.ok("ticket", "list", "--status", "closed", "--format", "json").json()
    assert [t["id"] for t in closed] == [tid]
    assert cli.ok("ticket", "list", "--status", "resolved", "--format", "json").json() == []
    assert cli.ok("ticket", "list", "--status", "open", "--format", "json").json() == []
    assert tid not in cli.ok("triage", "--format", "json").stdout
    assert tid not in cli.ok("queue", "ACME", "--format", "json").stdout
    assert tid not in cli.ok("sla", "status", "--format", "json").stdout
    check = cli("sla", "check", "--format", "json")
    assert check.exit_code == 0 and tid not in check.stdout
    explain = cli.ok("sla", "explain", tid).stdout
    assert "acceptance:" in explain and "expired" in explain


def test_boundary_deadline_is_on_time_one_second_later_expired(ws):
    cli, tid = ws
    cli.env["SCCLI_NOW"] = "2026-12-20T12:00:00+03:00"
    # at exactly resolved + 7 days the window is still open: resolved, acceptance running
    assert status(cli, tid, DEADLINE) == "resolved"
    rows = cli.ok("sla", "status", "--format", "json", at=DEADLINE).json()
    acceptance = [r for r in rows if r["ticket"] == tid and r["clock"] == "acceptance"]
    assert [r["state"] for r in acceptance] == ["running"]
    assert acceptance[0]["remaining_seconds"] == 0
    # one second later it expired: closed in every view
    assert status(cli, tid, AFTER) == "closed"
    rows = cli.ok("sla", "status", "--format", "json", at=AFTER).json()
    assert [r for r in rows if r["ticket"] == tid] == []


def test_accept_at_the_deadline_is_on_time(ws):
    cli, tid = ws
    cli.env["SCCLI_NOW"] = DEADLINE
    cli.ok("ticket", "accept", tid, "-m", "Works, thanks")
    assert status(cli, tid, DEADLINE) == "closed"
    explain = cli.ok("sla", "explain", tid).stdout
    assert "accepted" in explain


def test_reopen_after_the_window_is_refused_with_why(ws):
    cli, tid = ws
    cli.env["SCCLI_NOW"] = AFTER
    result = cli("ticket", "reopen", tid, "-m", "Still broken")
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "acceptance window" in message and "2026-11-30 15:00" in message
    assert "new ticket" in message
    # nothing was written
    events = cli.ok("ticket", "show", tid, "--format", "json").json()["events"]
    assert [e["kind"] for e in events][-1] == "resolved"
    # the client's late acceptance is refused the same way
    late = cli("ticket", "accept", tid, "-m", "ok")
    assert late.exit_code == 2 and "acceptance window" in late.stderr


def test_reopen_at_the_deadline_is_allowed(ws):
    cli, tid = ws
    cli.env["SCCLI_NOW"] = DEADLINE
    out = cli.ok("ticket", "reopen", tid, "-m", "Still broken").stdout
    assert "reopened" in out
    cli.env["SCCLI_NOW"] = "2026-12-20T12:00:00+03:00"
    assert status(cli, tid, "2026-12-20T12:00") == "reopened"


def test_as_of_before_the_window_shows_resolved(ws):
    cli, tid = ws
    cli.env["SCCLI_NOW"] = "2026-12-20T12:00:00+03:00"
    assert status(cli, tid, "2026-11-27T12:00") == "resolved"
    listed = cli.ok("ticket", "list", "--status", "resolved", "--format", "json",
                    at="2026-11-27T12:00").json()
    assert [t["id"] for t in listed] == [tid]


def test_window_counts_wall_clock_days_in_the_calendar_zone(tmp_path: Path):
    """The 7 days are calendar days on the calendar zone's wall clock (Europe/Moscow)."""
    cli = desk(tmp_path)
    tid = resolved_ticket(cli)
    cli.env["SCCLI_NOW"] = "2026-12-20T12:00:00+03:00"
    # 12:00:00 UTC is 15:00:00 Moscow: the deadline; a second later expired
    assert status(cli, tid, "2026-11-30T12:00:00Z") == "resolved"
    assert status(cli, tid, "2026-11-30T12:00:01Z") == "closed"


def test_auto_acceptance_on_postgres(tmp_path: Path, pg_url: str):
    cli = desk(tmp_path, pg_url)
    tid = resolved_ticket(cli)
    cli.env["SCCLI_NOW"] = "2026-12-20T12:00:00+03:00"
    assert status(cli, tid, "2026-12-20T12:00") == "closed"
    assert cli("ticket", "reopen", tid, "-m", "again").exit_code == 2
