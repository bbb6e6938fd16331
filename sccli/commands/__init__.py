"""One module per command group; each is thin: parse → call the core → render."""

from __future__ import annotations

import click

from ..render import FORMATS

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format (JSON is stable; see README).",
)


def app_of(ctx: click.Context):
    return ctx.find_root().obj
