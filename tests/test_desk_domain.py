"""Routing, queue and triage rules (pure domain)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sccli.config import default_sla_text, parse_sla
from sccli.domain.contacts import authorized_at, is_authorized, normalize_email
from sccli.domain.events import Reordered
from sccli.domain.history import Reorder
from sccli.domain.model import (
    Channel,
    Contact,
    DomainError,
    Hosting,
    Priority,
    Source,
    Status,
)
from sccli.domain.queue import QueueItem, check_move, client_queue, critical_behind
from sccli.domain.routing import route

SLA = parse_sla(default_sla_text(), "sla.yaml")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "source,owner,action,billing",
    [
        ("executor-project-in-design", "executor", "fix", "included"),
        ("executor-project-out-of-design", "executor", "change", "billable"),
        ("executor-product", "executor", "fix", "included"),
        ("vendor-product", "vendor", "escalate", "included"),
        ("bpmsoft-cloud", "vendor", "escalate", "included"),
        ("partner-product", "partner", "escalate", "included"),
        ("partner-project", "partner", "consult-or-fix", "billable-if-fixed"),
        ("client-team", "client", "consult-or-fix", "billable-if-fixed"),
        ("client-infrastructure", "responsible-party", "consult", "included"),
        ("third-party-provider", "responsible-party", "consult", "included"),
        ("adjacent-software", "responsible-party", "consult", "included"),
    ],
)
def test_routing_follows_the_contracts_boundaries(source, owner, action, billing):
    decision = route(SLA.routing, Source(source), None, Hosting.ON_PREMISE, Channel.PORTAL, False)
    assert (decision.owner, decision.action, decision.billing) == (owner, action, billing)
    assert decision.explain
    # billable-if-fixed is billable only once the executor fixes it (tests/test_routing_rules.py)
    assert decision.billable == (billing == "billable")


def test_every_source_has_a_route():
    assert set(SLA.routing) == {s.value for s in Source}


def test_billable_extras_and_unknown_source():
    d = route(SLA.routing, None, None, Hosting.ON_PREMISE, Channel.PHONE, True)
    assert d.action == "investigate" and d.billing == "included"
    assert d.extras == ("phone channel", "on-behalf registration") and d.billable
    cloud = route(SLA.routing, None, None, Hosting.BPMSOFT_CLOUD, Channel.PORTAL, False)
    assert cloud.action == "investigate" and "BPMSoft cloud" in cloud.explain
    vendor = route(SLA.routing, Source.VENDOR_PRODUCT, None, Hosting.ON_PREMISE, Channel.EMAIL, False)
    assert vendor.party == "vendor"


def _item(tid, hours, status=Status.NEW, prio=None, events=()):
    return QueueItem(tid, T0 + timedelta(hours=hours), status, prio, list(events))


def _move(tid, seq, at, before, agreed_by):
    return Reorder(tid, seq, at, before, agreed_by)


def test_queue_is_oldest_first_and_skips_solved():
    queue = client_queue([
        _item("A-3", 3), _item("A-1", 1, Status.IN_PROGRESS), _item("A-2", 2, Status.RESOLVED),
        _item("A-4", 4, Status.AWAITING_CLIENT), _item("A-5", 5, Status.CLOSED),
    ])
    assert [(e.ticket_id, e.position, e.in_work) for e in queue] == [
        ("A-1", 1, True), ("A-3", 2, False), ("A-4", 3, False)]


def test_agreed_moves_apply_in_time_order():
    move_first = _move("A-3", 2, T0 + timedelta(hours=10), None, "Olga")
    move_before = _move("A-2", 2, T0 + timedelta(hours=11), "A-3", "Olga")
    queue = client_queue([_item("A-1", 1), _item("A-2", 2, events=[move_before]),
                          _item("A-3", 3, events=[move_first])])
    assert [e.ticket_id for e in queue] == ["A-2", "A-3", "A-1"]


def test_critical_behind_a_lesser_ticket():
    queue = client_queue([_item("A-1", 1, prio=Priority.LOW), _item("A-2", 2, prio=Priority.CRITICAL)])
    assert critical_behind(queue) == {"A-2": "A-1"}
    queue = client_queue([_item("A-1", 1, prio=Priority.CRITICAL), _item("A-2", 2, prio=Priority.CRITICAL)])
    assert critical_behind(queue) == {}


def test_moves_need_agreement_and_a_queued_ticket():
    queue = client_queue([_item("A-1", 1), _item("A-2", 2)])
    with pytest.raises(DomainError, match="agreement"):
        check_move(queue, "A-2", None, "  ")
    with pytest.raises(DomainError, match="not waiting"):
        check_move(queue, "A-9", None, "Olga")
    with pytest.raises(DomainError, match="before itself"):
        check_move(queue, "A-2", "A-2", "Olga")
    assert check_move(queue, "A-2", "A-1", "Olga") == Reordered(before="A-1", agreed_by="Olga")


def test_authorized_contact_by_effective_time():
    history = [Contact("A", "old@a.ru", None, T0), Contact("A", "new@a.ru", None, T0 + timedelta(days=1))]
    assert authorized_at(history, T0 - timedelta(seconds=1)) is None
    assert authorized_at(history, T0 + timedelta(hours=23)).email == "old@a.ru"
    assert is_authorized(history, "NEW@a.ru", T0 + timedelta(days=1))
    assert not is_authorized(history, "old@a.ru", T0 + timedelta(days=2))
    assert normalize_email("Ольга <Olga@A.ru>") == "olga@a.ru"
    with pytest.raises(DomainError):
        normalize_email("olga")
