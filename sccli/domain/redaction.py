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

Pure: no I/O. The vault lives in ``sccli.secrets``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from typing import NamedTuple

from .model import DomainError

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

# --- value extraction ---------------------------------------------------------------------

# Values are examined at most this long; longer runs are taken whole but judged by their
# head (and never re-scanned: see _Values).
_MAX_VALUE = 1024
_MAX_QUOTED = 512
_QUOTES = {'"': '"', "'": "'", "«": "»", "“": "”", "„": "“", "`": "`"}
# A quoted value ends on its line; in "…" a backslash escapes the next character (JSON).
_QUOTED = {
    open_: re.compile(
        rf'"((?:[^"\\\n]|\\[^\n]){{1,{_MAX_QUOTED}}})"'
        if open_ == '"'
        else f"{re.escape(open_)}([^{re.escape(close)}\\n]{{1,{_MAX_QUOTED}}}){re.escape(close)}"
    )
    for open_, close in _QUOTES.items()
}
_TRAIL = ".,;:»\"'”“`"
_PAIRS = {")": "(", "]": "[", "}": "{"}
_RUNS: dict[str, re.Pattern[str]] = {}


def _run_re(stop: str) -> re.Pattern[str]:
    rx = _RUNS.get(stop)
    if rx is None:
        rx = _RUNS[stop] = re.compile(rf"[^\s{re.escape(stop)}]+" if stop else r"\S+")
    return rx


class _Values:
    """Takes values from one text for one detector: quoted strings or runs of non-space.

    The end of the last run scanned is cached: labels repeated inside one long run
    ("pwd=pwd=pwd=…") share one scan instead of each scanning to the run's end.
    """

    __slots__ = ("hi", "lo", "run", "text")

    def __init__(self, text: str, stop: str = "") -> None:
        self.text = text
        self.run = _run_re(stop)
        self.lo = self.hi = -1

    def take(self, pos: int) -> tuple[int, int] | None:
        """Span of the value starting at ``pos``, sentence punctuation trimmed."""
        text = self.text
        if pos >= len(text):
            return None
        quoted = _QUOTED.get(text[pos])
        if quoted is not None:
            if pos and text[pos - 1] == "\\":  # an escaped quote opens nothing
                return None
            m = quoted.match(text, pos)
            return m.span(1) if m else None
        if self.lo <= pos < self.hi:
            end = self.hi
        else:
            run = self.run.match(text, pos)
            if run is None:
                return None
            end = run.end()
            self.lo, self.hi = pos, end
        return _trim(text, pos, end)


def _trim(text: str, pos: int, end: int) -> tuple[int, int] | None:
    """Drop sentence punctuation and unbalanced closing brackets glued to a value."""
    if end - pos > _MAX_VALUE:
        for _ in range(16):
            if text[end - 1] not in _TRAIL:
                break
            end -= 1
        return pos, end
    counts: dict[str, int] | None = None
    while end > pos:
        ch = text[end - 1]
        if ch in _TRAIL:
            end -= 1
            continue
        opener = _PAIRS.get(ch)
        if opener is None:
            break
        if counts is None:
            counts = {c: text.count(c, pos, end) for c in "()[]{}"}
        if counts[opener] >= counts[ch]:
            break
        counts[ch] -= 1
        end -= 1
    return (pos, end) if end > pos else None


def _head(text: str, start: int, end: int) -> str:
    """The value, or its first _MAX_VALUE characters: what the checks look at."""
    return text[start : min(end, start + _MAX_VALUE)]


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
    "true false yes off please your yours my our their his her ваш ваша свой своя",
    "пожалуйста hidden redacted removed скрыт скрыто удален удалён",
    # English prose after "password" ("the account with its password under which …")
    "under which with whose whom where you we they used via through into when while",
)
_STOPWORDS = frozenset(w for line in _STOPWORD_LINES for w in line.split())

_CYRILLIC_WORD = re.compile(r"[А-Яа-яЁё]+(?:-[А-Яа-яЁё]+)*")
_MASK = re.compile(r"[*•xX.·]+")
_PLACEHOLDER = re.compile(r"%\w+%|%\(\w+\)s|\$\w+|\{\w*\}")


def _is_prose(value: str) -> bool:
    """True for values that are words of a sentence, masks or placeholders."""
    if value.startswith(("<", "{", "$", "[")):
        return True
    core = value.strip("()[]{}«»\"'")
    return (
        not core
        or (len(core) <= 16 and core.lower() in _STOPWORDS)
        or _CYRILLIC_WORD.fullmatch(core) is not None
        or _MASK.fullmatch(core) is not None
        or _PLACEHOLDER.fullmatch(value) is not None
        or ("***" in value and value.count("*") * 2 >= len(value))
    )


_DIGIT = re.compile(r"\d")
_ALPHA = re.compile(r"[^\W\d_]")
_SYMBOL = re.compile(r"[\W_]")


def _looks_secret(value: str) -> bool:
    """Password-like on its own: letters mixed with digits/symbols, or inner capitals."""
    if len(value) < 4 or _is_prose(value):
        return False
    if _DIGIT.search(value) or (_ALPHA.search(value) and _SYMBOL.search(value)):
        return True
    tail = value[1:]  # inner capitals ("QwErty"), with lowercase letters too
    return tail.lower() != tail and value.upper() != value


_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-.+/=~:]+")


def _looks_token(value: str) -> bool:
    """API-token-like: long and made of token characters, with digits or mixed case."""
    if len(value) < 16 or _TOKEN_CHARS.fullmatch(value) is None:
        return False
    return any(c.isdigit() for c in value) or (
        any(c.isupper() for c in value) and any(c.islower() for c in value)
    )


def _lower(text: str) -> str:
    """``text.lower()`` with the same length, so indexes are shared (İ lowers to 2 chars)."""
    return (text.replace("\u0130", "i") if "\u0130" in text else text).lower()


def _word_before(text: str, pos: int) -> bool:
    """True if ``text[pos - 1]`` continues a word (``(?<![\\w-])`` fails at ``pos``)."""
    if pos <= 0:
        return False
    ch = text[pos - 1]
    return ch.isalnum() or ch in "_-"


def _line_bounds(text: str, start: int, end: int, reach: int = 300) -> tuple[int, int]:
    """The line around ``start:end``, at most ``reach`` characters either side."""
    lo = text.rfind("\n", max(0, start - reach), start) + 1 or max(0, start - reach)
    hi = text.find("\n", end, end + reach)
    return lo, (hi if hi >= 0 else min(len(text), end + reach))


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


def _key_start(text: str, kw: int, compound: bool = True) -> int | None:
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


# --- detectors -------------------------------------------------------------------------
#
# A detector takes the text and its lowercase twin (same indexes) and yields candidate
# (kind, start, end) spans. Patterns run on the lowercase text and start with a literal or
# a keyword (fast, and no position is tried by a costly prefix); the text gives values.

_Detector = Callable[[str, str], Iterator[tuple[str, int, int]]]

_PRIVATE_KEY_BEGIN = re.compile(r"-----begin (?:[a-z0-9]+ ){0,4}private key-----")
_PRIVATE_KEY_END = re.compile(r"-----end (?:[a-z0-9]+ ){0,4}private key-----")


def _private_keys(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    pos = 0
    while (begin := _PRIVATE_KEY_BEGIN.search(low, pos)) is not None:
        end = _PRIVATE_KEY_END.search(low, begin.end())
        if end is None:
            return  # no END after this BEGIN, so none after any later BEGIN either
        yield "private-key", begin.start(), end.end()
        pos = end.end()


# "scheme://user:password@host": the scheme is checked by hand (a regex starting with it
# would try every letter of the text).
_URL_CRED = re.compile(r"://[^\s:/@\[\]]{0,256}:(?P<v>[^\s@/\[\]]{1,256})@[\w\[]")


def _url_credentials(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    for m in _URL_CRED.finditer(text):
        s = m.start()
        if s and (text[s - 1].isalnum() or text[s - 1] in "+.-"):
            yield "url-credentials", m.start("v"), m.end("v")


# Fixed shapes. Each pattern starts with a literal (the scan jumps from one occurrence to
# the next) and checks the character before it right after (``(?<![\w-]ghp_)``), so the
# positions inside a long run fail at once.
_FIXED_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("github-token", re.compile(r"gh[pousr]_(?<![\w-]gh._)[A-Za-z0-9]{30,}+")),
    ("github-token", re.compile(r"github_pat_(?<![\w-]github_pat_)\w{30,}+")),
    ("gitlab-token", re.compile(r"glpat-(?<![\w-]glpat-)[A-Za-z0-9_\-]{20,}+")),
    ("slack-token", re.compile(r"xox[abposr]-(?<![\w-]xox.-)[A-Za-z0-9\-]{10,}+")),
    (
        "aws-access-key",
        re.compile(
            r"A(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA|PKA|BIA|CCA)(?<![A-Za-z0-9]....)"
            r"[A-Z0-9]{16}(?![A-Za-z0-9])"
        ),
    ),
    (
        "jwt",
        re.compile(r"eyJ(?<![\w-]eyJ)[A-Za-z0-9_\-]{8,}+\.eyJ[A-Za-z0-9_\-]{8,}+\.[A-Za-z0-9_\-]{8,}+"),
    ),
    ("api-key", re.compile(r"sk-(?<![\w-]sk-)[A-Za-z0-9_\-]{20,}+")),  # OpenAI, Anthropic
    ("api-token", re.compile(r"k_(?<![\w-][sr]k_)(?:live|test)_[A-Za-z0-9]{16,}+")),  # Stripe
    ("api-token", re.compile(r"AIza(?<![\w-]AIza)[0-9A-Za-z_\-]{35}(?![\w-])")),  # Google
    ("api-token", re.compile(r"y0_(?<![\w-]y0_)[A-Za-z0-9_\-]{40,}+")),  # Yandex OAuth
    ("api-token", re.compile(r"npm_(?<![\w-]npm_)[A-Za-z0-9]{36}(?![\w-])")),
    ("telegram-token", re.compile(r":AA(?<=\d:AA)[A-Za-z0-9_\-]{33}(?![\w-])")),
)
_TELEGRAM_ID = re.compile(r"\d{8,10}\Z")


def _fixed_tokens(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    for kind, rx in _FIXED_TOKENS:
        for m in rx.finditer(text):
            start, end = m.span()
            if kind == "api-key":  # "sk-learn-something-long" is no key
                value = text[start:end]
                if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value[3:])):
                    continue
                kind = "api-token"
            elif kind == "api-token" and text.startswith("k_", start):
                start -= 1  # the "s" or "r" of "sk_live_"
            elif kind == "telegram-token":  # "123456789:AA…": the bot id belongs to the token
                bot = _TELEGRAM_ID.search(text, max(0, start - 10), start)
                if bot is None or _word_before(text, bot.start()):
                    continue
                start = bot.start()
            yield kind, start, end


def _each(words: tuple[str, ...], tail: str) -> tuple[re.Pattern[str], ...]:
    """One pattern per keyword, each starting with the keyword's literal letters.

    A pattern that starts with a literal is scanned by jumping from one occurrence to the
    next; an alternation of keywords would start a match attempt at every letter that
    begins one of them (a run of "a"s costs a third of a second).
    """
    return tuple(re.compile(f"(?P<kw>{word}){tail}") for word in words)


_AUTH_SCHEME = re.compile(r"b(?:earer|asic)[ \t]+(?=[A-Za-z0-9])")
_AUTH_VALUE = re.compile(r"[A-Za-z0-9._~+/=\-]{8,}")


def _auth_schemes(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    values = _Values(text)
    for m in _AUTH_SCHEME.finditer(low):
        if _word_before(low, m.start()):
            continue
        span = values.take(m.end())
        if span is None:
            continue
        value = _head(text, *span)
        if _AUTH_VALUE.fullmatch(value) and (any(c.isdigit() for c in value) or _looks_token(value)):
            yield "bearer-token", span[0], span[1]


_PW_LITERALS = (r"парол[ьяеюи]\w*", r"пасс(?:ворд)?", r"pass(?:words?|wd|phrase|code)?", r"pwd")
_PW_WORDS = "(?:" + "|".join(_PW_LITERALS) + ")"
# Values no label takes, refused by the pattern itself (cheaper than a match handed to
# Python): a reference or placeholder ("[secret:…]", "<…>", "{{…}}", "${…}"), another label
# ("password=password=…"), a lone Russian word ("пароль: см. ниже").
_NO_REF = (
    r"(?![\"'«“„`]?(?:[\[<{$]|парол|pass|pwd))"
    r"(?![а-яё]+(?:-[а-яё]+)*(?:[\s.,;:)»\"']|$))"
)
# "Password=…;" in connection strings, query strings, .env and key=value configs.
_ASSIGNED_PASSWORD = _each(
    _PW_LITERALS, r"(?![\w-])(?P<q>[\"']?)[ \t]*(?::=|=>|=(?!=))[ \t]*" + _NO_REF
)
_CONN_HINTS = _each(
    (r"server", r"data source", r"host(?:name)?", r"user id", r"uid", r"database",
     r"initial catalog", r"dbname"),
    r"\s*=",
)
_PW_WORD = re.compile(r"(?:парол|pass|pwd)")


def _quote_ok(text: str, start: int, quote: str) -> bool:
    """A key quoted after its keyword ("password") is quoted before it too."""
    return not quote or (start > 0 and text[start - 1] == quote)


def _assigned_passwords(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    hints: list[int] | None = None
    for rx in _ASSIGNED_PASSWORD:
        plain, quoted = _Values(text, stop=";&\"'"), _Values(text)
        last = -1
        for m in rx.finditer(low):
            pos = m.end()
            if pos < last:
                continue
            start = _key_start(text, m.start("kw"))
            if start is None or not _quote_ok(text, start, m.group("q")):
                continue
            span = (quoted if text[pos : pos + 1] in ('"', "'") else plain).take(pos)
            if not span:
                continue
            if _is_prose(_head(text, *span)):  # (a label as the value: refused by _NO_REF)
                continue
            if hints is None:  # "Server=…;Password=…": where connection-string keys are
                hints = sorted(h.start() for hint in _CONN_HINTS for h in hint.finditer(low))
            kind = "password"
            if hints:
                lo, hi = _line_bounds(low, m.start(), span[1])
                i = bisect_left(hints, lo)
                if i < len(hints) and hints[i] < hi:
                    kind = "connection-string"
            last = span[1]
            yield kind, span[0], span[1]


# Token labels, by their last word: "token" ("access token", "GITHUB_TOKEN",
# "X-Auth-Token"), "secret" ("client_secret"), "key" after "api", "secret"… ("x-api-key",
# "OPENAI_API_KEY"), "токен…", "ключ…" after "api"/"секретный" or before "api".
_TOKEN_CORES = (r"token", r"secret", r"токен\w*", r"key", r"ключ\w*(?P<api>\s+api)?")
# "Токен доступа GitLab: …" — up to two qualifying words before a colon or "=".
_TOKEN_STRONG = _each(
    _TOKEN_CORES,
    r"(?![\w-])(?P<q>[\"']?)(?:[ \t]+[^\s:=]{1,30}){0,2}?[ \t]*(?::(?!=)|:=|=>|=(?!=))\s*"
    + _NO_REF,
)
# "API key 3f9a…": no separator, so only a token-like value (16 token characters).
_TOKEN_WEAK = _each(_TOKEN_CORES, r"(?![\w-])\s+(?=[\"'«“„`]?[a-z0-9_\-.+/=~:]{16})")
_KEY_QUALIFIER = re.compile(
    r"(?:x-api|api|secret|access|private|encryption|signing|master|client)[ _-]?\Z"
)
_KLUCH_QUALIFIER = re.compile(r"(?:api[ -]|секретн\w*\s+)\Z")


def _token_label(text: str, low: str, m: re.Match[str]) -> int | None:
    """Where the token label of ``m`` starts (its keys' rules apply), or None."""
    kw = m.start("kw")
    start: int | None = kw
    if low.startswith("key", kw):
        qualifier = _KEY_QUALIFIER.search(low, max(0, kw - 16), kw)
        start = qualifier.start() if qualifier else None
    elif low.startswith("ключ", kw) and not m.group("api"):
        qualifier = _KLUCH_QUALIFIER.search(low, max(0, kw - 40), kw)
        start = qualifier.start() if qualifier else None
    elif kw and low[kw - 1] == "-":  # a header name: "X-Auth-Token"
        start = kw - 1
        while start > max(0, kw - 40) and (low[start - 1].isalnum() or low[start - 1] == "-"):
            start -= 1
    return None if start is None else _key_start(text, start)


def _labelled_tokens(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    for strong, patterns in ((True, _TOKEN_STRONG), (False, _TOKEN_WEAK)):
        for rx in patterns:
            values = _Values(text)
            last = -1
            for m in rx.finditer(low):
                if m.end() < last:
                    continue
                start = _token_label(text, low, m)
                if start is None or (strong and not _quote_ok(text, start, m.group("q"))):
                    continue
                span = values.take(m.end())
                if not span:
                    continue
                value = _head(text, *span)
                if value.lower() in ("bearer", "basic") or _is_prose(value):
                    continue
                if _looks_token(value) or (strong and len(value) >= 8 and _looks_secret(value)):
                    last = span[1]
                    yield "api-token", span[0], span[1]


_SQLPLUS = _each(
    (r"sqlplus", r"conn(?:ect)?"), r"\s+[^\s/@]{1,128}/(?P<v>[^\s@/]{1,256})@\w"
)


def _sqlplus(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    for rx in _SQLPLUS:
        for m in rx.finditer(low):
            if not _word_before(low, m.start()):
                yield "connection-string", m.start("v"), m.end("v")


# Shell: "mysql -uroot -pS3cret" (the value glued to -p), "curl -u user:secret",
# "sshpass -p secret". An option counts only on the line of its command: "-u 1000:1000" of
# docker is no credential.
_MYSQL_CMD = _each(
    (r"mysql(?:dump|admin|import|check|sh|slap)?", r"mariadb(?:-dump|-admin)?"),
    r"(?:\.exe)?[ \t]",
)
_MYSQL_P = re.compile(r"[ \t]-p(?=[^\s-])")
_CURL_CMD = _each((r"curl",), r"(?:\.exe)?[ \t]")
_CURL_USER = re.compile(r"[ \t](?:-u|--user)(?:[ \t]+|=)(?P<q>[\"']?)[^\s:\"']{1,128}:(?=\S)")
_SSHPASS = re.compile(r"sshpass[ \t]+-p[ \t]*(?=\S)")
_SHELL: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    *(("password", command, _MYSQL_P) for command in _MYSQL_CMD),
    *(("login-password", command, _CURL_USER) for command in _CURL_CMD),
)


def _shell_commands(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    for kind, command, option in _SHELL:
        values, quoted = _Values(text), _Values(text, stop="\"'")
        covered = 0  # options are scanned once: each command's window starts after the last
        last = -1
        for cmd in command.finditer(low):
            if _word_before(low, cmd.start()):
                continue
            line_end = low.find("\n", cmd.end(), cmd.end() + 1000)
            hi = line_end if line_end >= 0 else min(len(low), cmd.end() + 1000)
            lo = max(cmd.end() - 1, covered)
            if lo >= hi:
                continue
            covered = hi
            for opt in option.finditer(text, lo, min(len(text), hi + 3)):
                if opt.start() >= hi:
                    break
                if opt.end() < last:
                    continue
                span = (quoted if opt.groupdict().get("q") else values).take(opt.end())
                if span and not _is_prose(_head(text, *span)):
                    last = span[1]
                    yield kind, span[0], span[1]
    values = _Values(text)
    for m in _SSHPASS.finditer(low):
        span = values.take(m.end())
        if span and not _word_before(low, m.start()) and not _is_prose(_head(text, *span)):
            yield "password", span[0], span[1]


# XML: <password>…</password>, <db:Password>…</db:Password>; and the .NET/Java pairs
# <add key="SmtpPassword" value="…"/>, <property name="password" value="…"/>.
_XML_ELEMENT = re.compile(
    r"<(?P<tag>(?:[a-z0-9_.\-]{1,40}:)?[a-z0-9_.]{0,60}?(?P<kw>" + _PW_WORDS + r"))>"
    r"(?P<v>[^<\n]{1,512})</(?P=tag)>"
)
_XML_PAIR = tuple(
    re.compile(
        attr + r"[ \t]*=[ \t]*(?P<q>[\"'])(?P<key>[a-z0-9_.:\-]{0,60}?(?P<kw>" + _PW_WORDS
        + r"|secret|token|api_?key))(?P=q)[ \t]+value[ \t]*=[ \t]*"
        r"(?:\"(?P<v>[^\"\n]{1,512})\"|'(?P<w>[^'\n]{1,512})')"
    )
    for attr in ("key", "name")
)


def _xml(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    for m in _XML_ELEMENT.finditer(low):
        tag, kw = m.start("tag"), m.start("kw")
        local = low.rfind(":", tag, kw) + 1 or tag
        if local < kw and _key_start(text, kw) != local:
            continue  # <bypass>, <compass>
        raw = text[m.start("v") : m.end("v")]
        value = raw.strip()
        if value and not _is_prose(value):
            start = m.start("v") + raw.index(value)
            yield "password", start, start + len(value)
    for rx in _XML_PAIR:
        for m in rx.finditer(low):
            if _word_before(low, m.start()):
                continue
            key, kw = m.start("key"), m.start("kw")
            local = low.rfind(":", key, kw) + 1 or key
            if local < kw and _key_start(text, kw) != local:
                continue
            group = "v" if m.group("v") is not None else "w"
            value = text[m.start(group) : m.end(group)]
            if not _is_prose(value):
                yield "password", m.start(group), m.end(group)


# Login labels; a pair label ("логин/пароль", "credentials") also allows "login:secret".
_PAIR_LABELS = _each(
    (r"логин", r"login", r"user(?:name)?", r"пользовател\w*", r"учётк\w*", r"учетк\w*",
     r"учётн\w*\s+(?:запис|данн)\w*", r"учетн\w*\s+(?:запис|данн)\w*", r"account",
     r"cred(?:entials|s)", r"креды", r"доступы?"),
    r"(?P<pair>\s*(?:/|и|and|,)\s*(?:пароль|password|pass))?(?:\s*[:=—–-]\s*|\s+)"
    r"(?P<login>[^\s/:,;<>&?=]{1,128}+)(?P<sep>\s*/\s*|:)(?!/|парол|pass|pwd)",
)
_PAIR_WORDS = re.compile(r"cred(?:entials|s)|креды|доступы?|уч[её]тн\w*\s+данн\w*")


def _login_pairs(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    """``логин/пароль: admin/Qwerty1``, ``доступ: ivanov / P@ss`` — the part after the slash."""
    for rx in _PAIR_LABELS:
        values = _Values(text)
        last = -1
        for m in rx.finditer(low):
            if m.end() < last or _word_before(low, m.start()):
                continue
            pair = m.group("pair") is not None or _PAIR_WORDS.fullmatch(m.group("kw")) is not None
            if _PW_WORD.match(m.group("login")) or (m.group("sep") == ":" and not pair):
                continue
            span = values.take(m.end())
            if span is None:
                continue
            value = _head(text, *span)
            if _is_prose(value) or (not pair and _word_in_prose(text, value, span[1])):
                continue
            last = span[1]
            yield "login-password", span[0], span[1]


def _word_in_prose(text: str, value: str, end: int) -> bool:
    """A plain word that a sentence goes on after ("user ivanov / role Administrator").

    A password-like value, or a word that ends its line or clause ("olga@acme.ru /
    secret"), is taken; the caller's label or address is no proof the word is a password.
    """
    if not value.isalpha() or _looks_secret(value):
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


def _email_pairs(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    values = _Values(text)
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
        value = _head(text, *span)
        if (
            len(value) < 4
            or _is_prose(value)
            or _PW_WORD.match(value.lower())
            or "://" in value
            or _EMAIL.fullmatch(value)
            or _PHONE.fullmatch(value)
            or (value.isalpha() and not value.islower() and not _looks_secret(value))
            or _word_in_prose(text, value, span[1])
        ):
            continue  # "olga@acme.ru / Olga", "/ +7 999 …", "/ it@acme.ru"
        yield "login-password", span[0], span[1]


# "пароль для входа: X", "password - X", "db_password: X", '"pass": "X"': a colon or a dash,
# qualifiers allowed before it.
_PASSWORD_STRONG = _each(
    _PW_LITERALS,
    r"(?![\w-])(?P<q>[\"']?)"
    r"(?:\s+(?:для|от|к|ко|на|у|в|пользовател\w*|админ\w*|администратор\w*|for|of|to|"
    r"on|at|user|admin)(?:\s+[^\s:=—–]{1,40}){0,3}?)?(?:\s*\([^()\n]{1,40}\))?"
    r"(?:[ \t]*:(?!=)\s*|\s+-+\s+|\s*[—–]\s*)" + _NO_REF,
)
# "пароль Qwerty1", "password is Welcome1": only password-like values or a login context,
# on the same line ("…login or password\nPlease fix" is no password).
_PASSWORD_WEAK = _each(
    (r"парол[ьяеюи]\w*", r"pass(?:word|wd)", r"pwd"),
    r"(?![\w-])(?:[ \t]+(?:is|будет|такой))?[ \t]+" + _NO_REF,
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


def _labelled_passwords(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    """``пароль: X``, ``password - X``, ``пароль Supervisor`` (the last only in a login context)."""
    for strong, patterns in ((True, _PASSWORD_STRONG), (False, _PASSWORD_WEAK)):
        for rx in patterns:
            values = _Values(text)
            last = -1
            for m in rx.finditer(low):
                if m.end() < last:
                    continue
                kw = m.start("kw")
                start = _key_start(text, kw, compound=strong)
                if start is None or (strong and not _quote_ok(text, start, m.group("q"))):
                    continue
                # "логин/пароль: a/b" belongs to the pair detector, which keeps the login.
                if _after_pair_label(low, start):
                    continue
                span = values.take(m.end())
                if not span:
                    continue
                value = _head(text, *span)
                if _is_prose(value) or "://" in value:  # (a label as the value: see _NO_REF)
                    continue
                if text.startswith(":", span[1]) and value.isalpha():
                    continue  # an empty form field followed by the next label ("URL:")
                if not (strong or _looks_secret(value)):
                    line_start = low.rfind("\n", max(0, kw - 100), kw) + 1 or max(0, kw - 100)
                    before = _LOGIN_BEFORE.search(low, line_start, kw)
                    if (
                        before is None
                        or _is_prose(before.group("login"))
                        or not _WORD.search(value)
                    ):
                        continue
                last = span[1]
                yield "password", span[0], span[1]


# "Qwerty123 is my password", "Qwerty123 — мой пароль": the value before the label. Each
# pattern starts with a space and its connector, a literal.
_PASSWORD_AFTER = _each(
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


def _passwords_before(text: str, low: str) -> Iterator[tuple[str, int, int]]:
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
        if len(value) >= 4 and not _is_prose(value):
            return start + 1, end - 1
        return None
    while start < end and text[start] in "([«\"'“„`":
        start += 1
    trimmed = _trim(text, start, end)
    if trimmed is None:
        return None
    value = text[trimmed[0] : trimmed[1]]
    if (
        len(value) >= 6
        and _looks_secret(value)
        and _ALPHA.search(value)
        and not _PW_WORD.match(value.lower())
    ):
        return trimmed
    return None


# Order breaks ties between candidates with the same span: specific kinds first.
_DETECTORS: tuple[_Detector, ...] = (
    _private_keys,
    _url_credentials,
    _fixed_tokens,
    _auth_schemes,
    _assigned_passwords,
    _xml,
    _labelled_tokens,
    _sqlplus,
    _shell_commands,
    _login_pairs,
    _email_pairs,
    _labelled_passwords,
    _passwords_before,
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
