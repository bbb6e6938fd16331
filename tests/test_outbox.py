"""The outbox: each notice delivered once, retried with backoff on temporary failure, marked
failed on a permanent one, visible with `sccli outbox [--pending]`.

Issue 10: "Notices go through an outbox in the store: each notice is delivered exactly
once, retried on failure, visible with `sccli outbox [--pending]`."
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sccli.notify import Channels, DeliveryError, Notice
from sccli.store import open_store
from sccli.store.migrations import LATEST, tables_at
from sccli.usecases.outbox import MAX_ATTEMPTS, backoff
from tests.conftest import Cli

MSK = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=MSK)  # Monday, business hours


class Flaky:
    """Fails the first ``failures`` sends (temporary, or permanent), then accepts."""

    name = "hook"

    def __init__(self, failures: int, retry: bool = True) -> None:
        self.failures, self.retry = failures, retry
        self.calls: list[str] = []
        self.sent: list[Notice] = []

    def send(self, notice: Notice) -> None:
        self.calls.append(notice.key)
        if len(self.calls) <= self.failures:
            raise DeliveryError(f"HTTP 503 from hook (attempt {len(self.calls)})",
                                retry=self.retry)
        self.sent.append(notice)


def use(monkeypatch, transport) -> None:
    channels = Channels({"hook": transport}, {"engineers": ("hook",)})
    monkeypatch.setattr("sccli.notify.channels.channels_from", lambda settings: channels)


def desk(tmp_path: Path, db: str | None = None) -> Cli:
    cli = Cli(tmp_path / "ws", db=db, env={"SCCLI_NOW": "2026-11-23T08:00:00+03:00"})
    cli.ok("init")
    cli.ok("client", "add", "ACME", "--name", "Acme")
    cli.env["SCCLI_NOW"] = "2026-11-23T09:00:00+03:00"
    cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title",
           "Nobody can log in", "--priority", "critical")
    return cli


def at(cli: Cli, when: datetime, *args: str):
    cli.env["SCCLI_NOW"] = when.isoformat()
    return cli(*args)


def deliveries(cli: Cli) -> list[dict]:
    return [d for row in cli.ok("outbox", "--format", "json").json() for d in row["deliveries"]]


def test_backoff_doubles_from_one_minute_to_six_hours():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(20) == timedelta(hours=6)


def test_temporary_failures_are_retried_with_backoff_then_delivered_once(tmp_path, monkeypatch):
    hook = Flaky(failures=2)
    use(monkeypatch, hook)
    cli = desk(tmp_path)
    first = at(cli, T0, "tick")  # records the breach (09:30:01) and tries at once
    assert first.exit_code == 5 and "to be retried" in first.stderr
    (d,) = deliveries(cli)
    assert d["state"] == "pending" and d["attempts"] == 1
    assert d["next_attempt_at"] == (T0 + timedelta(minutes=1)).isoformat()
    assert "HTTP 503" in d["last_error"]
    # not due yet: nothing tried
    assert at(cli, T0 + timedelta(seconds=30), "outbox", "deliver").exit_code == 0
    assert len(hook.calls) == 1
    # second attempt fails: the next waits 2 minutes
    assert at(cli, T0 + timedelta(minutes=1), "outbox", "deliver").exit_code == 5
    (d,) = deliveries(cli)
    assert d["attempts"] == 2 and d["next_attempt_at"] == (T0 + timedelta(minutes=3)).isoformat()
    pending = cli.ok("outbox", "--pending").stdout
    assert "reaction-breached" in pending and "hook: pending" in pending
    # third attempt succeeds; nothing is sent again afterwards
    ok = at(cli, T0 + timedelta(minutes=3), "outbox", "deliver", "--format", "json")
    assert ok.exit_code == 0 and len(ok.json()["delivered"]) == 1
    (d,) = deliveries(cli)
    assert d["state"] == "delivered" and d["attempts"] == 3 and d["last_error"] is None
    assert d["delivered_at"] == (T0 + timedelta(minutes=3)).isoformat()
    for minutes in (10, 60, 600):
        assert at(cli, T0 + timedelta(minutes=minutes), "tick").exit_code == 0
    assert len(hook.sent) == 1 and len(hook.calls) == 3
    assert cli.ok("outbox", "--pending", "--format", "json").json() == []


def test_permanent_failure_is_marked_failed_and_not_retried(tmp_path, monkeypatch):
    hook = Flaky(failures=1, retry=False)
    use(monkeypatch, hook)
    cli = desk(tmp_path)
    result = at(cli, T0, "tick")
    assert result.exit_code == 5 and "failed for good" in result.stderr
    (d,) = deliveries(cli)
    assert d["state"] == "failed" and "HTTP 503" in d["last_error"]
    assert at(cli, T0 + timedelta(days=1), "outbox", "deliver").exit_code == 0
    assert len(hook.calls) == 1
    assert "hook: failed" in cli.ok("outbox").stdout


def test_gives_up_after_max_attempts(tmp_path, monkeypatch):
    hook = Flaky(failures=100)
    use(monkeypatch, hook)
    cli = desk(tmp_path)
    when = T0
    at(cli, when, "tick")
    for _ in range(MAX_ATTEMPTS + 3):
        when += timedelta(hours=7)  # past every backoff
        at(cli, when, "outbox", "deliver")
    assert len(hook.calls) == MAX_ATTEMPTS
    (d,) = deliveries(cli)
    assert d["state"] == "failed" and d["attempts"] == MAX_ATTEMPTS


def test_a_claim_whose_run_died_is_taken_again_after_its_lease(tmp_path, monkeypatch):
    hook = Flaky(failures=0)
    use(monkeypatch, hook)
    cli = desk(tmp_path)
    at(cli, T0, "tick", "--dry-run")  # nothing queued by a dry run
    monkeypatch.setattr("sccli.usecases.tick.deliver", lambda ws, channels, now: _died())
    with pytest.raises(RuntimeError):  # the run records, then dies before sending
        _tick_in_process(cli, T0)
    (d,) = deliveries(cli)
    assert d["state"] == "pending"
    store = open_store(None, cli.home)
    try:
        (nid, channel), = store.due_deliveries(T0)
        with store.transaction():
            assert store.claim_delivery(nid, channel, T0, T0 + timedelta(minutes=5))
        # another run within the lease does not take it
        with store.transaction():
            assert store.claim_delivery(nid, channel, T0 + timedelta(minutes=1),
                                        T0 + timedelta(minutes=6)) is None
    finally:
        store.close()
    assert at(cli, T0 + timedelta(minutes=1), "outbox", "deliver").exit_code == 0
    assert hook.sent == []
    assert at(cli, T0 + timedelta(minutes=6), "outbox", "deliver").exit_code == 0
    assert len(hook.sent) == 1


def _died():
    raise RuntimeError("killed")


def _tick_in_process(cli: Cli, when: datetime):
    from sccli.app import App
    from sccli.notify.channels import channels_from
    from sccli.usecases.tick import tick

    app = App(home=str(cli.home), clock=when.isoformat())
    try:
        return tick(app, channels_from(app.settings))
    finally:
        app.close()


def test_outbox_empty_and_schema(tmp_path, db_target):
    cli = Cli(tmp_path / "ws", db=db_target, env={"SCCLI_NOW": "2026-11-23T08:00:00+03:00"})
    cli.ok("init")
    assert "the outbox is empty" in cli.ok("outbox").stdout
    assert "no notice is waiting for delivery" in cli.ok("outbox", "--pending").stdout
    assert cli.ok("outbox", "--pending", "--format", "json").json() == []
    assert {"notices", "deliveries"} <= tables_at(LATEST)
    bad = cli("outbox", "--format", "xml")
    assert bad.exit_code == 2


def test_outbox_on_postgres_with_retries(tmp_path, pg_url, monkeypatch):
    hook = Flaky(failures=1)
    use(monkeypatch, hook)
    cli = desk(tmp_path, pg_url)
    assert at(cli, T0, "tick").exit_code == 5
    assert at(cli, T0 + timedelta(minutes=1), "outbox", "deliver").exit_code == 0
    (d,) = deliveries(cli)
    assert d["state"] == "delivered" and d["attempts"] == 2 and len(hook.sent) == 1
