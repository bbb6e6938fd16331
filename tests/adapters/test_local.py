"""The local (directory) tracker: the contract, plus what only a file store can promise."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from contract import AdapterContract

from sccli.adapters.base import NotFound, ValidationError
from sccli.adapters.local import LocalAdapter, LocalTracker


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)  # every write is a distinct instant
        return self.now


class LocalBackend:
    secret = ""

    def __init__(self, path, clock):
        self.partner = LocalTracker(path, now=clock)
        self.clock = clock

    def human_issue(self, title, body=""):
        return self.partner.add_issue(title, body)["id"]

    def human_comment(self, issue_id, body, author="alice"):
        self.partner.add_comment(issue_id, body, author)

    def human_close(self, issue_id):
        self.partner.set_state(issue_id, "closed")

    def tick(self):
        self.clock.now += timedelta(seconds=2)

    def bad_credentials(self):
        return None


@pytest.fixture
def tracker(tmp_path):
    clock = Clock()
    adapter = LocalAdapter("demo", {"path": str(tmp_path / "tracker")}, None, lambda ref: "",
                           now=clock)
    return adapter, LocalBackend(tmp_path / "tracker", clock)


class TestLocalContract(AdapterContract):
    pass


def test_files_are_plain_json_and_writes_leave_no_temporaries(tracker):
    adapter, _ = tracker
    issue = adapter.create("ACME-1", "Title", "Body")
    adapter.comment(issue.id, "hi", "ACME-1/e1")
    files = sorted(p.name for p in adapter.tracker.path.iterdir())
    assert files == ["1.json"]
    data = json.loads((adapter.tracker.path / "1.json").read_text())
    assert data["ticket"] == "ACME-1" and data["comments"][0]["origin"] == "ACME-1/e1"


def test_partner_helper_changes_state_and_bumps_updated_at(tracker):
    adapter, backend = tracker
    issue = adapter.create("ACME-2", "Title", "Body")
    backend.partner.set_state(issue.id, "closed")
    got = adapter.get(issue.id)
    assert got.state == "closed" and got.updated_at > issue.updated_at
    with pytest.raises(ValidationError):
        backend.partner.set_state(issue.id, "resolved")


def test_ids_are_numeric_and_never_reused_by_concurrent_writers(tmp_path):
    one, two = LocalTracker(tmp_path), LocalTracker(tmp_path)
    ids = [one.add_issue("a")["id"], two.add_issue("b")["id"], one.add_issue("c")["id"]]
    assert ids == ["1", "2", "3"]


def test_bad_ids_are_not_found(tracker):
    adapter, _ = tracker
    for bad in ("../etc/passwd", "abc", "42"):
        with pytest.raises(NotFound):
            adapter.get(bad)


def test_missing_path_is_a_clear_error():
    with pytest.raises(Exception, match="required key 'path'"):
        LocalAdapter("demo", {}, None, lambda ref: "")


def test_directory_is_created(tmp_path):
    adapter = LocalAdapter("demo", {"path": str(tmp_path / "a" / "b")}, None, lambda ref: "")
    assert "0 issues" in adapter.check()
