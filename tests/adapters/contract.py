"""The contract every tracker adapter must pass, against a fake or a real backend.

Use: subclass ``AdapterContract`` in a ``Test...`` class and provide a ``tracker`` fixture
yielding ``(adapter, backend)``, where ``backend`` plays the partner (see ``Backend``).
Tests create their own issues and assume the tracker holds nothing else, so a live backend
needs a fresh project per test.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Protocol

import pytest

from sccli.adapters.base import (
    Adapter,
    AuthError,
    Capabilities,
    NotFound,
    RemoteIssue,
    TrackerError,
    ValidationError,
)
from sccli.schema import Field, SecretRef

SECRET_KEYS = {"token", "api_key", "password", "secret", "private_token"}


class Backend(Protocol):
    """What the contract needs from the tracker's side (a fake or a live server)."""

    secret: str  # the credential the adapter holds ("" when there is none)

    def human_issue(self, title: str, body: str = "") -> str:
        """Create an issue as a person would (no marker); return its id."""

    def human_comment(self, issue_id: str, body: str, author: str = "alice") -> None:
        """Comment as a person would (no marker)."""

    def human_close(self, issue_id: str) -> None:
        """Close the issue as its owner would."""

    def tick(self) -> None:
        """Let the tracker's clock move past the current second."""

    def bad_credentials(self) -> Adapter | None:
        """The same adapter holding a refused credential; None when there is none."""


class FakeTime:
    """A clock and a sleep for HttpFactory: sleeping advances the clock, never blocks."""

    def __init__(self, start: float = 1_767_225_600.0):  # 2026-01-01T00:00:00Z
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds


_seq = itertools.count(1)


def ticket_id() -> str:
    """A ticket id unique in this run (live trackers keep issues between tests)."""
    return f"CT-{next(_seq)}"


class AdapterContract:
    """~13 behaviours the sync engine relies on; each adapter's test module subclasses it."""

    # ------------------------------------------------------------------ helpers
    def _create(self, adapter: Adapter, ticket: str, title: str = "Printer on fire",
                body: str = "It burns.\nSend help.") -> RemoteIssue:
        caps = adapter.capabilities
        return adapter.create(
            ticket, title, body,
            labels=["bug"] if caps.labels else (),
            priority="high" if caps.priorities else None,
        )

    # ------------------------------------------------------------------ declaration
    def test_declares_kind_capabilities_and_schema(self, tracker):
        adapter, _ = tracker
        assert isinstance(adapter.kind, str) and adapter.kind
        assert isinstance(adapter.capabilities, Capabilities)
        assert "adapter" not in adapter.config_schema
        for key, spec in adapter.config_schema.items():
            assert isinstance(spec, Field), key
            if key in SECRET_KEYS:
                assert isinstance(spec.schema, SecretRef), f"{key} must be a SecretRef"

    def test_check_reports_one_line(self, tracker):
        adapter, _ = tracker
        line = adapter.check()
        assert isinstance(line, str) and line and "\n" not in line

    # ------------------------------------------------------------------ markers
    def test_create_embeds_marker_and_find_by_marker_finds_it(self, tracker):
        adapter, _ = tracker
        ticket = ticket_id()
        issue = self._create(adapter, ticket)
        assert issue.ticket == ticket
        assert issue.title == "Printer on fire"
        assert issue.body == "It burns.\nSend help."  # marker stripped from what we show
        assert issue.state == "open" and issue.url
        assert issue.updated_at.tzinfo is not None
        if adapter.capabilities.labels:
            assert "bug" in issue.labels
        if adapter.capabilities.priorities:
            assert issue.priority == "high"
        found = adapter.find_by_marker(ticket)
        assert found is not None and found.id == issue.id and found.ticket == ticket

    def test_find_by_marker_never_matches_a_prefix(self, tracker):
        adapter, backend = tracker
        ticket = ticket_id()
        longer = self._create(adapter, ticket + "0")
        backend.human_issue("Mentions it", f"see sccli:ticket={ticket} in the text")
        assert adapter.find_by_marker(ticket) is None
        assert adapter.find_by_marker(ticket + "0").id == longer.id

    # ------------------------------------------------------------------ identity
    def test_account_names_the_author_of_what_sccli_writes(self, tracker):
        """Markers are vouched for by author: ``account()`` must name sccli's account the
        way ``author_id`` names the author of every issue and comment."""
        adapter, backend = tracker
        account = adapter.account()
        assert isinstance(account, str) and account
        ticket = ticket_id()
        issue = self._create(adapter, ticket)
        assert issue.author_id == account
        assert adapter.get(issue.id).author_id == account
        assert adapter.find_by_marker(ticket).author_id == account
        assert {i.id: i.author_id for i in adapter.marked_issues()}[issue.id] == account
        human = backend.human_issue("From the partner", "no marker")
        assert isinstance(adapter.get(human).author_id, str)  # known, whoever it is
        if adapter.capabilities.comments:
            ours = adapter.comment(issue.id, "Ours.", f"{ticket}/e1")
            assert ours.author_id == account
            backend.human_comment(issue.id, "Theirs.", "alice")
            got = adapter.get(issue.id).comments
            assert got[0].author_id == account and isinstance(got[1].author_id, str)
        assert adapter.account() == account

    # ------------------------------------------------------------------ comments
    def test_get_returns_comments_with_origin(self, tracker):
        adapter, backend = tracker
        if not adapter.capabilities.comments:
            pytest.skip("adapter has no comments")
        ticket = ticket_id()
        issue = self._create(adapter, ticket)
        adapter.comment(issue.id, "We are on it.", f"{ticket}/e1")
        backend.human_comment(issue.id, "Thanks! Any news?", "alice")
        got = adapter.get(issue.id)
        assert [c.origin for c in got.comments] == [f"{ticket}/e1", None]
        assert [c.body for c in got.comments] == ["We are on it.", "Thanks! Any news?"]
        assert all(c.created_at.tzinfo is not None and c.id for c in got.comments)
        assert got.ticket == ticket

    def test_comment_returns_the_comment_with_origin(self, tracker):
        adapter, _ = tracker
        issue = self._create(adapter, ticket_id())
        comment = adapter.comment(issue.id, "Fixed in 1.2.\nPlease check.", "X-1/e9")
        assert comment.origin == "X-1/e9"
        assert comment.body == "Fixed in 1.2.\nPlease check."
        assert comment.id in {c.id for c in adapter.get(issue.id).comments}

    # ------------------------------------------------------------------ listing
    def test_changed_since_pages_through_everything(self, tracker):
        adapter, backend = tracker
        adapter.page_size = 2
        tickets = [ticket_id() for _ in range(3)]
        marked = {adapter.create(t, f"Issue {t}", "body").id: t for t in tickets}
        human = {backend.human_issue("From the partner", "no marker"),
                 backend.human_issue("Another one")}
        closed = next(iter(marked))
        backend.human_close(closed)
        listed = list(adapter.changed_since(None))
        ids = [i.id for i in listed]
        assert len(ids) == len(set(ids)) == 5
        assert set(ids) == set(marked) | human
        assert {i.id: i.ticket for i in listed if i.ticket} == marked
        assert all(i.ticket is None for i in listed if i.id in human)
        assert next(i for i in listed if i.id == closed).state == "closed"
        assert adapter.find_by_marker(marked[closed]).id == closed  # closed ones are found too
        stamps = [i.updated_at for i in listed]
        assert stamps in (sorted(stamps), sorted(stamps, reverse=True))  # ordered by update

    def test_changed_since_skips_older_issues(self, tracker):
        adapter, backend = tracker
        old = self._create(adapter, ticket_id())
        backend.tick()
        fresh = self._create(adapter, ticket_id())
        since = adapter.get(fresh.id).updated_at
        assert since > old.updated_at
        assert [i.id for i in adapter.changed_since(since)] == [fresh.id]
        later = datetime.fromtimestamp(since.timestamp() + 3600, since.tzinfo)
        assert list(adapter.changed_since(later)) == []

    def test_marked_issues_lists_only_marked(self, tracker):
        adapter, backend = tracker
        adapter.page_size = 2
        tickets = {ticket_id() for _ in range(3)}
        for t in tickets:
            adapter.create(t, "marked", "body")
        backend.human_issue("unmarked")
        assert {i.ticket for i in adapter.marked_issues()} == tickets

    # ------------------------------------------------------------------ errors
    def test_refused_credentials_raise_auth_error(self, tracker):
        _, backend = tracker
        bad = backend.bad_credentials()
        if bad is None:
            pytest.skip("this tracker has no credentials")
        with pytest.raises(AuthError) as caught:
            bad.check()
        with pytest.raises(AuthError):
            list(bad.changed_since(None))
        assert "\n" not in str(caught.value)

    def test_unknown_issue_raises_not_found(self, tracker):
        adapter, _ = tracker
        with pytest.raises(NotFound):
            adapter.get("999999")
        with pytest.raises(NotFound):
            adapter.comment("999999", "hello", "X-1/e1")

    def test_invalid_data_raises_validation_error(self, tracker):
        adapter, _ = tracker
        with pytest.raises(ValidationError) as caught:
            adapter.create(ticket_id(), "", "a body but no title")
        assert str(caught.value).strip()

    def test_errors_never_show_the_secret(self, tracker):
        adapter, backend = tracker
        errors: list[Exception] = []
        attempts = [lambda: adapter.get("999999"), lambda: adapter.create(ticket_id(), "", "x")]
        bad = backend.bad_credentials()
        if bad is not None:
            attempts.append(bad.check)
        for attempt in attempts:
            try:
                attempt()
            except TrackerError as exc:
                errors.append(exc)
        assert len(errors) == len(attempts)
        for exc in errors:
            text = f"{exc} {exc!r} {exc.args}"
            if backend.secret:
                assert backend.secret not in text
            if bad is not None:
                assert "wrong-secret-value" not in text
