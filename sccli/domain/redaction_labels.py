"""The labels that announce a credential: password keywords and what makes a key.

``password``, ``DB_PASSWORD``, ``dbPassword``, ``PGPASSWORD``, ``--password``, ``пароль``:
the keyword vocabulary (:data:`PW_LITERALS`), the rule for the key around a keyword
(:func:`key_start`: a glued prefix such as "pg" or "admin" makes a key, "bypass" is a
word), the look-ahead that refuses a reference, a placeholder or another label as a value
(:data:`NO_REF`), and :func:`each`, which compiles one literal-first pattern per keyword
(what keeps the scans linear). Both detector modules (``redaction_formats``,
``redaction_prose``) build their patterns from these; a module of its own because it is
the shared vocabulary of labels, not a detector.

Pure: no I/O. Part of the credential detector whose API is ``sccli.domain.redaction``.
"""

from __future__ import annotations

import re

__all__ = ["NO_REF", "PW_LITERALS", "PW_WORD", "PW_WORDS", "each", "key_start", "quote_ok"]

# --- password keywords ------------------------------------------------------------------

PW_LITERALS = (r"парол[ьяеюи]\w*", r"пасс(?:ворд)?", r"pass(?:words?|wd|phrase|code)?", r"pwd")
PW_WORDS = "(?:" + "|".join(PW_LITERALS) + ")"
# Values no label takes, refused by the pattern itself (cheaper than a match handed to
# Python): a reference or placeholder ("[secret:…]", "<…>", "{{…}}", "${…}"), another label
# ("password=password=…"), a lone Russian word ("пароль: см. ниже").
NO_REF = (
    r"(?![\"'«“„`]?(?:[\[<{$]|парол|pass|pwd))"
    r"(?![а-яё]+(?:-[а-яё]+)*(?:[\s.,;:)»\"']|$))"
)
# A password keyword's stem: a login or a value that starts with one is another label.
PW_WORD = re.compile(r"(?:парол|pass|pwd)")


def each(words: tuple[str, ...], tail: str) -> tuple[re.Pattern[str], ...]:
    """One pattern per keyword, each starting with the keyword's literal letters.

    A pattern that starts with a literal is scanned by jumping from one occurrence to the
    next; an alternation of keywords would start a match attempt at every letter that
    begins one of them (a run of "a"s costs a third of a second).
    """
    return tuple(re.compile(f"(?P<kw>{word}){tail}") for word in words)


# --- keys: "password", "DB_PASSWORD", "dbPassword", "PGPASSWORD", "--password" -------------

# Glued prefixes that make a key ("pgpassword", "adminpass"); other glued letters make an
# ordinary word ("bypass", "compass", "surpass").
_GLUED_LINE = (
    "pg db admin root user mysql smtp ftp sftp sql ldap sa sys my new old app mail wifi vnc "
    "rdp proxy bind master keystore truststore store key confirm current api auth client "
    "access service svc bot refresh"
)
_GLUED = frozenset(_GLUED_LINE.split())
_PREFIX = re.compile(r"(?:[A-Za-z0-9]++[_.])*+[A-Za-z0-9]*+")
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def key_start(text: str, kw: int, compound: bool = True) -> int | None:
    """Where the key whose keyword starts at ``kw`` begins, or None if it is no key.

    ``password``, ``DB_PASSWORD``, ``spring.datasource.password``, ``dbPassword``,
    ``PGPASSWORD``, ``--password``, ``-Dpassword``; not ``bypass`` or ``forgot-password``.
    """
    start = kw
    if compound:
        low = max(0, kw - 80)
        while start > low and text[start - 1] in _ID_CHARS:
            start -= 1
        if start < kw:
            prefix = text[start:kw]
            if prefix[0] in "_." or _PREFIX.fullmatch(prefix) is None:
                return None
            last = prefix[max(prefix.rfind("_"), prefix.rfind(".")) + 1 :]
            camel = text[kw].isupper() and last[-1:].islower()
            if last and not camel and last.lower() not in _GLUED:
                return None
    if start > 0:
        ch = text[start - 1]
        if ch == "-":  # "--password", "-Dpassword=" but not "forgot-password"
            before = text[start - 2] if start >= 2 else " "
            if not (before.isspace() or before in "-\"'"):
                return None
        elif ch.isalnum() or ch == "_":
            return None
    return start


def quote_ok(text: str, start: int, quote: str) -> bool:
    """A key quoted after its keyword ("password") is quoted before it too."""
    return not quote or (start > 0 and text[start - 1] == quote)
