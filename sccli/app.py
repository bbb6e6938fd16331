"""The imperative shell's context: workspace, store, clock and language for one command.

Everything is loaded lazily, so a command touches only what it needs. It is what the use
cases call a ``Workspace`` (sccli.usecases.context).
"""

from __future__ import annotations

import locale
import os
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .clock import parse_instant, system_now
from .config import CONFIG_FILE, default_home, load_settings, load_sla
from .errors import UsageError
from .sla_config import SlaSettings

if TYPE_CHECKING:
    from .config import Settings
    from .secrets import TicketVault
    from .store import Store


def detect_language(explicit: str | None) -> str:
    """--lang, then SCCLI_LANG, then a Russian locale; English otherwise."""
    if explicit:
        return explicit
    env = os.environ.get("SCCLI_LANG", "").strip().lower()
    if env in ("en", "ru"):
        return env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "ru" if value.lower().startswith("ru") else "en"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:  # pragma: no cover
        loc = ""
    return "ru" if loc.lower().startswith("ru") else "en"


class App:
    """The CLI's workspace: loads configuration and store on first use (a ``Workspace``)."""

    def __init__(
        self,
        home: str | None = None,
        db: str | None = None,
        at: str | None = None,
        lang: str | None = None,
        future: bool = False,
        vault: TicketVault | None = None,
        clock: str | None = None,
    ):
        self.home = (Path(home).expanduser() if home else default_home()).absolute()
        self.db = db
        self._at = at
        self._clock_text = clock or os.environ.get("SCCLI_NOW") or None
        for text, what in ((at, "--at"), (self._clock_text, "SCCLI_NOW")):
            if text:  # a malformed instant is a mistake even for commands that never read it
                parse_instant(text, ZoneInfo("UTC"), what)
        self.lang = detect_language(lang)
        self.allow_future = future
        self._store: Store | None = None
        self._provisional_warned: set[int] = set()  # years warned about in this run
        if vault is not None:
            self.__dict__["vault"] = vault

    # -- configuration ---------------------------------------------------------------
    def require_workspace(self) -> None:
        if not (self.home / CONFIG_FILE).exists():
            raise UsageError(
                f"no sccli workspace at {self.home}; run `sccli init` first"
                " (or pass --home DIR / set SCCLI_HOME)"
            )

    @cached_property
    def settings(self) -> Settings:
        self.require_workspace()
        return load_settings(self.home)

    @cached_property
    def sla(self) -> SlaSettings:
        self.require_workspace()
        return load_sla(self.home, self._provisional_year)

    def _provisional_year(self, year: int) -> None:
        """A calendar used a year whose decree the ``holidays`` package lacks: warn once per
        run (whatever number of clocks or calendars cross it)."""
        if year in self._provisional_warned:
            return
        self._provisional_warned.add(year)
        import holidays

        version = getattr(holidays, "__version__", "?")
        if self.lang == "ru":
            self.warn(
                f"производственный календарь {year} года предварительный: постановления о"
                f" переносе выходных на {year} год нет в пакете holidays {version}; праздники,"
                " выпавшие на выходные, перенесены по ст. 112 ТК РФ (кроме 1–8 января)."
                f" Проверьте и добавьте {year} в calendar.confirmed_years в sla.yaml или"
                " обновите holidays"
            )
            return
        self.warn(
            f"the business calendar of {year} is provisional: the government's decree for"
            f" {year} is not in holidays {version}, so holidays falling on a weekend were moved"
            " by Labor Code art. 112 (not 1-8 January, whose transfers only a decree sets);"
            f" check it and list {year} in sla.yaml calendar.confirmed_years, or upgrade holidays"
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.sla.timezone)

    # -- time ------------------------------------------------------------------------
    @cached_property
    def clock(self) -> datetime:
        """"Now", fixed once per command: SCCLI_NOW (simulations, tests), else the system."""
        if self._clock_text:
            return parse_instant(self._clock_text, self.tz, "SCCLI_NOW")
        return system_now().astimezone(self.tz).replace(microsecond=0)

    @cached_property
    def at(self) -> datetime:
        """The instant asked about (reads) or the date of a write: --at, else the clock."""
        if self._at:
            return parse_instant(self._at, self.tz, "--at")
        return self.clock

    def warn(self, message: str) -> None:
        """One line on stderr: what a command left out, and why (it still succeeds)."""
        import sys

        sys.stderr.write(f"sccli: warning: {' '.join(message.split())}\n")
        sys.stderr.flush()

    def instant(self, text: str, what: str) -> datetime:
        return parse_instant(text, self.tz, what)

    @cached_property
    def vault(self) -> TicketVault:
        """Where secrets found in tickets go (OS keyring, or an encrypted workspace file)."""
        from .secrets import TicketVault

        return TicketVault(self.home, namespace=self.store.instance_id())

    # -- store -----------------------------------------------------------------------
    @property
    def store(self) -> Store:
        if self._store is None:
            self.settings  # noqa: B018 - a broken config must stop every command, not some
            self.sla  # noqa: B018
            from .store import open_store

            self._store = open_store(self.db, self.home)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
