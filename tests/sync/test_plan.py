"""The pure half of sync: routing to a target, push and pull plans, escalation text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from sccli.adapters.base import RemoteComment, RemoteIssue
from sccli.config import Party, parse_sla
from sccli.domain.history import history
from sccli.domain.model import Channel, Client, EventKind, Hosting, Ticket
from sccli.store.codec import event_from_data as Event
from sccli.sync.escalation import escalation_text, outgoing, sections
from sccli.sync.plan import (
    CreateRemote,
    MapOwnComment,
    Nothing,
    PullComment,
    PushComment,
    Refusal,
    RemoteClosed,
    RemoteReopened,
    Target,
    TicketView,
    escalation_target,
    needs_fetch,
    plan_pull,
    plan_push,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def routes():
    from sccli.config import default_sla_text

    return parse_sla(default_sla_text(), "sla.yaml").routing


PARTIES = {
    "vendor": Party("vendor", "vendor", "BPMSoft", "ru", "vendor-t", None),
    "px": Party("px", "partner", "Partner X", "en", "px-t", None),
    "py": Party("py", "partner", "Partner Y", "en", None, None),
}


@dataclass(frozen=True)
class L:
    ticket_id: str
    tracker: str
    remote_id: str
    state: str = "open"
    remote_updated_at: datetime | None = T0


def view(tid="ACME-1", source=None, party=None, notes=(), hosting=Hosting.ON_PREMISE,
         body="It crashes.", extra=()) -> TicketView:
    ticket = Ticket(tid, "ACME", "it@acme.example", "Report fails", body, Channel.PORTAL, False,
                    T0)
    events = [Event(tid, 1, EventKind.REGISTERED, T0, "e", {"priority": "high"})]
    if source:
        events.append(Event(tid, 2, EventKind.SOURCE_SET, T0, "e",
                            {"source": source, "party": party}))
    for data in notes:
        events.append(Event(tid, len(events) + 1, EventKind.NOTE, T0, "e", data))
    for kind, data in extra:
        events.append(Event(tid, len(events) + 1, kind, T0, "e", data))
    return TicketView(ticket, Client("ACME", "Acme Corp", "https://acme.example", hosting),
                      history(events, ticket=ticket))


# ------------------------------------------------------------------ targets
def test_vendor_product_goes_to_the_vendor_party(routes):
    target = escalation_target(view(source="vendor-product"), routes, PARTIES)
    assert isinstance(target, Target)
    assert (target.party, target.tracker, target.language) == ("vendor", "vendor-t", "ru")


def test_partner_product_goes_to_the_recorded_partner(routes):
    target = escalation_target(view(source="partner-product", party="px"), routes, PARTIES)
    assert isinstance(target, Target) and target.tracker == "px-t"


def test_cloud_hosting_follows_routing(routes):
    unknown = escalation_target(view(hosting=Hosting.BPMSOFT_CLOUD), routes, PARTIES)
    assert isinstance(unknown, Refusal) and unknown.code == "source-unset"
    cloud = view(source="bpmsoft-cloud", hosting=Hosting.BPMSOFT_CLOUD)
    assert escalation_target(cloud, routes, PARTIES).party == "vendor"


@pytest.mark.parametrize("source,party,code", [
    (None, None, "source-unset"),
    ("executor-product", None, "executor-fixes"),
    ("partner-project", "px", "executor-fixes"),
    ("partner-product", None, "no-party"),
    ("partner-product", "py", "no-tracker"),
])
def test_refusals_say_why(routes, source, party, code):
    result = escalation_target(view(source=source, party=party), routes, PARTIES)
    assert isinstance(result, Refusal) and result.code == code
    assert "\n" not in result.message


def test_override_escalates_anyway_and_checks_the_party(routes):
    assert escalation_target(view(), routes, PARTIES, override="px").tracker == "px-t"
    bad = escalation_target(view(), routes, PARTIES, override="nobody")
    assert isinstance(bad, Refusal) and bad.code == "unknown-party"


def test_final_tickets_are_not_escalated(routes):
    v = view(source="vendor-product", extra=[(EventKind.REJECTED, {"reason": "no-access"})])
    assert escalation_target(v, routes, PARTIES).code == "final"
    assert plan_push([v], {}, set(), routes, PARTIES, "Exec") == []


# ------------------------------------------------------------------ push
def test_create_once_then_only_new_public_notes(routes):
    notes = [{"message": "public one", "public": True}, {"message": "internal"},
             {"message": "pulled", "public": True, "origin": "px-t:9"}]
    v = view(source="vendor-product", notes=notes)
    first = plan_push([v], {}, set(), routes, PARTIES, "Exec")
    assert [type(a) for a in first] == [CreateRemote, PushComment]
    create, comment = first
    assert (create.tracker, create.party, create.priority) == ("vendor-t", "vendor", "high")
    assert comment.remote_id is None and comment.event_seq == 3 and comment.origin == "ACME-1/e3"
    assert "public one" in comment.body
    links = {("ACME-1", "vendor-t"): L("ACME-1", "vendor-t", "7")}
    again = plan_push([v], links, set(), routes, PARTIES, "Exec")
    assert [(type(a), a.remote_id) for a in again] == [(PushComment, "7")]
    assert plan_push([v], links, {("ACME-1", "vendor-t", 3)}, routes, PARTIES, "Exec") == []


def test_notes_go_to_every_linked_issue_and_tracker_filter_applies(routes):
    v = view(notes=[{"message": "hi", "public": True}])
    links = {("ACME-1", "a"): L("ACME-1", "a", "1"), ("ACME-1", "b"): L("ACME-1", "b", "2")}
    both = plan_push([v], links, set(), routes, PARTIES, "Exec")
    assert sorted(a.tracker for a in both) == ["a", "b"]
    only = plan_push([v], links, set(), routes, PARTIES, "Exec", trackers=["b"])
    assert [a.tracker for a in only] == ["b"]


def test_unescalatable_tickets_are_reported_not_created(routes):
    actions = plan_push([view(source="partner-product", party="py")], {}, set(), routes,
                        PARTIES, "Exec")
    assert len(actions) == 1 and isinstance(actions[0], Nothing)
    assert "no tracker" in actions[0].reason


def test_outgoing_comments_are_redacted(routes):
    v = view(notes=[{"message": "password: Hunter2Secret!", "public": True}])
    links = {("ACME-1", "a"): L("ACME-1", "a", "1")}
    (comment,) = plan_push([v], links, set(), routes, PARTIES, "Exec")
    assert "Hunter2Secret" not in comment.body and "[secret:ACME-1/1]" in comment.body


# ------------------------------------------------------------------ pull
def issue(state="open", comments=(), updated=T0) -> RemoteIssue:
    return RemoteIssue("7", "u", "t", "b", state, updated, comments=tuple(comments))


def comment(cid, origin=None, body="reply") -> RemoteComment:
    return RemoteComment(cid, body, "bob", T0, origin)


def test_human_comments_are_pulled_once_and_own_never():
    link = L("ACME-1", "px-t", "7")
    remote = issue(comments=[comment("c1"), comment("c2", origin="ACME-1/e3"),
                             comment("c3", origin="OTHER-1/e1")])
    actions = plan_pull(remote, "px-t", link, set(), {("ACME-1", "px-t", 3)}, own={"c2"})
    # c3's marker names another ticket and sccli never recorded it: a human's text
    assert [(type(a), getattr(a, "comment", None) and a.comment.id) for a in actions] == [
        (PullComment, "c1"), (PullComment, "c3")]
    assert plan_pull(remote, "px-t", link, {"c1", "c3"}, {("ACME-1", "px-t", 3)},
                     own={"c2"}) == []


def test_note_origins_also_prevent_duplicates():
    link = L("ACME-1", "px-t", "7")
    events = [Event("ACME-1", 1, EventKind.REGISTERED, T0, "x", {}),
              Event("ACME-1", 2, EventKind.NOTE, T0, "x", {"message": "r", "origin": "px-t:c1"})]
    origins = history(events).origins
    assert plan_pull(issue(comments=[comment("c1")]), "px-t", link, set(), set(), origins) == []


def test_own_comment_unknown_to_the_store_is_mapped_not_pulled():
    actions = plan_pull(issue(comments=[comment("c9", origin="ACME-1/e5")]), "px-t",
                        L("ACME-1", "px-t", "7"), set(), set(), vouched={"c9"})
    assert actions == [MapOwnComment("ACME-1", "px-t", "7", 5, "c9")]


def test_closed_remotely_becomes_a_verify_note_and_reopen_is_noticed():
    closed = plan_pull(issue(state="closed"), "px-t", L("ACME-1", "px-t", "7"), set(), set())
    assert closed == [RemoteClosed("ACME-1", "px-t", "7")]
    assert plan_pull(issue(state="closed"), "px-t", L("ACME-1", "px-t", "7", "closed"),
                     set(), set()) == []
    reopened = plan_pull(issue(), "px-t", L("ACME-1", "px-t", "7", "closed"), set(), set())
    assert reopened == [RemoteReopened("ACME-1", "px-t", "7")]


def test_needs_fetch_only_for_linked_issues_changed_since_read():
    link = L("ACME-1", "px-t", "7")
    assert not needs_fetch(issue(), None)
    assert not needs_fetch(issue(updated=T0), link)
    assert needs_fetch(issue(updated=T0 + timedelta(seconds=1)), link)
    assert needs_fetch(issue(state="closed"), link)
    assert needs_fetch(issue(), L("ACME-1", "px-t", "7", remote_updated_at=None))


# ------------------------------------------------------------------ escalation text
BODY = """Печать отчета падает.
Шаги:
1. Открыть отчеты
2. Нажать «Печать»
Окружение: PostgreSQL 15, 2 ноды
Ожидаемый результат: PDF
Фактический результат: ошибка 500
"""


def test_sections_are_found_in_russian_and_english():
    found = sections(BODY)
    assert found["steps"].startswith("1. Открыть") and "2 ноды" in found["environment"]
    assert found["expected"] == "PDF" and found["actual"] == "ошибка 500"
    en = sections("Broken.\n1. open\n2. click\nExpected: ok\nActual result: boom")
    assert en == {"steps": "1. open\n2. click", "expected": "ok", "actual": "boom"}


def test_escalation_text_in_the_party_language_with_gaps_marked():
    ru = escalation_text(ticket_id="ACME-1", title="Отчет", body=BODY, client_name="Acme",
                         system_url="https://acme.example", priority="high",
                         source="vendor-product", language="ru", executor="ПТ")
    for text in ("Клиент:** Acme", "https://acme.example", "ACME-1", "Высокий",
                 "### Шаги воспроизведения", "1. Открыть отчеты", "2 ноды", "ошибка 500"):
        assert text in ru.body
    en = escalation_text(ticket_id="ACME-2", title="Broken", body="It is broken.",
                         client_name="Acme", system_url=None, priority=None, source=None,
                         language="en", executor="PT")
    assert en.title == "ACME-2: Broken"
    assert en.body.count("not provided") == 6  # system, priority, steps, env, expected, actual


def test_escalation_text_never_carries_a_secret():
    text = escalation_text(ticket_id="ACME-3", title="login admin password: Qwerty123!",
                           body="ssh root@host, пароль: S3cr3t-Pa55", client_name="Acme",
                           system_url=None, priority=None, source=None, language="ru",
                           executor="ПТ")
    assert "Qwerty123!" not in text.title + text.body
    assert "S3cr3t-Pa55" not in text.body


def test_outgoing_numbers_new_references_after_existing_ones():
    assert outgoing("[secret:A-1/2] and password: Xy12345678!", "A-1") == (
        "[secret:A-1/2] and password: [secret:A-1/3]")
