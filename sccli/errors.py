"""The one error model: exit codes, and the errors that carry them.

Every error meant for the user derives from :class:`SccliError`: it carries its exit code
and a message of one line (whitespace and newlines are collapsed), phrased as what is wrong
and how to fix it. ``sccli.cli.main`` is the only place that turns errors into exit codes:
an ``SccliError`` becomes ``sccli: error: <message>`` and its code; anything else is a bug,
reported in one line with the file holding its traceback, exit 70.

Exit codes (README "Exit codes", ``sccli --help``); "temporary" means retrying the same
command later may succeed without changing anything:

====  ==========  ===========================================================================
code  retry?      meaning
====  ==========  ===========================================================================
0                 ok
1     permanent   an SLA breach was found (``sla check``)
2     permanent   usage or configuration error: a wrong option, a config mistake, a missing or
                  wrong vault key, an unusable keyring backend, a path that cannot be read or
                  written (permissions)
4     permanent   authentication missing or refused
5     mixed       partial success: some trackers failed, the others completed
70    permanent   internal error (a bug): the traceback is written to a file, please report it
75    temporary   the store is busy, a server is unreachable, a rate limit, a full disk, a
                  locked keyring
130               interrupted (Ctrl-C)
====  ==========  ===========================================================================

This module imports nothing from sccli, so every layer (the domain included) can use it.
"""

from __future__ import annotations

import errno as _errno

OK = 0
SLA_BREACH = 1
USAGE = 2
AUTH = 4
PARTIAL = 5
INTERNAL = 70
TEMPORARY = 75
INTERRUPTED = 130

# code → (meaning, temporary: does retrying later help?)
EXIT_CODES: dict[int, tuple[str, bool]] = {
    OK: ("ok", False),
    SLA_BREACH: ("SLA breach found (sla check)", False),
    USAGE: ("usage or configuration error", False),
    AUTH: ("authentication missing or refused", False),
    PARTIAL: ("partial success (some trackers failed)", False),
    INTERNAL: ("internal error (a bug; please report it)", False),
    TEMPORARY: ("temporary failure, try later", True),
    INTERRUPTED: ("interrupted", False),
}


def one_line(text: object, limit: int | None = None) -> str:
    """``text`` on one line: runs of whitespace (newlines included) become one space."""
    line = " ".join(str(text).split())
    if limit is not None and len(line) > limit:
        line = line[: max(limit - 1, 0)] + "…"
    return line


class SccliError(Exception):
    """An error phrased for the user: one line, what is wrong and how to fix it.

    ``exit_code`` is a class attribute (subclasses set theirs) that a single raise may
    override with ``exit_code=``.
    """

    exit_code: int = USAGE

    def __init__(self, message: object = "", exit_code: int | None = None):
        super().__init__(one_line(message))
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        text = one_line(super().__str__())
        return text or type(self).__name__


class UsageError(SccliError):
    """A mistake in how sccli was called (an option, an argument, an unknown id): exit 2."""

    exit_code = USAGE


class NotFoundError(UsageError):
    """A client, ticket or tracker that does not exist: exit 2."""


class ConfigurationError(SccliError):
    """Something to fix in the configuration or the environment: a config file, a vault
    key, a keyring backend, a path's permissions. Permanent until fixed: exit 2."""

    exit_code = USAGE


class AuthFailure(SccliError):
    """Credentials missing or refused: exit 4."""

    exit_code = AUTH


class PartialFailure(SccliError):
    """Some of the work was done, some failed (e.g. one tracker of several): exit 5."""

    exit_code = PARTIAL


class TemporaryFailure(SccliError):
    """Retrying later may succeed: busy store, unreachable server, rate limit, full disk: 75."""

    exit_code = TEMPORARY


# errno values where waiting (or freeing space) and retrying the same command can succeed
_TEMPORARY_ERRNOS = frozenset(
    getattr(_errno, name)
    for name in (
        "EAGAIN", "EBUSY", "EINTR", "EIO", "ENOSPC", "EDQUOT", "ENOMEM", "EMFILE", "ENFILE",
        "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "EHOSTUNREACH",
        "EHOSTDOWN", "ENETUNREACH", "ENETDOWN", "ENETRESET", "ETXTBSY", "ESTALE",
    )
    if hasattr(_errno, name)
)


def is_temporary_os_error(exc: OSError) -> bool:
    """A full disk, a busy file, a network hiccup: retrying later may succeed."""
    return exc.errno in _TEMPORARY_ERRNOS or isinstance(exc, (ConnectionError, TimeoutError))


def from_os_error(exc: OSError, doing: str = "cannot access") -> SccliError:
    """An ``OSError`` as a user error: 75 when retrying may help, else 2 (fix the path)."""
    reason = exc.strerror or one_line(exc) or type(exc).__name__
    where = f" {exc.filename}" if exc.filename else ""
    if is_temporary_os_error(exc):
        return TemporaryFailure(f"{doing}{where}: {reason}; try again later")
    return ConfigurationError(f"{doing}{where}: {reason}; check the path and its permissions")
