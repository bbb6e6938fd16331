"""The one HTTP layer every adapter uses: timeouts, retries, rate limits, ETags, budget.

Why shared: each tracker has its own throttling dialect (GitHub ``x-ratelimit-*`` and
secondary limits, GitLab ``RateLimit-*``, Jira ``Retry-After``/``X-RateLimit-Reset``), and
getting waits, retries and secret hygiene right once is cheaper than six times. Clock, sleep
and randomness are injected so tests never sleep.

Two more things are decided here and nowhere else:

- decoding: adapters read answers with ``resp.json()``; the responses returned here turn
  an answer that is not JSON (a proxy's HTML error page, a cut body, a wrong content type)
  into :class:`InvalidResponse`, one line naming the request, never the body;
- the run's deadline (``--timeout``): ``HttpFactory(run_timeout=...)``. No sleep goes past
  it (a longer ``Retry-After`` stops at once with ``RateLimited``, a back-off that does not
  fit stops with ``DeadlineReached``), each request's timeout is cut to the time left, and
  once it has passed no request starts.
"""

from __future__ import annotations

import json as jsonlib
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn
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
from sccli.errors import TEMPORARY, one_line

__all__ = [
    "AuthError",
    "BudgetExhausted",
    "DeadlineReached",
    "HttpClient",
    "HttpFactory",
    "InvalidResponse",
    "NotFound",
    "RateLimited",
    "RequestBudget",
    "TrackerError",
    "TrackerResponse",
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


class InvalidResponse(TrackerError):
    """The tracker answered but not with JSON (an HTML error page with 200, a truncated
    body, a wrong content type): that tracker fails, the others go on; exit 5."""


class DeadlineReached(TrackerError):
    """The run's deadline (``--timeout``) has passed, or a retry would not fit before it:
    temporary, exit 75 (cursors stay; the next run goes on)."""

    exit_code = TEMPORARY


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
        run_timeout: float | None = None,
    ):
        """``run_timeout``: seconds from now the whole run may take (None or 0: no deadline);
        ``timeout``: (connect, read) seconds of one request, cut to the time left."""
        self.timeout, self.max_retries, self.max_wait = timeout, max_retries, max_wait
        self.budget = budget or RequestBudget(None)
        self.sleep, self.clock, self.rng = sleep, clock, rng
        self.backoff_base, self.backoff_cap, self.user_agent = backoff_base, backoff_cap, user_agent
        self.requests_made = 0  # every request sent, 304s included
        self.writes_made = 0
        self.not_modified = 0  # 304 answers served from the ETag cache
        self.run_timeout = run_timeout or None
        self.deadline = None if self.run_timeout is None else clock() + self.run_timeout

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

    # ------------------------------------------------------------------ the deadline
    def time_left(self) -> float | None:
        """Seconds until the run's deadline (negative once passed); None without one."""
        return None if self.deadline is None else self.deadline - self.clock()

    def expired(self) -> bool:
        left = self.time_left()
        return left is not None and left <= 0

    def deadline_error(self, tracker: str | None, detail: str = "",
                       retry: bool = False) -> DeadlineReached:
        """The run's deadline stops ``detail`` (a request, or the tracker's turn); with
        ``retry``: the retry ``detail`` needed would not fit before it."""
        limit = f"the deadline of {self.run_timeout:g} s (--timeout)"
        what = f"no time left to retry before {limit}" if retry else f"{limit} was reached"
        return DeadlineReached(f"{detail}: {what}" if detail else what, tracker)

    def request_timeout(self) -> tuple[float, float]:
        """(connect, read) for the next request: the configured ones, cut to the time left."""
        left = self.time_left()
        if left is None:
            return self.timeout
        connect, read = self.timeout
        return max(0.001, min(connect, left)), max(0.001, min(read, left))

    def pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless that would reach the deadline (then False, no sleep)."""
        left = self.time_left()
        if left is not None and seconds >= left:
            return False
        if seconds > 0:
            self.sleep(seconds)
        return True


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
        data: Any = None,
    ) -> requests.Response:
        """Send with retries; return the response (a cached one on 304) or raise.

        ``idempotent`` overrides the method's default: Redmine adds a note with PUT, which
        must not be repeated after a lost answer. ``data``: a form body (an OAuth token
        request) instead of ``json``.
        """
        method = method.upper()
        url = self.url(path_or_url)
        expect = tuple(expect)
        retry_errors = method in IDEMPOTENT if idempotent is None else idempotent
        f = self.factory
        where = f"{method} {self._path(url)}"
        for attempt in range(f.max_retries + 1):
            if f.expired():  # no request starts after the deadline
                raise f.deadline_error(self.name, f"before {where}")
            self._wait_for_quota()
            if method not in READS:
                self._space_writes(where)
            f.budget.charge(self.name)
            headers, cached = self._conditional_headers(method, url, params)
            timeout = f.request_timeout()
            started = f.clock()
            try:
                resp = self.session.request(
                    method, url, params=params, json=json, data=data, headers=headers,
                    timeout=timeout,
                )
            except (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:
                f.requests_made += 1
                log.debug("%s %s -> %s", method, self.redact(url), type(exc).__name__)
                cut = (isinstance(exc, requests.ConnectTimeout) and timeout[0] < f.timeout[0]
                       or isinstance(exc, requests.ReadTimeout) and timeout[1] < f.timeout[1])
                if cut or f.expired():  # timed out at the deadline, or it passed meanwhile
                    raise f.deadline_error(self.name, f"{where}: {self._why(exc)}") from None
                if retry_errors and attempt < f.max_retries:
                    if not f.pause(f.backoff(attempt)):
                        raise self._no_time_to_retry(f"{where}: {self._why(exc)}") from None
                    continue
                raise Unreachable(f"{where}: {self._why(exc)}", self.name) from None
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
                return self._decoding(self._from_cache(cached, resp), where)
            wait = self._rate_limit_wait(resp)
            if wait is not None:
                # longer than the run may wait, no retry left, or past the deadline: stop now
                if wait > f.max_wait or attempt >= f.max_retries or not f.pause(wait):
                    raise RateLimited(self._at(wait), self.name)
                continue
            if resp.status_code in RETRY_STATUSES and retry_errors and attempt < f.max_retries:
                after = _retry_after(resp, f.clock())
                pause = after if after is not None else f.backoff(attempt)
                if pause > f.max_wait:
                    raise Unreachable(f"{where}: HTTP {resp.status_code}", self.name)
                if not f.pause(pause):
                    raise self._no_time_to_retry(f"{where}: HTTP {resp.status_code}")
                continue
            if resp.status_code in expect:
                self._remember(method, url, params, resp)
                return self._decoding(resp, where)
            self._raise_for(method, url, resp)
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------ pieces
    def _path(self, url: str) -> str:
        parts = urlsplit(url)
        return self.redact(parts.path + (f"?{parts.query}" if parts.query else ""))

    def _why(self, exc: Exception) -> str:
        if isinstance(exc, requests.Timeout):
            text = "timed out"
        elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
            text = "the answer was cut short"
        else:
            text = "connection failed"
        return f"{text} ({self.redact(type(exc).__name__)})"

    def _no_time_to_retry(self, detail: str) -> DeadlineReached:
        return self.factory.deadline_error(self.name, detail, retry=True)

    def _decoding(self, resp: requests.Response, where: str) -> TrackerResponse:
        """``resp`` whose ``json()`` reports a non-JSON answer as this tracker's fault."""
        resp.__class__ = TrackerResponse
        assert isinstance(resp, TrackerResponse)
        resp.tracker, resp.where = self.name, where
        return resp

    def _at(self, wait: float) -> datetime:
        return datetime.fromtimestamp(self.factory.clock() + wait, UTC)

    def _space_writes(self, where: str) -> None:
        """GitHub asks for serial writes at least a second apart."""
        if self.write_interval <= 0 or self._last_write is None:
            return
        gap = self.write_interval - (self.factory.clock() - self._last_write)
        if gap > 0 and not self.factory.pause(gap):
            raise self.factory.deadline_error(self.name, f"before {where}")

    def _wait_for_quota(self) -> None:
        """A previous answer said the quota is empty: wait for the reset or give up now."""
        if self._blocked_until is None:
            return
        wait = self._blocked_until - self.factory.clock()
        if wait <= 0:
            self._blocked_until = None
            return
        if wait > self.factory.max_wait or not self.factory.pause(wait):
            raise RateLimited(self._at(wait), self.name)
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
        if status in RETRY_STATUSES:  # a server error that outlasted the retries: temporary
            raise Unreachable(detail, self.name)
        raise TrackerError(detail, self.name)


class TrackerResponse(requests.Response):
    """A successful answer; ``json()`` fails as the tracker's fault, in one line.

    The one place where an answer that is not JSON becomes an error: a content type that is
    not JSON (a proxy's HTML error page with 200) or a body that does not parse (truncated,
    malformed) raises :class:`InvalidResponse` naming the request and a short reason, never
    the body.
    """

    tracker: str | None = None
    where: str = "a request"

    def json(self, **kwargs: Any) -> Any:
        media = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if media and "json" not in media:
            self._invalid(f"the answer is {one_line(media, 60)}, not JSON")
        content = self.content or b""
        try:  # strictly: requests would guess another charset and parse mojibake
            return jsonlib.loads(content.decode(self.encoding or "utf-8"), **kwargs)
        except (ValueError, LookupError) as exc:  # JSONDecodeError, UnicodeDecodeError
            self._invalid(_json_reason(exc, len(content)))

    def _invalid(self, reason: str) -> NoReturn:
        raise InvalidResponse(f"invalid JSON from {self.where}: {reason}", self.tracker)


def _json_reason(exc: Exception, size: int) -> str:
    """Why a body is not JSON, short and without the body itself."""
    if size == 0:
        return "the answer is empty"
    if isinstance(exc, UnicodeDecodeError):
        return f"not valid {exc.encoding} text ({exc.reason})"
    if isinstance(exc, LookupError):
        return "an unknown charset"
    msg = getattr(exc, "msg", None)
    if isinstance(msg, str):  # a JSONDecodeError: where parsing stopped, not the document
        return (f"{msg} (line {getattr(exc, 'lineno', '?')}, column "
                f"{getattr(exc, 'colno', '?')} of {size} bytes: truncated or malformed)")
    return f"{type(exc).__name__} ({size} bytes)"


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
