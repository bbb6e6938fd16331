"""Service packages per client, through the CLI.

The contract's terms are "the package of services specified in the Specification"
("Заявка на предоставление Услуг согласно с обусловленным в Спецификации пакетом Услуг"):
an integrator sells different packages to different clients. sla.yaml's top level holds
the contract's values (the package "default"); ``packages:`` defines the others, each
overriding some values and inheriting the rest. The package in force is the client's
current one (a change applies to open tickets and every view from then on).

2026-11-23 is a Monday. The contract: critical 30 min, high 2 h, 08:30–17:30 Mon–Fri,
2 business days for the client's answers, 7 calendar days of acceptance.
"""

from __future__ import annotations

import pytest

from sccli.config import default_sla_text, parse_sla
from sccli.schema import ConfigError
from tests.conftest import Cli

PACKAGES = """\
packages:
  premium:
    reaction:
      targets:
        critical: 15m
      warn_at: 0.5
    calendar:
      hours:
        mon: ["08:00-20:00"]
        tue: ["08:00-20:00"]
        wed: ["08:00-20:00"]
        thu: ["08:00-20:00"]
        fri: ["08:00-20:00"]
    feedback:
      business_days: 3
    acceptance:
      calendar_days: 10
  allday:
    calendar:
      country: null
      hours: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"],
              thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"],
              sun: ["00:00-24:00"]}
"""


def sla_text(packages: str = PACKAGES) -> str:
    text = default_sla_text()
    assert "\npackages: {}\n" in text
    return text.replace("\npackages: {}\n", "\n" + packages)


def write_sla(cli: Cli, packages: str = PACKAGES) -> None:
    (cli.home / "sla.yaml").write_text(sla_text(packages), encoding="utf-8")


@pytest.fixture
def desk(cli: Cli) -> Cli:
    """ACME on the contract's terms, VIP on premium, NIGHT on round-the-clock service."""
    write_sla(cli)
    cli.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru",
           at="2026-11-01T09:00")
    cli.ok("client", "add", "VIP", "--name", "Vip", "--contact", "it@vip.ru",
           "--package", "premium", at="2026-11-01T09:00")
    cli.ok("client", "add", "NIGHT", "--name", "Night", "--contact", "it@night.ru",
           "--package", "allday", at="2026-11-01T09:00")
    return cli


def add_critical(cli: Cli, client: str, at: str) -> None:
    cli.ok("ticket", "add", "--client", client, "--from", f"it@{client.lower()}.ru",
           "--title", "login page error", "--priority", "critical", at=at)


@pytest.fixture
def same_instant(desk: Cli) -> Cli:
    """One critical ticket per client, all registered Monday 17:40 (after the contract's
    17:30 closing, within premium's 08:00–20:00 and round-the-clock hours)."""
    for client in ("ACME", "VIP", "NIGHT"):
        add_critical(desk, client, "2026-11-23T17:40")
    return desk


def by_ticket(rows: list[dict], clock: str = "reaction") -> dict[str, dict]:
    return {r["ticket"]: r for r in rows if r["clock"].startswith(clock)}


def test_same_registration_different_reaction_deadlines_in_status(same_instant: Cli):
    rows = by_ticket(same_instant.ok("sla", "status", "--format", "json",
                                     at="2026-11-23T17:50").json())
    # contract: next opening Tue 08:30 + 30 min; premium: 17:40 + 15 min; allday: + 30 min
    assert rows["ACME-1"]["deadline"] == "2026-11-24T09:00:00+03:00"
    assert rows["VIP-1"]["deadline"] == "2026-11-23T17:55:00+03:00"
    assert rows["NIGHT-1"]["deadline"] == "2026-11-23T18:10:00+03:00"
    # premium warns at half its target: 10 of 15 minutes; NIGHT (10 of 30) is not warned
    assert rows["VIP-1"]["state"] == "warning"
    assert rows["NIGHT-1"]["state"] == "running"


def test_check_fails_only_on_the_package_that_breaches(same_instant: Cli):
    result = same_instant("sla", "check", "--format", "json", at="2026-11-23T18:00")
    assert result.exit_code == 1
    assert [(o["ticket"], o["state"]) for o in result.json()["offending"]] == [
        ("VIP-1", "breached")]
    # --warn-at overrides every package's share: NIGHT's 20 of 30 minutes is then a warning
    warn = same_instant("sla", "check", "--warn-at", "0.6", "--fail-on", "warning",
                        "--format", "json", at="2026-11-23T18:00")
    assert {o["ticket"] for o in warn.json()["offending"]} == {"VIP-1", "NIGHT-1"}
    one = same_instant("sla", "check", "--client", "ACME", at="2026-11-23T18:00")
    assert one.exit_code == 0 and one.stdout.startswith("ok: 1 running clocks")


def test_deadline_on_a_clients_package(desk: Cli):
    def deadline(*args: str) -> dict:
        return desk.ok("sla", "deadline", "--priority", "critical", "--at", "2026-11-23T17:40",
                       "--format", "json", *args).json()

    assert deadline()["deadline"] == "2026-11-24T09:00:00+03:00"  # the default package
    assert deadline()["package"] == "default"
    assert deadline("--client", "ACME")["deadline"] == "2026-11-24T09:00:00+03:00"
    vip = deadline("--client", "vip")
    assert (vip["package"], vip["deadline"]) == ("premium", "2026-11-23T17:55:00+03:00")
    assert vip["rule"] == "critical: 15 min of business time"
    assert deadline("--client", "NIGHT")["deadline"] == "2026-11-23T18:10:00+03:00"
    unknown = desk("sla", "deadline", "--at", "2026-11-23T17:40", "--client", "NOPE")
    assert unknown.exit_code == 2 and "unknown client 'NOPE'" in unknown.stderr


def test_explain_names_the_package_and_its_hours(same_instant: Cli):
    vip = same_instant.ok("sla", "explain", "VIP-1", at="2026-11-23T18:00").stdout
    assert "package: premium (client VIP)" in vip
    assert "calendar: Mon–Fri 08:00–20:00 Europe/Moscow" in vip
    assert "deadline: 2026-11-23T17:55:00+03:00" in vip
    acme = same_instant.ok("sla", "explain", "ACME-1", at="2026-11-23T18:00").stdout
    assert "package: default (client ACME)" in acme
    assert "calendar: Mon–Fri 08:30–17:30 Europe/Moscow" in acme


def test_triage_uses_each_clients_package(same_instant: Cli):
    rows = {r["ticket"]: r for r in same_instant.ok(
        "triage", "--format", "json", at="2026-11-23T18:00").json()}
    assert (rows["VIP-1"]["sla_state"], rows["VIP-1"]["deadline"]) == (
        "breached", "2026-11-23T17:55:00+03:00")
    assert rows["ACME-1"]["deadline"] == "2026-11-24T09:00:00+03:00"
    assert rows["NIGHT-1"]["deadline"] == "2026-11-23T18:10:00+03:00"


def test_package_with_its_own_hours_inherits_the_days_it_leaves_out(desk: Cli):
    # premium lists Mon–Fri only: Saturday and Sunday keep the top level's (none), and the
    # high target (2 h) is the contract's: Friday 19:00 → 1 h Friday + 1 h from Mon 08:00
    def deadline(client: str, at: str) -> str:
        return desk.ok("sla", "deadline", "--priority", "high", "--at", at, "--client", client,
                       "--format", "json").json()["deadline"]

    assert deadline("VIP", "2026-11-27T19:00") == "2026-11-30T09:00:00+03:00"
    assert deadline("ACME", "2026-11-27T19:00") == "2026-11-30T10:30:00+03:00"
    assert deadline("NIGHT", "2026-11-28T23:00") == "2026-11-29T01:00:00+03:00"  # a Saturday
    # country: null in allday: 1 January is an ordinary day there, a holiday for the others
    assert deadline("NIGHT", "2027-01-01T10:00") == "2027-01-01T12:00:00+03:00"
    assert deadline("VIP", "2027-01-01T10:00") == "2027-01-11T10:00:00+03:00"


def test_feedback_and_acceptance_days_per_package(desk: Cli):
    # "The client answers the executor's clarifying questions within 2 business days";
    # premium gives 3. "Acceptance and testing after Resolved: 7 calendar days"; premium 10.
    for client in ("ACME", "VIP"):
        add_critical(desk, client, "2026-11-23T10:00")
        desk.ok("ticket", "ask", f"{client}-1", "-m", "which browser?", at="2026-11-23T10:10")
    rows = by_ticket(desk.ok("sla", "status", "--format", "json", at="2026-11-23T12:00").json(),
                     "feedback")
    assert rows["ACME-1"]["deadline"] == "2026-11-25T10:10:00+03:00"
    assert rows["VIP-1"]["deadline"] == "2026-11-26T10:10:00+03:00"
    for client in ("ACME", "VIP"):
        desk.ok("ticket", "answer", f"{client}-1", "-m", "Chrome", at="2026-11-23T11:00")
        desk.ok("ticket", "resolve", f"{client}-1", "-m", "fixed", at="2026-11-23T12:00")
    vip = desk.ok("sla", "explain", "VIP-1", at="2026-11-24T12:00").stdout
    acme = desk.ok("sla", "explain", "ACME-1", at="2026-11-24T12:00").stdout
    assert "deadline: 2026-12-03T12:00:00+03:00" in vip.split("\nacceptance: running")[1]
    assert "deadline: 2026-11-30T12:00:00+03:00" in acme.split("\nacceptance: running")[1]
    out = desk.ok("sla", "deadline", "--clock", "acceptance", "--at", "2026-11-23T12:00",
                  "--client", "VIP", "--format", "json").json()
    assert out["deadline"] == "2026-12-03T12:00:00+03:00" and out["rule"] == "10 calendar days"
    out = desk.ok("sla", "deadline", "--clock", "feedback", "--at", "2026-11-23T10:10",
                  "--client", "VIP", "--format", "json").json()
    assert out["deadline"] == "2026-11-26T10:10:00+03:00"


def test_report_judges_each_ticket_by_its_clients_package(desk: Cli):
    for client in ("ACME", "VIP"):
        add_critical(desk, client, "2026-11-23T10:00")
        desk.ok("ticket", "respond", f"{client}-1", "-m", "on it", at="2026-11-23T10:20")

    def critical(client: str) -> dict:
        report = desk.ok("sla", "report", "--month", "2026-11", "--client", client,
                         "--format", "json", at="2026-11-30T12:00").json()
        return {r["priority"]: r for r in report["priorities"]}["critical"]

    assert (critical("ACME")["met"], critical("ACME")["breached"]) == (1, 0)  # 20 of 30 min
    assert (critical("VIP")["met"], critical("VIP")["breached"]) == (0, 1)  # 20 of 15 min


def test_unknown_package_is_refused_and_nothing_is_written(desk: Cli):
    result = desk("client", "add", "NEW", "--name", "New", "--package", "gold")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "sccli: error: unknown service package 'gold' (known: default, premium, allday;"
        " packages are defined under packages: in sla.yaml)"]
    keys = [c["key"] for c in desk.ok("client", "list", "--format", "json").json()]
    assert "NEW" not in keys
    edit = desk("client", "edit", "VIP", "--package", "gold")
    assert edit.exit_code == 2 and "unknown service package 'gold'" in edit.stderr
    missing = desk("client", "edit", "NOPE", "--package", "premium")
    assert missing.exit_code == 2 and "unknown client 'NOPE'" in missing.stderr


def test_client_list_and_show_name_the_package(desk: Cli):
    rows = {c["key"]: c["package"] for c in desk.ok("client", "list", "--format", "json").json()}
    assert rows == {"ACME": "default", "VIP": "premium", "NIGHT": "allday"}
    assert desk.ok("client", "show", "VIP", "--format", "json").json()["package"] == "premium"
    table = desk.ok("client", "show", "acme").stdout
    assert "package: default" in table and "authorized contact: it@acme.ru" in table
    assert "пакет услуг: premium" in Cli(desk.home, env={"SCCLI_LANG": "ru"}).ok(
        "client", "show", "VIP").stdout


def test_edit_changes_the_package_of_open_tickets_too(same_instant: Cli):
    """The documented rule: the package in force is the client's current one."""
    def acme_deadline() -> str:
        rows = same_instant.ok("sla", "status", "--format", "json", at="2026-11-23T17:50").json()
        return by_ticket(rows)["ACME-1"]["deadline"]

    assert acme_deadline() == "2026-11-24T09:00:00+03:00"
    done = same_instant.ok("client", "edit", "ACME", "--package", "premium")
    assert done.stdout.strip() == "ACME: package premium"
    assert acme_deadline() == "2026-11-23T17:55:00+03:00"
    same_instant.ok("client", "edit", "ACME", "--package", "default")
    assert acme_deadline() == "2026-11-24T09:00:00+03:00"
    rows = same_instant.ok("client", "list", "--format", "json").json()
    assert {c["key"]: c["package"] for c in rows}["ACME"] == "default"


def test_a_ticket_moved_to_another_client_takes_that_clients_package(same_instant: Cli):
    # a correction is dated by the clock (SCCLI_NOW), not --at
    Cli(same_instant.home, env={"SCCLI_NOW": "2026-11-23T17:45"}).ok(
        "ticket", "edit", "ACME-1", "--client", "VIP", "--reason", "wrong client")
    rows = by_ticket(same_instant.ok("sla", "status", "--format", "json",
                                     at="2026-11-23T17:50").json())
    assert rows["ACME-1"]["client"] == "VIP"
    assert rows["ACME-1"]["deadline"] == "2026-11-23T17:55:00+03:00"


def test_a_package_removed_from_sla_yaml_is_a_one_line_configuration_error(same_instant: Cli):
    write_sla(same_instant, PACKAGES.replace("premium:", "gold:"))
    for args in (["sla", "status"], ["sla", "check"], ["triage"], ["sla", "explain", "VIP-1"],
                 ["sla", "deadline", "--at", "2026-11-23T17:40", "--client", "VIP"],
                 ["sla", "report", "--month", "2026-11"]):
        result = same_instant(*args, at="2026-11-23T18:00")
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, (args, lines)
        assert "client VIP has the service package 'premium', which sla.yaml does not define" \
            " (known: default, gold, allday)" in lines[0]
        assert "sccli client edit VIP --package NAME" in lines[0]
    # the client list still shows what was stored, so the user can see and fix it
    rows = same_instant.ok("client", "list", "--format", "json").json()
    assert {c["key"]: c["package"] for c in rows}["VIP"] == "premium"
    same_instant.ok("client", "edit", "VIP", "--package", "gold")
    same_instant.ok("sla", "status", at="2026-11-23T18:00")


@pytest.mark.parametrize("packages,message", [
    ("packages:\n  premium:\n    reaction:\n      targets:\n        critical: soon\n",
     "packages.premium.reaction.targets.critical: 'soon' is not a duration"),
    ("packages:\n  premium:\n    reactoin: {}\n",
     "packages.premium.reactoin: unknown key (expected one of: calendar, reaction, feedback,"
     " acceptance)"),
    ("packages:\n  premium:\n    reaction: {default_priority: high}\n",
     "packages.premium.reaction.default_priority: unknown key"),
    ("packages:\n  default:\n    feedback: {business_days: 3}\n",
     "packages.default: the default package is the top level's values"),
    ("packages:\n  premium:\n    calendar:\n      hours: {mon: [], tue: [], wed: [], thu: [],"
     " fri: []}\n", "packages.premium.calendar.hours: no business hours on any day"),
    ("packages:\n  premium:\n    calendar: {timezone: Mars/Base}\n",
     "packages.premium.calendar.timezone: unknown time zone 'Mars/Base'"),
    ("packages:\n  premium:\n    acceptance: {calendar_days: 0}\n",
     "packages.premium.acceptance.calendar_days: 0 is too small"),
    ("packages: [premium]\n", "packages: expected a mapping, got a list"),
])
def test_sla_yaml_package_mistakes_are_one_line(cli: Cli, packages: str, message: str):
    write_sla(cli, packages)
    result = cli("sla", "status")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert "sla.yaml" in lines[0]


def test_packages_are_built_once_and_inherit_the_top_level():
    sla = parse_sla(sla_text(), "sla.yaml")
    premium = sla.package("premium")
    assert sla.package("premium") is premium and premium.calendar is premium.calendar
    assert sla.package(None).name == sla.package("default").name == "default"
    assert sla.package(None).policy == sla.policy
    targets = {p.value: v for p, v in premium.policy.reaction_targets.items()}
    assert targets == {"critical": 900, "high": 7200, "medium": 14400, "low": 14400}
    assert (premium.policy.warn_at, premium.policy.feedback_business_days,
            premium.policy.acceptance_days) == (0.5, 3, 10)
    allday = sla.package("allday")
    assert (allday.policy.warn_at, allday.policy.acceptance_days) == (0.8, 7)
    assert (premium.settings.country, allday.settings.country) == ("RU", None)
    with pytest.raises(Exception, match="unknown service package 'gold'"):
        sla.package("gold")


def test_shipped_example_parses_when_uncommented():
    """The commented example in the shipped sla.yaml is valid as written."""
    text = default_sla_text()
    block = text.split("\npackages: {}\n", 1)[1].split("\n\n", 1)[0]
    example = "packages:\n" + "\n".join(line[1:] for line in block.splitlines()) + "\n"
    sla = parse_sla(text.replace("\npackages: {}\n", "\n" + example), "sla.yaml")
    assert sla.package_names == ["default", "premium", "round-the-clock"]
    assert sla.package("premium").calendar.describe() == "Mon–Fri 08:00–20:00 Europe/Moscow"
    with pytest.raises(ConfigError):
        parse_sla(text.replace("\npackages: {}\n", "\npackages: {default: {}}\n"), "sla.yaml")


def test_packages_on_both_store_backends(cli_any: Cli):
    write_sla(cli_any)
    cli_any.ok("client", "add", "VIP", "--name", "Vip", "--package", "premium")
    cli_any.ok("client", "add", "ACME", "--name", "Acme")
    add_critical(cli_any, "VIP", "2026-11-23T17:40")
    rows = cli_any.ok("sla", "status", "--format", "json", at="2026-11-23T17:50").json()
    assert rows[0]["deadline"] == "2026-11-23T17:55:00+03:00"
    cli_any.ok("client", "edit", "VIP", "--package", "default")
    cli_any.ok("client", "edit", "ACME", "--package", "allday")
    rows = cli_any.ok("client", "list", "--format", "json").json()
    assert {c["key"]: c["package"] for c in rows} == {"ACME": "allday", "VIP": "default"}
    rows = cli_any.ok("sla", "status", "--format", "json", at="2026-11-23T17:50").json()
    assert rows[0]["deadline"] == "2026-11-24T09:00:00+03:00"


def test_a_package_calendar_in_a_provisional_year_warns_once_and_moves_the_day(desk: Cli):
    """A package's own calendar follows the same Labor Code rule (art. 112: a holiday on a
    weekend moves to the next working day) and says once per run that 2028 is provisional."""
    from sccli.domain.calendar import BusinessCalendar

    if BusinessCalendar().year_status(2028) != "provisional":
        pytest.skip("the installed holidays package carries the 2028 decree")

    def provisional(result) -> list[str]:
        return [ln for ln in result.stderr.splitlines() if "provisional" in ln]

    def add(client: str) -> None:
        desk.ok("ticket", "add", "--client", client, "--from", f"it@{client.lower()}.ru",
                "--title", "report totals wrong", "--priority", "medium",
                at="2028-11-03T16:30")

    desk.env["SCCLI_NOW"] = "2028-11-07T12:00"
    add("VIP")  # only premium's calendar (08:00–20:00) is used: it must warn by itself
    status = desk.ok("sla", "status", "--format", "json", at="2028-11-03T16:31")
    # 16:30–20:00 (3.5 h), Sat 4 Unity Day, Mon 6 moved day off, Tue 7 08:00–08:30
    assert [r["deadline"] for r in status.json() if r["clock"] == "reaction"] == [
        "2028-11-07T08:30:00+03:00"]
    (warning,) = provisional(status)
    assert "2028" in warning
    add("ACME")  # and the contract's calendar too: still one warning per run
    status = desk.ok("sla", "status", "--format", "json", at="2028-11-03T16:31")
    deadlines = {r["ticket"]: r["deadline"] for r in status.json() if r["clock"] == "reaction"}
    # ACME: 16:30–17:30 (1 h), then Tue 7 08:30–11:30
    assert deadlines == {"ACME-1": "2028-11-07T11:30:00+03:00",
                         "VIP-1": "2028-11-07T08:30:00+03:00"}
    assert len(provisional(status)) == 1
