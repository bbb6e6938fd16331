"""Apply sync plans: intents before remote writes, one transaction after, cursors last.

Crash safety (issue 5, "Crash safety, proven"):
- before a remote create or comment, an intent row is committed; after the adapter call,
  one transaction stores the link (or the comment's id), marks the intent done and
  journals it. A run first resolves every pending intent of a tracker by asking the
  tracker (``find_by_marker`` for issues, the issue's comments for a comment origin), so a
  crash between the remote write and the commit never yields a duplicate. A marker is
  taken as sccli's only on what the account sccli writes as wrote: anyone can type one;
- pulled comments are upserted through the comment map (and the note origins), so reading
  the same changes twice is harmless; the cursor moves only after a tracker's changes were
  committed, and an overlap window re-reads the last seconds (Redmine's coarse filter,
  clock skew);
- one tracker failing never stops the others; its cursor stays.

What a run does travels on one typed stream (``results.py``): each change is journaled in
the transaction that makes it and then handed to the run's sink, which the CLI renders as
progress and ``--format json`` serialises.

``SCCLI_CRASH_AT=point[:n]`` kills the process (SIGKILL) the n-th time ``point`` is reached;
the crash-safety test uses it. Points: after-intent, after-create, after-comment, mid-page,
after-pull; on an intake (``intake.py``) also after-register, after-bind, after-reply.

Intakes (``role: intake``) are synced by ``intake.IntakeSync`` and come first in a run:
new requests become tickets before the escalation trackers are planned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..adapters.base import (
    Adapter,
    TrackerError,
)
from ..domain.events import Note
from ..domain.history import history
from ..domain.model import FINAL_STATUSES, OPEN_STATUSES, DomainError
from ..errors import UsageError
from .escalation import outgoing
from .plan import (
    Action,
    CreateRemote,
    MapOwnComment,
    Nothing,
    PullComment,
    PushComment,
    Relinked,
    RemoteClosed,
    RemoteReopened,
    TicketView,
    escalation_target,
    needs_fetch,
    plan_pull,
    plan_push,
    plan_relink,
    unbound_claims,
    vouched_comments,
)
from .results import (
    Changed,
    Finished,
    Planned,
    Progressed,
    Recorder,
    Sink,
    Started,
    TrackerOutcome,
)
from .wiring import TrackedCache, acquire_lock, build_adapter, crash_point, lock_wait

DEFAULT_OVERLAP = 120  # seconds re-read before the cursor


# --------------------------------------------------------------------------- the engine
class Syncer:
    """One run over some trackers of one store. ``dry_run`` plans and reads only."""

    def __init__(self, app, adapters: dict[str, Adapter], *, dry_run: bool = False,
                 overlap: float = DEFAULT_OVERLAP, sink: Sink | None = None):
        self.app = app
        self.store = app.store
        self.adapters = adapters
        self.dry_run = dry_run
        self.overlap = timedelta(seconds=overlap)
        self.emit: Sink = sink or (lambda result: None)
        self.executor = app.settings.executor.name
        self._cursor: datetime | None = None

    def _journal(self, change: Changed) -> Changed:
        """Keep ``change`` in the journal (call inside the transaction that makes it)."""
        self.store.journal_add(self.now, change.tracker, change.ticket, change.change,
                               change.detail)
        return change

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
        from ..usecases.views import acceptance_rules  # the client's acceptance window

        rule, now = acceptance_rules(self.app), self.now
        for t in tickets:  # as of now: a ticket whose acceptance expired is closed
            h = history(events.get(t.id, ()), ticket=t, acceptance=rule, now=now)
            if h.exists:
                out.append(TicketView(t, clients[h.client], h))
        return out

    def _links(self, tracker: str | None = None):
        return {(lk.ticket_id, lk.tracker): lk for lk in self.store.links(tracker=tracker)}

    def _sent(self, tracker: str) -> set[tuple[str, str, int]]:
        return {(m.ticket_id, m.tracker, m.event_seq) for m in self.store.comment_map(tracker)
                if m.direction == "out"}

    def _own(self, tracker: str) -> dict[str, set[str]]:
        """ticket → the remote comment ids sccli recorded as written to it on ``tracker``."""
        out: dict[str, set[str]] = {}
        for m in self.store.comment_map(tracker):
            if m.direction == "out":
                out.setdefault(m.ticket_id, set()).add(m.remote_comment_id)
        return out

    def _received(self, tracker: str) -> set[str]:
        return {m.remote_comment_id for m in self.store.comment_map(tracker)
                if m.direction == "in"}

    # ------------------------------------------------------------------ run
    def run(self, names: list[str], relink: bool = False) -> None:
        for name in names:
            self.emit(Started(name))
            self._cursor = None
            try:
                self.sync_tracker(name, relink=relink)
            except TrackerError as exc:
                self.emit(Finished(name, self._cursor, exc))
            else:
                self.emit(Finished(name, self._cursor))

    def sync_tracker(self, name: str, relink: bool = False) -> None:
        adapter = self.adapters[name]
        from .intake import IntakeSync, is_intake

        if is_intake(self.app, name):  # requests in, answers out (no relink: see intake.py)
            IntakeSync(self, name, adapter).run()
            return
        if relink:
            self.relink(name, adapter)
        if self.dry_run:
            for i in self.store.pending_intents(name):
                self.emit(Planned(name, Nothing(i.ticket_id, name, f"pending {i.kind} intent"
                                                f" {i.key}: would be checked on the tracker"
                                                " first")))
        else:
            self.resolve_intents(name, adapter)
        if relink:  # read what the markers point at first: our comments there are mapped,
            self.pull(name, adapter, full=True)  # so nothing is posted twice
        push = plan_push(self.views(), self._links(), self._sent(name),
                         self.app.sla.routing, self.app.settings.parties, self.executor,
                         trackers=[name])
        for done, action in enumerate(push, start=1):
            if isinstance(action, Nothing) and action.tracker == "":
                continue  # not escalatable: reported by `sccli escalate` and triage
            if self.dry_run or isinstance(action, Nothing):
                self.emit(Planned(name, action))
                continue
            self.apply_push(adapter, action)
            if len(push) >= 20 and (done % 10 == 0 or done == len(push)):
                self.emit(Progressed(name, done, len(push)))
        if not relink:
            self.pull(name, adapter, full=False)

    # ------------------------------------------------------------------ intents
    def resolve_intents(self, name: str, adapter: Adapter) -> None:
        """Settle what a crashed run left pending, before anything is written again."""
        store = self.store
        for intent in store.pending_intents(name):
            if intent.kind == "create":
                found = adapter.find_by_marker(intent.ticket_id)
                if found is not None and not self._by_us(adapter, found.author_id):
                    found = None  # an adapter must skip them; never link another's issue
                with store.transaction():
                    if found is not None:
                        store.put_link(intent.ticket_id, name, found.id, found.url, found.state,
                                       None, self.now)
                        store.finish_intent(intent.id)
                        change = self._journal(Changed(
                            name, intent.ticket_id, "recovered-create",
                            {"remote": found.id, "url": found.url}))
                    else:
                        store.drop_intent(intent.id)
                        change = self._journal(Changed(name, intent.ticket_id,
                                                       "dropped-intent", {"kind": "create"}))
                self.emit(change)
                continue
            link = self._links(name).get((intent.ticket_id, name))
            found = None
            if link is not None:
                found = self._written(adapter, name, adapter.get(link.remote_id).comments,
                                      intent.key)
            self._settle_comment_intent(name, intent, found, "recovered-comment")

    def _written(self, adapter: Adapter, name: str, comments, origin: str):
        """The comment a crashed run wrote for ``origin``: its marker, by sccli's account,
        not mapped to a ticket event yet (None: it was never written)."""
        taken = {m.remote_comment_id for m in self.store.comment_map(name)}
        return next((c for c in comments if c.origin == origin and c.id not in taken
                     and self._by_us(adapter, c.author_id)), None)

    def _settle_comment_intent(self, name: str, intent, found, recovered: str) -> None:
        """Map a comment a crashed run wrote (``found``) and finish its intent, or drop the
        intent so the plan writes the comment again; journaled and reported either way."""
        store = self.store
        with store.transaction():
            if found is not None:
                seq = int(intent.key.rsplit("/e", 1)[1])
                self._map(intent.ticket_id, name, found.id, seq, "out")
                store.finish_intent(intent.id)
                change = self._journal(Changed(name, intent.ticket_id, recovered,
                                               {"origin": intent.key, "comment": found.id}))
            else:
                store.drop_intent(intent.id)
                change = self._journal(Changed(name, intent.ticket_id, "dropped-intent",
                                               {"kind": intent.kind, "origin": intent.key}))
        self.emit(change)

    @staticmethod
    def _by_us(adapter: Adapter, author_id: str | None) -> bool:
        """Was it written by the account sccli writes as? (asks the tracker once)"""
        return author_id is not None and author_id == adapter.account()

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
            change = self._journal(Changed(
                name, action.ticket, "created",
                {"remote": issue.id, "url": issue.url, "party": action.party}, action))
        self.emit(change)
        return issue

    def push_comment(self, adapter: Adapter, action: PushComment) -> None:
        store, name = self.store, adapter.name
        link = next(iter(store.links(ticket_id=action.ticket, tracker=name)), None)
        if link is None:  # the create failed earlier in this run
            self.emit(Planned(name, action))
            return
        with store.transaction():
            intent = store.add_intent(action.ticket, name, "comment", action.origin, self.now)
        crash_point("after-intent")
        comment = adapter.comment(link.remote_id, action.body, action.origin)
        crash_point("after-comment")
        with store.transaction():
            self._map(action.ticket, name, comment.id, action.event_seq, "out")
            store.finish_intent(intent)
            change = self._journal(Changed(
                name, action.ticket, "commented",
                {"remote": link.remote_id, "comment": comment.id, "origin": action.origin},
                action))
        self.emit(change)

    # ------------------------------------------------------------------ pull
    def pull(self, name: str, adapter: Adapter, full: bool) -> None:
        store = self.store
        cursor = None if full else store.cursor(name)
        since = cursor - self.overlap if cursor else None
        links = {lk.remote_id: lk for lk in store.links(tracker=name)}
        received = self._received(name)
        sent = self._sent(name)
        own = self._own(name)
        newest = cursor
        for issue in adapter.changed_since(since):
            crash_point("mid-page")
            newest = issue.updated_at if newest is None else max(newest, issue.updated_at)
            link = links.get(issue.id)
            if link is None or not needs_fetch(issue, link):
                continue
            full_issue = adapter.get(issue.id)
            origins = history(store.events(link.ticket_id)).origins
            mine = own.get(link.ticket_id, set())
            actions = plan_pull(full_issue, name, link, received, sent, origins, own=mine,
                                vouched=self._vouched(adapter, full_issue, link, mine, full))
            if self.dry_run:
                for action in actions:
                    self.emit(Planned(name, action))
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
        self._cursor = newest

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
        if isinstance(action, PullComment):
            action = self._redacted_first(action)
        with self.store.transaction():
            change = self._journal(self._pulled(action))
        self.emit(change)
        if isinstance(action, PullComment):
            crash_point("after-pull")

    def _redacted_first(self, action: PullComment) -> PullComment:
        """A pulled comment with its credentials already in the vault: vault and keyring
        writes happen before the transaction that records the note, never inside it."""
        from dataclasses import replace as copy

        from ..usecases import tickets

        h = tickets.load(self.app, action.ticket)
        if h.status.is_final:  # recorded as skipped: nothing of it is kept
            return action
        (body,), _moved = tickets.move_secrets(self.app, action.ticket, [action.comment.body],
                                               lambda: list(h.texts))
        return copy(action, comment=copy(action.comment, body=body))

    def _pulled(self, action: Action) -> Changed:
        """Apply one pulled action to the store (inside the caller's transaction)."""
        store, name, ticket = self.store, action.tracker, action.ticket
        if isinstance(action, PullComment):
            c = action.comment
            event = self._note(ticket, Note(
                message=c.body, origin=f"{name}:{c.id}", author=c.author,
                remote=action.remote_id), f"{c.author or '?'}@{name}")
            if event is None:
                return Changed(name, ticket, "pull-skipped",
                               {"comment": c.id, "why": "ticket is final"}, action)
            self._map(ticket, name, c.id, event.seq, "in")
            return Changed(name, ticket, "pulled",
                           {"remote": action.remote_id, "comment": c.id, "event": event.seq},
                           action)
        if isinstance(action, MapOwnComment):
            self._map(ticket, name, action.comment_id, action.event_seq, "out")
            return Changed(name, ticket, "mapped",
                           {"remote": action.remote_id, "comment": action.comment_id}, action)
        if isinstance(action, RemoteClosed):
            self._note(ticket, Note(
                message=f"the owner party closed {name} issue {action.remote_id};"
                " verify the fix with the client before resolving the ticket",
                origin=f"{name}:{action.remote_id}:closed", verify=True), f"sync@{name}")
            store.update_link(ticket, name, self.now, state="closed")
            return Changed(name, ticket, "remote-closed", {"remote": action.remote_id}, action)
        if isinstance(action, RemoteReopened):
            self._note(ticket, Note(
                message=f"{name} issue {action.remote_id} was reopened",
                origin=f"{name}:{action.remote_id}:reopened"), f"sync@{name}")
            store.update_link(ticket, name, self.now, state="open")
            return Changed(name, ticket, "remote-reopened", {"remote": action.remote_id},
                           action)
        raise AssertionError(f"not a pull action: {action!r}")

    # ------------------------------------------------------------------ relink
    def relink(self, name: str, adapter: Adapter) -> None:
        """Rebuild links from the markers on the tracker (the store was lost or restored).

        Only issues the account sccli writes as opened are linked (``plan.plan_relink``);
        the others are reported as ignored. A dry run (``sync --relink`` without ``--yes``)
        only reports what would change."""
        from .intake import is_intake

        if is_intake(self.app, name):
            return  # an intake's requests carry their ticket (bind); not relinked here
        store = self.store
        issues = list(adapter.marked_issues())
        known = {t for t in {i.ticket for i in issues if i.ticket}
                 if store.get_ticket(t) is not None}
        account = adapter.account() if issues else ""
        for action in plan_relink(issues, name, self._links(name), known, account):
            if self.dry_run or not isinstance(action, Relinked):
                self.emit(Planned(name, action))
                continue
            detail = {"remote": action.remote_id, "url": action.url}
            if action.previous is not None:
                detail["previous"] = action.previous
            if action.displaced is not None:
                detail["displaced"] = action.displaced
            with store.transaction():
                store.put_link(action.ticket, name, action.remote_id, action.url, action.state,
                               None, self.now)
                change = self._journal(Changed(name, action.ticket, "relinked", detail, action))
            self.emit(change)

    def _vouched(self, adapter: Adapter, issue, link, own: set[str],
                 relinking: bool) -> frozenset[str]:
        """The comments of ``issue`` recovery takes as sccli's own although the store does
        not know them (``plan.vouched_comments``): while relinking (the store was lost), any
        the account sccli writes as wrote with an origin naming the ticket; otherwise only
        the ones a pending comment intent waits for (a dry run before recovery)."""
        if not unbound_claims(issue, own):
            return frozenset()
        origins: set[str] | None = None
        if not relinking:
            origins = {i.key for i in self.store.pending_intents(adapter.name)
                       if i.kind == "comment" and i.ticket_id == link.ticket_id}
            if not origins:
                return frozenset()
        return vouched_comments(issue, link.ticket_id, own, adapter.account(), origins)

    # ------------------------------------------------------------------ escalate one
    def escalation(self, ticket_id: str, party: str | None):
        """(view, target, CreateRemote) for escalating one ticket now (``party``: --to)."""
        from .plan import Refusal, create_action

        views = self.views(ticket_id)
        if not views:
            raise UsageError(f"unknown ticket {ticket_id!r} (see `sccli ticket list`)")
        view = views[0]
        target = escalation_target(view, self.app.sla.routing, self.app.settings.parties,
                                   override=party, manual=True)
        if isinstance(target, Refusal):
            raise UsageError(target.message)
        return view, target, create_action(view, target, self.app.settings.parties,
                                           self.executor)


@dataclass(frozen=True)
class Escalation:
    """What `sccli escalate` did (or, with ``dry_run``, would do)."""

    ticket: str
    tracker: str
    party: str
    title: str
    body: str
    remote: str | None = None
    url: str | None = None
    created: bool = False
    dry_run: bool = False


def escalate(app, ticket_id: str, party: str | None = None, *, dry_run: bool = False,
             wait: float = 0, factory=None, sink: Sink | None = None,
             compose: Callable[[str], str] | None = None) -> Escalation:
    """Escalate one ticket now to the party that owns its source (``party``: --to).

    Idempotent: an existing link is reported, never duplicated; a crashed earlier attempt
    is recovered by its marker. A tracker failure raises its TrackerError (exit 4/5/75).

    ``compose`` (`escalate --edit`, `--message-file`) gets the prepared body once the
    ticket is known to need a new issue and returns the engineer's text, which goes out
    instead; it passes ``outgoing`` like every text that leaves sccli, so a password the
    engineer typed is replaced by a reference. An empty text cancels: nothing is written
    (UsageError).
    """
    from ..usecases.tickets import require_ticket

    ticket_id = require_ticket(app, ticket_id).id
    syncer = Syncer(app, {}, dry_run=dry_run, sink=sink)
    _view, target, action = syncer.escalation(ticket_id, party)
    store = app.store
    link = next(iter(store.links(ticket_id=ticket_id, tracker=target.tracker)), None)
    if link is None and compose is not None:
        text = compose(action.body)
        if not text.strip():
            raise UsageError(f"{ticket_id}: escalation cancelled: the text is empty; nothing"
                             " was sent or recorded")
        action = replace(action, body=outgoing(text.strip("\n"), ticket_id))
    result = Escalation(ticket_id, target.tracker, target.party, action.title, action.body,
                        dry_run=dry_run)
    if link is not None:
        return replace(result, remote=link.remote_id, url=link.url)
    if dry_run:
        return result
    if factory is None:
        from ..adapters.http import HttpFactory

        factory = HttpFactory()
    acquire_lock(store, lock_wait(wait, factory))
    try:
        adapter = build_adapter(app, target.tracker, factory)
        syncer.adapters = {target.tracker: adapter}
        syncer.resolve_intents(target.tracker, adapter)
        link = next(iter(store.links(ticket_id=ticket_id, tracker=target.tracker)), None)
        if link is None:
            issue = syncer.create(adapter, action)
            return replace(result, remote=issue.id, url=issue.url, created=True)
        # a crashed earlier run had created it: recovered by its marker
        return replace(result, remote=link.remote_id, url=link.url, created=True)
    finally:
        store.release_sync_lock()


def run_sync(app, names: list[str], factory, *, dry_run: bool = False, relink: bool = False,
             wait: float = 0, overlap: float = DEFAULT_OVERLAP,
             sink: Sink | None = None) -> list[TrackerOutcome]:
    """One `sccli sync`: lock, adapters with their persisted ETag caches, run, save caches.

    Every result goes to ``sink`` as it happens; the outcome of each tracker is returned.
    Trackers that cannot even be built (missing secret, broken adapter) are failed; the
    others still run. Once the factory's deadline (``--timeout``) has passed no tracker
    starts: each one left fails as temporary, its cursor kept."""
    from .intake import is_intake

    store = app.store
    recorder = Recorder(sink)
    names = sorted(names, key=lambda n: not is_intake(app, n))  # intakes first (stable)
    if not dry_run:
        acquire_lock(store, lock_wait(wait, factory))
    try:
        adapters, caches = {}, {}
        for name in names:
            caches[name] = TrackedCache(store.http_cache(name))
            try:
                adapters[name] = build_adapter(app, name, factory, caches[name])
            except TrackerError as exc:
                recorder(Finished(name, None, exc))
        syncer = Syncer(app, adapters, dry_run=dry_run, overlap=overlap, sink=recorder)
        for name in (n for n in names if n in adapters):
            if factory.expired():  # the run's deadline: trackers not started are failed
                recorder(Finished(name, None, factory.deadline_error(name, "not started")))
            else:
                syncer.run([name], relink=relink)
        outcomes = recorder.outcomes(names)
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
    return outcomes


def preview_relink(app, names: list[str], factory, *,
                   sink: Sink | None = None) -> list[TrackerOutcome]:
    """`sccli sync --relink` without ``--yes``: what relinking would change on each tracker
    (new links, re-pointed ones, issues ignored), read from the trackers; nothing is
    written anywhere and no lock is taken. The outcome of each tracker is returned."""
    recorder = Recorder(sink)
    syncer = Syncer(app, {}, dry_run=True, sink=recorder)
    for name in names:
        recorder(Started(name))
        try:
            adapter = build_adapter(app, name, factory,
                                    TrackedCache(app.store.http_cache(name)))
            syncer.relink(name, adapter)
        except TrackerError as exc:
            recorder(Finished(name, None, exc))
        else:
            recorder(Finished(name, None))
    return recorder.outcomes(names)


def iter_names(app, only: str | None) -> Iterator[str]:
    trackers = app.settings.trackers
    if only:
        if only not in trackers:
            known = ", ".join(sorted(trackers)) or "none"
            raise UsageError(f"unknown tracker {only!r} (trackers in sccli.yaml: {known})")
        yield only
        return
    yield from sorted(trackers)
