"""What a use case needs from its surroundings, as explicit values (no service locator)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from ..config import Settings
    from ..secrets import TicketVault
    from ..sla_config import SlaSettings
    from ..store import Store


class Workspace(Protocol):
    """One workspace at one moment.

    ``clock`` is "now" (``SCCLI_NOW`` for simulations and tests, else the machine's clock);
    ``at`` is the instant a command asks about or dates a write with (``--at``, default the
    clock). A write dated after the clock needs ``allow_future`` (``--future``).
    """

    home: Path
    lang: str
    allow_future: bool

    @property
    def store(self) -> Store: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def sla(self) -> SlaSettings: ...

    @property
    def tz(self) -> ZoneInfo: ...

    @property
    def clock(self) -> datetime: ...

    @property
    def at(self) -> datetime: ...

    @property
    def vault(self) -> TicketVault: ...

    def warn(self, message: str) -> None:
        """Tell the user about something that did not stop the command (one line)."""
