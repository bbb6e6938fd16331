"""The one fold: everything derived from a ticket's events, as known at an instant.

Lifecycle legality, the four clocks, the queue, triage, reports, ``ticket show`` and sync
planning all read :class:`TicketHistory`; nothing else interprets event payloads.

The as-of view: ``history(events, as_of=T)`` sees only the events dated at or before T,
so a ticket registered after T does not exist (``exists`` is false) and a voided event
counts until the instant it was voided. Corrections (``voided``, ``edited``) are allowed in
any status and change no status; voiding the registration removes the ticket from every
view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property
from typing import assert_never

from .events import (
    Confirmed,
    Edited,
    EstimateSet,
    Event,
    Note,
    PriorityChanged,
    Registered,
    Reordered,
    Said,
    SourceSet,
    Voided,
)
from .lifecycle import next_status
from .model import (
    DomainError,
    EventKind,
    Priority,
    Source,
    Status,
    Ticket,
    client_of,
)

K = EventKind


@dataclass(frozen=True, slots=True)
class AcceptanceRule:
    """How long the client has to accept a resolved ticket, and in which zone's wall clock.

    Contract: "Acceptance and testing after Resolved: 7 calendar days" (Russian original:
    «Приемка и тестирование после статуса Решено: 7 календарных дней»), then the ticket is
    closed automatically. The window's last on-time instant is ``deadline``: the same
    wall-clock time ``days`` later in ``tz``; the window has expired strictly after it, so
    the ticket closes at ``expiry`` (one second later, the store's resolution).
    """

    days: int
    tz: tzinfo | None = None

    def deadline(self, resolved_at: datetime) -> datetime:
        if resolved_at.tzinfo is None:
            raise ValueError(f"naive datetime {resolved_at!r}: give a timezone-aware datetime")
        start = resolved_at.astimezone(self.tz) if self.tz is not None else resolved_at
        wall = start + timedelta(days=self.days)  # same tzinfo: wall-clock arithmetic
        return wall.astimezone(UTC).astimezone(start.tzinfo)

    def expiry(self, resolved_at: datetime) -> datetime:
        """The first instant after the window: the automatic acceptance happens here."""
        return self.deadline(resolved_at) + _SECOND


_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Question:
    """One clarifying question and what stopped the client's answer clock."""

    number: int
    asked_at: datetime
    stopped_at: datetime | None
    # ANSWERED; ASKED (superseded by the next question, asked before any answer);
    # RESOLVED (resolved while the client had not answered); REJECTED
    stopped_by: EventKind | None


@dataclass(frozen=True, slots=True)
class Estimate:
    """One entry of the resolution-estimate ledger."""

    at: datetime
    estimate: datetime
    actor: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class Reorder:
    """An agreed queue move (contract: "the priority or order may be changed by agreement")."""

    ticket_id: str
    seq: int
    at: datetime
    before: str | None  # None: to the head of the queue
    agreed_by: str
    order: int = 0  # the client's agreement number (same-second moves apply in this order)


@dataclass(frozen=True, slots=True)
class NoteEntry:
    seq: int
    at: datetime
    actor: str
    message: str
    public: bool
    origin: str | None
    author: str | None


@dataclass(eq=False)
class TicketHistory:
    """A ticket as known at ``as_of`` (None: everything recorded). Treat it as immutable.

    The fold computes what every view needs (status and the clocks' facts) at once; the
    facts only some views read (source, reorders, notes, secrets, texts) are computed from
    ``events`` on first use, so `sla check` over 10,000 tickets decodes only the payloads
    its clocks depend on.
    """

    ticket_id: str
    ticket: Ticket | None  # registration facts with edits applied (None in bare domain use)
    client: str  # the client the ticket belongs to (its id names the first one)
    events: tuple[Event, ...]  # in effect: dated at or before as_of and not voided
    voids: Mapping[int, Event]  # voided seq → the void, for the voids in effect at as_of
    as_of: datetime | None
    exists: bool
    status: Status
    priority: Priority | None
    priority_timeline: tuple[tuple[datetime, Priority | None], ...]
    registered_at: datetime | None
    first_response_at: datetime | None
    questions: tuple[Question, ...]
    resolved_at: datetime | None  # the latest "resolved"
    resolution_stop: datetime | None  # the latest "resolved" not followed by "reopened"
    acceptance_stop: tuple[datetime, EventKind] | None  # accepted/auto-accepted/reopened
    closed_at: datetime | None
    rejected_at: datetime | None
    estimates: tuple[Estimate, ...]
    last_event_at: datetime | None  # of the events in effect, corrections excluded
    recorded: Sequence[Event] = ()  # every event folded over, voided ones included
    registered_as: Ticket | None = None  # the registration facts before any edit
    # The acceptance window expired by the fold's instant and no acceptance was recorded:
    # closed automatically all the same (``acceptance_stop`` is (expiry, AUTO_ACCEPTED)).
    auto_closed: bool = False

    @property
    def acceptance_expired(self) -> datetime | None:
        """When the ticket closed by automatic acceptance (derived or recorded), else None."""
        stop = self.acceptance_stop
        return stop[0] if stop is not None and stop[1] is K.AUTO_ACCEPTED else None

    def _latest(self, kind: EventKind) -> Event | None:
        for ev in reversed(self.events):
            if ev.kind is kind:
                return ev
        return None

    @cached_property
    def _source_set(self) -> SourceSet | None:
        ev = self._latest(K.SOURCE_SET)
        if ev is None:
            return None
        p = ev.payload
        assert isinstance(p, SourceSet)
        return p

    @property
    def source(self) -> Source | None:
        return self._source_set.source if self._source_set else None

    @property
    def party(self) -> str | None:
        return self._source_set.party if self._source_set else None

    @property
    def fixed_by(self) -> str | None:
        """Who fixes a billable-if-fixed source ("executor" for a fee, "owner"), if decided."""
        return self._source_set.fixed_by if self._source_set else None

    @cached_property
    def reorders(self) -> tuple[Reorder, ...]:
        out = []
        for ev in self.events:
            if ev.kind is K.REORDERED:
                p = ev.payload
                assert isinstance(p, Reordered)
                out.append(Reorder(ev.ticket_id, ev.seq, ev.at, p.before, p.agreed_by,
                                   p.order))
        return tuple(out)

    @cached_property
    def confirmed_by(self) -> str | None:
        """The authorized contact who confirmed a request someone else sent, if any."""
        ev = self._latest(K.CONFIRMED)
        if ev is None:
            return None
        p = ev.payload
        assert isinstance(p, Confirmed)
        return p.by

    @property
    def registration_voided(self) -> bool:
        return 1 in self.voids  # the store numbers a ticket's events from 1: #1 registers

    @property
    def estimate(self) -> datetime | None:
        return self.estimates[-1].estimate if self.estimates else None

    @property
    def extensions(self) -> int:
        """How many times the estimate was extended (each needed a reason): only a later
        estimate than the one in force counts; bringing it forward is not an extension."""
        return sum(extended(self.estimates))

    @cached_property
    def notes(self) -> tuple[NoteEntry, ...]:
        out = []
        for ev in self.events:
            if ev.kind is K.NOTE:
                p = ev.payload
                assert isinstance(p, Note)
                out.append(NoteEntry(ev.seq, ev.at, ev.actor, p.message, p.public, p.origin,
                                     p.author))
        return tuple(out)

    @property
    def public_notes(self) -> tuple[NoteEntry, ...]:
        """Notes an engineer marked public; never notes that came from a tracker."""
        return tuple(n for n in self.notes if n.public and not n.origin)

    @property
    def origins(self) -> frozenset[str]:
        """Where pulled notes came from (``<tracker>:<comment id>``)."""
        return frozenset(n.origin for n in self.notes if n.origin)

    @cached_property
    def secrets(self) -> int:
        """Credentials moved to the vault from this ticket's texts."""
        total = 0
        for ev in self.events:
            p = ev.payload
            if isinstance(p, Said | Registered | Edited):
                total += p.secrets
        return total

    @cached_property
    def texts(self) -> tuple[str, ...]:
        """Every text of the ticket as stored: the registration's title and body as first
        recorded and as edited, every message, reason and agreement, voided ones included
        (secret references are numbered over all of them, so none is ever reused)."""
        out = []
        for t in (self.registered_as, self.ticket):
            if t is not None:
                out += [t.title, t.body]
        for ev in self.recorded:
            p = ev.payload
            if isinstance(p, Said):
                out.append(p.message)
            elif isinstance(p, Edited):
                out += [t for t in (p.title, p.body, p.reason) if t]
            elif isinstance(p, EstimateSet) and p.reason:
                out.append(p.reason)
            elif isinstance(p, Reordered | PriorityChanged):
                out += [p.agreed_by] if p.agreed_by else []
            elif isinstance(p, Voided):
                out.append(p.reason)
        return tuple(out)



def history(
    events: Sequence[Event], as_of: datetime | None = None, ticket: Ticket | None = None,
    *, acceptance: AcceptanceRule | Callable[[str], AcceptanceRule] | None = None,
    now: datetime | None = None,
) -> TicketHistory:
    """Fold a ticket's events (in seq order) as known at ``as_of``.

    With ``acceptance`` (a rule, or the rule of the ticket's client as folded — its
    service package), time-driven closing is derived as of ``now`` (default ``as_of``):
    a resolved ticket whose acceptance window expired by then is closed (automatically
    accepted) even when no event says so, so a missed `sccli tick` never shows a wrong
    state. Pass ``now`` when the events are already cut at the instant (the views' bulk
    reads) to skip the as-of filtering.

    Raises DomainError when the events are not a legal history (the write path uses this
    to refuse an illegal step with the allowed next ones).
    """
    if len(events) > 1 and events[0].seq > events[-1].seq:
        events = sorted(events, key=lambda e: e.seq)  # the store returns them in seq order
    if as_of is not None:
        # Same zone on both sides: the store's instants are UTC, and comparing datetimes
        # of one tzinfo skips the offset arithmetic (this runs for every event of a view).
        cut = as_of.astimezone(UTC)
        if any(e.at > cut for e in events):
            events = [e for e in events if e.at <= cut]
    voids: dict[int, Event] = {}
    for ev in events:
        if ev.kind is K.VOIDED:
            p = ev.payload
            assert isinstance(p, Voided)
            voids[p.target] = ev
    live = tuple(e for e in events if e.seq not in voids) if voids else tuple(events)
    ticket_id = events[0].ticket_id if events else (ticket.id if ticket else "")
    client = client_of(ticket_id)
    # The stored row's client is a projection of the edits; the id names the registering one.
    current = replace(ticket, client=client) if ticket is not None else None

    status = Status.NEW
    exists = False
    priority: Priority | None = None
    timeline: list[tuple[datetime, Priority | None]] = []
    registered_at = first_response = resolved = res_stop = closed = rejected = None
    last: datetime | None = None
    acc_stop: tuple[datetime, EventKind] | None = None
    questions: list[Question] = []
    open_q: int | None = None  # index in questions of the question awaiting its answer
    estimates: list[Estimate] = []
    step = _STEP

    for ev in live:
        kind = ev.kind
        if kind is K.REGISTERED:
            p = ev.payload
            assert isinstance(p, Registered)
            exists, status, registered_at = True, Status.NEW, ev.at
            priority = p.priority
            timeline.append((ev.at, priority))
            last = ev.at
            continue
        if kind is K.VOIDED or kind is K.EDITED:
            if kind is K.EDITED:
                p = ev.payload
                assert isinstance(p, Edited)
                client = p.client or client
                if current is not None:
                    current = _edited(current, p)
            continue  # corrections: any status, no status change
        if not exists:
            continue  # the registration was voided: nothing of this ticket is in effect
        status = step.get((status, kind)) or next_status(status, kind)
        if last is None or ev.at > last:  # `sccli tick` dates a fact when it happened,
            last = ev.at  # which may be before a step recorded earlier
        if kind is K.NOTE or kind is K.SOURCE_SET or kind is K.REORDERED or \
                kind is K.CONFIRMED:
            pass  # read lazily by the views that need them
        elif kind is K.PRIORITY_CHANGED:
            p = ev.payload
            assert isinstance(p, PriorityChanged)
            priority = p.priority
            timeline.append((ev.at, priority))
        elif kind is K.RESPONDED or kind is K.ASKED:
            if first_response is None:
                first_response = ev.at
            if kind is K.ASKED:
                # Contract over time: "From awaiting-client the executor may ask again
                # (another round)": the unanswered question's clock stops at the new one
                # (superseded); no client-caused delay is counted past that instant.
                if open_q is not None:
                    q = questions[open_q]
                    questions[open_q] = Question(q.number, q.asked_at, ev.at, K.ASKED)
                open_q = len(questions)
                questions.append(Question(open_q + 1, ev.at, None, None))
        elif kind is K.ANSWERED:
            if open_q is not None:
                q = questions[open_q]
                questions[open_q] = Question(q.number, q.asked_at, ev.at, K.ANSWERED)
                open_q = None
        elif kind is K.ESTIMATE_SET:
            p = ev.payload
            assert isinstance(p, EstimateSet)
            estimates.append(Estimate(ev.at, p.estimate, ev.actor, p.reason))
        elif kind is K.RESOLVED:
            resolved = res_stop = ev.at
            acc_stop = None
            if open_q is not None:  # resolved from awaiting client: the question stops
                q = questions[open_q]
                questions[open_q] = Question(q.number, q.asked_at, ev.at, K.RESOLVED)
                open_q = None
        elif kind is K.ACCEPTED or kind is K.AUTO_ACCEPTED:
            acc_stop = (ev.at, kind)
            closed = ev.at
        elif kind is K.REOPENED:
            acc_stop, res_stop = (ev.at, K.REOPENED), None
        elif kind is K.REJECTED:
            rejected = closed = ev.at
            if open_q is not None:
                q = questions[open_q]
                questions[open_q] = Question(q.number, q.asked_at, ev.at, K.REJECTED)
                open_q = None
        elif kind is K.ALERTED:
            pass  # a time-driven fact `sccli tick` recorded (read by tick alone)
        else:
            assert_never(kind)

    auto_closed = False
    when = now if now is not None else as_of
    if acceptance is not None and when is not None and status is Status.RESOLVED \
            and resolved is not None:
        # Contract: "Acceptance and testing after Resolved: 7 calendar days", then closed
        # automatically — derived here, whether or not `sccli tick` recorded it yet.
        rule = acceptance if isinstance(acceptance, AcceptanceRule) else acceptance(client)
        expiry = rule.expiry(resolved)
        if expiry <= when:
            status, auto_closed = Status.CLOSED, True
            acc_stop, closed = (expiry, K.AUTO_ACCEPTED), expiry

    return TicketHistory(
        ticket_id, current, client, live if exists else (), voids, as_of, exists, status,
        priority, tuple(timeline), registered_at, first_response,
        tuple(questions), resolved, res_stop,
        acc_stop, closed, rejected, tuple(estimates), last, events, ticket, auto_closed,
    )


# (status, kind) → the next status, for every legal step (the fold's fast path; an
# illegal step falls through to next_status, which explains the refusal).
_STEP: dict[tuple[Status, EventKind], Status] = {}
for _kind in K:
    for _status in Status:
        with suppress(DomainError):
            _STEP[(_status, _kind)] = next_status(_status, _kind)


def _edited(ticket: Ticket, p: Edited) -> Ticket:
    return replace(
        ticket,
        title=ticket.title if p.title is None else p.title,
        body=ticket.body if p.body is None else p.body,
        reporter=ticket.reporter if p.reporter is None else p.reporter,
        client=ticket.client if p.client is None else p.client,
    )


def extended(estimates: Sequence[Estimate]) -> list[bool]:
    """For each ledger entry: was it an extension (later than the estimate then in force)?

    Contract: "it may be extended for objective reasons"; contract over time: "Bringing an
    estimate forward is not an extension: no reason required, not counted as one." An
    earlier or equal estimate is neither (the ledger keeps every entry all the same).
    """
    return [i > 0 and e.estimate > estimates[i - 1].estimate for i, e in enumerate(estimates)]


def check_estimate(h: TicketHistory, estimate: datetime, reason: str | None) -> None:
    """The first estimate needs no reason, nor one bringing the estimate forward (or
    repeating it); every extension does (contract: "it may be extended for objective
    reasons"; "Bringing an estimate forward is not an extension: no reason required, not
    counted as one")."""
    current = h.estimate
    if current is not None and estimate > current and not (reason and reason.strip()):
        raise DomainError(
            "extending the resolution estimate needs a reason (use --reason TEXT,"
            " e.g. 'new problems found')"
        )


def check_void(events: Sequence[Event], target: int, ticket: Ticket | None = None) -> Event:
    """The event to void, refused when it cannot be voided or the rest would not be a
    legal history (void the later steps first)."""
    found = next((e for e in events if e.seq == target), None)
    if found is None:
        raise DomainError(f"no event #{target} on this ticket (see `sccli ticket show`)")
    if found.kind is K.VOIDED:
        raise DomainError(f"event #{target} is itself a void; voids cannot be voided")
    already = {p.target for e in events if e.kind is K.VOIDED
               for p in [e.payload] if isinstance(p, Voided)}
    if target in already:
        raise DomainError(f"event #{target} is already voided")
    if found.kind is not K.REGISTERED:
        try:
            history([e for e in events if e.seq != target], ticket=ticket)
        except DomainError as exc:
            raise DomainError(
                f"voiding #{target} ({found.kind.value}) would leave an impossible history"
                f" ({exc}); void the later steps first"
            ) from None
    return found


__all__ = [
    "AcceptanceRule", "Estimate", "NoteEntry", "Question", "Reorder", "TicketHistory", "check_estimate",
    "check_void", "extended", "history",
]
