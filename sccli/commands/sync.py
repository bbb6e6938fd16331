"""`sccli sync`, `sccli escalate ID`, `sccli links ID`: tickets ⇄ the intake (the client's
single window) and the vendor and partner trackers."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from ..errors import OK, UsageError
from ..render import Column, emit, safe, say, to_json
from . import app_of, format_option

ACTION_COLUMNS = [
    Column("tracker", "tracker", "трекер"),
    Column("action", "action", "действие"),
    Column("ticket", "ticket", "обращение"),
    Column("remote", "remote", "задача"),
    Column("detail", "detail", "подробности"),
]
LINK_COLUMNS = [
    Column("tracker", "tracker", "трекер"),
    Column("remote_id", "remote", "задача"),
    Column("state", "state", "состояние"),
    Column("url", "url", "ссылка"),
    Column("updated_at", "synced", "синхронизировано"),
]
SYNC_TIMEOUT = 120  # seconds: well inside a cron period of a few minutes
ESCALATE_TIMEOUT = 60  # seconds: one ticket, a few requests


def timeout_option(default: int, what: str):
    return click.option(
        "--timeout", type=click.FloatRange(0), default=default, show_default=True,
        metavar="SECONDS",
        help=f"Deadline for the whole {what} (lock wait, retries and waits included): no"
             " request starts after it, a longer Retry-After or back-off stops at once,"
             " trackers not finished fail as temporary (exit 75, or 5 when another"
             " completed) and resume next run. Cron runs every few minutes, so a run must"
             " end before the next one starts. 0: no deadline (a first sync of a big"
             " backlog).")


FORMAT_TJ = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                         show_default=True, help="Output format (JSON is stable).")


class Progress:
    """Renders the run's result stream as progress, on a terminal only: a line when a
    tracker starts and ends, a counter rewritten in place in between."""

    def __init__(self) -> None:
        from ..sync.results import Recorder

        self.on = sys.stderr.isatty()
        self.seen = Recorder()

    def __call__(self, result) -> None:
        from ..sync.results import Finished, Progressed, Started, summary

        self.seen(result)
        if not self.on:
            return
        if isinstance(result, Started):
            self._line(f"{result.tracker}: syncing…")
        elif isinstance(result, Progressed):
            self._line(f"{result.tracker}: {result.done}/{result.total} changes sent",
                       transient=True)
        elif isinstance(result, Finished):
            outcome = next(o for o in self.seen.outcomes() if o.name == result.tracker)
            self._line(f"{result.tracker}: {'failed' if result.error else 'done'}"
                       f" ({summary(outcome)})")

    @staticmethod
    def _line(text: str, transient: bool = False) -> None:
        click.echo(f"\r  {safe(text, multiline=False)}\x1b[K", nl=not transient, err=True)


@click.command("sync")
@click.option("--tracker", "only", metavar="NAME", help="Only this tracker (default: all).")
@click.option("--dry-run", is_flag=True,
              help="Print the plan (creates, comments, pulls, where); change nothing anywhere.")
@click.option("--relink", is_flag=True,
              help="Rebuild links from the markers on the trackers (after losing the store):"
                   " shows the links it would add or re-point and the issues it ignores;"
                   " changes nothing without --yes.")
@click.option("--yes", is_flag=True,
              help="With --relink: apply the relink, then sync.")
@click.option("--wait", "wait", type=click.FloatRange(0), default=0, show_default=True,
              metavar="SECONDS", help="Wait this long for another running sync, then exit 75"
              " (within --timeout).")
@click.option("--budget", type=click.IntRange(1), default=5000, show_default=True,
              metavar="N", help="At most N API requests in this run (then exit 75).")
@click.option("--overlap", type=click.FloatRange(0), default=120, show_default=True,
              metavar="SECONDS", help="Re-read changes this far before the cursor.")
@timeout_option(SYNC_TIMEOUT, "run")
@FORMAT_TJ
@click.pass_context
def sync(ctx, only, dry_run, relink, yes, wait, budget, overlap, timeout, fmt):
    """Sync tickets with the intake and with the vendor's and partners' trackers.

    Intakes first (role: intake, e.g. the portal): new requests become tickets (an
    account not mapped under trackers.NAME.accounts is reported: exit 5), the client's
    messages become answers or notes, and the executor's responses, questions,
    resolutions, reopenings, rejections and public notes are written back once each.
    Then escalation trackers: escalates tickets that routing sends to a party with a tracker, sends public notes
    as comments, pulls replies as internal notes and flags issues the owner closed.
    Safe to run from cron: a crash never duplicates, a failing tracker never blocks
    the others.

    --relink links a ticket only to an issue carrying its marker that the account
    sccli writes as opened; issues others opened with a marker are listed as ignored.
    Without --yes it prints what it would change (exit 0, as a preview) and changes
    nothing, nor syncs; with --yes it relinks and then syncs.

    \b
    Exit codes: 0 ok; 4 every tracker refused the credentials; 5 some trackers
    failed (the others were synced), or all failed for mixed or permanent reasons;
    75 rate-limited, out of budget, every tracker unreachable or timed out (server
    errors, --timeout), or another sync is running (try later).

    \b
    Examples:
      sccli sync --dry-run
      sccli sync --tracker partner-x --wait 60 --format json
      sccli sync --relink && sccli sync --relink --yes
    """
    from ..adapters.http import HttpFactory, RequestBudget
    from ..sync.apply import iter_names, run_sync
    from ..sync.wiring import exit_code

    app = app_of(ctx)
    names = list(iter_names(app, only))
    if not names:
        click.echo("no trackers in sccli.yaml (add them under trackers:)")
        ctx.exit(OK)
    factory = HttpFactory(budget=RequestBudget(budget), run_timeout=timeout)
    if yes and not relink:
        raise UsageError("--yes confirms --relink; it does nothing alone")
    if relink and not yes and not dry_run:
        _preview_relink(ctx, app, names, factory, fmt)
    outcomes = run_sync(app, names, factory, dry_run=dry_run, relink=relink, wait=wait,
                        overlap=overlap, sink=Progress())
    code = exit_code(outcomes)
    render_outcomes(outcomes, fmt, app.lang, dry_run, code, factory)
    ctx.exit(code)


def _preview_relink(ctx, app, names, factory, fmt) -> None:
    """`sync --relink` without --yes: print what relinking would change, then exit."""
    from ..sync.apply import preview_relink
    from ..sync.wiring import exit_code

    outcomes = preview_relink(app, names, factory, sink=Progress())
    code = exit_code(outcomes)
    render_outcomes(outcomes, fmt, app.lang, True, code, factory)
    click.echo("relink not applied: nothing was changed; run `sccli sync --relink --yes` to"
               " apply it and sync", err=True)
    ctx.exit(code)


def render_outcomes(outcomes, fmt, lang, dry_run, code, factory) -> None:
    rows = [a.row() for o in outcomes for a in o.actions]
    changes = [{"tracker": c.tracker, "ticket": c.ticket, "change": c.change,
                "detail": dict(c.detail)} for o in outcomes for c in o.changes]
    trackers = [
        {"name": o.name, "status": "ok" if o.ok else "failed",
         "error": _named(o.name, o.error) if o.error else None, "counts": o.counts(),
         "cursor": o.cursor}
        for o in outcomes
    ]
    if fmt == "json":
        click.echo(to_json({"dry_run": dry_run, "exit_code": code, "trackers": trackers,
                            "actions": rows, "changes": changes,
                            "requests": factory.requests_made}))
    else:
        if rows:
            emit(rows, ACTION_COLUMNS, "table", lang)
            click.echo("")
        for t in trackers:
            counts = ", ".join(f"{v} {k}" for k, v in sorted(t["counts"].items()))
            state = "would do" if dry_run else "done"
            say(f"{t['name']}: {state if t['status'] == 'ok' else 'FAILED'}"
                f" ({counts or 'nothing to do'})")
    for o in outcomes:
        if o.error is not None:
            say(f"sccli: error: {_named(o.name, o.error)}", err=True, multiline=False)


def _named(name: str, error: Exception) -> str:
    text = str(error)
    return text if text.startswith(f"{name}:") else f"{name}: {text}"


@click.command("escalate")
@click.argument("ticket_id", metavar="ID")
@click.option("--to", "party", metavar="PARTY",
              help="Escalate to this party instead of the one routing names.")
@click.option("--dry-run", is_flag=True, help="Show the issue that would be created.")
@click.option("--edit", is_flag=True,
              help="Open $EDITOR on the prepared text and send what you save (an empty text"
                   " cancels).")
@click.option("--message-file", metavar="PATH",
              help="Send the text in PATH ('-' = stdin) instead of the prepared one.")
@click.option("--wait", type=click.FloatRange(0), default=0, metavar="SECONDS",
              help="Wait this long for a running sync, then exit 75 (within --timeout).")
@timeout_option(ESCALATE_TIMEOUT, "escalation")
@FORMAT_TJ
@click.pass_context
def escalate(ctx, ticket_id, party, dry_run, edit, message_file, wait, timeout, fmt):
    """Escalate one ticket now to the party that owns its problem source.

    Routing (sla.yaml) decides the party: the vendor for its product or the BPMSoft
    cloud (and, for a client in the BPMSoft cloud, its hosting), the partner recorded
    with `sccli ticket set ID --source partner-product --party NAME`. Another partner's
    project layer or the client's team (`--source partner-project --party NAME`) is
    escalated on request, unless the executor fixes it (`--fixed-by executor`). The
    issue is created on the party's tracker (parties.NAME.tracker), in the party's
    language, with secrets redacted.

    --edit and --message-file replace the issue's body (the title stays "ID: subject");
    the text is redacted like the prepared one, so a password in it never leaves. With
    --edit, saving an empty text cancels (exit 2, nothing sent or recorded).

    \b
    Examples:
      sccli escalate ACME-12 --dry-run
      sccli escalate ACME-12 --to partner-x
      sccli escalate ACME-12 --edit
      sccli escalate ACME-12 --message-file notes/acme-12.md
    """
    from ..adapters.http import HttpFactory
    from ..sync.apply import escalate as escalate_now

    if edit and message_file is not None:
        raise UsageError("give either --edit or --message-file, not both")
    compose: Callable[[str], str] | None = None
    if edit:
        compose = _edit_text
    elif message_file is not None:
        given = _read_message(message_file)

        def compose(_prepared: str) -> str:  # the engineer's text instead of the prepared one
            return given
    app = app_of(ctx)
    done = escalate_now(app, ticket_id, party, dry_run=dry_run, wait=wait,
                        factory=HttpFactory(run_timeout=timeout), compose=compose)
    if done.dry_run and done.remote is None:
        if fmt == "json":
            click.echo(to_json({"ticket": done.ticket, "tracker": done.tracker,
                                "party": done.party, "title": done.title,
                                "body": done.body, "created": False, "dry_run": True}))
        else:
            say(f"would create on {done.tracker} (party {done.party}):")
            say(f"  {done.title}", multiline=False)
            click.echo("")
            say(done.body)
        return
    if fmt == "json":
        click.echo(to_json({"ticket": done.ticket, "tracker": done.tracker,
                            "party": done.party, "remote": done.remote, "url": done.url,
                            "created": done.created}))
    elif done.created:
        say(f"{done.ticket}: escalated to {done.party} as {done.tracker} #{done.remote}"
            f" {done.url or ''}".rstrip())
    else:
        say(f"{done.ticket}: already escalated to {done.party} as {done.tracker}"
            f" #{done.remote} {done.url or ''}".rstrip())


def _edit_text(prepared: str) -> str:
    """The prepared text after the engineer's $EDITOR (saved unchanged: the same text)."""
    try:
        edited = click.edit(prepared, extension=".md", require_save=False)
    except click.ClickException as exc:  # the editor could not start or exited non-zero
        raise UsageError(f"--edit: {exc.message} ($EDITOR); nothing was sent or"
                         " recorded") from None
    return prepared if edited is None else edited


def _read_message(path: str) -> str:
    """``--message-file``: the file's text, or stdin for ``-``; one clear line on failure."""
    from pathlib import Path

    try:
        if path == "-":
            return click.get_text_stream("stdin").read()
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--message-file {path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"--message-file {path}: not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"--message-file {path}: {exc.strerror}") from None


@click.command("links")
@click.argument("ticket_id", metavar="ID")
@format_option
@click.pass_context
def links(ctx, ticket_id, fmt):
    """Show the remote issues a ticket is linked to, with their state and URL."""
    from ..usecases.tickets import require_ticket

    app = app_of(ctx)
    ticket = require_ticket(app, ticket_id)
    rows = [
        {"ticket": lk.ticket_id, "tracker": lk.tracker, "remote_id": lk.remote_id,
         "state": lk.state, "url": lk.url, "created_at": lk.created_at.astimezone(app.tz),
         "updated_at": lk.updated_at.astimezone(app.tz)}
        for lk in app.store.links(ticket_id=ticket.id)
    ]
    emit(rows, LINK_COLUMNS, fmt, app.lang, empty=f"{ticket.id}: no remote issues")
