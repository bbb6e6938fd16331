"""Use cases that change a ticket's fields: priority (a change records who agreed),
problem source with its party and who fixes it, and the resolution estimate.

Separate from ``tickets`` (the write path and registration) because ``set_fields`` checks
every requested change, and moves the credentials in its free texts to the vault, before
writing any of them, then records them through ``tickets.record`` in one transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..domain.events import EstimateSet, Payload, PriorityChanged, SourceSet
from ..domain.history import TicketHistory, check_estimate
from ..domain.model import Priority, Source, Ticket
from ..domain.queue import check_priority_change
from ..domain.routing import check_fixed_by
from ..errors import UsageError
from .context import Workspace
from .tickets import load, record, require_ticket, with_secrets_moved


def set_fields(
    ws: Workspace,
    ticket_id: str,
    priority: str | None = None,
    source: str | None = None,
    party: str | None = None,
    estimate: datetime | None = None,
    reason: str | None = None,
    fixed_by: str | None = None,
    agreed_by: str | None = None,
) -> Ticket:
    """Priority (a change records who agreed), problem source (with its party and who fixes
    it) and resolution estimate, in one step.

    ``fixed_by`` ("executor" or "owner") records the decision the contract leaves open for
    another partner's project layer and the client's internal team: "the executor
    identifies the source, then helps deal with that partner, or fixes it for an extra
    fee" — billable only when the executor fixes it. Without ``source`` it applies to the
    recorded source; a new ``source`` without it keeps the decision only when the source
    stays the same.
    """
    if agreed_by is not None and not priority:
        raise UsageError("--agreed-by goes with --priority")
    if not (priority or source or estimate or fixed_by):
        raise UsageError("nothing to set: give --priority, --source, --fixed-by or --estimate")
    if party and not source:
        raise UsageError("--party goes with --source")
    if reason and not estimate:
        raise UsageError("--reason goes with --estimate")
    ticket = require_ticket(ws, ticket_id)
    prio = Priority.parse(priority) if priority else None
    change: PriorityChanged | None = None
    if prio:  # refused before anything is written (the vault included); credentials in
        # the agreement go to the vault before the transaction, not inside it
        moved = with_secrets_moved(
            ws, ticket, _priority_checked(ws, ticket.id, prio, agreed_by),
            lambda events: _priority_history(ws, ticket.id, prio, agreed_by))
        assert isinstance(moved, PriorityChanged)
        change = moved
    src = Source.parse(source) if source else None
    if party and party not in ws.settings.parties:
        known = ", ".join(ws.settings.parties) or "none"
        raise UsageError(f"unknown party {party!r} (parties in sccli.yaml: {known})")
    est: Payload | None = None
    if estimate:  # its reason's credentials go to the vault before the transaction
        est = EstimateSet(estimate=estimate, reason=reason.strip() if reason else None)
        est = with_secrets_moved(ws, ticket, est,
                                 lambda events: _estimate_checked(ws, ticket.id, estimate,
                                                                  reason))
    if fixed_by is not None:  # refused before anything is written
        check_fixed_by(ws.sla.routing, src or load(ws, ticket.id).source, fixed_by)
    with ws.store.transaction():
        if prio and change is not None:
            h = _priority_history(ws, ticket.id, prio, agreed_by)
            record(ws, ticket.id, replace(change, previous=h.priority))
        if src or fixed_by:
            record(ws, ticket.id, _source_set(load(ws, ticket.id), src, party, fixed_by,
                                              ws.sla.routing))
        if est is not None and estimate is not None:  # (est is built from estimate)
            _estimate_checked(ws, ticket.id, estimate, reason)
            record(ws, ticket.id, est)
    return ticket


def _source_set(h: TicketHistory, src: Source | None, party: str | None,
                fixed_by: str | None, table) -> SourceSet:
    """The whole routing decision as one event: source, party and who fixes it."""
    if src is None:  # --fixed-by alone: the recorded source and party stay
        assert h.source is not None and fixed_by is not None
        return SourceSet(source=h.source, party=h.party,
                         fixed_by=check_fixed_by(table, h.source, fixed_by))
    if fixed_by is not None:
        return SourceSet(source=src, party=party, fixed_by=check_fixed_by(table, src, fixed_by))
    return SourceSet(source=src, party=party, fixed_by=h.fixed_by if src is h.source else None)


def _priority_checked(
    ws: Workspace, ticket_id: str, priority: Priority, agreed_by: str | None
) -> PriorityChanged:
    return check_priority_change(load(ws, ticket_id).priority, priority, agreed_by)


def _priority_history(
    ws: Workspace, ticket_id: str, priority: Priority, agreed_by: str | None
) -> TicketHistory:
    h = load(ws, ticket_id)
    check_priority_change(h.priority, priority, agreed_by)
    return h


def _estimate_checked(
    ws: Workspace, ticket_id: str, estimate: datetime, reason: str | None
) -> TicketHistory:
    h = load(ws, ticket_id)
    check_estimate(h, estimate, reason)
    return h
