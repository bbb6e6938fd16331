"""Write docs/cli.md from the real `--help` of every command (so the reference never drifts).

    python scripts/gen_cli_docs.py          # rewrite docs/cli.md
    python scripts/gen_cli_docs.py --check  # exit 1 if docs/cli.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sccli.cli import main_group  # noqa: E402

TARGET = ROOT / "docs" / "cli.md"


def _walk(group: click.Group, ctx: click.Context, path: list[str]):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        yield [*path, name], command
        if isinstance(command, click.Group):
            sub = click.Context(command, info_name=name, parent=ctx)
            yield from _walk(command, sub, [*path, name])


def render() -> str:
    runner = CliRunner()
    parts = [
        "# sccli command reference",
        "",
        "Generated from `--help` by `python scripts/gen_cli_docs.py`; do not edit by hand.",
        "",
    ]
    help_of = lambda args: runner.invoke(  # noqa: E731
        main_group, [*args, "--help"], prog_name="sccli", terminal_width=100,
        env={"COLUMNS": "100"},
    ).output
    parts += ["## sccli", "", "```", help_of([]).rstrip(), "```", ""]
    ctx = click.Context(main_group, info_name="sccli")
    for path, _command in _walk(main_group, ctx, []):
        parts += [f"## sccli {' '.join(path)}", "", "```", help_of(path).rstrip(), "```", ""]
    return "\n".join(parts)


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print("docs/cli.md is out of date: run python scripts/gen_cli_docs.py")
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
