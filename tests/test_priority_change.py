"""Priority changes agreed while the reaction clock runs, through the CLI.

Contract ("How requests are handled"): "Requests are solved one after another … Exception:
the priority or order may be changed by agreement between client and executor." (Russian
original: "Исключением может быть изменение приоритета, последовательности решения заявок
по согласованию клиента и Исполнителя.")

Issue 10, "Priority changes": a change after registration records who agreed
(``--agreed-by``, required unless the change only sets a priority where none was given).
While the reaction clock runs, raising the priority makes the deadline the earlier of the
current deadline and the change time plus the new target; lowering it makes the deadline
registration plus the new target; a breach that already happened stays a breach. The rule
is the sla.yaml setting ``reaction.priority_change`` (``from-change``, the default, or
``from-registration``: the target of the priority in force, counted from registration). A
ticket's reaction is reported under the priority it was judged by.

Times: Monday 2026-11-23, business hours 08:30–17:30 Moscow time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sccli.config import default_sla_text, parse_sla
from sccli.domain.clocks import PriorityChangeRule
from sccli.domain.events import PriorityChanged
from sccli.domain.model import EventKind, Priority
from sccli.store.codec import encode, event_from_data
from tests.conftest import Cli

NOW = "2026-11-30T12:00:00+03:00"


@pytest.fixture
def desk(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path / "ws", env={"SCCLI_NOW": NOW})
    cli.ok("init", at="2026-11-02T09:00")
    cli.ok("client", "add", "ACME", "--name", "Acme", "--system-url", "https://crm.acme.example",
           at="2026-11-02T09:00")
    cli.ok("contact", "set", "ACME", "it@acme.example", "--effective", "2026-11-02T09:00",
           at="2026-11-02T09:00")
    return cli


def from_registration(cli: Cli) -> None:
    path = cli.home / "sla.yaml"
    text = path.read_text(encoding="utf-8")
    assert "priority_change: from-change" in text  # the shipped default, documented there
    path.write_text(text.replace("priority_change: from-change",
                                 "priority_change: from-registration"), encoding="utf-8")


def add(cli: Cli, at: str, priority: str | None = "medium") -> str:
    args = ["--priority", priority] if priority else []
    return cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title",
                  "Report fails", *args, at=at).stdout.strip()


def agreed(cli: Cli, tid: str, priority: str, at: str) -> None:
    cli.ok("ticket", "set", tid, "--priority", priority, "--agreed-by",
           "it@acme.example, call", at=at)


def reaction(cli: Cli, tid: str, at: str) -> dict:
    """The reaction row of `sla status` (running clocks) at ``at``."""
    rows = cli.ok("sla", "status", "--format", "json", at=at).json()
    found = [r for r in rows if r["ticket"] == tid and r["clock"] == "reaction"]
    assert len(found) == 1, rows
    return found[0]


def explain(cli: Cli, tid: str, at: str) -> str:
    out = cli.ok("sla", "explain", tid, at=at).stdout
    return out.split("reaction:", 1)[1].split("\n\n", 1)[0]


def report(cli: Cli) -> dict[str, dict]:
    data = cli.ok("sla", "report", "--month", "2026-11", "--format", "json", at=NOW).json()
    return {row["priority"]: row for row in data["priorities"]}


# ---------------------------------------------------------------- raising


def test_raised_medium_to_critical_is_not_breached_retroactively(desk: Cli):
    """The audit's case: a 40-minute reaction, on time while the ticket was medium, raised
    to critical by agreement after 30 minutes: no retroactive breach."""
    tid = add(desk, "2026-11-23T10:00", "medium")
    agreed(desk, tid, "critical", "2026-11-23T10:30")
    row = reaction(desk, tid, "2026-11-23T10:35")
    # the earlier of 14:00 (medium, from registration) and 10:30 + 30 min
    assert (row["state"], row["deadline"]) == ("running", "2026-11-23T11:00:00+03:00")
    assert row["priority"] == "critical" and row["remaining_seconds"] == 25 * 60
    desk.ok("ticket", "respond", tid, "-m", "Looking into it", at="2026-11-23T10:40")
    trace = explain(desk, tid, "2026-11-23T12:00")
    assert trace.startswith(" met\n"), trace
    assert "counted from the priority change at 2026-11-23 10:30" in trace
    assert "since the priority change: 10 min of 30 min" in trace
    rows = report(desk)
    assert rows["critical"]["met"] == 1 and rows["critical"]["breached"] == 0
    assert "medium" not in rows  # judged by critical: the target that made the deadline


def test_raising_brings_the_deadline_forward_and_it_can_breach(desk: Cli):
    tid = add(desk, "2026-11-23T10:00", "medium")
    agreed(desk, tid, "critical", "2026-11-23T10:30")
    assert reaction(desk, tid, "2026-11-23T10:55")["state"] == "warning"  # 25 of 30 min
    row = reaction(desk, tid, "2026-11-23T11:01")
    assert (row["state"], row["deadline"]) == ("breached", "2026-11-23T11:00:00+03:00")
    assert row["remaining_seconds"] == -60


def test_raising_late_keeps_the_earlier_current_deadline(desk: Cli):
    """Raised at 13:50 to critical: change + 30 min = 14:20 is later than medium's 14:00."""
    tid = add(desk, "2026-11-23T10:00", "medium")
    agreed(desk, tid, "critical", "2026-11-23T13:50")
    row = reaction(desk, tid, "2026-11-23T13:55")
    assert row["deadline"] == "2026-11-23T14:00:00+03:00"
    assert row["priority"] == "medium"  # the target that made the deadline is medium's
    assert reaction(desk, tid, "2026-11-23T14:01")["state"] == "breached"


def test_from_registration_setting_counts_the_new_target_from_registration(desk: Cli):
    from_registration(desk)
    tid = add(desk, "2026-11-23T10:00", "medium")
    agreed(desk, tid, "critical", "2026-11-23T10:20")
    row = reaction(desk, tid, "2026-11-23T10:35")
    assert (row["state"], row["deadline"]) == ("breached", "2026-11-23T10:30:00+03:00")
    desk.ok("ticket", "respond", tid, "-m", "Looking into it", at="2026-11-23T10:40")
    assert explain(desk, tid, "2026-11-23T12:00").startswith(" met-late\n")
    assert report(desk)["critical"]["breached"] == 1


# ---------------------------------------------------------------- lowering


def test_lowering_counts_the_new_target_from_registration(desk: Cli):
    tid = add(desk, "2026-11-23T10:00", "critical")
    agreed(desk, tid, "medium", "2026-11-23T10:10")
    row = reaction(desk, tid, "2026-11-23T12:00")
    assert (row["state"], row["deadline"]) == ("running", "2026-11-23T14:00:00+03:00")
    assert row["priority"] == "medium" and row["remaining_seconds"] == 2 * 3600
    desk.ok("ticket", "respond", tid, "-m", "Looking into it", at="2026-11-23T13:00")
    assert report(desk)["medium"]["met"] == 1


def test_lowering_after_a_raise_never_brings_the_deadline_forward(desk: Cli):
    """medium → critical at 13:50 leaves 14:00; critical → high at 13:55 would give
    registration + 2 h = 12:00, a retroactive breach: the deadline stays 14:00."""
    tid = add(desk, "2026-11-23T10:00", "medium")
    agreed(desk, tid, "critical", "2026-11-23T13:50")
    agreed(desk, tid, "high", "2026-11-23T13:55")
    row = reaction(desk, tid, "2026-11-23T13:56")
    assert (row["state"], row["deadline"]) == ("warning", "2026-11-23T14:00:00+03:00")


# ---------------------------------------------------------------- a breach stays


@pytest.mark.parametrize("rule", ["from-change", "from-registration"])
def test_a_breach_that_happened_stays_a_breach(desk: Cli, rule: str):
    """Critical registered 10:00, breached at 10:30; lowered to low at 10:45: registration
    + 4 h would be 14:00, but a change after the deadline passed cannot erase the breach."""
    if rule == "from-registration":
        from_registration(desk)
    tid = add(desk, "2026-11-23T10:00", "critical")
    agreed(desk, tid, "low", "2026-11-23T10:45")
    row = reaction(desk, tid, "2026-11-23T11:00")
    assert (row["state"], row["deadline"]) == ("breached", "2026-11-23T10:30:00+03:00")
    assert row["priority"] == "critical"  # judged by the priority whose deadline passed
    desk.ok("ticket", "respond", tid, "-m", "Looking into it", at="2026-11-23T11:30")
    assert explain(desk, tid, "2026-11-23T12:00").startswith(" met-late\n")
    rows = report(desk)
    assert rows["critical"]["breached"] == 1 and "low" not in rows


def test_the_report_counts_the_reaction_under_the_priority_it_was_judged_by(desk: Cli):
    """Lowered after the response: the reaction was judged as high, and stays so."""
    tid = add(desk, "2026-11-23T10:00", "high")
    desk.ok("ticket", "respond", tid, "-m", "Looking into it", at="2026-11-23T10:30")
    agreed(desk, tid, "low", "2026-11-24T10:00")
    assert desk.ok("ticket", "show", tid, "--format", "json").json()["priority"] == "low"
    rows = report(desk)
    assert rows["high"]["met"] == 1 and "low" not in rows


# ---------------------------------------------------------------- who agreed


def test_changing_a_priority_without_agreement_is_refused_and_writes_nothing(desk: Cli):
    tid = add(desk, "2026-11-23T10:00", "medium")
    before = desk.ok("ticket", "show", tid, "--format", "json").json()
    result = desk("ticket", "set", tid, "--priority", "critical", at="2026-11-23T10:30")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "needs the client's agreement: --agreed-by" in result.stderr
    blank = desk("ticket", "set", tid, "--priority", "critical", "--agreed-by", "  ",
                 at="2026-11-23T10:30")
    assert blank.exit_code == 2 and "--agreed-by" in blank.stderr
    # with a source or an estimate alongside, none of them is recorded either
    both = desk("ticket", "set", tid, "--priority", "high", "--estimate", "2026-12-01T10:00",
                at="2026-11-23T10:30")
    assert both.exit_code == 2
    assert desk.ok("ticket", "show", tid, "--format", "json").json() == before
    lone = desk("ticket", "set", tid, "--agreed-by", "it@acme.example", at="2026-11-23T10:30")
    assert lone.exit_code == 2 and "--agreed-by goes with --priority" in lone.stderr


def test_agreement_is_recorded_and_shown(desk: Cli):
    tid = add(desk, "2026-11-23T10:00", "medium")
    desk.ok("ticket", "set", tid, "--priority", "Критичный", "--agreed-by",
            "it@acme.example, letter of 23.11", at="2026-11-23T10:30")
    shown = desk.ok("ticket", "show", tid, "--format", "json").json()
    assert shown["priority"] == "critical"
    text = desk.ok("ticket", "show", tid).stdout
    assert "agreed_by: it@acme.example, letter of 23.11" in text and "from: medium" in text


def test_a_first_priority_needs_no_agreement_and_counts_from_the_classification(desk: Cli):
    """Setting a priority where none was given is the executor's classification: no
    --agreed-by; the clock ran on the default (medium) target until then."""
    tid = add(desk, "2026-11-23T10:00", None)
    desk.ok("ticket", "set", tid, "--priority", "critical", at="2026-11-23T11:00")
    row = reaction(desk, tid, "2026-11-23T11:10")
    assert (row["state"], row["deadline"]) == ("running", "2026-11-23T11:30:00+03:00")
    # the next change is one of a priority given: it needs the agreement
    again = desk("ticket", "set", tid, "--priority", "low", at="2026-11-23T11:20")
    assert again.exit_code == 2 and "from critical to low" in again.stderr


# ---------------------------------------------------------------- setting and store


def test_the_setting_is_typed_and_defaults_to_from_change():
    text = default_sla_text()
    assert parse_sla(text, "sla.yaml").policy.priority_change is PriorityChangeRule.FROM_CHANGE
    alt = text.replace("priority_change: from-change", "priority_change: from-registration")
    policy = parse_sla(alt, "sla.yaml").policy
    assert policy.priority_change is PriorityChangeRule.FROM_REGISTRATION
    absent = text.replace("  priority_change: from-change\n", "")
    assert parse_sla(absent, "sla.yaml").policy.priority_change is PriorityChangeRule.FROM_CHANGE


def test_a_bad_setting_is_one_line_exit_2(desk: Cli):
    path = desk.home / "sla.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "priority_change: from-change", "priority_change: sometimes"), encoding="utf-8")
    result = desk("sla", "status")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "reaction.priority_change" in result.stderr
    assert "from-change, from-registration" in result.stderr


def test_old_priority_events_decode_and_new_ones_round_trip():
    old = event_from_data("ACME-1", 2, EventKind.PRIORITY_CHANGED,
                          __import__("datetime").datetime.fromisoformat(NOW), "x",
                          {"priority": "critical", "previous": "medium"})
    assert old.payload == PriorityChanged(priority=Priority.CRITICAL, previous=Priority.MEDIUM)
    new = PriorityChanged(priority=Priority.LOW, previous=Priority.HIGH, agreed_by="Olga")
    assert '"agreed_by": "Olga"' in encode(new)
    assert "agreed_by" not in encode(old.payload)  # old stores' rows stay as they were


def test_a_password_in_the_agreement_goes_to_the_vault(desk: Cli):
    tid = add(desk, "2026-11-23T10:00", "medium")
    desk.ok("ticket", "set", tid, "--priority", "high", "--agreed-by",
            "Olga by phone; test account: login ops.admin password: Adm1n!2026",
            at="2026-11-23T10:30")
    shown = desk.ok("ticket", "show", tid).stdout
    assert "Adm1n!2026" not in shown and "[secret:" in shown
    assert "Adm1n!2026" in desk.ok("ticket", "secret", tid).stdout
