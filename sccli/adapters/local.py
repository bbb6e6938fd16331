"""A tracker kept in a directory: one JSON file per issue (offline work and the demo).

Why files: a user without a partner tracker, a demo and the tests all need a tracker that
works offline and can be inspected with a text editor. Writes go through a temporary file
and ``os.replace`` so a crash never leaves half an issue; new ids are claimed with
``O_EXCL`` so two writers never share one. The marker is a field (``ticket``), not text.
``LocalTracker`` is the same store seen by the "partner": tests and the demo use it to
comment or close as a human would. Every issue and comment records its author; sccli
writes as ``AUTHOR`` ("sccli"), its ``account()``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sccli.adapters.base import (
    Adapter,
    Capabilities,
    NotFound,
    RemoteComment,
    RemoteIssue,
    TrackerError,
    ValidationError,
    parse_comment_marker,
    parse_time,
    strip_markers,
)
from sccli.schema import Field, Str

STATES = ("open", "closed")
AUTHOR = "sccli"  # the author name sccli writes with: the local adapter's account


class LocalTracker:
    """The on-disk store; ``now`` makes timestamps deterministic in tests and the demo."""

    def __init__(self, path: str | os.PathLike[str], now: Callable[[], datetime] | None = None):
        self.path = Path(path).expanduser()
        self.now = now or (lambda: datetime.now(UTC))
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TrackerError(f"cannot create the local tracker directory {self.path}: "
                               f"{exc.strerror}") from None

    # ------------------------------------------------------------------ storage
    def _file(self, issue_id: str) -> Path:
        if not str(issue_id).isdigit():
            raise NotFound(f"local issue {issue_id!r} does not exist (ids are numbers)")
        return self.path / f"{int(issue_id)}.json"

    def load(self, issue_id: str) -> dict[str, Any]:
        try:
            text = self._file(issue_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound(f"local issue {issue_id} does not exist in {self.path}") from None
        if not text.strip():  # claimed by a writer that has not saved yet
            raise NotFound(f"local issue {issue_id} is being created in {self.path}")
        try:
            return json.loads(text)
        except ValueError:
            raise TrackerError(f"{self._file(issue_id)} is not valid JSON") from None

    def save(self, record: dict[str, Any]) -> None:
        from ..fileio import atomic_write

        text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        atomic_write(self._file(record["id"]), text)

    def ids(self) -> list[str]:
        return sorted((p.stem for p in self.path.glob("*.json") if p.stem.isdigit()), key=int)

    def records(self) -> Iterator[dict[str, Any]]:
        for issue_id in self.ids():
            try:
                yield self.load(issue_id)
            except NotFound:
                continue

    def _claim_id(self) -> str:
        ids = self.ids()
        candidate = int(ids[-1]) + 1 if ids else 1
        while True:
            try:
                os.close(os.open(self.path / f"{candidate}.json", os.O_CREAT | os.O_EXCL))
                return str(candidate)
            except FileExistsError:
                candidate += 1

    def _stamp(self) -> str:
        return self.now().astimezone(UTC).isoformat()

    # ------------------------------------------------------------------ operations
    def add_issue(
        self,
        title: str,
        body: str = "",
        *,
        ticket: str | None = None,
        labels: Sequence[str] = (),
        priority: str | None = None,
        author: str = "partner",
    ) -> dict[str, Any]:
        if not title or not title.strip():
            raise ValidationError("title cannot be blank", "local")
        stamp = self._stamp()
        record = {
            "id": self._claim_id(), "title": title, "body": body, "state": "open",
            "labels": list(labels), "priority": priority, "ticket": ticket, "author": author,
            "created_at": stamp, "updated_at": stamp, "comments": [],
        }
        self.save(record)
        return record

    def edit(self, issue_id: str, **fields: Any) -> dict[str, Any]:
        record = self.load(issue_id)
        if "title" in fields and not (fields["title"] or "").strip():
            raise ValidationError("title cannot be blank", "local")
        if "state" in fields and fields["state"] not in STATES:
            raise ValidationError(f"state must be one of {', '.join(STATES)}", "local")
        record.update(fields)
        record["updated_at"] = self._stamp()
        self.save(record)
        return record

    def add_comment(
        self, issue_id: str, body: str, author: str, origin: str | None = None
    ) -> dict[str, Any]:
        """Comment as ``author``; a human's comment has no origin."""
        record = self.load(issue_id)
        stamp = self._stamp()
        comment = {
            "id": f"{record['id']}/{len(record['comments']) + 1}", "body": body,
            "author": author, "created_at": stamp, "origin": origin,
        }
        record["comments"].append(comment)
        record["updated_at"] = stamp
        self.save(record)
        return comment

    def set_state(self, issue_id: str, state: str) -> dict[str, Any]:
        return self.edit(issue_id, state=state)


def _comment(raw: Mapping[str, Any]) -> RemoteComment:
    return RemoteComment(
        id=str(raw["id"]), body=strip_markers(raw.get("body")), author=raw.get("author") or "",
        created_at=parse_time(raw.get("created_at")),
        origin=raw.get("origin") or parse_comment_marker(raw.get("body")),
        author_id=raw.get("author") or None,
    )


class LocalAdapter(Adapter):
    kind = "local"
    capabilities = Capabilities(
        comments=True, labels=True, priorities=True, transitions=False,
        conditional_requests=False, marker_search=False,
    )
    config_schema = {"path": Field(Str(expected="a directory path"), required=True)}

    def __init__(self, name, config, http_factory=None, secret=lambda ref: "", *,
                 now: Callable[[], datetime] | None = None):
        super().__init__(name, config, http_factory, secret)
        self.tracker = LocalTracker(self.config["path"], now)

    def _issue(self, raw: Mapping[str, Any], comments: bool = True) -> RemoteIssue:
        return RemoteIssue(
            id=str(raw["id"]), url=(self.tracker.path / f"{raw['id']}.json").as_uri(),
            title=raw.get("title") or "", body=strip_markers(raw.get("body")),
            state=raw.get("state") or "open", updated_at=parse_time(raw.get("updated_at")),
            labels=tuple(raw.get("labels") or ()), priority=raw.get("priority"),
            comments=tuple(_comment(c) for c in raw.get("comments") or ()) if comments else (),
            ticket=raw.get("ticket"), author=raw.get("author") or "",
            author_id=raw.get("author") or None,
        )

    def account(self) -> str:
        return AUTHOR

    def check(self) -> str:
        if not os.access(self.tracker.path, os.W_OK):
            raise TrackerError(f"local tracker directory {self.tracker.path} is not writable",
                               self.name)
        return f"local tracker at {self.tracker.path} ({len(self.tracker.ids())} issues)"

    def changed_since(self, since: datetime | None) -> Iterator[RemoteIssue]:
        issues = [self._issue(r, comments=False) for r in self.tracker.records()]
        issues.sort(key=lambda i: (i.updated_at, int(i.id)))
        for issue in issues:
            if since is None or issue.updated_at >= since:
                yield issue

    def get(self, issue_id: str) -> RemoteIssue:
        return self._issue(self.tracker.load(issue_id))

    def create(self, ticket, title, body, labels=(), priority=None) -> RemoteIssue:
        raw = self.tracker.add_issue(title, strip_markers(body), ticket=ticket, labels=labels,
                                     priority=priority, author=AUTHOR)
        return self._issue(raw)

    def comment(self, issue_id, body, origin) -> RemoteComment:
        return _comment(self.tracker.add_comment(issue_id, strip_markers(body), AUTHOR, origin))

    def find_by_marker(self, ticket) -> RemoteIssue | None:
        for raw in self.tracker.records():
            if raw.get("ticket") == ticket and raw.get("author") == AUTHOR:
                return self._issue(raw)
        return None

    def marked_issues(self) -> Iterator[RemoteIssue]:
        for raw in self.tracker.records():
            if raw.get("ticket"):
                yield self._issue(raw, comments=False)
