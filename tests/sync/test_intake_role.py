"""The intake role (issue 11, "Two roles of a tracker"), end to end through the CLI with the
local adapter as an intake kept on disk: requests dropped into a directory become tickets,
the client's messages become answers or notes, the executor's steps go back once each.

Contract: "A request is submitted by e-mail to the support mailbox, or in the client's
account on the Customer Success Portal"; the client gets "one single window" («единое
окно»); "The client answers the executor's clarifying questions within 2 business days."
"""

from __future__ import annotations

import json
from pathlib import Path

from synchelp import CONFIG, store_of

from sccli.adapters.local import LocalTracker

PASSWORD = "Zx9-Very$ecret"
INTAKE = """\
  portal:
    adapter: local
    path: portal
    role: intake
    accounts:
      ООО Акме: ACME
"""
BODY = ("Не формируется отчёт по продажам.\n"
        f"Учётная запись: admin, пароль: {PASSWORD}\n"
        "Адрес системы: https://acme.bpmsoft.example\n"
        "Шаги: 1) открыть раздел Продажи 2) нажать Отчёт\n"
        "Окружение: PostgreSQL 14, 2 узла")


def write_config(cli, extra: str = "") -> None:
    (Path(cli.home) / "sccli.yaml").write_text(CONFIG.format(extra=extra), encoding="utf-8")


def setup(cli) -> LocalTracker:
    """The ``ws`` workspace (client ACME, two local escalation trackers) plus an intake."""
    write_config(cli, INTAKE)
    return LocalTracker(Path(cli.home) / "portal")


def new_request(portal: LocalTracker, account="ООО Акме", title="Ошибка отчёта", body=BODY,
                **kw) -> str:
    return portal.add_request(account, "it@acme.example", title, body, priority="high",
                              **kw)["id"]


def sync(cli, code: int = 0) -> dict:
    result = cli("sync", "--format", "json")
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.json()


def replies(portal: LocalTracker, request_id: str) -> list[dict]:
    return [c for c in portal.load(request_id)["comments"] if c["author"] == "sccli"]


def events(cli, ticket: str) -> list[dict]:
    return cli.ok("ticket", "show", ticket, "--format", "json").json()["events"]


# ------------------------------------------------------------------ requests in, answers out
def test_a_russian_request_with_a_password_becomes_a_ticket_and_never_carries_it(ws_any):
    portal = setup(ws_any)
    rid = new_request(portal)
    out = sync(ws_any)
    (change,) = [c for c in out["changes"] if c["change"] == "registered"]
    ticket = change["ticket"]
    assert ticket == "ACME-1" and change["detail"]["number"] == "SR00000001"
    assert [t["name"] for t in out["trackers"]] == ["portal", "partner-local", "vendor-local"]
    shown = ws_any.ok("ticket", "show", ticket, "--format", "json").json()
    assert PASSWORD not in json.dumps(shown, ensure_ascii=False)
    assert "[secret:ACME-1/1]" in shown["body"] and shown["channel"] == "portal"
    assert shown["priority"] == "high" and shown["reporter"] == "it@acme.example"
    assert portal.load(rid)["ticket"] == ticket  # bound: the marker is on the request
    # the engineer answers, quoting the password: stored and written back redacted
    ws_any.ok("ticket", "respond", ticket, "-m", f"Смотрим; ваш пароль {PASSWORD} не нужен")
    out = sync(ws_any)
    assert [(a["action"], a["step"]) for a in out["actions"]] == [("reply", "responded")]
    (reply,) = replies(portal, rid)
    assert reply["origin"] == f"{ticket}/e2" and reply["step"] == "responded"
    assert PASSWORD not in reply["body"] and "Смотрим" in reply["body"]
    assert portal.load(rid)["state"] == "open"
    store = store_of(ws_any)
    try:
        stored = [e.payload for e in store.events(ticket)]
        assert PASSWORD not in repr(stored) and PASSWORD not in repr(store.get_ticket(ticket))
        assert PASSWORD not in repr(store.journal())
    finally:
        store.close()
    # idempotent: nothing more to do, nothing written twice
    again = sync(ws_any)
    assert again["actions"] == [] and again["changes"] == []
    assert len(replies(portal, rid)) == 1
    assert [t["id"] for t in ws_any.ok("ticket", "list", "--format", "json").json()] == [
        ticket]


def test_an_unknown_account_is_reported_the_others_go_on_exit_5(ws):
    portal = setup(ws)
    stranger = new_request(portal, account="ИП Неизвестный", title="Чужая заявка")
    known = new_request(portal)
    result = ws("sync")
    assert result.exit_code == 5
    assert "unknown account 'ИП Неизвестный'" in result.stderr
    assert "trackers.portal.accounts" in result.stderr
    assert "Traceback" not in result.stderr
    assert portal.load(known)["ticket"] == "ACME-1" and portal.load(stranger)["ticket"] is None
    out = sync(ws, 5)  # still reported; nothing registered twice
    assert [a["action"] for a in out["actions"]] == ["unknown-account"]
    status = {t["name"]: t["status"] for t in out["trackers"]}
    assert status == {"portal": "failed", "partner-local": "ok", "vendor-local": "ok"}
    # mapped now: the request is read again (the cursor waited) and registered
    write_config(ws, INTAKE + "      ИП Неизвестный: ACME\n")
    out = sync(ws)
    assert [c["ticket"] for c in out["changes"] if c["change"] == "registered"] == ["ACME-2"]
    assert portal.load(stranger)["ticket"] == "ACME-2"


def test_a_client_reply_stops_the_feedback_clock_then_messages_are_notes(ws):
    portal = setup(ws)
    rid = new_request(portal)
    sync(ws)
    asked = ws.ok("ticket", "ask", "ACME-1", "-m", "Какая версия BPMSoft?")
    assert "at the next `sccli sync`" in asked.stdout + asked.stderr
    sync(ws)
    (question,) = replies(portal, rid)
    assert question["step"] == "asked" and portal.load(rid)["state"] == "paused"
    assert "awaiting-client" in ws.ok("ticket", "list").stdout
    portal.add_message(rid, "Версия 1.6, пароль тот же", "it@acme.example")
    out = sync(ws)
    assert [a["action"] for a in out["actions"]] == ["answer-in"]
    kinds = [e["kind"] for e in events(ws, "ACME-1")]
    assert kinds[-1] == "answered"  # the 2-business-day clock stopped
    assert "in-progress" in ws.ok("ticket", "list").stdout
    explain = ws.ok("sla", "explain", "ACME-1").stdout
    assert "answered" in explain.lower() or "ответ" in explain.lower()
    portal.add_message(rid, "И ещё: отчёт по услугам тоже не работает", "it@acme.example")
    out = sync(ws)
    assert [a["action"] for a in out["actions"]] == ["message-in"]
    note = events(ws, "ACME-1")[-1]
    assert note["kind"] == "note" and "[from portal:" in note["details"]
    assert "tracker" not in ws.ok("triage").stderr  # triage still runs with the note
    assert sync(ws)["actions"] == []  # nothing pulled twice, nothing echoed back


def test_each_step_is_written_back_once_with_its_status_step(ws):
    portal = setup(ws)
    rid = new_request(portal)
    other = new_request(portal, title="Вторая заявка")
    sync(ws)
    ws.ok("ticket", "respond", "ACME-1", "-m", "Взяли в работу")
    ws.ok("ticket", "ask", "ACME-1", "-m", "Пришлите скриншот")
    sync(ws)
    portal.add_message(rid, "Скриншот во вложении", "it@acme.example")
    sync(ws)
    ws.ok("ticket", "note", "ACME-1", "-m", "Нашли причину", "--public")
    ws.ok("ticket", "note", "ACME-1", "-m", "internal only")
    ws.ok("ticket", "resolve", "ACME-1", "-m", "Исправлено")
    ws.ok("ticket", "reopen", "ACME-1", "-m", "Клиент: не исправлено")
    ws.ok("ticket", "reject", "ACME-2", "--reason", "unreasonable", "-m",
          "Нужна доработка на стороне провайдера")
    out = sync(ws)
    assert sorted(a["step"] or "note" for a in out["actions"]) == [
        "note", "rejected", "reopened", "resolved"]
    steps = [c["step"] for c in replies(portal, rid)]
    assert steps == ["responded", "asked", None, "resolved", "reopened"]
    assert not any("internal only" in c["body"] for c in replies(portal, rid))
    (rejection,) = replies(portal, other)
    assert rejection["step"] == "rejected" and portal.load(other)["state"] == "closed"
    assert sync(ws)["actions"] == []
    assert [c["step"] for c in replies(portal, rid)] == steps  # once each


def test_the_reporter_is_checked_against_the_authorized_contact(ws):
    """Contract: a request "must come from the client's authorized person"; a request from
    the portal is judged like any ticket (triage flags a stranger, nothing is refused)."""
    portal = setup(ws)
    ws.ok("contact", "set", "ACME", "it@acme.example", "--effective", "beginning")
    new_request(portal)
    portal.add_request("ООО Акме", "intern@acme.example", "Чужой запрос", BODY)
    sync(ws)
    flags = {r["ticket"]: r["flags"] for r in ws.ok("triage", "--format", "json").json()}
    assert "unauthorized" not in flags["ACME-1"] and "unauthorized" in flags["ACME-2"]


def test_a_request_closed_before_sccli_saw_it_is_not_registered(ws):
    portal = setup(ws)
    old = new_request(portal, title="Старая заявка")
    portal.set_state(old, "closed")
    new_request(portal)
    out = sync(ws)
    assert [c["detail"]["remote"] for c in out["changes"] if c["change"] == "registered"] == [
        "2"]
    assert portal.load(old)["ticket"] is None


def test_dry_run_plans_and_writes_nothing(ws):
    portal = setup(ws)
    rid = new_request(portal)
    out = ws.ok("sync", "--dry-run", "--format", "json").json()
    assert [a["action"] for a in out["actions"]] == ["register"]
    assert ws.ok("ticket", "list").stdout.strip() == "no tickets"
    assert portal.load(rid)["ticket"] is None


def test_a_request_dropped_in_as_a_file_is_read(ws):
    portal = setup(ws)
    (Path(ws.home) / "portal" / "7.json").write_text(json.dumps({
        "account": "ООО Акме", "reporter": "it@acme.example", "title": "Из файла",
        "body": "Не работает импорт", "comments": []}, ensure_ascii=False), encoding="utf-8")
    out = sync(ws)
    assert [c["detail"]["remote"] for c in out["changes"] if c["change"] == "registered"] == [
        "7"]
    assert portal.load("7")["ticket"] == "ACME-1"


# ------------------------------------------------------------------ ask says where it goes
def test_ask_without_an_intake_says_nothing_was_sent(ws):
    tid = ws.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title",
                "Report", "--body", "It fails").stdout.strip()
    result = ws.ok("ticket", "ask", tid, "--missing")
    assert "not sent" in result.stderr and "yourself" in result.stderr


def test_an_intake_request_is_no_escalation_for_tick(ws):
    """A link to an intake is the client's request, not an issue a party must answer:
    `tick` never reports it as an unanswered escalation."""
    portal = setup(ws)
    new_request(portal)
    sync(ws)
    ws.env["SCCLI_NOW"] = "2026-12-21T12:00:00+03:00"  # weeks later
    out = ws.ok("tick", "--dry-run", "--format", "json")
    assert "reaction-breached" in out.stdout  # tick did look at the ticket
    assert "escalation-unanswered" not in out.stdout


# ------------------------------------------------------------------ configuration
def test_tracker_list_shows_the_role(ws):
    setup(ws)
    rows = {r["name"]: r["role"] for r in ws.ok("tracker", "list", "--format", "json").json()}
    assert rows == {"portal": "intake", "partner-local": "escalation",
                    "vendor-local": "escalation"}
    assert "local tracker at" in ws.ok("tracker", "check", "portal").stdout

def test_a_role_the_adapter_lacks_is_refused_in_one_line(cli):
    bad = CONFIG.format(extra="  gh:\n    adapter: github\n    repo: a/b\n"
                              "    token: env:GH_TOKEN\n    role: intake\n")
    (Path(cli.home) / "sccli.yaml").write_text(bad, encoding="utf-8")
    result = cli("sync")
    assert result.exit_code == 2
    assert "trackers.gh.role: the github adapter cannot be an intake tracker" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_party_cannot_point_at_an_intake(cli):
    text = CONFIG.format(extra=INTAKE).replace("tracker: partner-local", "tracker: portal")
    (Path(cli.home) / "sccli.yaml").write_text(text, encoding="utf-8")
    result = cli("sync")
    assert result.exit_code == 2 and "parties.partner-x.tracker" in result.stderr
    assert "must be an escalation tracker" in result.stderr


def test_accounts_belong_to_an_intake(cli):
    text = CONFIG.format(extra="") .replace(
        "    path: trackers/partner\n", "    path: trackers/partner\n    accounts: {X: ACME}\n")
    (Path(cli.home) / "sccli.yaml").write_text(text, encoding="utf-8")
    result = cli("tracker", "list")
    assert result.exit_code == 2 and "only an intake tracker maps accounts" in result.stderr
