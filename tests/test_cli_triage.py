"""`sccli demo` and `sccli triage` end to end: order, every flag, --apply, queue, billing."""

from __future__ import annotations

import pytest

from sccli.commands.demo import DEMO_NOW
from tests.conftest import Cli


@pytest.fixture
def demo(tmp_path) -> Cli:
    cli = Cli(tmp_path / "demo")
    result = cli.ok("demo")
    assert "Demo workspace" in result.stdout and "$ sccli triage" in result.stdout
    return cli


def _triage(cli: Cli, *args) -> dict:
    rows = cli.ok("triage", "--format", "json", *args, at=DEMO_NOW).json()
    return {r["ticket"]: r for r in rows}, [r["ticket"] for r in rows]


def test_demo_triage_order_breached_first_then_least_remaining(demo: Cli):
    by_id, order = _triage(demo)
    assert order[0] == "NORD-1" and by_id["NORD-1"]["sla_state"] == "breached"
    reaction_running = [t for t in order if by_id[t]["clock"] == "reaction"
                        and by_id[t]["sla_state"] in ("warning", "running")]
    remaining = [by_id[t]["remaining_seconds"] for t in reaction_running]
    assert remaining == sorted(remaining) and len(remaining) >= 5
    assert order.index(reaction_running[-1]) < order.index("ACME-3")  # feedback after reactions


def test_demo_triage_flags(demo: Cli):
    by_id, _ = _triage(demo)
    unauthorized = by_id["ACME-1"]
    assert "unauthorized" in unauthorized["flags"] and not unauthorized["authorized"]
    assert unauthorized["authorized_contact"] == "it@acme-retail.ru"
    assert "secrets" in by_id["ACME-2"]["flags"] and by_id["ACME-2"]["secrets"] == 1
    assert "critical-behind-queue" in by_id["VEGA-2"]["flags"]
    assert by_id["VEGA-2"]["ahead_of_critical"] == "VEGA-6"
    assert by_id["NORD-2"]["missing"] == ["account", "system-url", "steps", "environment"]
    assert by_id["NORD-2"]["language"] == "en"
    assert by_id["ACME-3"]["sla_state"] == "client-overdue"
    assert by_id["VEGA-3"]["clock"] == "acceptance" and by_id["VEGA-3"]["status"] == "resolved"
    vendor = by_id["ACME-4"]
    assert (vendor["owner"], vendor["party"], vendor["action"]) == ("vendor", "vendor", "escalate")
    assert (by_id["VEGA-4"]["owner"], by_id["VEGA-4"]["party"]) == ("partner", "partner-x")
    assert (by_id["NORD-3"]["action"], by_id["NORD-3"]["billing"]) == ("change", "billable")
    assert by_id["NORD-4"]["billable_extras"] == ["phone channel", "on-behalf registration"]
    assert by_id["ACME-2"]["suggested_priority"] == "critical" and by_id["ACME-2"]["priority"] is None
    assert "priority-mismatch" in by_id["NORD-1"]["flags"]
    assert by_id["NORD-1"]["suggestion_rule"] == "daily-process-failure"
    assert by_id["VEGA-6"]["queue_state"] == "in work" and by_id["VEGA-2"]["queue_position"] > 1
    assert any("reject ACME-1 --reason unauthorized" in a for a in by_id["ACME-1"]["advice"])
    assert any("queue move VEGA-2 --first" in a for a in by_id["VEGA-2"]["advice"])
    assert by_id["ACME-5"]["advice"] == []


def test_demo_keeps_no_password_in_clear(demo: Cli):
    raw = (demo.home / "sccli.db").read_bytes()
    for secret in (b"Sup3r#2026", b"Dem0-Passw0rd!", b"Shipm3nt!Bot"):
        assert secret not in raw
    shown = demo.ok("ticket", "secret", "ACME-2", "--format", "json").json()
    assert shown == [{"reference": "[secret:ACME-2/1]", "value": "Sup3r#2026"}]
    body = demo.ok("ticket", "show", "ACME-2", "--format", "json").json()["body"]
    assert "[secret:ACME-2/1]" in body and "Sup3r" not in body


def test_triage_in_russian_and_table(demo: Cli):
    out = demo.ok("triage", "--lang", "ru", at=DEMO_NOW).stdout
    assert "заявка" in out and "просрочено" in out and "не авторизованное лицо" in out
    assert "\x1b[" not in out  # no colours outside a terminal
    en = demo.ok("triage", at=DEMO_NOW).stdout
    assert "breached" in en and "critical-behind-queue" in en
    assert "Needs a decision:" in en and "propose a reorder to the client" in en
    assert "предложите клиенту изменить порядок" in out


def test_triage_apply_records_unambiguous_suggestions(demo: Cli):
    result = demo.ok("triage", "--apply", at=DEMO_NOW)
    assert "ACME-2: priority set to critical (rule login-failure)" in result.stdout
    assert "NORD-2: asked the client for account, system-url, steps, environment" in result.stdout
    assert "ACME-1: asked" not in result.stdout  # unauthorized sender: a person decides
    by_id, _ = _triage(demo)
    assert by_id["ACME-2"]["priority"] == "critical"
    assert by_id["NORD-2"]["status"] == "awaiting-client"
    asked = demo.ok("ticket", "show", "NORD-2", "--format", "json").json()["events"][-1]
    assert asked["kind"] == "asked" and "2 business days" in asked["data"]["message"]
    again = demo.ok("triage", "--apply", at=DEMO_NOW)
    assert "ACME-2" not in again.stdout.split("\n\n")[0]


def test_interactive_refuses_without_a_terminal(demo: Cli):
    result = demo("triage", "--interactive", at=DEMO_NOW)
    assert result.exit_code == 2 and "needs a terminal" in result.stderr


def test_interactive_asks_before_each_ticket(demo: Cli, monkeypatch):
    import sccli.commands.triage as triage_cmd

    monkeypatch.setattr(triage_cmd, "stdin_is_terminal", lambda: True)
    result = demo("triage", "--interactive", input="n\n" * 3 + "y\n" + "n\n" * 30, at=DEMO_NOW)
    assert result.exit_code == 0, result.stderr
    prompts = [line for line in result.stdout.splitlines() if " — " in line]
    assert len(prompts) >= 4 and result.stdout.count("apply?") >= 4
    fourth = prompts[3].split(" — ")[0]
    import re

    done = {m.group(1) for m in re.finditer(r"(?m)^([A-Z]+-\d+): ", result.stdout)}
    assert done == {fourth}  # only the confirmed ticket was changed


def test_queue_show_and_agreed_move(demo: Cli):
    rows = demo.ok("queue", "VEGA", "--format", "json", at=DEMO_NOW).json()
    assert [r["ticket"] for r in rows][0] == "VEGA-6"
    assert any("critical behind VEGA-6" in r["note"] for r in rows)
    bad = demo("queue", "move", "VEGA-2", "--first", "--agreed-by", " ", at=DEMO_NOW)
    assert bad.exit_code == 2 and "agreement" in bad.stderr
    moved = demo.ok("queue", "move", "VEGA-2", "--first", "--agreed-by", "Ольга, письмо 25.11",
                    at=DEMO_NOW)
    assert moved.stdout.startswith("VEGA-2 → VEGA-6")
    by_id, _ = _triage(demo)
    assert by_id["VEGA-2"]["queue_state"] == "in work"
    assert "critical-behind-queue" not in by_id["VEGA-2"]["flags"]
    both = demo("queue", "move", "VEGA-2", "--first", "--before", "VEGA-6", "--agreed-by", "x")
    assert both.exit_code == 2


def test_billing_lists_billable_work(demo: Cli):
    rows = demo.ok("billing", "--month", "2026-11", "--format", "json", at=DEMO_NOW).json()
    by_id = {r["ticket"]: r for r in rows}
    assert by_id["NORD-3"]["reasons"] == ["executor-project-out-of-design: billable"]
    assert by_id["NORD-4"]["reasons"] == ["phone channel", "on-behalf registration"]
    assert "VEGA-5" not in by_id  # rejected: nothing to bill
    assert "ACME-4" not in by_id  # vendor problem: included


def test_ask_missing_in_the_tickets_language(demo: Cli):
    text = demo.ok("ticket", "ask", "NORD-2", "--missing", at=DEMO_NOW).stdout
    assert text.startswith("Hello") and "steps" in text and "2 business days" in text
    nothing = demo("ticket", "ask", "VEGA-2", "--missing", at=DEMO_NOW)
    assert nothing.exit_code == 2 and "nothing to ask" in nothing.stderr
    both = demo("ticket", "ask", "NORD-6", "--missing", "-m", "x", at=DEMO_NOW)
    assert both.exit_code == 2


def test_demo_refuses_a_non_empty_home(tmp_path):
    home = tmp_path / "full"
    home.mkdir()
    (home / "keep.txt").write_text("mine")
    result = Cli(home)("demo")
    assert result.exit_code == 2 and "not empty" in result.stderr
    assert (home / "keep.txt").read_text() == "mine"


def test_demo_escalates_and_round_trips_comments(demo: Cli):
    import json

    links = demo.ok("links", "VEGA-4", "--format", "json").json()
    assert [(lk["tracker"], lk["state"]) for lk in links] == [("partner-x", "open")]
    assert [lk["tracker"] for lk in demo.ok("links", "ACME-4", "--format", "json").json()] == [
        "vendor"]
    partner = json.loads((demo.home / "trackers" / "partner-x" / "1.json").read_text())
    assert partner["ticket"] == "VEGA-4"
    assert "Escalation from" in partner["body"]  # the partner's language is English
    vendor = json.loads((demo.home / "trackers" / "vendor" / "1.json").read_text())
    assert vendor["body"].startswith("Эскалация") and vendor["ticket"] == "ACME-4"
    sent = [c for c in partner["comments"] if c["origin"]]
    assert len(sent) == 1 and "Client VEGA confirms" in sent[0]["body"]
    events = demo.ok("ticket", "show", "VEGA-4", "--format", "json").json()["events"]
    pulled = [e for e in events if e["data"].get("origin", "").startswith("partner-x:")]
    assert len(pulled) == 1 and "Warehouse 3.2.1" in pulled[0]["data"]["message"]
    trackers = b"".join(p.read_bytes() for p in (demo.home / "trackers").rglob("*.json"))
    for secret in (b"Wh-Test#77", b"Dem0-Passw0rd!", b"Sup3r#2026"):
        assert secret not in trackers
    again = demo.ok("sync", "--format", "json", at=DEMO_NOW).json()
    assert again["actions"] == [] and again["exit_code"] == 0  # nothing echoed, nothing new


def test_demo_home_option_on_the_command(tmp_path):
    home = tmp_path / "here"
    result = Cli(tmp_path / "unused")("demo", "--home", str(home))
    assert result.exit_code == 0 and f"Demo workspace: {home}" in result.stdout
    assert (home / "sccli.db").exists() and not (tmp_path / "unused").exists()
