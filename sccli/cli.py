"""The root command: global options, lazy loading of command modules, and exit codes.

Command modules are imported only when their command runs, so ``sccli --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, NoReturn

import click

from .errors import (
    INTERNAL,
    INTERRUPTED,
    OK,
    USAGE,
    SccliError,
    TemporaryFailure,
    UsageError,
    from_os_error,
    is_temporary_os_error,
    one_line,
)

if TYPE_CHECKING:
    from pathlib import Path

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
    "notify": ("sccli.commands.notify", "notify", "Notice channels (webhooks, commands): list, send a test."),
    "tick": ("sccli.commands.tick", "tick_command", "Record time-driven facts once and send their notices (cron)."),
    "outbox": ("sccli.commands.tick", "outbox", "The queued notices and their delivery state."),
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
error, 4 authentication, 5 partial success, 70 internal error (a bug: please
report it), 75 temporary failure (try later), 130 interrupted."""


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
    help="The instant asked about: reads show the world as known then; writes are dated"
    " then (back-dated imports) [default: now; SCCLI_NOW sets the clock].",
)
@click.option(
    "--future",
    is_flag=True,
    help="Allow a write dated after now (otherwise refused as a likely typo).",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "ru"]),
    help="Language of output [env SCCLI_LANG; default: from the locale].",
)
@click.version_option(package_name="sccli")
@click.pass_context
def main_group(ctx: click.Context, home, db, at, future, lang) -> None:
    """sccli — the support contract of a BPMSoft integrator, as a command-line tool.

    SLA clocks in business time, triage, client queues and tracker sync.
    """
    from .app import App

    app = App(home=home, db=db, at=at, lang=lang, future=future)
    ctx.obj = app
    ctx.call_on_close(app.close)


def main(argv: list[str] | None = None) -> None:
    """Entry point, and the one place where errors become exit codes (``sccli.errors``).

    * click usage errors → 2, with click's usage hint;
    * an :class:`SccliError` (every user mistake and environment problem) → its exit code,
      as ``sccli: error: <one line>``;
    * a database error that escaped the store → 2 if the store is damaged, else 75 (a lost
      race, a dropped connection), with any URL's password masked;
    * an ``OSError`` (permissions, full disk, a closed pipe) → 2, or 75 when retrying helps;
    * Ctrl-C → 130;
    * anything else is a bug: the traceback goes to a file, one line says where, exit 70.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        _check_arguments(args)
        code = main_group.main(args=args, prog_name="sccli", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("sccli: aborted", err=True)
        sys.exit(INTERRUPTED)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(USAGE)  # never 1: that code means "SLA breach", whatever click's default
    except KeyboardInterrupt:
        click.echo("sccli: interrupted", err=True)
        sys.exit(INTERRUPTED)
    except SystemExit as exc:
        if _is_broken_pipe(exc.__context__):  # click exits 1 on EPIPE, and 1 means "breach"
            _fail(_broken_pipe())
        raise
    except SccliError as exc:
        _fail(exc)
    except Exception as exc:
        known = _as_user_error(exc)
        if known is None:
            _internal_error(exc, args)
        _fail(known)
    sys.exit(code if isinstance(code, int) else OK)


def _fail(error: SccliError) -> NoReturn:
    from .render import safe  # the output gate: no credential, no control character

    click.echo(f"sccli: error: {safe(one_line(error), multiline=False)}", err=True)
    sys.exit(error.exit_code)


def _check_arguments(args: list[str]) -> None:
    """Arguments that are not valid UTF-8 (surrogate escapes from the OS): a usage error."""
    for n, arg in enumerate(args, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            try:
                shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            except UnicodeEncodeError:
                shown = ascii(arg)[1:-1]
            raise UsageError(
                f"argument {n} ('{one_line(shown, 60)}') is not valid UTF-8 text; pass arguments"
                " in UTF-8 (check the terminal's or the script's encoding, e.g. LANG=C.UTF-8)"
            ) from None


def _as_user_error(exc: Exception) -> SccliError | None:
    """An error from outside sccli's own hierarchy that is still the environment's, not a bug."""
    if _is_store_error(exc):  # damaged or mismatched store: 2; a lost race, a dropped link: 75
        from .store import failure

        return failure(exc)
    if _is_broken_pipe(exc):
        return _broken_pipe()
    requests = sys.modules.get("requests")
    if requests is not None and isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return TemporaryFailure(f"a server is unreachable ({one_line(exc, 300)}); try again later")
    if isinstance(exc, OSError) and (exc.errno is not None or is_temporary_os_error(exc)):
        return from_os_error(exc)
    return None


def _is_broken_pipe(exc: BaseException | None) -> bool:
    import errno

    return isinstance(exc, OSError) and exc.errno == errno.EPIPE


def _broken_pipe() -> SccliError:
    """``sccli … | head``: the reader went away before the output was complete."""
    _silence_stdout()
    return UsageError("the output was closed before sccli finished writing (broken pipe)")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so flushing it at exit does not raise again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests), nothing to do
        pass


def _is_store_error(exc: Exception) -> bool:
    """A database error that escaped the store (a race lost, a damaged store)."""
    import sqlite3

    if isinstance(exc, sqlite3.DatabaseError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


def _internal_error(exc: BaseException, args: list[str]) -> NoReturn:
    """A bug: the full traceback goes to a file, the user gets one line and exit 70."""
    lines = str(exc).strip().splitlines()
    what = type(exc).__name__ + (f": {one_line(lines[0], 200)}" if lines else "")
    path = _write_crash_report(exc, args)
    where = (f"the full traceback is in {path}" if path
             else "the traceback could not be written to a file")
    from .render import safe

    click.echo(f"sccli: internal error: {safe(what, multiline=False)}; {where}; please report it",
               err=True)
    sys.exit(INTERNAL)


def _write_crash_report(exc: BaseException, args: list[str]) -> str | None:
    """``<workspace>/logs/crash-<UTC>-<pid>.txt``, else the same in the temp dir (0600)."""
    import os
    import platform
    import tempfile
    import traceback
    from datetime import UTC, datetime
    from pathlib import Path

    try:
        from importlib.metadata import version

        ours = version("sccli")
    except Exception:  # a crash report must not crash
        ours = "unknown"
    command = next((a for a in args if a in COMMANDS), "(none)")
    report = (
        f"sccli {ours}, Python {platform.python_version()}, {platform.platform()}\n"
        f"command: sccli {command}\n"  # not the arguments: they may hold ticket text
        f"time: {datetime.now(UTC).isoformat(timespec='seconds')}\n\n"
        + "".join(traceback.format_exception(exc))
    )
    report = _masked(report)
    stem = f"crash-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}"
    folders = []
    home = _workspace(args)
    if home is not None and home.is_dir():  # never create a workspace just to crash in it
        folders.append(home / "logs")
    folders.append(Path(tempfile.gettempdir()))
    for folder in folders:
        for n in range(5):  # O_EXCL: never follow a planted symlink or clobber a file (/tmp)
            path = folder / (f"{stem}.txt" if n == 0 else f"{stem}-{n}.txt")
            try:
                folder.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            except OSError:
                break
            try:
                with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
                    fh.write(report)
            except OSError:
                break
            return str(path)
    return None


def _masked(report: str) -> str:
    """A crash report holds no secret: URL passwords and credentials are masked (an
    exception's message may quote a store URL or a ticket's text)."""
    try:
        from .render import redact_text
        from .store import mask_url

        return redact_text(mask_url(report))
    except Exception:  # a crash report must not crash; without masking, keep no message
        return report.split("\n\n", 1)[0] + "\n\n(the traceback could not be masked)\n"


def _workspace(args: list[str]) -> Path | None:
    """The workspace when it is cheap to know: --home, SCCLI_HOME, or the loaded default."""
    import os
    from pathlib import Path

    home = None
    i = 0
    while i < len(args):  # the root command's options, up to the command name
        arg = args[i]
        if arg == "--home" and i + 1 < len(args):
            home = args[i + 1]
        elif arg.startswith("--home="):
            home = arg.split("=", 1)[1]
        elif arg in COMMANDS or arg == "--":
            break
        i += 2 if arg in _VALUE_OPTIONS else 1
    home = home or os.environ.get("SCCLI_HOME")
    if home:
        return Path(home).expanduser()
    config = sys.modules.get("sccli.config")  # already imported by any command that crashed
    if config is not None:
        try:
            return Path(config.default_home())
        except Exception:  # a crash report must not crash
            return None
    return None


_VALUE_OPTIONS = frozenset({"--home", "--db", "--at", "--lang"})


if __name__ == "__main__":  # pragma: no cover
    main()
