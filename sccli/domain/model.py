"""The contract's vocabulary as values: priorities, channels, statuses, sources, clients.

Everything here is pure and immutable; ticket state is never stored, it is folded from
events (``events.py`` holds the typed log, ``history.py`` the one fold).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from ..errors import UsageError


class DomainError(UsageError):
    """A user-facing rule violation (bad value, illegal transition): exit 2."""


def _norm(text: str) -> str:
    return " ".join(text.strip().lower().replace("ё", "е").replace("_", "-").split())


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 is the most urgent."""
        return _PRIORITY_ORDER.index(self)

    @property
    def russian(self) -> str:
        return _PRIORITY_RU[self]

    @classmethod
    def parse(cls, text: str) -> Priority:
        """Accept English or Russian names (the contract's Критичный/Высокий/…)."""
        key = _norm(text)
        found = _PRIORITY_ALIASES.get(key)
        if found is None:
            raise DomainError(
                f"unknown priority {text!r} (expected one of: critical, high, medium, low"
                " or Критичный, Высокий, Средний, Низкий)"
            )
        return found


_PRIORITY_ORDER = [Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW]
_PRIORITY_RU = {
    Priority.CRITICAL: "Критичный",
    Priority.HIGH: "Высокий",
    Priority.MEDIUM: "Средний",
    Priority.LOW: "Низкий",
}
_PRIORITY_ALIASES: dict[str, Priority] = {}
for _p in Priority:
    _PRIORITY_ALIASES[_p.value] = _p
    _PRIORITY_ALIASES[_norm(_PRIORITY_RU[_p])] = _p
_PRIORITY_ALIASES.update(
    {
        "критический": Priority.CRITICAL,
        "критичная": Priority.CRITICAL,
        "критично": Priority.CRITICAL,
        "высокая": Priority.HIGH,
        "средняя": Priority.MEDIUM,
        "низкая": Priority.LOW,
        "normal": Priority.MEDIUM,
        "urgent": Priority.CRITICAL,
    }
)


class Channel(StrEnum):
    """How a request reached the executor. Phone and messengers are paid extras."""

    EMAIL = "email"
    PORTAL = "portal"
    PHONE = "phone"
    MESSENGER = "messenger"

    @property
    def billable(self) -> bool:
        return self in (Channel.PHONE, Channel.MESSENGER)

    @classmethod
    def parse(cls, text: str) -> Channel:
        try:
            return cls(_norm(text))
        except ValueError:
            raise DomainError(
                f"unknown channel {text!r} (expected one of: {', '.join(c.value for c in cls)})"
            ) from None


class Status(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in-progress"
    AWAITING_CLIENT = "awaiting-client"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    REJECTED = "rejected"

    @property
    def is_open(self) -> bool:
        """Open = the executor still owes work (resolved waits on the client's acceptance)."""
        return self not in (Status.CLOSED, Status.REJECTED)

    @property
    def is_final(self) -> bool:
        return self in (Status.CLOSED, Status.REJECTED)

    @classmethod
    def parse(cls, text: str) -> Status:
        key = _norm(text).replace(" ", "-")
        try:
            return cls(key)
        except ValueError:
            raise DomainError(
                f"unknown status {text!r} (expected one of: {', '.join(s.value for s in cls)})"
            ) from None


class Source(StrEnum):
    """Where the problem lies: the contract's "Boundaries" section, one value per case."""

    EXECUTOR_PROJECT_IN_DESIGN = "executor-project-in-design"
    EXECUTOR_PROJECT_OUT_OF_DESIGN = "executor-project-out-of-design"
    EXECUTOR_PRODUCT = "executor-product"
    VENDOR_PRODUCT = "vendor-product"
    BPMSOFT_CLOUD = "bpmsoft-cloud"
    PARTNER_PRODUCT = "partner-product"
    PARTNER_PROJECT = "partner-project"
    CLIENT_TEAM = "client-team"
    CLIENT_INFRASTRUCTURE = "client-infrastructure"
    THIRD_PARTY_PROVIDER = "third-party-provider"
    ADJACENT_SOFTWARE = "adjacent-software"

    @classmethod
    def parse(cls, text: str) -> Source:
        try:
            return cls(_norm(text).replace(" ", "-"))
        except ValueError:
            raise DomainError(
                f"unknown problem source {text!r} (expected one of: "
                f"{', '.join(s.value for s in cls)})"
            ) from None


class RejectReason(StrEnum):
    """The contract's three grounds for refusing the service."""

    UNAUTHORIZED = "unauthorized"
    UNREASONABLE = "unreasonable"
    NO_ACCESS = "no-access"

    @classmethod
    def parse(cls, text: str) -> RejectReason:
        try:
            return cls(_norm(text))
        except ValueError:
            raise DomainError(
                f"unknown rejection reason {text!r} (expected one of: "
                f"{', '.join(r.value for r in cls)})"
            ) from None


class Hosting(StrEnum):
    ON_PREMISE = "on-premise"
    BPMSOFT_CLOUD = "bpmsoft-cloud"


class EventKind(StrEnum):
    REGISTERED = "registered"
    RESPONDED = "responded"
    ASKED = "asked"
    ANSWERED = "answered"
    PRIORITY_CHANGED = "priority-changed"
    SOURCE_SET = "source-set"
    ESTIMATE_SET = "estimate-set"
    RESOLVED = "resolved"
    ACCEPTED = "accepted"
    AUTO_ACCEPTED = "auto-accepted"
    REOPENED = "reopened"
    REJECTED = "rejected"
    REORDERED = "reordered"
    NOTE = "note"
    CONFIRMED = "confirmed"
    VOIDED = "voided"
    EDITED = "edited"
    ALERTED = "alerted"  # a time-driven fact recorded by `sccli tick` (changes no status)


@dataclass(frozen=True)
class Client:
    key: str
    name: str
    system_url: str | None = None
    hosting: Hosting = Hosting.ON_PREMISE
    package: str | None = None  # its service package in sla.yaml; None: the default one


# "From the beginning": the effective instant of a contact nobody was appointed before (the
# one named when the client is added). The earliest aware instant, so it sorts first in
# the store (its UTC text "0001-01-01T00:00:00+00:00") and in the domain; shown as "from
# the beginning", never converted to another zone.
BEGINNING = datetime(1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Contact:
    """One appointment of a client's authorized person, effective from ``effective``
    (``BEGINNING``: from the beginning, nobody was appointed before)."""

    client: str
    email: str
    name: str | None
    effective: datetime
    notice: str | None = None

    @property
    def from_beginning(self) -> bool:
        return self.effective <= BEGINNING


def client_of(ticket_id: str) -> str:
    """Ticket ids are CLIENT-N (the store numbers each client's tickets)."""
    return ticket_id.rsplit("-", 1)[0]


@dataclass(frozen=True)
class Ticket:
    """The registration facts of a ticket; its state comes from its events."""

    id: str
    client: str
    reporter: str
    title: str
    body: str
    channel: Channel
    on_behalf: bool
    registered_at: datetime


# The one place that says which statuses are open (the executor or the client still owes
# something; "resolved" waits on the client's acceptance) and which are final.
OPEN_STATUSES: tuple[Status, ...] = tuple(s for s in Status if s.is_open)
FINAL_STATUSES: tuple[Status, ...] = tuple(s for s in Status if s.is_final)
