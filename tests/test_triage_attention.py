"""Triage shows what needs an engineer; the rest is ordered by priority.

The issue: "Triage shows what needs an engineer: a remote close waiting for verification, a
client reply, an overdue answer; the "rest" group is ordered by priority."

Contract: "Acceptance and testing after a request is set to "Resolved" ("Решено"): 7
calendar days" — a party closing its issue resolves nothing; the engineer verifies and
resolves. "The client answers the executor's clarifying questions within 2 business days."
"Reaction time, critical priority: 30 minutes; high: 2 hours; medium and low: 4 hours."
Priority classification: critical "a stop factor", high, medium, low — the order of the
rest of the list.
"""

from __future__ import annotations

from datetime import datetime

from sccli.adapters.local import LocalTracker

NOW = "2026-11-25T11:00:00+03:00"  # Wednesday, inside service hours
ENV = {"SCCLI_NOW": NOW, "SCCLI_VAULT": "file"}

CONFIG = """\
executor:
  name: Programmnye Tekhnologii
  email: crm.support@samarasoft.com
  language: ru
parties:
  partner-x:
    kind: partner
    title: Partner X
    language: en
    tracker: partner-local
trackers:
  partner-local:
    adapter: local
    path: trackers/partner
"""
COMPLETE = ("Прошу помочь: ошибка при печати.\nУчетная запись: demo, пароль: Dem0-Passw0rd!\n"
            "Адрес: https://crm.acme.example\nШаги: 1. войти 2. открыть счет\n"
            "Окружение: PostgreSQL 15, 2 ноды")


def _setup(cli):
    cli.env.update(ENV)
    (cli.home / "sccli.yaml").write_text(CONFIG, encoding="utf-8")
    cli.ok("client", "add", "ACME", "--name", "Acme", "--system-url", "https://crm.acme.example",
           at="2026-11-02T09:00")
    cli.ok("contact", "set", "ACME", "it@acme.example", "--effective", "2026-11-02T09:00",
           "--notice", "contract", at="2026-11-02T09:00")


def _add(cli, title: str, at: str, priority: str = "medium", body: str = COMPLETE) -> str:
    return cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title",
                  title, "--body", body, "--priority", priority, "--at", at, at=at
                  ).stdout.strip()


def _rows(cli) -> dict[str, dict]:
    return {r["ticket"]: r for r in cli.ok("triage", "--format", "json", at=NOW).json()}


def _order(cli) -> list[str]:
    return [r["ticket"] for r in cli.ok("triage", "--format", "json", at=NOW).json()]


def test_a_client_reply_needs_the_engineer_until_they_act(cli):
    _setup(cli)
    tid = _add(cli, "Печать счета", "2026-11-24T10:00")
    cli.ok("ticket", "respond", tid, "-m", "Смотрим", at="2026-11-24T10:30")
    cli.ok("ticket", "ask", tid, "-m", "Какой номер счета?", at="2026-11-24T11:00")
    assert "client-replied" not in _rows(cli)[tid]["flags"]  # waiting for the client
    cli.ok("ticket", "answer", tid, "-m", "Счет № 15", at="2026-11-25T09:00")
    row = _rows(cli)[tid]
    assert "client-replied" in row["flags"]
    assert row["attention"] == [{"what": "client-replied", "at": "2026-11-25T09:00:00+03:00",
                                 "detail": "engineer"}]
    table = cli.ok("triage", at=NOW).stdout
    assert f"{tid}: the client answered the question: respond or carry on" in table
    ru = cli.ok("--lang", "ru", "triage", at=NOW).stdout
    assert "ответ клиента" in ru and f"{tid}: клиент ответил на вопрос" in ru
    cli.ok("ticket", "respond", tid, "-m", "Исправляем", at="2026-11-25T10:00")
    assert _rows(cli)[tid]["attention"] == []


def test_overdue_answers_ours_and_the_clients(cli):
    _setup(cli)
    ours = _add(cli, "Не открывается страница входа", "2026-11-25T09:00", "critical")
    theirs = _add(cli, "Печать счета", "2026-11-19T10:00")
    cli.ok("ticket", "respond", theirs, "-m", "Смотрим", at="2026-11-19T10:30")
    cli.ok("ticket", "ask", theirs, "-m", "Какой номер счета?", at="2026-11-20T10:00")
    rows = _rows(cli)
    assert [a["what"] for a in rows[ours]["attention"]] == ["answer-overdue"]
    assert rows[ours]["attention"][0]["at"] == "2026-11-25T09:30:00+03:00"  # 30 minutes
    assert [a["what"] for a in rows[theirs]["attention"]] == ["client-answer-overdue"]
    table = cli.ok("triage", at=NOW).stdout
    assert f"{ours}: the reaction time has passed: respond to the client" in table
    assert f"{theirs}: the client's answer to the question is overdue" in table


def test_a_remote_close_waits_for_verification_and_a_party_reply_is_shown(cli):
    _setup(cli)
    tid = _add(cli, "Модуль склада падает", "2026-11-24T10:00", "high")
    cli.ok("ticket", "respond", tid, "-m", "Передали партнеру", at="2026-11-24T10:30")
    cli.ok("ticket", "set", tid, "--source", "partner-product", "--party", "partner-x",
           at="2026-11-24T10:40")
    cli.ok("escalate", tid, at="2026-11-24T10:50")
    partner = LocalTracker(cli.home / "trackers" / "partner",
                           now=lambda: datetime.fromisoformat("2026-11-25T10:00:00+03:00"))
    partner.add_comment("1", "Fixed in 3.2.1", "dev@partner-x.example")
    partner.set_state("1", "closed")
    cli.ok("sync", at=NOW)
    row = _rows(cli)[tid]
    assert row["status"] == "in-progress"  # never resolved by sync
    assert [a["what"] for a in row["attention"]] == ["verify-remote-close", "party-replied"]
    assert row["attention"][1]["detail"] == "dev@partner-x.example (partner-local:1)"
    assert {"verify-remote-close", "party-replied"} <= set(row["flags"])
    table = cli.ok("triage", at=NOW).stdout
    assert (f"{tid}: the owner party closed partner-local:1: verify the fix with the client,"
            f" then resolve: sccli ticket resolve {tid}") in table
    assert f"{tid}: a new comment from dev@partner-x.example (partner-local:1)" in table
    # the party reopens: nothing to verify any more, the reply is still unread
    partner.set_state("1", "open")
    cli.ok("sync", at=NOW)
    assert [a["what"] for a in _rows(cli)[tid]["attention"]] == ["party-replied"]
    # the engineer acts (a note): nothing waits
    cli.ok("ticket", "note", tid, "-m", "Read the partner's reply", at=NOW)
    assert _rows(cli)[tid]["attention"] == []


def test_resolving_after_a_remote_close_clears_it(cli):
    _setup(cli)
    tid = _add(cli, "Модуль склада падает", "2026-11-24T10:00", "high")
    cli.ok("ticket", "respond", tid, "-m", "Передали партнеру", at="2026-11-24T10:30")
    cli.ok("ticket", "set", tid, "--source", "partner-product", "--party", "partner-x",
           at="2026-11-24T10:40")
    cli.ok("escalate", tid, at="2026-11-24T10:50")
    LocalTracker(cli.home / "trackers" / "partner").set_state("1", "closed")
    cli.ok("sync", at="2026-11-25T10:00")
    assert "verify-remote-close" in _rows(cli)[tid]["flags"]
    cli.ok("ticket", "resolve", tid, "-m", "Проверено с клиентом", at=NOW)
    row = _rows(cli)[tid]
    assert row["status"] == "resolved" and row["attention"] == []


def test_the_rest_is_ordered_by_priority_after_what_needs_an_engineer(cli):
    _setup(cli)
    low = _add(cli, "Низкий", "2026-11-23T10:00", "low")
    critical = _add(cli, "Критичный", "2026-11-23T10:05", "critical")
    medium = _add(cli, "Средний", "2026-11-23T10:10", "medium")
    earlier = _add(cli, "Средний, раньше", "2026-11-23T09:00", "medium")
    replied = _add(cli, "Ответ клиента", "2026-11-23T10:20", "low")
    for tid in (low, critical, medium, earlier, replied):
        cli.ok("ticket", "respond", tid, "-m", "Приняли", at="2026-11-23T10:25")
    cli.ok("ticket", "ask", replied, "-m", "Уточните", at="2026-11-23T11:00")
    cli.ok("ticket", "answer", replied, "-m", "Вот", at="2026-11-24T09:00")
    # what the engineer must act on first, then critical, medium (in registration order),
    # low (registration order alone would have put the low ticket before the critical one)
    assert _order(cli) == [replied, critical, earlier, medium, low]
