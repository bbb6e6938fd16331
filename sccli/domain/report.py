"""Pure views over clock readings: urgency order, `sla check` verdicts, the monthly report."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .clocks import ClockReading, ClockState
from .model import Priority

FAIL_ON = {
    # Only the executor's own promises count as breaches: a client overdue on an answer,
    # an expired acceptance or a passed estimate ("never a hard target") are not.
    "breach": frozenset({ClockState.BREACHED}),
    "warning": frozenset({ClockState.BREACHED, ClockState.WARNING}),
}


def urgency_key(reading: ClockReading) -> tuple[int, int, str]:
    """Breached first (most overdue first), then the least remaining time."""
    breached = reading.state in (ClockState.BREACHED, ClockState.CLIENT_OVERDUE)
    return (0 if reading.state is ClockState.BREACHED else 1 if breached else 2,
            reading.remaining_seconds, reading.ticket_id)


@dataclass(frozen=True)
class TicketFacts:
    """What the monthly report needs about one ticket."""

    ticket_id: str
    client: str
    priority: Priority | None
    registered_at: datetime
    readings: Sequence[ClockReading]
    extensions: int


@dataclass
class _Counts:
    """One priority's row while the report is being counted."""

    tickets: int = 0
    met: int = 0
    breached: int = 0
    pending: int = 0
    times: list[float] = field(default_factory=list)  # reaction minutes, stopped clocks


def month_report(
    tickets: Iterable[TicketFacts], default_priority: Priority
) -> dict[str, object]:
    """Per priority: tickets, reactions met / breached, compliance, median and worst reaction.

    Reaction times are business minutes to the first response; a clock still running but
    already breached counts as breached, one still running within target is "pending".
    A ticket is counted under the priority its reaction is judged by (the one whose target
    produced the deadline: a priority changed by agreement while the clock ran may be it,
    see clocks.reaction_window), else under its priority.
    """
    rows: dict[str, _Counts] = {}
    delays: dict[str, int] = {}
    extensions = 0
    for facts in tickets:
        reaction = next((r for r in facts.readings if r.clock == "reaction"), None)
        judged = reaction.priority if reaction is not None else facts.priority
        prio = (judged or default_priority).value
        row = rows.setdefault(prio, _Counts())
        row.tickets += 1
        extensions += facts.extensions
        for r in facts.readings:
            if r.clock == "reaction":
                if r.state is ClockState.MET:
                    row.met += 1
                elif r.state in (ClockState.MET_LATE, ClockState.BREACHED):
                    row.breached += 1
                else:
                    row.pending += 1
                if r.stopped_at is not None:
                    row.times.append(r.elapsed_seconds / 60)
            elif r.clock == "feedback" and r.client_delay_seconds:
                delays[facts.client] = delays.get(facts.client, 0) + r.client_delay_seconds
    out_rows: list[dict[str, object]] = []
    for prio in (p.value for p in Priority):
        if prio not in rows:
            continue
        row = rows[prio]
        times = row.times
        decided = row.met + row.breached
        out_rows.append({
            "priority": prio,
            "tickets": row.tickets,
            "met": row.met,
            "breached": row.breached,
            "pending": row.pending,
            "compliance": round(100 * row.met / decided, 1) if decided else None,
            "median_reaction_min": round(statistics.median(times), 1) if times else None,
            "worst_reaction_min": round(max(times), 1) if times else None,
        })
    met = sum(r.met for r in rows.values())
    decided = met + sum(r.breached for r in rows.values())
    return {
        "priorities": out_rows,
        "total": {
            "tickets": sum(r.tickets for r in rows.values()),
            "met": met,
            "breached": decided - met,
            "compliance": round(100 * met / decided, 1) if decided else None,
        },
        "client_delay_hours": {k: round(v / 3600, 2) for k, v in sorted(delays.items())},
        "estimate_extensions": extensions,
    }
