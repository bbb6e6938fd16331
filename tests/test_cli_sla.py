"""`sccli sla …` end to end: deadlines, status order, check exit codes and JUnit, reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.conftest import Cli


@pytest.mark.parametrize(
    "clock,priority,at,start,deadline",
    [
        ("reaction", "critical", "2026-11-20T17:10", "2026-11-20T17:10:00+03:00", "2026-11-23T08:40:00+03:00"),
        ("reaction", "Высокий", "2026-01-08T16:00", "2026-01-12T08:30:00+03:00", "2026-01-12T10:30:00+03:00"),
        ("reaction", "medium", "2026-11-23T13:30", "2026-11-23T13:30:00+03:00", "2026-11-23T17:30:00+03:00"),
        ("reaction", "low", "2025-11-01T10:00", "2025-11-01T10:00:00+03:00", "2025-11-01T14:00:00+03:00"),
        ("reaction", "critical", "2026-11-23T17:30", "2026-11-24T08:30:00+03:00", "2026-11-24T09:00:00+03:00"),
        ("feedback", None, "2026-11-23T10:00", "2026-11-23T10:00:00+03:00", "2026-11-25T10:00:00+03:00"),
        ("acceptance", None, "2026-11-23T10:00", "2026-11-23T10:00:00+03:00", "2026-11-30T10:00:00+03:00"),
        ("reaction", "critical", "2026-11-20T14:10:00Z", "2026-11-20T17:10:00+03:00", "2026-11-23T08:40:00+03:00"),
    ],
)
def test_deadline_worked_examples(cli: Cli, clock, priority, at, start, deadline):
    args = ["sla", "deadline", "--clock", clock, "--at", at, "--format", "json"]
    if priority:
        args += ["--priority", priority]
    out = cli.ok(*args).json()
    assert (out["clock"], out["start"], out["deadline"]) == (clock, start, deadline)


def test_deadline_bad_input(cli: Cli):
    result = cli("sla", "deadline", "--at", "yesterday")
    assert result.exit_code == 2 and "malformed --at 'yesterday'" in result.stderr
    result = cli("sla", "deadline", "--at", "2026-11-20T10:00", "--priority", "asap")
    assert result.exit_code == 2 and "unknown priority" in result.stderr


@pytest.fixture
def desk(cli: Cli) -> Cli:
    cli.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru", at="2026-11-01T09:00")
    add = ["ticket", "add", "--client", "ACME", "--from", "it@acme.ru"]
    cli.ok(*add, "--title", "critical, breached", "--priority", "critical", at="2026-11-23T09:00")
    cli.ok(*add, "--title", "high, warning soon", "--priority", "high", at="2026-11-23T10:00")
    cli.ok(*add, "--title", "low, answered", "--priority", "low", at="2026-11-23T10:05")
    cli.ok("ticket", "respond", "ACME-3", "-m", "on it", at="2026-11-23T10:30")
    cli.ok(*add, "--title", "asked the client", "--priority", "medium", at="2026-11-19T09:00")
    cli.ok("ticket", "ask", "ACME-4", "-m", "which browser?", at="2026-11-19T09:30")
    return cli


def test_status_sorted_by_urgency(desk: Cli):
    rows = desk.ok("sla", "status", "--format", "json", at="2026-11-23T11:40").json()
    assert [(r["ticket"], r["clock"], r["state"]) for r in rows] == [
        ("ACME-1", "reaction", "breached"),
        ("ACME-4", "feedback #1", "client-overdue"),
        ("ACME-2", "reaction", "warning"),
    ]
    assert rows[0]["remaining_seconds"] == -(2 * 3600 + 40 * 60 - 1800)
    assert rows[0]["deadline"] == "2026-11-23T09:30:00+03:00"


def test_check_exit_codes_json_and_junit(desk: Cli, tmp_path):
    early = desk("sla", "check", at="2026-11-23T09:20")
    assert early.exit_code == 0 and early.stdout.startswith("ok:")
    warn = desk("sla", "check", "--fail-on", "warning", "--format", "json", at="2026-11-23T09:25")
    assert warn.exit_code == 1
    assert [(o["ticket"], o["state"]) for o in warn.json()["offending"]] == [("ACME-1", "warning")]
    junit = tmp_path / "sla.xml"
    late = desk("sla", "check", "--junit", str(junit), "--format", "json", at="2026-11-23T11:40")
    assert late.exit_code == 1
    assert [o["ticket"] for o in late.json()["offending"]] == ["ACME-1"]
    suite = ET.parse(junit).getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"ACME-1 reaction", "ACME-2 reaction", "ACME-4 feedback #1"}
    assert cases["ACME-1 reaction"].find("failure").get("type") == "breached"
    assert cases["ACME-2 reaction"].find("failure") is None  # warning is not a breach
    assert suite.get("failures") == "1" and suite.get("tests") == "3"
    strict = desk("sla", "check", "--warn-at", "0.5", "--fail-on", "warning", "--format", "json",
                  at="2026-11-23T11:05")
    assert {o["ticket"] for o in strict.json()["offending"]} == {"ACME-1", "ACME-2"}


def test_explain_shows_intervals_and_skipped_days(desk: Cli):
    out = desk.ok("sla", "explain", "ACME-4", at="2026-11-23T11:40").stdout
    assert "feedback #1: client-overdue" in out
    assert "skipped: weekend" in out
    assert "Thu 2026-11-19 09:30:00 – 17:30:00" in out
    assert "reaction: met" in out


def test_calendar_explains_days(cli: Cli):
    rows = cli.ok("sla", "calendar", "--from", "2026-01-08", "--to", "2026-01-12", "--format", "json").json()
    assert [(r["date"], r["working"]) for r in rows] == [
        ("2026-01-08", False), ("2026-01-09", False), ("2026-01-10", False),
        ("2026-01-11", False), ("2026-01-12", True)]
    assert "transferred day off" in rows[1]["reason"] and rows[2]["reason"] == "weekend"
    sat = cli.ok("sla", "calendar", "--from", "2024-12-28", "--to", "2024-12-28", "--format", "json").json()
    assert sat[0]["working"] and "working Saturday" in sat[0]["reason"]
    bad = cli("sla", "calendar", "--from", "2026-02-30")
    assert bad.exit_code == 2 and "malformed --from" in bad.stderr


def test_monthly_report_in_every_format(desk: Cli, tmp_path):
    desk.ok("ticket", "respond", "ACME-1", "-m", "late", at="2026-11-23T12:00")
    data = desk.ok("sla", "report", "--month", "2026-11", "--format", "json", at="2026-11-30T12:00").json()
    by = {r["priority"]: r for r in data["priorities"]}
    assert by["critical"]["breached"] == 1 and by["critical"]["compliance"] == 0.0
    assert by["critical"]["worst_reaction_min"] == 180.0
    assert by["low"]["met"] == 1 and by["low"]["median_reaction_min"] == 25.0
    assert by["medium"]["met"] == 1
    assert data["client_delay_hours"]["ACME"] > 0
    html = tmp_path / "r.html"
    desk.ok("sla", "report", "--month", "2026-11", "--format", "html", "--output", str(html),
            at="2026-11-30T12:00")
    text = html.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "http" not in text.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    csv = desk.ok("sla", "report", "--month", "2026-11", "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("priority,tickets,met,breached")
    bad = desk("sla", "report", "--month", "November")
    assert bad.exit_code == 2 and "expected YYYY-MM" in bad.stderr
