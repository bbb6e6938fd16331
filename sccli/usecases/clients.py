"""Use cases of clients and their one authorized contact.

Client texts go through the same redaction as tickets' (``credentials.move_secrets``): the
client's name, its system URL and each appointment's person name and notice. Their values
go to the vault under client-scoped references ``[secret:client-ACME/N]``; the store keeps
the reference in place of the value, and ``sccli client secret ACME`` shows the values. In
a system URL, ``https://user:password@host`` keeps the login and loses the password:
``https://admin:[secret:client-ACME/1]@crm.acme.ru``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..domain.contacts import (
    Request,
    VerdictChange,
    authorized_at,
    in_effect_order,
    normalize_email,
    verdict_changes,
)
from ..domain.model import BEGINNING, Client, Contact, Hosting
from ..errors import NotFoundError, SccliError, UsageError
from .context import Workspace
from .packages import check_package

if TYPE_CHECKING:
    from ..secrets import SecretError

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


def secret_owner(client_key: str) -> str:
    """The owner in a client's references: ``[secret:client-ACME/1]``."""
    return f"client-{client_key}"


# ``scheme://user:password@host…`` when the password holds a "/" (not a valid URL, but
# pasted all the same): the host is taken after the last "@" that a host name follows.
_LOOSE_USERINFO = re.compile(
    r"(?i)^[a-z][a-z0-9+.\-]*://(?P<user>[^/:@\s]+):(?P<pw>\S+)@[\w.\-]+(?::\d+)?(?:[/?#]\S*)?$"
)


def _url_password(url: str) -> tuple[str, str] | None:
    """``(before, password)`` when ``url``'s authority holds ``user:password@``; None
    otherwise. The password may hold "@" (the host follows the last one) or "/"."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        netloc = ""
    userinfo, at, _host = netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not (at and colon and password):
        user = password = ""
    m = _LOOSE_USERINFO.match(url)
    if m and len(m.group("pw")) > len(password) and not m.group("pw").split("/")[0].isdigit():
        # a "/" in the password ends the RFC authority early: take the longer reading (a
        # host:port/path@… is not a password), since over-redacting is the safe mistake
        user, password = m.group("user"), m.group("pw")
    if not password:
        return None
    start = url.index("//") + 2 + len(user) + 1
    return url[:start], password


def _shown_url(url: str) -> str:
    """The URL for an error message: never its password."""
    parts = _url_password(url)
    if parts is None:
        return url
    before, password = parts
    return before + "***" + url[len(before) + len(password):]


def _client_texts(ws: Workspace, key: str) -> list[str]:
    """Every text of a client stored so far (its references are numbered over them)."""
    client = ws.store.get_client(key)
    texts = [client.name, client.system_url or ""] if client else []
    for c in ws.store.contacts(key):
        texts += [c.name or "", c.notice or ""]
    return texts


def _move_client_secrets(ws: Workspace, key: str, texts: list[str | None],
                         url: str | None = None) -> tuple[list[str | None], str | None]:
    """``texts`` and the system ``url`` with their credentials replaced by client-scoped
    references, the values in the vault (call outside any transaction).

    A URL's ``user:password@`` password is one secret whatever the detectors would make of
    it (it may hold ``@`` or ``/``): it is taken out as a whole, the login stays.
    """
    from .credentials import Moved, move_secrets

    owner = secret_owner(key)
    moved = Moved(owner)
    parts = _url_password(url) if url else None
    if url and parts:
        before, password = parts
        url = before + moved.take(password) + url[len(before) + len(password):]
    given = [t for t in texts if t] + ([url] if url else [])
    clean = iter(move_secrets(ws, owner, given, lambda: _client_texts(ws, key), moved)[0])
    out = [next(clean) if t else t for t in texts]
    return out, (next(clean) if url else url)


def add_client(
    ws: Workspace,
    key: str,
    name: str,
    system_url: str | None,
    hosting: str,
    contact: str | None,
    package: str | None = None,
    effective: datetime | None = None,
) -> Client:
    """Add a client; ``package`` names its service package in sla.yaml (None: default); its
    ``contact`` is in force from ``effective``, or from the beginning (nobody was appointed
    before: requests imported with earlier dates are authorized)."""
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
        raise UsageError(f"invalid --system-url {_shown_url(client.system_url)!r}"
                         " (expected http(s)://host/…)")
    email = normalize_email(contact) if contact else None
    package_name = check_package(ws, package) if package else None
    if effective is not None and email is None:
        raise UsageError("--effective dates the authorized contact: give --contact EMAIL too")
    if ws.store.get_client(client.key):  # before any vault write under its references
        raise UsageError(f"client {client.key} already exists (see `sccli client list`)")
    (new_name,), url = _move_client_secrets(ws, client.key, [client.name], client.system_url)
    client = Client(client.key, new_name or client.name, url, client.hosting, package_name)
    with ws.store.transaction() as store:
        store.add_client(client, ws.clock)
        if email:
            store.add_contact(Contact(client.key, email, None, effective or BEGINNING,
                                      "initial contact"), ws.clock)
    return client


def set_package(ws: Workspace, client_key: str, package: str) -> Client:
    """Give the client another service package; it is in force from now on for every
    view (see ``usecases.packages``: sccli keeps the current package, not a history)."""
    client = require_client(ws, client_key)
    stored = check_package(ws, package)
    with ws.store.transaction() as store:
        store.set_client_package(client.key, stored)
    return Client(client.key, client.name, client.system_url, client.hosting, stored)


@dataclass(frozen=True)
class Appointment:
    """A recorded appointment, and what it changed for tickets already registered."""

    contact: Contact
    back_dated: bool  # a back-dated change: effective before now (the clock), and it
    # replaced an earlier appointment or changed a ticket's verdict
    changes: list[VerdictChange]


def _requests(ws: Workspace, client_key: str, since: datetime) -> list[Request]:
    """The client's tickets registered at or after ``since`` (an appointment effective then
    can change only their verdict), as the authorization verdict sees them."""
    from ..domain.history import history

    out: list[Request] = []
    tickets = [t for t in ws.store.tickets(client=client_key) if t.registered_at >= since]
    if not tickets:
        return out
    events = ws.store.events_by_ticket(None, client_key, None)
    for t in tickets:
        try:
            h = history(events.get(t.id, ()), None, t)
        except (SccliError, ValueError) as exc:  # a damaged ticket: said, and left out
            ws.warn(f"{t.id} is left out of the authorization check: {exc}")
            continue
        if h.exists and h.client == client_key and h.ticket is not None:
            out.append(Request(t.id, h.ticket.reporter, h.ticket.registered_at,
                               h.confirmed_by))
    return out


def set_contact(
    ws: Workspace,
    client_key: str,
    email: str,
    name: str | None,
    effective: datetime | None,
    notice: str | None,
) -> Appointment:
    """Appoint the client's authorized person from ``effective`` on (contract: "The client
    may appoint a new authorized person by sending a notice with the new person's contact
    details to the executor's support e-mail").

    A back-dated change (effective before now, replacing an earlier appointment or changing
    a ticket's verdict) rewrites who was authorized when past requests came in, so it needs
    that notice (``notice``, quoted from the client's letter); the result lists the tickets
    whose authorization verdict changes. A first appointment that changes no verdict is
    like ``client add --contact --effective`` and needs none.
    """
    client = require_client(ws, client_key)
    email = normalize_email(email)
    when = effective or ws.at
    before = ws.store.contacts(client.key)
    changes = verdict_changes(before, [*before, Contact(client.key, email, None, when)],
                              _requests(ws, client.key, when))
    back_dated = when < ws.clock and bool(before or changes)
    if back_dated and not (notice and notice.strip()):
        shown = ("from the beginning" if when <= BEGINNING
                 else f"from {when.astimezone(ws.tz).isoformat()}")
        raise UsageError(
            f"a back-dated change of the authorized contact ({shown}, before now) changes who"
            " was authorized for requests already received: quote the client's notice of the"
            " change with --notice TEXT (contract: the client appoints a new authorized"
            " person by sending a notice)")
    # The notice and the name are the client's texts: credentials go to the vault first.
    (name, notice), _ = _move_client_secrets(
        ws, client.key, [name.strip() if name else None, notice])
    contact = Contact(client=client.key, email=email, name=name, effective=when, notice=notice)
    with ws.store.transaction() as store:
        store.add_contact(contact, ws.clock)
    return Appointment(contact, back_dated, changes)


def clients_with_contacts(ws: Workspace) -> list[tuple[Client, Contact | None]]:
    """Every client with its authorized contact at the instant asked about."""
    return [(c, authorized_at(ws.store.contacts(c.key), ws.at)) for c in ws.store.clients()]


def contacts_of(ws: Workspace, client_key: str) -> tuple[Client, list[Contact], Contact | None]:
    """A client's appointments known at the instant asked about, and the one in force."""
    client = require_client(ws, client_key)
    contacts = in_effect_order(ws.store.contacts(client.key))
    return client, contacts, authorized_at(contacts, ws.at)


def client_secret_refs(ws: Workspace, client_key: str) -> tuple[Client, list[str]]:
    """The ``[secret:…]`` references in a client's stored texts, in order of appearance."""
    from ..domain.redaction import REF_RE

    client = require_client(ws, client_key)
    texts = _client_texts(ws, client.key)
    return client, list(dict.fromkeys(ref for t in texts for ref in REF_RE.findall(t)))


def reveal_client_secrets(ws: Workspace, client_key: str
                          ) -> tuple[Client, list[tuple[str, str]], SecretError | None]:
    """A client's references with their values (``client secret``), and what is missing."""
    from .credentials import reveal

    client, refs = client_secret_refs(ws, client_key)
    return client, *reveal(ws, client.key, refs)
