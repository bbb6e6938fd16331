"""The client queue over time, through the CLI.

Contract ("How requests are handled"): "Requests are solved one after another: the
executor starts analysing a client's next request only after the previous one is solved.
Exception: the priority or order may be changed by agreement between client and
executor." (Russian original: "Заявки решаются последовательно. К анализу новой заявки
клиента Исполнитель приступает после решения предыдущей заявки. Исключением может быть
изменение приоритета, последовательности решения заявок по согласованию клиента и
Исполнителя.")

Issue 10, "Queue": an agreed move is durable and relative — "A before X" keeps A ahead of
X and changes nothing else; when X is solved or rejected, A keeps its place relative to
the remaining tickets. Moves recorded in the same second apply in recording order.
`critical-behind-queue` looks at every lesser ticket ahead, not only the head. `queue`
shows the agreements.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli

NOW = "2026-11-30T12:00:00+03:00"
AGREED = "it@acme.example, call 23.11"


@pytest.fixture
def desk(tmp_path: Path, db_target: str) -> Cli:
    cli = Cli(tmp_path / "ws", db=db_target, env={"SCCLI_NOW": NOW})
    cli.ok("init", at="2026-11-02T09:00")
    cli.ok("client", "add", "ACME", "--name", "Acme", "--system-url", "https://crm.acme.example",
           at="2026-11-02T09:00")
    cli.ok("contact", "set", "ACME", "it@acme.example", "--effective", "2026-11-02T09:00",
           at="2026-11-02T09:00")
    return cli


def add(cli: Cli, *priorities: str | None, hour: int = 9) -> list[str]:
    """One ticket per priority, registered a minute apart on Monday 2026-11-23 from 09:00."""
    out = []
    for i, priority in enumerate(priorities):
        args = ["--priority", priority] if priority else []
        out.append(cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.example",
                          "--title", f"Request {i + 1}", *args,
                          at=f"2026-11-23T{hour:02d}:{i:02d}").stdout.strip())
    return out


def order(cli: Cli, at: str = NOW) -> list[str]:
    rows = cli.ok("queue", "ACME", "--format", "json", at=at).json()
    assert [r["position"] for r in rows] == list(range(1, len(rows) + 1))
    return [r["ticket"] for r in rows]


def move(cli: Cli, tid: str, *where: str, at: str = "2026-11-23T11:00") -> None:
    cli.ok("queue", "move", tid, *where, "--agreed-by", AGREED, at=at)


def solve(cli: Cli, tid: str, at: str = "2026-11-24T10:00") -> None:
    cli.ok("ticket", "respond", tid, "-m", "Looking into it", at=at)
    cli.ok("ticket", "resolve", tid, "-m", "Fixed", at=at)


def test_a_before_x_changes_nothing_else(desk: Cli):
    t1, t2, t3, t4, t5 = add(desk, "low", "low", "low", "low", "low")
    move(desk, t5, "--before", t3)
    assert order(desk) == [t1, t2, t5, t3, t4]
    (t6,) = add(desk, "low", hour=12)  # a later request joins at the end
    assert order(desk) == [t1, t2, t5, t3, t4, t6]


@pytest.mark.parametrize("leave", ["solved", "rejected"])
def test_when_x_leaves_a_keeps_its_place_relative_to_the_rest(desk: Cli, leave: str):
    """The audit's case: A agreed before X; X solved → A used to jump to position 1,
    overtaking a ticket nobody agreed to."""
    b, x, c, a = add(desk, "low", "low", "low", "low")
    move(desk, a, "--before", x)
    assert order(desk) == [b, a, x, c]
    if leave == "solved":
        solve(desk, x)
    else:
        desk.ok("ticket", "reject", x, "--reason", "unreasonable", "-m",
                "A data migration project, not a support request", at="2026-11-24T10:00")
    assert order(desk) == [b, a, c]
    solve(desk, b, at="2026-11-25T10:00")
    assert order(desk) == [a, c]  # now A is in work: the agreement still holds


def test_a_medium_ticket_never_overtakes_the_critical_one_in_work(desk: Cli):
    """The audit's history: medium A agreed before low X; X solved put A ahead of the
    critical ticket in work."""
    critical, x, a = add(desk, "critical", "low", "medium")
    move(desk, a, "--before", x)
    solve(desk, x)
    assert order(desk) == [critical, a]


def test_an_anchor_that_was_moved_itself_keeps_its_place_after_leaving(desk: Cli):
    """X's place is where its own agreement put it (read back although X has left)."""
    t1, t2, x, a = add(desk, "low", "low", "low", "low")
    move(desk, x, "--before", t2, at="2026-11-23T10:00")
    move(desk, a, "--before", x, at="2026-11-23T10:30")
    assert order(desk) == [t1, a, x, t2]
    desk.ok("ticket", "reject", x, "--reason", "unreasonable", "-m", "A project",
            at="2026-11-24T10:00")
    assert order(desk) == [t1, a, t2]
    # as of before the rejection, X is still there
    assert order(desk, at="2026-11-23T12:00") == [t1, a, x, t2]


def test_moves_in_the_same_second_apply_in_recording_order(desk: Cli):
    """ACME-9 and ACME-10 moved to the head in the same second: the one recorded last is
    first (today the ticket-id text order decided, and ACME-9 beat ACME-10)."""
    ids = add(desk, *["low"] * 10)
    assert ids[8:] == ["ACME-9", "ACME-10"]
    move(desk, "ACME-9", "--first", at="2026-11-23T11:00:00")
    move(desk, "ACME-10", "--first", at="2026-11-23T11:00:00")
    assert order(desk)[:3] == ["ACME-10", "ACME-9", "ACME-1"]
    # the other way round in the next second
    move(desk, "ACME-10", "--first", at="2026-11-23T11:00:01")
    move(desk, "ACME-9", "--first", at="2026-11-23T11:00:01")
    assert order(desk)[:3] == ["ACME-9", "ACME-10", "ACME-1"]


def test_critical_behind_a_lesser_ticket_that_is_not_the_head(desk: Cli):
    head, lesser, critical = add(desk, "critical", "medium", "critical")
    rows = {r["ticket"]: r for r in desk.ok("triage", "--format", "json").json()}
    assert "critical-behind-queue" in rows[critical]["flags"]
    assert rows[critical]["ahead_of_critical"] == lesser
    assert f"sccli queue move {critical} --before {lesser} --agreed-by" in " ".join(
        rows[critical]["advice"])
    assert "critical-behind-queue" not in rows[head]["flags"]
    shown = {r["ticket"]: r for r in desk.ok("queue", "ACME", "--format", "json").json()}
    assert shown[critical]["note"] == f"critical behind {lesser}: propose a reorder to the client"
    # agreed: the critical ticket goes before the medium one, and the flag clears
    move(desk, critical, "--before", lesser)
    assert order(desk) == [head, critical, lesser]
    rows = {r["ticket"]: r for r in desk.ok("triage", "--format", "json").json()}
    assert "critical-behind-queue" not in rows[critical]["flags"]


def test_critical_behind_a_lesser_head_is_still_flagged_with_first(desk: Cli):
    lesser, critical = add(desk, "low", "critical")
    rows = {r["ticket"]: r for r in desk.ok("triage", "--format", "json").json()}
    assert rows[critical]["ahead_of_critical"] == lesser
    assert f"sccli queue move {critical} --first --agreed-by" in " ".join(
        rows[critical]["advice"])


def test_queue_shows_the_agreements(desk: Cli):
    t1, x, a = add(desk, "low", "low", "high")
    move(desk, a, "--before", x, at="2026-11-23T11:00")
    move(desk, t1, "--first", at="2026-11-23T11:05")
    rows = {r["ticket"]: r for r in desk.ok("queue", "ACME", "--format", "json").json()}
    assert rows[a]["agreements"] == [{
        "ticket": a, "before": x, "first": False, "agreed_by": AGREED,
        "at": "2026-11-23T11:00:00+03:00"}]
    assert rows[t1]["agreements"][0]["first"] is True
    assert rows[x]["agreements"] == []
    table = desk.ok("queue", "ACME").stdout
    assert f"{a} before {x} ({AGREED}, 2026-11-23 11:00)" in table
    assert f"{t1} first ({AGREED}, 2026-11-23 11:05)" in table
    solve(desk, x)  # durable: the agreement stays shown after X left
    table = desk.ok("queue", "ACME").stdout
    assert f"{a} before {x} ({AGREED}, 2026-11-23 11:00)" in table
