"""Exit codes users and scripts rely on, and the errors that carry them."""

from __future__ import annotations

OK = 0
SLA_BREACH = 1
USAGE = 2
AUTH = 4
PARTIAL = 5
TEMPORARY = 75


class SccliError(Exception):
    """An error phrased for the user: one line, what is wrong and how to fix it."""

    exit_code = USAGE

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(SccliError):
    exit_code = USAGE


class AuthFailure(SccliError):
    exit_code = AUTH


class TemporaryFailure(SccliError):
    exit_code = TEMPORARY


class NotFoundError(UsageError):
    pass
