"""The shared HTTP layer: retries, waits, rate-limit dialects, ETags, budget, redaction."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import requests
import responses
from contract import FakeTime

from sccli.adapters.http import (
    AuthError,
    BudgetExhausted,
    HttpFactory,
    NotFound,
    RateLimited,
    RequestBudget,
    TrackerError,
    Unreachable,
    ValidationError,
    redact,
)

BASE = "https://tracker.test/api"
TOKEN = "s3cr3t-T0KEN-value-123456"


@pytest.fixture
def time():
    return FakeTime()


@pytest.fixture
def factory(time):
    return HttpFactory(sleep=time.sleep, clock=time.clock, rng=lambda: 1.0, max_wait=60)


@pytest.fixture
def client(factory):
    return factory.client(BASE, {"Authorization": f"Bearer {TOKEN}"}, etag_cache={})


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


def statuses(rsps):
    return [c.response.status_code for c in rsps.calls]


def test_idempotent_get_is_retried_on_5xx_with_jittered_backoff(rsps, client, time):
    for status in (502, 503, 504):
        rsps.get(f"{BASE}/x", status=status)
    rsps.get(f"{BASE}/x", json={"ok": True})
    assert client.get("x").json() == {"ok": True}
    assert time.sleeps == [0.5, 1.0, 2.0]  # base·2ⁿ × rng (1.0 here)


def test_full_jitter_uses_the_random_source(time):
    factory = HttpFactory(sleep=time.sleep, clock=time.clock, rng=lambda: 0.25)
    assert factory.backoff(3) == 0.25 * 0.5 * 8


def test_post_is_not_retried_on_502(rsps, client):
    rsps.post(f"{BASE}/issues", status=502)
    with pytest.raises(Unreachable):
        client.post("issues", json={"title": "t"})
    assert len(rsps.calls) == 1


def test_retries_give_up_with_unreachable(rsps, client, factory):
    for _ in range(factory.max_retries + 1):
        rsps.get(f"{BASE}/x", status=503)
    with pytest.raises(Unreachable, match="HTTP 503"):
        client.get("x")


def test_connection_errors_become_unreachable_after_retries(rsps, client, factory):
    for _ in range(factory.max_retries + 1):
        rsps.get(f"{BASE}/x", body=requests.ConnectionError(f"refused token={TOKEN}"))
    with pytest.raises(Unreachable) as caught:
        client.get("x")
    assert TOKEN not in str(caught.value)
    assert factory.requests_made == factory.max_retries + 1


def test_retry_after_seconds_on_429_even_for_post(rsps, client, time):
    rsps.post(f"{BASE}/issues", status=429, headers={"Retry-After": "7"})
    rsps.post(f"{BASE}/issues", status=201, json={"id": 1})
    assert client.post("issues", json={}).status_code == 201
    assert time.sleeps == [7.0]


def test_retry_after_http_date(rsps, client, time):
    when = datetime.fromtimestamp(time.now + 12, UTC)
    rsps.get(f"{BASE}/x", status=429, headers={"Retry-After": format_datetime(when, usegmt=True)})
    rsps.get(f"{BASE}/x", json={})
    client.get("x")
    assert time.sleeps == [12.0]


def test_github_reset_header_on_403_with_zero_remaining(rsps, client, time):
    reset = int(time.now) + 20
    rsps.get(f"{BASE}/x", status=403, json={"message": "API rate limit exceeded"},
             headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    rsps.get(f"{BASE}/x", json={})
    client.get("x")
    assert time.sleeps == [21.0]  # until the reset, plus a second of margin


def test_gitlab_ratelimit_reset(rsps, client, time):
    rsps.get(f"{BASE}/x", status=429,
             headers={"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(time.now) + 5)})
    rsps.get(f"{BASE}/x", json={})
    client.get("x")
    assert time.sleeps == [6.0]


def test_jira_iso_reset_header(rsps, client, time):
    reset = datetime.fromtimestamp(time.now + 9, UTC).isoformat().replace("+00:00", "Z")
    rsps.get(f"{BASE}/x", status=429, headers={"X-RateLimit-Reset": reset})
    rsps.get(f"{BASE}/x", json={})
    client.get("x")
    assert time.sleeps == [10.0]


def test_wait_beyond_max_wait_raises_rate_limited(rsps, client, time):
    rsps.get(f"{BASE}/x", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimited) as caught:
        client.get("x")
    assert caught.value.reset_at == datetime.fromtimestamp(time.now + 3600, UTC)
    assert "tracker.test" in str(caught.value) and time.sleeps == []


def test_exhausted_quota_seen_on_success_blocks_the_next_call(rsps, client, time):
    rsps.get(f"{BASE}/x", json={}, headers={"x-ratelimit-remaining": "0",
                                            "x-ratelimit-reset": str(int(time.now) + 7200)})
    client.get("x")
    with pytest.raises(RateLimited):
        client.get("x")
    assert len(rsps.calls) == 1  # the doomed request was never sent


def test_403_without_rate_limit_is_auth_error(rsps, client):
    rsps.get(f"{BASE}/x", status=403, json={"message": "Resource not accessible by integration"},
             headers={"x-ratelimit-remaining": "4000"})
    with pytest.raises(AuthError, match="not accessible"):
        client.get("x")


def test_status_mapping(rsps, client):
    rsps.get(f"{BASE}/a", status=401, json={"message": "Bad credentials"})
    rsps.get(f"{BASE}/b", status=404, json={"message": "Not Found"})
    rsps.post(f"{BASE}/c", status=422, json={"message": "Validation Failed", "errors": [
        {"resource": "Issue", "code": "missing_field", "field": "title"}]})
    rsps.get(f"{BASE}/d", status=400, json={"errorMessages": ["JQL is wrong"], "errors": {}})
    with pytest.raises(AuthError, match="Bad credentials"):
        client.get("a")
    with pytest.raises(NotFound):
        client.get("b")
    with pytest.raises(ValidationError, match="Validation Failed; Issue title missing_field"):
        client.post("c", json={})
    with pytest.raises(TrackerError, match="JQL is wrong"):
        client.get("d")


def test_write_spacing_uses_the_injected_clock(rsps, factory, time):
    client = factory.client(BASE, {}, write_interval=1.0)
    for _ in range(3):
        rsps.post(f"{BASE}/w", status=201, json={})
    rsps.get(f"{BASE}/r", json={})
    client.post("w", json={})
    client.get("r")  # reads are not spaced
    client.post("w", json={})
    time.advance(0.4)
    client.post("w", json={})
    assert time.sleeps == [1.0, pytest.approx(0.6)]
    assert factory.writes_made == 3


def test_budget_stops_the_run(rsps, time):
    factory = HttpFactory(budget=RequestBudget(2), sleep=time.sleep, clock=time.clock)
    client = factory.client(BASE, {})
    rsps.get(f"{BASE}/x", json={})
    rsps.get(f"{BASE}/x", json={})
    client.get("x")
    client.get("x")
    with pytest.raises(BudgetExhausted, match="budget of 2"):
        client.get("x")
    assert factory.budget.remaining == 0


def test_etag_304_serves_the_cache_and_costs_no_budget(rsps, time):
    factory = HttpFactory(budget=RequestBudget(10), sleep=time.sleep, clock=time.clock)
    cache: dict = {}
    client = factory.client(BASE, {}, etag_cache=cache)
    rsps.get(f"{BASE}/list", json=[1, 2], headers={"ETag": 'W/"abc"', "Link": '<n>; rel="next"'})
    rsps.get(f"{BASE}/list", status=304, headers={"ETag": 'W/"abc"'})
    first = client.get("list", params={"page": 1})
    again = client.get("list", params={"page": 1})
    assert again.json() == first.json() == [1, 2]
    assert again.headers["Link"] == '<n>; rel="next"' and again.from_cache
    assert rsps.calls[1].request.headers["If-None-Match"] == 'W/"abc"'
    assert (factory.requests_made, factory.not_modified, factory.budget.used) == (2, 1, 1)


def test_no_conditional_headers_without_a_cache(rsps, factory):
    client = factory.client(BASE, {})
    rsps.get(f"{BASE}/x", json={}, headers={"ETag": '"e"'})
    rsps.get(f"{BASE}/x", json={}, headers={"ETag": '"e"'})
    client.get("x")
    client.get("x")
    assert "If-None-Match" not in rsps.calls[1].request.headers


def test_secrets_never_reach_errors_or_logs(rsps, client, caplog):
    rsps.get(f"{BASE}/x", status=401,
             json={"message": f"token {TOKEN} is revoked (Authorization: Bearer {TOKEN})"})
    caplog.set_level(logging.DEBUG, logger="sccli.http")
    with pytest.raises(AuthError) as caught:
        client.get("x", params={"access_token": TOKEN})
    text = str(caught.value)
    assert TOKEN not in text and "***" in text
    assert TOKEN not in caplog.text and "GET https://tracker.test/api/x" in caplog.text


@pytest.mark.parametrize("raw", [
    "Authorization: Bearer abcdefghijklmnop",
    "headers={'Authorization': 'token abcdefghijklmnop'}",
    "PRIVATE-TOKEN: abcdefghijklmnop",
    "X-Redmine-API-Key: abcdefghijklmnop",
    "GET /issues?private_token=abcdefghijklmnop&page=2",
    "https://user:abcdefghijklmnop@host/x",
])
def test_redact_patterns(raw):
    assert "abcdefghijklmnop" not in redact(raw)


def test_redact_known_secret_values_anywhere():
    assert redact(f"echo {TOKEN}!", [TOKEN]) == "echo ***!"
