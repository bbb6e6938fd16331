"""`sccli init`: create the workspace files and the store."""

from __future__ import annotations

import click

from ..config import CONFIG_FILE, SLA_FILE, default_config_text, default_sla_text
from ..errors import UsageError
from ..fileio import atomic_write
from ..render import say
from . import app_of


@click.command("init")
@click.option("--executor", default="Программные Технологии", show_default=True,
              help="The executor's name written into sccli.yaml.")
@click.option("--force", is_flag=True, help="Overwrite existing sccli.yaml and sla.yaml.")
@click.pass_context
def init(ctx: click.Context, executor: str, force: bool) -> None:
    """Write sccli.yaml and sla.yaml into the workspace and create the store.

    \b
    Example:
      sccli --home ./support init
    """
    app = app_of(ctx)
    home = app.home
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the workspace {home}: {exc.strerror}") from None
    written = []
    for name, text in ((CONFIG_FILE, default_config_text(executor)), (SLA_FILE, default_sla_text())):
        path = home / name
        if path.exists() and not force:
            continue
        try:
            atomic_write(path, text)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None
        written.append(name)
    app.settings  # noqa: B018 - validate what is there (an older file may be broken)
    app.sla  # noqa: B018
    store = app.store
    click.echo(f"workspace: {home}")
    click.echo(f"written: {', '.join(written) if written else 'nothing (files exist; --force)'}")
    say(f"store: {store.location} (schema v{store.schema_version()})")
