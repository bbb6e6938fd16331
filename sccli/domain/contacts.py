"""Authorized contacts: exactly one per client at any instant, decided by effective time."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from .model import Contact, DomainError

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


def authorized_at(history: Sequence[Contact], when: datetime) -> Contact | None:
    """The contact in force at ``when``: the latest appointment effective at or before it.

    ``history`` is in effect order (ties broken by recording order), as the store returns it.
    """
    current = None
    for contact in history:
        if contact.effective <= when:
            current = contact
        else:
            break
    return current


def is_authorized(history: Sequence[Contact], sender: str, when: datetime) -> bool:
    contact = authorized_at(history, when)
    return contact is not None and contact.email == sender.lower()
