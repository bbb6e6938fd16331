"""Find credentials that clients paste into tickets and replace them by references.

The contract asks clients to put "an account with its password" into every request, so
tickets routinely carry secrets. sccli moves each secret *value* to the vault and keeps a
reference ``[secret:TICKET/N]`` in its place; the login stays visible because engineers
need it. Detection is deliberately conservative on prose ("пароль не приходит на почту",
"password reset link expired") so that ordinary text is never mangled.

Pure: no I/O. The vault lives in ``sccli.secrets``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["REF_RE", "Finding", "find_secrets", "redact", "reference"]


@dataclass(frozen=True)
class Finding:
    """One secret: ``text[start:end] == value`` is the secret value only (no label)."""

    kind: str
    start: int
    end: int
    value: str


# A reference left by a previous redaction; its span is never detected again.
REF_RE = re.compile(r"\[secret:[^\]\s]+/\d+\]")

_MAX_PASSES = 4

# --- value extraction ---------------------------------------------------------------------

_QUOTES = {'"': '"', "'": "'", "«": "»", "“": "”", "„": "“", "`": "`"}
_TRAIL = ".,;:»\"'”“`"
_PAIRS = {")": "(", "]": "[", "}": "{"}


def _take_value(text: str, pos: int, stop: str = "") -> tuple[int, int] | None:
    """Span of the value starting at ``pos``: a quoted string or a run of non-space chars."""
    n = len(text)
    if pos >= n:
        return None
    close = _QUOTES.get(text[pos])
    if close is not None:
        end = text.find(close, pos + 1)
        line_end = text.find("\n", pos + 1)
        if end > pos + 1 and (line_end < 0 or end < line_end):
            return pos + 1, end
        return None
    end = pos
    while end < n and not text[end].isspace() and text[end] not in stop:
        end += 1
    # Drop sentence punctuation and unbalanced closing brackets glued to the value.
    while end > pos:
        ch = text[end - 1]
        unbalanced = ch in _PAIRS and text.count(_PAIRS[ch], pos, end) < text.count(ch, pos, end)
        if ch in _TRAIL or unbalanced:
            end -= 1
        else:
            break
    return (pos, end) if end > pos else None


# Words that follow a password label in prose, never as a value.
_STOPWORD_LINES = (
    "не нет нету ни отсутствует пустой пусто пустое см смотрите ниже выше прежний старый",
    "такой такая тот же как был была было будет в во на по из у с к от для и или а",
    "none null nil n/a na not no empty missing is was were will be the a an see same",
    "below above in on at from by to as for of and or it this that here there old new",
    "reset field fields policy policies expired expires expiry change changed changes",
    "recovery forgot forgotten hint manager protected length complexity requirements",
    "required requires incorrect wrong invalid must should does did doesn't don't has",
    "have had sent send link page form box prompt dialog screen error errors",
)
_STOPWORDS = frozenset(w for line in _STOPWORD_LINES for w in line.split())

_CYRILLIC_WORD = re.compile(r"[А-Яа-яЁё]+(?:-[А-Яа-яЁё]+)*")
_MASK = re.compile(r"[*•xX.·]+")


def _is_prose(value: str) -> bool:
    """True for values that are words of a sentence rather than a credential."""
    core = value.strip("()[]{}«»\"'")
    return (
        not core
        or core.lower() in _STOPWORDS
        or _CYRILLIC_WORD.fullmatch(core) is not None
        or _MASK.fullmatch(core) is not None
        or value.startswith(("<", "{{", "$"))
    )


def _looks_secret(value: str) -> bool:
    """Password-like on its own: letters mixed with digits/symbols, or inner capitals."""
    if len(value) < 4 or _is_prose(value):
        return False
    has_alpha = any(c.isalpha() for c in value)
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    inner_upper = any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)
    return has_digit or (has_alpha and has_symbol) or inner_upper


def _looks_token(value: str) -> bool:
    """API-token-like: long and made of token characters, with digits or mixed case."""
    if len(value) < 16 or re.fullmatch(r"[A-Za-z0-9_\-.+/=~:]+", value) is None:
        return False
    return any(c.isdigit() for c in value) or (
        any(c.isupper() for c in value) and any(c.islower() for c in value)
    )


# --- detectors -------------------------------------------------------------------------

_Detector = Callable[[str], Iterator[tuple[str, int, int]]]

_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----.*?-----END (?:[A-Z]+ )*PRIVATE KEY-----",
    re.DOTALL,
)
_URL_CRED = re.compile(r"(?i)\b[a-z][a-z0-9+.\-]*://[^\s:/@\[\]]+:(?P<v>[^\s@/\[\]]+)@[\w\[]")
_FIXED_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("github-token", re.compile(r"(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,})")),
    ("gitlab-token", re.compile(r"(?<![\w-])glpat-[A-Za-z0-9_\-]{20,}")),
    ("slack-token", re.compile(r"(?<![\w-])xox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("aws-access-key", re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])")),
    (
        "jwt",
        re.compile(r"(?<![\w-])eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    ),
)
_AUTH_SCHEME = re.compile(r"(?i)(?<![\w-])(?:bearer|basic)\s+(?=[A-Za-z0-9])")
_ASSIGNED_PASSWORD = re.compile(r"(?i)(?<![\w-])(?:password|passwd|pwd|pass|пароль)\s*=\s*")
_CONN_HINT = re.compile(
    r"(?i)(?:server|data source|host|hostname|user id|uid|database|initial catalog|dbname)\s*="
)
_TOKEN_WORDS = (
    r"(?i)(?<![\w-])(?:x-api-key|api[ _-]?(?:key|token|secret)|apikey|(?:access|auth|refresh|"
    r"personal access|private)[ _-]?token|aws_secret_access_key|client[ _-]?secret|"
    r"secret[ _-]?key|secret|token|токен\w*|api[ -]ключ\w*|ключ\w*\s+api|"
    r"секретн\w*\s+ключ\w*)(?![\w-])"
)
# "Токен доступа GitLab: …" — up to two qualifying words before a colon or "=".
_TOKEN_STRONG = re.compile(_TOKEN_WORDS + r"(?:\s+[^\s:=]{1,30}){0,2}?\s*[:=]\s*")
_TOKEN_WEAK = re.compile(_TOKEN_WORDS + r"\s+")
_SQLPLUS = re.compile(r"(?i)(?<![\w-])(?:sqlplus|connect|conn)\s+[^\s/@]+/(?P<v>[^\s@/]+)@\w")
# Login labels; a pair label ("логин/пароль") also allows "login:secret" after it.
_PAIR_LABEL = re.compile(
    r"(?i)(?<![\w-])(?:(?P<pair>(?:логин|login|user(?:name)?|пользователь)\s*(?:/|и|and|,)\s*"
    r"(?:пароль|password|pass)|credentials|creds|креды|доступы?|уч[её]тн\w*\s+данн\w*)"
    r"|логин|login|user(?:name)?|пользовател\w*|уч[её]тк\w*|уч[её]тн\w*\s+запис\w*|account)"
    r"\s*[:=—–-]?\s*"
)
_PW_WORD = re.compile(r"(?i)(?:парол|pass|pwd)")
_PW_KEYWORD = (
    r"(?i)(?<![\w-])(?P<kw>парол[ьяеюи]\w*|passwords?|passwd|passphrase|passcode|pwd|pass|"
    r"пасс(?:ворд)?)(?![\w-])"
)
# "пароль для входа: X", "password - X": a colon or a dash, qualifiers allowed before it.
_PASSWORD_STRONG = re.compile(
    _PW_KEYWORD + r"(?:\s+(?:для|от|к|ко|на|у|в|пользовател\w*|админ\w*|администратор\w*|for|of|to|"
    r"on|at|user|admin)(?:\s+[^\s:=—–]{1,40}){0,3}?)?(?:\s*\([^()\n]{1,40}\))?"
    r"(?:\s*:\s*|\s+-+\s+|\s*[—–]\s*)"
)
# "пароль Qwerty1", "password is Welcome1": only password-like values or a login context.
_PASSWORD_WEAK = re.compile(
    r"(?i)(?<![\w-])(?P<kw>парол[ьяеюи]\w*|password|passwd|pwd)(?:\s+(?:is|будет|такой))?\s+"
)
_PAIR_BEFORE = re.compile(
    r"(?i)(?<![\w.@-])(?:логин|login|user(?:name)?|пользователь)\s*(?:/|и|and|,)\s*$"
)
_LOGIN_CONTEXT = re.compile(
    r"(?i)(?:логин|login|user(?:name)?|пользовател\w*|уч[её]тк\w*|уч[её]тн\w*\s+запис\w*|"
    r"account|аккаунт\w*)"
)


def _private_keys(text: str) -> Iterator[tuple[str, int, int]]:
    for m in _PRIVATE_KEY.finditer(text):
        yield "private-key", m.start(), m.end()


def _url_credentials(text: str) -> Iterator[tuple[str, int, int]]:
    for m in _URL_CRED.finditer(text):
        yield "url-credentials", m.start("v"), m.end("v")


def _fixed_tokens(text: str) -> Iterator[tuple[str, int, int]]:
    for kind, rx in _FIXED_TOKENS:
        for m in rx.finditer(text):
            yield kind, m.start(), m.end()


def _auth_schemes(text: str) -> Iterator[tuple[str, int, int]]:
    for m in _AUTH_SCHEME.finditer(text):
        span = _take_value(text, m.end())
        if span and re.fullmatch(r"[A-Za-z0-9._~+/=\-]{8,}", text[span[0] : span[1]]):
            value = text[span[0] : span[1]]
            if any(c.isdigit() for c in value) or _looks_token(value):
                yield "bearer-token", span[0], span[1]


def _assigned_passwords(text: str) -> Iterator[tuple[str, int, int]]:
    """``Password=…;`` in connection strings, query strings and key=value configs."""
    for m in _ASSIGNED_PASSWORD.finditer(text):
        span = _take_value(text, m.end(), stop=";&\"'")
        if text[m.end() : m.end() + 1] in ('"', "'"):
            span = _take_value(text, m.end())
        if not span or _is_prose(text[span[0] : span[1]]):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        kind = "connection-string" if _CONN_HINT.search(line) else "password"
        yield kind, span[0], span[1]


def _labelled_tokens(text: str) -> Iterator[tuple[str, int, int]]:
    for strong, rx in ((True, _TOKEN_STRONG), (False, _TOKEN_WEAK)):
        for m in rx.finditer(text):
            span = _take_value(text, m.end())
            if not span:
                continue
            value = text[span[0] : span[1]]
            if value.lower() in ("bearer", "basic") or _is_prose(value):
                continue
            if _looks_token(value) or (strong and len(value) >= 8 and _looks_secret(value)):
                yield "api-token", span[0], span[1]


def _sqlplus(text: str) -> Iterator[tuple[str, int, int]]:
    for m in _SQLPLUS.finditer(text):
        yield "connection-string", m.start("v"), m.end("v")


def _login_pairs(text: str) -> Iterator[tuple[str, int, int]]:
    """``логин/пароль: admin/Qwerty1``, ``доступ: ivanov / P@ss`` — the part after the slash."""
    for m in _PAIR_LABEL.finditer(text):
        login = re.match(r"[^\s/:,;]+", text[m.end() :])
        if not login or _PW_WORD.match(login.group()):
            continue
        pos = m.end() + login.end()
        seps = r"\s*/\s*|:" if m.group("pair") else r"\s*/\s*"
        sep = re.match(seps, text[pos:])
        if not sep:
            continue
        pos += sep.end()
        if text.startswith("/", pos) or _PW_WORD.match(text, pos):
            continue
        span = _take_value(text, pos)
        if span and not _is_prose(text[span[0] : span[1]]):
            yield "login-password", span[0], span[1]


def _labelled_passwords(text: str) -> Iterator[tuple[str, int, int]]:
    """``пароль: X``, ``password - X``, ``пароль Supervisor`` (the last only in a login context)."""
    for strong, rx in ((True, _PASSWORD_STRONG), (False, _PASSWORD_WEAK)):
        for m in rx.finditer(text):
            # "логин/пароль: a/b" belongs to the pair detector, which keeps the login.
            if _PAIR_BEFORE.search(text, max(0, m.start() - 40), m.start()):
                continue
            span = _take_value(text, m.end())
            if not span:
                continue
            value = text[span[0] : span[1]]
            if _is_prose(value) or _PW_WORD.match(value) or "://" in value:
                continue
            if text.startswith(":", span[1]) and value.isalpha():
                continue  # an empty form field followed by the next label ("URL:")
            if strong or _looks_secret(value):
                yield "password", span[0], span[1]
                continue
            # "логин admin пароль admin": a login named just before, on the same line.
            line_start = max(text.rfind("\n", 0, m.start()) + 1, m.start() - 80)
            if _LOGIN_CONTEXT.search(text, line_start, m.start()) and re.search(r"\w", value):
                yield "password", span[0], span[1]


# Order breaks ties between candidates with the same span: specific kinds first.
_DETECTORS: tuple[_Detector, ...] = (
    _private_keys,
    _url_credentials,
    _fixed_tokens,
    _auth_schemes,
    _assigned_passwords,
    _labelled_tokens,
    _sqlplus,
    _login_pairs,
    _labelled_passwords,
)


def find_secrets(text: str) -> list[Finding]:
    """Every secret value in ``text``: non-overlapping, sorted, references excluded."""
    refs = [m.span() for m in REF_RE.finditer(text)]
    candidates: list[tuple[int, int, int, str]] = []
    for order, detector in enumerate(_DETECTORS):
        for kind, start, end in detector(text):
            if end <= start or any(start < r_end and r_start < end for r_start, r_end in refs):
                continue
            candidates.append((start, -(end - start), order, kind))
    found: list[Finding] = []
    last_end = -1
    for start, neg_len, _order, kind in sorted(candidates):
        end = start - neg_len
        if start >= last_end:
            found.append(Finding(kind, start, end, text[start:end]))
            last_end = end
    return found


def reference(ticket_id: str, index: int) -> str:
    """The placeholder that stands for secret number ``index`` of a ticket."""
    return f"[secret:{ticket_id}/{index}]"


def redact(text: str, ticket_id: str, first_index: int = 1) -> tuple[str, list[tuple[str, str]]]:
    """Replace each secret value by a reference; the same value always gets the same one.

    Returns the redacted text and ``[(reference, value)]`` for the vault, in order of first
    appearance. Runs to a fixed point, so redacting the result again changes nothing.
    """
    by_value: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for _ in range(_MAX_PASSES):
        findings = find_secrets(text)
        if not findings:
            break
        parts: list[str] = []
        pos = 0
        for f in findings:
            ref = by_value.get(f.value)
            if ref is None:
                ref = reference(ticket_id, first_index + len(pairs))
                by_value[f.value] = ref
                pairs.append((ref, f.value))
            parts.append(text[pos : f.start])
            parts.append(ref)
            pos = f.end
        parts.append(text[pos:])
        text = "".join(parts)
    return text, pairs
