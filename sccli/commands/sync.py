"""`sccli sync`, `sccli escalate ID`, `sccli links ID`: tickets ⇄ vendor and partner trackers."""

from __future__ import annotations

import sys

import click

from ..errors import OK, UsageError
from ..render import Column, emit, to_json
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
FORMAT_TJ = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                         show_default=True, help="Output format (JSON is stable).")


def _progress(text: str, transient: bool = False) -> None:
    """Progress on a terminal only: a counter rewritten in place, then a final line."""
    if not sys.stderr.isatty():
        return
    if transient:
        click.echo(f"\r  {text}\x1b[K", nl=False, err=True)
    else:
        click.echo(f"\r  {text}\x1b[K", err=True)


@click.command("sync")
@click.option("--tracker", "only", metavar="NAME", help="Only this tracker (default: all).")
@click.option("--dry-run", is_flag=True,
              help="Print the plan (creates, comments, pulls, where); change nothing anywhere.")
@click.option("--relink", is_flag=True,
              help="Rebuild links from the markers on the trackers (after losing the store).")
@click.option("--wait", "wait", type=click.FloatRange(0), default=0, show_default=True,
              metavar="SECONDS", help="Wait this long for another running sync, then exit 75.")
@click.option("--budget", type=click.IntRange(1), default=5000, show_default=True,
              metavar="N", help="At most N API requests in this run (then exit 75).")
@click.option("--overlap", type=click.FloatRange(0), default=120, show_default=True,
              metavar="SECONDS", help="Re-read changes this far before the cursor.")
@FORMAT_TJ
@click.pass_context
def sync(ctx, only, dry_run, relink, wait, budget, overlap, fmt):
    """Sync tickets with the vendor's and partners' trackers.

    Escalates tickets that routing sends to a party with a tracker, sends public notes
    as comments, pulls replies as internal notes and flags issues the owner closed.
    Safe to run from cron: a crash never duplicates, a failing tracker never blocks
    the others.

    \b
    Exit codes: 0 ok; 4 every tracker refused the credentials; 5 some trackers
    failed (the others were synced); 75 rate-limited, out of budget, unreachable or
    another sync is running (try later).

    \b
    Examples:
      sccli sync --dry-run
      sccli sync --tracker partner-x --wait 60 --format json
    """
    from ..adapters.http import HttpFactory, RequestBudget
    from ..sync.apply import iter_names, run_sync
    from ..sync.wiring import exit_code

    app = app_of(ctx)
    names = list(iter_names(app, only))
    if not names:
        click.echo("no trackers in sccli.yaml (add them under trackers:)")
        ctx.exit(OK)
    factory = HttpFactory(budget=RequestBudget(budget))
    outcomes = run_sync(app, names, factory, dry_run=dry_run, relink=relink, wait=wait,
                        overlap=overlap, progress=_progress)
    code = exit_code(outcomes)
    render_outcomes(outcomes, fmt, app.lang, dry_run, code, factory)
    ctx.exit(code)


def render_outcomes(outcomes, fmt, lang, dry_run, code, factory) -> None:
    rows = [a.row() for o in outcomes for a in o.actions]
    trackers = [
        {"name": o.name, "status": "ok" if o.ok else "failed",
         "error": _named(o.name, o.error) if o.error else None, "counts": o.counts(),
         "cursor": o.cursor}
        for o in outcomes
    ]
    if fmt == "json":
        click.echo(to_json({"dry_run": dry_run, "exit_code": code, "trackers": trackers,
                            "actions": rows, "requests": factory.requests_made}))
    else:
        if rows:
            emit(rows, ACTION_COLUMNS, "table", lang)
            click.echo("")
        for t in trackers:
            counts = ", ".join(f"{v} {k}" for k, v in sorted(t["counts"].items()))
            state = "would do" if dry_run else "done"
            click.echo(f"{t['name']}: {state if t['status'] == 'ok' else 'FAILED'}"
                       f" ({counts or 'nothing to do'})")
    for o in outcomes:
        if o.error is not None:
            click.echo(f"sccli: error: {_named(o.name, o.error)}", err=True)


def _named(name: str, error: Exception) -> str:
    text = str(error)
    return text if text.startswith(f"{name}:") else f"{name}: {text}"


@click.command("escalate")
@click.argument("ticket_id", metavar="ID")
@click.option("--to", "party", metavar="PARTY",
              help="Escalate to this party instead of the one routing names.")
@click.option("--dry-run", is_flag=True, help="Show the issue that would be created.")
@click.option("--wait", type=click.FloatRange(0), default=0, metavar="SECONDS",
              help="Wait this long for a running sync, then exit 75.")
@FORMAT_TJ
@click.pass_context
def escalate(ctx, ticket_id, party, dry_run, wait, fmt):
    """Escalate one ticket now to the party that owns its problem source.

    Routing (sla.yaml) decides the party: the vendor for its product or the BPMSoft
    cloud, the partner recorded with `sccli ticket set ID --source partner-product
    --party NAME`. The issue is created on the party's tracker (parties.NAME.tracker),
    in the party's language, with secrets redacted.

    \b
    Examples:
      sccli escalate ACME-12 --dry-run
      sccli escalate ACME-12 --to partner-x
    """
    from ..adapters.base import TrackerError
    from ..adapters.http import HttpFactory
    from ..sync.apply import Syncer
    from ..sync.wiring import TrackerOutcome as Outcome
    from ..sync.wiring import acquire_lock, build_adapter, exit_code

    app = app_of(ctx)
    ticket_id = ticket_id.strip().upper()
    if app.store.get_ticket(ticket_id) is None:
        raise UsageError(f"unknown ticket {ticket_id!r} (see `sccli ticket list`)")
    syncer = Syncer(app, {}, dry_run=dry_run)
    view, target, action = syncer.escalate(ticket_id, party)
    existing = {lk.tracker: lk for lk in app.store.links(ticket_id=ticket_id)}
    if target.tracker in existing:
        link = existing[target.tracker]
        result = {"ticket": ticket_id, "tracker": target.tracker, "party": target.party,
                  "remote": link.remote_id, "url": link.url, "created": False}
        click.echo(to_json(result) if fmt == "json" else
                   f"{ticket_id}: already escalated to {target.party} as {target.tracker}"
                   f" #{link.remote_id} {link.url or ''}".rstrip())
        ctx.exit(OK)
    if dry_run:
        if fmt == "json":
            click.echo(to_json({"ticket": ticket_id, "tracker": target.tracker,
                                "party": target.party, "title": action.title,
                                "body": action.body, "created": False, "dry_run": True}))
        else:
            click.echo(f"would create on {target.tracker} (party {target.party}):")
            click.echo(f"  {action.title}")
            click.echo("")
            click.echo(action.body)
        ctx.exit(OK)
    store = app.store
    acquire_lock(store, wait)
    try:
        factory = HttpFactory()
        try:
            adapter = build_adapter(app, target.tracker, factory)
            syncer.adapters = {target.tracker: adapter}
            outcome = Outcome(target.tracker)
            syncer.resolve_intents(target.tracker, adapter, outcome)
            link = next((lk for lk in store.links(ticket_id=ticket_id, tracker=target.tracker)),
                        None)
            if link is None:
                issue = syncer.create(adapter, action)
                remote, url = issue.id, issue.url
            else:  # a crashed earlier run had created it: recovered by its marker
                remote, url = link.remote_id, link.url
        except TrackerError as exc:
            click.echo(f"sccli: error: {_named(target.tracker, exc)}", err=True)
            ctx.exit(exit_code([Outcome(target.tracker, error=exc)]))
    finally:
        store.release_sync_lock()
    if fmt == "json":
        click.echo(to_json({"ticket": ticket_id, "tracker": target.tracker,
                            "party": target.party, "remote": remote, "url": url,
                            "created": True}))
    else:
        click.echo(f"{ticket_id}: escalated to {target.party} as {target.tracker} #{remote}"
                   f" {url or ''}".rstrip())


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
