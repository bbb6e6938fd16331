"""Tracker faults classified right, and a run with a deadline (the "Trust" issue).

Every fake tracker here is a real HTTP server on 127.0.0.1 (or a socket that accepts
connections and never answers); sccli talks to it through the GitHub adapter, as one of the
configured trackers. Nothing asserts exact timings: a run that must not hang runs in a
thread joined with a generous bound.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from contract import FakeTime
from synchelp import CONFIG, add_ticket, configure, remote_issues, store_of

from sccli.adapters.base import (
    AuthError,
    BudgetExhausted,
    NotFound,
    RateLimited,
    TrackerError,
    Unreachable,
)
from sccli.adapters.http import DeadlineReached, HttpFactory, InvalidResponse
from sccli.sync.results import TrackerOutcome
from sccli.sync.wiring import exit_code

TOKEN = "ghp_" + "R0bust" * 6
SECRET_BODY = "proxy-internal-detail-7f3a"  # in every bad body: must never be printed
HTML_PAGE = (f"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
             f"<p>{SECRET_BODY}</p></body></html>")

Answer = tuple[int, dict[str, str], bytes]


# --------------------------------------------------------------------------- fakes
class Fake:
    """A tracker on 127.0.0.1 answering every request with ``answer(method, path)``.

    HTTP/1.0: the connection closes after each answer, so a body shorter than its
    Content-Length is a cut stream, and a body without one ends where the server stops.
    """

    def __init__(self, answer: Callable[[str, str], Answer]):
        self.answer = answer
        self.requests: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                fake.requests.append((self.command, self.path))
                status, headers, body = fake.answer(self.command, self.path)
                self.send_response(status)
                for key, value in {"Content-Length": str(len(body)), **headers}.items():
                    if value is not None:
                        self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Hung:
    """A tracker that accepts connections (the kernel does, from the backlog) and never
    answers: every request waits for its read timeout."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def servers():
    started: list[Fake | Hung] = []

    def start(answer: Callable[[str, str], Answer] | None = None):
        server = Hung() if answer is None else Fake(answer)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def always(status: int, body: str | bytes, content_type: str | None = "application/json",
           **headers: str) -> Callable[[str, str], Answer]:
    """Every GET answered with ``status``; POSTs with 201 when ``status`` is 200."""
    data = body.encode() if isinstance(body, str) else body
    out = {"Content-Type": content_type, **{k.replace("_", "-"): v for k, v in headers.items()}}

    def answer(method: str, path: str) -> Answer:
        code = 201 if (method == "POST" and status == 200) else status
        return code, dict(out), data  # type: ignore[arg-type]

    return answer


GH = """\
  {name}:
    adapter: github
    repo: acme/crm
    token: env:ROBUST_GH_TOKEN
    api_url: {url}
"""


def with_tracker(cli, url: str, name: str = "broken", vendor_uses_it: bool = False):
    """The sync tests' workspace (two local trackers) plus a GitHub tracker at ``url``;
    with ``vendor_uses_it`` the vendor party escalates there instead of vendor-local."""
    cli.env["ROBUST_GH_TOKEN"] = TOKEN
    if not vendor_uses_it:
        configure(cli, GH.format(name=name, url=url))
        return cli
    text = CONFIG.replace("tracker: vendor-local", f"tracker: {name}")
    (Path(cli.home) / "sccli.yaml").write_text(text.format(extra=GH.format(name=name, url=url)),
                                               encoding="utf-8")
    cli.ok("client", "add", "ACME", "--name", "Acme Corp", "--system-url",
           "https://acme.bpmsoft.example")
    return cli


def bounded(cli, *args: str, bound: float = 20.0):
    """Run sccli in a thread; fail if it is still running after ``bound`` seconds."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", cli(*args)), daemon=True)
    thread.start()
    thread.join(bound)
    assert not thread.is_alive(), f"sccli {' '.join(args)} still running after {bound} s"
    return box["result"]


def error_lines(result) -> list[str]:
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith("sccli: error: ") for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    return lines


def cursors(cli) -> dict:
    store = store_of(cli)
    try:
        return dict(store.cursors())
    finally:
        store.close()


# --------------------------------------------------------------------------- 1. bad JSON
TRUNCATED = '[{"number": 1, "title": "Report fails", "body": "' + SECRET_BODY
BAD_ANSWERS = {
    "truncated JSON": always(200, TRUNCATED),
    "HTML error page with 200": always(200, HTML_PAGE, "text/html; charset=utf-8"),
    "wrong content type": always(200, "[]", "text/plain"),
    "empty body": always(200, ""),
    "not UTF-8": always(200, b'["\xff\xfe' + SECRET_BODY.encode() + b'"]'),
}


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_a_tracker_answering_200_without_json_fails_alone(cli, servers, case):
    fake = servers(BAD_ANSWERS[case])
    ws = with_tracker(cli, fake.url)
    tid = add_ticket(ws, source="vendor-product")
    result = ws("sync", "--format", "json")
    assert result.exit_code == 5, (result.stdout, result.stderr)
    [line] = error_lines(result)
    assert line.startswith("sccli: error: broken: github acme/crm: invalid JSON from GET "
                           "/repos/acme/crm/issues"), line
    report = result.json()  # the report is still printed
    assert {t["name"]: t["status"] for t in report["trackers"]} == {
        "broken": "failed", "partner-local": "ok", "vendor-local": "ok"}
    assert SECRET_BODY not in result.stdout + result.stderr and "<html" not in line
    assert TOKEN not in result.stdout + result.stderr
    assert remote_issues(ws, "vendor")[0]["ticket"] == tid  # the trackers after it synced
    assert "broken" not in cursors(ws) and "vendor-local" in cursors(ws)


def test_every_tracker_answering_html_is_a_failure_not_a_success(cli, servers):
    fake = servers(always(200, HTML_PAGE, "text/html"))
    ws = with_tracker(cli, fake.url)
    result = ws("sync", "--tracker", "broken")
    assert result.exit_code == 5  # permanent: not worth retrying unchanged, not an auth issue
    [line] = error_lines(result)
    assert "the answer is text/html, not JSON" in line


def test_escalate_to_a_tracker_answering_html_is_one_line(cli, servers):
    fake = servers(always(200, HTML_PAGE, "text/html"))
    ws = with_tracker(cli, fake.url, vendor_uses_it=True)
    tid = add_ticket(ws, source="vendor-product")
    result = ws("escalate", tid)
    assert result.exit_code == 5
    [line] = error_lines(result)
    assert "invalid JSON from POST /repos/acme/crm/issues" in line
    assert SECRET_BODY not in result.stdout + result.stderr


# --------------------------------------------------------------------------- 2. exit codes
OK_ = None
EXIT_CASES = [
    ("nothing to sync", [], 0),
    ("all fine", [OK_, OK_], 0),
    ("one unreachable, one fine", [Unreachable("down"), OK_], 5),
    ("every tracker unreachable", [Unreachable("down"), Unreachable("HTTP 500")], 75),
    ("unreachable and past the deadline", [Unreachable("down"), DeadlineReached("late")], 75),
    ("the deadline after one completed", [OK_, DeadlineReached("late")], 5),
    ("every tracker refused the credentials", [AuthError("401"), AuthError("403")], 4),
    ("credentials and unreachable: mixed", [AuthError("401"), Unreachable("down")], 5),
    ("every tracker answered garbage", [InvalidResponse("html"), InvalidResponse("cut")], 5),
    ("garbage and unreachable: mixed", [InvalidResponse("html"), Unreachable("down")], 5),
    ("the only tracker failed permanently", [NotFound("no repo")], 5),
    ("the only tracker had a generic failure", [TrackerError("HTTP 400")], 5),
    ("a rate limit, others fine", [RateLimited(datetime(2026, 1, 1, tzinfo=UTC)), OK_], 75),
    ("a spent budget and a refusal", [BudgetExhausted("spent"), AuthError("401")], 75),
]


@pytest.mark.parametrize("errors,code", [c[1:] for c in EXIT_CASES],
                         ids=[c[0] for c in EXIT_CASES])
def test_exit_code_table(errors, code):
    outcomes = [TrackerOutcome(f"t{i}", error=e) for i, e in enumerate(errors)]
    assert exit_code(outcomes) == code


def test_a_tracker_answering_500_on_every_request_is_temporary(cli, servers):
    # Retry-After: 0 keeps the test fast; the retries are made all the same
    fake = servers(always(500, '{"message": "Internal Server Error"}', Retry_After="0"))
    ws = with_tracker(cli, fake.url)
    alone = bounded(ws, "sync", "--tracker", "broken")
    assert alone.exit_code == 75, alone.stderr  # nothing succeeded: not "partial success"
    [line] = error_lines(alone)
    assert "HTTP 500" in line and "Internal Server Error" in line
    assert len(fake.requests) == HttpFactory().max_retries + 1
    assert bounded(ws, "sync").exit_code == 5  # the local trackers completed


def test_500_after_retries_is_unreachable_in_the_http_layer(servers):
    fake = servers(always(500, "{}"))
    time = FakeTime()
    factory = HttpFactory(sleep=time.sleep, clock=time.clock, rng=lambda: 1.0)
    with pytest.raises(Unreachable, match="HTTP 500"):
        factory.client(fake.url).get("x")
    assert len(fake.requests) == factory.max_retries + 1 and len(time.sleeps) == 4


# --------------------------------------------------------------------------- 3. deadline
def test_a_hung_tracker_costs_the_deadline_and_the_rest_are_not_started(cli, servers):
    hung = servers()
    ws = with_tracker(cli, hung.url)  # "broken" comes first: the others wait for it
    add_ticket(ws, source="vendor-product")
    result = bounded(ws, "sync", "--timeout", "2", "--format", "json")
    assert result.exit_code == 75, (result.stdout, result.stderr)
    lines = error_lines(result)
    assert len(lines) == 3
    assert "broken:" in lines[0] and "deadline of 2 s (--timeout) was reached" in lines[0]
    assert all("not started" in line and "deadline of 2 s" in line for line in lines[1:])
    report = result.json()
    assert {t["status"] for t in report["trackers"]} == {"failed"}
    assert remote_issues(ws, "vendor") == [] and cursors(ws) == {}


def test_a_hung_tracker_after_the_others_gives_partial_success(cli, servers):
    hung = servers()
    ws = with_tracker(cli, hung.url, name="zz-hung")
    tid = add_ticket(ws, source="vendor-product")
    result = bounded(ws, "sync", "--timeout", "2")
    assert result.exit_code == 5, result.stderr
    [line] = error_lines(result)
    assert line.startswith("sccli: error: zz-hung:") and "deadline of 2 s" in line
    assert remote_issues(ws, "vendor")[0]["ticket"] == tid
    assert "zz-hung" not in cursors(ws)


def test_retry_after_longer_than_the_time_left_stops_at_once(cli, servers):
    fake = servers(always(429, '{"message": "slow down"}', Retry_After="30"))
    ws = with_tracker(cli, fake.url)
    result = bounded(ws, "sync", "--timeout", "2", "--format", "json")
    assert result.exit_code == 75, result.stderr
    [line] = error_lines(result)
    assert "broken:" in line and "rate limit reached; try again after" in line
    assert len(fake.requests) == 1  # no sleeping, no retry
    assert {t["name"]: t["status"] for t in result.json()["trackers"]}["vendor-local"] == "ok"


def test_escalate_to_a_hung_tracker_honours_its_timeout(cli, servers):
    hung = servers()
    ws = with_tracker(cli, hung.url, vendor_uses_it=True)
    tid = add_ticket(ws, source="vendor-product")
    result = bounded(ws, "escalate", tid, "--timeout", "2")
    assert result.exit_code == 75, result.stderr
    [line] = error_lines(result)
    assert "POST /repos/acme/crm/issues" in line and "deadline of 2 s" in line


def test_timeout_is_documented_in_help(cli):
    for command in ("sync", "escalate"):
        text = " ".join(cli.ok(command, "--help").stdout.split())
        assert "--timeout SECONDS" in text and "Cron runs every few minutes" in text


# ------------------------------------------------------------------ the HTTP layer alone
@pytest.fixture
def time():
    return FakeTime()


def deadline_factory(time, seconds: float, **kw) -> HttpFactory:
    return HttpFactory(sleep=time.sleep, clock=time.clock, rng=lambda: 1.0,
                       run_timeout=seconds, **kw)


def test_no_request_starts_after_the_deadline(servers, time):
    fake = servers(always(200, "{}"))
    client = deadline_factory(time, 10).client(fake.url, name="t")
    client.get("x").json()
    time.advance(10)
    with pytest.raises(DeadlineReached, match="before GET /x: the deadline of 10 s"):
        client.get("x")
    assert len(fake.requests) == 1


def test_each_request_timeout_is_cut_to_the_time_left(servers, time):
    fake = servers(always(200, "{}"))
    factory = deadline_factory(time, 10)
    client = factory.client(fake.url)
    seen = []
    send = client.session.request

    def spy(*args, **kw):
        seen.append(kw["timeout"])
        return send(*args, **kw)

    client.session.request = spy  # type: ignore[method-assign]
    client.get("x")
    time.advance(7)
    client.get("x")
    assert seen == [(5, 10), (3, 3)]
    open_ended = HttpFactory(sleep=time.sleep, clock=time.clock)
    assert open_ended.request_timeout() == open_ended.timeout == (5, 30)


def test_a_backoff_that_does_not_fit_stops_now_without_sleeping(servers, time):
    fake = servers(always(503, "{}"))
    with pytest.raises(DeadlineReached, match="HTTP 503: no time left to retry"):
        deadline_factory(time, 0.4).client(fake.url).get("x")  # the first back-off is 0.5
    assert time.sleeps == [] and len(fake.requests) == 1
    with pytest.raises(Unreachable):
        deadline_factory(time, 100).client(fake.url).get("x")
    assert time.sleeps == [0.5, 1.0, 2.0, 4.0]  # with time enough, as before


def test_a_rate_limit_wait_beyond_the_deadline_is_rate_limited_at_once(servers, time):
    fake = servers(always(429, "{}", Retry_After="30"))
    with pytest.raises(RateLimited) as caught:
        deadline_factory(time, 10).client(fake.url).get("x")
    assert time.sleeps == [] and caught.value.exit_code == 75
    with pytest.raises(RateLimited):  # a wait that fits is still waited
        deadline_factory(time, 100, max_retries=1).client(fake.url).get("x")
    assert time.sleeps == [30.0]


def test_an_empty_quota_resetting_after_the_deadline_fails_before_sending(servers, time):
    def answer(method: str, path: str) -> Answer:
        return 200, {"Content-Type": "application/json", "x-ratelimit-remaining": "0",
                     "x-ratelimit-reset": str(int(time.now) + 40)}, b"{}"

    fake = servers(answer)
    client = deadline_factory(time, 30).client(fake.url)
    client.get("x")
    with pytest.raises(RateLimited):
        client.get("x")
    assert time.sleeps == [] and len(fake.requests) == 1


def test_invalid_json_message_names_the_request_never_the_body(servers, time):
    fake = servers(always(200, TRUNCATED))
    factory = HttpFactory(sleep=time.sleep, clock=time.clock)
    client = factory.client(fake.url, {"Authorization": f"Bearer {TOKEN}"}, name="acme")
    resp = client.get("issues", params={"access_token": TOKEN, "page": 2})
    with pytest.raises(InvalidResponse) as caught:
        resp.json()
    text = str(caught.value)
    assert text.startswith("acme: invalid JSON from GET /issues: Unterminated string"), text
    assert "truncated or malformed" in text and "\n" not in text
    assert SECRET_BODY not in text and TOKEN not in text
    assert caught.value.exit_code == 5 and isinstance(caught.value, TrackerError)


def test_answers_served_from_the_etag_cache_are_checked_too(servers, time):
    state = {"status": 200}

    def answer(method: str, path: str) -> Answer:
        headers = {"Content-Type": "text/html", "ETag": '"v1"'}
        return state["status"], headers, HTML_PAGE.encode() if state["status"] == 200 else b""

    fake = servers(answer)
    factory = HttpFactory(sleep=time.sleep, clock=time.clock)
    client = factory.client(fake.url, etag_cache={}, name="t")
    with pytest.raises(InvalidResponse):
        client.get("x").json()
    state["status"] = 304
    again = client.get("x")
    assert again.from_cache
    with pytest.raises(InvalidResponse, match="text/html"):
        again.json()


def test_a_cut_stream_is_retried_then_unreachable(servers, time):
    def cut(method: str, path: str) -> Answer:  # promises 1000 bytes, sends a few, closes
        return 200, {"Content-Type": "application/json", "Content-Length": "1000"}, b'[{"n'

    fake = servers(cut)
    factory = HttpFactory(sleep=time.sleep, clock=time.clock, rng=lambda: 1.0)
    with pytest.raises(Unreachable, match="GET /x: the answer was cut short") as caught:
        factory.client(fake.url, name="t").get("x")
    assert caught.value.exit_code == 75  # a network fault: temporary
    assert len(fake.requests) == factory.max_retries + 1


def test_valid_json_still_decodes(servers, time):
    fake = servers(always(200, '{"ok": true}', "application/vnd.github+json; charset=utf-8"))
    client = HttpFactory(sleep=time.sleep, clock=time.clock).client(fake.url)
    assert client.get("x").json() == {"ok": True}
