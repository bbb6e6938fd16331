"""`sccli sla …`: deadlines, status, the CI check, explanations, the calendar and reports."""

from __future__ import annotations

import calendar as _cal
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from ..domain.clocks import (
    ClockReading,
    acceptance_deadline,
    feedback_deadline,
    reaction_deadline,
)
from ..domain.durations import duration_text
from ..domain.model import Priority
from ..domain.report import FAIL_ON
from ..errors import SLA_BREACH, UsageError
from ..fileio import atomic_write
from ..i18n import tr
from ..render import FORMATS, Column, emit, paint, to_json
from ..usecases import views
from ..usecases.packages import package_for
from ..usecases.views import Running
from . import app_of, format_option

STATUS_COLUMNS = [
    Column("ticket", "ticket", "заявка"),
    Column("client", "client", "клиент"),
    Column("priority", "priority", "приоритет"),
    Column("clock", "clock", "таймер"),
    Column("state", "state", "состояние"),
    Column("deadline", "deadline", "срок"),
    Column("remaining_text", "remaining", "осталось"),
]
STATE_COLORS = {"breached": "red", "client-overdue": "magenta", "warning": "yellow",
                "estimate-overdue": "yellow", "expired": "cyan"}


def reading_row(
    ticket_id: str, client: str, priority: Priority | None, r: ClockReading, tz,
    lang: str = "en",
) -> dict:
    return {
        "ticket": ticket_id,
        "client": client,
        "priority": priority.value if priority else None,
        "clock": r.clock if not r.sequence else f"{r.clock} #{r.sequence}",
        "state": r.state.value,
        "start": r.start.astimezone(tz),
        "deadline": r.deadline.astimezone(tz) if r.deadline else None,
        "remaining_seconds": r.remaining_seconds,
        "remaining_text": duration_text(r.remaining_seconds, lang),
        "client_delay_seconds": r.client_delay_seconds,
        "rule": r.rule,
    }


def _rows(app, running: list[Running]) -> list[dict]:
    """A reaction clock shows the priority it is judged by (whose target made its deadline)."""
    return [reading_row(item.history.ticket_id, item.history.client,
                        item.reading.priority if item.reading.clock == "reaction"
                        else item.history.priority,
                        item.reading, app.tz, app.lang) for item in running]


@click.group("sla")
def sla() -> None:
    """SLA clocks in business time: deadlines, status, CI check, explain, calendar, report."""


@sla.command("deadline")
@click.option("--clock", type=click.Choice(["reaction", "feedback", "acceptance"]),
              default="reaction", show_default=True)
@click.option("--priority", metavar="P", help="For the reaction clock [sla.yaml default_priority].")
@click.option("--at", "at", required=True, metavar="ISO", help="When the clock is triggered.")
@click.option("--client", "client_key", metavar="KEY",
              help="On this client's service package [the default package].")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def deadline(ctx, clock, priority, at, client_key, fmt) -> None:
    """When a clock started at --at runs out (a what-if tool), on the terms of --client's
    service package (without --client: the default package, sla.yaml's top level).

    \b
    Example:
      sccli sla deadline --clock reaction --priority critical --at 2026-11-20T17:10
      → start 2026-11-23T08:30:00+03:00, deadline 2026-11-23T08:40:00+03:00
    """
    app = app_of(ctx)
    when = app.instant(at, "--at")
    terms = package_for(app, client_key)
    cal, policy = terms.calendar, terms.policy
    prio = Priority.parse(priority) if priority else None
    if clock == "reaction":
        start, end = reaction_deadline(cal, policy, prio, when)
        target = policy.reaction_target(prio)
        rule = f"{(prio or policy.default_priority).value}: {duration_text(target)} of business time"
    elif clock == "feedback":
        start, end = feedback_deadline(cal, policy, when)
        target = policy.feedback_seconds(cal)
        rule = f"{policy.feedback_business_days} business days = {duration_text(target)} of business time"
    else:
        start, end = acceptance_deadline(policy, when, ZoneInfo(terms.timezone))
        target = policy.acceptance_days * 86400
        rule = f"{policy.acceptance_days} calendar days"
    out = {
        "clock": clock,
        "package": terms.name,
        "priority": (prio or policy.default_priority).value if clock == "reaction" else None,
        "at": when.astimezone(app.tz),
        "start": start.astimezone(app.tz),
        "deadline": end.astimezone(app.tz),
        "target_seconds": target,
        "rule": rule,
    }
    if fmt == "json":
        click.echo(to_json(out))
    else:
        for key, value in out.items():
            if value is not None:
                click.echo(f"{key}: {value.isoformat() if isinstance(value, datetime) else value}")


@sla.command("status")
@click.option("--client", "client_key", metavar="KEY", help="Only this client's tickets.")
@format_option
@click.pass_context
def status(ctx, client_key, fmt) -> None:
    """Every open ticket's running clocks, most urgent first."""
    app = app_of(ctx)
    rows = _rows(app, views.running_clocks(app, client_key))
    if fmt == "table":
        for row in rows:
            state = row["state"]
            row["state"] = paint(tr(state, app.lang), STATE_COLORS.get(state))
            row["priority"] = tr(row["priority"], app.lang)
            clock, _, number = row["clock"].partition(" ")
            row["clock"] = f"{tr(clock, app.lang)} {number}".strip()
    emit(rows, STATUS_COLUMNS, fmt, app.lang, empty="no running clocks")


@sla.command("check")
@click.option("--warn-at", type=click.FloatRange(0.01, 1.0), metavar="SHARE",
              help="Share of a target that counts as warning [sla.yaml warn_at].")
@click.option("--fail-on", type=click.Choice(["breach", "warning"]), default="breach", show_default=True)
@click.option("--junit", metavar="FILE", help="Write JUnit XML: one test case per open ticket clock.")
@click.option("--client", "client_key", metavar="KEY", help="Only this client's tickets.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def check(ctx, warn_at, fail_on, junit, client_key, fmt) -> None:
    """Exit 1 when a clock is breached (or warning, with --fail-on warning); for CI.

    Breaches are the executor's own: a reaction past its target. A client overdue on
    an answer, an expired acceptance or a passed estimate never fail the check.
    """
    app = app_of(ctx)
    running = views.running_clocks(app, client_key, warn_at)
    failing = FAIL_ON[fail_on]
    offending = _rows(app, [item for item in running if item.reading.state in failing])
    if junit:
        _write_junit(Path(junit), _rows(app, running), failing)
    if fmt == "json":
        click.echo(to_json({"fail_on": fail_on, "checked": len(running), "offending": offending}))
    elif offending:
        emit(offending, STATUS_COLUMNS, "table", app.lang)
        click.echo(f"{len(offending)} of {len(running)} clocks {fail_on}", err=True)
    else:
        none = "breached" if fail_on == "breach" else "in warning or breached"
        click.echo(f"ok: {len(running)} running clocks, none {none}")
    ctx.exit(SLA_BREACH if offending else 0)


def _write_junit(path: Path, rows: list[dict], failing) -> None:
    import xml.etree.ElementTree as ET

    suite = ET.Element("testsuite", name="sccli sla check", tests=str(len(rows)),
                       failures=str(sum(r["state"] in failing for r in rows)))
    for row in rows:
        case = ET.SubElement(suite, "testcase", classname=f"sla.{row['client']}",
                             name=f"{row['ticket']} {row['clock']}")
        if row["state"] in failing:
            failure = ET.SubElement(case, "failure", type=row["state"],
                                    message=f"{row['ticket']} {row['clock']} {row['state']}")
            failure.text = (f"deadline {row['deadline'].isoformat() if row['deadline'] else '-'};"
                            f" remaining {row['remaining_text']}; rule: {row['rule']}")
        else:
            ET.SubElement(case, "system-out").text = f"{row['state']}, remaining {row['remaining_text']}"
    root = ET.Element("testsuites")
    root.append(suite)
    try:
        atomic_write(path, ET.tostring(root, encoding="utf-8", xml_declaration=True))
    except OSError as exc:
        raise UsageError(f"cannot write --junit {path}: {exc.strerror}") from None


@sla.command("explain")
@click.argument("ticket_id", metavar="ID")
@click.pass_context
def explain(ctx, ticket_id) -> None:
    """The trace behind each clock: intervals counted, days skipped, the rule applied."""
    app = app_of(ctx)
    found, readings = views.explain(app, ticket_id)
    terms = package_for(app, found.client)
    cal = terms.calendar
    click.echo(f"{found.ticket_id} at {app.at.isoformat()} — calendar: {cal.describe()}")
    click.echo(f"package: {terms.name} (client {found.client})")
    for r in readings:
        title = r.clock if not r.sequence else f"{r.clock} #{r.sequence}"
        click.echo("")
        click.echo(f"{title}: {r.state.value}")
        click.echo(f"  rule: {r.rule}")
        click.echo(f"  starts: {r.start.astimezone(app.tz).isoformat()}")
        if r.deadline:
            click.echo(f"  deadline: {r.deadline.astimezone(app.tz).isoformat()}")
        end = r.stopped_at or app.at
        click.echo(f"  {'stopped' if r.stopped_at else 'now'}: {end.astimezone(app.tz).isoformat()}")
        if r.clock in ("reaction", "feedback"):
            click.echo(f"  business time counted: {duration_text(r.elapsed_seconds)}"
                       f" of {duration_text(r.target_seconds or 0)}")
            used = (r.target_seconds or 0) - r.remaining_seconds
            if r.clock == "reaction" and used != r.elapsed_seconds:  # a priority change
                click.echo(f"  counted against the target since the priority change:"
                           f" {duration_text(used)} of {duration_text(r.target_seconds or 0)}")
            for a, b in cal.segments(r.start, end):
                click.echo(f"    + {a.astimezone(app.tz):%a %Y-%m-%d %H:%M:%S} – {b.astimezone(app.tz):%H:%M:%S}"
                           f"  ({duration_text(int((b - a).total_seconds()))})")
            for day in cal.skipped_days(r.start, max(end, r.deadline or end)):
                click.echo(f"    - {day.date:%a %Y-%m-%d} skipped: {day.reason}")
            for day in cal.shortened_days(r.start, max(end, r.deadline or end)):
                hours = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in day.intervals)
                click.echo(f"    ~ {day.date:%a %Y-%m-%d} shortened to {hours}: {day.reason}")
            if r.client_delay_seconds:
                click.echo(f"  client-caused delay: {duration_text(r.client_delay_seconds)}")
        else:
            click.echo(f"  calendar time: {duration_text(r.elapsed_seconds)}")
        click.echo(f"  remaining: {duration_text(r.remaining_seconds)}")


@sla.command("calendar")
@click.option("--from", "start", metavar="DATE", help="First day [today].")
@click.option("--to", "end", metavar="DATE", help="Last day [two weeks on].")
@click.option("--year", type=int, metavar="YYYY",
              help="The year's non-standard days with their reasons; flags provisional ones.")
@format_option
@click.pass_context
def calendar_cmd(ctx, start, end, year, fmt) -> None:
    """Business days and hours, and why a day is off (or why a Saturday works).

    \b
    With --year: every holiday, transferred day off, working Saturday, company day and
    shortened day of the year, with its reason; a year whose government decree the
    holidays package does not carry yet is provisional (Labor Code art. 112 applied).
    """
    app = app_of(ctx)
    if year is not None:
        if start or end:
            raise UsageError("--year cannot be combined with --from/--to")
        _calendar_year(app, year, fmt)
        return
    first = _date(start, "--from") if start else app.at.date()
    last = _date(end, "--to") if end else first + timedelta(days=13)
    if last < first:
        raise UsageError("--to is before --from")
    if (last - first).days > 3660:
        raise UsageError("at most ten years at a time")
    rows = []
    day = first
    while day <= last:
        info = app.sla.calendar.day(day)
        rows.append({
            "date": day.isoformat(),
            "weekday": day.strftime("%a"),
            "working": info.working,
            "hours": ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in info.intervals),
            "reason": info.reason,
            "kind": info.kind,
            "provisional": info.provisional,
        })
        day += timedelta(days=1)
    columns = [Column("date", "date", "дата"), Column("weekday", "day", "день"),
               Column("working", "working", "рабочий"), Column("hours", "hours", "часы"),
               Column("reason", "why", "почему")]
    emit(rows, columns, fmt, app.lang)


_KIND_TERMS = {
    "holiday": "holiday",
    "transfer-decree": "transfer (decree)",
    "extra-holiday": "company holiday (sla.yaml)",
    "extra-workday": "company working day (sla.yaml)",
    "shortened": "shortened day (sla.yaml)",
    "pre-holiday": "pre-holiday day, one hour shorter (Labor Code art. 95)",
}


def _calendar_year(app, year: int, fmt: str) -> None:
    """`sla calendar --year`: the non-standard days of one year, each with its reason."""
    import holidays

    cal, lang = app.sla.calendar, app.lang
    days = cal.year_days(year)  # the range check first (exit 2 outside the calendar's years)
    status = cal.year_status(year)
    local: dict[date, str] = {}
    if lang == "ru":
        for y in {year, year + 1}:
            local.update(cal.holiday_names(y, "ru"))
    rows = []
    for info in days:
        name = local.get(info.source or info.date, info.name) if info.name else ""
        if info.kind == "transfer-art112":
            term = ("transfer (Labor Code art. 112, provisional)" if info.provisional
                    else "transfer (Labor Code art. 112, confirmed)")
            label = f"{tr(term, lang)}: {name} {info.source:%Y-%m-%d}"
        elif info.kind == "working-weekend-decree":
            label = tr(f"working {info.date:%A} (decree)", lang)
        elif info.kind == "pre-holiday":
            before = "перед" if lang == "ru" else "before"
            label = f"{tr(_KIND_TERMS[info.kind], lang)}: {before} {name} {info.source:%Y-%m-%d}"
        else:
            label = tr(_KIND_TERMS.get(info.kind, info.kind), lang)
            label = f"{label}: {name}" if name and info.kind in ("holiday", "transfer-decree") else label
        rows.append({
            "date": info.date.isoformat(),
            "weekday": info.date.strftime("%a"),
            "working": info.working,
            "hours": ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in info.intervals),
            "kind": info.kind,
            "reason": label,
            "provisional": info.provisional,
            "flag": tr("provisional", lang) if info.provisional else "",
        })
    version = getattr(holidays, "__version__", "?")
    if status == "provisional":
        note = (f"{year}: provisional — the government's decree for {year} is not in holidays"
                f" {version}; holidays on a weekend moved by Labor Code art. 112 (1–8 January"
                f" only by a decree); list {year} in sla.yaml calendar.confirmed_years once checked")
        if lang == "ru":
            note = (f"{year}: предварительно — постановления на {year} год нет в holidays {version};"
                    " праздники, выпавшие на выходные, перенесены по ст. 112 ТК РФ (1–8 января"
                    f" только постановлением); после проверки добавьте {year} в"
                    " calendar.confirmed_years в sla.yaml")
    elif status == "confirmed":
        note = (f"{year}: Labor Code art. 112 transfers, confirmed in sla.yaml (calendar.confirmed_years)"
                if lang != "ru" else
                f"{year}: переносы по ст. 112 ТК РФ, подтверждено в sla.yaml (calendar.confirmed_years)")
    else:
        note = (f"{year}: public holidays and the government's decree from holidays {version}"
                if lang != "ru" else
                f"{year}: праздники и постановление о переносах из holidays {version}")
    if fmt == "json":
        click.echo(to_json({"year": year, "status": status, "holidays_version": version,
                            "note": note, "days": rows}))
        return
    columns = [Column("date", "date", "дата"), Column("weekday", "day", "день"),
               Column("working", "working", "рабочий"), Column("hours", "hours", "часы"),
               Column("reason", "why", "почему"), Column("flag", "status", "статус")]
    if fmt == "table":
        click.echo(note)
    emit(rows, columns, fmt, lang)


def _date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"malformed {what} {text!r} (expected YYYY-MM-DD)") from None


def parse_month(text: str) -> tuple[date, date]:
    from ..domain.calendar import MAX_YEAR, MIN_YEAR

    try:
        year, month = (int(x) for x in text.split("-"))
        last = _cal.monthrange(year, month)[1]
        first_day, last_day = date(year, month, 1), date(year, month, last)
    except ValueError:
        raise UsageError(f"malformed --month {text!r} (expected YYYY-MM, e.g. 2026-11)") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise UsageError(f"--month {text}: the calendar covers {MIN_YEAR}–{MAX_YEAR}")
    return first_day, last_day


@sla.command("report")
@click.option("--month", required=True, metavar="YYYY-MM")
@click.option("--client", "client_key", metavar="KEY", help="Only this client.")
@click.option("--format", "fmt", type=click.Choice([*FORMATS, "html"]), default="table", show_default=True)
@click.option("--output", metavar="FILE", help="Write to FILE instead of standard output.")
@click.pass_context
def report(ctx, month, client_key, fmt, output) -> None:
    """Monthly compliance per priority, client-caused delay and estimate extensions."""
    app = app_of(ctx)
    first, last = parse_month(month)
    data = views.sla_report(app, first, last, client_key)
    text = _render_report(data, fmt, app.lang)
    if output:
        try:
            atomic_write(Path(output), text)
        except OSError as exc:
            raise UsageError(f"cannot write --output {output}: {exc.strerror}") from None
        click.echo(f"written {output}")
    else:
        click.echo(text, nl=not text.endswith("\n"))


REPORT_COLUMNS = [
    Column("priority", "priority", "приоритет"),
    Column("tickets", "tickets", "заявок"),
    Column("met", "met", "в срок"),
    Column("breached", "breached", "просрочено"),
    Column("pending", "pending", "в работе"),
    Column("compliance", "compliance %", "соблюдение %"),
    Column("median_reaction_min", "median reaction, min", "медиана реакции, мин"),
    Column("worst_reaction_min", "worst reaction, min", "худшая реакция, мин"),
]


def _render_report(data: dict, fmt: str, lang: str) -> str:
    from ..render import csv_text, table

    rows = data["priorities"]
    if fmt == "json":
        return to_json(data)
    if fmt == "csv":
        return csv_text(rows, REPORT_COLUMNS)
    if fmt == "html":
        from .report_html import render_html

        return render_html(data, REPORT_COLUMNS, lang)
    total = data["total"]
    lines = [f"SLA report {data['month']}" + (f" — {data['client']}" if data["client"] else ""), ""]
    lines.append(table(rows, REPORT_COLUMNS, lang) if rows else "no tickets registered this month")
    lines.append("")
    lines.append(f"total: {total['tickets']} tickets, compliance {total['compliance']}%"
                 if total["compliance"] is not None else f"total: {total['tickets']} tickets")
    delay = data["client_delay_hours"]
    lines.append("client-caused delay (business hours): "
                 + (", ".join(f"{k} {v}" for k, v in delay.items()) if delay else "none"))
    lines.append(f"estimate extensions: {data['estimate_extensions']}")
    billable = data.get("billable", [])
    lines.append(f"billable work: {len(billable)} tickets ({', '.join(billable)}), see `sccli"
                 " billing`" if billable else "billable work: none")
    return "\n".join(lines)
