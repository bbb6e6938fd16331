"""`sccli sync` as a process against the fake BPMSoft server on loopback (issue 11, "Done
when"): the executor's Customer Success Portal as the intake and the vendor's BPMSoft portal
as the escalation target, two real HTTP servers on 127.0.0.1.

The issue: "the end-to-end tests run `sccli sync` as a process against the test server and
cover: new cases in Russian with a password in the text (never stored or sent back in
clear), a client reply stopping the feedback clock, answers and status written back once
each after a SIGKILL at any write, an installation with renamed statuses, expired sessions
in both modes, missing CSRF, wrong password (exit 4), 429 with Retry-After, an unknown
account (reported, others continue, exit 5)". Contract: "The client answers the executor's
clarifying questions within 2 business days" («Клиент отвечает на уточняющие вопросы
Исполнителя в течение 2 рабочих дней»).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from synchelp import store_of

from sccli.fakes.bpmsoft import FakeBpmSoft
from sccli.fakes.bpmsoft_data import STATUSES_22

ROOT = Path(__file__).resolve().parents[2]
PORTAL_PASSWORD = "Portal-Login-Pa55"
VENDOR_PASSWORD = "Vendor-Login-Pa55"
CLIENT_SECRET = "Zx9-Very$ecret"  # the client's password, written in the case text
BODY = ("Не формируется отчёт по продажам.\n"
        f"Учётная запись: admin, пароль: {CLIENT_SECRET}\n"
        "Адрес системы: https://acme.bpmsoft.example\n"
        "Шаги: 1) открыть раздел Продажи 2) нажать Отчёт")
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
    tracker: vendor-bpm
trackers:
  portal:
    adapter: bpmsoft
    role: intake
    url: {portal}
    login: Supervisor
    password: env:BPM_PORTAL_PASSWORD
    accounts:
      ООО Акме: ACME
  vendor-bpm:
    adapter: bpmsoft
    url: {vendor}/0
    login: Supervisor
    password: env:BPM_VENDOR_PASSWORD
"""
ASKED = "3859c6e7-cbcb-486b-ba53-77808fe6e593"
IN_PROGRESS = "7e9f1204-f46b-1410-fb9a-0050ba5d6c38"
RESOLVED = "ae7f411e-f46b-1410-009b-0050ba5d6c38"


class Portal:
    """The client's side of the portal (seeding through ``server.db``)."""

    def __init__(self, server: FakeBpmSoft):
        self.server, self.db = server, server.db
        self.acme = self.db.add_account("ООО Акме", "ACME-CODE")
        self.anna = self.db.add_contact("Анна Петрова", "it@acme.example", self.acme)

    def new_case(self, subject="Ошибка отчёта", body=BODY, account=None) -> str:
        case = self.db.add_case(subject, body, account_id=account or self.acme,
                                contact_id=self.anna)
        self.db.advance(1)
        return case["Id"]

    def reply(self, case_id: str, text: str) -> None:
        self.db.client_message(case_id, text)
        self.db.advance(1)

    def sccli_messages(self, case_id: str) -> list[dict]:
        """What sccli wrote on the case for the client (its origin marker)."""
        return [m for m in self.db.messages(case_id) if "sccli:origin=" in str(m["Message"])]

    def status(self, case_id: str) -> dict:
        return self.db.status(self.db.tables["Case"][case_id]["StatusId"])


@pytest.fixture
def servers():
    with FakeBpmSoft(password=PORTAL_PASSWORD) as portal, \
            FakeBpmSoft(password=VENDOR_PASSWORD) as vendor:
        yield portal, vendor


def configure(cli, portal_url: str, vendor_url: str) -> None:
    (Path(cli.home) / "sccli.yaml").write_text(
        CONFIG.format(portal=portal_url, vendor=vendor_url), encoding="utf-8")
    cli.env.update({"BPM_PORTAL_PASSWORD": PORTAL_PASSWORD,
                    "BPM_VENDOR_PASSWORD": VENDOR_PASSWORD})
    cli.ok("client", "add", "ACME", "--name", "Acme Corp", "--system-url",
           "https://acme.bpmsoft.example")


@pytest.fixture
def ws(cli, servers):
    configure(cli, servers[0].url, servers[1].url)
    return cli


@pytest.fixture
def portal(servers):
    return Portal(servers[0])


def run_sync(cli, *args: str, crash: str | None = None) -> subprocess.CompletedProcess:
    """`python -m sccli sync` as a process (a fresh interpreter, real exit codes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCCLI_")}
    env.update(cli.env)
    env.update({"SCCLI_HOME": str(cli.home), "PYTHONPATH": str(ROOT)})
    if crash:
        env["SCCLI_CRASH_AT"] = crash
    return subprocess.run([sys.executable, "-m", "sccli", "sync", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def sync(cli, code: int = 0) -> dict:
    done = run_sync(cli, "--format", "json")
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def events(cli, ticket: str) -> list[dict]:
    return cli.ok("ticket", "show", ticket, "--format", "json").json()["events"]


def logins(server: FakeBpmSoft) -> int:
    return server.count("AuthService.svc/Login")


# ------------------------------------------------------------------ cases in, answers out
def test_a_russian_case_with_a_password_becomes_a_ticket_and_never_carries_it(ws, portal,
                                                                             servers):
    case = portal.new_case()
    done = run_sync(ws, "--format", "json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    (change,) = [c for c in out["changes"] if c["change"] == "registered"]
    ticket = change["ticket"]
    assert ticket == "ACME-1" and change["detail"]["number"] == "SR00000001"
    shown = ws.ok("ticket", "show", ticket, "--format", "json").json()
    assert shown["title"] == "Ошибка отчёта" and "Не формируется отчёт" in shown["body"]
    assert "[secret:ACME-1/1]" in shown["body"] and shown["channel"] == "portal"
    assert shown["reporter"] == "it@acme.example"
    # bound on the portal: sccli's marker in the internal feed, not in a client message
    feed = portal.db.messages(case, "SocialMessage")
    assert len(feed) == 1 and "sccli:ticket=ACME-1" in feed[0]["Message"]
    # the engineer answers quoting the password: written back once, redacted
    ws.ok("ticket", "respond", ticket, "-m", f"Смотрим; ваш пароль {CLIENT_SECRET} не нужен")
    second = run_sync(ws, "--format", "json")
    assert second.returncode == 0, second.stderr
    (written,) = portal.sccli_messages(case)
    assert "Смотрим" in written["Message"] and written["FromPortal"] is False
    assert portal.status(case)["Id"] == IN_PROGRESS
    # never in clear: not in the outputs, the store, the journal, nor what reached a server
    for text in (done.stdout, done.stderr, second.stdout, second.stderr,
                 json.dumps(shown, ensure_ascii=False)):
        assert CLIENT_SECRET not in text
    for row in portal.db.rows("PortalMessage") + portal.db.rows("SocialMessage"):
        assert CLIENT_SECRET not in str(row["Message"])
    store = store_of(ws)
    try:
        assert CLIENT_SECRET not in repr([e.payload for e in store.events(ticket)])
        assert CLIENT_SECRET not in repr(store.get_ticket(ticket))
        assert CLIENT_SECRET not in repr(store.journal())
    finally:
        store.close()
    # the vault still has it, for the engineer who asks
    assert CLIENT_SECRET in ws.ok("ticket", "secret", "ACME-1").stdout
    again = sync(ws)
    assert again["actions"] == [] and again["changes"] == []
    assert len(portal.sccli_messages(case)) == 1


def test_a_client_reply_stops_the_feedback_clock_then_messages_are_notes(ws, portal):
    case = portal.new_case(body="Не работает импорт контактов")
    sync(ws)
    ws.ok("ticket", "ask", "ACME-1", "-m", "Какая версия BPMSoft?")
    out = sync(ws)
    assert [(a["action"], a["step"]) for a in out["actions"]] == [("reply", "asked")]
    (question,) = portal.sccli_messages(case)
    assert "Какая версия BPMSoft?" in question["Message"]
    assert portal.status(case)["IsPaused"] is True  # moved by the flag, not by a name
    assert "awaiting-client" in ws.ok("ticket", "list").stdout
    portal.reply(case, "Версия 1.6")
    out = sync(ws)
    assert [a["action"] for a in out["actions"]] == ["answer-in"]
    assert events(ws, "ACME-1")[-1]["kind"] == "answered"  # the 2-day clock stopped
    assert "in-progress" in ws.ok("ticket", "list").stdout
    portal.reply(case, "И ещё: отчёт по услугам тоже не работает")
    out = sync(ws)
    assert [a["action"] for a in out["actions"]] == ["message-in"]
    assert events(ws, "ACME-1")[-1]["kind"] == "note"
    assert sync(ws)["actions"] == []  # nothing pulled twice, nothing echoed back
    assert len(portal.sccli_messages(case)) == 1


def test_each_step_is_written_back_once_with_its_status(ws, portal):
    case = portal.new_case()
    other = portal.new_case(subject="Вторая заявка", body="Доработка отчёта")
    sync(ws)
    ws.ok("ticket", "respond", "ACME-1", "-m", "Взяли в работу")
    ws.ok("ticket", "note", "ACME-1", "-m", "Нашли причину", "--public")
    ws.ok("ticket", "note", "ACME-1", "-m", "internal only")
    ws.ok("ticket", "resolve", "ACME-1", "-m", "Исправлено")
    ws.ok("ticket", "reject", "ACME-2", "--reason", "unreasonable", "-m",
          "Нужна доработка на стороне провайдера")
    out = sync(ws)
    assert sorted(a["step"] or "note" for a in out["actions"]) == [
        "note", "rejected", "resolved", "responded"]
    texts = [m["Message"] for m in portal.sccli_messages(case)]
    assert len(texts) == 3 and not any("internal only" in t for t in texts)
    assert portal.status(case)["Id"] == RESOLVED
    assert portal.status(other)["IsFinal"] is True
    assert sync(ws)["actions"] == []
    assert len(portal.sccli_messages(case)) == 3 and len(portal.sccli_messages(other)) == 1


def test_an_unknown_account_is_reported_the_others_go_on_exit_5(ws, portal):
    stranger = portal.db.add_account("ИП Неизвестный", "UNKNOWN")
    alien = portal.new_case(subject="Чужая заявка", account=stranger)
    known = portal.new_case()
    done = run_sync(ws)
    assert done.returncode == 5, done.stderr
    assert "unknown account" in done.stderr and "UNKNOWN" in done.stderr
    assert "trackers.portal.accounts" in done.stderr and "Traceback" not in done.stderr
    assert [t["id"] for t in ws.ok("ticket", "list", "--format", "json").json()] == ["ACME-1"]
    assert portal.db.messages(known, "SocialMessage")
    assert not portal.db.messages(alien, "SocialMessage")
    out = sync(ws, 5)  # still reported, nothing registered twice
    assert [a["action"] for a in out["actions"]] == ["unknown-account"]


# ------------------------------------------------------------------ the installation
def test_an_installation_with_22_renamed_statuses(cli):
    with FakeBpmSoft(password=PORTAL_PASSWORD, statuses="22") as server, \
            FakeBpmSoft(password=VENDOR_PASSWORD) as vendor:
        configure(cli, server.url, vendor.url)
        portal = Portal(server)
        case = portal.new_case()
        waiting = next(r[0] for r in STATUSES_22 if r[1] == "Ожидает ответа клиента")
        sync(cli)
        cli.ok("ticket", "respond", "ACME-1", "-m", "Взяли")
        cli.ok("ticket", "ask", "ACME-1", "-m", "Уточните версию")
        sync(cli)
        assert portal.status(case)["IsPaused"] is True
        # the installation's own paused status (not a documented GUID) is read by its flag
        server.db.update("Case", case, {"StatusId": waiting}, None)
        server.db.advance(1)
        portal.reply(case, "Версия 1.6")
        out = sync(cli)
        assert "answer-in" in [a["action"] for a in out["actions"]]
        assert events(cli, "ACME-1")[-1]["kind"] == "answered"
        cli.ok("ticket", "resolve", "ACME-1", "-m", "Готово")
        cli.ok("ticket", "reopen", "ACME-1", "-m", "Клиент: не исправлено")
        sync(cli)
        assert portal.status(case)["Name"] == "Получен ответ"
        assert len(portal.sccli_messages(case)) == 4


@pytest.mark.parametrize("mode", ["401", "redirect"])
def test_sessions_expired_mid_run_log_in_again_and_write_once(ws, portal, servers, mode):
    """"one re-login on a 401 or on a redirect to the HTML login page": the session ends
    before the run's read of the cases and again right before its write of the answer."""
    server = servers[0]
    server.expiry = mode
    case = portal.new_case()
    sync(ws)
    ws.ok("ticket", "respond", "ACME-1", "-m", "Взяли")
    portal.reply(case, "Спасибо")
    server.reset_log()
    server.expire_at("/odata/Case", "GET")
    server.expire_at("/odata/PortalMessage", "POST")
    out = sync(ws)
    assert sorted(a["action"] for a in out["actions"]) == ["message-in", "reply"]
    assert logins(server) == 3  # the run's login, then one per expiry
    expired = 401 if mode == "401" else 302
    assert sum(1 for _m, _p, status in server.log if status == expired) == 2
    (written,) = portal.sccli_messages(case)
    assert "Взяли" in written["Message"] and portal.status(case)["Id"] == IN_PROGRESS
    assert sync(ws)["actions"] == []


def test_bpmsoft_without_csrf_at_login(cli, portal, servers):
    servers[0].csrf_on_login = False
    configure(cli, servers[0].url, servers[1].url)
    portal.new_case()
    out = sync(cli)
    assert [c["ticket"] for c in out["changes"] if c["change"] == "registered"] == ["ACME-1"]
    app_pages = [p for m, p, _s in servers[0].log if m == "GET" and p in ("/0/", "/0", "/")]
    assert app_pages  # the application's page set BPMCSRF
    assert not [s for _m, _p, s in servers[0].log if s == 403]  # no request without it


def test_a_wrong_password_is_exit_4_with_the_servers_message(ws, portal, servers):
    portal.new_case()
    ws.env["BPM_PORTAL_PASSWORD"] = "wrong-password-value"
    ws.env["BPM_VENDOR_PASSWORD"] = "wrong-vendor-value"
    done = run_sync(ws)
    assert done.returncode == 4, (done.stdout, done.stderr)
    assert "Invalid username or password specified" in done.stderr
    assert "wrong-password-value" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert ws.ok("ticket", "list").stdout.strip() == "no tickets"


def test_429_with_retry_after_is_waited_and_the_run_goes_on(ws, portal, servers):
    portal.new_case()
    servers[0].fail_next(429, retry_after="2", path="/odata/Case")
    started = time.monotonic()
    out = sync(ws)
    assert time.monotonic() - started >= 2  # Retry-After was honoured
    assert [c["ticket"] for c in out["changes"] if c["change"] == "registered"] == ["ACME-1"]
    reads = [s for m, p, s in servers[0].log if m == "GET" and "/odata/Case?" in p]
    assert reads[:2] == [429, 200]  # the same read, retried once


# ------------------------------------------------------------------ the vendor's BPMSoft
def test_a_vendor_problem_is_escalated_and_the_vendors_reply_comes_back(ws, portal, servers):
    vendor = servers[1]
    portal.new_case()
    sync(ws)
    ws.ok("ticket", "set", "ACME-1", "--source", "vendor-product")
    out = sync(ws)
    (case,) = vendor.db.rows("Case")
    assert "sccli:ticket=ACME-1" in case["Symptoms"]
    assert CLIENT_SECRET not in case["Symptoms"] + case["Subject"]
    engineer = vendor.db.add_user("vendor.engineer", "Инженер вендора")
    vendor.db.advance(1)
    vendor.db.add_message("PortalMessage", case["Id"], "Исправим в 1.7", engineer)
    vendor.db.advance(1)
    out = sync(ws)
    assert any("Исправим в 1.7" in json.dumps(a, ensure_ascii=False) for a in out["actions"])
    assert "Исправим в 1.7" in json.dumps(events(ws, "ACME-1"), ensure_ascii=False)
    assert sync(ws)["actions"] == []
    assert len(vendor.db.rows("Case")) == 1
