"""The adapter contract against a real Redmine (started by ``tests/servers/redmine.sh``).

Locally the tests skip with the reason when no server answers; with
``SCCLI_REQUIRE_SERVERS=1`` (CI) a missing server is a failure. Each test gets a fresh
project, so listings see only that test's issues; the project is deleted afterwards.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters"))
from contract import AdapterContract  # noqa: E402

from sccli.adapters.http import HttpFactory  # noqa: E402
from sccli.adapters.redmine import RedmineAdapter  # noqa: E402

pytestmark = pytest.mark.integration

URL = os.environ.get("REDMINE_URL", "http://127.0.0.1:3000").rstrip("/")
KEY_FILE = Path(os.environ.get("PEERS_DIR", "/tmp/sccli-peers")) / "redmine" / "api_key"
START = "bash tests/servers/redmine.sh start"


def _api_key() -> str | None:
    if os.environ.get("REDMINE_API_KEY"):
        return os.environ["REDMINE_API_KEY"]
    try:
        return KEY_FILE.read_text().strip() or None
    except OSError:
        return None


def _unavailable(reason: str):
    if os.environ.get("SCCLI_REQUIRE_SERVERS") == "1":
        pytest.fail(f"Redmine required (SCCLI_REQUIRE_SERVERS=1) but {reason}", pytrace=False)
    pytest.skip(f"no Redmine server: {reason}; run `{START}`")


@pytest.fixture(scope="session")
def live():
    key = _api_key()
    if not key:
        _unavailable(f"no API key in $REDMINE_API_KEY or {KEY_FILE}")
    session = requests.Session()
    session.headers.update({"X-Redmine-API-Key": key, "Content-Type": "application/json"})
    try:
        resp = session.get(f"{URL}/users/current.json", timeout=5)
    except requests.RequestException as exc:
        _unavailable(f"{URL} does not answer ({type(exc).__name__})")
    if resp.status_code != 200:
        _unavailable(f"{URL}/users/current.json answered HTTP {resp.status_code} for the key")
    return session, key


class LiveBackend:
    def __init__(self, session: requests.Session, key: str, project: str):
        self.session, self.secret, self.project = session, key, project

    def human_issue(self, title, body=""):
        resp = self.session.post(f"{URL}/issues.json", json={"issue": {
            "project_id": self.project, "subject": title, "description": body}}, timeout=10)
        assert resp.status_code == 201, resp.text
        return str(resp.json()["issue"]["id"])

    def human_comment(self, issue_id, body, author="alice"):
        resp = self.session.put(f"{URL}/issues/{issue_id}.json",
                                json={"issue": {"notes": body}}, timeout=10)
        assert resp.status_code in (200, 204), resp.text

    def human_close(self, issue_id):
        statuses = self.session.get(f"{URL}/issue_statuses.json", timeout=10).json()
        closed = next(s["id"] for s in statuses["issue_statuses"] if s.get("is_closed"))
        resp = self.session.put(f"{URL}/issues/{issue_id}.json",
                                json={"issue": {"status_id": closed}}, timeout=10)
        assert resp.status_code in (200, 204), resp.text

    def tick(self):
        time.sleep(1.1)  # Redmine keeps whole seconds

    def bad_credentials(self):
        return _adapter(self.project, "wrong-secret-value")


def _adapter(project: str, key: str) -> RedmineAdapter:
    config = {"url": URL, "api_key": "env:REDMINE_API_KEY", "project": project}
    return RedmineAdapter("live-redmine", config, HttpFactory(timeout=(5, 20)), lambda ref: key)


@pytest.fixture
def tracker(live):
    session, key = live
    project = f"sccli-{uuid.uuid4().hex[:10]}"
    resp = session.post(f"{URL}/projects.json", json={"project": {
        "name": project, "identifier": project, "is_public": False}}, timeout=10)
    assert resp.status_code == 201, resp.text
    try:
        yield _adapter(project, key), LiveBackend(session, key, project)
    finally:
        session.delete(f"{URL}/projects/{project}.json", timeout=30)


class TestRedmineLiveContract(AdapterContract):
    pass


def test_conditional_get_is_answered_with_304(tracker):
    adapter, _ = tracker
    adapter.create("LIVE-1", "etag", "body")
    factory = adapter.http.factory
    list(adapter.marked_issues())
    list(adapter.marked_issues())
    assert factory.not_modified >= 1


def test_updated_on_filter_is_off_by_one_second_and_deduped(tracker):
    adapter, backend = tracker
    first = adapter.create("LIVE-2", "first", "body")
    backend.tick()
    second = adapter.create("LIVE-3", "second", "body")
    assert second.updated_at > first.updated_at
    got = [i.id for i in adapter.changed_since(second.updated_at)]
    assert got == [second.id]


def test_sync_round_trip_against_the_real_server(tracker, live, tmp_path):
    """`sccli escalate` + `sccli sync` with a Redmine tracker: one issue, the reply pulled
    once, the public note sent once, nothing echoed, no secret on the server."""
    from tests.conftest import Cli

    adapter, backend = tracker
    _, key = live
    cli = Cli(tmp_path / "ws", env={"REDMINE_API_KEY": key, "SCCLI_VAULT": "file"})
    cli.ok("init")
    (cli.home / "sccli.yaml").write_text(f"""\
executor:
  name: Programmnye Tekhnologii
  email: crm.support@samarasoft.com
parties:
  vendor:
    kind: vendor
    title: BPMSoft
    language: ru
    tracker: vendor-redmine
trackers:
  vendor-redmine:
    adapter: redmine
    url: {URL}
    project: {backend.project}
    api_key: env:REDMINE_API_KEY
""", encoding="utf-8")
    assert "authenticated as" in cli.ok("tracker", "check", "vendor-redmine").stdout
    cli.ok("client", "add", "ACME", "--name", "Акме", "--system-url", "https://crm.acme.ru")
    tid = cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title",
                 "Ошибка платформы", "--body", "логин: admin пароль: Live-Pa55!").stdout.strip()
    cli.ok("ticket", "set", tid, "--source", "vendor-product")
    escalated = cli.ok("escalate", tid, "--format", "json").json()
    assert escalated["created"] and escalated["tracker"] == "vendor-redmine"
    remote = escalated["remote"]
    backend.tick()
    backend.human_comment(remote, "Воспроизвели, исправим в 1.9")
    cli.ok("ticket", "note", tid, "-m", "Клиент ждёт исправления", "--public")
    first = cli.ok("sync", "--format", "json").json()
    kinds = sorted(a["action"] for a in first["actions"])
    assert kinds == ["comment-in", "comment-out"], first
    again = cli.ok("sync", "--format", "json").json()
    assert again["actions"] == [], again
    issue = adapter.get(remote)
    assert [c.body for c in issue.comments if c.origin is None] == ["Воспроизвели, исправим в 1.9"]
    assert len([c for c in issue.comments if c.origin]) == 1
    assert "Live-Pa55!" not in issue.body and "[secret:" in issue.body
    notes = [e for e in cli.ok("ticket", "show", tid, "--format", "json").json()["events"]
             if e["kind"] == "note" and e["data"].get("origin")]
    assert [n["data"]["message"] for n in notes] == ["Воспроизвели, исправим в 1.9"]
    assert [i.ticket for i in adapter.marked_issues()] == [tid]
