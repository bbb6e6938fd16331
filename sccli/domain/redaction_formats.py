"""Detectors of credentials in machine formats: keys, tokens, configs, commands, XML.

Private keys, ``user:pass@`` URLs, fixed token shapes (GitHub, GitLab, Slack, AWS
``AKIA…``, JWT, ``sk-…``, Stripe, Google, Yandex, npm, Telegram bots), ``Bearer``/``Basic``
schemes, ``key=value`` configs and connection strings, labelled API tokens
(``API key: …``, ``GITHUB_TOKEN=…``), ``sqlplus a/b@db``, shell commands (``mysql -p…``,
``curl -u user:…``, ``sshpass -p …``) and XML (``<password>…``, ``<add key=… value=…/>``).
A syntax fixes where their values are; the detectors of values written in sentences and
forms, which must weigh the words around them, are in ``redaction_prose``.

A detector takes the text and its lowercase twin (same indexes) and yields candidate
``(kind, start, end)`` spans; ``sccli.domain.redaction`` runs them in order and keeps the
non-overlapping ones. Patterns run on the lowercase text and start with a literal or a
keyword (fast, and no position is tried by a costly prefix); the text gives values.

Pure: no I/O.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator

from .redaction_labels import NO_REF, PW_LITERALS, PW_WORDS, each, key_start, quote_ok
from .redaction_values import Values, head, is_prose, looks_secret, looks_token, word_before

__all__ = [
    "assigned_passwords",
    "auth_schemes",
    "fixed_tokens",
    "labelled_tokens",
    "private_keys",
    "shell_commands",
    "sqlplus",
    "url_credentials",
    "xml",
]

_PRIVATE_KEY_BEGIN = re.compile(r"-----begin (?:[a-z0-9]+ ){0,4}private key-----")
_PRIVATE_KEY_END = re.compile(r"-----end (?:[a-z0-9]+ ){0,4}private key-----")


def private_keys(text: str, low: str) -> Iterator[tuple[str, int, int]]:
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


def url_credentials(text: str, low: str) -> Iterator[tuple[str, int, int]]:
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


def fixed_tokens(text: str, low: str) -> Iterator[tuple[str, int, int]]:
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
                if bot is None or word_before(text, bot.start()):
                    continue
                start = bot.start()
            yield kind, start, end


_AUTH_SCHEME = re.compile(r"b(?:earer|asic)[ \t]+(?=[A-Za-z0-9])")
_AUTH_VALUE = re.compile(r"[A-Za-z0-9._~+/=\-]{8,}")


def auth_schemes(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    values = Values(text)
    for m in _AUTH_SCHEME.finditer(low):
        if word_before(low, m.start()):
            continue
        span = values.take(m.end())
        if span is None:
            continue
        value = head(text, *span)
        if _AUTH_VALUE.fullmatch(value) and (any(c.isdigit() for c in value) or looks_token(value)):
            yield "bearer-token", span[0], span[1]


# "Password=…;" in connection strings, query strings, .env and key=value configs.
_ASSIGNED_PASSWORD = each(
    PW_LITERALS, r"(?![\w-])(?P<q>[\"']?)[ \t]*(?::=|=>|=(?!=))[ \t]*" + NO_REF
)
_CONN_HINTS = each(
    (r"server", r"data source", r"host(?:name)?", r"user id", r"uid", r"database",
     r"initial catalog", r"dbname"),
    r"\s*=",
)


def _line_bounds(text: str, start: int, end: int, reach: int = 300) -> tuple[int, int]:
    """The line around ``start:end``, at most ``reach`` characters either side."""
    lo = text.rfind("\n", max(0, start - reach), start) + 1 or max(0, start - reach)
    hi = text.find("\n", end, end + reach)
    return lo, (hi if hi >= 0 else min(len(text), end + reach))


def assigned_passwords(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    hints: list[int] | None = None
    for rx in _ASSIGNED_PASSWORD:
        plain, quoted = Values(text, stop=";&\"'"), Values(text)
        last = -1
        for m in rx.finditer(low):
            pos = m.end()
            if pos < last:
                continue
            start = key_start(text, m.start("kw"))
            if start is None or not quote_ok(text, start, m.group("q")):
                continue
            span = (quoted if text[pos : pos + 1] in ('"', "'") else plain).take(pos)
            if not span:
                continue
            if is_prose(head(text, *span)):  # (a label as the value: refused by NO_REF)
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
_TOKEN_STRONG = each(
    _TOKEN_CORES,
    r"(?![\w-])(?P<q>[\"']?)(?:[ \t]+[^\s:=]{1,30}){0,2}?[ \t]*(?::(?!=)|:=|=>|=(?!=))\s*"
    + NO_REF,
)
# "API key 3f9a…": no separator, so only a token-like value (16 token characters).
_TOKEN_WEAK = each(_TOKEN_CORES, r"(?![\w-])\s+(?=[\"'«“„`]?[a-z0-9_\-.+/=~:]{16})")
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
    return None if start is None else key_start(text, start)


def labelled_tokens(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    for strong, patterns in ((True, _TOKEN_STRONG), (False, _TOKEN_WEAK)):
        for rx in patterns:
            values = Values(text)
            last = -1
            for m in rx.finditer(low):
                if m.end() < last:
                    continue
                start = _token_label(text, low, m)
                if start is None or (strong and not quote_ok(text, start, m.group("q"))):
                    continue
                span = values.take(m.end())
                if not span:
                    continue
                value = head(text, *span)
                if value.lower() in ("bearer", "basic") or is_prose(value):
                    continue
                if looks_token(value) or (strong and len(value) >= 8 and looks_secret(value)):
                    last = span[1]
                    yield "api-token", span[0], span[1]


_SQLPLUS = each(
    (r"sqlplus", r"conn(?:ect)?"), r"\s+[^\s/@]{1,128}/(?P<v>[^\s@/]{1,256})@\w"
)


def sqlplus(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    for rx in _SQLPLUS:
        for m in rx.finditer(low):
            if not word_before(low, m.start()):
                yield "connection-string", m.start("v"), m.end("v")


# Shell: "mysql -uroot -pS3cret" (the value glued to -p), "curl -u user:secret",
# "sshpass -p secret". An option counts only on the line of its command: "-u 1000:1000" of
# docker is no credential.
_MYSQL_CMD = each(
    (r"mysql(?:dump|admin|import|check|sh|slap)?", r"mariadb(?:-dump|-admin)?"),
    r"(?:\.exe)?[ \t]",
)
_MYSQL_P = re.compile(r"[ \t]-p(?=[^\s-])")
_CURL_CMD = each((r"curl",), r"(?:\.exe)?[ \t]")
_CURL_USER = re.compile(r"[ \t](?:-u|--user)(?:[ \t]+|=)(?P<q>[\"']?)[^\s:\"']{1,128}:(?=\S)")
_SSHPASS = re.compile(r"sshpass[ \t]+-p[ \t]*(?=\S)")
_SHELL: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    *(("password", command, _MYSQL_P) for command in _MYSQL_CMD),
    *(("login-password", command, _CURL_USER) for command in _CURL_CMD),
)


def shell_commands(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    for kind, command, option in _SHELL:
        values, quoted = Values(text), Values(text, stop="\"'")
        covered = 0  # options are scanned once: each command's window starts after the last
        last = -1
        for cmd in command.finditer(low):
            if word_before(low, cmd.start()):
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
                if span and not is_prose(head(text, *span)):
                    last = span[1]
                    yield kind, span[0], span[1]
    values = Values(text)
    for m in _SSHPASS.finditer(low):
        span = values.take(m.end())
        if span and not word_before(low, m.start()) and not is_prose(head(text, *span)):
            yield "password", span[0], span[1]


# XML: <password>…</password>, <db:Password>…</db:Password>; and the .NET/Java pairs
# <add key="SmtpPassword" value="…"/>, <property name="password" value="…"/>.
_XML_ELEMENT = re.compile(
    r"<(?P<tag>(?:[a-z0-9_.\-]{1,40}:)?[a-z0-9_.]{0,60}?(?P<kw>" + PW_WORDS + r"))>"
    r"(?P<v>[^<\n]{1,512})</(?P=tag)>"
)
_XML_PAIR = tuple(
    re.compile(
        attr + r"[ \t]*=[ \t]*(?P<q>[\"'])(?P<key>[a-z0-9_.:\-]{0,60}?(?P<kw>" + PW_WORDS
        + r"|secret|token|api_?key))(?P=q)[ \t]+value[ \t]*=[ \t]*"
        r"(?:\"(?P<v>[^\"\n]{1,512})\"|'(?P<w>[^'\n]{1,512})')"
    )
    for attr in ("key", "name")
)


def xml(text: str, low: str) -> Iterator[tuple[str, int, int]]:
    for m in _XML_ELEMENT.finditer(low):
        tag, kw = m.start("tag"), m.start("kw")
        local = low.rfind(":", tag, kw) + 1 or tag
        if local < kw and key_start(text, kw) != local:
            continue  # <bypass>, <compass>
        raw = text[m.start("v") : m.end("v")]
        value = raw.strip()
        if value and not is_prose(value):
            start = m.start("v") + raw.index(value)
            yield "password", start, start + len(value)
    for rx in _XML_PAIR:
        for m in rx.finditer(low):
            if word_before(low, m.start()):
                continue
            key, kw = m.start("key"), m.start("kw")
            local = low.rfind(":", key, kw) + 1 or key
            if local < kw and key_start(text, kw) != local:
                continue
            group = "v" if m.group("v") is not None else "w"
            value = text[m.start(group) : m.end(group)]
            if not is_prose(value):
                yield "password", m.start(group), m.end(group)
