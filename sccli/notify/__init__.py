"""Notices and the channels that carry them: the delivery side of the outbox.

``sccli tick`` (and later e-mail and the portal) turn time-driven facts into
:class:`Notice` values; the outbox stores each once and delivers it to every channel its
audience is routed to. A channel is one configured :class:`Transport` (a webhook, a
command); which audiences go to which channels is configuration (``notify:`` in
``sccli.yaml``), read by :func:`sccli.notify.channels.channels_from`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ..errors import TEMPORARY, USAGE, SccliError

# Who a notice is for. "party:<name>" addresses a configured party (vendor, partner,
# responsible party) by its name in sccli.yaml.
AUDIENCES = ("client", "contact", "engineers", "engineer")


@dataclass(frozen=True, kw_only=True)
class Notice:
    """One message about one fact, already redacted and in its audience's language.

    ``key`` is unique per fact and audience (e.g. ``ACME-1/auto-accepted/client``): the
    outbox stores a key once, which is what makes a second ``tick`` run a no-op.
    """

    key: str
    ticket_id: str
    kind: str
    audience: str
    lang: str
    subject: str
    text: str
    created_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The notice as JSON-safe data (what a command transport reads on stdin)."""
        return {
            "key": self.key,
            "ticket": self.ticket_id,
            "kind": self.kind,
            "audience": self.audience,
            "lang": self.lang,
            "subject": self.subject,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
            "data": dict(self.data),
        }


class DeliveryError(SccliError):
    """A channel could not deliver a notice; ``retry`` says whether trying later may help.

    The message is one line naming the channel, with every credential masked. Optional:
    ``retry_at``, the earliest instant the peer asked to be tried again (a 429's
    ``Retry-After``); ``exit_code`` for a command that reports the failure (75 when a retry
    may help, 4 for refused credentials, else 2: the channel's settings need fixing).
    """

    exit_code = TEMPORARY

    def __init__(self, message: object, retry: bool = True, *,
                 retry_at: datetime | None = None, exit_code: int | None = None):
        if exit_code is None and not retry:
            exit_code = USAGE
        super().__init__(message, exit_code)
        self.retry = retry
        self.retry_at = retry_at


class Transport(Protocol):
    """One configured channel. ``send`` returns when the peer accepted the notice."""

    name: str

    def send(self, notice: Notice) -> None: ...


@dataclass(frozen=True)
class Channels:
    """The configured channels and the audiences routed to each."""

    transports: Mapping[str, Transport] = field(default_factory=dict)
    routes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def for_audience(self, audience: str) -> tuple[str, ...]:
        """Names of the channels that receive notices for ``audience`` (may be none).

        The audience's own route wins (an empty list there means: no channel); an audience
        without one goes to the ``"*"`` route, when configured."""
        if audience in self.routes:
            return self.routes[audience]
        return self.routes.get("*", ())

    def get(self, name: str) -> Transport | None:
        return self.transports.get(name)
