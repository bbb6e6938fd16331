"""The ticket lifecycle, written out by hand from the contract and DESIGN.md "Statuses".

The statuses, the steps and every legal transition are listed literally here, never read
from the code's own table: a transition removed from (or added to) the code fails the
status × step matrix below. What the lifecycle records (priority, source, estimates,
rejection reasons) is checked through the CLI, as a user sees it.

DESIGN.md "Statuses": "new → in progress → (awaiting client ⇄ in progress) → resolved →
closed (accepted by the client, or automatically 7 calendar days after "resolved");
resolved → reopened → in progress; any open state → rejected (reason: not from the
authorized person / not solvable in reasonable time remotely / client hardware or no
remote access). Illegal transitions are refused with a clear message."
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sccli.domain.lifecycle import allowed_commands, next_status
from sccli.domain.model import DomainError, EventKind, Status
from tests.conftest import Cli

STATUSES = ("new", "in-progress", "awaiting-client", "resolved", "reopened", "closed", "rejected")
OPEN = ("new", "in-progress", "awaiting-client", "reopened")  # where the service can be refused
FINAL = ("closed", "rejected")

# Each step (event kind) and the command a user types for it. "auto-accepted" has no
# command: it is the acceptance clock running out, recorded by sccli itself.
KINDS = ("responded", "asked", "answered", "resolved", "accepted", "auto-accepted", "reopened",
         "rejected")
COMMAND = {"responded": "respond", "asked": "ask", "answered": "answer", "resolved": "resolve",
           "accepted": "accept", "reopened": "reopen", "rejected": "reject"}

# (status, step) → the status it leads to. Every pair not listed must be refused.
LEGAL = {
    # The executor's response stops the reaction clock. Contract, "Service levels":
    # "reaction time, critical priority | 30 minutes" (2 hours high, 4 hours medium and low);
    # DESIGN.md: "new → in progress", "resolved → reopened → in progress".
    ("new", "responded"): "in-progress",
    ("in-progress", "responded"): "in-progress",
    ("reopened", "responded"): "in-progress",
    # "The client answers the executor's clarifying questions within 2 business days."
    # DESIGN.md: "(awaiting client ⇄ in progress)"; a question is also a first reaction.
    ("new", "asked"): "awaiting-client",
    ("in-progress", "asked"): "awaiting-client",
    ("reopened", "asked"): "awaiting-client",
    ("awaiting-client", "answered"): "in-progress",
    # Contract over time: "From awaiting-client the executor may ask again (another round)
    # or resolve (the acceptance window then runs), so a ticket whose client never answers
    # can end."
    ("awaiting-client", "asked"): "awaiting-client",
    ("awaiting-client", "resolved"): "resolved",
    # "Acceptance and testing after a request is set to "Resolved" ("Решено"): 7 calendar
    # days." A request in work (or awaiting the client, above) can be resolved, not a new one.
    ("in-progress", "resolved"): "resolved",
    # The same sentence: within the 7 days the client accepts; after them the request is
    # accepted automatically (DESIGN.md: "closed (accepted by the client, or automatically
    # 7 calendar days after "resolved")").
    ("resolved", "accepted"): "closed",
    ("resolved", "auto-accepted"): "closed",
    # The client's testing finds the request not solved. DESIGN.md: "resolved → reopened →
    # in progress".
    ("resolved", "reopened"): "reopened",
    # "The executor may refuse the service when: the problem cannot be solved in reasonable
    # time by e-mail, the portal or remote connection; the request did not come from the
    # client's authorized person; the problem is caused by broken client hardware or missing
    # remote access that the client does not fix or provide." DESIGN.md: "any open state →
    # rejected". A resolved request only waits on the client's acceptance: nothing is left
    # to refuse, so it is accepted or reopened, not rejected.
    **{(status, "rejected"): "rejected" for status in OPEN},
}


def expected_commands(status: str) -> set[str]:
    """The commands a user may type next in ``status``, from LEGAL above."""
    return {COMMAND[kind] for (st, kind) in LEGAL if st == status and kind in COMMAND}


def test_the_statuses_are_the_contracts():
    assert {s.value for s in Status} == set(STATUSES)
    assert {EventKind(kind).value for kind in KINDS} == set(KINDS)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_step_in_every_status_is_legal_or_refused_with_the_allowed_steps(status, kind):
    expected = LEGAL.get((status, kind))
    if expected is not None:
        assert next_status(Status(status), EventKind(kind)) is Status(expected)
        return
    with pytest.raises(DomainError) as err:
        next_status(Status(status), EventKind(kind))
    message = str(err.value)
    assert status in message
    allowed = expected_commands(status)
    assert set(allowed_commands(Status(status))) == allowed
    for command in allowed:
        assert command in message


def test_final_statuses_allow_no_step_and_open_ones_allow_rejection():
    for status in FINAL:
        assert expected_commands(status) == set() and allowed_commands(Status(status)) == []
    for status in OPEN:
        assert "reject" in allowed_commands(Status(status))


# ------------------------------------------------------------------ through the CLI
NOW = "2026-11-25T11:00:00+03:00"  # the clock (SCCLI_NOW); every write below is before it


@pytest.fixture
def desk(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path / "ws", env={"SCCLI_NOW": NOW})
    cli.ok("init", at="2026-11-02T09:00")
    cli.ok("client", "add", "ACME", "--name", "Acme", "--system-url", "https://crm.acme.example",
           at="2026-11-02T09:00")
    cli.ok("contact", "set", "ACME", "it@acme.example", "--effective", "2026-11-02T09:00",
           at="2026-11-02T09:00")
    return cli


def add(cli: Cli, at: str, *extra: str, title: str = "Report fails") -> str:
    return cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title",
                  title, "--at", at, *extra, at=at).stdout.strip()


def show(cli: Cli, tid: str) -> dict:
    return cli.ok("ticket", "show", tid, "--format", "json", at=NOW).json()


def test_state_is_derived_from_the_steps(desk: Cli):
    tid = add(desk, "2026-11-23T09:00", "--priority", "low")
    steps = [
        ("2026-11-23T10:00", ("ticket", "ask", tid, "-m", "Which page?"), "awaiting-client"),
        ("2026-11-23T11:00", ("ticket", "answer", tid, "-m", "The report page"), "in-progress"),
        ("2026-11-23T12:00", ("ticket", "set", tid, "--priority", "critical",
                              "--agreed-by", "client, call"), "in-progress"),
        ("2026-11-23T12:30", ("ticket", "set", tid, "--source", "vendor-product", "--party",
                              "vendor"), "in-progress"),
        ("2026-11-23T13:00", ("ticket", "set", tid, "--estimate", "2026-12-01T10:00"),
         "in-progress"),
        ("2026-11-23T14:00", ("ticket", "resolve", tid, "-m", "done"), "resolved"),
    ]
    for at, args, status in steps:
        desk.ok(*args, at=at)
        assert show(desk, tid)["status"] == status, args
    shown = show(desk, tid)
    assert shown["priority"] == "critical"
    assert (shown["source"], shown["party"]) == ("vendor-product", "vendor")
    assert shown["estimate"] == "2026-12-01T10:00:00+03:00"
    assert [e["kind"] for e in shown["events"]] == [
        "registered", "asked", "answered", "priority-changed", "source-set", "estimate-set",
        "resolved"]
    # the question was the first reaction: it stopped the reaction clock
    explain = desk.ok("sla", "explain", tid, at=NOW).stdout
    reaction = explain.split("reaction:", 1)[1].split("\n\n", 1)[0]
    assert "stopped: 2026-11-23T10:00:00+03:00" in reaction
    # "resolved" started the 7 calendar days of acceptance
    clocks = desk.ok("sla", "status", "--format", "json", at=NOW).json()
    assert [(c["ticket"], c["clock"], c["start"], c["deadline"]) for c in clocks] == [
        (tid, "acceptance", "2026-11-23T14:00:00+03:00", "2026-11-30T14:00:00+03:00")]


def test_an_accepted_ticket_is_closed_and_a_reopened_one_goes_back_to_work(desk: Cli):
    tid = add(desk, "2026-11-23T09:00")
    for at, step, status in (("2026-11-23T09:30", "respond", "in-progress"),
                             ("2026-11-23T12:00", "resolve", "resolved"),
                             ("2026-11-23T15:00", "reopen", "reopened"),
                             ("2026-11-23T15:10", "respond", "in-progress"),
                             ("2026-11-24T10:00", "resolve", "resolved"),
                             ("2026-11-24T12:00", "accept", "closed")):
        out = desk.ok("ticket", step, tid, "-m", step, at=at).stdout.strip()
        assert out == f"{tid}: {status}"
        assert show(desk, tid)["status"] == status


def test_rejection_records_its_reason(desk: Cli):
    tid = add(desk, "2026-11-23T09:00")
    desk.ok("ticket", "ask", tid, "--need", "remote-access", at="2026-11-23T09:10")
    desk.ok("ticket", "reject", tid, "--reason", "no-access", "-m", "no remote access",
            at="2026-11-23T09:20")
    shown = show(desk, tid)
    assert shown["status"] == "rejected"
    last = shown["events"][-1]
    assert last["kind"] == "rejected" and last["data"]["reason"] == "no-access"
    rejected = desk.ok("ticket", "list", "--status", "rejected", "--format", "json", at=NOW).json()
    assert [r["id"] for r in rejected] == [tid]


def test_final_statuses_refuse_annotations(desk: Cli):
    closed = add(desk, "2026-11-23T09:00")
    for at, step in (("2026-11-23T09:30", "respond"), ("2026-11-23T12:00", "resolve"),
                     ("2026-11-23T15:00", "accept")):
        desk.ok("ticket", step, closed, "-m", step, at=at)
    rejected = add(desk, "2026-11-23T10:00")
    desk.ok("ticket", "reject", rejected, "--reason", "unreasonable", "-m", "x",
            at="2026-11-23T10:10")
    for tid in (closed, rejected):
        before = show(desk, tid)
        for args in (("--priority", "high"), ("--source", "client-infrastructure"),
                     ("--estimate", "2026-12-01T10:00")):
            result = desk("ticket", "set", tid, *args, at="2026-11-24T09:00")
            assert result.exit_code == 2 and "nothing can be changed" in result.stderr, args
        assert show(desk, tid) == before
    resolved = add(desk, "2026-11-23T11:00")
    desk.ok("ticket", "respond", resolved, "-m", "on it", at="2026-11-23T11:10")
    desk.ok("ticket", "resolve", resolved, "-m", "done", at="2026-11-23T12:00")
    desk.ok("ticket", "note", resolved, "-m", "waiting for the client's test",
            at="2026-11-23T12:10")
    shown = show(desk, resolved)
    assert shown["status"] == "resolved" and shown["events"][-1]["kind"] == "note"


def test_extending_the_estimate_needs_a_reason(desk: Cli):
    tid = add(desk, "2026-11-23T09:00")
    desk.ok("ticket", "respond", tid, "-m", "on it", at="2026-11-23T09:30")
    desk.ok("ticket", "set", tid, "--estimate", "2026-12-01T10:00", at="2026-11-23T10:00")
    for reason in ((), ("--reason", "  ")):  # the first estimate needed none; an extension does
        result = desk("ticket", "set", tid, "--estimate", "2026-12-04T17:00", *reason,
                      at="2026-11-24T10:00")
        assert result.exit_code == 2 and "reason" in result.stderr, reason
    assert show(desk, tid)["estimate"] == "2026-12-01T10:00:00+03:00"
    desk.ok("ticket", "set", tid, "--estimate", "2026-12-04T17:00", "--reason",
            "new problems found", at="2026-11-24T10:00")
    shown = show(desk, tid)
    assert shown["estimate"] == "2026-12-04T17:00:00+03:00"
    ledger = [e["data"] for e in shown["events"] if e["kind"] == "estimate-set"]
    assert [(d["estimate"], d.get("reason")) for d in ledger] == [
        ("2026-12-01T10:00:00+03:00", None),
        ("2026-12-04T17:00:00+03:00", "new problems found")]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("critical", "critical"),
        ("Критичный", "critical"),
        ("ВЫСОКИЙ", "high"),
        (" средний ", "medium"),
        ("Низкий", "low"),
        ("low", "low"),
    ],
)
def test_priority_accepts_english_and_russian(desk: Cli, text, expected):
    tid = add(desk, "2026-11-23T09:00", "--priority", text)
    assert show(desk, tid)["priority"] == expected
    changed = add(desk, "2026-11-23T09:05", "--priority", "low" if expected != "low" else "high")
    desk.ok("ticket", "set", changed, "--priority", text, "--agreed-by", "client",
            at="2026-11-23T09:10")
    assert show(desk, changed)["priority"] == expected


def test_unknown_values_list_the_choices(desk: Cli):
    bad = desk("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title", "t",
               "--priority", "urgentissimo", at="2026-11-23T09:00")
    assert bad.exit_code == 2 and "Критичный" in bad.stderr
    bad = desk("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title", "t",
               "--channel", "pigeon", at="2026-11-23T09:00")
    assert bad.exit_code == 2 and "portal" in bad.stderr
    assert desk.ok("ticket", "list", "--format", "json", at=NOW).json() == []


def test_phone_and_messenger_are_billable_email_and_portal_are_not(desk: Cli):
    ids = {channel: add(desk, f"2026-11-23T09:0{i}", "--channel", channel)
           for i, channel in enumerate(("email", "portal", "phone", "messenger"))}
    rows = desk.ok("billing", "--month", "2026-11", "--format", "json", at=NOW).json()
    assert {r["ticket"]: r["reasons"] for r in rows} == {
        ids["phone"]: ["phone channel"], ids["messenger"]: ["messenger channel"]}
