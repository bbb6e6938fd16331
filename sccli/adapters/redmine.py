"""Redmine (REST API, ``X-Redmine-API-Key``), tested against a real Redmine 5.

Marker: Textile/Markdown have no hidden comments, so the description's last line is
``sccli:ticket=ACME-12`` (notes end with ``sccli:origin=...``). Redmine 5's ``description``
filter (``description=~text``, a substring match) finds it server-side; hits are re-checked
exactly, since ACME-12 is a substring of ACME-123, and against the author: only an issue
(or a note) the API key's own user wrote is ours. Accounts are named by user id
(``GET /users/current.json``), which a rename does not change.

Quirks handled (seen on a live server): lists show only open issues unless
``status_id=*``; ``limit`` is capped at 100; ``updated_on>=T`` behaves like "after T−1 s";
journals come only from ``/issues/N.json?include=journals``; descriptions come back with
CRLF; a note is added with PUT, which must never be retried blindly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sccli.adapters.base import (
    Adapter,
    Capabilities,
    NotFound,
    RemoteComment,
    RemoteIssue,
    TrackerError,
    ValidationError,
    comment_marker,
    issue_marker,
    parse_comment_marker,
    parse_issue_marker,
    parse_time,
    strip_markers,
    with_marker,
)
from sccli.adapters.http import HttpFactory
from sccli.schema import Field, Int, MapOf, SecretRef, Str

# sccli priority → Redmine's default priority names; overridable with `priorities:`.
DEFAULT_PRIORITIES = {"critical": "Urgent", "high": "High", "medium": "Normal", "low": "Low"}


class RedmineAdapter(Adapter):
    kind = "redmine"
    capabilities = Capabilities(
        comments=True, labels=False, priorities=True, transitions=True,
        conditional_requests=True, marker_search=True,
    )
    config_schema = {
        "url": Field(Str(pattern=r"https?://\S+", expected="an http(s) URL"), required=True),
        "api_key": Field(SecretRef(), required=True),
        "project": Field(Str(pattern=r"[a-z0-9][a-z0-9_\-]*", expected="a project identifier"),
                         required=True),
        "tracker_id": Field(Int(minimum=1)),
        "priorities": Field(MapOf(Str()), default=dict),
    }
    page_size = 100  # Redmine caps `limit` at 100

    def __init__(self, name, config, http_factory, secret, *, etag_cache=None):
        super().__init__(name, config, http_factory, secret)
        self.base = self.config["url"].rstrip("/")
        self.project: str = self.config["project"]
        self.priority_names = {**DEFAULT_PRIORITIES, **(self.config["priorities"] or {})}
        factory = http_factory or HttpFactory()
        self.http = factory.client(
            self.base,
            headers={"X-Redmine-API-Key": secret(self.config["api_key"]),
                     "Accept": "application/json"},
            etag_cache={} if etag_cache is None else etag_cache,
            name=f"redmine {self.project}",
        )
        self._statuses: list[dict[str, Any]] | None = None
        self._priorities: list[dict[str, Any]] | None = None
        self._account: str | None = None

    # ------------------------------------------------------------------ lookups
    def statuses(self) -> list[dict[str, Any]]:
        if self._statuses is None:
            self._statuses = self.http.get("issue_statuses.json").json()["issue_statuses"]
        return self._statuses

    def _priority_id(self, priority: str) -> int:
        if self._priorities is None:
            data = self.http.get("enumerations/issue_priorities.json").json()
            self._priorities = data["issue_priorities"]
        wanted = self.priority_names.get(priority.lower(), priority).lower()
        for item in self._priorities:
            if item["name"].lower() in (wanted, priority.lower()):
                return int(item["id"])
        known = ", ".join(p["name"] for p in self._priorities)
        raise ValidationError(f"priority {priority!r} is not known to Redmine (known: {known})",
                              self.http.name)

    def _priority_name(self, raw: Mapping[str, Any] | None) -> str | None:
        if not raw:
            return None
        name = str(raw.get("name") or "")
        for ours, theirs in self.priority_names.items():
            if theirs.lower() == name.lower():
                return ours
        return name.lower() or None

    # ------------------------------------------------------------------ values
    def _issue(self, raw: Mapping[str, Any], comments: tuple[RemoteComment, ...] = ()):
        status = raw.get("status") or {}
        if "is_closed" in status:
            closed = bool(status["is_closed"])
        else:  # Redmine < 5.1 omits is_closed in issue JSON
            closed = any(s["id"] == status.get("id") and s.get("is_closed")
                         for s in self.statuses())
        return RemoteIssue(
            id=str(raw["id"]), url=f"{self.base}/issues/{raw['id']}",
            title=raw.get("subject") or "", body=strip_markers(raw.get("description")),
            state="closed" if closed else "open", updated_at=parse_time(raw.get("updated_on")),
            priority=self._priority_name(raw.get("priority")), comments=comments,
            ticket=parse_issue_marker(raw.get("description")),
            author=(raw.get("author") or {}).get("name") or "", author_id=_user_id(raw, "author"),
        )

    @staticmethod
    def _comments(raw: Mapping[str, Any]) -> tuple[RemoteComment, ...]:
        """Journals with notes; status-only journals and private notes are not comments."""
        out = []
        for journal in raw.get("journals") or ():
            notes = journal.get("notes") or ""
            if not notes.strip() or journal.get("private_notes"):
                continue
            out.append(RemoteComment(
                id=str(journal["id"]), body=strip_markers(notes),
                author=(journal.get("user") or {}).get("name") or "",
                created_at=parse_time(journal.get("created_on")),
                origin=parse_comment_marker(notes), author_id=_user_id(journal, "user"),
            ))
        return tuple(out)

    def _raw(self, issue_id: str, journals: bool = False) -> dict[str, Any]:
        params = {"include": "journals"} if journals else None
        return self.http.get(f"issues/{_number(issue_id)}.json", params=params).json()["issue"]

    def _list(self, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Offset paging through ``/issues.json`` for this project, closed issues included."""
        offset = 0
        while True:
            query = {"project_id": self.project, "status_id": "*", "sort": "id",
                     **params, "limit": self.page_size, "offset": offset}
            data = self.http.get("issues.json", params=query).json()
            page = data.get("issues") or []
            yield from page
            offset += len(page)
            if not page or offset >= int(data.get("total_count") or 0):
                return

    # ------------------------------------------------------------------ protocol
    def account(self) -> str:
        if self._account is None:
            user = self.http.get("users/current.json").json().get("user") or {}
            if user.get("id") is None:
                raise TrackerError("users/current.json named no user for the API key",
                                   self.http.name)
            self._account = str(user["id"])
        return self._account

    def check(self) -> str:
        login = self.http.get("users/current.json").json()["user"].get("login", "?")
        try:
            self.http.get(f"projects/{self.project}.json")
        except NotFound:
            raise NotFound(f"project {self.project!r} does not exist or is not visible to "
                           f"{login}", self.http.name) from None
        return f"authenticated as {login} on {self.base}/projects/{self.project}"

    def changed_since(self, since: datetime | None) -> Iterator[RemoteIssue]:
        # Keyset paging on updated_on: offsets would skip an issue when another one is
        # edited mid-listing and jumps to the end.
        cursor, offset, seen = since, 0, set()
        while True:
            params = {"project_id": self.project, "status_id": "*", "sort": "updated_on,id",
                      "limit": self.page_size, "offset": offset}
            if cursor is not None:
                params["updated_on"] = ">=" + _stamp(cursor)
            page = self.http.get("issues.json", params=params).json().get("issues") or []
            for raw in page:
                issue = self._issue(raw)
                key = (issue.id, issue.updated_at)
                if key in seen or (since is not None and issue.updated_at < since):
                    continue
                seen.add(key)
                yield issue
            if len(page) < self.page_size:
                return
            last = parse_time(page[-1].get("updated_on"))
            if cursor is None or last > cursor:
                cursor, offset = last, 0
            else:
                offset += len(page)

    def get(self, issue_id: str) -> RemoteIssue:
        raw = self._raw(issue_id, journals=True)
        return self._issue(raw, self._comments(raw))

    def create(self, ticket, title, body, labels=(), priority=None) -> RemoteIssue:
        fields: dict[str, Any] = {
            "project_id": self.project, "subject": title,
            "description": with_marker(body, issue_marker(ticket, hidden=False)),
        }
        if self.config.get("tracker_id"):
            fields["tracker_id"] = self.config["tracker_id"]
        if priority:
            fields["priority_id"] = self._priority_id(priority)
        raw = self.http.post("issues.json", json={"issue": fields}, expect=(201,)).json()
        return self._issue(raw["issue"])

    def comment(self, issue_id, body, origin) -> RemoteComment:
        notes = with_marker(body, comment_marker(origin, hidden=False))
        self.http.put(f"issues/{_number(issue_id)}.json", json={"issue": {"notes": notes}},
                      idempotent=False)  # a retry would duplicate
        for found in reversed(self.get(issue_id).comments):  # PUT answers 204, no journal id
            if found.origin == origin and found.author_id == self.account():
                return found
        raise TrackerError(f"the note on #{issue_id} was accepted but is not visible",
                           self.http.name)

    def find_by_marker(self, ticket) -> RemoteIssue | None:
        marker = issue_marker(ticket, hidden=False)
        for raw in self._list({"description": "~" + marker}):
            if (parse_issue_marker(raw.get("description")) == ticket
                    and _user_id(raw, "author") == self.account()):
                return self._issue(raw)
        return None

    def marked_issues(self) -> Iterator[RemoteIssue]:
        for raw in self._list({"description": "~sccli:ticket="}):
            issue = self._issue(raw)
            if issue.ticket is not None:
                yield issue


def _user_id(raw: Mapping[str, Any], key: str) -> str | None:
    """The id of the user under ``key`` (``author`` of an issue, ``user`` of a journal)."""
    user_id = (raw.get(key) or {}).get("id")
    return None if user_id is None else str(user_id)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(issue_id: str) -> int:
    text = str(issue_id).lstrip("#")
    if not text.isdigit():
        raise NotFound(f"{issue_id!r} is not a Redmine issue number")
    return int(text)
