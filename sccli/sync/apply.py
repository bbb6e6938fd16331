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

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..adapters.base import (
    Adapter,
    TrackerError,
)
from ..domain.events import Note
from ..domain.history import history
from ..domain.model import FINAL_STATUSES, OPEN_STATUSES, DomainError
from ..errors import UsageError
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
from .wiring import TrackedCache, TrackerOutcome, acquire_lock, build_adapter, crash_point

DEFAULT_OVERLAP = 120  # seconds re-read before the cursor


class Progress(Protocol):
    """Reports a line of progress; a transient one may be overwritten by the next."""

    def __call__(self, text: str, transient: bool = False) -> None: ...


# --------------------------------------------------------------------------- the engine
class Syncer:
    """One run over some trackers of one store. ``dry_run`` plans and reads only."""

    def __init__(self, app, adapters: dict[str, Adapter], *, dry_run: bool = False,
                 overlap: float = DEFAULT_OVERLAP,
                 progress: Progress | None = None):
        self.app = app
        self.store = app.store
        self.adapters = adapters
        self.dry_run = dry_run
        self.overlap = timedelta(seconds=overlap)
        self.progress = progress or (lambda text, transient=False: None)
        self.executor = app.settings.executor.name

    @property
    def now(self) -> datetime:
        """The clock (not --at): when sync's own facts are recorded."""
        return self.app.clock

    # ------------------------------------------------------------------ inputs
    def views(self, ticket_id: str | None = None) -> list[TicketView]:
        store = self.store
        clients = {c.key: c for c in store.clients()}
        if ticket_id:
            ticket = store.get_ticket(ticket_id)
            tickets = [ticket] if ticket else []
            events = {ticket_id: store.events(ticket_id)} if ticket else {}
        else:  # open tickets, plus closed ones still linked (their unsent public notes)
            tickets = store.tickets(statuses=OPEN_STATUSES)
            events = store.events_by_ticket(OPEN_STATUSES)
            final = [s.value for s in FINAL_STATUSES]
            for tid in store.final_with_unsent_notes(final):
                ticket = store.get_ticket(tid)
                if ticket is not None:
                    tickets.append(ticket)
                    events[tid] = store.events(tid)
        out = []
        for t in tickets:
            h = history(events.get(t.id, ()), ticket=t)
            if h.exists:
                out.append(TicketView(t, clients[h.client], h))
        return out

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
            if link is None or not needs_fetch(issue, link):
                continue
            full_issue = adapter.get(issue.id)
            origins = history(store.events(link.ticket_id)).origins
            actions = plan_pull(full_issue, name, link, received, sent, origins)
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

    def _note(self, ticket_id: str, note: Note, who: str):
        """Append a note (never before the ticket's last event); None if the ticket is final."""
        from ..usecases import tickets

        last = history(self.store.events(ticket_id)).last_event_at
        at = max(self.now, last) if last is not None else self.now
        try:
            event, _ = tickets.record(self.app, ticket_id, note, at=at, who=who)
        except DomainError:
            return None
        return event

    def apply_pull(self, action: Action) -> None:
        store, name = self.store, action.tracker
        with store.transaction():
            if isinstance(action, PullComment):
                c = action.comment
                event = self._note(action.ticket, Note(
                    message=c.body, origin=f"{name}:{c.id}", author=c.author,
                    remote=action.remote_id), f"{c.author or '?'}@{name}")
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
                self._note(action.ticket, Note(
                    message=f"the owner party closed {name} issue {action.remote_id};"
                    " verify the fix with the client before resolving the ticket",
                    origin=f"{name}:{action.remote_id}:closed", verify=True), f"sync@{name}")
                store.update_link(action.ticket, name, self.now, state="closed")
                store.journal_add(self.now, name, action.ticket, "remote-closed",
                                  {"remote": action.remote_id})
            elif isinstance(action, RemoteReopened):
                self._note(action.ticket, Note(
                    message=f"{name} issue {action.remote_id} was reopened",
                    origin=f"{name}:{action.remote_id}:reopened"), f"sync@{name}")
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
             progress: Progress | None = None) -> list[TrackerOutcome]:
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
                        store.save_http_cache(name, cache.kept(), app.clock)
    finally:
        store.release_sync_lock()
    outcomes.sort(key=lambda o: names.index(o.name))
    return outcomes


def _summary(outcome: TrackerOutcome) -> str:
    counts = outcome.counts()
    text = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no changes"
    return text if outcome.ok else f"{text}; {outcome.error}"


def iter_names(app, only: str | None) -> Iterator[str]:
    trackers = app.settings.trackers
    if only:
        if only not in trackers:
            known = ", ".join(sorted(trackers)) or "none"
            raise UsageError(f"unknown tracker {only!r} (trackers in sccli.yaml: {known})")
        yield only
        return
    yield from sorted(trackers)
