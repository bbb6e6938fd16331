"""The contract's "Boundaries" section: problem source → owner, action, billing class.

The table itself lives in sla.yaml (``routing:``); this module applies it, adds the
billable extras that do not depend on the source (phone or messenger channels, requests
registered on the client's behalf), the BPMSoft-cloud rule and the "or fixes it for an
extra fee" decision for another partner's project layer and the client's internal team.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .model import Channel, DomainError, Hosting, Source

# Who fixes a problem whose source is another partner's project layer or the client's
# internal team (``ticket set ID --fixed-by …``). Contract, "Boundaries": "Source in
# another partner's project layer or in the client's internal team's layer: the executor
# identifies the source, then helps deal with that partner, or fixes it for an extra fee"
# (RU: "Исполнитель выявляет источник проблемы и далее оказывает помощь во взаимодействии
# с другим партнером-разработчиком или выполняет исправление за отдельную плату").
FIXED_BY_EXECUTOR = "executor"  # the executor fixes it: billable
FIXED_BY_OWNER = "owner"  # the partner / the client's team fixes it; the executor helps
FIXED_BY = (FIXED_BY_EXECUTOR, FIXED_BY_OWNER)
# The billing class whose rule leaves that decision open.
IF_FIXED = "billable-if-fixed"


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
    hosting: Hosting = Hosting.ON_PREMISE
    fixed_by: str | None = None  # FIXED_BY, for a billable-if-fixed source

    @property
    def billable(self) -> bool:
        """The client pays: a billable source (a billable-if-fixed one only once the
        executor fixes it, ``fixed_by == "executor"``) or a billable extra."""
        return self.billing == "billable" or bool(self.extras)

    @property
    def vendor_hosts(self) -> bool:
        """Platform and hosting problems of this client go to the vendor (BPMSoft cloud)."""
        return self.hosting is Hosting.BPMSOFT_CLOUD


UNKNOWN = RouteRule(
    owner="executor",
    action="investigate",
    billing="included",
    explain="source not found yet: finding the source of any problem is included",
)
# Contract, "Boundaries": "Client system in the BPMSoft cloud: the executor helps the client
# deal with the vendor" (RU: "В случае если Система клиента находится в облаке BPMSoft,
# Исполнитель оказывает помощь во взаимодействии с вендором").
CLOUD_NOTE = ("the system is in the BPMSoft cloud: problems of the platform or hosting go to"
              " the vendor (--source bpmsoft-cloud)")
CLOUD_INFRASTRUCTURE = RouteRule(
    owner="vendor",
    action="escalate",
    billing="included",
    explain="the system is in the BPMSoft cloud: its servers and hosting are the vendor's —"
            " the executor helps the client deal with the vendor",
)
# Actions after which the executor "helps deal with" the owner: `sccli escalate ID` may
# open an issue on the owner's tracker (sync does so on its own for "escalate" only).
HELPS_DEAL_WITH = frozenset({"escalate", "consult-or-fix", "consult"})


def billable_extras(channel: Channel, on_behalf: bool) -> tuple[str, ...]:
    extras = []
    if channel.billable:
        extras.append(f"{channel.value} channel")
    if on_behalf:
        extras.append("on-behalf registration")
    return tuple(extras)


def check_fixed_by(table: Mapping[str, RouteRule], source: Source | None, fixed_by: str) -> str:
    """``fixed_by`` checked against the rule of ``source``; only a billable-if-fixed source
    (another partner's project layer, the client's internal team) has the choice."""
    value = fixed_by.strip().lower()
    if value not in FIXED_BY:
        raise DomainError(f"unknown --fixed-by {fixed_by!r} (expected one of: {', '.join(FIXED_BY)})")
    rule = table.get(source.value) if source else None
    if rule is None or rule.billing != IF_FIXED:
        choices = ", ".join(sorted(k for k, r in table.items() if r.billing == IF_FIXED))
        what = f"the source {source.value}" if source else "a ticket without a problem source"
        raise DomainError(
            f"--fixed-by does not apply to {what}: only to sources the executor consults on"
            f" or fixes for an extra fee ({choices or 'none in sla.yaml'}); set --source too")
    return value


def route(
    table: Mapping[str, RouteRule],
    source: Source | None,
    party: str | None,
    hosting: Hosting,
    channel: Channel,
    on_behalf: bool,
    vendor_party: str | None = "vendor",
    fixed_by: str | None = None,
) -> Routing:
    """Decide owner, action and billing for a ticket from its recorded source.

    Nothing is escalated before the source is found (finding it is the service itself).
    For a system in the BPMSoft cloud the explanation points at the contract's rule, so
    the engineer records ``--source bpmsoft-cloud`` when the cloud is the cause, and the
    client's "infrastructure" is the vendor's hosting unless the engineer names another
    responsible party (``--party``). A billable-if-fixed source is billable only once
    ``fixed_by`` says the executor fixes it; when the owner fixes it, the executor helps
    deal with them (included).
    """
    effective = source
    rule = table.get(effective.value) if effective else None
    cloud = hosting is Hosting.BPMSOFT_CLOUD
    if rule is None:
        rule = UNKNOWN
        if effective is None and cloud:
            rule = RouteRule(UNKNOWN.owner, UNKNOWN.action, UNKNOWN.billing,
                             f"{UNKNOWN.explain}; {CLOUD_NOTE}")
    elif (cloud and effective is Source.CLIENT_INFRASTRUCTURE
          and (party is None or party == vendor_party)):
        rule = CLOUD_INFRASTRUCTURE
    owner, action, billing, explain = rule.owner, rule.action, rule.billing, rule.explain
    decided = fixed_by if billing == IF_FIXED and fixed_by in FIXED_BY else None
    if decided == FIXED_BY_EXECUTOR:
        action, billing = "fix", "billable"
        explain += "; the executor fixes it for an extra fee (--fixed-by executor)"
    elif decided == FIXED_BY_OWNER:
        action, billing = ("escalate" if owner == "partner" else "consult"), "included"
        explain += "; its owner fixes it, the executor helps deal with them (--fixed-by owner)"
    owner_party = party
    if owner_party is None and owner == "vendor":
        owner_party = vendor_party
    if owner_party is None and owner == "executor":
        owner_party = "executor"
    return Routing(
        source=effective,
        owner=owner,
        party=owner_party,
        action=action,
        billing=billing,
        extras=billable_extras(channel, on_behalf),
        explain=explain,
        hosting=hosting,
        fixed_by=decided,
    )
