"""The lifecycle of DESIGN.md: every legal step allowed, every other refused with help."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sccli.domain.lifecycle import TRANSITIONS, allowed_commands, check_estimate, fold, next_status
from sccli.domain.model import (
    Channel,
    DomainError,
    Event,
    EventKind,
    Priority,
    RejectReason,
    Source,
    Status,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEGAL = {
    (Status.NEW, EventKind.RESPONDED): Status.IN_PROGRESS,
    (Status.NEW, EventKind.ASKED): Status.AWAITING_CLIENT,
    (Status.NEW, EventKind.REJECTED): Status.REJECTED,
    (Status.IN_PROGRESS, EventKind.RESPONDED): Status.IN_PROGRESS,
    (Status.IN_PROGRESS, EventKind.ASKED): Status.AWAITING_CLIENT,
    (Status.IN_PROGRESS, EventKind.RESOLVED): Status.RESOLVED,
    (Status.IN_PROGRESS, EventKind.REJECTED): Status.REJECTED,
    (Status.AWAITING_CLIENT, EventKind.ANSWERED): Status.IN_PROGRESS,
    (Status.AWAITING_CLIENT, EventKind.REJECTED): Status.REJECTED,
    (Status.RESOLVED, EventKind.ACCEPTED): Status.CLOSED,
    (Status.RESOLVED, EventKind.AUTO_ACCEPTED): Status.CLOSED,
    (Status.RESOLVED, EventKind.REOPENED): Status.REOPENED,
    (Status.REOPENED, EventKind.RESPONDED): Status.IN_PROGRESS,
    (Status.REOPENED, EventKind.ASKED): Status.AWAITING_CLIENT,
    (Status.REOPENED, EventKind.REJECTED): Status.REJECTED,
}
STEPS = [k for k in TRANSITIONS]


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("kind", STEPS)
def test_every_transition_is_legal_or_refused_with_the_allowed_steps(status, kind):
    expected = LEGAL.get((status, kind))
    if expected is not None:
        assert next_status(status, kind) is expected
    else:
        with pytest.raises(DomainError) as err:
            next_status(status, kind)
        message = str(err.value)
        assert status.value in message
        for command in allowed_commands(status):
            assert command in message


def test_final_states_refuse_annotations():
    for status in (Status.CLOSED, Status.REJECTED):
        with pytest.raises(DomainError, match="nothing can be changed"):
            next_status(status, EventKind.PRIORITY_CHANGED)
    assert next_status(Status.RESOLVED, EventKind.NOTE) is Status.RESOLVED


def _events(*kinds_and_data):
    out = [Event("A-1", 1, EventKind.REGISTERED, T0, "x", {"priority": "low"})]
    for i, (kind, data) in enumerate(kinds_and_data, start=2):
        out.append(Event("A-1", i, kind, T0 + timedelta(hours=i), "x", data))
    return out


def test_fold_derives_state_from_events():
    state = fold(
        _events(
            (EventKind.ASKED, {"message": "?"}),
            (EventKind.ANSWERED, {"message": "!"}),
            (EventKind.PRIORITY_CHANGED, {"priority": "critical", "previous": "low"}),
            (EventKind.SOURCE_SET, {"source": "vendor-product", "party": "vendor"}),
            (EventKind.ESTIMATE_SET, {"estimate": "2026-12-01T10:00:00+03:00"}),
            (EventKind.RESOLVED, {"message": "done"}),
        )
    )
    assert state.status is Status.RESOLVED
    assert state.priority is Priority.CRITICAL
    assert state.source is Source.VENDOR_PRODUCT and state.party == "vendor"
    assert state.first_response_at == T0 + timedelta(hours=2)
    assert state.resolved_at == T0 + timedelta(hours=7)
    assert state.estimate == datetime.fromisoformat("2026-12-01T10:00:00+03:00")


def test_rejection_records_reason():
    state = fold(_events((EventKind.REJECTED, {"reason": "no-access", "message": ""})))
    assert state.status is Status.REJECTED and state.reject_reason is RejectReason.NO_ACCESS


def test_estimate_extension_needs_reason():
    state = fold(_events((EventKind.ESTIMATE_SET, {"estimate": "2026-12-01T10:00:00+03:00"})))
    with pytest.raises(DomainError, match="reason"):
        check_estimate(state, "  ")
    check_estimate(state, "new problems found")
    check_estimate(fold(_events()), None)  # the first estimate needs none


@pytest.mark.parametrize(
    "text,expected",
    [
        ("critical", Priority.CRITICAL),
        ("Критичный", Priority.CRITICAL),
        ("ВЫСОКИЙ", Priority.HIGH),
        (" средний ", Priority.MEDIUM),
        ("Низкий", Priority.LOW),
        ("low", Priority.LOW),
    ],
)
def test_priority_accepts_english_and_russian(text, expected):
    assert Priority.parse(text) is expected


def test_unknown_values_list_the_choices():
    with pytest.raises(DomainError, match="Критичный"):
        Priority.parse("urgentissimo")
    with pytest.raises(DomainError, match="portal"):
        Channel.parse("pigeon")
    assert Channel.PHONE.billable and Channel.MESSENGER.billable
    assert not Channel.EMAIL.billable and not Channel.PORTAL.billable
