"""Channels from configuration (``notify:`` in sccli.yaml).

Scaffold for issue 10's parallel work: the notify branch replaces this with the parsed
``notify:`` section (webhook and command transports). Until then no channel is configured.
"""

from __future__ import annotations

from ..config import Settings
from . import Channels


def channels_from(settings: Settings) -> Channels:
    """The channels ``settings`` configure (none yet)."""
    del settings
    return Channels()
