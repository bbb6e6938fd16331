"""`sccli triage`: what every open ticket needs, most urgent first."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import click

from ..domain.durations import duration_text
from ..domain.triage import TriageRow, advice, missing_labels, proposals
from ..errors import UsageError
from ..i18n import tr
from ..render import Column, emit, join_styled, paint, say
from ..usecases import views
from . import app_of, format_option

COLUMNS = [
    Column("ticket", "ticket", "заявка"),
    Column("client", "client", "клиент"),
    Column("priority_text", "priority (suggested)", "приоритет (предложен)"),
    Column("sla_text", "SLA", "SLA"),
    Column("queue_text", "queue", "очередь"),
    Column("kind_text", "kind", "тип"),
    Column("missing_text", "missing", "не хватает"),
    Column("routing_text", "owner / action / billing", "владелец / действие / оплата"),
    Column("flags_text", "flags", "отметки"),
]
FLAG_COLORS = {"unauthorized": "red", "critical-behind-queue": "magenta", "secrets": "yellow",
               "verify-remote-close": "cyan", "client-replied": "cyan", "party-replied": "cyan",
               "answer-overdue": "red", "client-answer-overdue": "magenta"}
STATE_COLORS = {"breached": "red", "warning": "yellow", "client-overdue": "magenta"}


def owner_text(owner: str, party: str | None, party_title: str | None, lang: str) -> str:
    """``vendor (BPMSoft)``, ``partner (partner-x)``, ``executor``: who owns the problem."""
    text = tr(owner, lang)
    if party and party != "executor":
        shown = party_title if party == owner and party_title else party
        if shown != owner:
            text = f"{text} ({shown})"
    return text


def routing_data(routing, parties: Mapping[str, Any]) -> dict:
    """Routing fields beyond owner / party / action / billing (triage JSON, ticket show)."""
    party = parties.get(routing.party) if routing.party else None
    return {
        "party_title": party.title if party is not None else None,
        "fixed_by": routing.fixed_by,
        "hosting": routing.hosting.value,
        "routing_explain": routing.explain,
    }


def routing_line(data: dict, lang: str) -> str:
    """owner / action / billing, as triage shows it (``data``: row_data's keys)."""
    billing = tr(data["billing"], lang)
    if data["billable_extras"]:
        billing = f"{billing} + {tr('billable', lang)}"
    owner = owner_text(data["owner"], data["party"], data.get("party_title"), lang)
    action = tr(data["action"], lang)
    if data["action"] == "investigate" and data.get("hosting") == "bpmsoft-cloud":
        # contract: "Client system in the BPMSoft cloud: the executor helps the client deal
        # with the vendor" — where to look while the source is not found yet
        action += " (облако BPMSoft)" if lang == "ru" else " (BPMSoft cloud)"
    return f"{owner} / {action} / {billing}"


def row_data(row: TriageRow, lang: str, tz, parties: Mapping[str, Any] | None = None) -> dict:
    """The stable JSON shape of one triage row (README: "triage --format json")."""
    r = row.urgent or row.reaction
    queue = row.queue
    return {
        "ticket": row.ticket.id,
        "client": row.ticket.client,
        "title": row.ticket.title,
        "status": row.state.status.value,
        "priority": row.priority.value if row.priority else None,
        "suggested_priority": row.suggestion.priority.value if row.suggestion else None,
        "suggestion_rule": row.suggestion.rule if row.suggestion else None,
        "suggestion_explain": (
            (row.suggestion.explain_ru if lang == "ru" else row.suggestion.explain)
            if row.suggestion else None
        ),
        "clock": r.clock if r else None,
        "sla_state": r.state.value if r else None,
        "deadline": r.deadline.astimezone(tz) if r and r.deadline else None,
        "remaining_seconds": r.remaining_seconds if r else None,
        "queue_position": queue.position if queue else None,
        "queue_state": ("in work" if queue.in_work else "queued") if queue else None,
        "ahead_of_critical": row.ahead_of_critical,
        "kind": row.intake.kind.value,
        "missing": [item.value for item in row.intake.missing],
        "language": row.intake.language,
        "authorized": row.authorized,
        "authorized_contact": row.authorized_contact,
        "reporter": row.ticket.reporter,
        "source": row.routing.source.value if row.routing.source else None,
        "owner": row.routing.owner,
        "party": row.routing.party,
        "action": row.routing.action,
        "billing": row.routing.billing,
        "billable_extras": list(row.routing.extras),
        **routing_data(row.routing, parties or {}),
        "secrets": row.secrets,
        "flags": list(row.flags),
        "attention": [
            {"what": r.what.value, "at": r.at.astimezone(tz) if r.at else None,
             "detail": r.detail}
            for r in row.attention
        ],
        "proposals": [{"kind": p.kind, "detail": p.detail} for p in proposals(row)],
        "advice": advice(row, lang),
    }


def _texts(data: dict, row: TriageRow, lang: str, color: bool) -> dict:
    prio = tr(data["priority"], lang) or "—"
    if data["suggested_priority"] and data["suggested_priority"] != data["priority"]:
        prio += f" → {tr(data['suggested_priority'], lang)}?"
    state = data["sla_state"]
    sla = "—"
    if state:
        label = tr(state, lang)
        if data["clock"] != "reaction":
            label = f"{tr(data['clock'], lang)}: {label}"
        sla = label
        if state not in ("met", "met-late"):
            sla = f"{label} {duration_text(data['remaining_seconds'], lang)}"
        if color:
            sla = paint(sla, STATE_COLORS.get(state))
    queue = "—"
    if data["queue_position"]:
        queue = f"{data['queue_position']} {tr(data['queue_state'], lang)}"
    flags = [tr(f, lang) for f in data["flags"]]
    if color:
        flags = [paint(label, FLAG_COLORS.get(f)) for label, f in zip(flags, data["flags"], strict=True)]
    return {
        **data,
        "priority_text": prio,
        "sla_text": sla,
        "queue_text": queue,
        "kind_text": tr(data["kind"], lang),
        "missing_text": ", ".join(missing_labels(row.intake, lang)),
        "routing_text": routing_line(data, lang),
        "flags_text": join_styled(", ", flags),
    }


@click.command("triage")
@click.option("--client", "client_key", metavar="KEY", help="Only this client's tickets.")
@format_option
@click.option("--apply", "apply_", is_flag=True,
              help="Record every unambiguous suggestion (priority where none is set, questions"
              " for missing items, moving pasted passwords to the vault).")
@click.option("--interactive", is_flag=True, help="Walk through the suggestions and confirm each.")
@click.option("--lang", type=click.Choice(["en", "ru"]), help="Language (overrides the global --lang).")
@click.pass_context
def triage(ctx, client_key, fmt, apply_, interactive, lang) -> None:
    """One row per open ticket, most urgent first: SLA, queue, intake, routing, flags.

    \b
    Example:
      sccli triage --lang ru
      sccli triage --format json | jq '.[] | select(.flags | index("unauthorized"))'
    """
    app = app_of(ctx)
    lang = lang or app.lang
    if apply_ and interactive:
        raise UsageError("choose --apply or --interactive, not both")
    if interactive and not stdin_is_terminal():
        raise UsageError("--interactive needs a terminal; use --apply for unattended runs")
    rows = views.triage(app, client_key)
    if apply_ or interactive:
        done = []
        for row in rows:
            if interactive and not _confirm(row, lang):
                continue
            done.extend(views.apply_row(app, row))
        for line in done or ["nothing to apply" if lang != "ru" else "применять нечего"]:
            say(line)
        rows = views.triage(app, client_key)
        if fmt == "table":
            click.echo("")
    color = fmt == "table"
    parties = app.settings.parties
    data = [_texts(row_data(row, lang, app.tz, parties), row, lang, color) for row in rows]
    if fmt != "table":
        data = [{k: v for k, v in d.items() if not k.endswith("_text")} for d in data]
    emit(data, COLUMNS, fmt, lang,
         empty="no open tickets" if lang != "ru" else "открытых заявок нет")
    notes = [line for d in data for line in d["advice"]] if fmt == "table" else []
    if notes:
        click.echo("")
        click.echo("Needs a decision:" if lang != "ru" else "Требует решения:")
        for line in notes:
            say(f"  {line}")


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _confirm(row: TriageRow, lang: str) -> bool:
    from ..domain.redaction import find_secrets

    items = [(p.kind, p.detail) for p in proposals(row)]
    clear = len(find_secrets(row.ticket.title)) + len(find_secrets(row.ticket.body))
    if clear:
        items.insert(0, ("redact", f"{clear} secret(s) in clear text"))
    if not items:
        return False
    say(f"{row.ticket.id} — {row.ticket.title}")
    for kind, detail in items:
        say(f"  {kind}: {detail}")
    return click.confirm("apply?" if lang != "ru" else "применить?", default=True)
