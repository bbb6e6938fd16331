"""The root command: global options, lazy loading of command modules, and exit codes.

Command modules are imported only when their command runs, so ``sccli --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import click

from .errors import SccliError

# name → (module, attribute, one-line help shown by `sccli --help` without importing it)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("sccli.commands.init", "init", "Create a workspace: sccli.yaml, sla.yaml, store."),
    "client": ("sccli.commands.clients", "client", "Add and list clients."),
    "contact": ("sccli.commands.clients", "contact", "Set and show a client's authorized contact."),
    "ticket": ("sccli.commands.tickets", "ticket", "Register tickets and move them through their lifecycle."),
    "triage": ("sccli.commands.triage", "triage", "What every open ticket needs, most urgent first."),
    "queue": ("sccli.commands.queue", "queue", "A client's queue (one request at a time); reorder by agreement."),
    "billing": ("sccli.commands.billing", "billing", "The month's billable work."),
    "demo": ("sccli.commands.demo", "demo", "Build a demo workspace and show triage and SLA status."),
    "sla": ("sccli.commands.sla", "sla", "SLA clocks: deadline, status, check (CI), explain, calendar, report."),
    "sync": ("sccli.commands.sync", "sync", "Sync tickets with vendor and partner trackers (cron-safe)."),
    "escalate": ("sccli.commands.sync", "escalate", "Escalate one ticket now to the party that owns it."),
    "links": ("sccli.commands.sync", "links", "Show a ticket's remote issues and their state."),
    "tracker": ("sccli.commands.trackers", "tracker", "List trackers, check connectivity and credentials."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        spec = COMMANDS.get(name)
        if spec is None:
            return None
        module = importlib.import_module(spec[0])
        return getattr(module, spec[1])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


EPILOG = """\b
Exit codes: 0 ok, 1 SLA breach found (sla check), 2 usage or configuration
error, 4 authentication, 5 partial success, 75 temporary failure (try later)."""


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    envvar="SCCLI_HOME",
    metavar="DIR",
    help="Workspace directory [env SCCLI_HOME; default: the user's config dir].",
)
@click.option(
    "--db",
    envvar="SCCLI_DB",
    metavar="PATH|URL",
    help="Store: a SQLite file or a postgresql:// URL [env SCCLI_DB; default: DIR/sccli.db].",
)
@click.option(
    "--at",
    "at",
    metavar="ISO",
    help="Fix 'now' for this command (what-if, back-dated imports) [env SCCLI_NOW].",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "ru"]),
    help="Language of output [env SCCLI_LANG; default: from the locale].",
)
@click.version_option(package_name="sccli")
@click.pass_context
def main_group(ctx: click.Context, home, db, at, lang) -> None:
    """sccli — the support contract of a BPMSoft integrator, as a command-line tool.

    SLA clocks in business time, triage, client queues and tracker sync.
    """
    from .app import App

    app = App(home=home, db=db, at=at, lang=lang)
    ctx.obj = app
    ctx.call_on_close(app.close)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user mistakes become one line on stderr and a documented exit code."""
    from .domain.model import DomainError
    from .schema import ConfigError

    try:
        code = main_group.main(args=argv, prog_name="sccli", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("sccli: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code not in (0, 1) else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except SccliError as exc:
        click.echo(f"sccli: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except (ConfigError, DomainError) as exc:
        click.echo(f"sccli: error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:
        if not _is_store_error(exc):
            raise
        first = (str(exc).strip().splitlines() or ["no detail"])[0]
        click.echo(f"sccli: error: the store refused the change ({first}); nothing was"
                   " written, try again", err=True)
        sys.exit(75)
    except KeyboardInterrupt:
        click.echo("sccli: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def _is_store_error(exc: Exception) -> bool:
    """A database error that escaped the store (a race lost, a disk full): temporary."""
    import sqlite3

    if isinstance(exc, sqlite3.DatabaseError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


if __name__ == "__main__":  # pragma: no cover
    main()
