"""Find credentials that clients paste into tickets and replace them by references.

The contract asks clients to put "an account with its password" into every request, so
tickets routinely carry secrets. sccli moves each secret *value* to the vault and keeps a
reference ``[secret:TICKET/N]`` in its place; the login stays visible because engineers
need it. Detection is deliberately conservative on prose ("пароль не приходит на почту",
"password reset link expired") so that ordinary text is never mangled.

Formats: labelled passwords in prose and forms ("Пароль: …", "password is …", "Qwerty1 is
my password"), login pairs ("логин/пароль: a/b", "olga@acme.ru / secret"), configs (.env
``DB_PASSWORD=…``, YAML ``db_password: …``, JSON ``"pass": "…"``, XML ``<password>…``,
``<add key="SmtpPassword" value="…"/>``), connection strings and URLs, shell commands
(``PGPASSWORD=…``, ``mysql -p…``, ``curl -u user:…``, ``sqlplus a/b@db``), API tokens
(labelled, ``Bearer …``, and fixed shapes: GitHub, GitLab, Slack, AWS ``AKIA…``, ``sk-…``,
JWT, Google, Telegram bots) and private keys. ``tests/data/redaction_corpus.txt`` holds
the formats, with the prose that must stay untouched.

Bounded work: every scan is linear in the text. Each pattern runs on a lowercase copy
and starts with a literal (the scan jumps from one occurrence to the next), and no
position is scanned again by a later attempt (values are taken by bounded or cached
scans), so no input makes detection quadratic. ``redact`` refuses, with a
:class:`RedactionLimitError` (exit 2), a text over :data:`MAX_TEXT` characters or with
more than :data:`MAX_FINDINGS` credentials or :data:`MAX_SECRETS` different ones, and
stops scanning early when a text is flooded: the work behind one text is bounded
(``bench/redaction_bench.py`` measures it).

Modules, one concept each: this one is the API (limits, :func:`find_secrets`,
:func:`redact`, references, and the order the detectors run in); the detectors are in
``redaction_formats`` (machine formats: keys, tokens, configs, commands, XML) and
``redaction_prose`` (sentences and forms); ``redaction_labels`` holds the password
keywords and what makes a key, and ``redaction_values`` how a value is taken from the
text and judged (stopwords, masks, password- and token-likeness).

Pure: no I/O. The vault lives in ``sccli.secrets``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import NamedTuple

from .model import DomainError
from .redaction_formats import (
    assigned_passwords,
    auth_schemes,
    fixed_tokens,
    labelled_tokens,
    private_keys,
    shell_commands,
    sqlplus,
    url_credentials,
    xml,
)
from .redaction_prose import email_pairs, labelled_passwords, login_pairs, passwords_before

__all__ = [
    "MAX_FINDINGS",
    "MAX_SECRETS",
    "MAX_TEXT",
    "REF_RE",
    "Finding",
    "RedactionLimitError",
    "find_secrets",
    "redact",
    "reference",
]

# The largest text ``redact`` accepts (characters): ticket bodies are at most 1 MB.
MAX_TEXT = 1024 * 1024
# The most distinct secret values ``redact`` moves out of one text (one vault entry each),
# and the most occurrences it replaces (a log may repeat one password on every line).
MAX_SECRETS = 1000
MAX_FINDINGS = 10 * MAX_SECRETS


class RedactionLimitError(DomainError):
    """A text too large, or holding too many credentials, to redact: exit 2 (permanent)."""


class Finding(NamedTuple):
    """One secret: ``text[start:end] == value`` is the secret value only (no label).

    A named tuple (immutable, and cheap to make: a text may hold thousands).
    """

    kind: str
    start: int
    end: int
    value: str


# A reference left by a previous redaction; its span is never detected again. A ticket id
# holds no "/", "[" or "]" (client keys are word characters), which keeps the scan linear.
REF_RE = re.compile(r"\[secret:[^\]\[\s/]{1,64}/\d{1,9}\]")

_MAX_PASSES = 4


def _lower(text: str) -> str:
    """``text.lower()`` with the same length, so indexes are shared (İ lowers to 2 chars)."""
    return (text.replace("\u0130", "i") if "\u0130" in text else text).lower()


# --- detectors -------------------------------------------------------------------------
#
# A detector (``redaction_formats``, ``redaction_prose``) takes the text and its lowercase
# twin (same indexes) and yields candidate
# (kind, start, end) spans. Patterns run on the lowercase text and start with a literal or
# a keyword (fast, and no position is tried by a costly prefix); the text gives values.

_Detector = Callable[[str, str], Iterator[tuple[str, int, int]]]

# Order breaks ties between candidates with the same span: specific kinds first.
_DETECTORS: tuple[_Detector, ...] = (
    private_keys,
    url_credentials,
    fixed_tokens,
    auth_schemes,
    assigned_passwords,
    xml,
    labelled_tokens,
    sqlplus,
    shell_commands,
    login_pairs,
    email_pairs,
    labelled_passwords,
    passwords_before,
)


def find_secrets(text: str) -> list[Finding]:
    """Every secret value in ``text``: non-overlapping, sorted, references excluded."""
    return _find(text, None)


def _too_many(count: int) -> RedactionLimitError:
    return RedactionLimitError(
        f"the text holds more than {count:,} credential-like strings; attach it as a file"
        " instead"
    )


def _find(text: str, limit: int | None) -> list[Finding]:
    """``find_secrets``; with a ``limit``, refuse (early) a text with more findings."""
    if not text:
        return []
    low = _lower(text)
    refs = [m.span() for m in REF_RE.finditer(text)] if "[secret:" in text else []
    ref_starts = [start for start, _ in refs]
    # A value is found by three detectors at most ("x is my password": the labels before
    # and after it): past this many candidates, the text is refused without scanning on.
    ceiling = None if limit is None else 3 * limit
    candidates: list[tuple[int, int, int, str]] = []
    for order, detector in enumerate(_DETECTORS):
        for kind, start, end in detector(text, low):
            if end <= start:
                continue
            if refs:
                i = bisect_right(ref_starts, start) - 1
                if (i >= 0 and refs[i][1] > start) or (
                    i + 1 < len(refs) and refs[i + 1][0] < end
                ):
                    continue  # never inside, or across, an existing reference
            candidates.append((start, start - end, order, kind))
            if ceiling is not None and len(candidates) > ceiling:
                raise _too_many(limit or 0)
    candidates.sort()
    found: list[Finding] = []
    last_end = -1
    for start, neg_len, _order, kind in candidates:
        if start >= last_end:
            end = start - neg_len
            found.append(Finding(kind, start, end, text[start:end]))
            last_end = end
    if limit is not None and len(found) > limit:
        raise _too_many(limit)
    return found


def reference(ticket_id: str, index: int) -> str:
    """The placeholder that stands for secret number ``index`` of a ticket."""
    return f"[secret:{ticket_id}/{index}]"


def redact(text: str, ticket_id: str, first_index: int = 1) -> tuple[str, list[tuple[str, str]]]:
    """Replace each secret value by a reference; the same value always gets the same one.

    Returns the redacted text and ``[(reference, value)]`` for the vault, in order of first
    appearance. Runs to a fixed point, so redacting the result again changes nothing.
    Raises :class:`RedactionLimitError` for a text over :data:`MAX_TEXT` characters, or
    with more than :data:`MAX_FINDINGS` credentials or :data:`MAX_SECRETS` different ones
    (each a vault entry): nothing is redacted then, so the caller stores nothing.
    """
    if len(text) > MAX_TEXT:
        raise RedactionLimitError(
            f"the text is {len(text):,} characters; at most {MAX_TEXT:,} can be checked for"
            " credentials; attach it as a file instead"
        )
    by_value: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for _ in range(_MAX_PASSES):
        findings = _find(text, MAX_FINDINGS)
        if not findings:
            break
        parts: list[str] = []
        pos = 0
        for f in findings:
            ref = by_value.get(f.value)
            if ref is None:
                if len(pairs) >= MAX_SECRETS:
                    raise RedactionLimitError(
                        f"the text holds more than {MAX_SECRETS:,} different credentials;"
                        " attach it as a file instead"
                    )
                ref = reference(ticket_id, first_index + len(pairs))
                by_value[f.value] = ref
                pairs.append((ref, f.value))
            parts.append(text[pos : f.start])
            parts.append(ref)
            pos = f.end
        parts.append(text[pos:])
        text = "".join(parts)
    return text, pairs
