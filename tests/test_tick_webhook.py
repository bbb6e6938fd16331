"""`sccli tick` → the outbox → a real webhook on loopback, end to end through the CLI.

Issue 10: "Notices go through an outbox in the store: each notice is delivered exactly
once, retried on failure, visible with `sccli outbox [--pending]`. … Test the webhook
against a real HTTP server on loopback started by the test."

Contract: "Acceptance and testing after Resolved: 7 calendar days" («Приемка и
тестирование после статуса Решено: 7 календарных дней») — then the ticket is closed
automatically and the client is told.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from test_notify import HOOK_SECRET, Hook, answer
from test_tick import add, at, desk, msk


@pytest.fixture
def hook():
    """A webhook on 127.0.0.1 that refuses the first POST (500) and accepts the rest."""
    server = Hook(answer(500, "busy"), answer(200, "ok"))
    yield server
    server.close()


def route_all_to(cli, url: str) -> None:
    path = cli.home / "sccli.yaml"
    path.write_text(path.read_text(encoding="utf-8") + """
notify:
  channels:
    duty:
      transport: webhook
      format: json
      url: env:DUTY_HOOK
  routes:
    "*": [duty]
""", encoding="utf-8")
    cli.env["DUTY_HOOK"] = url


def tick_at(cli, when: datetime):
    cli.env["SCCLI_NOW"] = when.isoformat()
    return cli("tick", "--format", "json")


def test_auto_acceptance_notice_reaches_the_webhook_once_and_is_retried(tmp_path: Path, hook):
    cli = desk(tmp_path)
    route_all_to(cli, hook.url)
    tid = add(cli, msk(2026, 11, 23, 9, 0), "Report does not open", "medium")
    at(cli, msk(2026, 11, 23, 9, 10), "ticket", "respond", tid, "-m", "looking")
    at(cli, msk(2026, 11, 23, 15, 0), "ticket", "resolve", tid, "-m", "fixed the filter")
    # on time for acceptance up to 7 calendar days later, 15:00:00; closed one second after
    before = tick_at(cli, msk(2026, 11, 30, 15, 0))
    assert before.exit_code == 0, before.stderr
    assert not [f for f in before.json()["facts"] if f["fact"] == "auto-accepted"]
    run = tick_at(cli, msk(2026, 11, 30, 15, 1))
    assert run.exit_code == 5, (run.stdout, run.stderr)  # a delivery failed: retried later
    accepted = [f for f in run.json()["facts"] if f["fact"] == "auto-accepted"]
    assert len(accepted) == 1 and accepted[0]["ticket"] == tid
    assert len(hook.requests) == 1  # tried once, refused with 500
    outbox = cli.ok("outbox", "--pending", "--format", "json").json()
    (pending,) = [n for n in outbox if n["kind"] == "auto-accepted"]
    assert pending["deliveries"][0]["state"] == "pending"
    assert "HTTP 500" in pending["deliveries"][0]["last_error"]
    assert HOOK_SECRET not in str(outbox)  # the webhook's credential never shows
    # the retry waits for its backoff (1 min): a run 30 s later sends nothing
    assert tick_at(cli, msk(2026, 11, 30, 15, 1, 30)).exit_code == 0
    assert len(hook.requests) == 1
    assert tick_at(cli, msk(2026, 11, 30, 15, 3)).exit_code == 0
    assert len(hook.requests) == 2
    body = hook.requests[1]["body"]
    assert body["ticket"] == tid and body["kind"] == "auto-accepted"
    assert body["audience"] == "client"
    assert cli.ok("outbox", "--pending", "--format", "json").json() == []
    # later runs: the fact is recorded once and the notice delivered once
    for when in (msk(2026, 12, 1, 9, 0), msk(2026, 12, 7, 12, 0)):
        later = tick_at(cli, when)
        assert later.exit_code == 0
        assert not [f for f in later.json()["facts"] if f["ticket"] == tid]
    assert len(hook.requests) == 2
    show = cli.ok("ticket", "show", tid, "--format", "json").json()
    assert show["status"] == "closed"
    assert [e["kind"] for e in show["events"]].count("auto-accepted") == 1
    # and the ticket cannot be reopened after its acceptance window
    cli.env["SCCLI_NOW"] = (msk(2026, 12, 7, 12, 0) + timedelta(minutes=1)).isoformat()
    refused = cli("ticket", "reopen", tid, "-m", "still broken")
    assert refused.exit_code == 2 and "acceptance window" in refused.stderr
