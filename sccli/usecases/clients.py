"""Use cases of clients and their one authorized contact."""

from __future__ import annotations

import re
from datetime import datetime

from ..domain.contacts import authorized_at, normalize_email
from ..domain.model import Client, Contact, Hosting
from ..errors import NotFoundError, UsageError
from .context import Workspace

_CLIENT_KEY = re.compile(r"[^\W\d_][\w]{0,19}")


def parse_client_key(text: str) -> str:
    key = text.strip().upper()
    if not _CLIENT_KEY.fullmatch(key):
        raise UsageError(
            f"invalid client key {text!r} (expected a short code of letters and digits"
            " starting with a letter, e.g. ACME; it prefixes ticket ids)"
        )
    return key


def require_client(ws: Workspace, key: str) -> Client:
    client = ws.store.get_client(key.strip().upper())
    if client is None:
        known = ", ".join(c.key for c in ws.store.clients()) or "none yet"
        raise NotFoundError(
            f"unknown client {key!r} (known: {known}; add one with `sccli client add`)"
        )
    return client


def add_client(
    ws: Workspace,
    key: str,
    name: str,
    system_url: str | None,
    hosting: str,
    contact: str | None,
) -> Client:
    name = name.strip()
    if not name or len(name) > 200:
        raise UsageError("the client name must be 1 to 200 characters")
    client = Client(
        key=parse_client_key(key),
        name=name,
        system_url=system_url.strip() if system_url else None,
        hosting=Hosting(hosting),
    )
    if client.system_url and not re.match(r"https?://\S+$", client.system_url):
        raise UsageError(f"invalid --system-url {system_url!r} (expected http(s)://host/…)")
    email = normalize_email(contact) if contact else None
    with ws.store.transaction() as store:
        store.add_client(client, ws.clock)
        if email:
            store.add_contact(Contact(client.key, email, None, ws.at, "initial contact"), ws.clock)
    return client


def set_contact(
    ws: Workspace,
    client_key: str,
    email: str,
    name: str | None,
    effective: datetime | None,
    notice: str | None,
) -> Contact:
    """Appoint the client's authorized person from ``effective`` on (contract: "The client
    may appoint a new authorized person by sending a notice")."""
    client = require_client(ws, client_key)
    contact = Contact(
        client=client.key,
        email=normalize_email(email),
        name=name.strip() if name else None,
        effective=effective or ws.at,
        notice=notice,
    )
    with ws.store.transaction() as store:
        store.add_contact(contact, ws.clock)
    return contact


def clients_with_contacts(ws: Workspace) -> list[tuple[Client, Contact | None]]:
    """Every client with its authorized contact at the instant asked about."""
    return [(c, authorized_at(ws.store.contacts(c.key), ws.at)) for c in ws.store.clients()]


def contacts_of(ws: Workspace, client_key: str) -> tuple[Client, list[Contact], Contact | None]:
    """A client's appointments known at the instant asked about, and the one in force."""
    client = require_client(ws, client_key)
    contacts = ws.store.contacts(client.key)
    return client, contacts, authorized_at(contacts, ws.at)
