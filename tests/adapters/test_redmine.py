"""Redmine adapter against a stateful ``responses`` fake that copies Redmine 5's quirks.

Quirks reproduced from a live Redmine 5.0 (see tests/servers/redmine.sh): closed issues only
with ``status_id=*``; ``updated_on>=T`` returns issues from T−1 s; ``limit`` ≤ 100; list
items carry no journals; descriptions come back with CRLF; PUT answers 204; 401 with an
empty body for a bad key; 422 ``{"errors": [...]}``; weak ETags and 304s.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from contract import AdapterContract, FakeTime

from sccli.adapters.base import TrackerError
from sccli.adapters.http import HttpFactory
from sccli.adapters.redmine import RedmineAdapter

URL = "http://redmine.test"
KEY = "583f6bd1986bb07f80f909a9e8708b08d900080d"
STATUSES = [
    {"id": 1, "name": "New", "is_closed": False},
    {"id": 2, "name": "In Progress", "is_closed": False},
    {"id": 5, "name": "Closed", "is_closed": True},
    {"id": 6, "name": "Rejected", "is_closed": True},
]
PRIORITIES = [{"id": i, "name": n, "is_default": n == "Normal", "active": True}
              for i, n in enumerate(["Low", "Normal", "High", "Urgent", "Immediate"], 1)]
ADMIN = {"id": 1, "name": "Redmine Admin"}


class FakeRedmine:
    def __init__(self, time: FakeTime, project: str = "support"):
        self.time, self.project, self.secret = time, project, KEY
        self.issues: dict[int, dict] = {}
        self.ids = itertools.count(1)
        self.journal_ids = itertools.count(1)
        self.requests: list[tuple[str, str, int]] = []
        self.factory: HttpFactory | None = None

    def install(self, rsps):
        for method in ("GET", "POST", "PUT"):
            rsps.add_callback(method, re.compile(re.escape(URL) + r"/.*"), callback=self.handle)

    def stamp(self) -> str:
        return datetime.fromtimestamp(int(self.time.now), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # ---------------------------------------------------------------- shapes
    def issue_json(self, i: dict, journals: bool = False) -> dict:
        status = next(s for s in STATUSES if s["id"] == i["status_id"])
        prio = next(p for p in PRIORITIES if p["id"] == i["priority_id"])
        out = {
            "id": i["id"], "project": {"id": 1, "name": self.project.capitalize()},
            "tracker": {"id": 1, "name": "Bug"}, "status": dict(status),
            "priority": {"id": prio["id"], "name": prio["name"]}, "author": i["author"],
            "subject": i["subject"], "description": i["description"], "start_date": None,
            "due_date": None, "done_ratio": 0, "is_private": False, "estimated_hours": None,
            "created_on": i["created_on"], "updated_on": i["updated_on"],
            "closed_on": i["updated_on"] if status["is_closed"] else None,
        }
        if journals:
            out["journals"] = i["journals"]
        return out

    def answer(self, req, status, body):
        text = json.dumps(body) if body is not None else ""
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if req.method == "GET" and status == 200:
            etag = 'W/"' + hashlib.md5(text.encode()).hexdigest() + '"'
            headers["ETag"] = etag
            if req.headers.get("If-None-Match") == etag:
                status, text = 304, ""
        self.requests.append((req.method, req.url, status))
        return status, headers, text

    # ---------------------------------------------------------------- partner side
    def add_issue(self, subject, description="", author=None) -> dict:
        now = self.stamp()
        issue = {"id": next(self.ids), "subject": subject,
                 "description": (description or "").replace("\n", "\r\n"),
                 "status_id": 1, "priority_id": 2, "author": author or ADMIN,
                 "created_on": now, "updated_on": now, "journals": []}
        self.issues[issue["id"]] = issue
        return issue

    def add_note(self, issue, notes, user=None, private=False):
        issue["journals"].append({"id": next(self.journal_ids), "user": user or ADMIN,
                                  "notes": notes.replace("\n", "\r\n"),
                                  "created_on": self.stamp(), "private_notes": private,
                                  "details": []})

    def human_issue(self, title, body=""):
        return str(self.add_issue(title, body, {"id": 2, "name": "Alice Partner"})["id"])

    def human_comment(self, issue_id, body, author="alice"):
        issue = self.issues[int(issue_id)]
        self.add_note(issue, body, {"id": 2, "name": author})
        issue["updated_on"] = self.stamp()

    def human_close(self, issue_id):
        issue = self.issues[int(issue_id)]
        issue["status_id"] = 5  # Closed
        issue["updated_on"] = self.stamp()

    def tick(self):
        self.time.advance(2)

    def bad_credentials(self):
        return make_adapter(self.factory, "wrong-secret-value")

    # ---------------------------------------------------------------- routing
    def handle(self, req):
        if req.headers.get("X-Redmine-API-Key") != KEY:
            self.requests.append((req.method, req.url, 401))
            return 401, {"WWW-Authenticate": 'Basic realm="Redmine API"'}, ""
        parts = urlsplit(req.url)
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path, body = parts.path, json.loads(req.body) if req.body else {}
        if path == "/users/current.json":
            return self.answer(req, 200, {"user": {"id": 1, "login": "admin", "admin": True,
                                                   "api_key": KEY}})
        if path == f"/projects/{self.project}.json":
            return self.answer(req, 200, {"project": {"id": 1, "identifier": self.project}})
        if path == "/issue_statuses.json":
            return self.answer(req, 200, {"issue_statuses": STATUSES})
        if path == "/enumerations/issue_priorities.json":
            return self.answer(req, 200, {"issue_priorities": PRIORITIES})
        if path == "/issues.json" and req.method == "POST":
            fields = body["issue"]
            if not (fields.get("subject") or "").strip():
                return self.answer(req, 422, {"errors": ["Subject cannot be blank"]})
            issue = self.add_issue(fields["subject"], fields.get("description"))
            issue["priority_id"] = fields.get("priority_id", 2)
            return self.answer(req, 201, {"issue": self.issue_json(issue)})
        if path == "/issues.json":
            return self.list(req, q)
        m = re.fullmatch(r"/issues/(\d+)\.json", path)
        if not m or int(m.group(1)) not in self.issues:
            return self.answer(req, 404, None)
        issue = self.issues[int(m.group(1))]
        if req.method == "PUT":
            return self.put(req, issue, body["issue"])
        return self.answer(req, 200, {"issue": self.issue_json(issue, q.get("include") ==
                                                               "journals")})

    def put(self, req, issue, fields):
        if fields.get("notes"):
            self.add_note(issue, fields["notes"])
        issue["updated_on"] = self.stamp()
        return self.answer(req, 204, None)

    def list(self, req, q):
        items = [i for i in self.issues.values() if q.get("project_id") == self.project]
        closed = {s["id"] for s in STATUSES if s["is_closed"]}
        status = q.get("status_id", "open")
        if status == "open":
            items = [i for i in items if i["status_id"] not in closed]
        elif status == "closed":
            items = [i for i in items if i["status_id"] in closed]
        elif status != "*":
            items = [i for i in items if i["status_id"] == int(status)]
        if q.get("updated_on", "").startswith(">="):
            since = datetime.fromisoformat(q["updated_on"][2:].replace("Z", "+00:00"))
            floor = (since - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")  # Redmine 5
            items = [i for i in items if i["updated_on"] >= floor]
        if q.get("description", "").startswith("~"):
            needle = q["description"][1:].lower()
            items = [i for i in items if needle in i["description"].lower()]
        keys = [k.split(":")[0] for k in q.get("sort", "id:desc").split(",")]
        desc = q.get("sort", "id:desc").split(",")[0].endswith(":desc")
        field = {"id": "id", "updated_on": "updated_on"}
        items.sort(key=lambda i: tuple(i[field[k]] for k in keys), reverse=desc)
        offset, limit = int(q.get("offset", 0)), min(int(q.get("limit", 25)), 100)
        return self.answer(req, 200, {
            "issues": [self.issue_json(i) for i in items[offset:offset + limit]],
            "total_count": len(items), "offset": offset, "limit": limit,
        })


def make_adapter(factory, key=KEY, **config):
    cfg = {"url": URL, "api_key": "env:REDMINE_KEY", "project": "support", **config}
    return RedmineAdapter("partner-rm", cfg, factory, lambda ref: key)


@pytest.fixture
def time():
    return FakeTime()


@pytest.fixture
def fake(time):
    rm = FakeRedmine(time)
    rm.factory = HttpFactory(sleep=time.sleep, clock=time.clock, rng=lambda: 0.5)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rm.install(rsps)
        yield rm


@pytest.fixture
def tracker(fake):
    return make_adapter(fake.factory), fake


class TestRedmineContract(AdapterContract):
    pass


# -------------------------------------------------------------------- Redmine specifics
def test_marker_is_the_last_line_of_the_description(tracker):
    adapter, fake = tracker
    issue = adapter.create("ACME-12", "Title", "Line one\nLine two")
    assert fake.issues[int(issue.id)]["description"] == (
        "Line one\r\nLine two\r\n\r\nsccli:ticket=ACME-12")
    assert issue.body == "Line one\nLine two"


def test_a_note_is_never_retried(tracker, fake):
    adapter, _ = tracker
    issue = adapter.create("ACME-1", "t", "b")
    calls = []
    original = fake.put

    def flaky(req, i, fields):
        calls.append(fields)
        if "notes" in fields:
            original(req, i, fields)  # applied, but the answer is lost
            return 502, {}, ""
        return original(req, i, fields)

    fake.put = flaky
    with pytest.raises(TrackerError):
        adapter.comment(issue.id, "once", "ACME-1/e1")
    assert len(calls) == 1 and len(fake.issues[int(issue.id)]["journals"]) == 1


def test_private_and_status_only_journals_are_not_comments(tracker, fake):
    adapter, _ = tracker
    issue = adapter.create("ACME-2", "t", "b")
    raw = fake.issues[int(issue.id)]
    fake.add_note(raw, "internal only", private=True)
    raw["journals"].append({"id": 99, "user": ADMIN, "notes": "", "created_on": fake.stamp(),
                            "private_notes": False, "details": [{"property": "attr"}]})
    assert adapter.get(issue.id).comments == ()


def test_unknown_priority_is_a_validation_error(tracker):
    adapter, _ = tracker
    with pytest.raises(TrackerError, match="known: Low, Normal"):
        adapter.create("ACME-5", "t", "b", priority="whenever")


def test_changed_since_survives_an_edit_while_paging(tracker, fake):
    adapter, _ = tracker
    adapter.page_size = 2
    ids = [fake.human_issue(f"i{n}") for n in range(5)]
    fake.tick()
    seen = []
    for issue in adapter.changed_since(None):
        seen.append(issue.id)
        if len(seen) == 1:  # someone edits the first issue meanwhile: it jumps to the end
            fake.issues[int(ids[0])]["updated_on"] = fake.stamp()
    assert set(ids) <= set(seen)


def test_missing_project_is_named_in_check(fake):
    adapter = make_adapter(fake.factory, project="nope")
    with pytest.raises(TrackerError, match="project 'nope'"):
        adapter.check()


def test_required_keys_are_enforced():
    with pytest.raises(TrackerError, match="required key 'project'"):
        RedmineAdapter("x", {"url": URL, "api_key": "env:K"}, None, lambda r: KEY)
