"""`sccli triage` end to end: order, every flag, --apply, queue, billing, escalation.

Every test runs on a workspace built here, ticket by ticket, with one ticket per rule
being checked (not on the demo's data, which is a product feature free to change). All
writes are dated with --at before the clock (SCCLI_NOW); every read asks about NOW.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import Cli

NOW = "2026-11-25T11:00:00+03:00"  # Wednesday, inside service hours (08:30–17:30 MSK)
ENV = {"SCCLI_NOW": NOW, "SCCLI_VAULT": "file"}  # the clock; secrets to the workspace file

CONFIG = """\
executor:
  name: Programmnye Tekhnologii
  email: crm.support@samarasoft.com
  language: ru
parties:
  vendor:
    kind: vendor
    title: BPMSoft
    language: ru
    tracker: vendor
  partner-x:
    kind: partner
    title: Partner X Solutions
    language: en
    tracker: partner-x
trackers:
  vendor:
    adapter: local
    path: trackers/vendor
  partner-x:
    adapter: local
    path: trackers/partner-x
"""

CLIENTS = [  # key, system URL, authorized contact
    ("ACME", "https://crm.acme.example", "it@acme.example"),
    ("NORD", "https://nord.bpmsoft.example", "support@nord.example"),
    ("VEGA", "https://bpm.vega.example", "helpdesk@vega.example"),
]

COMPLETE_RU = """Прошу помочь: {what}
Учетная запись: demo.user, пароль: Dem0-Passw0rd!
Адрес системы: {url}
Шаги:
1. Войти под учетной записью demo.user
2. {step}
3. Нажать «Сохранить»
Ожидаемый результат: запись сохраняется.
Фактический результат: {actual}
Окружение: MS SQL 2019, 2 ноды, интеграция с 1С, доработки Partner X."""

# role: (client, sender, title, body, [--priority], [--channel], on_behalf, registered,
#        steps after registration: (at, *ticket command args))
TICKETS = {
    # high, 25 h without a reaction: breached; the client chose high where the rule says
    # critical (a daily business process fails)
    "breached": (
        "NORD", "support@nord.example", "Shipment approval process fails every morning",
        "The daily business process 'Shipment approval' fails at the 'Notify carrier' step"
        " since Monday.\nSystem: https://nord.bpmsoft.example\nSteps:\n1. Wait for the 08:00"
        " run\n2. Open the process log\nEnvironment: BPMSoft cloud, 2 nodes, no partner"
        " customizations.\nAccount: ops.bot, password: Shipm3nt!Bot",
        "high", None, False, "2026-11-24T10:00", []),
    # not from the authorized contact; high: 5 minutes of reaction left
    "unauthorized": (
        "ACME", "sales.head@acme.example", "Срочно добавить поле «Канал продаж»",
        "Нужно новое поле в карточке сделки, прошу сделать сегодня.",
        "high", None, False, "2026-11-25T09:05", []),
    # a pasted password; no priority chosen, the rule suggests critical (cannot log in)
    "secrets": (
        "ACME", "it@acme.example", "Не могу войти под пользователем Supervisor",
        "С утра не можем войти в систему https://crm.acme.example\nлогин: Supervisor пароль:"
        " Sup3r#2026\n1. Открыть страницу входа\n2. Ввести логин и пароль\nОшибка «Неверный"
        " пароль».\nОкружение: PostgreSQL 15, 1 нода, доработок партнеров нет.",
        None, None, False, "2026-11-25T08:50", []),
    # English, lacks the account, the address, the steps and the environment
    "missing": (
        "NORD", "support@nord.example", "Dashboard shows wrong totals",
        "Hello, the sales dashboard shows wrong totals. Can you check?",
        "medium", None, False, "2026-11-25T10:15", []),
    # a phone call registered by the engineer for the client, not yet answered
    "phone": (
        "ACME", "it@acme.example", "Заявка со слов клиента: не обновляется курс валют",
        "Зарегистрировано инженером по звонку клиента.",
        "low", "phone", True, "2026-11-25T10:30", []),
    # the ticket in work at VEGA (low), ahead of a critical one
    "in-work": (
        "VEGA", "helpdesk@vega.example", "Переименовать поле «Код клиента» в «Номер договора»",
        "Название поля на странице контрагента вводит пользователей в заблуждение. Можно ли"
        " переименовать?",
        "low", None, False, "2026-11-23T09:10",
        [("2026-11-23T09:30", "respond", "-m", "Приняли в работу")]),
    # critical, complete, queued behind the low one: 10 minutes of reaction left
    "critical": (
        "VEGA", "helpdesk@vega.example", "Ошибка на странице логина",
        COMPLETE_RU.format(what="после обновления не открывается страница входа.",
                           url="https://bpm.vega.example", step="Открыть страницу входа",
                           actual="ошибка 500 на странице логина"),
        "critical", None, False, "2026-11-25T10:40", []),
    # asked a question on 2026-11-19: the client's 2 business days are over
    "client-overdue": (
        "ACME", "it@acme.example", "Не приходят уведомления о задачах",
        "Уведомления о новых задачах перестали приходить сотрудникам отдела продаж. Почему?",
        "medium", None, False, "2026-11-19T14:00",
        [("2026-11-19T15:00", "ask", "-m", "Уточните, пожалуйста, адрес системы, шаги и окружение")]),
    # resolved on 2026-11-22: the 7 calendar days of acceptance run
    "acceptance": (
        "VEGA", "helpdesk@vega.example", "Не формируется печатная форма счёта",
        "Печатная форма счёта падает с ошибкой шаблона. Почему?",
        "medium", "email", False, "2026-11-17T10:00",
        [("2026-11-17T10:30", "respond", "-m", "Воспроизвели"),
         ("2026-11-22T10:00", "resolve", "-m", "Шаблон исправлен, проверьте, пожалуйста")]),
    # the source is the vendor's platform
    "vendor": (
        "ACME", "it@acme.example", "Ошибка платформы при экспорте в Excel",
        COMPLETE_RU.format(what="экспорт реестра в Excel падает с ошибкой платформы.",
                           url="https://crm.acme.example",
                           step="Открыть реестр «Контрагенты» и нажать «Экспорт»",
                           actual="NullReferenceException в ядре платформы"),
        "high", None, False, "2026-11-24T11:00",
        [("2026-11-24T11:40", "respond", "-m", "Воспроизводится на чистой платформе"),
         ("2026-11-24T14:00", "set", "--source", "vendor-product")]),
    # the source is partner-x's product
    "partner": (
        "VEGA", "helpdesk@vega.example", "Ошибка в модуле складского учёта Partner X",
        COMPLETE_RU.format(what="модуль склада Partner X не проводит приходные накладные.",
                           url="https://bpm.vega.example",
                           step="Открыть приходную накладную и нажать «Провести»",
                           actual="ошибка модуля Partner X"),
        "high", None, False, "2026-11-24T11:00",
        [("2026-11-24T12:00", "respond", "-m", "Источник — продукт Partner X"),
         ("2026-11-24T13:00", "set", "--source", "partner-product", "--party", "partner-x")]),
    # a change the Technical Design does not describe: billable
    "billable-change": (
        "NORD", "support@nord.example", "Copy payment details when creating an invoice",
        "When an invoice is created from a contract, please copy the payment details"
        " automatically. This is not described in the Technical Design.",
        "medium", None, False, "2026-11-18T09:00",
        [("2026-11-18T10:00", "respond", "-m", "A change outside the Technical Design"),
         ("2026-11-18T11:00", "set", "--source", "executor-project-out-of-design")]),
    # refused (no remote access); by phone, so it would be billable if it were not refused
    "rejected": (
        "VEGA", "helpdesk@vega.example", "Сервер не включается",
        "Сервер приложения не включается после грозы, удалённого доступа нет.",
        "high", "phone", False, "2026-11-12T10:00",
        [("2026-11-12T10:10", "ask", "--need", "remote-access", "--need", "hardware-fix"),
         ("2026-11-12T10:20", "reject", "--reason", "no-access", "-m",
          "Требуется ремонт оборудования клиента")]),
}


def build(cli: Cli) -> dict[str, str]:
    """The workspace: three clients, their contacts, the tickets above; role → ticket id."""
    cli.ok("init", at="2026-11-02T09:00")
    (cli.home / "sccli.yaml").write_text(CONFIG, encoding="utf-8")
    for key, url, contact in CLIENTS:
        cli.ok("client", "add", key, "--name", key.title(), "--system-url", url,
               at="2026-11-02T09:00")
        cli.ok("contact", "set", key, contact, "--effective", "2026-11-02T09:00", "--notice",
               "contract, annex 1", at="2026-11-02T09:00")
    ids = {}
    for role, (client, sender, title, body, prio, channel, on_behalf, at, steps) in TICKETS.items():
        args = ["ticket", "add", "--client", client, "--from", sender, "--title", title,
                "--body", body, "--at", at]
        args += ["--priority", prio] if prio else []
        args += ["--channel", channel] if channel else []
        args += ["--on-behalf"] if on_behalf else []
        ids[role] = cli.ok(*args, at=at).stdout.strip()
        for step_at, command, *rest in steps:
            cli.ok("ticket", command, ids[role], *rest, at=step_at)
    return ids


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    home = tmp_path_factory.mktemp("triage") / "ws"
    return home, build(Cli(home, env=ENV))


@pytest.fixture
def ws(template, tmp_path) -> tuple[Cli, dict[str, str]]:
    """A private copy of the workspace (tests write to it) and the role → ticket id map."""
    home, ids = template
    shutil.copytree(home, tmp_path / "ws")
    return Cli(tmp_path / "ws", env=ENV), ids


def _triage(cli: Cli, *args) -> tuple[dict, list]:
    rows = cli.ok("triage", "--format", "json", *args, at=NOW).json()
    return {r["ticket"]: r for r in rows}, [r["ticket"] for r in rows]


def test_triage_order_breached_first_then_least_remaining(ws):
    cli, t = ws
    by_id, order = _triage(cli)
    assert order[0] == t["breached"] and by_id[t["breached"]]["sla_state"] == "breached"
    reaction_running = [i for i in order if by_id[i]["clock"] == "reaction"
                        and by_id[i]["sla_state"] in ("warning", "running")]
    remaining = [by_id[i]["remaining_seconds"] for i in reaction_running]
    assert remaining == sorted(remaining) and len(remaining) >= 5
    # feedback after reactions
    assert order.index(reaction_running[-1]) < order.index(t["client-overdue"])


def test_triage_flags(ws):
    cli, t = ws
    by_id, _ = _triage(cli)
    unauthorized = by_id[t["unauthorized"]]
    assert "unauthorized" in unauthorized["flags"] and not unauthorized["authorized"]
    assert unauthorized["authorized_contact"] == "it@acme.example"
    secrets = by_id[t["secrets"]]
    assert "secrets" in secrets["flags"] and secrets["secrets"] == 1
    critical = by_id[t["critical"]]
    assert "critical-behind-queue" in critical["flags"]
    assert critical["ahead_of_critical"] == t["in-work"]
    missing = by_id[t["missing"]]
    assert missing["missing"] == ["account", "system-url", "steps", "environment"]
    assert missing["language"] == "en"
    assert by_id[t["client-overdue"]]["sla_state"] == "client-overdue"
    acceptance = by_id[t["acceptance"]]
    assert acceptance["clock"] == "acceptance" and acceptance["status"] == "resolved"
    vendor = by_id[t["vendor"]]
    assert (vendor["owner"], vendor["party"], vendor["action"]) == ("vendor", "vendor", "escalate")
    partner = by_id[t["partner"]]
    assert (partner["owner"], partner["party"]) == ("partner", "partner-x")
    change = by_id[t["billable-change"]]
    assert (change["action"], change["billing"]) == ("change", "billable")
    assert by_id[t["phone"]]["billable_extras"] == ["phone channel", "on-behalf registration"]
    assert secrets["suggested_priority"] == "critical" and secrets["priority"] is None
    breached = by_id[t["breached"]]
    assert "priority-mismatch" in breached["flags"]
    assert breached["suggestion_rule"] == "daily-process-failure"
    assert by_id[t["in-work"]]["queue_state"] == "in work" and critical["queue_position"] > 1
    assert any(f"reject {t['unauthorized']} --reason unauthorized" in a
               for a in unauthorized["advice"])
    assert any(f"queue move {t['critical']} --first" in a for a in critical["advice"])
    assert secrets["advice"] == []  # a priority suggested where none was chosen: --apply sets it
    assert t["rejected"] not in by_id  # refused: nothing left to triage


def test_no_password_is_kept_in_clear(ws):
    cli, t = ws
    raw = (cli.home / "sccli.db").read_bytes()
    for secret in (b"Sup3r#2026", b"Dem0-Passw0rd!", b"Shipm3nt!Bot"):
        assert secret not in raw
    shown = cli.ok("ticket", "secret", t["secrets"], "--format", "json", at=NOW).json()
    assert shown == [{"reference": f"[secret:{t['secrets']}/1]", "value": "Sup3r#2026"}]
    body = cli.ok("ticket", "show", t["secrets"], "--format", "json", at=NOW).json()["body"]
    assert f"[secret:{t['secrets']}/1]" in body and "Sup3r" not in body


def test_triage_in_russian_and_table(ws):
    cli, _ = ws
    out = cli.ok("triage", "--lang", "ru", at=NOW).stdout
    assert "заявка" in out and "просрочено" in out and "не авторизованное лицо" in out
    assert "\x1b[" not in out  # no colours outside a terminal
    en = cli.ok("triage", at=NOW).stdout
    assert "breached" in en and "critical-behind-queue" in en
    assert "Needs a decision:" in en and "propose a reorder to the client" in en
    assert "предложите клиенту изменить порядок" in out


def test_triage_apply_records_unambiguous_suggestions(ws):
    cli, t = ws
    result = cli.ok("triage", "--apply", at=NOW)
    assert f"{t['secrets']}: priority set to critical (rule login-failure)" in result.stdout
    assert (f"{t['missing']}: asked the client for account, system-url, steps, environment"
            in result.stdout)
    assert f"{t['unauthorized']}: asked" not in result.stdout  # unauthorized: a person decides
    by_id, _ = _triage(cli)
    assert by_id[t["secrets"]]["priority"] == "critical"
    assert by_id[t["missing"]]["status"] == "awaiting-client"
    asked = cli.ok("ticket", "show", t["missing"], "--format", "json", at=NOW).json()["events"][-1]
    assert asked["kind"] == "asked" and "2 business days" in asked["data"]["message"]
    again = cli.ok("triage", "--apply", at=NOW)
    assert t["secrets"] not in again.stdout.split("\n\n")[0]


def test_interactive_refuses_without_a_terminal(ws):
    cli, _ = ws
    result = cli("triage", "--interactive", at=NOW)
    assert result.exit_code == 2 and "needs a terminal" in result.stderr


def test_interactive_asks_before_each_ticket(ws, monkeypatch):
    import sccli.commands.triage as triage_cmd

    cli, _ = ws
    monkeypatch.setattr(triage_cmd, "stdin_is_terminal", lambda: True)
    result = cli("triage", "--interactive", input="n\n" * 3 + "y\n" + "n\n" * 30, at=NOW)
    assert result.exit_code == 0, result.stderr
    prompts = [line for line in result.stdout.splitlines() if " — " in line]
    assert len(prompts) >= 4 and result.stdout.count("apply?") >= 4
    fourth = prompts[3].split(" — ")[0]
    done = {m.group(1) for m in re.finditer(r"(?m)^([A-Z]+-\d+): ", result.stdout)}
    assert done == {fourth}  # only the confirmed ticket was changed


def test_queue_show_and_agreed_move(ws):
    cli, t = ws
    critical, in_work = t["critical"], t["in-work"]
    rows = cli.ok("queue", "VEGA", "--format", "json", at=NOW).json()
    assert [r["ticket"] for r in rows][0] == in_work
    assert any(f"critical behind {in_work}" in r["note"] for r in rows)
    bad = cli("queue", "move", critical, "--first", "--agreed-by", " ", at=NOW)
    assert bad.exit_code == 2 and "agreement" in bad.stderr
    moved = cli.ok("queue", "move", critical, "--first", "--agreed-by", "Ольга, письмо 25.11",
                   at=NOW)
    assert moved.stdout.startswith(f"{critical} → {in_work}")
    by_id, _ = _triage(cli)
    assert by_id[critical]["queue_state"] == "in work"
    assert "critical-behind-queue" not in by_id[critical]["flags"]
    both = cli("queue", "move", critical, "--first", "--before", in_work, "--agreed-by", "x",
               at=NOW)
    assert both.exit_code == 2


def test_billing_lists_billable_work(ws):
    cli, t = ws
    rows = cli.ok("billing", "--month", "2026-11", "--format", "json", at=NOW).json()
    by_id = {r["ticket"]: r for r in rows}
    assert by_id[t["billable-change"]]["reasons"] == ["executor-project-out-of-design: billable"]
    assert by_id[t["phone"]]["reasons"] == ["phone channel", "on-behalf registration"]
    assert t["rejected"] not in by_id  # rejected: nothing to bill
    assert t["vendor"] not in by_id  # vendor problem: included


def test_ask_missing_in_the_tickets_language(ws):
    cli, t = ws
    text = cli.ok("ticket", "ask", t["missing"], "--missing", at=NOW).stdout
    assert text.startswith("Hello") and "steps" in text and "2 business days" in text
    nothing = cli("ticket", "ask", t["critical"], "--missing", at=NOW)
    assert nothing.exit_code == 2 and "nothing to ask" in nothing.stderr
    both = cli("ticket", "ask", t["phone"], "--missing", "-m", "x", at=NOW)
    assert both.exit_code == 2


PARTNER_REPLY = ("We reproduced it: the posting fails on documents with zero-quantity lines."
                 " A fix ships in Warehouse 3.2.1 on Friday.")
PUBLIC_NOTE = ("Client VEGA confirms the problem blocks daily receipts; please share a workaround"
               " until 3.2.1. Test account on request: login wh.tester, password: Wh-Test#77")


def test_escalates_and_round_trips_comments(ws):
    from sccli.adapters.local import LocalTracker

    cli, t = ws
    cli.ok("sync", at=NOW)
    links = cli.ok("links", t["partner"], "--format", "json", at=NOW).json()
    assert [(lk["tracker"], lk["state"]) for lk in links] == [("partner-x", "open")]
    assert [lk["tracker"] for lk in cli.ok("links", t["vendor"], "--format", "json",
                                           at=NOW).json()] == ["vendor"]
    reply_at = datetime.fromisoformat(NOW)
    LocalTracker(cli.home / "trackers" / "partner-x", now=lambda: reply_at).add_comment(
        links[0]["remote_id"], PARTNER_REPLY, "dev@partner-x.example")
    cli.ok("ticket", "note", t["partner"], "-m", PUBLIC_NOTE, "--public", at=NOW)
    cli.ok("sync", at=NOW)
    partner = json.loads((cli.home / "trackers" / "partner-x" / "1.json").read_text())
    assert partner["ticket"] == t["partner"]
    assert "Escalation from" in partner["body"]  # the partner's language is English
    vendor = json.loads((cli.home / "trackers" / "vendor" / "1.json").read_text())
    assert vendor["body"].startswith("Эскалация") and vendor["ticket"] == t["vendor"]
    sent = [c for c in partner["comments"] if c["origin"]]
    assert len(sent) == 1 and "Client VEGA confirms" in sent[0]["body"]
    events = cli.ok("ticket", "show", t["partner"], "--format", "json", at=NOW).json()["events"]
    pulled = [e for e in events if e["data"].get("origin", "").startswith("partner-x:")]
    assert len(pulled) == 1 and "Warehouse 3.2.1" in pulled[0]["data"]["message"]
    trackers = b"".join(p.read_bytes() for p in (cli.home / "trackers").rglob("*.json"))
    for secret in (b"Wh-Test#77", b"Dem0-Passw0rd!", b"Sup3r#2026"):
        assert secret not in trackers
    again = cli.ok("sync", "--format", "json", at=NOW).json()
    assert again["actions"] == [] and again["exit_code"] == 0  # nothing echoed, nothing new


# ------------------------------------------------------------------ the demo (a product feature)
def test_demo_builds_its_workspace_and_prints_triage(tmp_path):
    home = tmp_path / "here"
    result = Cli(tmp_path / "unused")("demo", "--home", str(home))
    assert result.exit_code == 0, result.stderr
    assert f"Demo workspace: {home}" in result.stdout
    triage = result.stdout.split("$ sccli triage", 1)[1]
    assert "owner / action / billing" in triage.split("$ sccli sla status", 1)[0]
    assert (home / "sccli.db").exists() and not (tmp_path / "unused").exists()


def test_demo_refuses_a_non_empty_home(tmp_path):
    home = tmp_path / "full"
    home.mkdir()
    (home / "keep.txt").write_text("mine")
    result = Cli(home)("demo")
    assert result.exit_code == 2 and "not empty" in result.stderr
    assert (home / "keep.txt").read_text() == "mine"
