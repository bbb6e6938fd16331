"""Channels from configuration (``notify:`` in sccli.yaml, see ``sccli.notify.settings``).

Building the channels resolves no secret and imports no HTTP library: a webhook resolves
its URL or bot token at its first send, so ``tick`` with nothing to send stays cheap and a
missing secret fails only the notices of that channel (retried once it is fixed).
"""

from __future__ import annotations

from typing import Any

from ..config import Settings
from . import Channels, Transport
from .settings import ChannelSettings


def transport_for(settings: ChannelSettings, factory: Any = None) -> Transport:
    """The transport of one configured channel."""
    if settings.transport == "command":
        from .command import CommandTransport

        return CommandTransport(settings)
    from .webhook import WebhookTransport

    return WebhookTransport(settings, factory=factory)


def channels_from(settings: Settings, factory: Any = None) -> Channels:
    """The channels ``settings`` configure, with their routes.

    ``factory``: an ``HttpFactory`` shared by the webhooks (a run's deadline); by default
    each webhook has its own, with its channel's timeout and no retries.
    """
    notify = settings.notify
    transports = {name: transport_for(ch, factory) for name, ch in notify.channels.items()}
    return Channels(transports=transports, routes=dict(notify.routes))
