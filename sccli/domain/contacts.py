"""Authorized contacts: exactly one per client at any instant, decided by effective time.

Contract: a request "must come from the client's authorized person", and "the client may
appoint a new authorized person by sending a notice with the new person's contact details
to the executor's support e-mail" (Russian original: «Заявка должна быть оформлена от
имени авторизированного со стороны клиента лица»; «Клиент имеет право назначить новое
авторизированное лицо путем направления уведомления, в котором содержатся контактные
данные нового авторизированного лица»). The contact named when a client is added is in
force from the beginning (``BEGINNING``): nobody was appointed before, so a back-dated
import is not unauthorized.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .model import BEGINNING, Contact, DomainError

__all__ = [
    "BEGINNING",
    "Request",
    "VerdictChange",
    "authorized_at",
    "in_effect_order",
    "is_authorized",
    "normalize_email",
    "request_authorized",
    "verdict_changes",
]

_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


def normalize_email(text: str) -> str:
    """Lower-case an address, accepting 'Name <addr>' as mail clients write it."""
    raw = text.strip()
    match = re.search(r"<([^<>]+)>\s*$", raw)
    if match:
        raw = match.group(1).strip()
    if not _EMAIL.fullmatch(raw):
        raise DomainError(f"{text!r} is not an e-mail address (expected name@example.com)")
    return raw.lower()


def in_effect_order(history: Iterable[Contact]) -> list[Contact]:
    """The appointments ordered by effective time; ``history`` is in recording order, so
    of two appointments effective at the same instant the later recorded one comes last
    (and wins). Recording order never outranks effective time: an appointment recorded
    first but effective later takes over only from its effective time."""
    return sorted(history, key=lambda c: c.effective)  # stable


def authorized_at(history: Sequence[Contact], when: datetime) -> Contact | None:
    """The contact in force at ``when``: the latest appointment effective at or before it."""
    current = None
    for contact in in_effect_order(history):
        if contact.effective <= when:
            current = contact
        else:
            break
    return current


def is_authorized(history: Sequence[Contact], sender: str, when: datetime) -> bool:
    contact = authorized_at(history, when)
    return contact is not None and contact.email == sender.lower()


def request_authorized(history: Sequence[Contact], reporter: str, registered_at: datetime,
                       confirmed_by: str | None) -> bool:
    """The authorization verdict of a request: it came from the authorized person in force
    when it was registered, or that person confirmed it (``ticket confirm``)."""
    return is_authorized(history, reporter, registered_at) or bool(confirmed_by)


@dataclass(frozen=True)
class Request:
    """What the verdict of one ticket depends on."""

    ticket_id: str
    reporter: str
    registered_at: datetime
    confirmed_by: str | None = None


@dataclass(frozen=True)
class VerdictChange:
    request: Request
    before: bool  # authorized under the old history
    after: bool  # authorized under the new one


def verdict_changes(before: Sequence[Contact], after: Sequence[Contact],
                    requests: Iterable[Request]) -> list[VerdictChange]:
    """The requests whose verdict differs between two contact histories (a back-dated
    appointment changes who was in force when past requests were registered)."""
    out = []
    for r in requests:
        was = request_authorized(before, r.reporter, r.registered_at, r.confirmed_by)
        now = request_authorized(after, r.reporter, r.registered_at, r.confirmed_by)
        if was != now:
            out.append(VerdictChange(r, was, now))
    return out
