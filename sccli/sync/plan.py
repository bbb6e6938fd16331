"""What must change where: tickets, links and remote issues in, typed actions out. Pure.

Why typed results (as git-bug's bridges stream them): the same values are printed by
``--dry-run``, applied by ``apply.py`` and written to the journal, so what a user previews
is exactly what runs. Nothing here reads a clock, a disk or a network.

Rules (DESIGN.md "Adapters and sync", issue 5):
- a ticket whose routing action is ``escalate`` gets one remote issue on the tracker of the
  owner party (``state.party``, or the party of kind ``vendor`` when the owner is the vendor);
- public notes go out as comments to every linked issue; notes that came from a tracker
  (they have an origin) never go back (no echo);
- a remote comment is sccli's own, and never pulled, when its id is one sccli recorded as
  written to that ticket on that tracker (the comment map); a crashed run's or a relink's
  recovery may also vouch for a comment whose origin marker names the ticket and whose
  author is the account sccli writes as. Every other comment is a human's, marker or not:
  pulled once, as an internal NOTE whose origin is ``<tracker>:<comment id>``; an origin
  marker it carried stays visible as its last line, so the engineer sees the claim;
- an issue marker counts only on the issue sccli created (the link); ``sync --relink``
  links only issues the account sccli writes as opened, and shows the rest as ignored;
- a remote issue closed by its owner becomes a note asking to verify; the ticket is never
  resolved by sync, and nothing is ever inferred from an issue's absence.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from ..adapters.base import RemoteComment, RemoteIssue, comment_marker
from ..domain.history import NoteEntry, TicketHistory
from ..domain.model import Client, Status, Ticket
from ..domain.routing import HELPS_DEAL_WITH, Routing, route
from .escalation import escalation_text, outgoing

__all__ = [
    "Action",
    "CreateRemote",
    "IgnoredMarker",
    "MapOwnComment",
    "Nothing",
    "PullComment",
    "PushComment",
    "Relinked",
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
    "plan_relink",
    "unbound_claims",
    "vouched_comments",
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
class Relinked(Action):
    """``sync --relink``: link ``ticket`` to the issue sccli opened with its marker."""

    remote_id: str
    url: str | None = None
    state: str = "open"
    previous: str | None = None  # the issue the link pointed at; None: a new link
    displaced: str | None = None  # another ticket linked to this issue until now

    kind = "relink"

    def row(self) -> dict[str, Any]:
        if self.previous is None:
            detail = "new link from the marker"
        else:
            detail = f"re-point #{self.previous} → #{self.remote_id}"
        if self.displaced:
            detail += f"; unlinks it from {self.displaced}"
        return {**super().row(), "remote": self.remote_id, "previous": self.previous,
                "detail": detail}


@dataclass(frozen=True)
class IgnoredMarker(Action):
    """An issue carrying a ticket marker that is not linked (someone else opened it)."""

    remote_id: str
    reason: str

    kind = "ignored"

    def row(self) -> dict[str, Any]:
        return {**super().row(), "remote": self.remote_id, "detail": self.reason}


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
    manual: bool = False,
) -> Target | Refusal:
    """Where ``view``'s ticket must be escalated, following routing (``override``: --to).

    Sync (``manual`` False) escalates where routing says "escalate". `sccli escalate ID`
    (``manual``) also where the executor "helps deal with" the owner: another partner's
    project layer or the client's team until the executor takes the fix for a fee
    (contract: "the executor identifies the source, then helps deal with that partner,
    or fixes it for an extra fee"), and a responsible party recorded for infrastructure,
    a provider or adjacent software.
    """
    ticket, state = view.ticket, view.state
    if state.status.is_final:
        return Refusal("final", f"{ticket.id} is {state.status.value}; nothing to escalate")
    vendor = next((p.name for p in parties.values() if p.kind == "vendor"), None)
    routing = route(routes, state.source, state.party, view.client.hosting, ticket.channel,
                    ticket.on_behalf, vendor_party=vendor, fixed_by=state.fixed_by)
    allowed = HELPS_DEAL_WITH if manual else frozenset({"escalate"})
    if override is None:
        if routing.source is None:
            cloud = (" (the system is in the BPMSoft cloud: if its platform or hosting is at"
                     f" fault, `--source bpmsoft-cloud` escalates to {vendor or 'the vendor'})"
                     if routing.vendor_hosts else "")
            return Refusal("source-unset", f"{ticket.id}: the problem source is not set; set it"
                           f" with `sccli ticket set {ticket.id} --source …` (or use --to PARTY)"
                           + cloud)
        if routing.action not in allowed:
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
        email = getattr(party, "email", None)
        notice = (f"; as the responsible party its contact {email} gets a notice"
                  if routing.action == "consult" and override is None and email else "")
        return Refusal("no-tracker", f"party {name!r} has no tracker; add"
                       f" `tracker: NAME` under parties.{name} in sccli.yaml{notice}")
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


def vouched_comments(
    issue: RemoteIssue,
    ticket: str,
    own: Collection[str],
    account: str,
    origins: Collection[str] | None,
) -> frozenset[str]:
    """Ids of the comments recovery may take as sccli's own although the store does not
    know them: not recorded in ``own``, an origin marker naming ``ticket``, written by
    ``account``, and, unless ``origins`` is None (a relink: the store was lost), an origin
    a pending intent is waiting for."""
    prefix = f"{ticket}/e"
    return frozenset(
        c.id for c in issue.comments
        if c.id not in own and c.origin and c.origin.startswith(prefix)
        and c.origin[len(prefix):].isdigit()
        and c.author_id is not None and c.author_id == account
        and (origins is None or c.origin in origins)
    )


def unbound_claims(issue: RemoteIssue, own: Collection[str]) -> bool:
    """Does a comment sccli did not record carry an origin marker (worth vouching for)?"""
    return any(c.origin and c.id not in own for c in issue.comments)


def as_text(comment: RemoteComment) -> RemoteComment:
    """A human's comment as it is pulled: an origin marker it carried is only text, kept as
    its last line (adapters strip marker lines from bodies)."""
    if not comment.origin:
        return comment
    marker = comment_marker(comment.origin, hidden=False)
    body = f"{comment.body}\n\n{marker}" if comment.body else marker
    return replace(comment, body=body, origin=None)


def plan_pull(
    issue: RemoteIssue,
    tracker: str,
    link: LinkLike,
    received: set[str],
    sent: set[tuple[str, str, int]],
    seen_origins: frozenset[str] = frozenset(),
    *,
    own: Collection[str] = frozenset(),
    vouched: Collection[str] = frozenset(),
) -> list[Action]:
    """Actions for one linked remote issue loaded with its comments.

    ``own``: the comment ids sccli recorded as written to this ticket on this tracker
    (never pulled, whatever their text); ``vouched``: comments recovery takes as sccli's own
    (``vouched_comments``), mapped to the event their origin names; ``received``: remote
    comment ids already pulled from this tracker; ``seen_origins``: the ticket's pulled-note
    origins, which also count (a store restored without its map). Any other comment is a
    human's and is pulled, an origin marker in it included."""
    ticket = link.ticket_id
    out: list[Action] = []
    for comment in issue.comments:
        if comment.id in own or comment.id in received or (
                f"{tracker}:{comment.id}" in seen_origins):
            continue
        if comment.id in vouched and comment.origin:
            seq = int(comment.origin.rsplit("/e", 1)[1])
            if (ticket, tracker, seq) not in sent:
                out.append(MapOwnComment(ticket, tracker, issue.id, seq, comment.id))
            continue
        out.append(PullComment(ticket, tracker, issue.id, as_text(comment)))
    if issue.state == "closed" and link.state != "closed":
        out.append(RemoteClosed(ticket, tracker, issue.id))
    elif issue.state == "open" and link.state == "closed":
        out.append(RemoteReopened(ticket, tracker, issue.id))
    return out


# --------------------------------------------------------------------------- relink
def _id_order(issue: RemoteIssue) -> tuple[int, int | str]:
    return (0, int(issue.id)) if issue.id.isdigit() else (1, issue.id)


def plan_relink(
    issues: Iterable[RemoteIssue],
    tracker: str,
    links: Mapping[tuple[str, str], LinkLike],
    known: Collection[str],
    account: str,
) -> list[Action]:
    """What ``sync --relink`` changes on ``tracker``: a link to each issue carrying a
    ticket marker that ``account`` (sccli's) opened; issues someone else opened are
    ignored, whatever their marker says. ``known``: the tickets the store holds.

    When sccli opened several issues for one ticket, the linked one stays, else the oldest
    is linked; the others are reported as ignored."""
    out: list[Action] = []
    ours: dict[str, list[RemoteIssue]] = {}
    for issue in issues:
        ticket = issue.ticket
        if not ticket:
            continue
        if issue.author_id is None or issue.author_id != account:
            who = issue.author or issue.author_id or "an unknown account"
            out.append(IgnoredMarker(ticket, tracker, issue.id,
                                     f"marker names {ticket}, but {who} opened it, not sccli's"
                                     f" account ({account}): not linked"))
            continue
        if ticket not in known:
            out.append(Nothing(ticket, tracker, f"issue {issue.id} names an unknown ticket"))
            continue
        ours.setdefault(ticket, []).append(issue)
    linked_to = {lk.remote_id: lk.ticket_id for lk in links.values() if lk.tracker == tracker}
    for ticket in sorted(ours):
        found = sorted(ours[ticket], key=_id_order)
        current = links.get((ticket, tracker))
        keep = next((i for i in found if current is not None and i.id == current.remote_id),
                    found[0])
        for other in found:
            if other is not keep:
                out.append(IgnoredMarker(ticket, tracker, other.id,
                                         f"sccli also opened #{keep.id} for {ticket}; that one"
                                         " is linked"))
        if current is not None and current.remote_id == keep.id:
            continue
        owner = linked_to.get(keep.id)
        out.append(Relinked(ticket, tracker, keep.id, keep.url or None, keep.state,
                            previous=current.remote_id if current is not None else None,
                            displaced=owner if owner not in (None, ticket) else None))
    return out
