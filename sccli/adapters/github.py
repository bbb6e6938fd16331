"""GitHub Issues (REST API v3, github.com or GitHub Enterprise Server).

Marker: a hidden HTML comment ``<!-- sccli:ticket=ACME-12 -->`` as the body's last line
(invisible when rendered, survives edits through sccli) plus the label ``sccli`` so marked
issues can be listed cheaply. ``find_by_marker`` asks the search API first and, because the
search index lags behind writes, falls back to the ``sccli``-labelled issues; every hit is
re-checked against the exact marker (search is word-based: ACME-12 also matches ACME-12.1)
and against its author: only an issue the token's own account opened is ours. Accounts are
named by login (``GET /user``).
Pull requests come back from the issues endpoints too and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from itertools import chain
from typing import Any
from urllib.parse import urlsplit

from sccli.adapters.base import (
    Adapter,
    Capabilities,
    NotFound,
    RemoteComment,
    RemoteIssue,
    TrackerError,
    comment_marker,
    issue_marker,
    parse_comment_marker,
    parse_issue_marker,
    parse_time,
    strip_markers,
    with_marker,
)
from sccli.adapters.http import HttpFactory
from sccli.schema import Field, ListOf, SecretRef, Str

MARKER_LABEL = "sccli"
API_VERSION = "2022-11-28"
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def next_link(link_header: str | None) -> str | None:
    """The ``rel="next"`` URL of an RFC 8288 Link header, as GitHub sends it."""
    match = _NEXT.search(link_header or "")
    return match.group(1) if match else None


class GitHubAdapter(Adapter):
    kind = "github"
    capabilities = Capabilities(
        comments=True, labels=True, priorities=False, transitions=False,
        conditional_requests=True, marker_search=True,
    )
    config_schema = {
        "repo": Field(Str(pattern=r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+", expected="owner/name"),
                      required=True),
        "token": Field(SecretRef(), required=True),
        "api_url": Field(Str(pattern=r"https?://\S+", expected="an http(s) URL"),
                         default="https://api.github.com"),
        "labels": Field(ListOf(Str()), default=list),
    }

    def __init__(self, name, config, http_factory, secret, *, etag_cache=None):
        super().__init__(name, config, http_factory, secret)
        self.repo: str = self.config["repo"]
        self.extra_labels: list[str] = list(self.config["labels"] or [])
        token = secret(self.config["token"])
        factory = http_factory or HttpFactory()
        self.http = factory.client(
            self.config["api_url"],
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
            write_interval=1.0,  # GitHub: serial writes, at least a second apart
            etag_cache={} if etag_cache is None else etag_cache,
            name=f"github {self.repo}",
        )
        self._account: str | None = None

    # ------------------------------------------------------------------ plumbing
    def _paged(
        self, path: str, params: Mapping[str, Any] | None, newest_first: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Follow Link headers. In a newest-first listing a first page answered 304 proves
        nothing changed since it was read (any edit would put an issue on it): stop there,
        so a sync with no changes costs one request, which costs no quota."""
        url: str | None = path
        first = True
        while url:
            resp = self.http.get(url, params=params)
            data = resp.json()
            yield from data["items"] if isinstance(data, dict) else data
            if first and newest_first and getattr(resp, "from_cache", False):
                return
            first = False
            url, params = next_link(resp.headers.get("Link")), None

    def _issue(self, raw: Mapping[str, Any], comments: Sequence[RemoteComment] = ()):
        labels = tuple(
            lab["name"] if isinstance(lab, dict) else str(lab) for lab in raw.get("labels") or ()
        )
        return RemoteIssue(
            id=str(raw["number"]), url=raw.get("html_url") or "", title=raw.get("title") or "",
            body=strip_markers(raw.get("body")), state=raw.get("state") or "open",
            updated_at=parse_time(raw.get("updated_at")),
            labels=tuple(lab for lab in labels if lab != MARKER_LABEL),
            comments=tuple(comments), ticket=parse_issue_marker(raw.get("body")),
            author=_login(raw) or "", author_id=_login(raw),
        )

    @staticmethod
    def _comment(raw: Mapping[str, Any]) -> RemoteComment:
        return RemoteComment(
            id=str(raw["id"]), body=strip_markers(raw.get("body")),
            author=_login(raw) or "",
            created_at=parse_time(raw.get("created_at")),
            origin=parse_comment_marker(raw.get("body")), author_id=_login(raw),
        )

    def _raw(self, issue_id: str) -> dict[str, Any]:
        raw = self.http.get(f"repos/{self.repo}/issues/{_number(issue_id)}").json()
        if "pull_request" in raw:
            raise NotFound(f"#{issue_id} is a pull request, not an issue", self.http.name)
        return raw

    def _labels(self, labels: Sequence[str]) -> list[str]:
        wanted = [MARKER_LABEL, *self.extra_labels, *labels]
        return list(dict.fromkeys(wanted))

    # ------------------------------------------------------------------ protocol
    def account(self) -> str:
        if self._account is None:
            login = self.http.get("user").json().get("login")
            if not login:
                raise TrackerError("GET /user named no login for the token", self.http.name)
            self._account = str(login)
        return self._account

    def check(self) -> str:
        login = self.http.get("user").json().get("login", "?")
        repo = self.http.get(f"repos/{self.repo}").json()
        if repo.get("has_issues") is False:
            raise NotFound(f"issues are disabled in {self.repo}", self.http.name)
        where = urlsplit(repo.get("html_url") or f"https://github.com/{self.repo}")
        return f"authenticated as {login} on {where.netloc}{where.path}"

    def changed_since(self, since: datetime | None) -> Iterator[RemoteIssue]:
        params: dict[str, Any] = {
            "state": "all", "sort": "updated", "direction": "desc", "per_page": self.page_size,
        }
        if since is not None:
            params["since"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        seen: set[str] = set()
        for raw in self._paged(f"repos/{self.repo}/issues", params, newest_first=True):
            if "pull_request" in raw:
                continue
            issue = self._issue(raw)
            # An issue edited while we page moves to the first page; the next run's overlap
            # picks it up (the cursor never passes what was not seen). Report each one once.
            if issue.id in seen or (since is not None and issue.updated_at < since):
                continue
            seen.add(issue.id)
            yield issue

    def get(self, issue_id: str) -> RemoteIssue:
        raw = self._raw(issue_id)
        comments = [self._comment(c) for c in self._paged(
            f"repos/{self.repo}/issues/{_number(issue_id)}/comments", {"per_page": self.page_size}
        )]
        return self._issue(raw, comments)

    def create(self, ticket, title, body, labels=(), priority=None) -> RemoteIssue:
        payload = {
            "title": title,
            "body": with_marker(body, issue_marker(ticket)),
            "labels": self._labels(labels),
        }
        return self._issue(self.http.post(f"repos/{self.repo}/issues", json=payload,
                                          expect=(201,)).json())

    def comment(self, issue_id, body, origin) -> RemoteComment:
        payload = {"body": with_marker(body, comment_marker(origin))}
        raw = self.http.post(f"repos/{self.repo}/issues/{_number(issue_id)}/comments",
                             json=payload, expect=(201,)).json()
        return self._comment(raw)

    def find_by_marker(self, ticket) -> RemoteIssue | None:
        marker = issue_marker(ticket, hidden=False)
        query = f'"{marker}" in:body repo:{self.repo} is:issue'
        for raw in self._paged("search/issues", {"q": query, "per_page": self.page_size}):
            if "pull_request" not in raw and self._ours(raw, ticket):
                return self._issue(raw)
        for raw in self._labelled():
            if self._ours(raw, ticket):
                return self._issue(raw)
        return None

    def _ours(self, raw: Mapping[str, Any], ticket: str) -> bool:
        """The issue's marker names ``ticket`` and our own account opened it."""
        return (parse_issue_marker(raw.get("body")) == ticket
                and _login(raw) is not None and _login(raw) == self.account())

    def marked_issues(self) -> Iterator[RemoteIssue]:
        seen: set[str] = set()
        query = f'"sccli:ticket" in:body repo:{self.repo} is:issue'
        for raw in chain(self._labelled(),
                          self._paged("search/issues", {"q": query, "per_page": self.page_size})):
            issue = self._issue(raw)
            if "pull_request" in raw or issue.ticket is None or issue.id in seen:
                continue
            seen.add(issue.id)
            yield issue

    def _labelled(self) -> Iterator[dict[str, Any]]:
        params = {"state": "all", "labels": MARKER_LABEL, "per_page": self.page_size}
        for raw in self._paged(f"repos/{self.repo}/issues", params):
            if "pull_request" not in raw:
                yield raw


def _login(raw: Mapping[str, Any]) -> str | None:
    """The login of the account that wrote an issue or a comment."""
    login = (raw.get("user") or {}).get("login")
    return str(login) if login else None


def _number(issue_id: str) -> int:
    text = str(issue_id).lstrip("#")
    if not text.isdigit():
        raise NotFound(f"{issue_id!r} is not a GitHub issue number")
    return int(text)
