"""`sccli client …` and `sccli contact …`."""

from __future__ import annotations

import click

from ..domain.model import BEGINNING
from ..render import Column, emit, say, to_json
from ..usecases import clients as cases
from ..usecases.packages import package_name
from . import app_of, format_option

CLIENT_COLUMNS = [
    Column("key", "client", "клиент"),
    Column("name", "name", "название"),
    Column("system_url", "system", "система"),
    Column("hosting", "hosting", "размещение"),
    Column("contact", "authorized contact", "авторизованное лицо"),
    Column("package", "package", "пакет услуг"),
]
CONTACT_COLUMNS = [
    Column("email", "e-mail", "e-mail"),
    Column("name", "name", "имя"),
    Column("effective", "effective", "действует с"),
    Column("notice", "notice", "уведомление"),
    Column("current", "current", "текущий"),
]


@click.group("client")
def client() -> None:
    """Add and list clients."""


@client.command("add")
@click.argument("key")
@click.option("--name", required=True, help="The client's name.")
@click.option("--system-url", metavar="URL", help="Address of the client's BPMSoft system.")
@click.option(
    "--hosting",
    type=click.Choice(["on-premise", "bpmsoft-cloud"]),
    default="on-premise",
    show_default=True,
    help="Where the system runs (bpmsoft-cloud routes problems to the vendor).",
)
@click.option("--contact", metavar="EMAIL",
              help="The authorized contact, in force from the beginning (or --effective).")
@click.option("--effective", metavar="ISO",
              help="When the --contact takes effect [from the beginning: nobody before].")
@click.option("--package", metavar="NAME", help="Its service package in sla.yaml [default].")
@format_option
@click.pass_context
def client_add(ctx, key, name, system_url, hosting, contact, effective, package, fmt) -> None:
    """Add a client; KEY prefixes its ticket ids (ACME → ACME-1).

    The --contact is the client's authorized person from the beginning, so requests
    imported with earlier dates count as authorized; --effective WHEN dates it instead.

    \b
    Example:
      sccli client add ACME --name "Acme LLC" --system-url https://crm.acme.example \\
          --contact it@acme.example
    """
    app = app_of(ctx)
    when = _effective(app, effective) if effective else None
    added = cases.add_client(app, key, name, system_url, hosting, contact, effective=when,
                             package=package)
    if fmt == "json":
        click.echo(to_json({"key": added.key}))
    else:
        click.echo(added.key)


@client.command("list")
@format_option
@click.pass_context
def client_list(ctx, fmt) -> None:
    """List clients with their current authorized contact."""
    app = app_of(ctx)
    rows = []
    for c, current in cases.clients_with_contacts(app):
        rows.append(
            {
                "key": c.key,
                "name": c.name,
                "system_url": c.system_url,
                "hosting": c.hosting.value,
                "contact": current.email if current else None,
                "package": package_name(c),
            }
        )
    emit(rows, CLIENT_COLUMNS, fmt, app.lang, empty="no clients yet (sccli client add KEY --name …)")


@client.command("show")
@click.argument("key")
@format_option
@click.pass_context
def client_show(ctx, key, fmt) -> None:
    """Show one client: its system, hosting, authorized contact and service package."""
    app = app_of(ctx)
    found, _, current = cases.contacts_of(app, key)
    row = {"key": found.key, "name": found.name, "system_url": found.system_url,
           "hosting": found.hosting.value, "contact": current.email if current else None,
           "package": package_name(found)}
    if fmt == "json":
        click.echo(to_json(row))
    elif fmt == "csv":
        emit([row], CLIENT_COLUMNS, fmt, app.lang)
    else:
        for column in CLIENT_COLUMNS:
            value = row[column.key]
            say(f"{column.header(app.lang)}: {'-' if value is None else value}", multiline=False)


@client.command("edit")
@click.argument("key")
@click.option("--package", metavar="NAME", required=True,
              help="Its service package in sla.yaml (default: the contract's values).")
@click.pass_context
def client_edit(ctx, key, package) -> None:
    """Change a client's service package.

    The package in force is the client's current one: from now on every view uses it,
    the running clocks of open tickets and past months' reports included.

    \b
    Example:
      sccli client edit ACME --package premium
    """
    app = app_of(ctx)
    saved = cases.set_package(app, key, package)
    say(f"{saved.key}: package {package_name(saved)}")


@client.command("secret")
@click.argument("key")
@format_option
@click.pass_context
def client_secret(ctx, key, fmt) -> None:
    """Show the credentials sccli moved out of a client's name, system URL and contact
    notices (stored as [secret:client-KEY/N] references)."""
    app = app_of(ctx)
    # A value this machine's vault does not hold is an error (exit 2) saying why, never a blank.
    found, values, missing = cases.reveal_client_secrets(app, key)
    if missing is not None and not values:
        raise missing
    click.echo(f"{found.key}: secrets are shown on request only; never paste them into other"
               f" trackers ({app.vault.backend})", err=True)
    emit([{"reference": ref, "value": value} for ref, value in values],
         [Column("reference", "reference", "ссылка"),
          Column("value", "value", "значение", reveal=True)],
         fmt, app.lang, empty=f"{found.key}: no secrets")
    if missing is not None:
        raise missing


@click.group("contact")
def contact() -> None:
    """Set and show a client's authorized contact (one at any instant)."""


@contact.command("set")
@click.argument("client_key", metavar="CLIENT")
@click.argument("email")
@click.option("--name", help="The person's name.")
@click.option("--effective", metavar="ISO",
              help="When the appointment takes effect, or 'beginning' [now].")
@click.option("--notice", metavar="TEXT",
              help="The client's notice that appointed the person (required when back-dated).")
@click.pass_context
def contact_set(ctx, client_key, email, name, effective, notice) -> None:
    """Appoint CLIENT's authorized contact from --effective on.

    Each ticket is judged by the contact in force when it was registered. A back-dated
    change (effective before now, replacing an appointment or changing a ticket's
    verdict) needs --notice (quote the client's notice of the change), warns, and lists
    the tickets whose verdict changes.

    \b
    Example:
      sccli contact set ACME olga@acme.example --name "Olga" --effective 2026-12-01T09:00 \\
          --notice "letter No. 12 of 2026-11-24"
    """
    app = app_of(ctx)
    when = _effective(app, effective) if effective else None
    done = cases.set_contact(app, client_key, email, name, when, notice)
    saved = done.contact
    say(f"{saved.client}: {saved.email} {_from(saved, app.tz, app.lang)}")
    if done.back_dated:
        ru = app.lang == "ru"
        count = len(done.changes)
        # through the output gate: the notice is the client's text
        say("sccli: warning: " + (
            f"{saved.client}: назначение задним числом ({_from(saved, app.tz, 'ru')}) по"
            f" уведомлению «{saved.notice}»: меняется авторизация заявок: {count}"
            if ru else
            f"{saved.client}: back-dated appointment ({_from(saved, app.tz, 'en')}) on the"
            f" client's notice \"{saved.notice}\": the authorization verdict changes for"
            f" {count} ticket{'s' if count != 1 else ''}"), err=True, multiline=False)
        for change in done.changes:
            say(_change_line(change, app.tz, app.lang), err=True)


_VERDICT = {"en": {True: "authorized", False: "unauthorized"},
            "ru": {True: "авторизована", False: "не авторизована"}}


def _change_line(change, tz, lang: str) -> str:
    r = change.request
    words = _VERDICT["ru" if lang == "ru" else "en"]
    registered = r.registered_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if lang == "ru":
        return (f"  {r.ticket_id} (от {r.reporter}, зарегистрирована {registered}):"
                f" {words[change.before]} → {words[change.after]}")
    return (f"  {r.ticket_id} (from {r.reporter}, registered {registered}):"
            f" {words[change.before]} → {words[change.after]}")


def _effective(app, text: str):
    """--effective: an instant in the calendar's zone, or 'beginning' (nobody before)."""
    if text.strip().lower() in ("beginning", "начало"):
        return BEGINNING
    return app.instant(text, "--effective")


def _from(contact, tz, lang: str) -> str:
    """When an appointment takes effect, in the calendar's zone."""
    if contact.from_beginning:
        return "с начала" if lang == "ru" else "from the beginning"
    when = contact.effective.astimezone(tz).isoformat()
    return f"с {when}" if lang == "ru" else f"from {when}"


@contact.command("show")
@click.argument("client_key", metavar="CLIENT")
@click.option("--history", is_flag=True, help="Every appointment, not only the current one.")
@format_option
@click.pass_context
def contact_show(ctx, client_key, history, fmt) -> None:
    """Show CLIENT's authorized contact (at --at, default now).

    Times are in the calendar's zone (sla.yaml timezone); a contact in force from the
    beginning shows "from the beginning" (in JSON: effective null, from_beginning true).
    """
    app = app_of(ctx)
    found, contacts, current = cases.contacts_of(app, client_key)
    chosen = contacts if history else ([current] if current else [])
    beginning = None if fmt == "json" else (
        "с начала" if app.lang == "ru" else "from the beginning")
    rows = [
        {
            "client": c.client,
            "email": c.email,
            "name": c.name,
            "effective": beginning if c.from_beginning else c.effective.astimezone(app.tz),
            "from_beginning": c.from_beginning,
            "notice": c.notice,
            "current": c is current,
        }
        for c in chosen
    ]
    emit(rows, CONTACT_COLUMNS, fmt, app.lang, empty=f"{found.key}: no authorized contact yet")
