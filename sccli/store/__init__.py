"""Open the store a user names: a SQLite file path or a ``postgresql://`` URL.

Also the two things every layer needs about store failures: :func:`mask_url` (no message
ever shows a password from a URL, whatever the URL's shape) and :func:`failure` (a
database error that escaped the store, as a one-line error with the right exit code).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from ..errors import SccliError, TemporaryFailure, UsageError, one_line
from .base import Store

DEFAULT_FILE = "sccli.db"

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")


def open_store(target: str | None, home: Path, migrate: bool = True) -> Store:
    store: Store
    if target and target.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        store = PostgresStore(target)
    else:
        if target:
            _refuse_other_urls(target)
        from .sqlite import SQLiteStore

        store = SQLiteStore(Path(target).expanduser() if target else home / DEFAULT_FILE)
    if migrate:
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
    return store


def _refuse_other_urls(target: str) -> None:
    """A URL that is not ``postgresql://`` is a mistake, not a SQLite file to create."""
    scheme = _SCHEME.match(target)
    if scheme is None:
        return
    name = scheme.group(1).lower()
    if name in ("postgresql", "postgres"):
        remember_secrets(target)
        raise UsageError(
            f"malformed PostgreSQL URL {mask_url(target)}: it must start with postgresql://"
            " (postgresql://user[:password]@host[:port]/database)"
        )
    if target[scheme.end():].startswith("//"):
        remember_secrets(target)
        raise UsageError(
            f"unsupported store URL {mask_url(target)}: --db takes a SQLite file path or a"
            " postgresql:// URL"
        )


# -- masking -------------------------------------------------------------------------------
# scheme://user:password@… — the password runs to the last '@' of the word (a raw '@' in a
# password is masked with it); a user may hold an '@' too (user@domain:password@host).
_USERINFO = re.compile(r"((?:[A-Za-z][A-Za-z0-9+.-]*:/+|postgres(?:ql)?:)[^\s:/]*?):\S*@",
                       re.IGNORECASE)
# where a URL's user information starts, however many slashes (postgresql:/u:pw@h is a typo)
_AUTHORITY = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*:/*")
# key=value connection strings and URL query parameters: password=…, PGPASSWORD=…
_KEYWORD = re.compile(
    r"""((?:\bpassword|\bPGPASSWORD)\s*=\s*)('(?:[^'\\]|\\.)*'?|"[^"]*"?|[^\s&'"]+)""",
    re.IGNORECASE,
)
_SECRETS: set[str] = set()


def remember_secrets(url: str) -> None:
    """Note the password of ``url`` (read leniently, even from a malformed URL) so that
    :func:`mask_url` masks it wherever it shows up: a driver may quote the password, a
    piece of it or its decoded form without the rest of the URL."""
    found: set[str] = set()
    start = _AUTHORITY.match(url)
    rest = url[start.end():] if start else ""
    if "@" in rest:
        user, colon, password = rest[: rest.rfind("@")].partition(":")
        if colon and password:
            found.add(password)
    found.update(m.group(2).strip("'\"") for m in _KEYWORD.finditer(url))
    for secret in list(found):  # a misparsed URL shows a piece: 'TAIL@host'
        found.add(unquote(secret))
        pieces = re.split(r"[@/\s]+", secret) + re.split(r"[@/\s]+", unquote(secret))
        found.update(p for p in pieces if len(p) >= 3)
    _SECRETS.update(s for s in found if s)


def mask_url(text: str) -> str:
    """``text`` with every password masked: in URLs of any scheme and shape (malformed
    ones included), in ``password=`` keywords, and every password :func:`remember_secrets`
    noted (short ones only as a whole word, so a message stays readable)."""
    text = _USERINFO.sub(r"\1:***@", text)
    text = _KEYWORD.sub(r"\1***", text)
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret == "***" or secret not in text:
            continue
        if len(secret) >= 4:
            text = text.replace(secret, "***")
        else:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", "***", text)
    return text


# -- database errors that escaped the store ------------------------------------------------
def failure(exc: BaseException) -> SccliError:
    """A database error outside the store's own handling, as a one-line error: a damaged
    or mismatched store is permanent (2), anything else (a lost race, a dropped
    connection) may pass on a retry (75)."""
    import sqlite3
    import sys

    error: SccliError | None = None
    if isinstance(exc, sqlite3.Error):
        from .sqlite import classify

        error = classify(exc, "")
    else:
        psycopg = sys.modules.get("psycopg")
        if psycopg is not None and isinstance(exc, psycopg.Error):
            from .postgres import classify as classify_pg

            error = classify_pg(exc, "")
    if error is not None:
        return error
    first = (str(exc).strip().splitlines() or ["no detail"])[0]
    return TemporaryFailure(
        f"the store refused the change ({one_line(mask_url(first), 200)}); nothing was"
        " written, try again"
    )


__all__ = ["Store", "open_store", "DEFAULT_FILE", "mask_url", "remember_secrets", "failure"]
