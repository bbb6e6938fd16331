"""The ``notify:`` section of sccli.yaml: named channels and the routes of audiences to them.

.. code-block:: yaml

    notify:
      channels:
        duty:   {transport: webhook, format: mattermost, url: env:MM_HOOK_URL}
        tg:     {transport: webhook, format: telegram, token: env:TG_BOT_TOKEN, chat_id: "-100123"}
        mailer: {transport: command, command: [/usr/local/bin/send-notice, --queue, support]}
      routes:
        engineers: [duty, tg]
        "*": [duty]

A webhook URL (Slack, Mattermost) and a Telegram bot token are credentials: like tracker
tokens they are only accepted as ``env:NAME`` / ``keyring:NAME`` references and resolved
when a notice is sent, never when the configuration is read or listed.

This module imports only the schema (``sccli.config`` imports it on every command).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .. import schema as s

TRANSPORTS = ("webhook", "command")
FORMATS = ("mattermost", "slack", "telegram", "json")
TELEGRAM_API = "https://api.telegram.org"
WEBHOOK_TIMEOUT = 10  # seconds for one POST (connect and read)
COMMAND_TIMEOUT = 30  # seconds a command may run
# Who a route is for: the audiences of sccli.notify.AUDIENCES, a party, or "*" (the rest).
AUDIENCE_PATTERN = r"\*|client|contact|engineers|engineer|party:[A-Za-z0-9][\w.\-]*"
AUDIENCE_EXPECTED = "an audience: client, contact, engineers, engineer, party:NAME or *"


@dataclass(frozen=True)
class ChannelSettings:
    """One configured channel. Secrets are references (``env:NAME``), never values."""

    name: str
    transport: str  # webhook | command
    timeout: int
    # webhook
    format: str | None = None  # mattermost | slack | telegram | json
    url: str | None = None  # reference to the webhook URL (mattermost, slack, json)
    token: str | None = None  # reference to the Telegram bot token
    chat_id: str | None = None  # Telegram
    api_url: str | None = None  # Telegram API root (self-hosted Bot API server, tests)
    username: str | None = None  # mattermost, slack
    channel: str | None = None  # mattermost, slack
    # command
    command: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    def target(self) -> str:
        """Where the channel sends, as safe to print: references, never resolved secrets."""
        if self.transport == "command":
            return " ".join(self.command)
        if self.format == "telegram":
            return f"chat {self.chat_id} via {self.api_url}, bot {self.token}"
        return f"{self.url}"


@dataclass(frozen=True)
class NotifySettings:
    channels: dict[str, ChannelSettings] = field(default_factory=dict)
    routes: dict[str, tuple[str, ...]] = field(default_factory=dict)


_TIMEOUT = s.Duration()
_NAME = s.Str(pattern=r"[A-Za-z0-9][\w.\-]*", expected="a name")
_HTTP_URL = s.Str(pattern=r"https?://[^\s/?#]+(/\S*)?", expected="an http(s) URL")

# transport → format (None: any) → its keys besides "transport"
_WEBHOOK_COMMON = {
    "format": s.Field(s.Str(choices=FORMATS), required=True),
    "timeout": s.Field(_TIMEOUT, default=WEBHOOK_TIMEOUT),
}
_WEBHOOK_KEYS: dict[str, dict[str, s.Field]] = {
    "mattermost": {
        "url": s.Field(s.SecretRef(), required=True),
        "username": s.Field(s.Str()),
        "channel": s.Field(s.Str()),
    },
    "slack": {
        "url": s.Field(s.SecretRef(), required=True),
        "username": s.Field(s.Str()),
        "channel": s.Field(s.Str()),
    },
    "telegram": {
        "token": s.Field(s.SecretRef(), required=True),
        "chat_id": s.Field(s.Str(pattern=r"-?\d+|@\w{4,}", expected="a chat id (-100…) or @channel"),
                           required=True),
        "api_url": s.Field(_HTTP_URL, default=TELEGRAM_API),
    },
    "json": {"url": s.Field(s.SecretRef(), required=True)},
}
_COMMAND_KEYS = {
    "command": s.Field(s.ListOf(s.Str(), min_items=1), required=True),
    "timeout": s.Field(_TIMEOUT, default=COMMAND_TIMEOUT),
    "env": s.Field(s.MapOf(s.Str(allow_empty=True),
                           key=s.Str(pattern=r"[A-Za-z_][A-Za-z0-9_]*",
                                     expected="an environment variable name")),
                   default=dict),
}


def _value_of(node: Any, key: str) -> Any:
    items = node.value if hasattr(node, "value") and isinstance(node.value, list) else []
    return next((v for k, v in items if s.scalar_value(k) == key), None)


class _ChannelSchema(s.Schema):
    """A channel's keys depend on its transport (and a webhook's on its format)."""

    expected = "a mapping with a 'transport' key"

    def convert(self, node, path, ctx):
        s.mapping_items(node, path, ctx, self.expected)
        transport_node = _value_of(node, "transport")
        if transport_node is None:
            raise ctx.fail(node, f"{path}.transport", "required key is missing (webhook or command)")
        transport = s.Str(choices=TRANSPORTS).convert(transport_node, f"{path}.transport", ctx)
        fields: dict[str, s.Field] = {"transport": s.Field(s.Str(), required=True)}
        if transport == "command":
            command_node = _value_of(node, "command")
            if isinstance(command_node, yaml.ScalarNode) and s.scalar_value(command_node) is not None:
                raise ctx.fail(command_node, f"{path}.command",
                               "write the command as a list of arguments, e.g. [/usr/local/bin/"
                               "send-notice, --queue, support] (it runs without a shell)")
            fields.update(_COMMAND_KEYS)
        else:
            format_node = _value_of(node, "format")
            if format_node is None:
                raise ctx.fail(node, f"{path}.format",
                               f"required key is missing (one of: {', '.join(FORMATS)})")
            kind = s.Str(choices=FORMATS).convert(format_node, f"{path}.format", ctx)
            fields.update(_WEBHOOK_COMMON)
            fields.update(_WEBHOOK_KEYS[kind])
        values = s.Struct(fields).convert(node, path, ctx)
        if "command" in values:
            values["command"] = tuple(values["command"])
        return values


def _channel_ref(names: set[str]) -> s.Schema:
    class ChannelName(s.Str):
        def __init__(self) -> None:
            super().__init__(expected="the name of a channel under notify.channels")

        def convert(self, node, path, ctx):
            value = super().convert(node, path, ctx)
            if value not in names:
                known = ", ".join(sorted(names)) or "none is defined"
                raise ctx.fail(node, path, f"unknown channel {s.show(value)} (channels: {known})")
            return value

    return ChannelName()


class NotifySchema(s.Schema):
    """``notify: {channels: {NAME: …}, routes: {AUDIENCE: [NAME, …]}}``; a route naming a
    channel that is not defined is refused with the route's line."""

    expected = "a mapping with channels and routes"

    def convert(self, node, path, ctx):
        s.mapping_items(node, path, ctx, self.expected)
        channels_node = _value_of(node, "channels")
        raw_channels: dict[str, dict[str, Any]] = {}
        if channels_node is not None:
            raw_channels = s.MapOf(_ChannelSchema(), key=_NAME).convert(
                channels_node, f"{path}.channels", ctx)
        channels = {
            name: ChannelSettings(name=name, **values) for name, values in raw_channels.items()
        }
        audience = s.Str(pattern=AUDIENCE_PATTERN, expected=AUDIENCE_EXPECTED)
        values = s.Struct({
            "channels": s.Field(_Given(channels), default=dict),
            "routes": s.Field(s.MapOf(s.ListOf(_channel_ref(set(channels))), key=audience),
                              default=dict),
        }).convert(node, path, ctx)
        routes = {key: tuple(dict.fromkeys(names)) for key, names in values["routes"].items()}
        return NotifySettings(channels=channels, routes=routes)


class _Given(s.Schema):
    """A value already converted (the channels, needed before the routes are checked)."""

    def __init__(self, value: Any):
        self.value = value

    def convert(self, node, path, ctx):
        return self.value
