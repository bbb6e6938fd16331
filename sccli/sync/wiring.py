"""The run's wiring: adapters with their secrets and persisted ETag caches, the run lock,
outcomes and exit codes, and the crash hook of the crash-safety test."""

from __future__ import annotations

import inspect
import os
import signal
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

from ..adapters.base import (
    Adapter,
    AuthError,
    BudgetExhausted,
    RateLimited,
    Unreachable,
)
from ..errors import AUTH, OK, PARTIAL, TEMPORARY, TemporaryFailure, UsageError
from .results import TrackerOutcome

# --------------------------------------------------------------------------- crash hook
_hits: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die like ``kill -9`` when SCCLI_CRASH_AT names this point (tests only)."""
    spec = os.environ.get("SCCLI_CRASH_AT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


# --------------------------------------------------------------------------- adapters
class TrackedCache(dict):
    """An ETag cache that remembers which entries this run used (only those are kept)."""

    def __init__(self, initial: MutableMapping[str, Any]):
        super().__init__(initial)
        self.used: set[str] = set()

    def get(self, key, default=None):
        if key in self:
            self.used.add(key)
        return super().get(key, default)

    def __setitem__(self, key, value) -> None:
        self.used.add(key)
        super().__setitem__(key, value)

    def kept(self) -> list[tuple[str, Any]]:
        """What the store keeps: the entries this run used, with credentials scrubbed.

        A cached body is only replayed for a 304, i.e. for content already applied (and
        redacted on its way into notes), so the stored copy needs no secret in clear.
        """
        return [(k, _scrubbed(self[k])) for k in sorted(self.used) if k in self]


def _scrubbed(entry: Any) -> Any:
    import json

    from ..domain.redaction import find_secrets

    def text(value: str) -> str:
        for found in reversed(find_secrets(value)):
            value = value[: found.start] + "[redacted]" + value[found.end :]
        return value

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return text(value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    if not isinstance(entry, dict) or not isinstance(entry.get("body"), str):
        return entry
    try:
        body = json.dumps(walk(json.loads(entry["body"])), ensure_ascii=False)
    except ValueError:
        body = text(entry["body"])
    return {**entry, "body": body}


def _secret(tracker: str) -> Callable[[str], str]:
    from ..secrets import SecretError, SecretUnavailable, resolve_ref

    def resolve(ref: str) -> str:
        try:
            return resolve_ref(ref)
        except SecretUnavailable as exc:  # a locked keyring: the next run may succeed
            raise Unreachable(str(exc), tracker) from None
        except SecretError as exc:
            raise AuthError(str(exc), tracker) from None

    return resolve


def build_adapter(app, name: str, factory, etag_cache: MutableMapping[str, Any] | None = None,
                  **extra: Any) -> Adapter:
    """The adapter for tracker ``name`` of sccli.yaml (SecretError → AuthError)."""
    from ..adapters import load_adapter_class

    settings = app.settings.trackers.get(name)
    if settings is None:
        known = ", ".join(sorted(app.settings.trackers)) or "none"
        raise UsageError(f"unknown tracker {name!r} (trackers in sccli.yaml: {known})")
    cls = load_adapter_class(settings.adapter)  # AdapterLoadError: exit 2, the real cause
    options = dict(settings.options)
    if settings.adapter == "local" and options.get("path"):
        path = Path(str(options["path"])).expanduser()
        options["path"] = str(path if path.is_absolute() else app.home / path)
    params = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in extra.items() if k in params}
    if etag_cache is not None and "etag_cache" in params:
        kwargs["etag_cache"] = etag_cache
    return cls(name, options, factory, _secret(name), **kwargs)


# --------------------------------------------------------------------------- results
def failure_kind(error: BaseException) -> str:
    """How a tracker failed, for the exit code: "quota" (a rate limit or the spent request
    budget), "temporary" (unreachable, a server error after retries, a timeout, the run's
    deadline: the error's code is 75), "credentials" (4), else "permanent"."""
    if isinstance(error, (RateLimited, BudgetExhausted)):
        return "quota"
    code = getattr(error, "exit_code", PARTIAL)
    return {TEMPORARY: "temporary", AUTH: "credentials"}.get(code, "permanent")


# Rows in order, the first that matches decides: (when, matches(kinds, every), code), where
# ``kinds`` are the failure kinds of the failed trackers and ``every`` says all trackers failed.
ExitRule = tuple[str, Callable[[frozenset[str], bool], bool], int]
EXIT_TABLE: tuple[ExitRule, ...] = (
    ("nothing failed", lambda kinds, every: not kinds, OK),
    ("a rate limit or the spent budget stopped a tracker: try later",
     lambda kinds, every: "quota" in kinds, TEMPORARY),
    ("every tracker failed, each for a temporary reason",
     lambda kinds, every: every and kinds == {"temporary"}, TEMPORARY),
    ("every tracker refused our credentials",
     lambda kinds, every: every and kinds == {"credentials"}, AUTH),
    ("some trackers failed, or all for mixed or permanent reasons",
     lambda kinds, every: True, PARTIAL),
)


def exit_code(outcomes: list[TrackerOutcome]) -> int:
    """The run's exit code from its trackers' outcomes, by ``EXIT_TABLE``: 0 all fine;
    75 a rate limit or spent budget (try later), or every tracker failed temporarily;
    4 every tracker refused our credentials; 5 otherwise (partial, mixed or permanent)."""
    failed = [o.error for o in outcomes if o.error is not None]
    kinds = frozenset(failure_kind(e) for e in failed)
    every = bool(outcomes) and len(failed) == len(outcomes)
    return next(code for _when, matches, code in EXIT_TABLE if matches(kinds, every))


# --------------------------------------------------------------------------- the lock
def lock_wait(wait: float, factory: Any) -> float:
    """``--wait`` within the run's deadline (``--timeout``): never wait for the lock past it."""
    left = None if factory is None else factory.time_left()
    return wait if left is None else max(0.0, min(wait, left))


def acquire_lock(store, wait: float, sleep: Callable[[float], None] = time.sleep) -> None:
    """Hold the store's sync lock, polling up to ``wait`` seconds; else exit 75."""
    deadline = time.monotonic() + max(0.0, wait)
    while not store.try_sync_lock():
        if time.monotonic() >= deadline:
            raise TemporaryFailure(
                f"another sync is running ({store.sync_lock_holder()}); try again later"
                + ("" if wait else " or pass --wait SECONDS")
            )
        sleep(min(0.2, max(0.01, deadline - time.monotonic())))


