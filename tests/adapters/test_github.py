"""GitHub adapter against a stateful ``responses`` fake shaped like GitHub's REST docs.

The fake answers as GitHub does: issue lists mix in pull requests, ``Link`` headers with
``rel="next"``/``rel="last"`` pointing at ``/repositories/{id}/issues``, ``x-ratelimit-*``
on every answer, weak ETags with 304s that cost no quota, 401 ``Bad credentials`` and 422
``{"message": "Validation Failed", "errors": [...]}``; search is word-based and can lag.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses
from contract import AdapterContract, FakeTime

from sccli.adapters.base import RateLimited
from sccli.adapters.github import GitHubAdapter, next_link
from sccli.adapters.http import HttpFactory

API = "https://api.github.com"
REPO = "acme/crm"
TOKEN = "ghp_" + "A1b2C3d4" * 4 + "zz"
DOCS = "https://docs.github.com/rest"


class FakeGitHub:
    def __init__(self, time: FakeTime, token: str = TOKEN):
        self.time, self.token, self.secret = time, token, token
        self.issues: dict[int, dict] = {}
        self.comments: dict[int, dict] = {}
        self.numbers = itertools.count(1)
        self.comment_ids = itertools.count(1_000_001)
        self.remaining = 5000
        self.lagging = False  # issues created meanwhile are not in the search index yet
        self.unindexed: set[int] = set()
        self.queued: list[tuple[int, dict, dict]] = []  # forced answers, first in first out
        self.log: list[tuple[str, str, int]] = []
        self.factory: HttpFactory | None = None

    # ---------------------------------------------------------------- wiring
    def install(self, rsps: responses.RequestsMock) -> None:
        for method in ("GET", "POST"):
            rsps.add_callback(method, re.compile(re.escape(API) + r"/.*"), callback=self.handle)

    def stamp(self) -> str:
        return datetime.fromtimestamp(int(self.time.now), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def user(self, login: str) -> dict:
        return {"login": login, "id": 583231, "type": "User", "site_admin": False,
                "html_url": f"https://github.com/{login}"}

    def headers(self, resource: str = "core") -> dict:
        return {
            "x-ratelimit-limit": "5000", "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(5000 - self.remaining), "x-ratelimit-resource": resource,
            "x-ratelimit-reset": str(int(self.time.now) + 3600),
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
        }

    def answer(self, req, status: int, body, extra: dict | None = None, resource="core"):
        headers = self.headers(resource)
        headers.update(extra or {})
        text = json.dumps(body) if body is not None else ""
        if req.method == "GET" and status == 200:
            etag = 'W/"' + hashlib.sha256(text.encode()).hexdigest() + '"'
            headers["ETag"] = etag
            if req.headers.get("If-None-Match") == etag:
                self.log.append((req.method, req.url, 304))
                return 304, headers, ""  # GitHub: a 304 costs no quota
        self.remaining -= 1
        headers["x-ratelimit-remaining"] = str(self.remaining)
        self.log.append((req.method, req.url, status))
        return status, headers, text

    def error(self, req, status: int, message: str, errors=None, docs=DOCS):
        body = {"message": message, "documentation_url": docs}
        if errors is not None:
            body["errors"] = errors
        return self.answer(req, status, body)

    # ---------------------------------------------------------------- shapes
    def issue_json(self, issue: dict) -> dict:
        n = issue["number"]
        out = {
            "id": 1_000_000 + n, "node_id": f"I_kwDO{n:06d}",
            "url": f"{API}/repos/{REPO}/issues/{n}",
            "repository_url": f"{API}/repos/{REPO}",
            "comments_url": f"{API}/repos/{REPO}/issues/{n}/comments",
            "html_url": f"https://github.com/{REPO}/{'pull' if issue.get('pr') else 'issues'}/{n}",
            "number": n, "state": issue["state"], "state_reason": issue.get("state_reason"),
            "title": issue["title"], "body": issue["body"], "user": self.user(issue["author"]),
            "labels": [{"id": abs(hash(name)) % 10**9, "name": name, "color": "ededed",
                        "default": False, "description": None} for name in issue["labels"]],
            "assignee": None, "assignees": [], "milestone": None, "locked": False,
            "comments": len(issue["comments"]), "created_at": issue["created_at"],
            "updated_at": issue["updated_at"],
            "closed_at": issue["updated_at"] if issue["state"] == "closed" else None,
            "author_association": "OWNER",
        }
        if issue.get("pr"):
            out["pull_request"] = {"url": f"{API}/repos/{REPO}/pulls/{n}",
                                   "html_url": f"https://github.com/{REPO}/pull/{n}",
                                   "merged_at": None}
        return out

    def comment_json(self, c: dict) -> dict:
        return {"id": c["id"], "node_id": f"IC_{c['id']}",
                "html_url": f"https://github.com/{REPO}/issues/{c['issue']}#issuecomment-{c['id']}",
                "body": c["body"], "user": self.user(c["author"]),
                "created_at": c["created_at"], "updated_at": c["created_at"],
                "author_association": "NONE"}

    # ---------------------------------------------------------------- partner side
    def add_issue(self, title, body="", author="alice", labels=(), pr=False) -> dict:
        n = next(self.numbers)
        now = self.stamp()
        issue = {"number": n, "title": title, "body": body, "state": "open", "author": author,
                 "labels": list(labels), "comments": [], "created_at": now, "updated_at": now,
                 "pr": pr}
        self.issues[n] = issue
        if self.lagging:
            self.unindexed.add(n)
        return issue

    def add_comment(self, n: int, body: str, author: str) -> dict:
        c = {"id": next(self.comment_ids), "issue": n, "body": body, "author": author,
             "created_at": self.stamp()}
        self.comments[c["id"]] = c
        self.issues[n]["comments"].append(c["id"])
        self.issues[n]["updated_at"] = c["created_at"]
        return c

    def edit(self, n: int, **fields) -> None:
        self.issues[n].update(fields)
        self.issues[n]["updated_at"] = self.stamp()

    # Backend protocol used by the contract
    def human_issue(self, title, body=""):
        return str(self.add_issue(title, body)["number"])

    def human_comment(self, issue_id, body, author="alice"):
        self.add_comment(int(issue_id), body, author)

    def human_close(self, issue_id):
        self.edit(int(issue_id), state="closed", state_reason="completed")

    def tick(self):
        self.time.advance(2)

    def bad_credentials(self):
        return make_adapter(self.factory, "wrong-secret-value")

    # ---------------------------------------------------------------- routing
    def handle(self, req):
        if self.queued:
            status, headers, body = self.queued.pop(0)
            self.log.append((req.method, req.url, status))
            return status, headers, json.dumps(body)
        if req.headers.get("Authorization") != f"Bearer {self.token}":
            return self.error(req, 401, "Bad credentials")
        parts = urlsplit(req.url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        body = json.loads(req.body) if req.body else {}
        base = f"/repos/{REPO}"
        if path == "/user":
            return self.answer(req, 200, self.user("octocat"))
        if path == base:
            return self.answer(req, 200, {"id": 1, "full_name": REPO, "has_issues": True,
                                          "html_url": f"https://github.com/{REPO}",
                                          "permissions": {"admin": False, "push": True}})
        if path in (f"{base}/issues", "/repositories/1/issues"):
            if req.method == "POST":
                return self.create(req, body)
            return self.list_issues(req, query)
        if path == "/search/issues":
            return self.search(req, query)
        m = re.fullmatch(rf"{base}/issues/(\d+)(/comments)?", path)
        if not m or int(m.group(1)) not in self.issues:
            return self.error(req, 404, "Not Found")
        issue = self.issues[int(m.group(1))]
        if m.group(2):
            if req.method == "POST":
                if not body.get("body"):
                    return self.error(req, 422, "Validation Failed",
                                      [{"resource": "IssueComment", "code": "missing_field",
                                        "field": "body"}])
                c = self.add_comment(issue["number"], body["body"], "octocat")
                return self.answer(req, 201, self.comment_json(c))
            items = [self.comment_json(self.comments[i]) for i in issue["comments"]]
            return self.page(req, query, items)
        return self.answer(req, 200, self.issue_json(issue))

    def create(self, req, body):
        if not body.get("title"):
            return self.error(req, 422, "Validation Failed",
                              [{"resource": "Issue", "code": "missing_field", "field": "title"}],
                              docs=f"{DOCS}/issues/issues#create-an-issue")
        issue = self.add_issue(body["title"], body.get("body") or "", "octocat",
                               body.get("labels") or [])
        data = self.issue_json(issue)
        return self.answer(req, 201, data, {"Location": data["url"]})

    def list_issues(self, req, q):
        items = list(self.issues.values())
        state = q.get("state", "open")
        if state != "all":
            items = [i for i in items if i["state"] == state]
        if "labels" in q:
            wanted = set(q["labels"].split(","))
            items = [i for i in items if wanted <= set(i["labels"])]
        if "since" in q:
            items = [i for i in items if i["updated_at"] >= q["since"]]
        key = {"updated": "updated_at", "created": "created_at"}[q.get("sort", "created")]
        items.sort(key=lambda i: (i[key], i["number"]), reverse=q.get("direction") != "asc")
        return self.page(req, q, [self.issue_json(i) for i in items],
                         link_path="/repositories/1/issues")

    def search(self, req, q):
        text = q["q"]
        phrase = re.search(r'"([^"]+)"', text)
        assert f"repo:{REPO}" in text and "is:issue" in text and "in:body" in text, text
        words = re.findall(r"\w+", phrase.group(1).lower()) if phrase else []

        def matches(issue):
            tokens = re.findall(r"\w+", issue["body"].lower())
            return any(tokens[i:i + len(words)] == words for i in range(len(tokens)))

        items = [self.issue_json(i) for n, i in sorted(self.issues.items())
                 if not i.get("pr") and n not in self.unindexed and matches(i)]
        start, per = self.window(q)
        body = {"total_count": len(items), "incomplete_results": False,
                "items": items[start:start + per]}
        return self.answer(req, 200, body, self.links(req, q, len(items), "/search/issues"),
                           resource="search")

    def window(self, q) -> tuple[int, int]:
        per = min(int(q.get("per_page", 30)), 100)
        return (int(q.get("page", 1)) - 1) * per, per

    def links(self, req, q, total, link_path=None) -> dict:
        start, per = self.window(q)
        page, last = int(q.get("page", 1)), max(1, -(-total // per))
        path = link_path or urlsplit(req.url).path

        def url(p):
            return f"{API}{path}?" + urlencode({**q, "page": p})

        rels = []
        if page < last:
            rels += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
        if page > 1:
            rels += [f'<{url(1)}>; rel="first"', f'<{url(page - 1)}>; rel="prev"']
        return {"Link": ", ".join(rels)} if rels else {}

    def page(self, req, q, items, link_path=None):
        start, per = self.window(q)
        return self.answer(req, 200, items[start:start + per],
                           self.links(req, q, len(items), link_path))


def make_adapter(factory, token=TOKEN, **config):
    cfg = {"repo": REPO, "token": "env:GITHUB_TOKEN", **config}
    return GitHubAdapter("partner-gh", cfg, factory, lambda ref: token)


@pytest.fixture
def time():
    return FakeTime()


@pytest.fixture
def fake(time):
    gh = FakeGitHub(time)
    gh.factory = HttpFactory(sleep=time.sleep, clock=time.clock, rng=lambda: 0.5)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        gh.install(rsps)
        yield gh


@pytest.fixture
def tracker(fake):
    return make_adapter(fake.factory), fake


class TestGitHubContract(AdapterContract):
    pass


# -------------------------------------------------------------------- GitHub specifics
def test_pull_requests_are_skipped(tracker):
    adapter, fake = tracker
    fake.add_issue("A PR", "code", pr=True)
    fake.add_issue("A real issue")
    assert [i.title for i in adapter.changed_since(None)] == ["A real issue"]


def test_paging_follows_link_headers_to_repositories_urls(tracker):
    adapter, fake = tracker
    adapter.page_size = 2
    for n in range(5):
        fake.add_issue(f"issue {n}")
    assert len(list(adapter.changed_since(None))) == 5
    gets = [url for method, url, _ in fake.log if method == "GET"]
    assert sum("/repositories/1/issues" in u for u in gets) == 2  # pages 2 and 3


def test_unchanged_newest_first_listing_costs_one_request(tracker):
    adapter, fake = tracker
    adapter.page_size = 2
    for n in range(5):
        fake.add_issue(f"issue {n}")
    since = datetime(2025, 1, 1, tzinfo=UTC)
    assert len(list(adapter.changed_since(since))) == 5  # three pages
    before = len(fake.log)
    again = list(adapter.changed_since(since))
    assert len(fake.log) - before == 1 and fake.log[-1][2] == 304  # page 1 unchanged: stop
    assert len(again) == 2
    fake.tick()
    fake.edit(int(again[-1].id), title="edited")  # an edit lands on the newest-first page 1
    before = len(fake.log)
    changed = list(adapter.changed_since(since))
    assert changed[0].title == "edited" and len(changed) == 5
    assert all(status == 200 for _, _, status in fake.log[before:] if _ == "GET")


def test_next_link_parsing():
    header = ('<https://api.github.com/repositories/1/issues?page=2>; rel="next", '
              '<https://api.github.com/repositories/1/issues?page=5>; rel="last"')
    assert next_link(header) == "https://api.github.com/repositories/1/issues?page=2"
    assert next_link('<https://x/?page=1>; rel="prev"') is None
    assert next_link(None) is None


def test_unchanged_list_is_a_free_304(tracker):
    adapter, fake = tracker
    fake.add_issue("one")
    since = datetime(2025, 1, 1, tzinfo=UTC)
    first = list(adapter.changed_since(since))
    remaining = fake.remaining
    again = list(adapter.changed_since(since))
    assert again == first
    assert fake.remaining == remaining  # no quota spent
    assert fake.factory.not_modified == 1
    assert fake.log[-1][2] == 304


def test_marker_is_hidden_comment_and_label(tracker):
    adapter, fake = tracker
    issue = adapter.create("ACME-12", "Title", "Body text")
    raw = fake.issues[int(issue.id)]
    assert raw["body"] == "Body text\n\n<!-- sccli:ticket=ACME-12 -->"
    assert "sccli" in raw["labels"] and "sccli" not in issue.labels


def test_find_by_marker_falls_back_to_label_when_search_lags(tracker):
    adapter, fake = tracker
    fake.lagging = True
    issue = adapter.create("ACME-7", "Title", "Body")
    assert adapter.find_by_marker("ACME-7").id == issue.id
    assert any("labels=sccli" in url for _, url, _ in fake.log)


def test_marked_issues_include_ones_whose_label_was_removed(tracker):
    adapter, fake = tracker
    a = adapter.create("ACME-1", "a", "x")
    b = adapter.create("ACME-2", "b", "y")
    fake.issues[int(b.id)]["labels"] = []
    assert {i.id for i in adapter.marked_issues()} == {a.id, b.id}


def test_writes_are_spaced_a_second_apart(tracker, time):
    adapter, fake = tracker
    issue = adapter.create("ACME-3", "t", "b")
    adapter.comment(issue.id, "one", "ACME-3/e1")
    adapter.comment(issue.id, "two", "ACME-3/e2")
    writes = [i for i, (m, _, _) in enumerate(fake.log) if m == "POST"]
    assert len(writes) == 3
    assert time.sleeps.count(1.0) >= 2


def test_validation_error_carries_githubs_explanation(tracker):
    adapter, _ = tracker
    with pytest.raises(Exception) as caught:
        adapter.create("ACME-4", "", "no title")
    assert "Validation Failed" in str(caught.value) and "title" in str(caught.value)


def test_primary_rate_limit_beyond_max_wait_raises_rate_limited(tracker, time):
    adapter, fake = tracker
    reset = int(time.now) + 1800
    fake.queued.append((403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset),
                              "x-ratelimit-limit": "5000"},
                        {"message": "API rate limit exceeded for user ID 1.",
                         "documentation_url": DOCS}))
    with pytest.raises(RateLimited) as caught:
        list(adapter.changed_since(None))
    assert caught.value.reset_at.timestamp() >= reset
    assert TOKEN not in str(caught.value)


def test_secondary_rate_limit_with_retry_after_is_waited_out(tracker, time):
    adapter, fake = tracker
    fake.queued.append((403, {"retry-after": "30"},
                        {"message": "You have exceeded a secondary rate limit.",
                         "documentation_url": DOCS}))
    adapter.create("ACME-5", "t", "b")  # a POST, retried because nothing was done
    assert 30.0 in time.sleeps
    assert len(fake.issues) == 1


def test_check_names_user_and_repository(tracker):
    adapter, _ = tracker
    assert adapter.check() == "authenticated as octocat on github.com/acme/crm"
