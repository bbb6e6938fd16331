"""Sync with an intake (``role: intake``): the client's requests in, the executor's answers out.

Contract: "A request is submitted by e-mail to the support mailbox, or in the client's
account on the Customer Success Portal" («Заявка направляется … в личном кабинете на
Портале»), and the client gets "one single window" («единое окно»). One run, per intake:

1. pending reply intents of a crashed run are settled first (the request's messages are
   read: a message carrying the intent's origin, written by sccli's account, is ours);
2. new and changed requests are pulled (cursor per intake, the same overlap window as
   escalation pulls). A new request becomes a ticket through the one write path
   (``tickets.add_ticket``: secrets moved to the vault before anything is stored, the
   reporter kept for the authorized-contact check, channel, priority and registration time
   from the request); its link is stored in the same transaction, then ``bind`` records
   the ticket on the request. A request already closed when sccli first sees it (the
   history a first sync lists) is not registered. A request whose account is not mapped to a client
   (``trackers.NAME.accounts``) is reported, never guessed: the others go on, the run
   exits 5 and the cursor stays at it, so it is read again once the mapping is added;
3. the client's new messages become answers when the ticket awaits the client (contract:
   "The client answers the executor's clarifying questions within 2 business days": the
   answer stops that clock) and otherwise notes with the request as their origin, which
   triage shows; messages sccli wrote (its origin marker, its account) are never pulled;
4. the executor's responses, clarifying questions, resolutions, reopenings, rejections and
   public notes go back with ``reply`` and the matching step, each carrying its origin
   (``ACME-12/e7``), an intent committed before the write and the comment map after it, so
   a crash never writes twice.

Crash points (``SCCLI_CRASH_AT``): mid-page, after-register, after-bind, after-pull,
after-intent, after-reply.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..adapters.base import RemoteComment, TrackerError
from ..adapters.intake import (
    INTAKE,
    STEP_ASKED,
    STEP_REJECTED,
    STEP_REOPENED,
    STEP_RESOLVED,
    STEP_RESPONDED,
    IncomingRequest,
)
from ..domain import events as ev
from ..domain.history import history
from ..domain.model import DomainError, Status
from ..errors import UsageError
from .escalation import outgoing
from .plan import Action, Nothing, _short, origin_of
from .results import Changed, Planned
from .wiring import crash_point

if TYPE_CHECKING:  # pragma: no cover
    from .apply import Syncer

# The executor's steps that reach the client, and how each moves the request.
STEP_OF: dict[type, str] = {
    ev.Responded: STEP_RESPONDED, ev.Asked: STEP_ASKED, ev.Resolved: STEP_RESOLVED,
    ev.Reopened: STEP_REOPENED, ev.Rejected: STEP_REJECTED,
}
# The request's state each step leaves it in (the intake's ``IncomingRequest.state``).
_STATE_AFTER = {STEP_RESPONDED: "open", STEP_ASKED: "paused", STEP_RESOLVED: "resolved",
                STEP_REOPENED: "open", STEP_REJECTED: "closed"}
_PUSHED = ("responded", "asked", "resolved", "reopened", "rejected", "note")


# --------------------------------------------------------------------------- actions
@dataclass(frozen=True)
class RegisterRequest(Action):
    """A new request on the intake becomes a ticket (``ticket`` is "" until it has an id)."""

    remote_id: str
    number: str
    client: str
    title: str

    kind = "register"

    def row(self) -> dict[str, Any]:
        return {**super().row(), "remote": self.remote_id,
                "detail": f"{self.number} ({self.client}): {_short(self.title)}"}


@dataclass(frozen=True)
class UnknownAccount(Action):
    """A request that cannot become a ticket: its account maps to no client (or it is
    refused, e.g. its reporter is not an e-mail address). Reported, never guessed."""

    remote_id: str
    reason: str

    kind = "unknown-account"

    def row(self) -> dict[str, Any]:
        return {**super().row(), "remote": self.remote_id, "detail": self.reason}


@dataclass(frozen=True)
class ClientMessage(Action):
    """The client's message on a request: a note that triage shows."""

    remote_id: str
    comment: RemoteComment

    kind = "message-in"

    def row(self) -> dict[str, Any]:
        return {**super().row(), "remote": self.remote_id, "comment": self.comment.id,
                "detail": f"{self.comment.author}: {_short(self.comment.body)}"}


@dataclass(frozen=True)
class ClientAnswer(ClientMessage):
    """The client's message while the ticket awaits the client: the answer (clock stops)."""

    kind = "answer-in"


@dataclass(frozen=True)
class Reply(Action):
    """An event of the executor's written back to the request, with its status step."""

    remote_id: str
    event_seq: int
    body: str
    step: str | None

    kind = "reply"

    @property
    def origin(self) -> str:
        return origin_of(self.ticket, self.event_seq)

    def row(self) -> dict[str, Any]:
        return {**super().row(), "remote": self.remote_id, "event": self.event_seq,
                "step": self.step, "detail": f"[{self.step or 'message'}] {_short(self.body)}"}


# --------------------------------------------------------------------------- the run
class IntakeSync:
    """One intake's turn of a run, over the run's ``Syncer`` (its store, clock, journal)."""

    def __init__(self, syncer: Syncer, name: str, adapter: Any):
        self.syncer, self.name, self.adapter = syncer, name, adapter
        self.app, self.store = syncer.app, syncer.store
        self.settings = syncer.app.settings.trackers[name]
        self.dry_run = syncer.dry_run
        self.refused: list[str] = []

    def emit(self, result) -> None:
        self.syncer.emit(result)

    def run(self) -> None:
        if self.dry_run:
            for i in self.store.pending_intents(self.name):
                self.emit(Planned(self.name, Nothing(
                    i.ticket_id, self.name, f"pending reply {i.key}: would be checked on"
                    " the intake first")))
        else:
            self.resolve_intents()
        self.pull()
        self.push()
        if self.refused:
            raise TrackerError(
                f"{len(self.refused)} request(s) not registered: {self.refused[0]}"
                + (f" (and {len(self.refused) - 1} more)" if len(self.refused) > 1 else ""),
                self.name)

    # ------------------------------------------------------------------ intents
    def resolve_intents(self) -> None:
        """A reply a crashed run may have written: found on the request (its origin, by
        sccli's account, not mapped yet) → mapped; not found → the intent is dropped and
        the plan writes it again."""
        store, name, syncer = self.store, self.name, self.syncer
        for intent in store.pending_intents(name):
            link = next(iter(store.links(ticket_id=intent.ticket_id, tracker=name)), None)
            found = None
            if link is not None and intent.kind == "comment":
                request = self.adapter.request(link.remote_id)
                found = syncer._written(self.adapter, name, request.messages, intent.key)
                if found is not None:
                    self.finish_step(intent.ticket_id, link.remote_id, intent.key,
                                     request.state)
            syncer._settle_comment_intent(name, intent, found, "recovered-reply")

    def finish_step(self, ticket_id: str, remote_id: str, origin: str, state: str) -> None:
        """The crashed run's message is on the request; its status move may not be (an
        adapter whose message and status are two writes, like BPMSoft's portal message and
        ``PATCH Case``, killed between them). Not in the step's state: ``reply`` again, which
        finds sccli's message for ``origin`` and only moves the status (the message is
        written once, the status too: "answers and status written back once each")."""
        seq = int(origin.rsplit("/e", 1)[1])
        ticket = self.store.get_ticket(ticket_id)
        event = next((e for e in history(self.store.events(ticket_id), ticket=ticket).events
                      if e.seq == seq), None)
        p = None if event is None else event.payload
        if not isinstance(p, ev.Said):
            return
        step = STEP_OF.get(type(p))
        if step is None or state == _STATE_AFTER.get(step, state):
            return
        body = outgoing(f"{p.message}\n\n— {self.syncer.executor}", ticket_id)
        self.adapter.reply(remote_id, body, origin, step)

    # ------------------------------------------------------------------ pull
    def pull(self) -> None:
        store, name, syncer = self.store, self.name, self.syncer
        cursor = store.cursor(name)
        since = cursor - syncer.overlap if cursor else None
        links = {lk.remote_id: lk for lk in store.links(tracker=name)}
        received, own, sent = syncer._received(name), syncer._own(name), syncer._sent(name)
        newest, hold = cursor, None
        for request in self.adapter.requests_changed_since(since):
            crash_point("mid-page")
            newest = request.updated_at if newest is None else max(newest, request.updated_at)
            link = links.get(request.id)
            if link is None and request.state == "closed":
                continue  # closed before sccli saw it (a first sync's history): not a ticket
            if link is None:
                ticket = self.register(request)
                if ticket is None:
                    if not self.dry_run:  # read it again next run, once it can be registered
                        hold = request.updated_at if hold is None else min(
                            hold, request.updated_at)
                    continue
                if not ticket:
                    continue  # a dry run: planned
                link = store.links(ticket_id=ticket, tracker=name)[0]
                links[request.id] = link
            elif (link.remote_updated_at is not None and request.state == link.state
                  and request.updated_at <= link.remote_updated_at):
                continue  # read completely before, unchanged since
            if link.remote_updated_at is None and not self.dry_run:
                self.adapter.bind(request.id, link.ticket_id)  # idempotent
                crash_point("after-bind")
            full = self.adapter.request(request.id)
            self.pull_messages(full, link.ticket_id, received,
                               own.setdefault(link.ticket_id, set()), sent)
            if not self.dry_run:
                with store.transaction():
                    store.update_link(link.ticket_id, name, syncer.now, state=full.state,
                                      remote_updated_at=full.updated_at)
        if hold is not None:
            newest = hold if newest is None else min(newest, hold)
        if not self.dry_run and newest is not None and newest != cursor:
            with store.transaction():
                store.set_cursor(name, newest, syncer.now)
        syncer._cursor = newest

    def _refuse(self, request: IncomingRequest, reason: str) -> str | None:
        """Report a request that cannot become a ticket; None (for ``register``)."""
        self.refused.append(reason)
        self.emit(Planned(self.name, UnknownAccount("", self.name, request.id, reason)))
        return None

    def register(self, request: IncomingRequest) -> str | None:
        """A new request → a ticket and its link, in one transaction: the ticket's id ("" in
        a dry run, which only plans it); None when refused (an unmapped account, a request
        ``ticket add`` would refuse), reported."""
        from ..usecases import tickets

        name, store, syncer = self.name, self.store, self.syncer
        accounts = self.settings.accounts
        key = accounts.get(request.account)
        if key is None and request.account in accounts.values():
            key = request.account  # the adapter mapped it already, through the same map
        client = store.get_client(key.strip().upper()) if key else None
        if client is None and key:
            client = store.get_client(key.strip())
        if client is None:
            where = f"trackers.{name}.accounts"
            why = (f"its account {request.account!r} maps to {key!r}, which is not a client"
                   " (sccli client add)" if key else
                   f"unknown account {request.account!r}: map it to a client under {where}"
                   " in sccli.yaml")
            return self._refuse(request, f"request {request.number}: {why}")
        action = RegisterRequest("", name, request.id, request.number, client.key,
                                 request.title)
        if self.dry_run:
            self.emit(Planned(name, action))
            return ""
        done: list[Changed] = []

        def link(ticket) -> None:  # inside the transaction that stores the ticket
            store.put_link(ticket.id, name, request.id, request.url, request.state, None,
                           syncer.now)
            done.append(syncer._journal(Changed(
                name, ticket.id, "registered",
                {"remote": request.id, "number": request.number, "url": request.url,
                 "client": client.key}, replace(action, ticket=ticket.id))))

        when = min(request.registered_at, syncer.now)
        try:
            added = tickets.add_ticket(self.app, client.key, request.reporter,
                               request.title.strip() or request.number, request.body,
                               request.priority, request.channel or self.settings.channel,
                               False, at=when, then=link)
        except (DomainError, UsageError) as exc:
            return self._refuse(request, f"request {request.number}: {exc}")
        self.emit(done[0])
        crash_point("after-register")
        return added.id

    def pull_messages(self, request: IncomingRequest, ticket: str, received: set[str],
                      own: set[str], sent: set[tuple[str, str, int]]) -> None:
        """The client's new messages on ``request``: answers or notes (see the module).
        ``received``: message ids pulled before; ``own``: the ticket's replies sccli
        recorded; ``sent``: (ticket, tracker, event seq) written back (all read once a run)."""
        from ..usecases import tickets

        name, syncer = self.name, self.syncer
        for m in request.messages:
            if m.id in own or m.id in received:
                continue
            prefix = f"{ticket}/e"
            if (m.origin and m.origin.startswith(prefix) and m.origin[len(prefix):].isdigit()
                    and syncer._by_us(self.adapter, m.author_id)):
                seq = int(m.origin[len(prefix):])  # ours, unrecorded: never pulled back
                if not self.dry_run and (ticket, name, seq) not in sent:
                    sent.add((ticket, name, seq))
                    own.add(m.id)
                    with self.store.transaction():
                        syncer._map(ticket, name, m.id, seq, "out")
                        change = syncer._journal(Changed(name, ticket, "mapped",
                                                         {"comment": m.id, "origin": m.origin}))
                    self.emit(change)
                continue
            h = tickets.load(self.app, ticket)
            if h.status.is_final:
                self.emit(Planned(name, Nothing(ticket, name, f"message {m.id} on a"
                                                f" {h.status.value} ticket: not recorded")))
                continue
            answer = h.status is Status.AWAITING_CLIENT
            action = (ClientAnswer if answer else ClientMessage)(ticket, name, request.id, m)
            if self.dry_run:
                self.emit(Planned(name, action))
                continue
            texts: list[str] = list(h.texts)
            (body,), moved = tickets.move_secrets(self.app, ticket, [m.body],
                                                  texts.copy)
            last = h.last_event_at
            at = min(m.created_at, syncer.now)
            at = max(at, last) if last is not None else at
            payload: ev.Payload = (ev.Answered(message=body, secrets=moved) if answer else ev.Note(
                message=body, origin=f"{name}:{m.id}", author=m.author, remote=request.id,
                secrets=moved))
            with self.store.transaction():
                event, _ = tickets.record(self.app, ticket, payload, at=at,
                                          who=f"{m.author or '?'}@{name}")
                syncer._map(ticket, name, m.id, event.seq, "in")
                change = syncer._journal(Changed(
                    name, ticket, "answered" if answer else "pulled",
                    {"remote": request.id, "comment": m.id, "event": event.seq}, action))
            received.add(m.id)
            self.emit(change)
            crash_point("after-pull")

    # ------------------------------------------------------------------ push
    def push(self) -> None:
        """The executor's client-facing events not yet written back, oldest first."""
        store, name, syncer = self.store, self.name, self.syncer
        links = {lk.ticket_id: lk for lk in store.links(tracker=name)}
        sent = syncer._sent(name)
        executor = syncer.executor
        for ticket_id in self.unsent(name):
            link, ticket = links.get(ticket_id), store.get_ticket(ticket_id)
            if link is None or ticket is None:
                continue
            h = history(store.events(ticket_id), ticket=ticket)
            if not h.exists:
                continue  # its registration was voided
            for event in h.events:
                p = event.payload
                step: str | None
                if isinstance(p, ev.Note):
                    if not p.public or p.origin:
                        continue
                    step = None
                elif isinstance(p, ev.Said) and type(p) in STEP_OF:
                    step = STEP_OF[type(p)]
                else:
                    continue
                if (ticket_id, name, event.seq) in sent:
                    continue
                body = outgoing(f"{p.message}\n\n— {executor}", ticket_id)
                action = Reply(ticket_id, name, link.remote_id, event.seq, body, step)
                if self.dry_run:
                    self.emit(Planned(name, action))
                else:
                    self.reply(action)

    def unsent(self, name: str) -> list[str]:
        """Tickets linked to this intake with a client-facing event neither written back
        nor pulled (a cheap pre-filter; the fold decides exactly)."""
        marks = ",".join("?" * len(_PUSHED))
        rows = self.store.query(
            "SELECT DISTINCT e.ticket_id AS id FROM events e"
            " JOIN links l ON l.ticket_id = e.ticket_id AND l.tracker = ?"
            f" WHERE e.kind IN ({marks})"
            " AND NOT EXISTS (SELECT 1 FROM comment_map m WHERE m.ticket_id = e.ticket_id"
            " AND m.tracker = l.tracker AND m.event_seq = e.seq)"
            " ORDER BY e.ticket_id", (name, *_PUSHED))
        return [r["id"] for r in rows]

    def reply(self, action: Reply) -> None:
        store, name, syncer = self.store, self.name, self.syncer
        with store.transaction():
            intent = store.add_intent(action.ticket, name, "comment", action.origin,
                                      syncer.now)
        crash_point("after-intent")
        comment = self.adapter.reply(action.remote_id, action.body, action.origin,
                                     action.step)
        crash_point("after-reply")
        with store.transaction():
            syncer._map(action.ticket, name, comment.id, action.event_seq, "out")
            store.finish_intent(intent)
            change = syncer._journal(Changed(
                name, action.ticket, "replied",
                {"remote": action.remote_id, "comment": comment.id, "origin": action.origin,
                 "step": action.step}, action))
        self.emit(change)


# --------------------------------------------------------------------------- for commands
def intake_request(app, ticket_id: str) -> tuple[str, str] | None:
    """(intake tracker, request id) the ticket came from, or None (registered by hand)."""
    trackers = app.settings.trackers
    for lk in app.store.links(ticket_id=ticket_id):
        settings = trackers.get(lk.tracker)
        if settings is not None and settings.role == INTAKE:
            return lk.tracker, lk.remote_id
    return None


def is_intake(app, name: str) -> bool:
    settings = app.settings.trackers.get(name)
    return settings is not None and settings.role == INTAKE


__all__ = ["ClientAnswer", "ClientMessage", "IntakeSync", "RegisterRequest", "Reply",
           "UnknownAccount", "intake_request", "is_intake"]
