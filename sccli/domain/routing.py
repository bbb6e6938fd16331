"""The contract's "Boundaries" section: problem source → owner, action, billing class.

The table itself lives in sla.yaml (``routing:``); this module applies it, adds the
billable extras that do not depend on the source (phone or messenger channels, requests
registered on the client's behalf) and the BPMSoft-cloud rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .model import Channel, Hosting, Source


@dataclass(frozen=True)
class RouteRule:
    owner: str  # executor | vendor | partner | client | responsible-party
    action: str  # fix | change | escalate | consult-or-fix | consult
    billing: str  # included | billable | billable-if-fixed
    explain: str


@dataclass(frozen=True)
class Routing:
    source: Source | None
    owner: str
    party: str | None
    action: str
    billing: str
    extras: tuple[str, ...]  # billable extras: "phone channel", "on-behalf registration", …
    explain: str

    @property
    def billable(self) -> bool:
        return self.billing != "included" or bool(self.extras)


UNKNOWN = RouteRule(
    owner="executor",
    action="investigate",
    billing="included",
    explain="source not found yet: finding the source of any problem is included",
)


def billable_extras(channel: Channel, on_behalf: bool) -> tuple[str, ...]:
    extras = []
    if channel.billable:
        extras.append(f"{channel.value} channel")
    if on_behalf:
        extras.append("on-behalf registration")
    return tuple(extras)


def route(
    table: Mapping[str, RouteRule],
    source: Source | None,
    party: str | None,
    hosting: Hosting,
    channel: Channel,
    on_behalf: bool,
    vendor_party: str | None = "vendor",
) -> Routing:
    """Decide owner, action and billing for a ticket from its recorded source.

    Nothing is escalated before the source is found (finding it is the service itself).
    For a system in the BPMSoft cloud the explanation points at the contract's rule, so
    the engineer records ``--source bpmsoft-cloud`` when the cloud is the cause.
    """
    effective = source
    rule = table.get(effective.value) if effective else None
    if rule is None:
        rule = UNKNOWN
        if effective is None and hosting is Hosting.BPMSOFT_CLOUD:
            rule = RouteRule(
                UNKNOWN.owner, UNKNOWN.action, UNKNOWN.billing,
                UNKNOWN.explain + "; the system is in the BPMSoft cloud: problems of the"
                " platform or hosting go to the vendor (--source bpmsoft-cloud)",
            )  # fmt: skip
    owner_party = party
    if owner_party is None and rule.owner == "vendor":
        owner_party = vendor_party
    if owner_party is None and rule.owner == "executor":
        owner_party = "executor"
    return Routing(
        source=effective,
        owner=rule.owner,
        party=owner_party,
        action=rule.action,
        billing=rule.billing,
        extras=billable_extras(channel, on_behalf),
        explain=rule.explain,
    )
