"""Credentials leave the texts sccli records for the vault, never inside a transaction.

The machinery is shared by tickets and clients (``tickets``, ``clients``); what a
ticket's or a client's texts are is their modules' business.
"""

from __future__ import annotations

import re
import secrets as _random
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import UsageError
from .context import Workspace

if TYPE_CHECKING:
    from ..secrets import SecretError

# Credentials leave a text in three steps, none of them inside the transaction that
# records the text:
#
# 1. ``redact`` with a provisional owner (``ACME-12~<random>``): the texts now hold
#    ``[secret:ACME-12~5f1c…/k]`` and the values are known, but no number is taken yet;
# 2. ``reserve_secret_numbers``: a short transaction takes the next free numbers of the
#    owner (a counter in the store's ``meta`` table, never below the highest reference in
#    the texts already stored) and the provisional references are renumbered to
#    ``[secret:ACME-12/N]``. Reserved numbers are never handed out again, so a concurrent
#    writer — on this machine or another one sharing the store — can neither overwrite a
#    value in the vault nor reuse a reference for another value;
# 3. the values go to the vault in one batch (``TicketVault.put_many``).
#
# Then the caller records the texts in its own short transaction. A failure or a crash in
# between leaves unused numbers and perhaps vault entries nothing refers to; never a
# secret in clear in the store.


def last_secret_index(ticket_id: str, texts: list[str]) -> int:
    from ..domain.redaction import REF_RE

    prefix = f"[secret:{ticket_id}/"
    found = [int(ref[len(prefix):-1]) for t in texts for ref in REF_RE.findall(t)
             if ref.startswith(prefix)]
    return max(found, default=0)


def reserve_secret_numbers(ws: Workspace, owner: str, count: int, floor: int) -> int:
    """Take ``count`` reference numbers of ``owner`` (a ticket id, or ``client-KEY``) in a
    transaction of its own; returns the first. ``floor`` is the highest number already in
    the owner's stored texts (stores written before the counter existed).

    The counter is a ``meta`` row ``secret_seq:<owner>`` (no schema change; an older
    sccli ignores it). The insert-if-absent then ``SELECT … FOR UPDATE`` serializes two
    writers on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already does.
    """
    key = f"secret_seq:{owner}"
    with ws.store.transaction() as store:
        store.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                      (key, "0"))
        rows = store.query(f"SELECT value FROM meta WHERE key = ?{store.for_update}", (key,))
        first = max(int(rows[0]["value"]), floor) + 1
        store.execute("UPDATE meta SET value = ? WHERE key = ?", (str(first + count - 1), key))
    return first


class Moved:
    """Credentials taken out of texts under provisional references, until ``number`` gives
    them their final ones; ``pairs`` are then the (reference, value) for the vault."""

    def __init__(self, owner: str) -> None:
        self._provisional = f"{owner}~{_random.token_hex(6)}"
        self._final: Callable[[str], str] | None = None
        self.pairs: list[tuple[str, str]] = []

    def __len__(self) -> int:
        return len(self.pairs)

    def redact(self, text: str) -> str:
        """``text`` with provisional references (numbered on from the previous texts)."""
        from ..domain.redaction import redact

        clean, found = redact(text, self._provisional, len(self.pairs) + 1)
        self.pairs += found
        return clean

    def take(self, value: str) -> str:
        """The provisional reference of a value the caller found itself."""
        from ..domain.redaction import reference

        for ref, known in self.pairs:
            if known == value:
                return ref
        ref = reference(self._provisional, len(self.pairs) + 1)
        self.pairs.append((ref, value))
        return ref

    def number(self, owner: str, first: int) -> None:
        """Give the provisional references their final numbers ``first``, ``first + 1``…"""
        rx = re.compile(re.escape(f"[secret:{self._provisional}/") + r"(\d+)\]")

        def one(m: re.Match[str]) -> str:
            return f"[secret:{owner}/{first + int(m.group(1)) - 1}]"

        self._final = lambda text: rx.sub(one, text)
        self.pairs = [(self._final(ref), value) for ref, value in self.pairs]

    def final(self, text: str) -> str:
        """``text`` with its final references (unchanged before ``number``)."""
        return self._final(text) if self._final is not None else text


def keep_in_vault(ws: Workspace, what: str, pairs: list[tuple[str, str]],
                  unused: str = "") -> None:
    """All values of one write in one vault batch (outside any store transaction)."""
    from ..secrets import SecretError

    try:
        ws.vault.put_many(pairs)
    except SecretError as exc:  # nothing is recorded, so nothing is stored in clear
        raise UsageError(f"cannot keep the secrets of {what} safely: {exc}; nothing was"
                         f" recorded{unused}", exit_code=exc.exit_code) from None


def move_secrets(ws: Workspace, owner: str, texts: list[str],
                 known: Callable[[], list[str]], moved: Moved | None = None
                 ) -> tuple[list[str], int]:
    """Replace pasted credentials by ``[secret:OWNER/N]`` and keep their values in the vault.

    ``known`` reads the owner's texts already stored (only called when there is something
    to move); ``moved`` may hold values the caller took out itself. Call it outside any
    transaction: the vault is written before it returns.
    """
    moved = Moved(owner) if moved is None else moved
    clean = [moved.redact(text) for text in texts]
    if moved:
        first = reserve_secret_numbers(ws, owner, len(moved),
                                       last_secret_index(owner, known() + texts))
        moved.number(owner, first)
        keep_in_vault(ws, owner, moved.pairs)
    return [moved.final(text) for text in clean], len(moved)


def reveal(ws: Workspace, owner: str,
           refs: list[str]) -> tuple[list[tuple[str, str]], SecretError | None]:
    """The values of ``refs`` that this machine's vault holds, in order, and for the others
    a SecretError (exit 2) naming them and saying why: a missing value is never a blank."""
    from ..secrets import SecretError

    values = ws.vault.get_many(refs)
    found = [(ref, value) for ref in refs if (value := values.get(ref)) is not None]
    missing = [ref for ref in refs if values.get(ref) is None]
    if not missing:
        return found, None
    named = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3
                                       else "")
    if len(refs) == 1:
        what = "its secret"
    elif not found:
        what = f"its {len(refs)} secrets"
    else:
        what = f"{len(missing)} of its {len(refs)} secrets"
    shown = f" (the other {len(found)} are shown)" if found else ""
    return found, SecretError(f"{owner}: {what} ({named}) not available on this"
                              f" machine{shown}: {ws.vault.why_missing()}")
