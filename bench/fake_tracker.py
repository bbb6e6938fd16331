"""A small GitHub-like issues API on 127.0.0.1, for benchmarks (and manual experiments).

Speaks just enough of GitHub's REST API for sccli's ``github`` adapter: issue lists with
``since``/``state``/``sort``/``direction``/``labels`` and ``Link`` paging, one issue, its
comments, create, comment, ``/search/issues`` for markers, ``/user`` and the repo.
GETs carry an ``ETag``; ``If-None-Match`` gets a 304. Every request is counted, and an
injectable latency makes each one cost time like a real tracker. Timestamps have GitHub's
one-second resolution.

    server = FakeGitHub(latency=0.02).start()
    ... api_url=server.url ...
    server.counts  # {"GET": 21, "POST": 2000, "304": 1}
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

__all__ = ["FakeGitHub"]


def _stamp(when: float) -> str:
    return datetime.fromtimestamp(int(when), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGitHub:
    def __init__(self, repo: str = "acme/crm", latency: float = 0.0, per_page_max: int = 100,
                 clock=time.time):
        self.repo, self.latency, self.per_page_max, self.clock = repo, latency, per_page_max, clock
        self.issues: dict[int, dict] = {}
        self.comments: dict[int, dict] = {}
        self._numbers = itertools.count(1)
        self._comment_ids = itertools.count(1_000_001)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.log: list[tuple[str, str, int]] = []
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls per request

            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                fake.handle(self)

            do_GET = do_POST = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reset_counts(self) -> None:
        with self.lock:
            self.counts.clear()
            self.log.clear()

    # ------------------------------------------------------------------ the partner side
    def add_issue(self, title: str, body: str = "", labels=(), author: str = "partner") -> dict:
        now = _stamp(self.clock())
        issue = {"number": next(self._numbers), "title": title, "body": body, "state": "open",
                 "labels": list(labels), "author": author, "comments": [],
                 "created_at": now, "updated_at": now}
        self.issues[issue["number"]] = issue
        return issue

    def add_comment(self, number: int, body: str, author: str = "partner") -> dict:
        now = _stamp(self.clock())
        c = {"id": next(self._comment_ids), "issue": number, "body": body, "author": author,
             "created_at": now}
        self.comments[c["id"]] = c
        self.issues[number]["comments"].append(c["id"])
        self.issues[number]["updated_at"] = now
        return c

    # ------------------------------------------------------------------ shapes
    def _issue_json(self, i: dict) -> dict:
        n = i["number"]
        return {
            "id": 1_000_000 + n, "number": n, "title": i["title"], "body": i["body"],
            "state": i["state"], "labels": [{"name": name} for name in i["labels"]],
            "user": {"login": i["author"]}, "comments": len(i["comments"]),
            "created_at": i["created_at"], "updated_at": i["updated_at"],
            "html_url": f"https://github.example/{self.repo}/issues/{n}",
        }

    def _comment_json(self, c: dict) -> dict:
        return {"id": c["id"], "body": c["body"], "user": {"login": c["author"]},
                "created_at": c["created_at"], "updated_at": c["created_at"]}

    # ------------------------------------------------------------------ HTTP
    def handle(self, req: BaseHTTPRequestHandler) -> None:
        if self.latency:
            time.sleep(self.latency)
        parts = urlsplit(req.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(req.headers.get("Content-Length") or 0)
        payload = json.loads(req.rfile.read(length) or b"null") if length else None
        with self.lock:
            status, body, headers = self.route(req.command, parts.path, query, payload)
        text = json.dumps(body)
        out_headers = {"Content-Type": "application/json; charset=utf-8",
                       "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999"}
        out_headers.update(headers)
        if req.command == "GET" and status == 200:
            etag = 'W/"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
            out_headers["ETag"] = etag
            if req.headers.get("If-None-Match") == etag:
                status, text = 304, ""
        with self.lock:
            self.counts[req.command] += 1
            if status == 304:
                self.counts["304"] += 1
            self.log.append((req.command, req.path, status))
        data = text.encode()
        req.send_response(status)
        for key, value in out_headers.items():
            req.send_header(key, value)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def route(self, method: str, path: str, q: dict, payload) -> tuple[int, object, dict]:
        base = f"/repos/{self.repo}"
        if method == "GET" and path == "/user":
            return 200, {"login": "bench"}, {}
        if method == "GET" and path == base:
            return 200, {"full_name": self.repo, "has_issues": True,
                         "html_url": f"https://github.example/{self.repo}"}, {}
        if path == f"{base}/issues":
            if method == "POST":
                issue = self.add_issue(payload["title"], payload.get("body") or "",
                                       payload.get("labels") or (), author="sccli")
                return 201, self._issue_json(issue), {}
            return self._list(path, q)
        if method == "GET" and path == "/search/issues":
            m = re.search(r"sccli:ticket=(\S+?)\"", q.get("q", ""))
            wanted = f"sccli:ticket={m.group(1)}" if m else "sccli:ticket"
            items = [self._issue_json(i) for i in self.issues.values() if wanted in i["body"]]
            return 200, {"total_count": len(items), "items": items[:100]}, {}
        m = re.fullmatch(rf"{re.escape(base)}/issues/(\d+)(/comments)?", path)
        if m:
            n = int(m.group(1))
            issue = self.issues.get(n)
            if issue is None:
                return 404, {"message": "Not Found"}, {}
            if m.group(2):
                if method == "POST":
                    c = self.add_comment(n, payload["body"], author="sccli")
                    return 201, self._comment_json(c), {}
                return 200, [self._comment_json(self.comments[c]) for c in issue["comments"]], {}
            return 200, self._issue_json(issue), {}
        return 404, {"message": "Not Found"}, {}

    def _list(self, path: str, q: dict) -> tuple[int, object, dict]:
        items = list(self.issues.values())
        if q.get("state", "open") != "all":
            items = [i for i in items if i["state"] == q.get("state", "open")]
        if q.get("labels"):
            items = [i for i in items if q["labels"] in i["labels"]]
        if q.get("since"):
            items = [i for i in items if i["updated_at"] >= q["since"]]
        key = "updated_at" if q.get("sort") == "updated" else "created_at"
        items.sort(key=lambda i: (i[key], i["number"]), reverse=q.get("direction") == "desc")
        per_page = min(int(q.get("per_page", 30)), self.per_page_max)
        page = int(q.get("page", 1))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            nxt = urlencode({**q, "page": page + 1})
            headers["Link"] = f'<{self.url}{path}?{nxt}>; rel="next"'
        return 200, [self._issue_json(i) for i in chunk], headers
