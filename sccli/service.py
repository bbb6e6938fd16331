"""Use cases: read from the store, decide with the domain, write back in one transaction.

Commands call these; these never print. Every write happens inside ``store.transaction()``
so a crash or a refused rule leaves the previous consistent state.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .app import App
from .domain import lifecycle
from .domain.contacts import normalize_email
from .domain.model import (
    Channel,
    Client,
    Contact,
    DomainError,
    Event,
    EventKind,
    Hosting,
    Priority,
    Ticket,
)
from .errors import NotFoundError, UsageError

MAX_TITLE = 500
MAX_BODY_BYTES = 1024 * 1024
_CLIENT_KEY = re.compile(r"[^\W\d_][\w]{0,19}")


def actor() -> str:
    """Who is acting: SCCLI_USER, else the OS user."""
    name = os.environ.get("SCCLI_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry in some containers
        return "unknown"


def _text(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise UsageError(f"the {what} is empty; give a short description")
    if len(value) > limit:
        raise UsageError(f"the {what} is {len(value)} characters; at most {limit} are allowed")
    return value


def check_body(body: str) -> str:
    size = len(body.encode("utf-8"))
    if size > MAX_BODY_BYTES:
        raise UsageError(
            f"the body is {size / 1024 / 1024:.1f} MB; at most 1 MB is accepted"
            " (attach large logs to the portal ticket instead)"
        )
    if "\x00" in body:
        raise UsageError("the body contains NUL bytes; is it a binary file?")
    return body


# ------------------------------------------------------------------ clients, contacts


def parse_client_key(text: str) -> str:
    key = text.strip().upper()
    if not _CLIENT_KEY.fullmatch(key):
        raise UsageError(
            f"invalid client key {text!r} (expected a short code of letters and digits"
            " starting with a letter, e.g. ACME; it prefixes ticket ids)"
        )
    return key


def require_client(app: App, key: str) -> Client:
    client = app.store.get_client(key.strip().upper())
    if client is None:
        known = ", ".join(c.key for c in app.store.clients()) or "none yet"
        raise NotFoundError(
            f"unknown client {key!r} (known: {known}; add one with `sccli client add`)"
        )
    return client


def add_client(
    app: App,
    key: str,
    name: str,
    system_url: str | None,
    hosting: str,
    contact: str | None,
) -> Client:
    client = Client(
        key=parse_client_key(key),
        name=_text(name, "client name", 200),
        system_url=system_url.strip() if system_url else None,
        hosting=Hosting(hosting),
    )
    if client.system_url and not re.match(r"https?://\S+$", client.system_url):
        raise UsageError(f"invalid --system-url {system_url!r} (expected http(s)://host/…)")
    email = normalize_email(contact) if contact else None
    with app.store.transaction() as store:
        store.add_client(client, app.now)
        if email:
            store.add_contact(Contact(client.key, email, None, app.now, "initial contact"), app.now)
    return client


def set_contact(
    app: App,
    client_key: str,
    email: str,
    name: str | None,
    effective: datetime | None,
    notice: str | None,
) -> Contact:
    client = require_client(app, client_key)
    contact = Contact(
        client=client.key,
        email=normalize_email(email),
        name=name.strip() if name else None,
        effective=effective or app.now,
        notice=notice,
    )
    with app.store.transaction() as store:
        store.add_contact(contact, app.now)
    return contact


# ------------------------------------------------------------------ tickets


def require_ticket(app: App, ticket_id: str) -> Ticket:
    ticket = app.store.get_ticket(ticket_id.strip().upper())
    if ticket is None:
        raise NotFoundError(f"unknown ticket {ticket_id!r} (see `sccli ticket list`)")
    return ticket


# ------------------------------------------------------------------ secrets


def _last_secret_index(ticket_id: str, texts: list[str]) -> int:
    from .domain.redaction import REF_RE

    prefix = f"[secret:{ticket_id}/"
    found = [int(ref[len(prefix):-1]) for t in texts for ref in REF_RE.findall(t)
             if ref.startswith(prefix)]
    return max(found, default=0)


def move_secrets(app: App, ticket_id: str, texts: list[str], known: list[str]) -> tuple[list[str], int]:
    """Replace pasted credentials by ``[secret:ID/N]`` and keep their values in the vault.

    ``known`` are the ticket's texts already stored (so numbering continues). Vault writes
    happen before the caller's transaction commits: a failure stores nothing in clear.
    """
    from .domain.redaction import redact
    from .secrets import SecretError

    index = _last_secret_index(ticket_id, known + texts) + 1
    out, moved = [], 0
    for text in texts:
        clean, found = redact(text, ticket_id, index)
        for ref, value in found:
            try:
                app.vault.put(ref, value)
            except SecretError as exc:
                raise UsageError(f"cannot keep a secret from {ticket_id} safely: {exc}") from None
        index += len(found)
        moved += len(found)
        out.append(clean)
    return out, moved


def stored_texts(ticket: Ticket, events) -> list[str]:
    texts = [ticket.title, ticket.body]
    texts.extend(str(e.data.get("message", "")) for e in events)
    return texts


def add_ticket(
    app: App,
    client_key: str,
    reporter: str,
    title: str,
    body: str,
    priority: str | None,
    channel: str,
    on_behalf: bool,
    at: datetime | None = None,
) -> Ticket:
    client = require_client(app, client_key)
    when = at or app.now
    prio = Priority.parse(priority) if priority else None
    ticket = Ticket(
        id="",
        client=client.key,
        reporter=normalize_email(reporter),
        title=_text(title, "title", MAX_TITLE),
        body=check_body(body),
        channel=Channel.parse(channel),
        on_behalf=on_behalf,
        registered_at=when,
    )
    with app.store.transaction() as store:
        ticket_id = store.next_ticket_id(client.key)
        (title_clean, body_clean), secrets = move_secrets(app, ticket_id, [ticket.title, ticket.body], [])
        ticket = Ticket(**{**ticket.__dict__, "id": ticket_id, "title": title_clean, "body": body_clean})
        first = Event(
            ticket_id,
            1,
            EventKind.REGISTERED,
            when,
            actor(),
            {
                "priority": prio.value if prio else None,
                "channel": ticket.channel.value,
                "on_behalf": on_behalf,
                "reporter": ticket.reporter,
                "secrets": secrets,
            },
        )
        store.add_ticket(ticket, first, lifecycle.fold([first]).status.value)
    return ticket


def record(
    app: App,
    ticket_id: str,
    kind: EventKind,
    data: Mapping[str, Any],
    at: datetime | None = None,
    who: str | None = None,
) -> tuple[Event, lifecycle.TicketState]:
    """Append one event if the lifecycle allows it; refuse with the allowed next steps."""
    ticket = require_ticket(app, ticket_id)
    when = at or app.now
    with app.store.transaction() as store:
        store.lock_ticket(ticket.id)
        events = store.events(ticket.id)
        state = lifecycle.fold(events)
        if isinstance(data.get("message"), str) and data["message"]:
            (message,), moved = move_secrets(
                app, ticket.id, [data["message"]], stored_texts(ticket, events)
            )
            data = {**data, "message": message, **({"secrets": moved} if moved else {})}
        if events and when < events[-1].at:
            raise UsageError(
                f"{when.isoformat()} is before the ticket's last event"
                f" ({events[-1].at.astimezone(when.tzinfo).isoformat()}); events are kept in order"
            )
        event = Event(ticket.id, len(events) + 1, kind, when, who or actor(), dict(data))
        new_state = lifecycle.apply(state, event)
        store.insert_event(event, app.now)
        store.set_status(ticket.id, new_state.status.value)
    return event, new_state


def transition(app: App, ticket_id: str, kind: EventKind, message: str) -> lifecycle.TicketState:
    message = message.strip()
    if not message:
        raise UsageError("the message (-m) is empty; say what was done or asked")
    return record(app, ticket_id, kind, {"message": message})[1]


def set_estimate(app: App, ticket_id: str, estimate: datetime, reason: str | None) -> None:
    ticket = require_ticket(app, ticket_id)
    state = lifecycle.fold(app.store.events(ticket.id))
    try:
        lifecycle.check_estimate(state, reason)
    except DomainError as exc:
        raise UsageError(str(exc)) from None
    data = {"estimate": estimate.isoformat()}
    if reason:
        data["reason"] = reason.strip()
    record(app, ticket.id, EventKind.ESTIMATE_SET, data)


# ------------------------------------------------------------------ SLA readings


def open_statuses() -> list[str]:
    from .domain.model import Status

    return [s.value for s in Status if s.is_open]


def final_statuses() -> list[str]:
    from .domain.model import Status

    return [s.value for s in Status if not s.is_open]


def clocks_of_open_tickets(app: App, client: str | None = None, policy=None):
    """{ticket id: (events, running clocks)} for every open ticket, read in one query."""
    from .domain.clocks import read_clocks

    if client:
        client = require_client(app, client).key
    events = app.store.events_by_ticket(open_statuses(), client)
    calendar, now = app.sla.calendar, app.now
    policy = policy or app.sla.policy
    return {
        tid: (evs, read_clocks(evs, calendar, policy, now, running_only=True))
        for tid, evs in events.items()
    }
