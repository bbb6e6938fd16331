"""Notice transports (issue 10): a webhook against a real HTTP server on loopback, and a
command reading the notice on stdin.

Issue 10: "Notices go through an outbox in the store: each notice is delivered exactly
once, retried on failure … Transports in this issue: a webhook (HTTP POST of JSON;
Mattermost, Slack and Telegram-bot formats selectable) and a command (the notice as JSON
on stdin). … Test the webhook against a real HTTP server on loopback started by the test."

Every server here is a real ``http.server`` on 127.0.0.1 (or a socket that accepts and
never answers, for timeouts); sccli reaches it through `sccli notify test` (the user's way
to try a channel) or through the transports ``channels_from`` builds from sccli.yaml (the
way the outbox calls them).
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sccli.config import load_settings
from sccli.notify import Channels, DeliveryError, Notice
from sccli.notify.channels import channels_from

HOOK_SECRET = "hooks/x9Secr3tHookPath7788"  # the credential part of a webhook URL
BOT_TOKEN = "123456789:AAF-s3cretBotToken_ZZ"
NOW = "2026-03-02T10:00:00+03:00"
SAMPLE_TEXT = ("This is a test notice from sccli through channel {channel} (audience: {audience})."
               " If you can read it, the channel works.")


# --------------------------------------------------------------------------- servers
class Hook:
    """A webhook receiver on 127.0.0.1: records each request, answers with ``answers``
    in turn (the last one repeats)."""

    def __init__(self, *answers: tuple[int, dict[str, str], bytes]):
        self.answers = list(answers) or [(200, {"Content-Type": "text/plain"}, b"ok")]
        self.requests: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                hook.requests.append({
                    "path": self.path,
                    "content_type": self.headers.get("Content-Type"),
                    "body": json.loads(raw.decode("utf-8")),
                })
                index = min(len(hook.requests), len(hook.answers)) - 1
                status, headers, body = hook.answers[index]
                self.send_response(status)
                for key, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.root}/{HOOK_SECRET}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def answer(status: int, body: str | dict = "", **headers: str) -> tuple[int, dict[str, str], bytes]:
    if isinstance(body, dict):
        return status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()
    return status, {"Content-Type": "text/plain; charset=utf-8", **headers}, body.encode()


@pytest.fixture
def hooks():
    started: list[Hook] = []

    def start(*answers):
        hook = Hook(*answers)
        started.append(hook)
        return hook

    yield start
    for hook in started:
        hook.close()


@pytest.fixture
def hung():
    """A socket that accepts connections (from the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def refused_url() -> str:
    """A loopback port nothing listens on: the connection is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/{HOOK_SECRET}"


def configure(cli, notify_yaml: str, **env: str) -> None:
    """Append a notify: section to the workspace's sccli.yaml; secrets go to the env."""
    path = cli.home / "sccli.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + notify_yaml, encoding="utf-8")
    cli.env.update(env)
    cli.env["SCCLI_NOW"] = NOW


def webhook(cli, fmt: str, url: str, extra: str = "", name: str = "hook", timeout: str = "5s"):
    configure(cli, f"""\
notify:
  channels:
    {name}:
      transport: webhook
      format: {fmt}
      url: env:NOTIFY_HOOK_URL
      timeout: {timeout}
{extra}""", NOTIFY_HOOK_URL=url)


def telegram(cli, api_url: str):
    configure(cli, f"""\
notify:
  channels:
    tg:
      transport: webhook
      format: telegram
      token: env:TG_BOT_TOKEN
      chat_id: "-1001234567"
      api_url: {api_url}
""", TG_BOT_TOKEN=BOT_TOKEN)


def no_secret(result, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.stdout and secret not in result.stderr, (secret, result)


def notice(**kw) -> Notice:
    values = dict(key="ACME-1/auto-accepted/client", ticket_id="ACME-1", kind="auto-accepted",
                  audience="client", lang="en", subject="ACME-1 closed", text="Accepted.",
                  created_at=datetime(2026, 3, 2, 7, 0, tzinfo=UTC), data={"days": 7})
    values.update(kw)
    return Notice(**values)


@pytest.fixture
def channels_of(monkeypatch):
    """The channels the outbox would get, built from the workspace's sccli.yaml, with the
    workspace's environment (its secrets) in os.environ for the test."""

    def build(cli) -> Channels:
        for key, value in cli.env.items():
            monkeypatch.setenv(key, value)
        return channels_from(load_settings(cli.home))

    return build


# --------------------------------------------------------------------------- formats
def test_mattermost_posts_markdown_text_with_username_and_channel(cli, hooks):
    hook = hooks(answer(200, "ok"))
    webhook(cli, "mattermost", hook.url, "      username: sccli\n      channel: support-duty\n")
    result = cli.ok("notify", "test", "hook")
    assert result.stdout == "hook: delivered\n"
    assert len(hook.requests) == 1
    request = hook.requests[0]
    assert request["path"] == "/" + HOOK_SECRET
    assert request["content_type"] == "application/json"
    assert request["body"] == {
        "text": "**sccli test notice**\n" + SAMPLE_TEXT.format(channel="hook", audience="engineers"),
        "username": "sccli",
        "channel": "support-duty",
    }


def test_slack_posts_mrkdwn_text(cli, hooks):
    hook = hooks(answer(200, "ok"))
    webhook(cli, "slack", hook.url)
    cli.ok("notify", "test", "hook", "--audience", "client")
    assert hook.requests[0]["body"] == {
        "text": "*sccli test notice*\n" + SAMPLE_TEXT.format(channel="hook", audience="client"),
    }


def test_telegram_posts_chat_id_and_plain_text_to_the_bot_api(cli, hooks):
    hook = hooks(answer(200, {"ok": True, "result": {"message_id": 5}}))
    telegram(cli, hook.root)
    result = cli.ok("notify", "test", "tg", "--audience", "engineer")
    assert result.stdout == "tg: delivered\n"
    request = hook.requests[0]
    assert request["path"] == f"/bot{BOT_TOKEN}/sendMessage"
    assert request["body"] == {
        "chat_id": "-1001234567",
        "text": "sccli test notice\n\n" + SAMPLE_TEXT.format(channel="tg", audience="engineer"),
    }


def test_json_format_posts_the_notice_itself(cli, hooks):
    hook = hooks(answer(204))
    webhook(cli, "json", hook.url)
    cli.ok("notify", "test", "hook", "--audience", "party:vendor")
    assert hook.requests[0]["body"] == {
        "key": "test/hook/20260302T100000",
        "ticket": "TEST-1",
        "kind": "test",
        "audience": "party:vendor",
        "lang": "en",
        "subject": "sccli test notice",
        "text": SAMPLE_TEXT.format(channel="hook", audience="party:vendor"),
        "created_at": "2026-03-02T10:00:00+03:00",
        "data": {"test": True},
    }


def test_russian_test_notice(cli, hooks):
    hook = hooks(answer(200, "ok"))
    webhook(cli, "slack", hook.url)
    result = cli.ok("--lang", "ru", "notify", "test", "hook")
    assert result.stdout == "hook: доставлено\n"
    assert hook.requests[0]["body"]["text"].startswith("*Проверка уведомлений sccli*\n")


def test_ticket_text_cannot_ping_a_whole_channel_or_inject_markup(cli, hooks, channels_of):
    """A client's text reaches engineers' chats: it stays text there."""
    hook = hooks(answer(200, "ok"))
    webhook(cli, "slack", hook.url)
    channels_of(cli).get("hook").send(notice(subject="Help <!channel>", text="a & b <http://x|y>"))
    assert hook.requests[-1]["body"] == {
        "text": "*Help &lt;!channel&gt;*\na &amp; b &lt;http://x|y&gt;"}


def test_mattermost_group_mentions_are_defused(cli, hooks, channels_of):
    hook = hooks(answer(200, "ok"))
    webhook(cli, "mattermost", hook.url)
    channels_of(cli).get("hook").send(notice(subject="**x** @channel", text="hi @all and @here"))
    assert hook.requests[-1]["body"] == {
        "text": "**\\*\\*x\\*\\* @\u200bchannel**\nhi @\u200ball and @\u200bhere"}


def test_telegram_text_is_cut_to_its_limit(cli, hooks, channels_of):
    hook = hooks(answer(200, {"ok": True}))
    telegram(cli, hook.root)
    channels_of(cli).get("tg").send(notice(text="x" * 5000))
    text = hook.requests[-1]["body"]["text"]
    assert len(text) == 4096 and text.endswith("…")


# --------------------------------------------------------------------------- failures
@pytest.mark.parametrize(
    ("reply", "code", "retry", "says"),
    [
        (answer(500, "boom"), 75, True, "hook: HTTP 500: boom"),
        (answer(503, {"message": "maintenance"}), 75, True, "hook: HTTP 503: maintenance"),
        (answer(502, "<html>bad gateway</html>", **{"Content-Type": "text/html"}), 75, True,
         "hook: HTTP 502"),
        (answer(408), 75, True, "hook: HTTP 408"),
        (answer(520, "origin is down"), 75, True, "hook: HTTP 520: origin is down"),
        (answer(429, "slow down", **{"Retry-After": "120"}), 75, True, "rate limit reached"),
        (answer(400, "invalid_payload"), 2, False, "hook: HTTP 400: invalid_payload"),
        (answer(404, "no_service"), 2, False, "hook: HTTP 404: no_service"),
        (answer(410, "channel_is_archived"), 2, False, "hook: HTTP 410: channel_is_archived"),
        (answer(401, {"message": "Invalid webhook"}), 4, False,
         "hook: HTTP 401: Invalid webhook (check the webhook URL or bot token)"),
        (answer(403, "action_prohibited"), 4, False, "hook: HTTP 403: action_prohibited"),
    ],
)
def test_http_failures_are_classified(cli, hooks, reply, code, retry, says):
    hook = hooks(reply)
    webhook(cli, "mattermost", hook.url)
    result = cli("notify", "test", "hook")
    assert result.exit_code == code, result
    assert result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line
    assert line.startswith("sccli: error: ") and says in line
    assert line.endswith("(a retry may help)") == retry
    no_secret(result, HOOK_SECRET, "x9Secr3t")
    assert len(hook.requests) == 1  # the layer never repeats a POST: the outbox retries
    as_json = cli("notify", "test", "hook", "--format", "json")
    assert as_json.exit_code == code
    [row] = as_json.json()
    assert row["channel"] == "hook" and row["delivered"] is False and row["retry"] is retry
    no_secret(as_json, HOOK_SECRET)


def test_429_carries_retry_after_to_the_outbox(cli, hooks, channels_of):
    hook = hooks(answer(429, "", **{"Retry-After": "120"}))
    webhook(cli, "slack", hook.url)
    before = datetime.now(UTC)
    with pytest.raises(DeliveryError) as caught:
        channels_of(cli).get("hook").send(notice())
    assert caught.value.retry is True
    assert caught.value.retry_at is not None
    assert before + timedelta(seconds=115) <= caught.value.retry_at
    assert caught.value.retry_at <= datetime.now(UTC) + timedelta(seconds=125)


def test_secret_echoed_by_the_server_is_masked(cli, hooks):
    """A peer that quotes the request URL in its error must not print the credential."""
    hook = hooks()
    hook.answers = [answer(400, {"message": f"no such hook {hook.url} ({HOOK_SECRET})"})]
    webhook(cli, "mattermost", hook.url)
    result = cli("notify", "test", "hook")
    assert result.exit_code == 2
    assert "no such hook" in result.stderr and "***" in result.stderr
    no_secret(result, HOOK_SECRET, "x9Secr3tHookPath")


def test_timeout_is_temporary(cli, hung):
    webhook(cli, "mattermost", f"{hung}/{HOOK_SECRET}", timeout="1s")
    started = time.monotonic()
    result = cli("notify", "test", "hook")
    assert time.monotonic() - started < 15
    assert result.exit_code == 75
    assert "timed out" in result.stderr and "(a retry may help)" in result.stderr
    no_secret(result, HOOK_SECRET)


def test_connection_refused_is_temporary(cli):
    webhook(cli, "slack", refused_url())
    result = cli("notify", "test", "hook")
    assert result.exit_code == 75
    assert "connection failed" in result.stderr
    no_secret(result, HOOK_SECRET)


def test_missing_secret_is_temporary_and_named(cli, hooks):
    webhook(cli, "slack", "unused")
    del cli.env["NOTIFY_HOOK_URL"]
    result = cli("notify", "test", "hook")
    assert result.exit_code == 75
    assert "environment variable NOTIFY_HOOK_URL is not set" in result.stderr


def test_a_secret_that_is_not_a_url_is_refused_without_printing_it(cli):
    webhook(cli, "slack", "hooks.slack.com/services/T0/B0/s3cr3tValue")
    result = cli("notify", "test", "hook")
    assert result.exit_code == 2
    assert "the URL in env:NOTIFY_HOOK_URL is not an http(s) URL" in result.stderr
    no_secret(result, "s3cr3tValue")


def test_telegram_refusal_quotes_its_description_masked(cli, hooks):
    hook = hooks(answer(400, {"ok": False, "error_code": 400,
                              "description": "Bad Request: chat not found"}))
    telegram(cli, hook.root)
    result = cli("notify", "test", "tg")
    assert result.exit_code == 2
    assert "tg: HTTP 400: Bad Request: chat not found" in result.stderr
    no_secret(result, BOT_TOKEN, "s3cretBotToken")


def test_telegram_unauthorized_token_never_printed(cli, hooks):
    hook = hooks(answer(401, {"ok": False, "error_code": 401,
                              "description": f"Unauthorized: bot{BOT_TOKEN} is invalid"}))
    telegram(cli, hook.root)
    result = cli("notify", "test", "tg", "--format", "json")
    assert result.exit_code == 4
    [row] = result.json()
    assert row["retry"] is False and "Unauthorized" in row["message"]
    no_secret(result, BOT_TOKEN, "s3cretBotToken")


def test_telegram_ok_false_in_a_2xx_answer_is_an_error(cli, hooks, channels_of):
    hook = hooks(answer(200, {"ok": False, "error_code": 400, "description": "message is empty"}))
    telegram(cli, hook.root)
    with pytest.raises(DeliveryError) as caught:
        channels_of(cli).get("tg").send(notice())
    assert str(caught.value) == "tg: Telegram refused the message: message is empty"
    assert caught.value.retry is False
    hook.answers = [answer(200, {"ok": False, "error_code": 502, "description": "Bad Gateway"})]
    with pytest.raises(DeliveryError) as caught:
        channels_of(cli).get("tg").send(notice())
    assert caught.value.retry is True


def test_telegram_2xx_that_is_not_its_json_is_a_permanent_error(cli, hooks):
    hook = hooks(answer(200, "<html>proxy login</html>", **{"Content-Type": "text/html"}))
    telegram(cli, hook.root)
    result = cli("notify", "test", "tg")
    assert result.exit_code == 2
    assert "tg: invalid JSON from POST ***: the answer is text/html, not JSON" in result.stderr
    no_secret(result, BOT_TOKEN, "s3cretBotToken")


# --------------------------------------------------------------------------- routes
def test_audience_without_channel_sends_to_every_routed_channel(cli, hooks):
    first, second = hooks(answer(200, "ok")), hooks(answer(500, "down"))
    configure(cli, """\
notify:
  channels:
    a: {transport: webhook, format: slack, url: env:HOOK_A}
    b: {transport: webhook, format: mattermost, url: env:HOOK_B}
  routes:
    engineers: [a, b]
    client: []
    "*": [b]
""", HOOK_A=first.url, HOOK_B=second.url)
    result = cli("notify", "test", "--audience", "engineers")
    assert result.exit_code == 75
    assert result.stdout == "a: delivered\n"
    assert "b: HTTP 500: down" in result.stderr
    assert len(first.requests) == 1 and len(second.requests) == 1
    cli("notify", "test", "--audience", "contact")  # no route of its own: the "*" route
    assert len(first.requests) == 1 and len(second.requests) == 2
    assert second.requests[-1]["body"]["text"].endswith("(audience: contact). If you can"
                                                         " read it, the channel works.")
    nothing = cli("notify", "test", "--audience", "client")  # an empty route: no channel
    assert nothing.exit_code == 2
    assert "no channel is routed for 'client'" in nothing.stderr


def test_channels_for_audience_fallback():
    channels = Channels(routes={"engineers": ("a", "b"), "client": (), "*": ("c",)})
    assert channels.for_audience("engineers") == ("a", "b")
    assert channels.for_audience("client") == ()
    assert channels.for_audience("party:vendor") == ("c",)
    assert Channels(routes={"engineers": ("a",)}).for_audience("contact") == ()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nope"], "unknown channel 'nope' (channels: hook)"),
        ([], "name a CHANNEL, or an --audience"),
        (["hook", "--audience", "everyone"], "--audience 'everyone': expected an audience"),
        (["hook", "--audience", "*"], "--audience '*'"),
    ],
)
def test_notify_test_usage_errors(cli, args, says):
    webhook(cli, "slack", "http://127.0.0.1:9/x")
    result = cli("notify", "test", *args)
    assert result.exit_code == 2
    assert says in result.stderr and result.stderr.count("\n") == 1


# --------------------------------------------------------------------------- listing
def test_notify_channels_lists_references_never_secrets(cli, hooks):
    configure(cli, """\
notify:
  channels:
    duty: {transport: webhook, format: mattermost, url: env:NOTIFY_HOOK_URL, channel: duty}
    tg: {transport: webhook, format: telegram, token: keyring:tg-bot, chat_id: "-100"}
    mailer: {transport: command, command: [/usr/local/bin/send-notice, --queue, support]}
  routes:
    engineers: [duty, tg]
    engineer: [duty]
    "*": [mailer]
""", NOTIFY_HOOK_URL=f"https://chat.example/{HOOK_SECRET}")
    table = cli.ok("notify", "channels")
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["channel", "transport", "format", "target", "audiences"]
    assert lines[2].split() == ["duty", "webhook", "mattermost", "env:NOTIFY_HOOK_URL",
                                "engineers,", "engineer"]
    assert lines[3].split() == ["mailer", "command", "/usr/local/bin/send-notice", "--queue",
                                "support", "*"]
    assert lines[4].split() == ["tg", "webhook", "telegram", "chat", "-100", "via",
                                "https://api.telegram.org,", "bot", "keyring:tg-bot", "engineers"]
    rows = cli.ok("notify", "channels", "--format", "json").json()
    assert [r["name"] for r in rows] == ["duty", "mailer", "tg"]
    assert rows[0] == {"name": "duty", "transport": "webhook", "format": "mattermost",
                       "target": "env:NOTIFY_HOOK_URL", "timeout": 10,
                       "audiences": ["engineers", "engineer"]}
    assert rows[1]["timeout"] == 30 and rows[1]["format"] is None
    no_secret(table, HOOK_SECRET)


def test_notify_channels_without_configuration(cli):
    result = cli.ok("notify", "channels")
    assert result.stdout == "no notice channels in sccli.yaml (add them under notify: channels:)\n"
    assert cli.ok("notify", "channels", "--format", "json").json() == []


# --------------------------------------------------------------------------- command
SCRIPT = """\
import json, os, sys, time
notice = json.load(sys.stdin)
mode = notice["data"].get("mode") or os.environ.get("MODE", "ok")
with open(os.environ["OUT"], "a", encoding="utf-8") as out:
    out.write(json.dumps({"notice": notice, "channel": os.environ["SCCLI_CHANNEL"],
                          "password": os.environ.get("CMD_PASSWORD_IN"),
                          "argv": sys.argv[1:]}) + "\\n")
if mode == "sleep":
    time.sleep(30)
print("some progress", file=sys.stderr)
if mode == "tempfail":
    print("smtp: 451 try later (password " + os.environ["CMD_PASSWORD_IN"] + ")", file=sys.stderr)
    sys.exit(75)
if mode == "signal":
    import signal
    os.kill(os.getpid(), signal.SIGTERM)
if mode == "fail":
    print("mailbox unknown\\n\\n", file=sys.stderr)
    sys.exit(1)
"""


@pytest.fixture
def script(cli, tmp_path: Path):
    path = tmp_path / "send_notice.py"
    path.write_text(SCRIPT, encoding="utf-8")
    out = tmp_path / "received.jsonl"

    def setup(mode: str = "ok", timeout: str = "10s", program: str | None = None) -> Path:
        argv = json.dumps([program or sys.executable, str(path), "--queue", "support"])
        configure(cli, f"""\
notify:
  channels:
    mailer:
      transport: command
      command: {argv}
      timeout: {timeout}
      env:
        OUT: {json.dumps(str(out))}
        MODE: {mode}
        CMD_PASSWORD_IN: env:CMD_PASSWORD
  routes:
    client: [mailer]
""", CMD_PASSWORD="hunter2-Secret-77")
        return out

    return setup


def received(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_command_reads_the_notice_on_stdin(cli, script):
    out = script()
    result = cli.ok("notify", "test", "mailer", "--audience", "client")
    assert result.stdout == "mailer: delivered\n"
    [got] = received(out)
    assert got["notice"] == {
        "key": "test/mailer/20260302T100000", "ticket": "TEST-1", "kind": "test",
        "audience": "client", "lang": "en", "subject": "sccli test notice",
        "text": SAMPLE_TEXT.format(channel="mailer", audience="client"),
        "created_at": "2026-03-02T10:00:00+03:00", "data": {"test": True},
    }
    assert got["channel"] == "mailer"
    assert got["password"] == "hunter2-Secret-77"  # resolved from env:CMD_PASSWORD, in env
    assert got["argv"] == ["--queue", "support"]  # never on the command line


def test_command_exit_75_is_retried_with_stderr_last_line_masked(cli, script):
    script("tempfail")
    result = cli("notify", "test", "mailer")
    assert result.exit_code == 75
    assert result.stderr == (
        "sccli: error: mailer: python3 failed temporarily (exit 75): smtp: 451 try later"
        " (password ***) (a retry may help)\n").replace("python3", Path(sys.executable).name)
    no_secret(result, "hunter2-Secret-77")


def test_command_other_exit_is_permanent(cli, script, channels_of):
    script("fail")
    result = cli("notify", "test", "mailer")
    assert result.exit_code == 2
    assert "failed (exit 1): mailbox unknown" in result.stderr
    assert "retry" not in result.stderr
    with pytest.raises(DeliveryError) as caught:
        channels_of(cli).get("mailer").send(notice())
    assert caught.value.retry is False


def test_command_timeout_kills_it_and_is_retried(cli, script):
    script("sleep", timeout="1s")
    started = time.monotonic()
    result = cli("notify", "test", "mailer")
    assert time.monotonic() - started < 15
    assert result.exit_code == 75
    assert "did not finish within 1 s (killed)" in result.stderr


def test_command_killed_by_a_signal_is_retried(cli, script):
    script("signal")
    result = cli("notify", "test", "mailer")
    assert result.exit_code == 75
    assert "was killed by signal 15: some progress" in result.stderr


def test_command_that_cannot_start_is_retried(cli, script, tmp_path):
    script(program=str(tmp_path / "no-such-program"))
    result = cli("notify", "test", "mailer")
    assert result.exit_code == 75
    assert "no-such-program cannot be started (No such file or directory)" in result.stderr
