"""One history, seen through the CLI: the as-of view, the clock apart from --at, void and
edit. Every correction is a new event; nothing is ever rewritten."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests.conftest import Cli

NOW = "2026-11-25T12:00:00+03:00"


@pytest.fixture
def ws(tmp_path) -> Cli:
    cli = Cli(tmp_path / "ws", env={"SCCLI_NOW": NOW, "SCCLI_VAULT": "file"})
    cli.ok("init")
    cli.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru", at="2026-11-01")
    cli.ok("client", "add", "VEGA", "--name", "Vega", "--contact", "hd@vega.ru", at="2026-11-01")
    # ACME-1: registered on the 20th, answered on the 20th; ACME-2: registered on the 24th
    cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "Login fails",
           "--body", "The login page shows error 500", "--priority", "high", at="2026-11-20T10:00")
    cli.ok("ticket", "respond", "ACME-1", "-m", "Looking", at="2026-11-20T10:30")
    cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "Later one",
           "--body", "Rename a field", "--priority", "low", at="2026-11-24T10:00")
    return cli


def ids(result) -> list[str]:
    return [row["id"] if "id" in row else row["ticket"] for row in result.json()]


def show(cli: Cli, ticket: str, at: str | None = None) -> dict:
    return cli.ok("ticket", "show", ticket, "--format", "json", at=at).json()


# ------------------------------------------------------------------ the as-of view
def test_a_past_instant_does_not_see_later_tickets_or_events(ws):
    assert ids(ws.ok("ticket", "list", "--format", "json")) == ["ACME-1", "ACME-2"]
    before = ws.ok("ticket", "list", "--format", "json", at="2026-11-21")
    assert ids(before) == ["ACME-1"] and before.json()[0]["status"] == "in-progress"
    assert ws.ok("ticket", "list", "--format", "json", at="2026-11-20T10:15").json()[0][
        "status"] == "new"
    assert ids(ws.ok("ticket", "list", "--format", "json", at="2026-11-19")) == []
    missing = ws("ticket", "show", "ACME-2", at="2026-11-21")
    assert missing.exit_code == 2 and "does not exist at 2026-11-21" in missing.stderr


@pytest.mark.parametrize("command", [
    ("ticket", "list", "--format", "json"),
    ("ticket", "list", "--status", "open", "--format", "json"),
    ("triage", "--format", "json"),
    ("queue", "--format", "json"),
    ("queue", "ACME", "--format", "json"),
    ("sla", "status", "--format", "json"),
    ("sla", "check", "--format", "json"),
    ("billing", "--month", "2026-11", "--format", "json"),
])  # sla report prints counts, not ids: test_sla_report_as_of_counts_only_what_had_happened
def test_every_read_command_is_an_as_of_view(ws, command):
    ws.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "By phone",
          "--channel", "phone", at="2026-11-24T11:00")
    now = ws(*command)
    then = ws(*command, at="2026-11-21T09:00")
    assert now.exit_code in (0, 1) and then.exit_code in (0, 1)
    assert "ACME-2" in now.stdout or "ACME-3" in now.stdout
    assert "ACME-2" not in then.stdout and "ACME-3" not in then.stdout


def test_sla_report_as_of_counts_only_what_had_happened(ws):
    now = ws.ok("sla", "report", "--month", "2026-11", "--format", "json").json()
    then = ws.ok("sla", "report", "--month", "2026-11", "--format", "json",
                 at="2026-11-20T10:10").json()
    assert now["total"]["tickets"] == 2 and then["total"]["tickets"] == 1
    assert now["total"]["met"] == 1 and then["total"]["met"] == 0  # the response came at 10:30


def test_sla_explain_and_status_as_of(ws):
    ws.ok("ticket", "add", "--client", "VEGA", "--from", "hd@vega.ru", "--title", "Down",
          "--priority", "critical", at="2026-11-23T09:00")
    ws.ok("ticket", "respond", "VEGA-1", "-m", "ok", at="2026-11-23T09:10")
    explain_then = ws.ok("sla", "explain", "VEGA-1", at="2026-11-23T09:05").stdout
    assert "reaction: running" in explain_then
    assert "reaction: met" in ws.ok("sla", "explain", "VEGA-1").stdout
    status_then = ws.ok("sla", "status", "--format", "json", at="2026-11-23T09:05").json()
    assert ("VEGA-1", "reaction") in [(r["ticket"], r["clock"]) for r in status_then]
    assert all(r["ticket"] != "VEGA-1" for r in ws.ok("sla", "status", "--format", "json").json())


def test_contact_show_as_of(ws):
    ws.ok("contact", "set", "ACME", "olga@acme.ru", "--effective", "2026-12-01T09:00",
          "--notice", "letter 12")
    assert ws.ok("contact", "show", "ACME", "--format", "json").json()[0]["email"] == "it@acme.ru"
    later = ws.ok("contact", "show", "ACME", "--format", "json", at="2026-12-02").json()
    assert later[0]["email"] == "olga@acme.ru"


# ------------------------------------------------------------------ the clock and --at
def test_a_write_dated_after_the_clock_is_refused_and_nothing_is_written(ws):
    before = show(ws, "ACME-1")
    typo = ws("ticket", "resolve", "ACME-1", "-m", "fixed", at="2027-06-01T10:00")
    assert typo.exit_code == 2 and typo.stdout == ""
    assert typo.stderr.count("\n") == 1 and "in the future" in typo.stderr
    assert "--future" in typo.stderr and "Traceback" not in typo.stderr
    assert show(ws, "ACME-1") == before
    added = ws("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "x",
               "--at", "2027-01-01")
    assert added.exit_code == 2 and "in the future" in added.stderr
    assert ids(ws.ok("ticket", "list", "--format", "json")) == ["ACME-1", "ACME-2"]


def test_future_says_it_is_meant(ws):
    ws.ok("--future", "ticket", "resolve", "ACME-1", "-m", "scheduled", at="2026-12-01T10:00")
    assert show(ws, "ACME-1")["status"] == "in-progress"  # now: not yet resolved
    assert show(ws, "ACME-1", at="2026-12-02")["status"] == "resolved"


def test_without_at_a_write_is_dated_by_the_clock(ws):
    ws.ok("ticket", "note", "ACME-1", "-m", "internal")
    assert show(ws, "ACME-1")["events"][-1]["at"] == NOW


def test_events_stay_in_order(ws):
    late = ws("ticket", "note", "ACME-1", "-m", "x", at="2026-11-20T10:10")
    assert late.exit_code == 2 and "before the ticket's last event" in late.stderr


# ------------------------------------------------------------------ void
def test_void_cancels_one_event_and_show_keeps_both(ws):
    ws.ok("--future", "ticket", "resolve", "ACME-1", "-m", "typo", at="2027-06-01T10:00")
    assert ws.ok("sla", "report", "--month", "2026-11", "--format", "json",
                 at="2027-07-01").json()["total"]["tickets"] == 2
    out = ws.ok("ticket", "void", "ACME-1", "3", "--reason", "typo in --at: 2027")
    assert out.stdout.strip() == "ACME-1: event #3 voided by #4"
    data = show(ws, "ACME-1", at="2027-07-01")
    assert data["status"] == "in-progress"
    kinds = [(e["seq"], e["kind"], e.get("voided_by")) for e in data["events"]]
    assert kinds == [(1, "registered", None), (2, "responded", None), (3, "resolved", 4),
                     (4, "voided", None)]
    assert "voids #3; reason: typo in --at: 2027" in data["events"][3]["details"]
    # the voided event is gone from every rule: the ticket can be resolved for real now
    ws.ok("ticket", "resolve", "ACME-1", "-m", "fixed")
    assert show(ws, "ACME-1")["status"] == "resolved"
    text = ws.ok("ticket", "show", "ACME-1").stdout
    assert "[voided by #4]" in text


def test_void_is_refused_with_a_reason(ws):
    ws.ok("ticket", "resolve", "ACME-1", "-m", "fixed", at="2026-11-21T10:00")
    ws.ok("ticket", "accept", "ACME-1", "-m", "thanks", at="2026-11-21T11:00")
    cases = {
        ("2", "x"): "would leave an impossible history",  # resolve needs the response
        ("9", "x"): "no event #9",
        ("3", " "): "needs a reason",
    }
    for (seq, reason), message in cases.items():
        result = ws("ticket", "void", "ACME-1", seq, "--reason", reason)
        assert result.exit_code == 2 and message in result.stderr, result.stderr
    ws.ok("ticket", "void", "ACME-1", "4", "--reason", "accepted by mistake")
    assert show(ws, "ACME-1")["status"] == "resolved"
    again = ws("ticket", "void", "ACME-1", "4", "--reason", "x")
    assert again.exit_code == 2 and "already voided" in again.stderr
    void_of_void = ws("ticket", "void", "ACME-1", "5", "--reason", "x")
    assert void_of_void.exit_code == 2 and "voids cannot be voided" in void_of_void.stderr
    bad = ws("ticket", "void", "ACME-1", "three", "--reason", "x")
    assert bad.exit_code == 2 and "not an event number" in bad.stderr


def test_voiding_the_registration_removes_a_test_ticket_from_every_view(ws):
    ws.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "TEST",
          "--channel", "phone", at="2026-11-24T12:00")
    ws.ok("ticket", "void", "ACME-3", "1", "--reason", "test ticket")
    for command in (("ticket", "list"), ("triage",), ("queue",), ("sla", "status"),
                    ("sla", "report", "--month", "2026-11"), ("billing", "--month", "2026-11")):
        assert "ACME-3" not in ws(*command, "--format", "json").stdout, command
    assert show(ws, "ACME-3")["status"] == "voided"  # still auditable by its id
    # before it was voided, it existed
    assert "ACME-3" in ws.ok("ticket", "list", "--format", "json", at="2026-11-24T13:00").stdout
    refused = ws("ticket", "respond", "ACME-3", "-m", "x")
    assert refused.exit_code == 2 and "registration was voided" in refused.stderr


# ------------------------------------------------------------------ edit
def test_edit_changes_facts_as_events_and_keeps_the_old_values(ws):
    ws.ok("ticket", "add", "--client", "ACME", "--from", "boss@acme.ru", "--title", "Wrong",
          "--body", "x", at="2026-11-24T12:00")
    flags = {r["ticket"]: r["flags"] for r in ws.ok("triage", "--format", "json").json()}
    assert "unauthorized" in flags["ACME-3"]
    ws.ok("ticket", "edit", "ACME-3", "--title", "Right title", "--from", "it@acme.ru",
          "--reason", "registered from the forwarding address")
    data = show(ws, "ACME-3")
    assert (data["title"], data["reporter"]) == ("Right title", "it@acme.ru")
    assert data["events"][-1]["kind"] == "edited"
    assert "title: Right title; from: it@acme.ru" in data["events"][-1]["details"]
    assert show(ws, "ACME-3", at="2026-11-24T13:00")["title"] == "Wrong"
    flags = {r["ticket"]: r["flags"] for r in ws.ok("triage", "--format", "json").json()}
    assert "unauthorized" not in flags["ACME-3"]


def test_edit_moves_a_ticket_to_another_client_and_a_void_moves_it_back(ws):
    ws.ok("ticket", "edit", "ACME-2", "--client", "VEGA", "--reason", "wrong client")
    assert ids(ws.ok("ticket", "list", "--client", "VEGA", "--format", "json")) == ["ACME-2"]
    assert ids(ws.ok("ticket", "list", "--client", "ACME", "--format", "json")) == ["ACME-1"]
    assert [e["ticket"] for e in ws.ok("queue", "VEGA", "--format", "json").json()] == ["ACME-2"]
    seq = show(ws, "ACME-2")["events"][-1]["seq"]
    ws.ok("ticket", "void", "ACME-2", str(seq), "--reason", "it was ACME's after all")
    assert ids(ws.ok("ticket", "list", "--client", "ACME", "--format", "json")) == [
        "ACME-1", "ACME-2"]


def test_edit_needs_something_and_a_reason(ws):
    assert "nothing to edit" in ws("ticket", "edit", "ACME-1", "--reason", "x").stderr
    assert ws("ticket", "edit", "ACME-1", "--title", "y").exit_code == 2  # --reason required
    unknown = ws("ticket", "edit", "ACME-1", "--client", "NOPE", "--reason", "x")
    assert unknown.exit_code == 2 and "unknown client" in unknown.stderr


def test_corrections_redact_what_they_carry(ws):
    ws.ok("ticket", "edit", "ACME-1", "--body", "login: admin password: S3cret-77!",
          "--reason", "the client sent the account")
    ws.ok("ticket", "void", "ACME-2", "1", "--reason", "dup; пароль: Qwerty-123")
    text = json.dumps([show(ws, "ACME-1"), show(ws, "ACME-2")], ensure_ascii=False)
    assert "S3cret-77!" not in text and "Qwerty-123" not in text
    assert "[secret:ACME-1/" in text and "[secret:ACME-2/" in text


# ------------------------------------------------------------------ only the fold and the
# codec read event payloads; nothing reads stored event JSON by key
def test_no_module_outside_the_fold_and_the_codec_reads_event_data():
    root = Path(__file__).resolve().parents[1] / "sccli"
    allowed_raw = {root / "domain" / "events.py", root / "store" / "codec.py"}
    offenders = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "data" and not (
                    isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}: .data")
            if isinstance(node, ast.Attribute) and node.attr == "raw" and path not in allowed_raw:
                offenders.append(f"{path.relative_to(root)}:{node.lineno}: .raw")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    "data LIKE" in node.value or "json_extract" in node.value
                    or "->>" in node.value):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}: SQL on event JSON")
    assert offenders == []


# ------------------------------------------------------------------ one bad ticket
def _plant(ws: Cli, ticket: str, registered: str, data: str) -> None:
    """Write a ticket straight into the store, as a damaged or hand-edited store has it."""
    import sqlite3

    conn = sqlite3.connect(ws.home / "sccli.db")
    with conn:
        seq = int(ticket.rsplit("-", 1)[1])
        conn.execute("INSERT INTO tickets (id, client, seq, reporter, title, body, channel,"
                     " on_behalf, registered_at, status) VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (ticket, "ACME", seq, "it@acme.ru", "planted", "", "portal", 0,
                      registered, "new"))
        conn.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?)",
                     (ticket, 1, "registered", registered, "x", data, registered))
        conn.execute("UPDATE clients SET next_seq = ? WHERE key = 'ACME'", (seq + 1,))
    conn.close()


@pytest.mark.parametrize("command", [
    ("ticket", "list"), ("triage",), ("queue",), ("sla", "status"), ("sla", "check"),
    ("sla", "report", "--month", "2026-11"), ("billing", "--month", "2026-11"),
])
def test_a_view_never_fails_as_a_whole_because_of_one_ticket(ws, command):
    _plant(ws, "ACME-3", "2026-11-21T08:00:00+00:00", '{"priority": "urgentissimo"}')
    _plant(ws, "ACME-4", "9999-12-31T20:00:00+00:00", '{"priority": "high"}')
    result = ws(*command)
    assert result.exit_code in (0, 1) and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == (
        "sccli: warning: ACME-3 is left out of this view: ACME-3 event #1 (registered) cannot"
        " be read (unknown priority 'urgentissimo' (expected one of: critical, high, medium,"
        " low or Критичный, Высокий, Средний, Низкий)): is the store damaged, or written by a"
        " newer sccli?")
    assert "ACME-3" not in result.stdout and "ACME-4" not in result.stdout
    shown_rest = {"sla": "ACME-2", "billing": "no billable work"}.get(command[0], "ACME-1")
    if command[:2] == ("sla", "report"):
        shown_rest = "total: 2 tickets"
    assert shown_rest in result.stdout
    shown = ws("ticket", "show", "ACME-3")
    assert shown.exit_code == 2 and shown.stderr.count("\n") == 1
    far = ws("ticket", "list", at="9999-12-31T23:00")
    assert far.exit_code == 2 and "outside the dates" in far.stderr


def test_secret_references_are_never_reused_after_edits_and_voids(ws):
    ws.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "Access",
          "--body", "логин: admin пароль: First-Pa55!", at="2026-11-24T12:00")
    ws.ok("ticket", "edit", "ACME-3", "--body", "логин: admin пароль: Second-Pa55!",
          "--reason", "the client resent it")
    ws.ok("ticket", "note", "ACME-3", "-m", "временный пароль: Third-Pa55!")
    seq = show(ws, "ACME-3")["events"][-1]["seq"]
    ws.ok("ticket", "void", "ACME-3", str(seq), "--reason", "wrong ticket")
    ws.ok("ticket", "note", "ACME-3", "-m", "пароль: Fourth-Pa55!")
    secrets = {r["reference"]: r["value"]
               for r in ws.ok("ticket", "secret", "ACME-3", "--format", "json").json()}
    assert sorted(secrets.values()) == sorted(
        ["First-Pa55!", "Second-Pa55!", "Third-Pa55!", "Fourth-Pa55!"])
    assert len(secrets) == 4  # four references, none reused


def test_the_authorized_person_confirms_a_request_someone_else_sent(ws):
    """Contract: a request "must come from the client's authorized person"."""
    ws.ok("ticket", "add", "--client", "ACME", "--from", "boss@acme.ru", "--title", "Urgent",
          at="2026-11-24T12:00")
    flags = {r["ticket"]: r["flags"] for r in ws.ok("triage", "--format", "json").json()}
    assert "unauthorized" in flags["ACME-3"]
    refused = ws("ticket", "confirm", "ACME-3", "--by", "boss@acme.ru", "-m", "he insists")
    assert refused.exit_code == 2 and "is not ACME's authorized contact (it@acme.ru)" in \
        refused.stderr
    out = ws.ok("ticket", "confirm", "ACME-3", "--by", "IT@acme.ru", "-m", "letter of 25.11")
    assert out.stdout.strip() == "ACME-3: confirmed by it@acme.ru (#2)"
    rows = {r["ticket"]: r for r in ws.ok("triage", "--format", "json").json()}
    assert rows["ACME-3"]["authorized"] and "unauthorized" not in rows["ACME-3"]["flags"]
    event = show(ws, "ACME-3")["events"][-1]
    assert (event["kind"], event["details"]) == (
        "confirmed", "confirmed by it@acme.ru; letter of 25.11")
    assert event["data"] == {"by": "it@acme.ru", "message": "letter of 25.11"}
    # as of before the confirmation, the flag stands; voiding it brings the flag back
    before = {r["ticket"]: r["flags"] for r in ws.ok("triage", "--format", "json",
                                                       at="2026-11-24T13:00").json()}
    assert "unauthorized" in before["ACME-3"]
    ws.ok("ticket", "void", "ACME-3", "2", "--reason", "confirmed the wrong ticket")
    flags = {r["ticket"]: r["flags"] for r in ws.ok("triage", "--format", "json").json()}
    assert "unauthorized" in flags["ACME-3"]


def test_a_refused_queue_move_writes_nothing_to_the_vault(ws):
    vault = ws.home / "vault.json"
    before = vault.read_bytes() if vault.exists() else None
    ws.ok("ticket", "resolve", "ACME-1", "-m", "fixed", at="2026-11-21T10:00")
    refused = ws("queue", "move", "ACME-1", "--first", "--agreed-by", "Olga, пароль: Qq-77-Zz!")
    assert refused.exit_code == 2 and "not waiting in its client's queue" in refused.stderr
    assert (vault.read_bytes() if vault.exists() else None) == before
