"""`sccli tick`: record each time-driven fact once, queue its notice once, deliver.

The candidates are read like `sla check` reads them: one query for the events no clock or
fact can do without, of the tickets whose status projection is open (new, in progress,
awaiting client, reopened, resolved); closed and rejected tickets are never read. Each is
folded as of now with the acceptance rule and ``domain.tick.due_facts`` says what is due.

Only a ticket with something due is written, in one transaction of its own: the ticket's
row is locked (PostgreSQL: FOR UPDATE; SQLite: the write lock), its events are read and the
facts decided again under the lock, and each fact's event and notice are inserted
together (the notice key is unique). So two runs at once, on one host or two, record and
queue each fact once: the second finds the first's events. Then the outbox is delivered
(``usecases.outbox.deliver``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from ..domain.clocks import CLOCK_FREE_KINDS
from ..domain.events import Alerted, AutoAccepted, Event, Note
from ..domain.history import TicketHistory, history
from ..domain.model import OPEN_STATUSES, EventKind, Ticket
from ..domain.tick import (
    AUTO_ACCEPTED,
    CLIENT_OVERDUE,
    ESCALATION_UNANSWERED,
    Due,
    Escalation,
    due_facts,
    not_before,
    notice_text,
)
from ..notify import Channels, Notice
from ..store.base import gc_paused
from .context import Workspace
from .outbox import Delivered, deliver
from .packages import package_for, package_lookup
from .views import acceptance_rules

ACTOR = "sccli-tick"
# what the bulk read leaves in the store: tick needs its own facts (ALERTED), not these
_SKIP = tuple(k for k in CLOCK_FREE_KINDS if k is not EventKind.ALERTED)


@dataclass(frozen=True)
class Done:
    """One fact recorded (or, in a dry run, to be recorded) and its notice."""

    due: Due
    client: str
    channels: tuple[str, ...]
    not_before: datetime
    notice_key: str


@dataclass
class TickResult:
    now: datetime
    dry_run: bool
    facts: list[Done] = field(default_factory=list)
    delivered: Delivered = field(default_factory=Delivered)
    pending_before: int = 0  # deliveries due at now (dry run: what a run would try)


def tick(ws: Workspace, channels: Channels, dry_run: bool = False) -> TickResult:
    now = ws.clock
    result = TickResult(now, dry_run)
    rules = acceptance_rules(ws)
    sla = ws.sla
    terms = package_lookup(ws)  # each client's service package
    follow_up = sla.escalation_follow_up_days
    escalations = _escalations(ws)
    due_by_ticket: dict[str, list[Due]] = {}
    with gc_paused(freeze=True):
        events = ws.store.events_by_ticket(OPEN_STATUSES, None, now, _SKIP)
        for tid, evs in events.items():
            h = history(evs, acceptance=rules, now=now)
            esc = _answered(ws, tid, escalations.get(tid, ()))
            package = terms(h.client)
            found = due_facts(h, package.calendar, package.policy, now, esc, follow_up)
            if found:
                due_by_ticket[tid] = found
    for tid, found in due_by_ticket.items():
        if dry_run:
            ticket = ws.store.get_ticket(tid)
            assert ticket is not None
            h = history(ws.store.events(tid), now, ticket, acceptance=rules)
            result.facts += [_planned(ws, channels, h, d, now)[0] for d in found]
        else:
            result.facts += _record(ws, channels, tid, escalations.get(tid, ()), now)
    if dry_run:
        result.pending_before = len(ws.store.due_deliveries(now))
    else:
        result.delivered = deliver(ws, channels, now)
    return result


def _escalations(ws: Workspace) -> dict[str, list[Escalation]]:
    """Open escalations by ticket: links to a party's tracker (not yet answered known)."""
    by_tracker = {p.tracker: p.name for p in ws.settings.parties.values() if p.tracker}
    intakes = {n for n, t in ws.settings.trackers.items() if t.role == "intake"}
    out: dict[str, list[Escalation]] = defaultdict(list)
    for link in ws.store.links():
        if link.state == "open" and link.tracker not in intakes:  # a request, not escalated
            out[link.ticket_id].append(Escalation(
                link.tracker, by_tracker.get(link.tracker), link.remote_id, link.created_at,
                None))
    return out


def _answered(ws: Workspace, ticket_id: str, escalations: list[Escalation] | tuple = ()
              ) -> list[Escalation]:
    """The escalations with their answer: the first comment pulled from the party's
    tracker after the escalation (notes are not in the bulk read: read for these few)."""
    if not escalations:
        return []
    notes = [(ev.at, p.origin) for ev in ws.store.events(ticket_id) if ev.kind is EventKind.NOTE
             for p in [ev.payload] if isinstance(p, Note) and p.origin]
    out = []
    for e in escalations:
        answers = [at for at, origin in notes
                   if origin.startswith(f"{e.tracker}:") and at > e.at
                   and not origin.endswith((":closed", ":reopened"))]
        out.append(Escalation(e.tracker, e.party, e.remote_id, e.at, min(answers, default=None)))
    return out


def _record(ws: Workspace, channels: Channels, tid: str, escalations, now: datetime
            ) -> list[Done]:
    """Record the facts due for one ticket, deciding again under its lock."""
    store, sla = ws.store, ws.sla
    done: list[Done] = []
    with store.transaction():
        store.lock_ticket(tid)
        ticket = store.get_ticket(tid)
        assert ticket is not None
        events = store.events(tid)
        h = history(events, now, ticket, acceptance=acceptance_rules(ws))  # as the bulk read
        terms = package_for(ws, h.client)  # the client's service package
        found = due_facts(h, terms.calendar, terms.policy, now, _answered(ws, tid, escalations),
                          sla.escalation_follow_up_days)
        new: list[Event] = []
        for d in found:
            planned, notice = _planned(ws, channels, h, d, now)
            if store.has_notice(notice.key):
                continue  # queued by a run whose event was voided since: not again
            payload = (AutoAccepted(message=notice.text) if d.fact == AUTO_ACCEPTED else
                       Alerted(fact=d.fact, key=d.key, due=d.due, detail=d.detail))
            event = Event(tid, len(events) + len(new) + 1, d.at, ACTOR, payload)
            store.insert_event(event, now)
            new.append(event)
            store.queue_notice(notice, planned.channels, planned.not_before, now)
            done.append(planned)
        if new:
            after = history([*events, *new], ticket=ticket)
            store.set_status(tid, after.status.value)
    return done


def _planned(ws: Workspace, channels: Channels, h: TicketHistory, d: Due, now: datetime
             ) -> tuple[Done, Notice]:
    """The notice of one fact: its text in its audience's language, redacted."""
    from ..sync.escalation import outgoing

    settings, tz = ws.settings, ws.tz
    ticket: Ticket | None = h.ticket
    client = h.client
    if d.audience in ("client", "contact"):
        cs = settings.clients.get(client)
        lang = (cs.language if cs and cs.language else None) or "ru"
    elif d.audience.startswith("party:") and d.audience[6:] in settings.parties:
        lang = settings.parties[d.audience[6:]].language
    else:
        lang = settings.executor.language or "ru"
    title = outgoing((ticket.title if ticket else "")[:200], h.ticket_id)

    def when(at: datetime | None) -> str:
        return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else "?"

    days = {AUTO_ACCEPTED: ws.sla.acceptance_days, CLIENT_OVERDUE: ws.sla.feedback_business_days,
            ESCALATION_UNANSWERED: ws.sla.escalation_follow_up_days}.get(d.fact, "")
    priority = h.priority.value if h.priority else ws.sla.default_priority
    subject, text = notice_text(
        d.fact, lang, ticket=h.ticket_id, title=title, due=when(d.due), days=days,
        resolved=when(h.resolved_at), asked=when(d.since),
        priority=priority, detail=d.detail)
    key = d.notice_key
    data: dict[str, object] = {"client": client, "fact_key": d.key, "priority": priority,
                               "due": d.due.isoformat() if d.due else None,
                               "detail": d.detail}
    if d.audience == "client" and ticket is not None:
        data["to"] = ticket.reporter  # who sent the request
    elif d.audience == "contact":
        from ..domain.contacts import authorized_at

        contact = authorized_at(ws.store.contacts(client), now)
        data["to"] = contact.email if contact else None
    elif d.audience == "engineer":
        data["to"] = d.detail  # the engineer who set the estimate
    notice = Notice(key=key, ticket_id=h.ticket_id, kind=d.fact, audience=d.audience,
                    lang=lang, subject=subject, text=text, created_at=d.at, data=data)
    routed = channels.for_audience(d.audience)
    # engineers are told within the service hours of the ticket's package
    start = not_before(d, package_for(ws, h.client).calendar, now,
                       ws.sla.notices_outside_hours_for_critical)
    return Done(d, client, routed, start, key), notice

