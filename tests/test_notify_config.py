"""The ``notify:`` section of sccli.yaml: channels, routes, and one-line errors (exit 2).

Every mistake is reported as ``file:line: key.path: problem`` before any command runs, and
a webhook URL or bot token written into the file is refused (secrets only as references).
"""

from __future__ import annotations

import pytest

from sccli.config import load_settings
from sccli.notify.settings import ChannelSettings, NotifySettings


def with_notify(cli, text: str) -> None:
    path = cli.home / "sccli.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def line_of(cli, needle: str) -> int:
    lines = (cli.home / "sccli.yaml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def test_a_config_without_notify_loads_with_no_channels(cli):
    settings = load_settings(cli.home)
    assert settings.notify == NotifySettings()
    assert settings.notify.channels == {} and settings.notify.routes == {}


def test_full_notify_section_is_parsed(cli):
    with_notify(cli, """\
notify:
  channels:
    duty:
      transport: webhook
      format: mattermost
      url: env:MM_HOOK_URL
      username: sccli
      channel: support-duty
      timeout: 20s
    tg:
      transport: webhook
      format: telegram
      token: keyring:tg-bot
      chat_id: -1001234567
    mailer:
      transport: command
      command: [/usr/local/bin/send-notice, --queue, support]
      timeout: 1m
      env: {SMTP_HOST: mail.local, SMTP_PASSWORD: env:SMTP_PASSWORD, EMPTY: ""}
  routes:
    engineers: [duty, tg, duty]
    party:vendor: [mailer]
    client: []
    "*": [mailer]
""")
    notify = load_settings(cli.home).notify
    assert notify.channels["duty"] == ChannelSettings(
        name="duty", transport="webhook", timeout=20, format="mattermost", url="env:MM_HOOK_URL",
        username="sccli", channel="support-duty")
    assert notify.channels["tg"] == ChannelSettings(
        name="tg", transport="webhook", timeout=10, format="telegram", token="keyring:tg-bot",
        chat_id="-1001234567", api_url="https://api.telegram.org")
    assert notify.channels["mailer"] == ChannelSettings(
        name="mailer", transport="command", timeout=60,
        command=("/usr/local/bin/send-notice", "--queue", "support"),
        env={"SMTP_HOST": "mail.local", "SMTP_PASSWORD": "env:SMTP_PASSWORD", "EMPTY": ""})
    assert notify.routes == {"engineers": ("duty", "tg"), "party:vendor": ("mailer",),
                             "client": (), "*": ("mailer",)}


BASE = """\
notify:
  channels:
    duty: {transport: webhook, format: slack, url: env:HOOK}
"""


@pytest.mark.parametrize(
    ("text", "needle", "path", "says"),
    [
        (BASE + "  routes:\n    engineers: [duty, nope]\n", "engineers: [duty, nope]",
         "notify.routes.engineers[1]", "unknown channel 'nope' (channels: duty)"),
        (BASE + "  routes:\n    clients: [duty]\n", "clients: [duty]",
         "notify.routes.clients", "'clients' is malformed (expected an audience: client,"
         " contact, engineers, engineer, party:NAME or *)"),
        (BASE + "  route:\n    client: [duty]\n", "route:", "notify.route",
         "unknown key (expected one of: channels, routes)"),
        ("notify:\n  channels:\n    x: {transport: email}\n", "transport: email",
         "notify.channels.x.transport", "'email' is not allowed (expected one of: webhook, command)"),
        ("notify:\n  channels:\n    x: {format: slack}\n", "x: {format",
         "notify.channels.x.transport", "required key is missing (webhook or command)"),
        ("notify:\n  channels:\n    x: {transport: webhook, url: env:A}\n", "x: {transport",
         "notify.channels.x.format",
         "required key is missing (one of: mattermost, slack, telegram, json)"),
        ("notify:\n  channels:\n    x: {transport: webhook, format: teams, url: env:A}\n",
         "format: teams", "notify.channels.x.format", "'teams' is not allowed"),
        ("notify:\n  channels:\n    x:\n      transport: webhook\n      format: slack\n"
         "      url: https://hooks.slack.com/services/T0/B0/s3cr3t\n", "url: https",
         "notify.channels.x.url", "secrets are not accepted in config files"),
        ("notify:\n  channels:\n    x: {transport: webhook, format: slack}\n", "x: {transport",
         "notify.channels.x.url", "required key is missing"),
        ("notify:\n  channels:\n    x: {transport: webhook, format: telegram, token: env:T}\n",
         "x: {transport", "notify.channels.x.chat_id", "required key is missing"),
        ("notify:\n  channels:\n    x: {transport: webhook, format: telegram, token: env:T,"
         " chat_id: 'my chat'}\n", "chat_id", "notify.channels.x.chat_id",
         "'my chat' is malformed (expected a chat id (-100…) or @channel)"),
        ("notify:\n  channels:\n    x: {transport: webhook, format: json, url: env:A,"
         " username: bot}\n", "username", "notify.channels.x.username",
         "unknown key (expected one of: transport, format, timeout, url)"),
        ("notify:\n  channels:\n    x: {transport: webhook, format: slack, url: env:A,"
         " timeout: soon}\n", "timeout", "notify.channels.x.timeout", "'soon' is not a duration"),
        ("notify:\n  channels:\n    x: {transport: command, command: send-notice --all}\n",
         "command: send-notice", "notify.channels.x.command",
         "write the command as a list of arguments"),
        ("notify:\n  channels:\n    x: {transport: command, command: []}\n", "command: []",
         "notify.channels.x.command", "needs at least 1 item(s)"),
        ("notify:\n  channels:\n    x: {transport: command, command: [a], env: {1BAD: x}}\n",
         "1BAD", "notify.channels.x.env.1BAD", "expected an environment variable name"),
        ("notify:\n  channels:\n    x y: {transport: command, command: [a]}\n", "x y:",
         "notify.channels.x y", "'x y' is malformed (expected a name)"),
        ("notify: [a]\n", "notify: [a]", "notify", "expected a mapping with channels and routes"),
    ],
)
def test_notify_config_errors_are_one_line_with_file_line_and_key(cli, text, needle, path, says):
    with_notify(cli, text)
    result = cli("notify", "channels")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    where = f"{cli.home / 'sccli.yaml'}:{line_of(cli, needle)}: {path}: "
    assert result.stderr.startswith(f"sccli: error: {where}"), result.stderr
    assert says in result.stderr
    assert "s3cr3t" not in result.stderr


def test_route_to_an_unknown_party_is_refused(cli):
    with_notify(cli, BASE + "  routes:\n    party:partner-z: [duty]\n")
    result = cli("notify", "channels")
    assert result.exit_code == 2
    assert result.stderr == (
        f"sccli: error: {cli.home / 'sccli.yaml'}: notify.routes.party:partner-z:"
        " unknown party 'partner-z' (define it under parties:)\n")


def test_a_broken_notify_section_stops_every_command(cli):
    """Like every config mistake: no command runs on a half-understood configuration."""
    with_notify(cli, BASE + "  routes:\n    engineers: [nope]\n")
    result = cli("client", "list")
    assert result.exit_code == 2 and "unknown channel 'nope'" in result.stderr


def test_the_readme_example_loads(cli):
    """README "Notification channels" shows a full configuration: it must be a valid one."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Notification channels", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    with_notify(cli, example)
    notify = load_settings(cli.home).notify
    assert sorted(notify.channels) == ["archive", "clients-slack", "duty", "duty-telegram",
                                       "mailer"]
    assert notify.routes["party:vendor"] == ("mailer",)
    listing = cli.ok("notify", "channels", "--format", "json").json()
    assert {row["name"]: row["audiences"] for row in listing}["archive"] == ["client", "*"]


def test_the_commented_example_sccli_init_writes_is_a_valid_notify_section():
    """`sccli init` writes a commented notify: example; uncommented, it must load."""
    from sccli.config import default_config_text, parse_config

    text = default_config_text()
    assert "\n#notify:\n" in text
    lines = text.splitlines()
    start = lines.index("#notify:")
    block = [ln[1:] for ln in lines[start:] if ln.startswith("#")]
    settings = parse_config("\n".join([*lines[:start], *block]) + "\n", "sccli.yaml")
    assert settings.notify.routes == {"engineers": ("duty",), "engineer": ("duty",)}
