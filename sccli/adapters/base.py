"""The tracker protocol every adapter implements, its values, errors and markers.

Why one protocol: sync plans over ``RemoteIssue`` values and never knows which tracker it
talks to; what a tracker cannot do is declared in ``Capabilities`` instead of failing late.
This module imports no HTTP library, so the CLI can load it cheaply.

Markers: every issue sccli creates names its ticket (``sccli:ticket=ACME-12``) and every
comment sccli writes names its origin (``sccli:origin=ACME-12/e17``), each on a line of its
own, so links can be rebuilt from the remote side alone and our own comments are never
echoed back. Trackers that render Markdown get the line wrapped in an HTML comment
(invisible); others (Redmine Textile) get the bare line.

Anyone can type a marker line, so a marker alone proves nothing: sync binds it to what sccli
itself wrote (the comment ids it recorded, the issue it created) and, where it must recover
from the remote side alone (a crashed run, ``sync --relink``), to the account sccli writes
as: ``Adapter.account()`` names it the way ``author_id`` names the author of every issue
and comment. A marker found anywhere else is a human's text.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sccli.errors import AUTH, PARTIAL, TEMPORARY, SccliError, one_line
from sccli.schema import Field

if TYPE_CHECKING:  # pragma: no cover
    from sccli.adapters.http import HttpFactory

__all__ = [
    "Adapter",
    "AuthError",
    "BudgetExhausted",
    "Capabilities",
    "NotFound",
    "RateLimited",
    "RemoteComment",
    "RemoteIssue",
    "TrackerError",
    "Unreachable",
    "ValidationError",
    "comment_marker",
    "issue_marker",
    "parse_comment_marker",
    "parse_issue_marker",
    "parse_time",
    "strip_markers",
    "with_marker",
]


# --------------------------------------------------------------------------- errors
class TrackerError(SccliError):
    """A tracker failed; the message is one line, for the user, and holds no secret.

    Part of sccli's one error model (``sccli.errors``): each subclass carries its exit code,
    5 (partial) unless said otherwise.
    """

    exit_code = PARTIAL

    def __init__(self, message: str, tracker: str | None = None):
        self.tracker = tracker
        text = one_line(message)
        super().__init__(f"{tracker}: {text}" if tracker else text)


class AuthError(TrackerError):
    """Credentials missing or refused (401, 403 that is not a rate limit): exit 4."""

    exit_code = AUTH


class NotFound(TrackerError):
    """The issue, repository or project does not exist or is not visible."""


class ValidationError(TrackerError):
    """The tracker rejected the data (422), with the tracker's own explanation."""


class Unreachable(TrackerError):
    """Connection errors or timeouts persisted after retries: temporary, exit 75."""

    exit_code = TEMPORARY


class BudgetExhausted(TrackerError):
    """The per-run request budget is spent: stop and keep cursors, exit 75."""

    exit_code = TEMPORARY


class RateLimited(TrackerError):
    """The tracker asks us to wait longer than the run may: exit 75, cursors kept."""

    exit_code = TEMPORARY

    def __init__(self, reset_at: datetime, tracker: str | None = None):
        self.reset_at = reset_at
        when = reset_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        super().__init__(f"rate limit reached; try again after {when}", tracker)


# --------------------------------------------------------------------------- values
@dataclass(frozen=True)
class Capabilities:
    comments: bool
    labels: bool
    priorities: bool
    transitions: bool  # workflow statuses beyond open/closed
    conditional_requests: bool  # ETag / If-None-Match: unchanged reads are (nearly) free
    marker_search: bool  # find_by_marker asks the tracker instead of scanning everything


@dataclass(frozen=True)
class RemoteComment:
    id: str
    body: str  # without sccli markers
    author: str
    created_at: datetime
    origin: str | None  # from a comment marker line; None when the text carries none
    author_id: str | None = None  # who wrote it, as ``Adapter.account()`` names accounts


@dataclass(frozen=True)
class RemoteIssue:
    id: str
    url: str
    title: str
    body: str  # without sccli markers
    state: str  # "open" | "closed"
    updated_at: datetime  # aware, UTC
    labels: tuple[str, ...] = ()
    priority: str | None = None
    comments: tuple[RemoteComment, ...] = ()
    ticket: str | None = None  # parsed from the issue marker
    author: str = ""  # who opened it, for people (a login or a display name)
    author_id: str | None = None  # who opened it, as ``Adapter.account()`` names accounts


# --------------------------------------------------------------------------- markers
_ID = r"[A-Za-z0-9][A-Za-z0-9._\-/:]*"
_ISSUE_RE = re.compile(rf"^[ \t]*(?:<!--[ \t]*)?sccli:ticket=({_ID})(?:[ \t]*-->)?[ \t]*$", re.M)
_COMMENT_RE = re.compile(rf"^[ \t]*(?:<!--[ \t]*)?sccli:origin=({_ID})(?:[ \t]*-->)?[ \t]*$", re.M)
_ANY_RE = re.compile(
    rf"^[ \t]*(?:<!--[ \t]*)?sccli:(?:ticket|origin)=({_ID})(?:[ \t]*-->)?[ \t]*$\n?", re.M
)


def _checked(value: str, what: str) -> str:
    if not re.fullmatch(_ID, value or ""):
        raise ValueError(f"{what} {value!r} cannot be used in a marker")
    return value


def issue_marker(ticket: str, hidden: bool = True) -> str:
    """``<!-- sccli:ticket=ACME-12 -->`` (or the bare line where HTML comments show)."""
    text = f"sccli:ticket={_checked(ticket, 'ticket id')}"
    return f"<!-- {text} -->" if hidden else text


def comment_marker(origin: str, hidden: bool = True) -> str:
    """``<!-- sccli:origin=ACME-12/e17 -->``: who wrote this comment, so it is not echoed."""
    text = f"sccli:origin={_checked(origin, 'comment origin')}"
    return f"<!-- {text} -->" if hidden else text


def parse_issue_marker(text: str | None) -> str | None:
    """The ticket named by the last issue-marker line in ``text``; None when unmarked."""
    found = _ISSUE_RE.findall((text or "").replace("\r\n", "\n"))
    return found[-1] if found else None


def parse_comment_marker(text: str | None) -> str | None:
    """The origin named by the last comment-marker line; None for a human's comment."""
    found = _COMMENT_RE.findall((text or "").replace("\r\n", "\n"))
    return found[-1] if found else None


def strip_markers(text: str | None) -> str:
    """The text a human wrote: marker lines removed, trailing blank lines trimmed."""
    return _ANY_RE.sub("", (text or "").replace("\r\n", "\n")).rstrip()


def with_marker(text: str | None, marker: str) -> str:
    """Append ``marker`` as the last line, replacing any marker already there."""
    clean = strip_markers(text)
    return f"{clean}\n\n{marker}" if clean else marker


def parse_time(value: str | None) -> datetime:
    """ISO 8601 from an API (``...Z`` or offset) → aware UTC datetime."""
    if not value:
        return datetime.fromtimestamp(0, UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# --------------------------------------------------------------------------- protocol
class Adapter(ABC):
    """One configured tracker. Subclasses declare kind, capabilities and config schema.

    ``config`` holds the validated keys of ``config_schema`` (defaults filled in by the
    caller or here); secrets stay references (``env:NAME``) until ``secret(ref)``.
    """

    kind: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    config_schema: ClassVar[dict[str, Field]]
    # The roles it can play (sccli.adapters.intake.ROLES): "escalation" (a party's tracker,
    # this protocol) and/or "intake" (the client's single window: sccli.adapters.intake).
    roles: ClassVar[frozenset[str]] = frozenset({"escalation"})
    page_size: int = 100  # items per listing page; tests lower it to exercise paging

    def __init__(
        self,
        name: str,
        config: Mapping[str, Any],
        http_factory: HttpFactory | None,
        secret: Callable[[str], str],
    ):
        self.name = name
        self.config = self._with_defaults(config)
        self.http_factory = http_factory
        self.secret = secret

    @classmethod
    def _with_defaults(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """Fill defaults and check required keys, so adapters built in code fail clearly."""
        out = dict(config)
        for key, spec in cls.config_schema.items():
            if out.get(key) is None:
                if spec.required:
                    raise TrackerError(f"{cls.kind} adapter: required key {key!r} is missing")
                out[key] = spec.default() if callable(spec.default) else spec.default
        return out

    @abstractmethod
    def check(self) -> str:
        """Connectivity + credentials, as one line ("authenticated as X on Y")."""

    @abstractmethod
    def changed_since(self, since: datetime | None) -> Iterator[RemoteIssue]:
        """Every issue (open and closed, marked or not) updated at/after ``since``.

        Ordered by update time (either direction); comments are not loaded (use ``get``).
        A newest-first adapter may stop after a first page that proves nothing changed.
        """

    @abstractmethod
    def get(self, issue_id: str) -> RemoteIssue:
        """One issue with its comments."""

    @abstractmethod
    def create(
        self,
        ticket: str,
        title: str,
        body: str,
        labels: Sequence[str] = (),
        priority: str | None = None,
    ) -> RemoteIssue:
        """Create an issue carrying the marker for ``ticket``."""

    @abstractmethod
    def comment(self, issue_id: str, body: str, origin: str) -> RemoteComment:
        """Add a comment carrying a marker with ``origin``."""

    @abstractmethod
    def account(self) -> str:
        """The account sccli writes as on this tracker, named as ``author_id`` names the
        author of an issue or comment (a GitHub login, a Redmine user id). Asked of the
        tracker at most once per adapter, and only when a marker must be vouched for."""

    @abstractmethod
    def find_by_marker(self, ticket: str) -> RemoteIssue | None:
        """The issue sccli created for ``ticket``: its marker names exactly ``ticket`` (never
        a prefix match) and ``account()`` opened it. An issue someone else opened with the
        same marker line is skipped, so it cannot hide ours."""

    @abstractmethod
    def marked_issues(self) -> Iterator[RemoteIssue]:
        """Every issue carrying an sccli marker, whoever opened it (``author_id`` says who;
        ``sync --relink`` links only the ones ``account()`` opened)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
