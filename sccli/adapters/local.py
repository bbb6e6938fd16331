"""A tracker kept in a directory: one JSON file per issue (offline work and the demo).

Why files: a user without a partner tracker, a demo and the tests all need a tracker that
works offline and can be inspected with a text editor. Writes go through a temporary file
and ``os.replace`` so a crash never leaves half an issue; new ids are claimed with
``O_EXCL`` so two writers never share one. The marker is a field (``ticket``), not text.
``LocalTracker`` is the same store seen by the "partner": tests and the demo use it to
comment or close as a human would. Every issue and comment records its author; sccli
writes as ``AUTHOR`` ("sccli"), its ``account()``.

The same directory can be an **intake** (``role: intake``): an intake kept on disk, where
each file is a client's request with its messages, so tests and the demo can drop a request
or a message in and read what sccli wrote back. A request file (``<n>.json``) holds::

    {"id": "1", "number": "SR00000001", "account": "ООО Акме",
     "reporter": "it@acme.example", "title": "…", "body": "…",
     "channel": "portal", "priority": "high", "state": "open",
     "registered_at": "2026-11-25T09:00:00+00:00", "updated_at": "…",
     "ticket": null, "comments": [{"id": "1/1", "body": "…", "author": "it@acme.example",
     "created_at": "…", "origin": null}]}

``comments`` are the client-visible messages (the client's have no origin; sccli's carry
its origin and the ``step`` that moved the state); ``state`` is open | paused | resolved |
closed; ``ticket`` is set by ``bind``. Only ``title`` and ``account`` are required in a
dropped file: ``updated_at`` and ``registered_at`` default to the file's modification time.
``LocalTracker.add_request`` / ``add_comment`` write them as a client would.
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
from sccli.adapters.intake import (
    STEP_ASKED,
    STEP_CLOSED,
    STEP_REJECTED,
    STEP_REOPENED,
    STEP_RESOLVED,
    STEP_RESPONDED,
    STEPS,
    IncomingRequest,
    Intake,
)
from sccli.schema import Field, Str

STATES = ("open", "closed")
REQUEST_STATES = ("open", "paused", "resolved", "closed")
# How each step of the executor moves a request kept on disk.
STEP_STATES = {STEP_RESPONDED: "open", STEP_ASKED: "paused", STEP_RESOLVED: "resolved",
               STEP_REOPENED: "open", STEP_REJECTED: "closed", STEP_CLOSED: "closed"}
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
            record = json.loads(text)
        except ValueError:
            raise TrackerError(f"{self._file(issue_id)} is not valid JSON") from None
        if not isinstance(record, dict):
            raise TrackerError(f"{self._file(issue_id)} is not a JSON object")
        record["id"] = str(int(issue_id))
        if not record.get("updated_at"):  # a request file dropped in by hand
            mtime = self._file(issue_id).stat().st_mtime
            record["updated_at"] = datetime.fromtimestamp(mtime, UTC).isoformat()
        record.setdefault("comments", [])
        return record

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
        allowed = REQUEST_STATES if "account" in record else STATES  # a request, an issue
        if "state" in fields and fields["state"] not in allowed:
            raise ValidationError(f"state must be one of {', '.join(allowed)}", "local")
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

    def add_request(
        self,
        account: str,
        reporter: str,
        title: str,
        body: str = "",
        *,
        channel: str | None = None,
        priority: str | None = None,
        registered_at: datetime | None = None,
    ) -> dict[str, Any]:
        """A client's new request, as the portal would register it (for tests and the demo)."""
        record = self.add_issue(title, body, priority=priority, author=reporter)
        stamp = (registered_at or self.now()).astimezone(UTC).isoformat()
        return self.edit(record["id"], account=account, reporter=reporter, channel=channel,
                         number=f"SR{int(record['id']):08d}", registered_at=stamp)

    def add_message(self, request_id: str, body: str, author: str) -> dict[str, Any]:
        """A client's message on a request (no origin: a human wrote it)."""
        return self.add_comment(request_id, body, author)


def _comment(raw: Mapping[str, Any]) -> RemoteComment:
    return RemoteComment(
        id=str(raw["id"]), body=strip_markers(raw.get("body")), author=raw.get("author") or "",
        created_at=parse_time(raw.get("created_at")),
        origin=raw.get("origin") or parse_comment_marker(raw.get("body")),
        author_id=raw.get("author") or None,
    )


class LocalAdapter(Adapter, Intake):
    kind = "local"
    roles = frozenset({"escalation", "intake"})
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

    # ------------------------------------------------------------------ the intake role
    def _request(self, raw: Mapping[str, Any], messages: bool = True) -> IncomingRequest:
        updated = parse_time(raw.get("updated_at"))
        return IncomingRequest(
            id=str(raw["id"]), number=str(raw.get("number") or raw["id"]),
            url=(self.tracker.path / f"{raw['id']}.json").as_uri(),
            account=str(raw.get("account") or ""), reporter=str(raw.get("reporter") or ""),
            registered_at=parse_time(raw.get("registered_at")) if raw.get("registered_at")
            else updated,
            updated_at=updated, title=str(raw.get("title") or ""),
            body=strip_markers(raw.get("body")), state=raw.get("state") or "open",
            status_name=raw.get("state") or "open", channel=raw.get("channel"),
            priority=raw.get("priority"),
            messages=tuple(_comment(c) for c in raw.get("comments") or ()) if messages else (),
            ticket=raw.get("ticket"),
        )

    def requests_changed_since(self, since: datetime | None) -> Iterator[IncomingRequest]:
        found = [self._request(r, messages=False) for r in self.tracker.records()]
        found.sort(key=lambda r: (r.updated_at, int(r.id)))
        for request in found:
            if since is None or request.updated_at >= since:
                yield request

    def request(self, request_id: str) -> IncomingRequest:
        return self._request(self.tracker.load(request_id))

    def bind(self, request_id: str, ticket: str) -> None:
        """Record the ticket on the request without touching ``updated_at`` (binding is
        not a change the client made, so it costs the next run nothing)."""
        record = self.tracker.load(request_id)
        if record.get("ticket") != ticket:
            record["ticket"] = ticket
            self.tracker.save(record)

    def reply(self, request_id: str, body: str, origin: str, step: str | None
              ) -> RemoteComment:
        if step is not None and step not in STEPS:
            raise ValidationError(f"unknown step {step!r}", self.name)
        record = self.tracker.load(request_id)  # one save: the message and the state move
        stamp = self.tracker._stamp()
        comment = {"id": f"{record['id']}/{len(record['comments']) + 1}",
                   "body": strip_markers(body), "author": AUTHOR, "created_at": stamp,
                   "origin": origin, "step": step}
        record["comments"].append(comment)
        if step is not None:
            record["state"] = STEP_STATES[step]
        record["updated_at"] = stamp
        self.tracker.save(record)
        return _comment(comment)
