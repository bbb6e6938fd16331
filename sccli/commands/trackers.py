"""`sccli tracker list|check`: the trackers of sccli.yaml, their adapters and capabilities."""

from __future__ import annotations

from dataclasses import asdict

import click

from ..errors import OK
from ..render import Column, emit, say, to_json
from . import app_of, format_option

COLUMNS = [
    Column("name", "tracker", "трекер"),
    Column("adapter", "adapter", "адаптер"),
    Column("role", "role", "роль"),
    Column("parties", "parties", "стороны"),
    Column("capabilities", "capabilities", "возможности"),
]


@click.group("tracker")
def tracker() -> None:
    """Configured trackers: list them, check connectivity and credentials."""


@tracker.command("list")
@format_option
@click.pass_context
def tracker_list(ctx, fmt):
    """List the trackers of sccli.yaml with their adapter, role (intake: where client
    requests arrive; escalation: a party's tracker) and capabilities."""
    from ..adapters import AdapterLoadError, load_adapter_class

    app = app_of(ctx)
    rows = []
    for name, settings in sorted(app.settings.trackers.items()):
        try:
            caps = asdict(load_adapter_class(settings.adapter).capabilities)
        except AdapterLoadError:
            caps = {}
        rows.append({
            "name": name,
            "adapter": settings.adapter,
            "role": settings.role,
            "parties": [p.name for p in app.settings.parties.values() if p.tracker == name],
            "capabilities": [k.replace("_", "-") for k, v in caps.items() if v],
            "capability_flags": caps,
        })
    emit(rows, COLUMNS, fmt, app.lang, empty="no trackers in sccli.yaml (add them under trackers:)")


@tracker.command("check")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.pass_context
def tracker_check(ctx, name, fmt):
    """Test connectivity and credentials of tracker NAME.

    \b
    Exit codes: 0 reachable and authenticated; 4 credentials missing or refused;
    75 unreachable or rate-limited; 5 another tracker error.
    """
    from ..adapters.base import TrackerError
    from ..adapters.http import HttpFactory
    from ..sync.wiring import build_adapter

    app = app_of(ctx)
    code, message = OK, ""
    try:
        adapter = build_adapter(app, name, HttpFactory(max_retries=1, max_wait=10))
        message = adapter.check()
    except TrackerError as exc:  # each kind carries its exit code (4, 75 or 5)
        code, message = exc.exit_code, str(exc)
    if fmt == "json":
        click.echo(to_json({"tracker": name, "ok": code == OK, "exit_code": code,
                            "message": message}))
    elif code == OK:
        say(f"{name}: ok, {message}", multiline=False)
    else:
        say(f"sccli: error: {message if message.startswith(name) else name + ': ' + message}",
            err=True, multiline=False)
    ctx.exit(code)
