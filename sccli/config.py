"""The workspace's files, and ``sccli.yaml``'s settings (executor, clients, parties, trackers).

This module reads the workspace: where it is (``default_home``), each file's text
(``read_file``), the default texts ``sccli init`` writes, and ``load_settings`` /
``load_sla``. ``sccli.yaml``'s settings and schema live here; ``sla.yaml``'s (the contract's
terms and the service packages) live in ``sccli.sla_config``, which ``load_sla`` parses with.
``parse_sla`` and ``SlaSettings`` stay importable from here too (``load_sla`` uses them, and
tests import ``parse_sla`` beside ``default_sla_text``).

Every mistake is reported as ``file:line: key.path: problem (expected …)``; unknown keys
are errors; credentials are only accepted as ``env:NAME`` / ``keyring:NAME`` references.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from . import schema as s
from .errors import TemporaryFailure, UsageError, is_temporary_os_error
from .notify.settings import NotifySchema, NotifySettings
from .sla_config import FRESH_HINT, SlaSettings, parse_sla

CONFIG_FILE = "sccli.yaml"
SLA_FILE = "sla.yaml"
LANGUAGES = ("en", "ru")
PARTY_KINDS = ("executor", "vendor", "partner", "client", "provider")


def default_sla_text() -> str:
    return resources.files("sccli").joinpath("data/sla.yaml").read_text(encoding="utf-8")


def default_config_text(executor: str = "Программные Технологии") -> str:
    return f"""\
# sccli workspace configuration. Reference: README.md, "Configuration".
# Secrets never go here: write env:NAME or keyring:NAME instead of a token.

executor:
  name: {executor}
  email: crm.support@samarasoft.com
  portal: https://support.samarasoft.com
  language: ru

# Per-client settings (clients themselves are added with `sccli client add`).
clients: {{}}
#  ACME:
#    language: en
#    parties: [partner-x]     # partners whose work is in this client's system

# Who owns problems outside the executor's layer, and where to escalate them.
parties:
  vendor:
    kind: vendor
    title: BPMSoft
    language: ru
#   tracker: vendor-portal
#  partner-x:
#    kind: partner
#    title: Partner X LLC
#    language: en
#    tracker: partner-x-github

# Trackers sccli syncs with.
trackers: {{}}
#  partner-x-github:
#    adapter: github
#    repo: partner-x/crm-support
#    token: env:PARTNER_X_GITHUB_TOKEN
#  portal:                       # where client requests arrive (README "Two roles")
#    adapter: local              # an intake kept on disk; bpmsoft for the real portal
#    path: portal
#    role: intake
#    accounts:                   # the intake's account → client key
#      ООО Акме: ACME

# Where `sccli tick` sends its notices (README "Notification channels"); none until set.
#notify:
#  channels:
#    duty:
#      transport: webhook
#      format: mattermost          # mattermost | slack | telegram | json
#      url: env:SCCLI_DUTY_WEBHOOK  # the webhook URL is a credential: never here in clear
#  routes:
#    engineers: [duty]
#    engineer: [duty]
"""


# ---------------------------------------------------------------- sccli.yaml


@dataclass(frozen=True)
class Executor:
    name: str
    email: str
    portal: str | None
    language: str


@dataclass(frozen=True)
class ClientSettings:
    language: str | None
    parties: tuple[str, ...]


@dataclass(frozen=True)
class Party:
    name: str
    kind: str
    title: str
    language: str
    tracker: str | None
    email: str | None


@dataclass(frozen=True)
class TrackerSettings:
    """One tracker of sccli.yaml. ``role`` is "escalation" (a party's tracker) or "intake"
    (the client's single window: requests arrive there, answers go back). An intake's
    ``accounts`` maps the account names the intake uses to sccli client keys (an account
    not listed is reported, never guessed); ``channel`` is the channel of a request the
    intake does not name one for."""

    name: str
    adapter: str
    options: dict[str, Any]
    role: str = "escalation"
    accounts: dict[str, str] = field(default_factory=dict)
    channel: str = "portal"


@dataclass(frozen=True)
class Settings:
    executor: Executor
    clients: dict[str, ClientSettings]
    parties: dict[str, Party]
    trackers: dict[str, TrackerSettings]
    # notice channels and routes (README "Notification channels"); none in older configs
    notify: NotifySettings = field(default_factory=NotifySettings)


class _TrackerSchema(s.Schema):
    """A tracker's keys depend on its adapter: validate with the adapter's own schema."""

    expected = "a mapping with an 'adapter' key"

    def convert(self, node, path, ctx):
        items = s.mapping_items(node, path, ctx, self.expected)
        adapter_node = next((v for k, v in items if s.scalar_value(k) == "adapter"), None)
        if adapter_node is None:
            raise ctx.fail(node, f"{path}.adapter", "required key is missing (e.g. github)")
        kind = s.Str().convert(adapter_node, f"{path}.adapter", ctx)
        from .adapters import AdapterLoadError, UnknownAdapter, available_kinds, load_adapter_class

        try:
            cls = load_adapter_class(kind)
        except UnknownAdapter:
            raise ctx.fail(
                adapter_node,
                f"{path}.adapter",
                f"unknown adapter {s.show(kind)} (expected one of: {', '.join(available_kinds())})",
            ) from None
        except AdapterLoadError as exc:  # registered but broken: say why, not "unknown"
            raise ctx.fail(adapter_node, f"{path}.adapter", str(exc)) from None
        fields = {"adapter": s.Field(s.Str(), required=True), **_ROLE_FIELDS,
                  **cls.config_schema}
        values = s.Struct(fields).convert(node, path, ctx)
        values.pop("adapter")
        role = values.get("role") or "escalation"
        roles = getattr(cls, "roles", frozenset({"escalation"}))
        if role not in roles:
            role_node = next((v for k, v in items if s.scalar_value(k) == "role"), node)
            raise ctx.fail(role_node, f"{path}.role",
                           f"the {kind} adapter cannot be an {role} tracker (its roles:"
                           f" {', '.join(sorted(roles))})")
        if role != "intake" and values.get("accounts"):
            raise ctx.fail(node, f"{path}.accounts", "only an intake tracker maps accounts"
                           " to clients (add role: intake, or remove accounts:)")
        # the common keys go to TrackerSettings; an adapter that declares one keeps it too
        common = {key: (values[key] if key in cls.config_schema else values.pop(key))
                  for key in _ROLE_FIELDS}
        return (kind, values, common)


# Keys every tracker may have, whatever its adapter (issue 11, "Two roles of a tracker").
_ROLE_FIELDS = {
    "role": s.Field(s.Str(choices=("escalation", "intake")), default="escalation"),
    "accounts": s.Field(s.MapOf(s.Str(expected="a client key"),
                                key=s.Str(expected="an account name")), default=dict),
    "channel": s.Field(s.Str(choices=("email", "portal", "phone", "messenger")),
                       default="portal"),
}


_LANG = s.Str(choices=LANGUAGES)

CONFIG_SCHEMA = s.Struct(
    {
        "executor": s.Field(
            s.Struct(
                {
                    "name": s.Field(s.Str(), required=True),
                    "email": s.Field(
                        s.Str(pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+", expected="an e-mail address"),
                        required=True,
                    ),
                    "portal": s.Field(s.Str(pattern=r"https?://\S+", expected="an http(s) URL")),
                    "language": s.Field(_LANG, default="ru"),
                },
                build=lambda v: Executor(**v),
            ),
            required=True,
        ),
        "clients": s.Field(
            s.MapOf(
                s.Struct(
                    {
                        "language": s.Field(_LANG),
                        "parties": s.Field(s.ListOf(s.Str()), default=list),
                    },
                    build=lambda v: ClientSettings(v["language"], tuple(v["parties"])),
                )
            ),
            default=dict,
        ),
        "parties": s.Field(
            s.MapOf(
                s.Struct(
                    {
                        "kind": s.Field(s.Str(choices=PARTY_KINDS), required=True),
                        "title": s.Field(s.Str(), required=True),
                        "language": s.Field(_LANG, default="ru"),
                        "tracker": s.Field(s.Str()),
                        "email": s.Field(s.Str(pattern=r"[^@\s]+@[^@\s]+", expected="an e-mail")),
                    }
                )
            ),
            default=dict,
        ),
        "trackers": s.Field(s.MapOf(_TrackerSchema()), default=dict),
        "notify": s.Field(NotifySchema(), default=NotifySettings),
    }
)


def parse_config(text: str, where: str) -> Settings:
    raw = s.load(text, CONFIG_SCHEMA, where, hint=FRESH_HINT)
    parties = {name: Party(name=name, **v) for name, v in raw["parties"].items()}
    trackers = {
        name: TrackerSettings(name, kind, options, common["role"], dict(common["accounts"]),
                              common["channel"])
        for name, (kind, options, common) in raw["trackers"].items()
    }
    for party in parties.values():
        if party.tracker and party.tracker not in trackers:
            raise s.ConfigError(
                where,
                None,
                f"parties.{party.name}.tracker",
                f"unknown tracker {s.show(party.tracker)} (define it under trackers:)",
            )
        if party.tracker and trackers[party.tracker].role == "intake":
            raise s.ConfigError(
                where, None, f"parties.{party.name}.tracker",
                f"{s.show(party.tracker)} is an intake (where client requests arrive); a"
                " party's tracker must be an escalation tracker",
            )
    for key, client in raw["clients"].items():
        for party in client.parties:
            if party not in parties:
                raise s.ConfigError(
                    where, None, f"clients.{key}.parties", f"unknown party {s.show(party)}"
                )
    for audience in raw["notify"].routes:
        if audience.startswith("party:") and audience[len("party:"):] not in parties:
            raise s.ConfigError(
                where, None, f"notify.routes.{audience}",
                f"unknown party {s.show(audience[len('party:'):])} (define it under parties:)",
            )
    return Settings(raw["executor"], raw["clients"], parties, trackers, raw["notify"])


# ---------------------------------------------------------------- workspace


def default_home() -> Path:
    """The user's config directory (XDG on Linux, the platform's equivalent elsewhere)."""
    if os.name == "nt":  # pragma: no cover
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif os.uname().sysname == "Darwin":  # pragma: no cover
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "sccli"


def read_file(path: Path) -> str:
    """A configuration file's text: a regular file of at most ``schema.MAX_BYTES``, UTF-8
    (a byte-order mark is allowed); anything else is one line naming the file."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a directory, a FIFO (reading it would block)
            raise s.ConfigError(str(path), None, "", "not a regular file")
        with path.open("rb") as handle:
            data = handle.read(s.MAX_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(
            f"{path}: not found; run `sccli init` to create the workspace (or pass --home DIR)"
        ) from None
    except OSError as exc:
        if is_temporary_os_error(exc):
            raise TemporaryFailure(f"{path}: cannot read ({exc.strerror}); try again later") from None
        raise s.ConfigError(str(path), None, "", f"cannot read ({exc.strerror})") from None
    if len(data) > s.MAX_BYTES:
        raise s.ConfigError(
            str(path), None, "", f"too large (over {s.MAX_BYTES // 1024} KiB, the limit)"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise s.ConfigError(
            str(path), None, "", f"not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None


def load_settings(home: Path) -> Settings:
    path = home / CONFIG_FILE
    return parse_config(read_file(path), str(path))


def load_sla(home: Path, on_provisional: Callable[[int], None] | None = None) -> SlaSettings:
    path = home / SLA_FILE
    return parse_sla(read_file(path), str(path), on_provisional)
