"""`sccli client …` and `sccli contact …`."""

from __future__ import annotations

import click

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
@click.option("--contact", metavar="EMAIL", help="The authorized contact, effective now.")
@click.option("--package", metavar="NAME", help="Its service package in sla.yaml [default].")
@format_option
@click.pass_context
def client_add(ctx, key, name, system_url, hosting, contact, package, fmt) -> None:
    """Add a client; KEY prefixes its ticket ids (ACME → ACME-1).

    \b
    Example:
      sccli client add ACME --name "Acme LLC" --system-url https://crm.acme.example \\
          --contact it@acme.example
    """
    app = app_of(ctx)
    added = cases.add_client(app, key, name, system_url, hosting, contact, package=package)
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
@click.option("--effective", metavar="ISO", help="When the appointment takes effect [now].")
@click.option("--notice", metavar="TEXT", help="The client's notice that appointed the person.")
@click.pass_context
def contact_set(ctx, client_key, email, name, effective, notice) -> None:
    """Appoint CLIENT's authorized contact from --effective on.

    Past tickets keep the verdict they had when registered.
    """
    app = app_of(ctx)
    when = app.instant(effective, "--effective") if effective else None
    saved = cases.set_contact(app, client_key, email, name, when, notice)
    say(f"{saved.client}: {saved.email} from {saved.effective.isoformat()}")


@contact.command("show")
@click.argument("client_key", metavar="CLIENT")
@click.option("--history", is_flag=True, help="Every appointment, not only the current one.")
@format_option
@click.pass_context
def contact_show(ctx, client_key, history, fmt) -> None:
    """Show CLIENT's authorized contact (at --at, default now)."""
    app = app_of(ctx)
    found, contacts, current = cases.contacts_of(app, client_key)
    chosen = contacts if history else ([current] if current else [])
    rows = [
        {
            "client": c.client,
            "email": c.email,
            "name": c.name,
            "effective": c.effective,
            "notice": c.notice,
            "current": c is current,
        }
        for c in chosen
    ]
    emit(rows, CONTACT_COLUMNS, fmt, app.lang, empty=f"{found.key}: no authorized contact yet")
