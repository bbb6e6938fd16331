"""`sccli notify channels|test`: the notice channels of sccli.yaml, and a way to try one."""

from __future__ import annotations

import click

from ..errors import OK, TEMPORARY, UsageError
from ..render import Column, emit, say, to_json
from . import app_of, format_option

COLUMNS = [
    Column("name", "channel", "канал"),
    Column("transport", "transport", "транспорт"),
    Column("format", "format", "формат"),
    Column("target", "target", "куда"),
    Column("audiences", "audiences", "адресаты"),
]

_SAMPLE = {
    "en": ("sccli test notice",
           "This is a test notice from sccli through channel {channel} (audience: {audience})."
           " If you can read it, the channel works."),
    "ru": ("Проверка уведомлений sccli",
           "Это проверочное уведомление sccli через канал {channel} (адресат: {audience})."
           " Если вы его видите, канал работает."),
}


@click.group("notify")
def notify() -> None:
    """Notice channels (webhooks, commands): list them, send a test notice."""


@notify.command("channels")
@format_option
@click.pass_context
def notify_channels(ctx, fmt):
    """List the channels of sccli.yaml (notify:) and the audiences routed to each.

    Webhook URLs and bot tokens are shown as their env:/keyring: references, never
    resolved. An audience without a route of its own goes to the "*" route.
    """
    app = app_of(ctx)
    notify_settings = app.settings.notify
    rows = []
    for name, ch in sorted(notify_settings.channels.items()):
        audiences = [a for a, names in notify_settings.routes.items() if name in names]
        rows.append({
            "name": name,
            "transport": ch.transport,
            "format": ch.format if ch.transport == "webhook" else None,
            "target": ch.target(),
            "timeout": ch.timeout,
            "audiences": audiences,
        })
    emit(rows, COLUMNS, fmt, app.lang,
         empty="no notice channels in sccli.yaml (add them under notify: channels:)")


@notify.command("test")
@click.argument("channel", required=False)
@click.option("--audience", metavar="AUDIENCE",
              help="Audience of the test notice: client, contact, engineers, engineer,"
              " party:NAME. Without CHANNEL: send to every channel routed for it."
              " [default: engineers]")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.pass_context
def notify_test(ctx, channel, audience, fmt):
    """Send a sample notice through CHANNEL now (not through the outbox).

    \b
    Exit codes: 0 delivered; 75 failed, a retry may help (unreachable, timeout,
    5xx, 429, exit 75 of a command); 4 credentials refused (401/403); 2 refused
    for good (another 4xx, another exit status): fix the channel's settings.
    """
    import re

    from ..notify import DeliveryError, Notice
    from ..notify.channels import channels_from
    from ..notify.settings import AUDIENCE_EXPECTED, AUDIENCE_PATTERN

    app = app_of(ctx)
    if audience is not None and (audience == "*" or not re.fullmatch(AUDIENCE_PATTERN, audience)):
        raise UsageError(f"--audience {audience!r}: expected {AUDIENCE_EXPECTED.replace(' or *', '')}")
    channels = channels_from(app.settings)
    if channel is not None:
        if channel not in channels.transports:
            known = ", ".join(sorted(channels.transports)) or "none in sccli.yaml (notify: channels:)"
            raise UsageError(f"unknown channel {channel!r} (channels: {known})")
        names: tuple[str, ...] = (channel,)
    elif audience is None:
        raise UsageError("name a CHANNEL, or an --audience to try every channel routed for it")
    else:
        names = channels.for_audience(audience)
        if not names:
            raise UsageError(f"no channel is routed for {audience!r} (notify: routes: in sccli.yaml)")
    audience = audience or "engineers"
    lang = app.lang if app.lang in _SAMPLE else "en"
    subject, text = _SAMPLE[lang]
    stamp = app.clock.strftime("%Y%m%dT%H%M%S")
    results, code = [], OK
    for name in names:
        notice = Notice(
            key=f"test/{name}/{stamp}", ticket_id="TEST-1", kind="test", audience=audience,
            lang=lang, subject=subject, text=text.format(channel=name, audience=audience),
            created_at=app.clock, data={"test": True},
        )
        transport = channels.get(name)
        assert transport is not None
        try:
            transport.send(notice)
            results.append({"channel": name, "delivered": True, "retry": False, "message": ""})
        except DeliveryError as exc:
            results.append({"channel": name, "delivered": False, "retry": exc.retry,
                            "message": str(exc)})
            if code in (OK, TEMPORARY):  # a permanent failure outranks a temporary one
                code = exc.exit_code
    if fmt == "json":
        click.echo(to_json(results))
        ctx.exit(code)
    for row in results:
        if row["delivered"]:
            say(f"{row['channel']}: " + ("доставлено" if lang == "ru" else "delivered"),
                multiline=False)
        else:
            later = " (a retry may help)" if row["retry"] else ""
            say(f"sccli: error: {row['message']}{later}", err=True, multiline=False)
    ctx.exit(code)
