"""Triage: for one open ticket, everything an engineer must decide, from the contract.

Pure: the caller reads tickets, events, contacts and settings; this module only combines
the other domain rules (clocks, intake, priority rules, contacts, queue, routing) into
one row per ticket and orders rows by urgency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .attention import Attention, Reason, advise, needs_engineer
from .clocks import ClockReading, ClockState
from .contacts import authorized_at, request_authorized
from .history import TicketHistory
from .intake import IntakeResult, Item, check_intake
from .model import Client, Contact, Priority, Status, Ticket
from .priority_rules import PriorityRule, Suggestion, suggest_priority
from .queue import QueueEntry
from .redaction import REF_RE
from .routing import IF_FIXED, RouteRule, Routing, route

FLAG_UNAUTHORIZED = "unauthorized"
FLAG_SECRETS = "secrets"
FLAG_CRITICAL_BEHIND = "critical-behind-queue"
FLAG_PRIORITY_MISMATCH = "priority-mismatch"
# what waits for an engineer (attention.py): shown as flags too
ATTENTION_FLAGS = tuple(a.value for a in Attention)


@dataclass(frozen=True)
class TriageRow:
    ticket: Ticket  # as edited
    state: TicketHistory
    reaction: ClockReading | None
    urgent: ClockReading | None  # the most urgent running clock
    suggestion: Suggestion | None
    intake: IntakeResult
    authorized: bool
    authorized_contact: str | None
    queue: QueueEntry | None
    ahead_of_critical: str | None  # the ticket in work while this critical one waits
    routing: Routing
    secrets: int
    flags: tuple[str, ...] = field(default=())
    attention: tuple[Reason, ...] = field(default=())

    @property
    def priority(self) -> Priority | None:
        return self.state.priority

    @property
    def priority_mismatch(self) -> bool:
        return bool(
            self.suggestion and self.priority and self.suggestion.priority is not self.priority
        )


_URGENT_STATES = (ClockState.BREACHED, ClockState.CLIENT_OVERDUE, ClockState.ESTIMATE_OVERDUE)


def most_urgent(readings: Sequence[ClockReading]) -> ClockReading | None:
    running = [r for r in readings if r.is_open]
    if not running:
        return None
    return min(running, key=lambda r: (r.state is not ClockState.BREACHED, r.remaining_seconds))


def triage_ticket(
    state: TicketHistory,
    readings: Sequence[ClockReading],
    client: Client,
    contacts: Sequence[Contact],
    rules: Sequence[PriorityRule],
    routes: Mapping[str, RouteRule],
    queue_entry: QueueEntry | None,
    ahead_of_critical: str | None,
    vendor_party: str | None = None,
) -> TriageRow:
    ticket = state.ticket
    assert ticket is not None, "triage needs the ticket's registration facts"
    reaction = next((r for r in readings if r.clock == "reaction"), None)
    contact = authorized_at(contacts, ticket.registered_at)
    # contract: a request "must come from the client's authorized person" (or be confirmed
    # by them: a recorded confirmation)
    authorized = request_authorized(contacts, ticket.reporter, ticket.registered_at,
                                    state.confirmed_by)
    suggestion = suggest_priority(rules, ticket.title, ticket.body)
    intake = check_intake(ticket.title, ticket.body)
    routing = route(routes, state.source, state.party, client.hosting, ticket.channel,
                    ticket.on_behalf, vendor_party=vendor_party, fixed_by=state.fixed_by)
    secrets = max(state.secrets, len(set(REF_RE.findall(ticket.title + "\n" + ticket.body))))
    row = TriageRow(
        ticket=ticket,
        state=state,
        reaction=reaction,
        urgent=most_urgent(readings),
        suggestion=suggestion,
        intake=intake,
        authorized=authorized,
        authorized_contact=contact.email if contact else None,
        queue=queue_entry,
        ahead_of_critical=ahead_of_critical,
        routing=routing,
        secrets=secrets,
        attention=needs_engineer(state, readings),
    )
    flags = []
    if not authorized:
        flags.append(FLAG_UNAUTHORIZED)
    if secrets:
        flags.append(FLAG_SECRETS)
    if ahead_of_critical:
        flags.append(FLAG_CRITICAL_BEHIND)
    if row.priority_mismatch:
        flags.append(FLAG_PRIORITY_MISMATCH)
    flags += [r.what.value for r in row.attention]
    return TriageRow(**{**row.__dict__, "flags": tuple(flags)})


_PRIORITY_RANK = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}


def urgency(row: TriageRow) -> tuple[int, int, datetime]:
    """Breached reaction first, then the least remaining reaction time, then what waits for
    an engineer (an overdue clock, a remote close to verify, a reply), then the rest by
    priority (critical first; none set last) and registration time."""
    r = row.reaction
    if r is not None and r.state is ClockState.BREACHED:
        return (0, r.remaining_seconds, row.ticket.registered_at)
    if r is not None and r.is_open:
        return (1, r.remaining_seconds, row.ticket.registered_at)
    u = row.urgent
    if u is not None and u.state in _URGENT_STATES:
        return (2, u.remaining_seconds, row.ticket.registered_at)
    if row.attention:
        return (2, 0, row.ticket.registered_at)
    rank = _PRIORITY_RANK.get(row.priority, 4) if row.priority else 4
    return (3, rank, row.ticket.registered_at)


@dataclass(frozen=True)
class Proposal:
    """One unambiguous action `triage --apply` may record."""

    kind: str  # "set-priority" | "ask-missing" | "redact"
    ticket_id: str
    detail: str


def proposals(row: TriageRow) -> list[Proposal]:
    """What triage would do on its own: nothing that needs a human's judgement.

    A priority is set only where none was chosen; missing items are asked only while the
    ticket waits for the executor's reaction (new or reopened) and from an authorized
    sender (an unauthorized one is confirmed or rejected by a person first).
    """
    out = []
    if row.priority is None and row.suggestion is not None:
        out.append(Proposal("set-priority", row.ticket.id, row.suggestion.priority.value))
    if (
        row.intake.missing
        and row.authorized
        and row.state.status in (Status.NEW, Status.REOPENED)
    ):
        labels = ", ".join(item.value for item in row.intake.missing)
        out.append(Proposal("ask-missing", row.ticket.id, labels))
    return out


def advice(row: TriageRow, lang: str = "en") -> list[str]:
    """What needs a person's judgement (triage never does these on its own)."""
    tid, ru = row.ticket.id, lang == "ru"
    out = []
    if FLAG_UNAUTHORIZED in row.flags:
        # contract: the executor may refuse when "the request did not come from the
        # client's authorized person"; the authorized person's confirmation makes it theirs
        contact = row.authorized_contact
        reject = f"sccli ticket reject {tid} --reason unauthorized"
        if contact is None:
            client = row.ticket.client
            out.append(
                f"{tid}: отправитель {row.ticket.reporter} не авторизованное лицо (у {client}"
                f" оно не назначено): назначьте его (sccli contact set {client} EMAIL --notice"
                f" …), затем подтвердите (sccli ticket confirm {tid} --by EMAIL -m …) или"
                f" отклоните: {reject}"
                if ru else
                f"{tid}: {row.ticket.reporter} is not the authorized contact ({client} has"
                f" none appointed): appoint one (sccli contact set {client} EMAIL --notice …),"
                f" then confirm (sccli ticket confirm {tid} --by EMAIL -m …) or reject: {reject}"
            )
        else:
            out.append(
                f"{tid}: отправитель {row.ticket.reporter} не авторизованное лицо ({contact}):"
                f" если {contact} подтверждает заявку: sccli ticket confirm {tid} --by"
                f" {contact} -m …; иначе отклоните: {reject}"
                if ru else
                f"{tid}: {row.ticket.reporter} is not the authorized contact ({contact}): if"
                f" {contact} confirms the request: sccli ticket confirm {tid} --by {contact}"
                f" -m …; otherwise reject: {reject}"
            )
    if row.ahead_of_critical:
        # the first lesser ticket ahead: the head (--first), or one behind a critical head
        ahead = row.ahead_of_critical
        where = "--first" if row.queue is None or row.queue.head == ahead else f"--before {ahead}"
        out.append(
            f"{tid}: критичная заявка ждёт за {ahead}: предложите клиенту"
            f" изменить порядок: sccli queue move {tid} {where} --agreed-by …"
            if ru else
            f"{tid}: critical, waiting behind {ahead}: propose a reorder to"
            f" the client: sccli queue move {tid} {where} --agreed-by …"
        )
    if row.routing.billing == IF_FIXED and row.state.status is not Status.RESOLVED:
        # contract: "helps deal with that partner, or fixes it for an extra fee"
        party = row.routing.party or ("партнёр" if ru else "the owner")
        out.append(
            f"{tid}: источник в чужом проектном слое ({row.routing.source}): помочь во"
            f" взаимодействии с {party} (sccli escalate {tid}) или исправить за отдельную"
            f" плату (sccli ticket set {tid} --fixed-by executor)"
            if ru else
            f"{tid}: the source is in another layer ({row.routing.source}): help deal with"
            f" {party} (sccli escalate {tid}) or fix it for an extra fee (sccli ticket set"
            f" {tid} --fixed-by executor)"
        )
    prio = row.priority  # a mismatch needs one: never None below
    if row.priority_mismatch and row.suggestion and prio is not None:
        why = row.suggestion.explain_ru if ru else row.suggestion.explain
        out.append(
            f"{tid}: клиент указал {prio.russian}, правило «{row.suggestion.rule}»"
            f" предлагает {row.suggestion.priority.russian}: {why}"
            if ru else
            f"{tid}: the client chose {prio.value}, rule {row.suggestion.rule}"
            f" suggests {row.suggestion.priority.value}: {why}"
        )
    return out + advise(row.attention, tid, lang)


def missing_labels(intake: IntakeResult, lang: str) -> list[str]:
    from .intake import ITEM_LABELS

    labels: Mapping[Item, str] = ITEM_LABELS.get(lang, ITEM_LABELS["en"])
    return [labels[item] for item in intake.missing]
