"""The client's authorized contact over time, through the CLI.

Contract: a request "must come from the client's authorized person" («Заявка должна быть
оформлена от имени авторизированного со стороны клиента лица»), and "the client may
appoint a new authorized person by sending a notice with the new person's contact details
to the executor's support e-mail" («Клиент имеет право назначить новое авторизированное
лицо путем направления уведомления, в котором содержатся контактные данные нового
авторизированного лица, на адрес электронной почты Исполнителя»).

* The contact named by ``client add --contact`` is in force from the beginning (nobody was
  appointed before), or from ``--effective``: a back-dated import is not unauthorized.
* The history is ordered by effective time, never by recording order.
* A back-dated change needs the client's notice (``--notice``), warns, and lists the
  tickets whose authorization verdict changes, one line each.
* ``contact show`` prints times in the calendar's zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sccli.domain.contacts import authorized_at
from sccli.domain.model import BEGINNING, Contact
from tests.conftest import Cli

NOW = "2026-11-25T11:00:00+03:00"  # every write below is before it


@pytest.fixture
def desk(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path / "ws", env={"SCCLI_NOW": NOW})
    cli.ok("init")
    return cli


@pytest.fixture
def desk_any(tmp_path: Path, db_target: str) -> Cli:
    """The same on SQLite and PostgreSQL (how "from the beginning" is stored)."""
    cli = Cli(tmp_path / "ws", db=db_target, env={"SCCLI_NOW": NOW})
    cli.ok("init")
    return cli


def add(cli: Cli, sender: str, at: str, title: str = "Report fails") -> str:
    return cli.ok("ticket", "add", "--client", "ACME", "--from", sender, "--title", title,
                  "--at", at, at=at).stdout.strip()


def triage(cli: Cli) -> dict[str, dict]:
    return {r["ticket"]: r for r in cli.ok("triage", "--format", "json").json()}


def history(cli: Cli, at: str = NOW) -> list[dict]:
    return cli.ok("contact", "show", "ACME", "--history", "--format", "json", at=at).json()


# ------------------------------------------------------------------ from the beginning


def test_back_dated_import_is_not_flagged_unauthorized(desk_any: Cli):
    desk_any.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru")
    # an import of last year's requests, from the one authorized person
    old = add(desk_any, "it@acme.ru", "2025-03-03T10:00")
    other = add(desk_any, "sales@acme.ru", "2025-03-04T10:00")
    rows = triage(desk_any)
    assert rows[old]["authorized"] is True and "unauthorized" not in rows[old]["flags"]
    assert rows[old]["authorized_contact"] == "it@acme.ru"
    # someone else is still someone else, and the advice names the contact, not "none"
    assert "unauthorized" in rows[other]["flags"]
    assert rows[other]["authorized_contact"] == "it@acme.ru"
    assert "none appointed" not in " ".join(rows[other]["advice"])
    (shown,) = history(desk_any, at="2020-01-01T00:00")
    assert shown["email"] == "it@acme.ru" and shown["current"] is True
    assert shown["from_beginning"] is True and shown["effective"] is None
    table = desk_any.ok("contact", "show", "ACME").stdout
    assert "from the beginning" in table
    assert "с начала" in desk_any.ok("--lang", "ru", "contact", "show", "ACME").stdout


def test_client_add_effective_dates_the_first_contact(desk: Cli):
    desk.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru",
            "--effective", "2026-03-01T09:00")
    before = add(desk, "it@acme.ru", "2026-02-27T10:00")
    after = add(desk, "it@acme.ru", "2026-03-02T10:00")
    rows = triage(desk)
    assert rows[after]["authorized"] is True
    assert "unauthorized" in rows[before]["flags"] and rows[before]["authorized_contact"] is None
    (advice,) = [a for a in rows[before]["advice"] if "authorized contact" in a]
    assert advice.startswith(f"{before}: it@acme.ru is not the authorized contact (ACME has"
                             " none appointed): appoint one (sccli contact set ACME EMAIL")
    (shown,) = history(desk)
    assert shown["effective"] == "2026-03-01T09:00:00+03:00" and not shown["from_beginning"]


def test_client_add_effective_without_contact_is_refused(desk: Cli):
    result = desk("client", "add", "ACME", "--name", "Acme", "--effective", "2026-03-01T09:00")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "sccli: error: --effective dates the authorized contact: give --contact EMAIL too")
    assert desk.ok("client", "list", "--format", "json").json() == []


# ------------------------------------------------------------------ effective order


def test_history_is_ordered_by_effective_time_not_by_recording(desk_any: Cli):
    desk_any.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru")
    # recorded first, effective later
    desk_any.ok("contact", "set", "ACME", "june@acme.ru", "--effective", "2026-06-01T09:00",
                "--notice", "letter No. 9")
    desk_any.ok("contact", "set", "ACME", "march@acme.ru", "--effective", "2026-03-01T09:00",
                "--notice", "letter No. 8")
    assert [c["email"] for c in history(desk_any)] == [
        "it@acme.ru", "march@acme.ru", "june@acme.ru"]
    for at, current in (("2026-02-28T23:59", "it@acme.ru"), ("2026-03-01T09:00", "march@acme.ru"),
                        ("2026-05-31T12:00", "march@acme.ru"), (NOW, "june@acme.ru")):
        (shown,) = desk_any.ok("contact", "show", "ACME", "--format", "json", at=at).json()
        assert shown["email"] == current, at
    # the new contact is current now: the one named at `client add` no longer outranks it
    assert desk_any.ok("client", "list", "--format", "json").json()[0]["contact"] == "june@acme.ru"
    # two appointments effective at one instant: the later record wins
    desk_any.ok("contact", "set", "ACME", "fix@acme.ru", "--effective", "2026-06-01T09:00",
                "--notice", "letter No. 10 corrects No. 9")
    (shown,) = desk_any.ok("contact", "show", "ACME", "--format", "json").json()
    assert shown["email"] == "fix@acme.ru"


def test_authorized_at_does_not_trust_the_order_it_is_given():
    t0 = datetime(2026, 3, 1, 6, tzinfo=UTC)
    later = Contact("A", "later@a.ru", None, t0 + timedelta(days=90))
    earlier = Contact("A", "earlier@a.ru", None, t0)
    first = Contact("A", "first@a.ru", None, BEGINNING)
    given = [later, earlier, first]  # recording order
    assert authorized_at(given, t0 - timedelta(days=3650)) is first
    assert authorized_at(given, t0 + timedelta(days=1)) is earlier
    assert authorized_at(given, t0 + timedelta(days=91)) is later


# ------------------------------------------------------------------ back-dated changes


def test_back_dated_change_needs_the_clients_notice(desk: Cli):
    desk.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru")
    add(desk, "olga@acme.ru", "2026-10-05T10:00")
    before = history(desk)
    result = desk("contact", "set", "ACME", "olga@acme.ru", "--effective", "2026-10-01T09:00")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--notice TEXT" in lines[0] and "back-dated" in lines[0]
    assert history(desk) == before  # nothing written


def test_back_dated_change_warns_and_lists_the_tickets_whose_verdict_changes(desk: Cli):
    desk.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru")
    early = add(desk, "olga@acme.ru", "2026-09-01T10:00")  # before the change: unchanged
    gained = add(desk, "olga@acme.ru", "2026-10-05T10:00")
    lost = add(desk, "it@acme.ru", "2026-10-06T10:00")
    confirmed = add(desk, "it@acme.ru", "2026-10-07T10:00")
    desk.ok("ticket", "confirm", confirmed, "--by", "it@acme.ru", "-m", "call of 07.10",
            at="2026-10-07T11:00")
    assert {t: r["authorized"] for t, r in triage(desk).items()} == {
        early: False, gained: False, lost: True, confirmed: True}

    out = desk.ok("contact", "set", "ACME", "olga@acme.ru", "--effective", "2026-10-01T09:00",
                  "--notice", "letter No. 12 of 30.09: Olga replaces IT")
    assert out.stdout.strip() == "ACME: olga@acme.ru from 2026-10-01T09:00:00+03:00"
    warning, *listed = out.stderr.strip().splitlines()
    assert warning.startswith("sccli: warning: ACME: back-dated appointment")
    assert '"letter No. 12 of 30.09: Olga replaces IT"' in warning
    assert "changes for 2 tickets" in warning
    assert listed == [
        f"  {gained} (from olga@acme.ru, registered 2026-10-05 10:00): unauthorized → authorized",
        f"  {lost} (from it@acme.ru, registered 2026-10-06 10:00): authorized → unauthorized",
    ]
    assert {t: r["authorized"] for t, r in triage(desk).items()} == {
        early: False, gained: True, lost: False, confirmed: True}


def test_appointment_from_now_on_needs_no_notice(desk: Cli):
    desk.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru")
    add(desk, "it@acme.ru", "2026-11-20T10:00")
    out = desk.ok("contact", "set", "ACME", "olga@acme.ru", "--effective", "2026-12-01T09:00")
    assert out.stderr == ""
    # a first appointment that changes no verdict is like `client add --contact --effective`
    desk.ok("client", "add", "NORD", "--name", "Nord")
    first = desk.ok("contact", "set", "NORD", "ops@nord.example", "--effective",
                    "2026-01-01T09:00")
    assert first.stderr == ""


def test_effective_beginning_corrects_a_store_whose_first_contact_was_dated_at_its_import(
        desk: Cli):
    """Stores written before this rule dated the `client add` contact at the moment of the
    import; those rows keep their meaning, and `--effective beginning` corrects them."""
    desk.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru",
            "--effective", "2026-11-20T12:00")  # as an older sccli wrote it
    imported = add(desk, "it@acme.ru", "2026-05-05T10:00")
    assert triage(desk)[imported]["authorized"] is False
    out = desk.ok("contact", "set", "ACME", "it@acme.ru", "--effective", "beginning",
                  "--notice", "contract, annex 1")
    assert out.stdout.strip() == "ACME: it@acme.ru from the beginning"
    assert f"  {imported} (from it@acme.ru, registered 2026-05-05 10:00):" in out.stderr
    assert triage(desk)[imported]["authorized"] is True


# ------------------------------------------------------------------ zone


def test_contact_show_prints_times_in_the_calendars_zone(desk: Cli):
    desk.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru")
    desk.ok("contact", "set", "ACME", "olga@acme.ru", "--effective", "2026-12-01T09:00")
    rows = history(desk)
    assert rows[1]["effective"] == "2026-12-01T09:00:00+03:00"  # Moscow, as entered
    table = desk.ok("contact", "show", "ACME", "--history").stdout
    assert "2026-12-01 09:00" in table and "06:00" not in table
    # another calendar zone: the same instant in that zone
    sla = desk.home / "sla.yaml"
    sla.write_text(sla.read_text(encoding="utf-8").replace(
        "timezone: Europe/Moscow", "timezone: Europe/Berlin"), encoding="utf-8")
    assert history(desk)[1]["effective"] == "2026-12-01T07:00:00+01:00"
    assert "2026-12-01 07:00" in desk.ok("contact", "show", "ACME", "--history").stdout


def test_triage_advice_for_an_unauthorized_sender_names_ticket_confirm(desk: Cli):
    desk.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru")
    tid = add(desk, "sales@acme.ru", "2026-11-24T10:00")
    (advice,) = [a for a in triage(desk)[tid]["advice"] if "authorized contact" in a]
    assert f"sccli ticket confirm {tid} --by it@acme.ru -m" in advice
    assert f"sccli ticket reject {tid} --reason unauthorized" in advice
    ru = desk.ok("--lang", "ru", "triage").stdout
    assert (f"{tid}: отправитель sales@acme.ru не авторизованное лицо (it@acme.ru): если"
            f" it@acme.ru подтверждает заявку: sccli ticket confirm {tid} --by it@acme.ru") in ru
    desk.ok("ticket", "confirm", tid, "--by", "it@acme.ru", "-m", "letter of 24.11")
    assert "unauthorized" not in triage(desk)[tid]["flags"]
    assert "ticket confirm" not in desk.ok("--lang", "ru", "triage").stdout
