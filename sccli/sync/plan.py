"""What must change where: tickets, links and remote issues in, typed actions out. Pure.

Why typed results (as git-bug's bridges stream them): the same values are printed by
``--dry-run``, applied by ``apply.py`` and written to the journal, so what a user previews
is exactly what runs. Nothing here reads a clock, a disk or a network.

Rules (DESIGN.md "Adapters and sync", issue 5):
- a ticket whose routing action is ``escalate`` gets one remote issue on the tracker of the
  owner party (``state.party``, or the party of kind ``vendor`` when the owner is the vendor);
- public notes go out as comments to every linked issue; notes that came from a tracker
  (they have an origin) never go back (no echo);
- remote comments carrying an sccli origin marker are never pulled; every other comment is
  pulled once, as an internal NOTE whose origin is ``<tracker>:<comment id>``;
- a remote issue closed by its owner becomes a note asking to verify; the ticket is never
  resolved by sync, and nothing is ever inferred from an issue's absence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..adapters.base import RemoteComment, RemoteIssue
from ..domain.history import NoteEntry, TicketHistory
from ..domain.model import Client, Status, Ticket
from ..domain.routing import Routing, route
from .escalation import escalation_text, outgoing

__all__ = [
    "Action",
    "CreateRemote",
    "MapOwnComment",
    "Nothing",
    "PullComment",
    "PushComment",
    "RemoteClosed",
    "RemoteReopened",
    "Refusal",
    "Target",
    "TicketView",
    "escalation_target",
    "needs_fetch",
    "origin_of",
    "plan_pull",
    "plan_push",
]


# --------------------------------------------------------------------------- inputs
class PartyLike(Protocol):
    name: str
    kind: str
    title: str
    language: str
    tracker: str | None


class LinkLike(Protocol):
    ticket_id: str
    tracker: str
    remote_id: str
    state: str
    remote_updated_at: datetime | None


@dataclass(frozen=True)
class TicketView:
    ticket: Ticket
    client: Client
    state: TicketHistory


def origin_of(ticket_id: str, seq: int) -> str:
    """The origin of an event sent out: ``ACME-12/e17`` (the comment marker's value)."""
    return f"{ticket_id}/e{seq}"


# --------------------------------------------------------------------------- actions
@dataclass(frozen=True)
class Action:
    ticket: str
    tracker: str

    kind = "action"

    def row(self) -> dict[str, Any]:
        return {"action": self.kind, "tracker": self.tracker, "ticket": self.ticket,
                "remote": None, "detail": ""}


@dataclass(frozen=True)
class CreateRemote(Action):
    title: str
    body: str
    party: str
    priority: str | None = None

    kind = "create"

    def row(self) -> dict[str, Any]:
        return {**super().row(), "party": self.party, "detail": self.title}


@dataclass(frozen=True)
class PushComment(Action):
    remote_id: str | None  # None: the issue is created earlier in the same plan
    event_seq: int
    body: str

    kind = "comment-out"

    @property
    def origin(self) -> str:
        return origin_of(self.ticket, self.event_seq)

    def row(self) -> dict[str, Any]:
        return {**super().row(), "remote": self.remote_id, "event": self.event_seq,
                "detail": _short(self.body)}


@dataclass(frozen=True)
class PullComment(Action):
    remote_id: str
    comment: RemoteComment

    kind = "comment-in"

    def row(self) -> dict[str, Any]:
        return {**super().row(), "remote": self.remote_id, "comment": self.comment.id,
                "detail": f"{self.comment.author}: {_short(self.comment.body)}"}


@dataclass(frozen=True)
class MapOwnComment(Action):
    """A comment sccli wrote that the store does not know (crash, relink): remember it."""

    remote_id: str
    event_seq: int
    comment_id: str

    kind = "map"

    def row(self) -> dict[str, Any]:
        return {**super().row(), "remote": self.remote_id, "comment": self.comment_id,
                "detail": f"own comment {origin_of(self.ticket, self.event_seq)}"}


@dataclass(frozen=True)
class RemoteClosed(Action):
    remote_id: str

    kind = "closed"

    def row(self) -> dict[str, Any]:
        return {**super().row(), "remote": self.remote_id,
                "detail": "closed by the owner party: verify, then resolve"}


@dataclass(frozen=True)
class RemoteReopened(Action):
    remote_id: str

    kind = "reopened"

    def row(self) -> dict[str, Any]:
        return {**super().row(), "remote": self.remote_id, "detail": "reopened remotely"}


@dataclass(frozen=True)
class Nothing(Action):
    reason: str = ""

    kind = "skip"

    def row(self) -> dict[str, Any]:
        return {**super().row(), "detail": self.reason}


def _short(text: str, limit: int = 60) -> str:
    from ..domain.redaction import find_secrets

    # Credentials are masked before the cut, which could leave a piece no longer
    # recognisable as one (the output gate, sccli.render, masks what is printed).
    for f in reversed(find_secrets(text)):
        text = f"{text[:f.start]}[redacted]{text[f.end:]}"
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --------------------------------------------------------------------------- routing
@dataclass(frozen=True)
class Target:
    party: str
    tracker: str
    language: str
    routing: Routing


@dataclass(frozen=True)
class Refusal:
    """Why a ticket cannot be escalated; ``code`` is stable for scripts."""

    code: str  # source-unset | executor-fixes | no-party | unknown-party | no-tracker | final
    message: str


def escalation_target(
    view: TicketView,
    routes: Mapping[str, Any],
    parties: Mapping[str, PartyLike],
    override: str | None = None,
) -> Target | Refusal:
    """Where ``view``'s ticket must be escalated, following routing (``override``: --to)."""
    ticket, state = view.ticket, view.state
    if state.status.is_final:
        return Refusal("final", f"{ticket.id} is {state.status.value}; nothing to escalate")
    vendor = next((p.name for p in parties.values() if p.kind == "vendor"), None)
    routing = route(routes, state.source, state.party, view.client.hosting, ticket.channel,
                    ticket.on_behalf, vendor_party=vendor)
    if override is None:
        if routing.source is None:
            return Refusal("source-unset", f"{ticket.id}: the problem source is not set; set it"
                           f" with `sccli ticket set {ticket.id} --source …` (or use --to PARTY)")
        if routing.action != "escalate":
            return Refusal("executor-fixes", f"{ticket.id}: routing says {routing.owner} /"
                           f" {routing.action} for {routing.source.value} ({routing.explain});"
                           " nothing to escalate (use --to PARTY to escalate anyway)")
        name = routing.party
        if not name or name == "executor":
            return Refusal("no-party", f"{ticket.id}: no party is recorded for"
                           f" {routing.source.value}; set it with `sccli ticket set {ticket.id}"
                           f" --source {routing.source.value} --party NAME` (or use --to PARTY)")
    else:
        name = override
    party = parties.get(name)
    if party is None:
        known = ", ".join(sorted(parties)) or "none"
        return Refusal("unknown-party", f"unknown party {name!r} (parties in sccli.yaml: {known})")
    if not party.tracker:
        return Refusal("no-tracker", f"party {name!r} has no tracker; add"
                       f" `tracker: NAME` under parties.{name} in sccli.yaml")
    return Target(party.name, party.tracker, party.language, routing)


# --------------------------------------------------------------------------- push
def comment_body(note: NoteEntry, executor: str) -> str:
    return f"{note.message}\n\n— {executor}"


def create_action(view: TicketView, target: Target, parties: Mapping[str, PartyLike],
                  executor: str) -> CreateRemote:
    state = view.state
    text = escalation_text(
        ticket_id=view.ticket.id, title=view.ticket.title, body=view.ticket.body,
        client_name=view.client.name, system_url=view.client.system_url,
        priority=state.priority.value if state.priority else None,
        source=state.source.value if state.source else (
            target.routing.source.value if target.routing.source else None),
        language=target.language, executor=executor,
    )
    return CreateRemote(view.ticket.id, target.tracker, text.title, text.body, target.party,
                        state.priority.value if state.priority else None)


def plan_push(
    views: Iterable[TicketView],
    links: Mapping[tuple[str, str], LinkLike],
    sent: set[tuple[str, str, int]],
    routes: Mapping[str, Any],
    parties: Mapping[str, PartyLike],
    executor: str,
    trackers: Sequence[str] | None = None,
) -> list[Action]:
    """Creates for tickets routing escalates and that have no issue on the owner's tracker;
    public notes not yet sent (``sent``: (ticket, tracker, event seq)) to every linked issue."""
    wanted = None if trackers is None else set(trackers)
    out: list[Action] = []
    for view in views:
        ticket_id = view.ticket.id
        creating: set[str] = set()
        status = view.state.status
        if status not in (Status.RESOLVED,) and not status.is_final:
            target = escalation_target(view, routes, parties)
            if isinstance(target, Target):
                if (wanted is None or target.tracker in wanted) and (
                        (ticket_id, target.tracker) not in links):
                    out.append(create_action(view, target, parties, executor))
                    creating.add(target.tracker)
            elif target.code in ("no-party", "unknown-party", "no-tracker"):
                out.append(Nothing(ticket_id, "", f"cannot escalate: {target.message}"))
        notes = view.state.public_notes
        if not notes:
            continue
        remote_of: dict[str, str | None] = {
            tracker: link.remote_id for (t, tracker), link in links.items() if t == ticket_id}
        remote_of.update({tracker: None for tracker in creating})
        for tracker in sorted(remote_of):
            if wanted is not None and tracker not in wanted:
                continue
            for event in notes:
                if (ticket_id, tracker, event.seq) in sent:
                    continue
                body = outgoing(comment_body(event, executor), ticket_id)
                out.append(PushComment(ticket_id, tracker, remote_of[tracker], event.seq, body))
    return out


# --------------------------------------------------------------------------- pull
def needs_fetch(issue: RemoteIssue, link: LinkLike | None) -> bool:
    """Load ``issue`` with its comments only when it is linked and changed since we last
    read it completely (our own create counts as read; our own comments do not, so a human
    comment written just before ours is never skipped)."""
    if link is None:
        return False
    if link.remote_updated_at is None or issue.state != link.state:
        return True
    return issue.updated_at > link.remote_updated_at


def plan_pull(
    issue: RemoteIssue,
    tracker: str,
    link: LinkLike,
    received: set[str],
    sent: set[tuple[str, str, int]],
    seen_origins: frozenset[str] = frozenset(),
) -> list[Action]:
    """Actions for one linked remote issue loaded with its comments.

    ``received``: remote comment ids already pulled from this tracker; ``seen_origins``:
    the ticket's pulled-note origins, which also count (a store restored without its map)."""
    ticket = link.ticket_id
    out: list[Action] = []
    for comment in issue.comments:
        if comment.origin:  # written by sccli: never pulled back
            prefix = f"{ticket}/e"
            seq = comment.origin[len(prefix):] if comment.origin.startswith(prefix) else ""
            if seq.isdigit() and (ticket, tracker, int(seq)) not in sent:
                out.append(MapOwnComment(ticket, tracker, issue.id, int(seq), comment.id))
            continue
        if comment.id in received or f"{tracker}:{comment.id}" in seen_origins:
            continue
        out.append(PullComment(ticket, tracker, issue.id, comment))
    if issue.state == "closed" and link.state != "closed":
        out.append(RemoteClosed(ticket, tracker, issue.id))
    elif issue.state == "open" and link.state == "closed":
        out.append(RemoteReopened(ticket, tracker, issue.id))
    return out
