"""Use cases that read: ticket lists, triage, client queues, SLA status and check, the
monthly report, billing. Each sees the world as of ``ws.at`` (``--at``): tickets registered
later and events dated later do not exist there.

Reads everything a view needs in a few queries, folds each ticket once and hands the
histories to the pure domain.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from ..domain.clocks import CLOCK_FREE_KINDS, ClockReading, SlaPolicy, read_clocks
from ..domain.events import Event
from ..domain.history import AcceptanceRule, TicketHistory, history
from ..domain.model import OPEN_STATUSES, Client, Priority, Status
from ..domain.queue import (
    QueueEntry,
    QueueItem,
    check_move,
    client_queue,
    critical_behind,
    next_agreement,
)
from ..domain.report import TicketFacts, month_report, urgency_key
from ..errors import SccliError
from ..store.base import gc_paused
from . import ticket_steps
from . import tickets as ticket_cases
from .clients import require_client
from .context import Workspace
from .packages import package_for, package_lookup

if TYPE_CHECKING:  # triage pulls in intake, priority rules and redaction: `sla check` needs none
    from ..domain.calendar import BusinessCalendar
    from ..domain.model import Ticket
    from ..domain.request_kind import RequestKind
    from ..domain.routing import Routing
    from ..domain.triage import TriageRow

# What one ticket's data can raise (a damaged or hand-edited store, a date a calendar cannot
# count): that ticket is reported and left out, the view shows the rest. Bugs still surface.
_TICKET_FAULTS = (SccliError, ValueError, OverflowError)


def left_out(ws: Workspace, ticket_id: str, exc: Exception) -> None:
    ws.warn(f"{ticket_id} is left out of this view: {exc}")


def acceptance_rule(ws: Workspace, client: str) -> AcceptanceRule:
    """The acceptance window of ``client``'s tickets: the one place every view, `tick` and
    the write path take it from (service packages per client switch it here).

    Contract: "Acceptance and testing after Resolved: 7 calendar days" — sla.yaml's
    ``acceptance.calendar_days``, counted on the wall clock of the calendar's zone.
    """
    terms = package_for(ws, client)  # the client's service package
    return terms.policy.acceptance_rule(terms.calendar.tz)


def acceptance_rules(ws: Workspace) -> Callable[[str], AcceptanceRule]:
    """``acceptance_rule`` by client, looked up once per client (views fold thousands)."""
    cache: dict[str, AcceptanceRule] = {}

    def rule(client: str) -> AcceptanceRule:
        found = cache.get(client)
        if found is None:
            found = cache[client] = acceptance_rule(ws, client)
        return found

    return rule


def histories(
    ws: Workspace,
    client: str | None = None,
    statuses: Sequence[Status] | None = None,
    priority: Priority | None = None,
) -> list[TicketHistory]:
    """The tickets as of ``ws.at``, oldest first, each folded once (with its ticket)."""
    as_of = ws.at
    if client:
        client = require_client(ws, client).key
    stored = statuses
    if statuses and Status.CLOSED in statuses and Status.RESOLVED not in statuses:
        # the projection says "resolved" for a ticket the fold closes automatically
        stored = [*statuses, Status.RESOLVED]
    tickets = ws.store.tickets(client=client, statuses=stored, as_of=as_of)
    events = ws.store.events_by_ticket(stored, client, as_of)  # dated by as_of only
    rule = acceptance_rules(ws)
    out = []
    for t in tickets:
        try:
            h = history(events.get(t.id, ()), None, t, acceptance=rule,
                        now=as_of)
        except _TICKET_FAULTS as exc:
            left_out(ws, t.id, exc)
            continue
        if _selected(h, client, statuses) and (priority is None or h.priority is priority):
            out.append(h)
    return out


def _selected(h: TicketHistory, client: str | None, statuses: Sequence[Status] | None) -> bool:
    return h.exists and (client is None or h.client == client) and (
        statuses is None or h.status in statuses)


def ticket_list(ws: Workspace, client: str | None, status: str | None,
                priority: str | None) -> list[TicketHistory]:
    """``ticket list``: by client, a status (or "open") and a priority."""
    if status == "open":
        statuses: Sequence[Status] | None = OPEN_STATUSES
    elif status:
        statuses = [Status.parse(status)]
    else:
        statuses = None
    wanted = Priority.parse(priority) if priority else None
    return histories(ws, client, statuses, wanted)


def ticket_show(ws: Workspace, ticket_id: str) -> tuple[TicketHistory, list[Event]]:
    """One ticket as of ``ws.at`` and every event of it known then, voided ones included
    (a void names its target, whatever the target's date). A ticket whose registration
    was voided is still shown here, by its id: the audit trail stays readable."""
    ticket = ticket_cases.require_ticket(ws, ticket_id)
    stored = ws.store.events(ticket.id)
    h = history(stored, ws.at, ticket, acceptance=acceptance_rules(ws))
    if not h.exists and not h.registration_voided:
        ticket_cases.load(ws, ticket.id, ws.at)  # raises: registered later
    return h, [e for e in stored if e.at <= ws.at or e.seq in h.voids]


def request_kind(ticket: Ticket) -> RequestKind:
    """The request's kind (incident, consultation, change request) from its text."""
    from ..domain.request_kind import classify

    return classify(ticket.title, ticket.body).kind


def open_histories(ws: Workspace, client: str | None = None) -> list[TicketHistory]:
    return histories(ws, client, OPEN_STATUSES)


# ------------------------------------------------------------------ triage and queues


def queues(hs: Iterable[TicketHistory], ws: Workspace | None = None
           ) -> dict[str, list[QueueEntry]]:
    """Every client's queue among the given tickets (with ``ws``, the tickets their agreed
    moves name are read too, as of ``ws.at``: a solved or refused ticket keeps its place as
    the anchor of an agreement "A before X", see domain.queue.client_queue)."""
    by_client: dict[str, list[QueueItem]] = defaultdict(list)
    for h in with_anchors(ws, hs) if ws is not None else hs:
        assert h.registered_at is not None
        by_client[h.client].append(
            QueueItem(h.ticket_id, h.registered_at, h.status, h.priority, h.reorders))
    return {client: client_queue(items) for client, items in by_client.items()}


def with_anchors(ws: Workspace, hs: Iterable[TicketHistory]) -> list[TicketHistory]:
    """``hs`` and every ticket their agreed queue moves name, transitively (usually none:
    only an agreement whose other ticket has left the queue needs one more read)."""
    out = list(hs)
    known = {h.ticket_id for h in out}
    batch = out
    while True:
        wanted = sorted({r.before for h in batch for r in h.reorders
                         if r.before is not None and r.before not in known})
        if not wanted:
            return out
        known.update(wanted)
        batch = []
        for ticket_id in wanted:
            try:
                h = ticket_cases.load(ws, ticket_id, ws.at)
            except _TICKET_FAULTS:
                continue  # voided or unknown: the agreement moves nothing
            if h.exists and h.registered_at is not None:
                batch.append(h)
        out += batch


def triage(ws: Workspace, client: str | None = None) -> list[TriageRow]:
    """One row per open ticket, most urgent first."""
    from ..domain.triage import triage_ticket, urgency

    hs = open_histories(ws, client)
    clients = {c.key: c for c in ws.store.clients()}
    contacts = {key: ws.store.contacts(key) for key in {h.client for h in hs}}
    sla = ws.sla
    package = package_lookup(ws)
    all_queues = queues(hs, ws)
    positions = {e.ticket_id: e for q in all_queues.values() for e in q}
    behind = {k: v for q in all_queues.values() for k, v in critical_behind(q).items()}
    vendor = vendor_party(ws)
    rows = []
    for h in hs:
        terms = package(h.client)  # the client's service package: outside the ticket's faults
        try:
            readings = read_clocks(h, terms.calendar, terms.policy, ws.at)
        except _TICKET_FAULTS as exc:
            left_out(ws, h.ticket_id, exc)
            continue
        rows.append(triage_ticket(
            h, readings, clients[h.client], contacts[h.client], sla.rules, sla.routing,
            positions.get(h.ticket_id), behind.get(h.ticket_id), vendor_party=vendor))
    rows.sort(key=urgency)
    return rows


def queue_of(ws: Workspace, client: str) -> list[QueueEntry]:
    key = require_client(ws, client).key
    return queues(open_histories(ws, key), ws).get(key, [])


def all_queues(ws: Workspace, client: str | None) -> dict[str, list[QueueEntry]]:
    """The queue of ``client``, or of every client (those without tickets: empty)."""
    keys = [require_client(ws, client).key] if client else [c.key for c in ws.store.clients()]
    found = queues(open_histories(ws, client), ws)
    return {key: found.get(key, []) for key in keys}


def move_in_queue(ws: Workspace, ticket_id: str, before: str | None,
                  agreed_by: str) -> list[QueueEntry]:
    """Change the order by agreement (contract: "the priority or order may be changed by
    agreement between client and executor")."""
    ticket = ticket_cases.require_ticket(ws, ticket_id)
    other = ticket_cases.require_ticket(ws, before).id if before else None
    # refuse a move that cannot be made before anything reaches the vault; credentials in
    # the agreement then go to the vault before the transaction, not inside it
    check_move(queue_of(ws, ticket_cases.load(ws, ticket.id).client), ticket.id, other,
               agreed_by)
    (agreed_by,), _ = ticket_cases.move_secrets(
        ws, ticket.id, [agreed_by], lambda: list(ticket_cases.load(ws, ticket.id).texts))
    with ws.store.transaction():
        h = ticket_cases.load(ws, ticket.id)
        client_tickets = with_anchors(ws, open_histories(ws, h.client))
        order = next_agreement(r for t in client_tickets for r in t.reorders)
        move = check_move(queues(client_tickets).get(h.client, []), ticket.id, other,
                          agreed_by, order)
        ticket_cases.record(ws, ticket.id, move)
    return queue_of(ws, h.client)


def apply_row(ws: Workspace, row: TriageRow) -> list[str]:
    """Record every unambiguous suggestion for one ticket; returns what was done."""
    from ..domain.events import PriorityChanged
    from ..domain.triage import proposals

    done = []
    moved = ticket_cases.redact_stored(ws, row.ticket)
    if moved:
        done.append(f"{row.ticket.id}: moved {moved} secret(s) to the vault")
    for p in proposals(row):
        if p.kind == "set-priority" and row.suggestion is not None:
            ticket_cases.record(ws, p.ticket_id, PriorityChanged(
                priority=Priority(p.detail), previous=None, rule=row.suggestion.rule))
            done.append(f"{p.ticket_id}: priority set to {p.detail} (rule {row.suggestion.rule})")
        elif p.kind == "ask-missing":
            _, missing = ticket_steps.ask_missing(ws, p.ticket_id)
            done.append(f"{p.ticket_id}: asked the client for {', '.join(missing)}")
    return done


# ------------------------------------------------------------------ SLA


class Running(NamedTuple):
    """One running clock of one open ticket (thousands per `sla check`: a cheap tuple)."""

    history: TicketHistory
    reading: ClockReading


def running_clocks(ws: Workspace, client: str | None = None,
                   warn_at: float | None = None) -> list[Running]:
    """Every running clock of every open ticket as of ``ws.at``, most urgent first, each
    on its client's service package (``warn_at``, when given, overrides every package's).

    The hot path of `sla check`: one query for the events no clock can do without, no
    ticket rows, one fold each (so these histories hold no notes, source or reorders);
    the packages are looked up once per client.
    """
    if client:
        client = require_client(ws, client).key
    as_of = ws.at
    terms = _terms_lookup(ws, warn_at)
    rule = acceptance_rules(ws)
    running = []
    with gc_paused(freeze=True):  # tens of thousands of small objects: see gc_paused
        events = ws.store.events_by_ticket(OPEN_STATUSES, client, as_of, CLOCK_FREE_KINDS)
        for tid, evs in events.items():  # dated by as_of only: the fold need not filter
            try:
                h = history(evs, acceptance=rule, now=as_of)
            except _TICKET_FAULTS as exc:
                left_out(ws, tid, exc)
                continue
            if not _selected(h, client, OPEN_STATUSES):
                continue
            calendar, policy = terms(h.client)  # a package sla.yaml lacks stops the view
            try:
                readings = read_clocks(h, calendar, policy, as_of, running_only=True)
            except _TICKET_FAULTS as exc:
                left_out(ws, tid, exc)
                continue
            for r in readings:
                if r.is_open:
                    running.append((urgency_key(r), Running(h, r)))
    running.sort(key=lambda item: item[0])
    return [item for _, item in running]


def _terms_lookup(ws: Workspace, warn_at: float | None
                  ) -> Callable[[str], tuple[BusinessCalendar, SlaPolicy]]:
    """``client key → (calendar, policy)`` of its package, ``warn_at`` over the policy."""
    package = package_lookup(ws)
    memo: dict[str, tuple[BusinessCalendar, SlaPolicy]] = {}

    def terms(key: str) -> tuple[BusinessCalendar, SlaPolicy]:
        found = memo.get(key)
        if found is None:
            p = package(key)
            policy = p.policy if warn_at is None else dataclasses.replace(p.policy, warn_at=warn_at)
            found = memo[key] = (p.calendar, policy)
        return found

    return terms


def explain(ws: Workspace, ticket_id: str) -> tuple[TicketHistory, list[ClockReading]]:
    """Every clock of one ticket as of ``ws.at`` (``sla explain`` shows how each is counted),
    on its client's service package (``package_for(ws, h.client)``)."""
    h = ticket_cases.load(ws, ticket_id, ws.at)
    terms = package_for(ws, h.client)
    return h, read_clocks(h, terms.calendar, terms.policy, ws.at)


def month_bounds(ws: Workspace, first: date, last: date) -> tuple[datetime, datetime]:
    tz = ws.tz
    return (datetime.combine(first, datetime.min.time(), tz),
            datetime.combine(last + timedelta(days=1), datetime.min.time(), tz))


def sla_report(ws: Workspace, first: date, last: date, client: str | None) -> dict[str, object]:
    """Compliance per priority of the tickets registered in the month, as of the month's
    end (or ``ws.at`` when earlier)."""
    lo, hi = month_bounds(ws, first, last)
    end = min(ws.at, hi)
    sla = ws.sla
    package = package_lookup(ws)
    facts = []
    clients = {c.key: c for c in ws.store.clients()}
    billable = []  # the tickets `sccli billing` lists for the month
    for h in histories(ws, client):
        t = h.ticket
        assert t is not None
        if not lo <= t.registered_at < hi:
            continue
        terms = package(h.client)
        try:
            readings = read_clocks(h, terms.calendar, terms.policy, end)
        except _TICKET_FAULTS as exc:
            left_out(ws, h.ticket_id, exc)
            continue
        facts.append(TicketFacts(t.id, h.client, h.priority, t.registered_at, readings,
                                 h.extensions))
        if h.status is not Status.REJECTED and billable_reasons(
                routing_of(ws, h, clients[h.client])):
            billable.append(t.id)
    client_key = require_client(ws, client).key if client else None
    return {"month": f"{first:%Y-%m}", "client": client_key,
            **month_report(facts, sla.policy.default_priority), "billable": billable}


# ------------------------------------------------------------------ billing


def vendor_party(ws: Workspace) -> str | None:
    """The party of kind ``vendor`` in sccli.yaml (BPMSoft), if one is configured."""
    return next((p.name for p in ws.settings.parties.values() if p.kind == "vendor"), None)


def routing_of(ws: Workspace, h: TicketHistory, client: Client | None = None) -> Routing:
    """Owner, action and billing of one ticket (the contract's "Boundaries")."""
    from ..domain.routing import route

    t = h.ticket
    assert t is not None
    if client is None:
        client = require_client(ws, h.client)
    return route(ws.sla.routing, h.source, h.party, client.hosting, t.channel, t.on_behalf,
                 vendor_party=vendor_party(ws), fixed_by=h.fixed_by)


def billable_reasons(decision: Routing) -> list[str]:
    """Why the client pays for a ticket; empty: included in the service.

    A billable-if-fixed source (another partner's project layer, the client's team) is
    billable only once the executor fixes it (contract: "or fixes it for an extra fee"):
    ``route`` then says "billable".
    """
    reasons = list(decision.extras)
    if decision.billing == "billable":
        reasons.insert(0, f"{decision.source.value if decision.source else '?'}:"
                          f" {decision.billing}")
    return reasons


def billable_work(ws: Workspace, first: datetime, end: datetime,
                  client: str | None) -> list[dict]:
    """Tickets registered in [first, end) whose work or channel the client pays for."""
    clients = {c.key: c for c in ws.store.clients()}
    rows = []
    for h in histories(ws, client):
        t = h.ticket
        assert t is not None
        if not first <= t.registered_at < end:
            continue
        decision = routing_of(ws, h, clients[h.client])
        reasons = billable_reasons(decision)
        if not reasons or h.status is Status.REJECTED:
            continue
        rows.append({
            "ticket": t.id,
            "client": h.client,
            "registered_at": t.registered_at.astimezone(ws.tz),
            "status": h.status.value,
            "priority": h.priority.value if h.priority else None,
            "source": decision.source.value if decision.source else None,
            "billing": decision.billing,
            "extras": list(decision.extras),
            "reasons": reasons,
            "title": t.title,
        })
    return rows
