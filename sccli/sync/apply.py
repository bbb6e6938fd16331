"""Apply sync plans: intents before remote writes, one transaction after, cursors last.

Crash safety (issue 5, "Crash safety, proven"):
- before a remote create or comment, an intent row is committed; after the adapter call,
  one transaction stores the link (or the comment's id), marks the intent done and
  journals it. A run first resolves every pending intent of a tracker by asking the
  tracker (``find_by_marker`` for issues, the issue's comments for a comment origin), so a
  crash between the remote write and the commit never yields a duplicate;
- pulled comments are upserted through the comment map (and the note origins), so reading
  the same changes twice is harmless; the cursor moves only after a tracker's changes were
  committed, and an overlap window re-reads the last seconds (Redmine's coarse filter,
  clock skew);
- one tracker failing never stops the others; its cursor stays.

``SCCLI_CRASH_AT=point[:n]`` kills the process (SIGKILL) the n-th time ``point`` is reached;
the crash-safety test uses it. Points: after-intent, after-create, after-comment, mid-page,
after-pull.
"""

from __future__ import annotations

import inspect
import os
import signal
import time
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..adapters.base import (
    Adapter,
    AuthError,
    BudgetExhausted,
    RateLimited,
    TrackerError,
    Unreachable,
)
from ..domain.model import DomainError, EventKind
from ..errors import AUTH, OK, PARTIAL, TEMPORARY, TemporaryFailure, UsageError
from .plan import (
    Action,
    CreateRemote,
    MapOwnComment,
    Nothing,
    PullComment,
    PushComment,
    RemoteClosed,
    RemoteReopened,
    TicketView,
    escalation_target,
    needs_fetch,
    plan_pull,
    plan_push,
)

DEFAULT_OVERLAP = 120  # seconds re-read before the cursor


# --------------------------------------------------------------------------- crash hook
_hits: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die like ``kill -9`` when SCCLI_CRASH_AT names this point (tests only)."""
    spec = os.environ.get("SCCLI_CRASH_AT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


# --------------------------------------------------------------------------- adapters
class TrackedCache(dict):
    """An ETag cache that remembers which entries this run used (only those are kept)."""

    def __init__(self, initial: MutableMapping[str, Any]):
        super().__init__(initial)
        self.used: set[str] = set()

    def get(self, key, default=None):
        if key in self:
            self.used.add(key)
        return super().get(key, default)

    def __setitem__(self, key, value) -> None:
        self.used.add(key)
        super().__setitem__(key, value)

    def kept(self) -> list[tuple[str, Any]]:
        """What the store keeps: the entries this run used, with credentials scrubbed.

        A cached body is only replayed for a 304, i.e. for content already applied (and
        redacted on its way into notes), so the stored copy needs no secret in clear.
        """
        return [(k, _scrubbed(self[k])) for k in sorted(self.used) if k in self]


def _scrubbed(entry: Any) -> Any:
    import json

    from ..domain.redaction import find_secrets

    def text(value: str) -> str:
        for found in reversed(find_secrets(value)):
            value = value[: found.start] + "[redacted]" + value[found.end :]
        return value

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return text(value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    if not isinstance(entry, dict) or not isinstance(entry.get("body"), str):
        return entry
    try:
        body = json.dumps(walk(json.loads(entry["body"])), ensure_ascii=False)
    except ValueError:
        body = text(entry["body"])
    return {**entry, "body": body}


def _secret(tracker: str) -> Callable[[str], str]:
    from ..secrets import SecretError, resolve_ref

    def resolve(ref: str) -> str:
        try:
            return resolve_ref(ref)
        except SecretError as exc:
            raise AuthError(str(exc), tracker) from None

    return resolve


def build_adapter(app, name: str, factory, etag_cache: MutableMapping[str, Any] | None = None,
                  **extra: Any) -> Adapter:
    """The adapter for tracker ``name`` of sccli.yaml (SecretError → AuthError)."""
    from ..adapters import AdapterLoadError, load_adapter_class

    settings = app.settings.trackers.get(name)
    if settings is None:
        known = ", ".join(sorted(app.settings.trackers)) or "none"
        raise UsageError(f"unknown tracker {name!r} (trackers in sccli.yaml: {known})")
    try:
        cls = load_adapter_class(settings.adapter)
    except AdapterLoadError as exc:
        raise UsageError(str(exc)) from None
    options = dict(settings.options)
    if settings.adapter == "local" and options.get("path"):
        path = Path(str(options["path"])).expanduser()
        options["path"] = str(path if path.is_absolute() else app.home / path)
    params = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in extra.items() if k in params}
    if etag_cache is not None and "etag_cache" in params:
        kwargs["etag_cache"] = etag_cache
    return cls(name, options, factory, _secret(name), **kwargs)


# --------------------------------------------------------------------------- results
@dataclass
class TrackerOutcome:
    name: str
    actions: list[Action] = field(default_factory=list)
    error: Exception | None = None
    requests: int = 0
    cursor: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for action in self.actions:
            out[action.kind] = out.get(action.kind, 0) + 1
        return out


TEMPORARY_ERRORS = (RateLimited, BudgetExhausted, Unreachable)


def exit_code(outcomes: list[TrackerOutcome]) -> int:
    """0 all fine; 75 a rate limit or spent budget (try later), or every tracker temporarily
    down; 4 every tracker refused our credentials; 5 some trackers failed."""
    failed = [o for o in outcomes if o.error is not None]
    if not failed:
        return OK
    if any(isinstance(o.error, (RateLimited, BudgetExhausted)) for o in failed):
        return TEMPORARY
    if len(failed) == len(outcomes):
        if all(isinstance(o.error, AuthError) for o in failed):
            return AUTH
        if all(isinstance(o.error, Unreachable) for o in failed):
            return TEMPORARY
    return PARTIAL


# --------------------------------------------------------------------------- the lock
def acquire_lock(store, wait: float, sleep: Callable[[float], None] = time.sleep) -> None:
    """Hold the store's sync lock, polling up to ``wait`` seconds; else exit 75."""
    deadline = time.monotonic() + max(0.0, wait)
    while not store.try_sync_lock():
        if time.monotonic() >= deadline:
            raise TemporaryFailure(
                f"another sync is running ({store.sync_lock_holder()}); try again later"
                + ("" if wait else " or pass --wait SECONDS")
            )
        sleep(min(0.2, max(0.01, deadline - time.monotonic())))


# --------------------------------------------------------------------------- the engine
class Syncer:
    """One run over some trackers of one store. ``dry_run`` plans and reads only."""

    def __init__(self, app, adapters: dict[str, Adapter], *, dry_run: bool = False,
                 overlap: float = DEFAULT_OVERLAP,
                 progress: Callable[[str], None] | None = None):
        self.app = app
        self.store = app.store
        self.adapters = adapters
        self.dry_run = dry_run
        self.overlap = timedelta(seconds=overlap)
        self.progress = progress or (lambda text, transient=False: None)
        self.executor = app.settings.executor.name

    @property
    def now(self) -> datetime:
        return self.app.now

    # ------------------------------------------------------------------ inputs
    def views(self, ticket_id: str | None = None) -> list[TicketView]:
        store = self.store
        clients = {c.key: c for c in store.clients()}
        if ticket_id:
            ticket = store.get_ticket(ticket_id)
            tickets = [ticket] if ticket else []
            events = {ticket_id: store.events(ticket_id)} if ticket else {}
        else:  # open tickets, plus closed ones still linked (their unsent public notes)
            from ..domain.model import Status

            statuses = [st.value for st in Status if st.is_open]
            tickets = store.tickets(statuses=statuses)
            events = store.events_by_ticket(statuses)
            for tid in sorted({lk.ticket_id for lk in store.links()} - set(events)):
                ticket = store.get_ticket(tid)
                if ticket is not None:
                    tickets.append(ticket)
                    events[tid] = store.events(tid)
        return [TicketView(t, clients[t.client], tuple(events.get(t.id, ()))) for t in tickets]

    def _links(self, tracker: str | None = None):
        return {(lk.ticket_id, lk.tracker): lk for lk in self.store.links(tracker=tracker)}

    def _sent(self, tracker: str) -> set[tuple[str, str, int]]:
        return {(m.ticket_id, m.tracker, m.event_seq) for m in self.store.comment_map(tracker)
                if m.direction == "out"}

    def _received(self, tracker: str) -> set[str]:
        return {m.remote_comment_id for m in self.store.comment_map(tracker)
                if m.direction == "in"}

    # ------------------------------------------------------------------ run
    def run(self, names: list[str], relink: bool = False) -> list[TrackerOutcome]:
        outcomes = []
        for name in names:
            outcome = TrackerOutcome(name)
            self.progress(f"{name}: syncing…")
            try:
                self.sync_tracker(name, outcome, relink=relink)
            except TrackerError as exc:
                outcome.error = exc
            outcomes.append(outcome)
            self.progress(f"{name}: {'failed' if outcome.error else 'done'}"
                          f" ({_summary(outcome)})")
        return outcomes

    def sync_tracker(self, name: str, outcome: TrackerOutcome, relink: bool = False) -> None:
        adapter = self.adapters[name]
        if relink:
            self.relink(name, adapter, outcome)
        if self.dry_run:
            outcome.actions += [Nothing(i.ticket_id, name, f"pending {i.kind} intent {i.key}:"
                                        " would be checked on the tracker first")
                                for i in self.store.pending_intents(name)]
        else:
            self.resolve_intents(name, adapter, outcome)
        if relink:  # read what the markers point at first: our comments there are mapped,
            self.pull(name, adapter, outcome, full=True)  # so nothing is posted twice
        push = plan_push(self.views(), self._links(), self._sent(name),
                         self.app.sla.routing, self.app.settings.parties, self.executor,
                         trackers=[name])
        for done, action in enumerate(push, start=1):
            if isinstance(action, Nothing) and action.tracker == "":
                continue  # not escalatable: reported by `sccli escalate` and triage
            outcome.actions.append(action)
            if not self.dry_run:
                self.apply_push(adapter, action)
                if len(push) >= 20 and (done % 10 == 0 or done == len(push)):
                    self.progress(f"{name}: {done}/{len(push)} changes sent", transient=True)
        if not relink:
            self.pull(name, adapter, outcome, full=False)

    # ------------------------------------------------------------------ intents
    def resolve_intents(self, name: str, adapter: Adapter, outcome: TrackerOutcome) -> None:
        """Settle what a crashed run left pending, before anything is written again."""
        store = self.store
        for intent in store.pending_intents(name):
            if intent.kind == "create":
                found = adapter.find_by_marker(intent.ticket_id)
                with store.transaction():
                    if found is not None:
                        store.put_link(intent.ticket_id, name, found.id, found.url, found.state,
                                       None, self.now)
                        store.finish_intent(intent.id)
                        store.journal_add(self.now, name, intent.ticket_id, "recovered-create",
                                          {"remote": found.id, "url": found.url})
                    else:
                        store.drop_intent(intent.id)
                        store.journal_add(self.now, name, intent.ticket_id, "dropped-intent",
                                          {"kind": "create"})
                continue
            link = self._links(name).get((intent.ticket_id, name))
            seq = int(intent.key.rsplit("/e", 1)[1])
            found_comment = None
            if link is not None:
                issue = adapter.get(link.remote_id)
                found_comment = next((c for c in issue.comments if c.origin == intent.key), None)
            with store.transaction():
                if found_comment is not None:
                    self._map(intent.ticket_id, name, found_comment.id, seq, "out")
                    store.finish_intent(intent.id)
                    store.journal_add(self.now, name, intent.ticket_id, "recovered-comment",
                                      {"origin": intent.key, "comment": found_comment.id})
                else:
                    store.drop_intent(intent.id)
                    store.journal_add(self.now, name, intent.ticket_id, "dropped-intent",
                                      {"kind": "comment", "origin": intent.key})

    def _map(self, ticket_id, tracker, comment_id, seq, direction) -> None:
        rows = self.store.query(
            "SELECT 1 FROM comment_map WHERE (tracker = ? AND remote_comment_id = ?)"
            " OR (ticket_id = ? AND tracker = ? AND event_seq = ? AND direction = ?)",
            (tracker, str(comment_id), ticket_id, tracker, seq, direction),
        )
        if not rows:
            self.store.map_comment(ticket_id, tracker, comment_id, seq, direction, self.now)

    # ------------------------------------------------------------------ push
    def apply_push(self, adapter: Adapter, action: Action) -> None:
        if isinstance(action, CreateRemote):
            self.create(adapter, action)
        elif isinstance(action, PushComment):
            self.push_comment(adapter, action)

    def create(self, adapter: Adapter, action: CreateRemote):
        store, name = self.store, adapter.name
        with store.transaction():
            intent = store.add_intent(action.ticket, name, "create", action.ticket, self.now)
        crash_point("after-intent")
        priority = action.priority if adapter.capabilities.priorities else None
        issue = adapter.create(action.ticket, action.title, action.body, priority=priority)
        crash_point("after-create")
        with store.transaction():
            store.put_link(action.ticket, name, issue.id, issue.url, issue.state,
                           issue.updated_at, self.now)
            store.finish_intent(intent)
            store.journal_add(self.now, name, action.ticket, "created",
                              {"remote": issue.id, "url": issue.url, "party": action.party})
        return issue

    def push_comment(self, adapter: Adapter, action: PushComment) -> None:
        store, name = self.store, adapter.name
        link = next(iter(store.links(ticket_id=action.ticket, tracker=name)), None)
        if link is None:  # the create failed earlier in this run
            return
        with store.transaction():
            intent = store.add_intent(action.ticket, name, "comment", action.origin, self.now)
        crash_point("after-intent")
        comment = adapter.comment(link.remote_id, action.body, action.origin)
        crash_point("after-comment")
        with store.transaction():
            self._map(action.ticket, name, comment.id, action.event_seq, "out")
            store.finish_intent(intent)
            store.journal_add(self.now, name, action.ticket, "commented",
                              {"remote": link.remote_id, "comment": comment.id,
                               "origin": action.origin})

    # ------------------------------------------------------------------ pull
    def pull(self, name: str, adapter: Adapter, outcome: TrackerOutcome, full: bool) -> None:
        store = self.store
        cursor = None if full else store.cursor(name)
        since = cursor - self.overlap if cursor else None
        links = {lk.remote_id: lk for lk in store.links(tracker=name)}
        received = self._received(name)
        sent = self._sent(name)
        newest = cursor
        for issue in adapter.changed_since(since):
            crash_point("mid-page")
            newest = issue.updated_at if newest is None else max(newest, issue.updated_at)
            link = links.get(issue.id)
            if not needs_fetch(issue, link):
                continue
            full_issue = adapter.get(issue.id)
            events = store.events(link.ticket_id)
            actions = plan_pull(full_issue, name, link, received, sent, events)
            outcome.actions += actions
            if self.dry_run:
                continue
            for action in actions:
                self.apply_pull(action)
                if isinstance(action, PullComment):
                    received.add(action.comment.id)
            with store.transaction():
                store.update_link(link.ticket_id, name, self.now, state=full_issue.state,
                                  remote_updated_at=full_issue.updated_at)
        if not self.dry_run and newest is not None and newest != cursor:
            with store.transaction():
                store.set_cursor(name, newest, self.now)
        outcome.cursor = newest

    def _note(self, ticket_id: str, data: dict[str, Any], who: str):
        """Append a NOTE (never before the ticket's last event); None if the ticket is final."""
        from .. import service

        events = self.store.events(ticket_id)
        at = max([self.now] + [e.at for e in events[-1:]])
        try:
            event, _ = service.record(self.app, ticket_id, EventKind.NOTE, data, at=at, who=who)
        except DomainError:
            return None
        return event

    def apply_pull(self, action: Action) -> None:
        store, name = self.store, action.tracker
        with store.transaction():
            if isinstance(action, PullComment):
                c = action.comment
                event = self._note(action.ticket, {
                    "message": c.body, "origin": f"{name}:{c.id}", "public": False,
                    "author": c.author, "remote": action.remote_id}, f"{c.author or '?'}@{name}")
                if event is None:
                    store.journal_add(self.now, name, action.ticket, "pull-skipped",
                                      {"comment": c.id, "why": "ticket is final"})
                    return
                self._map(action.ticket, name, c.id, event.seq, "in")
                store.journal_add(self.now, name, action.ticket, "pulled",
                                  {"remote": action.remote_id, "comment": c.id, "event": event.seq})
            elif isinstance(action, MapOwnComment):
                self._map(action.ticket, name, action.comment_id, action.event_seq, "out")
                store.journal_add(self.now, name, action.ticket, "mapped",
                                  {"remote": action.remote_id, "comment": action.comment_id})
            elif isinstance(action, RemoteClosed):
                self._note(action.ticket, {
                    "message": f"the owner party closed {name} issue {action.remote_id};"
                    " verify the fix with the client before resolving the ticket",
                    "origin": f"{name}:{action.remote_id}:closed", "verify": True,
                    "public": False}, f"sync@{name}")
                store.update_link(action.ticket, name, self.now, state="closed")
                store.journal_add(self.now, name, action.ticket, "remote-closed",
                                  {"remote": action.remote_id})
            elif isinstance(action, RemoteReopened):
                self._note(action.ticket, {
                    "message": f"{name} issue {action.remote_id} was reopened",
                    "origin": f"{name}:{action.remote_id}:reopened", "public": False},
                    f"sync@{name}")
                store.update_link(action.ticket, name, self.now, state="open")
                store.journal_add(self.now, name, action.ticket, "remote-reopened",
                                  {"remote": action.remote_id})
        if isinstance(action, PullComment):
            crash_point("after-pull")

    # ------------------------------------------------------------------ relink
    def relink(self, name: str, adapter: Adapter, outcome: TrackerOutcome) -> None:
        """Rebuild links from the markers on the tracker (the store was lost or restored)."""
        store = self.store
        known = self._links(name)
        for issue in adapter.marked_issues():
            ticket = issue.ticket
            if not ticket or store.get_ticket(ticket) is None:
                outcome.actions.append(Nothing(ticket or "?", name,
                                               f"issue {issue.id} names an unknown ticket"))
                continue
            current = known.get((ticket, name))
            if current is not None and current.remote_id == issue.id:
                continue
            outcome.actions.append(Relinked(ticket, name, issue.id))
            if self.dry_run:
                continue
            with store.transaction():
                store.put_link(ticket, name, issue.id, issue.url, issue.state, None, self.now)
                store.journal_add(self.now, name, ticket, "relinked",
                                  {"remote": issue.id, "url": issue.url})

    # ------------------------------------------------------------------ escalate one
    def escalate(self, ticket_id: str, party: str | None):
        """(view, target, CreateRemote) for escalating one ticket now (``party``: --to)."""
        from .plan import Refusal, create_action

        views = self.views(ticket_id)
        if not views:
            raise UsageError(f"unknown ticket {ticket_id!r} (see `sccli ticket list`)")
        view = views[0]
        target = escalation_target(view, self.app.sla.routing, self.app.settings.parties,
                                   override=party)
        if isinstance(target, Refusal):
            raise UsageError(target.message)
        return view, target, create_action(view, target, self.app.settings.parties,
                                           self.executor)


@dataclass(frozen=True)
class Relinked(Action):
    remote_id: str

    kind = "relink"

    def row(self) -> dict[str, Any]:
        return {**super().row(), "remote": self.remote_id, "detail": "link rebuilt from marker"}


def run_sync(app, names: list[str], factory, *, dry_run: bool = False, relink: bool = False,
             wait: float = 0, overlap: float = DEFAULT_OVERLAP,
             progress: Callable[[str], None] | None = None) -> list[TrackerOutcome]:
    """One `sccli sync`: lock, adapters with their persisted ETag caches, run, save caches.

    Trackers that cannot even be built (missing secret, broken adapter) are failed outcomes;
    the others still run."""
    store = app.store
    if not dry_run:
        acquire_lock(store, wait)
    try:
        adapters, caches, failed = {}, {}, []
        for name in names:
            caches[name] = TrackedCache(store.http_cache(name))
            try:
                adapters[name] = build_adapter(app, name, factory, caches[name])
            except TrackerError as exc:
                failed.append(TrackerOutcome(name, error=exc))
        syncer = Syncer(app, adapters, dry_run=dry_run, overlap=overlap, progress=progress)
        outcomes = syncer.run([n for n in names if n in adapters], relink=relink) + failed
        if not dry_run:
            # Only a tracker whose changes were all applied keeps its ETags: a 304 next
            # time must mean "already applied", never "fetched but lost in a failure".
            done = {o.name for o in outcomes if o.ok}
            with store.transaction():
                for name, cache in caches.items():
                    if cache.used and name in done:
                        store.save_http_cache(name, cache.kept(), app.now)
    finally:
        store.release_sync_lock()
    outcomes.sort(key=lambda o: names.index(o.name))
    return outcomes


def _summary(outcome: TrackerOutcome) -> str:
    counts = outcome.counts()
    text = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no changes"
    return text if outcome.ok else f"{text}; {outcome.error}"


def utcnow() -> datetime:
    return datetime.now(UTC)


def iter_names(app, only: str | None) -> Iterator[str]:
    trackers = app.settings.trackers
    if only:
        if only not in trackers:
            known = ", ".join(sorted(trackers)) or "none"
            raise UsageError(f"unknown tracker {only!r} (trackers in sccli.yaml: {known})")
        yield only
        return
    yield from sorted(trackers)
