"""Detectors of credentials written in sentences and forms, in Russian and English.

``Пароль: Qwerty1``, ``password is Welcome1``, ``логин admin пароль admin``,
``логин/пароль: admin/Qwerty1``, ``olga@acme.ru / secret``, ``Qwerty123 is my password``.
People write these among ordinary words ("пароль не приходит на почту", "user ivanov /
role Administrator", "password reset link expired"), so these detectors weigh the context
(a login before the label, a pair label, a value that ends its line or clause, a value
that looks like a password). A module of its own because that judgement is what the
machine formats of ``redaction_formats`` do not need.

A detector takes the text and its lowercase twin (same indexes) and yields candidate
``(kind, start, end)`` spans; ``sccli.domain.redaction`` runs them in order and keeps the
non-overlapping ones. Each pattern starts with a literal (see ``redaction_labels.each``).

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .redaction_labels import NO_REF, PW_LITERALS, PW_WORD, each, key_start, quote_ok
from .redaction_values import ALPHA, Values, head, is_prose, looks_secret, trim, word_before

__all__ = ["email_pairs", "labelled_passwords", "login_pairs", "passwords_before"]

# Login labels; a pair label ("логин/пароль", "credentials") also allows "login:secret".
_PAIR_LABELS = each(
    (r"логин", r"login", r"user(?:name)?", r"пользовател\w*", r"учётк\w*", r"учетк\w*",
     r"учётн\w*\s+(?:запис|данн)\w*", r"учетн\w*\s+(?:запис|данн)\w*", r"account",
     r"cred(?:entials|s)", r"креды", r"доступы?"),
    r"(?P<pair>\s*(?:/|и|and|,)\s*(?:пароль|password|pass))?(?:\s*[:=—–-]\s*|\s+)"
    r"(?P<login>[^\s/:,;<>&?=]{1,128}+)(?P<sep>\s*/\s*|:)(?!/|парол|pass|pwd)",
)
_PAIR_WORDS = re.compile(r"cred(?:entials|s)|креды|доступы?|уч[её]тн\w*\s+данн\w*")


def login_pairs(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    """``логин/пароль: admin/Qwerty1``, ``доступ: ivanov / P@ss`` — the part after the slash."""
    for rx in _PAIR_LABELS:
        values = Values(text)
        last = -1
        for m in rx.finditer(low):
            if m.end() < last or word_before(low, m.start()):
                continue
            pair = m.group("pair") is not None or _PAIR_WORDS.fullmatch(m.group("kw")) is not None
            if PW_WORD.match(m.group("login")) or (m.group("sep") == ":" and not pair):
                continue
            span = values.take(m.end())
            if span is None:
                continue
            value = head(text, *span)
            if is_prose(value) or (not pair and _word_in_prose(text, value, span[1])):
                continue
            last = span[1]
            yield "login-password", span[0], span[1]


def _word_in_prose(text: str, value: str, end: int) -> bool:
    """A plain word that a sentence goes on after ("user ivanov / role Administrator").

    A password-like value, or a word that ends its line or clause ("olga@acme.ru /
    secret"), is taken; the caller's label or address is no proof the word is a password.
    """
    if not value.isalpha() or looks_secret(value):
        return False
    rest = text[end : end + 2]
    return not (rest == "" or rest[0] in "\r\n,;.!)" or rest.startswith(" \n"))


# "olga@acme.ru / secret": an e-mail address as the login, the password after a slash.
_EMAIL_PAIR = re.compile(
    r"@[a-z0-9\-]{1,63}(?:\.[a-z0-9\-]{1,63}){0,6}\.[a-z]{2,24}(?:[ \t]+/[ \t]*|/[ \t]+)(?=\S)"
    r"(?![\w.%+\-]{1,64}@[a-z0-9\-]{1,63}\.)"  # "it@acme.ru / ops@acme.ru": two addresses
)
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._%+-")
_EMAIL = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_PHONE = re.compile(r"[+\d(][\d ()\-]{5,}")


def email_pairs(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    values = Values(text)
    for m in _EMAIL_PAIR.finditer(low):
        at = m.start()
        local = at
        while local > max(0, at - 64) and low[local - 1] in _LOCAL_CHARS:
            local -= 1
        if local == at or (local and (low[local - 1].isalnum() or low[local - 1] in "/:@_")):
            continue  # no local part, or "https://user@host/…"
        span = values.take(m.end())
        if span is None:
            continue
        value = head(text, *span)
        if (
            len(value) < 4
            or is_prose(value)
            or PW_WORD.match(value.lower())
            or "://" in value
            or _EMAIL.fullmatch(value)
            or _PHONE.fullmatch(value)
            or (value.isalpha() and not value.islower() and not looks_secret(value))
            or _word_in_prose(text, value, span[1])
        ):
            continue  # "olga@acme.ru / Olga", "/ +7 999 …", "/ it@acme.ru"
        yield "login-password", span[0], span[1]


# "пароль для входа: X", "password - X", "db_password: X", '"pass": "X"': a colon or a dash,
# qualifiers allowed before it.
_PASSWORD_STRONG = each(
    PW_LITERALS,
    r"(?![\w-])(?P<q>[\"']?)"
    r"(?:\s+(?:для|от|к|ко|на|у|в|пользовател\w*|админ\w*|администратор\w*|for|of|to|"
    r"on|at|user|admin)(?:\s+[^\s:=—–]{1,40}){0,3}?)?(?:\s*\([^()\n]{1,40}\))?"
    r"(?:[ \t]*:(?!=)\s*|\s+-+\s+|\s*[—–]\s*)" + NO_REF,
)
# "пароль Qwerty1", "password is Welcome1": only password-like values or a login context,
# on the same line ("…login or password\nPlease fix" is no password).
_PASSWORD_WEAK = each(
    (r"парол[ьяеюи]\w*", r"pass(?:word|wd)", r"pwd"),
    r"(?![\w-])(?:[ \t]+(?:is|будет|такой))?[ \t]+" + NO_REF,
)
_WORD = re.compile(r"\w")
# "логин admin пароль admin", "учетная запись Supervisor, пароль Supervisor".
_LOGIN_BEFORE = re.compile(
    r"(?:логин|login|user(?:name)?|пользовател\w*|уч[её]тк\w*|уч[её]тн\w*\s+запис\w*|"
    r"account|аккаунт\w*)[ \t]*[:=—–\-]?[ \t]*(?P<login>[^\s,;:]{1,64})[ \t]*[,;]?[ \t]*\Z"
)


_PAIR_FIRST = ("логин", "login", "username", "user", "пользователь")


def _after_pair_label(low: str, start: int) -> bool:
    """``start`` follows "логин/", "login and", "user," … (the label of a login pair)."""
    floor = max(0, start - 40)
    end = start
    while end > floor and low[end - 1].isspace():
        end -= 1
    if low.endswith("and", floor, end):
        end -= 3
    elif end > floor and low[end - 1] in "/,и":
        end -= 1
    else:
        return False
    while end > floor and low[end - 1].isspace():
        end -= 1
    for word in _PAIR_FIRST:
        if low.endswith(word, floor, end):
            first = end - len(word)
            return not first or not (low[first - 1].isalnum() or low[first - 1] in "_.@-")
    return False


def labelled_passwords(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    """``пароль: X``, ``password - X``, ``пароль Supervisor`` (the last only in a login context)."""
    for strong, patterns in ((True, _PASSWORD_STRONG), (False, _PASSWORD_WEAK)):
        for rx in patterns:
            values = Values(text)
            last = -1
            for m in rx.finditer(low):
                if m.end() < last:
                    continue
                kw = m.start("kw")
                start = key_start(text, kw, compound=strong)
                if start is None or (strong and not quote_ok(text, start, m.group("q"))):
                    continue
                # "логин/пароль: a/b" belongs to the pair detector, which keeps the login.
                if _after_pair_label(low, start):
                    continue
                span = values.take(m.end())
                if not span:
                    continue
                value = head(text, *span)
                if is_prose(value) or "://" in value:  # (a label as the value: see NO_REF)
                    continue
                if text.startswith(":", span[1]) and value.isalpha():
                    continue  # an empty form field followed by the next label ("URL:")
                if not (strong or looks_secret(value)):
                    line_start = low.rfind("\n", max(0, kw - 100), kw) + 1 or max(0, kw - 100)
                    before = _LOGIN_BEFORE.search(low, line_start, kw)
                    if (
                        before is None
                        or is_prose(before.group("login"))
                        or not _WORD.search(value)
                    ):
                        continue
                last = span[1]
                yield "password", span[0], span[1]


# "Qwerty123 is my password", "Qwerty123 — мой пароль": the value before the label. Each
# pattern starts with a space and its connector, a literal.
_PASSWORD_AFTER = each(
    (r" is", r" was", r" —", r" –", r" --?", r" =", r" это"),
    r"[ \t]+"
    r"(?:(?:my|the|our|his|her|their|your|new|current|temporary|temp|old|admin|root|user|"
    r"account|мой|моя|наш|новый|временный|текущий|старый|его|её|ее|ваш|твой|это)[ \t]+){0,3}"
    r"(?:password|passphrase|passcode|pwd|пароль)(?![\w-])"
    r"(?![ \t]*(?:manager|policy|hint|reset|field|prompt|length|generator|expir|requirement|"
    r"rule|change|recovery|strength|менеджер|политик|подсказк|истек|истёк|сброс|не |"
    r"неверн|incorrect|invalid|wrong))",
)
_CLOSERS = {'"': '"', "'": "'", "»": "«", "”": "“", "“": "„", "`": "`"}


def passwords_before(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    for rx in _PASSWORD_AFTER:
        for m in rx.finditer(low):
            found = _value_before(text, m.start())
            if found is not None:
                yield "password", found[0], found[1]


def _value_before(text: str, end: int) -> tuple[int, int] | None:
    """The word (or quoted words) that ends before the spaces at ``end``, if password-like."""
    floor = max(0, end - 64)
    while end > floor and text[end - 1] in " \t":
        end -= 1
    lo = max(0, end - 128)
    start = max(text.rfind(" ", lo, end), text.rfind("\n", lo, end), text.rfind("\t", lo, end))
    start = lo if start < 0 else start + 1
    if start >= end or (start == lo and lo and not text[lo - 1].isspace()):
        return None
    opener = _CLOSERS.get(text[end - 1])
    if opener is not None and text[start] != opener:  # '"correct horse" is my password'
        line_start = text.rfind("\n", max(0, end - 256), end) + 1
        open_at = text.rfind(opener, max(line_start, end - 256), end - 1)
        if open_at < 0:
            return None
        start = open_at
    if opener is not None and text[start] == opener and end - start > 2:
        value = text[start + 1 : end - 1]
        if len(value) >= 4 and not is_prose(value):
            return start + 1, end - 1
        return None
    while start < end and text[start] in "([«\"'“„`":
        start += 1
    trimmed = trim(text, start, end)
    if trimmed is None:
        return None
    value = text[trimmed[0] : trimmed[1]]
    if (
        len(value) >= 6
        and looks_secret(value)
        and ALPHA.search(value)
        and not PW_WORD.match(value.lower())
    ):
        return trimmed
    return None
