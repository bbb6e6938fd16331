"""The one HTTP layer every adapter uses: timeouts, retries, rate limits, ETags, budget.

Why shared: each tracker has its own throttling dialect (GitHub ``x-ratelimit-*`` and
secondary limits, GitLab ``RateLimit-*``, Jira ``Retry-After``/``X-RateLimit-Reset``), and
getting waits, retries and secret hygiene right once is cheaper than six times. Clock, sleep
and randomness are injected so tests never sleep.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from sccli.adapters.base import (
    AuthError,
    BudgetExhausted,
    NotFound,
    RateLimited,
    TrackerError,
    Unreachable,
    ValidationError,
)

__all__ = [
    "AuthError",
    "BudgetExhausted",
    "HttpClient",
    "HttpFactory",
    "NotFound",
    "RateLimited",
    "RequestBudget",
    "TrackerError",
    "Unreachable",
    "ValidationError",
    "redact",
]

log = logging.getLogger("sccli.http")

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
READS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
SECRET_HEADERS = ("authorization", "private-token", "x-redmine-api-key", "x-api-key", "cookie")

_REDACTIONS = [
    (re.compile(r"(?i)\b(authorization|proxy-authorization)(['\"]?\s*[:=]\s*['\"]?)[^'\"\n,}]+"),
     r"\1\2***"),
    (re.compile(r"(?i)\b(private-token|x-redmine-api-key|x-api-key|cookie)(['\"]?\s*[:=]\s*['\"]?)"
                r"[^'\"\s,}]+"), r"\1\2***"),
    (re.compile(r"(?i)([?&;](?:access_token|private_token|api_key|apikey|key|token)=)[^&#\s'\"]+"),
     r"\1***"),
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=\-]{8,}"), r"\1 ***"),
    (re.compile(r"(?i)(https?://)[^/\s:@]+:[^/\s@]+@"), r"\1***@"),
]


def redact(text: object, secrets: Iterable[str] = ()) -> str:
    """``text`` with credentials masked: known secret values, auth headers, token params."""
    out = str(text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            out = out.replace(secret, "***")
    for pattern, repl in _REDACTIONS:
        out = pattern.sub(repl, out)
    return out


class RequestBudget:
    """At most ``limit`` quota-costing requests per run (None: unlimited); 304s are refunded."""

    def __init__(self, limit: int | None = None):
        self.limit, self.used = limit, 0

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

    def charge(self, tracker: str | None = None) -> None:
        if self.limit is not None and self.used >= self.limit:
            raise BudgetExhausted(f"request budget of {self.limit} for this run is spent", tracker)
        self.used += 1

    def refund(self) -> None:
        self.used = max(0, self.used - 1)


class HttpFactory:
    """Builds ``HttpClient``s sharing timeouts, retry policy, budget, counters and clock."""

    def __init__(
        self,
        timeout: tuple[float, float] = (5, 30),
        max_retries: int = 4,
        budget: RequestBudget | None = None,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        user_agent: str = "sccli",
    ):
        self.timeout, self.max_retries, self.max_wait = timeout, max_retries, max_wait
        self.budget = budget or RequestBudget(None)
        self.sleep, self.clock, self.rng = sleep, clock, rng
        self.backoff_base, self.backoff_cap, self.user_agent = backoff_base, backoff_cap, user_agent
        self.requests_made = 0  # every request sent, 304s included
        self.writes_made = 0
        self.not_modified = 0  # 304 answers served from the ETag cache

    def session(self) -> requests.Session:
        """A session without urllib3 retries (we retry ourselves) and a modest pool."""
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=4)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["User-Agent"] = self.user_agent
        return session

    def client(
        self,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        write_interval: float = 0.0,
        etag_cache: MutableMapping[str, Any] | None = None,
        name: str | None = None,
    ) -> HttpClient:
        return HttpClient(self, base_url, headers or {}, write_interval, etag_cache, name)

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, base·2ⁿ], capped."""
        return self.rng() * min(self.backoff_cap, self.backoff_base * 2**attempt)


class HttpClient:
    """Requests against one tracker; raises the adapter errors, never requests' own."""

    def __init__(
        self,
        factory: HttpFactory,
        base_url: str,
        headers: Mapping[str, str],
        write_interval: float,
        etag_cache: MutableMapping[str, Any] | None,
        name: str | None,
    ):
        self.factory = factory
        self.base_url = base_url.rstrip("/") + "/"
        self.session = factory.session()
        self.session.headers.update(headers)
        self.write_interval = write_interval
        self.etag_cache = etag_cache
        self.name = name or urlsplit(base_url).netloc
        self.secrets = tuple(v for k, v in headers.items() if k.lower() in SECRET_HEADERS)
        self.secrets += tuple(v.split(None, 1)[1] for v in self.secrets if " " in v)
        self._last_write: float | None = None
        self._blocked_until: float | None = None  # a quota known to be empty until then

    # ------------------------------------------------------------------ helpers
    def redact(self, text: object) -> str:
        return redact(text, self.secrets)

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return urljoin(self.base_url, path_or_url.lstrip("/"))

    def get(self, path: str, params: Mapping[str, Any] | None = None, **kw: Any):
        return self.request("GET", path, params=params, **kw)

    def post(self, path: str, json: Any = None, **kw: Any):
        return self.request("POST", path, json=json, expect=kw.pop("expect", (200, 201)), **kw)

    def put(self, path: str, json: Any = None, **kw: Any):
        return self.request("PUT", path, json=json, expect=kw.pop("expect", (200, 204)), **kw)

    # ------------------------------------------------------------------ core
    def request(
        self,
        method: str,
        path_or_url: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        expect: Iterable[int] = (200,),
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send with retries; return the response (a cached one on 304) or raise.

        ``idempotent`` overrides the method's default: Redmine adds a note with PUT, which
        must not be repeated after a lost answer.
        """
        method = method.upper()
        url = self.url(path_or_url)
        expect = tuple(expect)
        retry_errors = method in IDEMPOTENT if idempotent is None else idempotent
        f = self.factory
        for attempt in range(f.max_retries + 1):
            self._wait_for_quota()
            if method not in READS:
                self._space_writes()
            f.budget.charge(self.name)
            headers, cached = self._conditional_headers(method, url, params)
            started = f.clock()
            try:
                resp = self.session.request(
                    method, url, params=params, json=json, headers=headers, timeout=f.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                f.requests_made += 1
                log.debug("%s %s -> %s", method, self.redact(url), type(exc).__name__)
                if retry_errors and attempt < f.max_retries:
                    f.sleep(f.backoff(attempt))
                    continue
                raise Unreachable(
                    f"{method} {self._path(url)}: {self._why(exc)}", self.name
                ) from None
            except requests.RequestException as exc:
                raise TrackerError(f"{method} {self._path(url)}: {self._why(exc)}", self.name) from None
            f.requests_made += 1
            if method not in READS:
                f.writes_made += 1
                self._last_write = f.clock()
            log.debug("%s %s -> %s (%.2fs)", method, self.redact(resp.url or url),
                      resp.status_code, f.clock() - started)
            self._note_quota(resp)
            if resp.status_code == 304 and cached is not None:
                f.not_modified += 1
                f.budget.refund()
                return self._from_cache(cached, resp)
            wait = self._rate_limit_wait(resp)
            if wait is not None:
                if wait > f.max_wait:
                    raise RateLimited(self._at(wait), self.name)
                if attempt < f.max_retries:
                    f.sleep(wait)
                    continue
                raise RateLimited(self._at(wait), self.name)
            if resp.status_code in RETRY_STATUSES and retry_errors and attempt < f.max_retries:
                after = _retry_after(resp, f.clock())
                pause = after if after is not None else f.backoff(attempt)
                if pause > f.max_wait:
                    raise Unreachable(f"{method} {self._path(url)}: HTTP {resp.status_code}",
                                      self.name)
                f.sleep(pause)
                continue
            if resp.status_code in expect:
                self._remember(method, url, params, resp)
                return resp
            self._raise_for(method, url, resp)
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------ pieces
    def _path(self, url: str) -> str:
        parts = urlsplit(url)
        return self.redact(parts.path + (f"?{parts.query}" if parts.query else ""))

    def _why(self, exc: Exception) -> str:
        text = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
        return f"{text} ({self.redact(type(exc).__name__)})"

    def _at(self, wait: float) -> datetime:
        return datetime.fromtimestamp(self.factory.clock() + wait, UTC)

    def _space_writes(self) -> None:
        """GitHub asks for serial writes at least a second apart."""
        if self.write_interval <= 0 or self._last_write is None:
            return
        gap = self.write_interval - (self.factory.clock() - self._last_write)
        if gap > 0:
            self.factory.sleep(gap)

    def _wait_for_quota(self) -> None:
        """A previous answer said the quota is empty: wait for the reset or give up now."""
        if self._blocked_until is None:
            return
        wait = self._blocked_until - self.factory.clock()
        if wait <= 0:
            self._blocked_until = None
            return
        if wait > self.factory.max_wait:
            raise RateLimited(self._at(wait), self.name)
        self.factory.sleep(wait)
        self._blocked_until = None

    def _note_quota(self, resp: requests.Response) -> None:
        if 200 <= resp.status_code < 400:
            remaining = _first(resp.headers, "x-ratelimit-remaining", "ratelimit-remaining")
            if remaining is not None and remaining.strip() == "0":
                reset = _reset_wait(resp.headers, self.factory.clock())
                if reset is not None:
                    self._blocked_until = self.factory.clock() + reset

    def _rate_limit_wait(self, resp: requests.Response) -> float | None:
        """Seconds to wait when ``resp`` is a rate-limit refusal, else None."""
        status, headers, now = resp.status_code, resp.headers, self.factory.clock()
        if status not in (403, 429):
            return None  # a 503 with Retry-After is a 5xx: retried for idempotent calls only
        after = _retry_after(resp, now)
        remaining = _first(headers, "x-ratelimit-remaining", "ratelimit-remaining")
        limited = status == 429 or after is not None or (remaining or "").strip() == "0"
        if status == 403 and not limited:
            limited = "rate limit" in _api_message(resp).lower()  # GitHub secondary limit
            if limited:
                return 60.0  # GitHub: without headers, wait at least a minute
        if not limited:
            return None
        if after is not None:
            return after
        reset = _reset_wait(headers, now)
        if reset is not None:
            return reset
        return self.factory.backoff(0) + 1.0

    def _conditional_headers(self, method, url, params):
        if self.etag_cache is None or method != "GET":
            return None, None
        cached = self.etag_cache.get(_cache_key(url, params))
        if not cached:
            return None, None
        return {"If-None-Match": cached["etag"]}, cached

    def _remember(self, method, url, params, resp: requests.Response) -> None:
        etag = resp.headers.get("ETag")
        if self.etag_cache is None or method != "GET" or resp.status_code != 200 or not etag:
            return
        keep = {k: v for k, v in resp.headers.items() if k.lower() in ("link", "content-type")}
        self.etag_cache[_cache_key(url, params)] = {
            "etag": etag, "headers": keep, "body": resp.content.decode("utf-8", "replace"),
        }

    def _from_cache(self, cached: Mapping[str, Any], resp304: requests.Response):
        resp = requests.Response()
        resp.status_code = 200
        resp._content = cached["body"].encode("utf-8")
        resp.headers.update(cached["headers"])
        resp.headers["ETag"] = cached["etag"]
        resp.url, resp.request, resp.encoding = resp304.url, resp304.request, "utf-8"
        resp.from_cache = True  # type: ignore[attr-defined]
        return resp

    def _raise_for(self, method: str, url: str, resp: requests.Response) -> None:
        status = resp.status_code
        message = self.redact(_api_message(resp))
        where = f"{method} {self._path(url)}: HTTP {status}"
        detail = f"{where}: {message}" if message else where
        if status == 401:
            raise AuthError(f"{detail} (check the token or API key)", self.name)
        if status == 403:
            raise AuthError(f"{detail} (the credentials lack permission)", self.name)
        if status in (404, 410):
            raise NotFound(detail, self.name)
        if status == 422:
            raise ValidationError(detail, self.name)
        if status in (502, 503, 504):
            raise Unreachable(detail, self.name)
        raise TrackerError(detail, self.name)


# ---------------------------------------------------------------------- header parsing
def _first(headers: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            return value
    return None


def _cache_key(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    return requests.Request("GET", url, params=params).prepare().url or url


def _retry_after(resp: requests.Response, now: float) -> float | None:
    """``Retry-After`` as seconds to wait: delta-seconds or an HTTP date."""
    value = resp.headers.get("Retry-After")
    return None if value is None else _parse_when(value, now, epoch_ok=False)


def _reset_wait(headers: Mapping[str, str], now: float) -> float | None:
    """GitHub ``x-ratelimit-reset`` (epoch), GitLab ``RateLimit-Reset`` (epoch),
    Jira ``X-RateLimit-Reset`` (ISO time); small numbers are taken as a delta."""
    value = _first(headers, "x-ratelimit-reset", "ratelimit-reset")
    if value is None:
        return None
    wait = _parse_when(value, now, epoch_ok=True)
    return None if wait is None else wait + (1.0 if wait > 0 else 0.0)


def _parse_when(value: str, now: float, epoch_ok: bool) -> float | None:
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        if epoch_ok and number > 1e9:
            return max(0.0, number - now)
        return max(0.0, number)
    for parse in (parsedate_to_datetime, _iso):
        try:
            moment = parse(value)
        except (TypeError, ValueError, IndexError):
            continue
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return max(0.0, moment.timestamp() - now)
    return None


def _iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _api_message(resp: requests.Response) -> str:
    """The tracker's own explanation, one line: GitHub/GitLab ``message``, Redmine
    ``errors``, Jira ``errorMessages``/``errors``; never the raw body."""
    try:
        data = resp.json()
    except ValueError:
        return ""
    parts: list[str] = []
    if isinstance(data, dict):
        for key in ("message", "error", "error_description"):
            if isinstance(data.get(key), str):
                parts.append(data[key])
                break
        errors = data.get("errors")
        if isinstance(errors, list):
            for err in errors[:5]:
                if isinstance(err, str):
                    parts.append(err)
                elif isinstance(err, dict):
                    text = err.get("message") or " ".join(
                        str(err[k]) for k in ("resource", "field", "code") if err.get(k)
                    )
                    parts.append(str(text))
        elif isinstance(errors, dict):
            parts.extend(f"{k}: {v}" for k, v in list(errors.items())[:5])
        messages = data.get("errorMessages")
        if isinstance(messages, list):
            parts.extend(str(m) for m in messages[:5])
    text = "; ".join(p for p in parts if p)
    text = " ".join(text.split())
    return text[:300]
