"""What a sync run did, as one typed stream (as git-bug's bridges stream their results).

Every step of a run yields one value. The CLI renders the stream as progress, the journal
persists its changes (each in the transaction that makes it), ``--format json``
serialises it, and :func:`collect` folds it into one outcome per tracker for the exit code
and the summary: one channel instead of three.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .plan import Action


@dataclass(frozen=True)
class Started:
    """A tracker's turn begins."""

    tracker: str


@dataclass(frozen=True)
class Planned:
    """An action a dry run would take, or one that needs no change (a skip, a notice)."""

    tracker: str
    action: Action


@dataclass(frozen=True)
class Changed:
    """A change made, on the tracker or in the store; the journal keeps one row of it.

    ``change`` names it in the journal (created, commented, pulled, mapped, remote-closed,
    remote-reopened, relinked, pull-skipped, recovered-create, recovered-comment,
    dropped-intent; on an intake: registered, answered, replied, recovered-reply);
    ``action`` is the planned action it carried out, if any (a
    recovery of a crashed run's intent is not a planned action).
    """

    tracker: str
    ticket: str
    change: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    action: Action | None = None


@dataclass(frozen=True)
class Progressed:
    """Pushes done so far in a long run."""

    tracker: str
    done: int
    total: int


@dataclass(frozen=True)
class Finished:
    """A tracker's turn ends: ``error`` when it failed (its cursor then stays)."""

    tracker: str
    cursor: datetime | None = None
    error: Exception | None = None


SyncResult = Started | Planned | Changed | Progressed | Finished
Sink = Callable[[SyncResult], None]


@dataclass
class TrackerOutcome:
    """One tracker's results, folded: the actions taken or planned, its error, its cursor."""

    name: str
    actions: list[Action] = field(default_factory=list)
    error: Exception | None = None
    cursor: datetime | None = None
    changes: list[Changed] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for action in self.actions:
            out[action.kind] = out.get(action.kind, 0) + 1
        return out


def collect(results: Iterable[SyncResult], names: Iterable[str] = ()) -> list[TrackerOutcome]:
    """The outcome of each tracker in ``results`` (and of each of ``names``), in order."""
    outcomes: dict[str, TrackerOutcome] = {n: TrackerOutcome(n) for n in names}
    for r in results:
        o = outcomes.setdefault(r.tracker, TrackerOutcome(r.tracker))
        if isinstance(r, Planned):
            o.actions.append(r.action)
        elif isinstance(r, Changed):
            o.changes.append(r)
            if r.action is not None:
                o.actions.append(r.action)
        elif isinstance(r, Finished):
            o.cursor, o.error = r.cursor, r.error
    return list(outcomes.values())


def summary(outcome: TrackerOutcome) -> str:
    counts = outcome.counts()
    text = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no changes"
    return text if outcome.ok else f"{text}; {outcome.error}"


class Recorder:
    """A sink that keeps the stream (for ``collect``) and passes each result on."""

    def __init__(self, then: Sink | None = None) -> None:
        self.results: list[SyncResult] = []
        self._then = then

    def __call__(self, result: SyncResult) -> None:
        self.results.append(result)
        if self._then is not None:
            self._then(result)

    def outcomes(self, names: Iterable[str] = ()) -> list[TrackerOutcome]:
        return collect(self.results, names)


__all__ = [
    "Changed", "Finished", "Planned", "Progressed", "Recorder", "Sink", "Started",
    "SyncResult", "TrackerOutcome", "collect", "summary",
]
