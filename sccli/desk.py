"""Use cases of the support desk: triage, client queues, billing, and triage's actions.

Reads everything a view needs in a few queries, hands it to the pure domain, and for
``--apply`` records the unambiguous proposals through ``service.record``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from . import service
from .app import App
from .domain import lifecycle
from .domain.clocks import read_clocks
from .domain.model import EventKind, Status, Ticket
from .domain.queue import QueueEntry, QueueItem, check_move, client_queue, critical_behind
from .domain.triage import TriageRow, proposals, triage_ticket, urgency
from .errors import UsageError


def queues(tickets: list[Ticket], events: dict, states: dict) -> dict[str, list[QueueEntry]]:
    """Every client's queue among the given tickets (``states``: their folded events)."""
    by_client: dict[str, list[QueueItem]] = defaultdict(list)
    for t in tickets:
        state = states[t.id]
        by_client[t.client].append(
            QueueItem(t.id, t.registered_at, state.status, state.priority, events.get(t.id, []))
        )
    return {client: client_queue(items) for client, items in by_client.items()}


def _open(app: App, client: str | None):
    statuses = service.open_statuses()
    tickets = app.store.tickets(client=client, statuses=statuses)
    events = app.store.events_by_ticket(statuses, client)
    states = {t.id: lifecycle.fold(events.get(t.id, [])) for t in tickets}
    return tickets, events, states


def triage(app: App, client: str | None = None) -> list[TriageRow]:
    """One row per open ticket, most urgent first."""
    if client:
        client = service.require_client(app, client).key
    tickets, events, states = _open(app, client)
    clients = {c.key: c for c in app.store.clients()}
    contacts = {key: app.store.contacts(key) for key in {t.client for t in tickets}}
    sla = app.sla
    all_queues = queues(tickets, events, states)
    positions = {e.ticket_id: e for q in all_queues.values() for e in q}
    behind = {k: v for q in all_queues.values() for k, v in critical_behind(q).items()}
    rows = []
    for t in tickets:
        evs = events.get(t.id, [])
        readings = read_clocks(evs, sla.calendar, sla.policy, app.now)
        secrets = sum(int(e.data.get("secrets", 0) or 0) for e in evs)
        rows.append(
            triage_ticket(
                t, states[t.id], readings, clients[t.client], contacts[t.client], sla.rules,
                sla.routing, positions.get(t.id), behind.get(t.id), secrets,
            )
        )  # fmt: skip
    rows.sort(key=urgency)
    return rows


def queue_of(app: App, client: str) -> list[QueueEntry]:
    key = service.require_client(app, client).key
    return queues(*_open(app, key)).get(key, [])


def move_in_queue(app: App, ticket_id: str, before: str | None, agreed_by: str) -> list[QueueEntry]:
    ticket = service.require_ticket(app, ticket_id)
    other = service.require_ticket(app, before).id if before else None
    with app.store.transaction():
        queue = queue_of(app, ticket.client)
        data = check_move(queue, ticket.id, other, agreed_by)
        service.record(app, ticket.id, EventKind.REORDERED, data)
    return queue_of(app, ticket.client)


def ask_missing(app: App, ticket_id: str) -> tuple[str, list[str]]:
    """Record the clarification request for what the ticket lacks; starts the feedback clock."""
    from .domain.intake import check_intake, clarification_request

    ticket = service.require_ticket(app, ticket_id)
    intake = check_intake(ticket.title, ticket.body)
    if not intake.missing:
        raise UsageError(f"{ticket.id} has everything the contract asks for; nothing to ask")
    text = clarification_request(intake.missing, intake.language, ticket.id, ticket.title)
    missing = [item.value for item in intake.missing]
    service.record(app, ticket.id, EventKind.ASKED, {"message": text, "missing": missing})
    return text, missing


def redact_stored(app: App, ticket: Ticket) -> int:
    """Move credentials still in clear in a stored ticket (imported, synced) to the vault."""
    from .domain.redaction import find_secrets

    if not (find_secrets(ticket.title) or find_secrets(ticket.body)):
        return 0
    with app.store.transaction() as store:
        events = store.events(ticket.id)
        (title, body), moved = service.move_secrets(
            app, ticket.id, [ticket.title, ticket.body], service.stored_texts(ticket, events)
        )
        store.update_text(ticket.id, title, body)
        service.record(
            app, ticket.id, EventKind.NOTE,
            {"message": f"{moved} secret(s) moved to the vault", "secrets": moved},
        )  # fmt: skip
    return moved


def apply_row(app: App, row: TriageRow) -> list[str]:
    """Record every unambiguous suggestion for one ticket; returns what was done."""
    done = []
    moved = redact_stored(app, row.ticket)
    if moved:
        done.append(f"{row.ticket.id}: moved {moved} secret(s) to the vault")
    for p in proposals(row):
        if p.kind == "set-priority":
            service.record(
                app, p.ticket_id, EventKind.PRIORITY_CHANGED,
                {"priority": p.detail, "previous": None, "rule": row.suggestion.rule},
            )  # fmt: skip
            done.append(f"{p.ticket_id}: priority set to {p.detail} (rule {row.suggestion.rule})")
        elif p.kind == "ask-missing":
            _, missing = ask_missing(app, p.ticket_id)
            done.append(f"{p.ticket_id}: asked the client for {', '.join(missing)}")
    return done


# ------------------------------------------------------------------ billing


def billable_work(app: App, first: datetime, end: datetime, client: str | None) -> list[dict]:
    """Tickets registered in [first, end) whose work or channel the client pays for."""
    from .domain.routing import route

    if client:
        client = service.require_client(app, client).key
    clients = {c.key: c for c in app.store.clients()}
    events = app.store.events_by_ticket(client=client)
    rows = []
    for t in app.store.tickets(client=client):
        if not first <= t.registered_at < end:
            continue
        state = lifecycle.fold(events.get(t.id, []))
        decision = route(app.sla.routing, state.source, state.party, clients[t.client].hosting,
                         t.channel, t.on_behalf)
        reasons = list(decision.extras)
        if decision.billing != "included":
            reasons.insert(0, f"{decision.source.value}: {decision.billing}")
        if not reasons or state.status is Status.REJECTED:
            continue
        rows.append({
            "ticket": t.id,
            "client": t.client,
            "registered_at": t.registered_at.astimezone(app.tz),
            "status": state.status.value,
            "priority": state.priority.value if state.priority else None,
            "source": decision.source.value if decision.source else None,
            "billing": decision.billing,
            "extras": list(decision.extras),
            "reasons": reasons,
            "title": t.title,
        })
    return rows
