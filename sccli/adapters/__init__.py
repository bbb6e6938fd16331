"""Tracker adapters, found through the ``sccli.adapters`` entry-point group.

Why entry points: a third party can ship an adapter as its own package; the built-ins are
registered the same way. Nothing here imports an adapter module (or ``requests``) until a
kind is asked for, so ``sccli --help`` stays fast.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from sccli.errors import ConfigurationError, one_line

if TYPE_CHECKING:  # pragma: no cover
    from sccli.adapters.base import Adapter

GROUP = "sccli.adapters"

# Always available; installed entry points add third-party kinds (or override these).
BUILTINS = {
    "bpmsoft": "sccli.adapters.bpmsoft:BpmSoftAdapter",
    "github": "sccli.adapters.github:GitHubAdapter",
    "local": "sccli.adapters.local:LocalAdapter",
    "redmine": "sccli.adapters.redmine:RedmineAdapter",
}

__all__ = ["GROUP", "AdapterLoadError", "UnknownAdapter", "available_kinds", "load_adapter_class"]


class AdapterLoadError(ConfigurationError, LookupError):
    """An unknown or broken adapter kind, phrased for the user (a configuration error, exit 2)."""


class UnknownAdapter(AdapterLoadError):
    """No adapter is registered under that kind (a typo in ``adapter:``)."""


def _registered() -> dict[str, str]:
    found = {ep.name: ep.value for ep in entry_points(group=GROUP)}
    # The built-ins always: an installed copy older than this source may not list them all.
    return {**BUILTINS, **found}


def available_kinds() -> list[str]:
    """Adapter kinds that can be named in ``sccli.yaml`` (``adapter: <kind>``)."""
    return sorted(_registered())


def load_adapter_class(kind: str) -> type[Adapter]:
    """The adapter class registered for ``kind``.

    UnknownAdapter (listing the known kinds) when nothing is registered under ``kind``;
    AdapterLoadError with the real cause when the adapter's module fails to import or raises
    anything while importing (a third-party package's missing dependency, a bug in it).
    """
    registered = _registered()
    target = registered.get(kind)
    if target is None:
        known = ", ".join(sorted(registered)) or "(none)"
        raise UnknownAdapter(f"unknown tracker adapter {kind!r} (known: {known})")
    try:
        cls = EntryPoint(name=kind, value=target, group=GROUP).load()
    except Exception as exc:  # whatever a third-party module raises is its load error
        cause = f"{type(exc).__name__}: {one_line(exc, 300)}" if str(exc) else type(exc).__name__
        raise AdapterLoadError(
            f"tracker adapter {kind!r} ({target}) cannot be loaded: {cause}"
        ) from exc
    if not isinstance(cls, type) or getattr(cls, "kind", None) is None:
        raise AdapterLoadError(f"tracker adapter {kind!r} ({target}) is not an adapter class")
    return cls
