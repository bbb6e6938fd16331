"""The one codec between typed events and the stored JSON, and the one timestamp codec.

The stored key names are the ones every earlier release wrote, so existing SQLite and
PostgreSQL stores load unchanged, with no data migration. Decoding is strict: an unknown
key or a value of the wrong kind names the ticket and event instead of silently
disabling a rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, assert_never

from ..domain.events import (
    PAYLOAD_CLASSES,
    Accepted,
    Alerted,
    Answered,
    Asked,
    AutoAccepted,
    Confirmed,
    Edited,
    EstimateSet,
    Event,
    Note,
    Payload,
    PriorityChanged,
    Registered,
    Rejected,
    Reopened,
    Reordered,
    Resolved,
    Responded,
    SourceSet,
    Voided,
)
from ..domain.model import Channel, DomainError, EventKind, Priority, RejectReason, Source
from ..errors import SccliError

__all__ = [
    "CorruptEvent", "decode", "encode", "event_from_data", "from_db", "payload_data",
    "stored_data", "to_db",
]


class CorruptEvent(SccliError):
    """A stored event this sccli cannot read (damaged, or written by a newer release)."""

    exit_code = 2


# ------------------------------------------------------------------------ timestamps
def to_db(value: datetime) -> str:
    """UTC ISO-8601 text (both backends sort it the same way); naive datetimes refused."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} reached the store")
    return value.astimezone(UTC).isoformat(
        timespec="seconds" if not value.microsecond else "microseconds")


def from_db(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"naive timestamp {text!r} in the store")
    return value


# ------------------------------------------------------------------------ encode
def payload_data(payload: Payload) -> dict[str, Any]:
    """The stored JSON object of a payload, with today's key names."""
    match payload:
        case Registered():
            return {"priority": _value(payload.priority), "channel": payload.channel.value,
                    "on_behalf": payload.on_behalf, "reporter": payload.reporter,
                    "secrets": payload.secrets}
        case Rejected():
            return {"reason": payload.reason.value, "message": payload.message,
                    **_secrets(payload.secrets)}
        case Asked():
            return {"message": payload.message,
                    **({"missing": list(payload.missing)} if payload.missing else {}),
                    **_secrets(payload.secrets)}
        case Note():
            data: dict[str, Any] = {"message": payload.message, "public": payload.public}
            for key in ("origin", "author", "remote"):
                if getattr(payload, key) is not None:
                    data[key] = getattr(payload, key)
            if payload.verify:
                data["verify"] = True
            return {**data, **_secrets(payload.secrets)}
        case Responded() | Answered() | Resolved() | Accepted() | AutoAccepted() | Reopened():
            return {"message": payload.message, **_secrets(payload.secrets)}
        case PriorityChanged():
            return {"priority": payload.priority.value, "previous": _value(payload.previous),
                    **({"rule": payload.rule} if payload.rule else {}),
                    **({"agreed_by": payload.agreed_by} if payload.agreed_by else {})}
        case SourceSet():
            return {"source": payload.source.value, "party": payload.party,
                    **({"fixed_by": payload.fixed_by} if payload.fixed_by else {})}
        case EstimateSet():
            return {"estimate": payload.estimate.isoformat(),
                    **({"reason": payload.reason} if payload.reason else {})}
        case Reordered():
            where = {"before": payload.before} if payload.before else {"position": "first"}
            return {**where, "agreed_by": payload.agreed_by,
                    **({"order": payload.order} if payload.order else {})}
        case Confirmed():
            return {"by": payload.by, "message": payload.message, **_secrets(payload.secrets)}
        case Alerted():
            return {"fact": payload.fact, "key": payload.key,
                    **({"due": payload.due.isoformat()} if payload.due else {}),
                    **({"detail": payload.detail} if payload.detail else {})}
        case Voided():
            return {"target": payload.target, "reason": payload.reason}
        case Edited():
            data = {k: getattr(payload, k) for k in ("title", "body", "reporter", "client")
                    if getattr(payload, k) is not None}
            return {**data, "reason": payload.reason, **_secrets(payload.secrets)}
        case _:
            assert_never(payload)


def encode(payload: Payload) -> str:
    return json.dumps(payload_data(payload), ensure_ascii=False, sort_keys=True)


def _value(enum: Priority | None) -> str | None:
    return enum.value if enum is not None else None


def _secrets(count: int) -> dict[str, int]:
    return {"secrets": count} if count else {}


# ------------------------------------------------------------------------ decode
def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError(f"expected text, got {v!r}")
    return v


def _opt_str(v: Any) -> str | None:
    return None if v is None else _str(v)


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"expected true/false, got {v!r}")
    return v


def _int(v: Any) -> int:
    if v is None:
        return 0
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"expected a number, got {v!r}")
    return v


_PRIORITIES = {p.value: p for p in Priority}


def _priority(v: Any) -> Priority:
    return _PRIORITIES.get(v) or Priority.parse(_str(v))


def _opt_priority(v: Any) -> Priority | None:
    return (_PRIORITIES.get(v) or Priority.parse(_str(v))) if v else None


def _instant(v: Any) -> datetime:
    value = datetime.fromisoformat(_str(v))
    if value.tzinfo is None:
        raise TypeError(f"naive timestamp {v!r}")
    return value


def _strings(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list):
        raise TypeError(f"expected a list, got {v!r}")
    return tuple(_str(x) for x in v)


_SAID = {"message": ("message", _str), "secrets": ("secrets", _int)}
# stored key → (payload field, converter), per kind
_FIELDS: dict[EventKind, Mapping[str, tuple[str, Callable[[Any], Any]]]] = {
    EventKind.REGISTERED: {
        "priority": ("priority", _opt_priority), "channel": ("channel", lambda v: Channel(v)),
        "on_behalf": ("on_behalf", _bool), "reporter": ("reporter", _str),
        "secrets": ("secrets", _int),
    },
    EventKind.RESPONDED: _SAID,
    EventKind.ASKED: {**_SAID, "missing": ("missing", _strings)},
    EventKind.ANSWERED: _SAID,
    EventKind.RESOLVED: _SAID,
    EventKind.ACCEPTED: _SAID,
    EventKind.AUTO_ACCEPTED: _SAID,
    EventKind.REOPENED: _SAID,
    EventKind.REJECTED: {**_SAID, "reason": ("reason", lambda v: RejectReason(v))},
    EventKind.PRIORITY_CHANGED: {
        "priority": ("priority", _priority), "previous": ("previous", _opt_priority),
        "rule": ("rule", _opt_str), "agreed_by": ("agreed_by", _opt_str),
    },
    EventKind.SOURCE_SET: {"source": ("source", lambda v: Source(v)),
                           "party": ("party", _opt_str), "fixed_by": ("fixed_by", _opt_str)},
    EventKind.ESTIMATE_SET: {"estimate": ("estimate", _instant), "reason": ("reason", _opt_str)},
    EventKind.REORDERED: {"before": ("before", _opt_str), "agreed_by": ("agreed_by", _str),
                          "position": ("", lambda v: v), "order": ("order", _int)},
    EventKind.NOTE: {
        **_SAID, "public": ("public", _bool), "origin": ("origin", _opt_str),
        "author": ("author", _opt_str), "remote": ("remote", _opt_str),
        "verify": ("verify", _bool),
    },
    EventKind.CONFIRMED: {**_SAID, "by": ("by", _str)},
    EventKind.VOIDED: {"target": ("target", _int), "reason": ("reason", _str)},
    EventKind.ALERTED: {"fact": ("fact", _str), "key": ("key", _str),
                        "due": ("due", _instant), "detail": ("detail", _str)},
    EventKind.EDITED: {
        "title": ("title", _opt_str), "body": ("body", _opt_str),
        "reporter": ("reporter", _opt_str), "client": ("client", _opt_str),
        "reason": ("reason", _str), "secrets": ("secrets", _int),
    },
}
assert set(_FIELDS) == set(EventKind)


_CHANNELS = {c.value: c for c in Channel}
_REGISTERED_KEYS = frozenset(_FIELDS[EventKind.REGISTERED])


def from_data(kind: EventKind, data: Mapping[str, Any]) -> Payload:
    """The payload of ``kind`` from its stored JSON object (TypeError/ValueError if bad)."""
    if kind is EventKind.REGISTERED and data.keys() <= _REGISTERED_KEYS:
        # every ticket's first event, read by every view: the same checks, spelt out
        on_behalf, reporter = data.get("on_behalf", False), data.get("reporter", "")
        secrets = data.get("secrets") or 0
        if (isinstance(on_behalf, bool) and isinstance(reporter, str)
                and type(secrets) is int):
            channel = data.get("channel", "portal")
            return Registered(priority=_opt_priority(data.get("priority")),
                              channel=_CHANNELS.get(channel) or Channel(channel),
                              on_behalf=on_behalf, reporter=reporter, secrets=secrets)
    fields = _FIELDS[kind]
    values: dict[str, Any] = {}
    for key, raw in data.items():
        spec = fields.get(key)
        if spec is None:
            raise ValueError(f"unknown field {key!r}")
        name, convert = spec
        if name:
            values[name] = convert(raw)
    return PAYLOAD_CLASSES[kind](**values)


# scan_once is set by JSONDecoder.__init__; typeshed does not declare it.
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def decode(event: Event) -> Payload:
    """The payload of one stored event (the store's lazy decoder)."""
    kind, text = event.kind, event.raw or ""
    try:
        try:  # the C scanner straight away: sccli wrote this text with json.dumps
            data = _SCAN(text, 0)[0]
        except (StopIteration, ValueError):
            data = json.loads(text)
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        return from_data(kind, data)
    except (TypeError, ValueError, KeyError, DomainError) as exc:
        raise CorruptEvent(
            f"{event.ticket_id} event #{event.seq} ({kind.value}) cannot be read ({exc}):"
            " is the store damaged, or written by a newer sccli?"
        ) from None


def event_from_data(
    ticket_id: str, seq: int, kind: EventKind, at: datetime, actor: str,
    data: Mapping[str, Any], recorded_at: datetime | None = None,
) -> Event:
    """An event from a stored-shape JSON object (imports, fixtures and tests)."""
    try:
        payload = from_data(kind, data)
    except (TypeError, ValueError, KeyError, DomainError) as exc:
        raise CorruptEvent(f"{ticket_id} event #{seq} ({kind.value}) cannot be read: {exc}"
                           ) from None
    return Event(ticket_id, seq, at, actor, payload, recorded_at)


def stored_data(event: Event) -> dict[str, Any]:
    """The event's JSON object as stored (as written, for an event read from a store)."""
    if event.raw is not None:
        data = json.loads(event.raw)
        if isinstance(data, dict):
            return data
    return payload_data(event.payload)
