"""Paths are resolved once, at start: a relative --home works for every command, sync and
escalation included (a local tracker's path is relative to the workspace)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli
from tests.sync.synchelp import add_ticket, configure, tracker


def test_a_relative_home_works_for_escalate_and_sync(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cli = Cli(Path("ws"), env={"SCCLI_VAULT": "file"})
    cli.ok("init")
    configure(cli)
    tid = add_ticket(cli, source="vendor-product")
    escalated = cli.ok("escalate", tid, "--format", "json").json()
    assert escalated["created"]
    cli.ok("ticket", "note", tid, "-m", "Client waits", "--public")
    out = cli.ok("sync", "--format", "json").json()
    assert [a["action"] for a in out["actions"]] == ["comment-out"]
    issues = list(tracker(cli, "vendor").records())
    assert len(issues) == 1 and (tmp_path / "ws" / "trackers" / "vendor").is_dir()
