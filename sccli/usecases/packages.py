"""Service packages per client: which terms a client's clocks run on.

The contract's terms are "the package of services specified in the Specification"
("Заявка на предоставление Услуг согласно с обусловленным в Спецификации пакетом Услуг"):
an integrator sells different packages to different clients. sla.yaml's ``packages:``
defines them (each overriding some of the top level's values); a client names one
(``client add/edit --package``); a client that names none has the ``default`` package, the
contract's values (sla.yaml's top level).

The package in force is the client's current one: a change applies from then on to every
view, the running clocks of the client's open tickets and the reports of past months
included (sccli keeps no history of packages). Change a package at a month's start and
print the last month's report before, if the old terms must show there.

Every clock goes through ``package_for`` / ``package_lookup`` (views, ``sla deadline
--client``, tick, automatic acceptance), so one rule decides it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..domain.model import Client
from ..errors import ConfigurationError, UsageError
from .context import Workspace

if TYPE_CHECKING:
    from ..sla_config import Package

DEFAULT = "default"


def check_package(ws: Workspace, name: str) -> str | None:
    """A package name given on the command line, as stored: None for the default one."""
    name = name.strip()
    known = ws.sla.package_names
    if name not in known:
        raise UsageError(f"unknown service package {name!r} (known: {', '.join(known)};"
                         " packages are defined under packages: in sla.yaml)")
    return None if name == DEFAULT else name


def package_name(client: Client) -> str:
    return client.package or DEFAULT


def package_of(ws: Workspace, client: Client) -> Package:
    """``client``'s package; one the sla.yaml no longer defines is a configuration error
    (exit 2) naming the client and how to fix it, whichever view meets it first."""
    try:
        return ws.sla.package(client.package)
    except ConfigurationError:
        known = ", ".join(ws.sla.package_names)
        raise ConfigurationError(
            f"client {client.key} has the service package {client.package!r}, which sla.yaml"
            f" does not define (known: {known}); define it under packages: in sla.yaml or"
            f" run `sccli client edit {client.key} --package NAME`") from None


def package_for(ws: Workspace, client: str | Client | None) -> Package:
    """The package of ``client`` (a key or a Client); None: the default package."""
    if client is None:
        return ws.sla.package(None)
    if isinstance(client, str):
        from .clients import require_client

        client = require_client(ws, client)
    return package_of(ws, client)


def package_lookup(ws: Workspace) -> Callable[[str], Package]:
    """``client key → Package`` for a view over many tickets: the clients are read once,
    each client's package looked up once (the package objects, with their calendars,
    live as long as the settings). A ticket of a client the store does not know (a
    damaged store) has the default package."""
    clients = {c.key: c for c in ws.store.clients()}
    memo: dict[str, Package] = {}

    def lookup(key: str) -> Package:
        found = memo.get(key)
        if found is None:
            client = clients.get(key)
            found = memo[key] = package_of(ws, client) if client else ws.sla.package(None)
        return found

    return lookup
