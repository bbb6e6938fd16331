"""Use cases of the contract's "Boundaries" after the source is found: the notice to the
party responsible for the client's infrastructure, a third-party provider or adjacent
software ("the executor consults and helps deal with whoever is responsible").

The notice is built by a pure function (:func:`sccli.notify.responsible.responsible_party_notice`)
and handed to the outbox, which delivers it once (its key makes a repeat a no-op).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..domain.routing import route
from ..notify import Notice
from ..notify.responsible import SOURCES, responsible_party_notice
from .context import Workspace
from .tickets import load

if TYPE_CHECKING:
    from ..config import Party


@dataclass(frozen=True)
class PartyNotice:
    """The notice for a responsible party, and whether the outbox took it."""

    notice: Notice
    party: str
    email: str
    queued: bool


def party_notice(ws: Workspace, ticket_id: str) -> Notice | None:
    """The notice the ticket's responsible party gets, or None when there is nobody to tell.

    There is somebody when routing says "consult" for an infrastructure, third-party
    provider or adjacent-software source, a party is recorded (``ticket set ID --source …
    --party NAME``) and that party has a contact (``parties.NAME.email``). In the BPMSoft
    cloud the client's infrastructure is the vendor's hosting: that goes to the vendor by
    escalation instead.
    """
    built = _party_notice(ws, ticket_id)
    return built[0] if built else None


def _party_notice(ws: Workspace, ticket_id: str) -> tuple[Notice, Party] | None:
    """``party_notice`` with the party it goes to."""
    h = load(ws, ticket_id)
    ticket = h.ticket
    if ticket is None or h.source is None or h.source.value not in SOURCES or not h.party:
        return None
    client = ws.store.get_client(h.client)
    if client is None:
        return None
    vendor = next((p.name for p in ws.settings.parties.values() if p.kind == "vendor"), None)
    decision = route(ws.sla.routing, h.source, h.party, client.hosting, ticket.channel,
                     ticket.on_behalf, vendor_party=vendor, fixed_by=h.fixed_by)
    party = ws.settings.parties.get(h.party)
    if decision.action != "consult" or party is None or not party.email:
        return None
    executor = ws.settings.executor
    return responsible_party_notice(
        ticket_id=ticket.id, title=ticket.title, body=ticket.body, client_key=client.key,
        client_name=client.name, system_url=client.system_url,
        priority=h.priority.value if h.priority else None, source=h.source.value,
        party=party.name, party_title=party.title, party_email=party.email,
        language=party.language, executor=executor.name, executor_email=executor.email,
        at=ws.clock,
    ), party


def notify_responsible_party(ws: Workspace, ticket_id: str) -> PartyNotice | None:
    """Hand the responsible party's notice (if any) to the outbox; None: nobody to tell.

    ``queued`` is True only when the outbox stored it (a notice already stored under the
    same key is not stored again). Nothing is delivered here: the outbox delivers.
    """
    built = _party_notice(ws, ticket_id)
    if built is None:
        return None
    notice, party = built
    from ..notify.channels import channels_from
    from .outbox import enqueue

    queued = enqueue(ws, notice, channels_from(ws.settings))  # once by key; the outbox sends
    return PartyNotice(notice, party.name, party.email or "", queued)
