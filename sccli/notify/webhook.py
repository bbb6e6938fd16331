"""The webhook transport: one HTTP POST of JSON per notice (Mattermost, Slack, Telegram, JSON).

It goes through the project's one HTTP layer (``sccli.adapters.http``): its timeouts, its
rate-limit handling (``Retry-After``) and its masking of credentials. The layer does not
retry here (``max_retries=0``): a POST that failed is retried by the outbox later, so one
``tick`` never sleeps on a slow chat server.

What is retried (``DeliveryError.retry``): a connection failure, a timeout, any 5xx, 408
and 429 (``retry_at`` then holds the server's ``Retry-After``). Any other answer outside
2xx is permanent (401/403 with exit code 4): the notice as sent will never be accepted, a
person has to fix the channel's settings. Telegram answers ``{"ok": false, "description":
…}``; its description is quoted, masked.

The URL of a Slack or Mattermost webhook and a Telegram bot token are credentials: they are
resolved from their ``env:``/``keyring:`` reference at the first send and masked (``***``)
in every message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ..errors import AUTH, one_line
from . import DeliveryError, Notice
from .settings import ChannelSettings

# The most text each service shows of one message; longer texts are cut with "…".
TEXT_LIMITS = {"mattermost": 16_000, "slack": 40_000, "telegram": 4096}
_GROUP_MENTION = re.compile(r"@(channel|all|here)\b", re.IGNORECASE)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slack_escape(text: str) -> str:
    """Slack reads ``<…>`` as links and mentions (``<!channel>`` pings everyone): escape
    the three characters its docs name, so a ticket's text stays text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _defuse_mentions(text: str) -> str:
    """``@channel``, ``@all`` and ``@here`` in a ticket's text must not page a whole
    Mattermost channel: a zero-width space after the ``@`` keeps them readable, inert."""
    return _GROUP_MENTION.sub("@\u200b\\1", text)


def message_body(settings: ChannelSettings, notice: Notice) -> dict[str, Any]:
    """The JSON body the channel's ``format`` posts for ``notice``."""
    fmt = settings.format
    if fmt == "json":
        return notice.to_json()
    if fmt == "telegram":
        # plain text (no parse_mode): nothing in a ticket's text is markup to Telegram
        text = f"{notice.subject}\n\n{notice.text}" if notice.text else notice.subject
        return {"chat_id": settings.chat_id, "text": _cut(text, TEXT_LIMITS["telegram"])}
    if fmt == "slack":
        subject, text = _slack_escape(notice.subject), _slack_escape(notice.text)
        body: dict[str, Any] = {"text": _cut(f"*{subject}*\n{text}" if text else f"*{subject}*",
                                             TEXT_LIMITS["slack"])}
    elif fmt == "mattermost":
        subject, text = _defuse_mentions(notice.subject), _defuse_mentions(notice.text)
        subject = subject.replace("*", "\\*")  # the bold marks stay ours
        body = {"text": _cut(f"**{subject}**\n{text}" if text else f"**{subject}**",
                             TEXT_LIMITS["mattermost"])}
    else:  # pragma: no cover - the schema allows no other format
        raise AssertionError(fmt)
    if settings.username:
        body["username"] = settings.username
    if settings.channel:
        body["channel"] = settings.channel
    return body


class WebhookTransport:
    """A channel with ``transport: webhook``."""

    def __init__(self, settings: ChannelSettings, factory: Any = None,
                 resolve: Callable[[str], str] | None = None):
        """``factory``: an ``HttpFactory`` (tests, a run's deadline); by default one with
        the channel's ``timeout`` and no retries. ``resolve``: secret reference → value."""
        self.name = settings.name
        self.settings = settings
        self._factory = factory
        self._resolve = resolve
        self._client: Any = None
        self._url = ""

    # -------------------------------------------------------------- the target
    def _connect(self) -> Any:
        """The HTTP client and URL, built at the first send (resolving the secret)."""
        if self._client is not None:
            return self._client
        from ..adapters.http import HttpFactory
        from ..secrets import SecretError, resolve_ref

        resolve = self._resolve or resolve_ref
        st = self.settings
        try:
            if st.format == "telegram":
                assert st.token is not None and st.api_url is not None
                token = resolve(st.token)
                url = f"{st.api_url.rstrip('/')}/bot{token}/sendMessage"
                secrets = [url, token]
            else:
                assert st.url is not None
                url = resolve(st.url).strip()
                secrets = [url]
        except SecretError as exc:  # fixed in the environment, the notice can still go
            raise DeliveryError(f"{self.name}: {exc}", retry=True) from None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            what = "the bot API URL" if st.format == "telegram" else f"the URL in {st.url}"
            raise DeliveryError(f"{self.name}: {what} is not an http(s) URL", retry=False)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        # the path and query hold the credential: masked whole, and any long piece of it
        # a peer might quote on its own (a hook id, a Slack secret, a token parameter)
        pieces = [p for p in re.split(r"[/?&=;]", path) if len(p) >= 10]
        secrets[1:1] = [path, path.lstrip("/")]  # the longest first: "POST ***"
        secrets += pieces
        if "@" in parts.netloc:
            secrets.append(parts.netloc.rsplit("@", 1)[0])
        factory = self._factory or HttpFactory(
            timeout=(min(5.0, st.timeout), float(st.timeout)), max_retries=0, max_wait=0.0)
        client = factory.client(url, name=self.name)
        # the layer masks header credentials; here the URL itself is the credential
        client.secrets = tuple(x for x in secrets if x and len(x) >= 4) + tuple(client.secrets)
        self._client, self._url = client, url
        return client

    # -------------------------------------------------------------- sending
    def send(self, notice: Notice) -> None:
        from ..adapters.base import AuthError, RateLimited, TrackerError, Unreachable
        from ..adapters.http import BudgetExhausted, DeadlineReached

        client = self._connect()
        body = message_body(self.settings, notice)
        try:
            # every status comes back: this module classifies it (any 5xx is temporary);
            # 429 and rate-limit 403s are turned into RateLimited by the layer first
            resp = client.request("POST", self._url, json=body, expect=range(100, 600),
                                  idempotent=False)
        except RateLimited as exc:
            raise DeliveryError(client.redact(exc), retry=True, retry_at=exc.reset_at) from None
        except (Unreachable, DeadlineReached, BudgetExhausted) as exc:
            raise DeliveryError(client.redact(exc), retry=True) from None
        except AuthError as exc:
            raise DeliveryError(client.redact(exc), retry=False, exit_code=AUTH) from None
        except TrackerError as exc:  # a malformed URL, too many redirects
            raise DeliveryError(client.redact(exc), retry=False) from None
        status = resp.status_code
        if 200 <= status < 300:
            if self.settings.format == "telegram":
                self._check_telegram(client, resp)
            return
        why = self._explanation(resp)
        message = client.redact(f"{self.name}: HTTP {status}" + (f": {why}" if why else ""))
        if status >= 500 or status == 408:
            raise DeliveryError(message, retry=True)
        if status in (401, 403):
            raise DeliveryError(f"{message} (check the webhook URL or bot token)", retry=False,
                                exit_code=AUTH)
        raise DeliveryError(message, retry=False)

    def _explanation(self, resp: Any) -> str:
        """The peer's own reason, one short line: Telegram's ``description``, a JSON
        ``message``/``error``, or Slack's short plain-text error code."""
        media = resp.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if "json" in media:
            try:
                data = resp.json()
            except Exception:  # an unreadable body is no explanation
                return ""
            if isinstance(data, dict):
                for key in ("description", "message", "error", "text"):
                    if isinstance(data.get(key), str):
                        return one_line(data[key], 200)
            return ""
        if media == "text/plain":
            text = resp.content[:201].decode("utf-8", "replace")
            return one_line(text, 200) if len(resp.content) <= 200 else ""
        return ""

    def _check_telegram(self, client: Any, resp: Any) -> None:
        """Telegram says ``{"ok": true, …}`` when it took the message."""
        from ..adapters.base import TrackerError

        try:
            data = resp.json()
        except TrackerError as exc:  # 2xx but not Telegram's JSON: a proxy? let a person look
            raise DeliveryError(client.redact(exc), retry=False) from None
        if isinstance(data, dict) and data.get("ok") is True:
            return
        code = data.get("error_code") if isinstance(data, dict) else None
        why = data.get("description") if isinstance(data, dict) else None
        text = f"{self.name}: Telegram refused the message"
        text += f": {one_line(why, 200)}" if isinstance(why, str) and why else ""
        retry = isinstance(code, int) and (code >= 500 or code == 429)
        raise DeliveryError(client.redact(text), retry=retry)
