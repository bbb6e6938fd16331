"""What a request must contain depends on its kind: incident, consultation, change request.

Contract (How requests are handled): a request must "contain: clearly stated questions; an
account with its password; the system's address; the steps that led to the error, as a
list (the case); and the environment" — the account, address, steps and environment are
what it takes to reproduce an error ("A defect must be reproducible and let the executor
find the cause and fix it"). Consultations ("consultations on BPMSoft's and the executor's
products and on the project solutions the executor built") and changes ("a planned change
to the system's functionality"; low: "names and placement of fields; an incorrect input
mask") need the clearly stated question.

Also the issue's false secret: "The English clarification template is recorded with a bogus
secret ("password under which" → `[secret:…]` "under") and every English ticket lacking an
account gets a false `secrets` flag".
"""

from __future__ import annotations

import itertools

import pytest

from sccli.domain.intake import REQUIRED, Item, check_intake, clarification_request
from sccli.domain.model import DomainError
from sccli.domain.redaction import find_secrets
from sccli.domain.request_kind import RequestKind, classify

NOW = "2026-11-25T11:00:00+03:00"
ENV = {"SCCLI_NOW": NOW, "SCCLI_VAULT": "file"}


@pytest.mark.parametrize(
    ("title", "body", "kind"),
    [
        ("Вопрос по отчету", "Подскажите, как выгрузить отчет в Excel?", RequestKind.CONSULTATION),
        ("Question", "How do I change the access rights of a role?", RequestKind.CONSULTATION),
        ("Консультация", "Можно ли настроить уведомления по email?", RequestKind.CONSULTATION),
        ("Export", "Is it possible to export leads with their activities?",
         RequestKind.CONSULTATION),
        ("Срочно добавить поле «Канал продаж»", "Прошу добавить поле в карточку лида.",
         RequestKind.CHANGE),
        ("Copy payment details when creating an invoice",
         "When an invoice is created from a contract, please copy the payment details"
         " automatically.", RequestKind.CHANGE),
        ("Некорректная маска ввода номера телефона", "Маска ввода не даёт ввести +7.",
         RequestKind.CHANGE),  # the contract's example of a low-priority change
        ("Переименовать поле «Код клиента»", "", RequestKind.CHANGE),
        ("Не сохраняется карточка договора", "При сохранении ошибка 500.", RequestKind.INCIDENT),
        ("Report fails", "The report fails with an error.", RequestKind.INCIDENT),
        ("Как исправить ошибку 500?", "", RequestKind.INCIDENT),  # an error, asked politely
        ("Не могу добавить контакт", "", RequestKind.INCIDENT),  # "добавить" in a failure
        ("Please check the report", "", RequestKind.INCIDENT),  # nothing says: all items
        ("Ошибка", "", RequestKind.INCIDENT),
    ],
)
def test_classify(title: str, body: str, kind: RequestKind) -> None:
    assert classify(title, body).kind is kind


def test_classification_says_why() -> None:
    found = classify("Вопрос по настройке", "Подскажите, как настроить права?")
    assert found.kind is RequestKind.CONSULTATION
    assert found.markers == ("вопрос", "подскажите, как")
    assert classify("Please check", "").markers == ()  # the default: no marker


def test_required_items_per_kind() -> None:
    assert REQUIRED[RequestKind.INCIDENT] == tuple(Item)
    assert REQUIRED[RequestKind.CONSULTATION] == (Item.QUESTION,)
    assert REQUIRED[RequestKind.CHANGE] == (Item.QUESTION,)


def test_a_how_to_question_is_complete_with_its_question() -> None:
    result = check_intake("Вопрос по отчету", "Подскажите, как выгрузить отчет в Excel?")
    assert result.kind is RequestKind.CONSULTATION
    assert result.missing == () and result.complete


def test_a_change_request_is_not_asked_for_account_url_steps_environment() -> None:
    result = check_intake("Срочно добавить поле «Канал продаж»",
                          "Прошу добавить поле «Канал продаж» в карточку лида.")
    assert result.kind is RequestKind.CHANGE
    assert result.missing == ()


def test_a_change_request_without_a_question_is_asked_for_a_description() -> None:
    result = check_intake("Field label typo on the Account page", "")
    assert (result.kind, result.missing) == (RequestKind.CHANGE, (Item.QUESTION,))
    text = clarification_request(result.missing, result.language, "NORD-6", "typo", result.kind)
    assert "1. a clear description of the change: what should change and where" in text
    assert "account (login)" not in text and "numbered list" not in text


def test_an_incident_with_inline_steps_is_not_asked_for_steps() -> None:
    # the issue: the intake check "misses inline steps ("Шаги: 1. войти 2. открыть раздел")"
    result = check_intake("Не открывается раздел", "Ошибка при открытии. Шаги: 1. войти"
                          " 2. открыть раздел")
    assert result.kind is RequestKind.INCIDENT
    assert Item.STEPS in result.present
    assert Item.STEPS not in result.missing


def test_an_incident_still_needs_everything() -> None:
    result = check_intake("Report fails", "Please check the report at https://crm.client.com")
    assert result.kind is RequestKind.INCIDENT
    assert result.missing == (Item.ACCOUNT, Item.STEPS, Item.ENVIRONMENT)


def test_a_portal_kind_field_overrides_and_is_checked() -> None:
    result = check_intake("Report", "Why is the report empty?", {"kind": "consultation"})
    assert (result.kind, result.missing) == (RequestKind.CONSULTATION, ())
    with pytest.raises(DomainError, match="unknown request kind 'bug-ish'"):
        check_intake("x", "y", {"kind": "bug-ish"})


@pytest.mark.parametrize("kind", list(RequestKind))
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_no_clarification_text_holds_a_credential(kind: RequestKind, lang: str) -> None:
    """Every text `ask --missing` can record: no finding, so no false `secrets` flag."""
    for n in range(1, len(Item) + 1):
        for items in itertools.combinations(list(Item), n):
            text = clarification_request(items, lang, "ACME-1", "Login: jsmith", kind)
            assert find_secrets(text) == [], (kind, lang, items)


def test_the_false_secret_of_the_issue_is_gone() -> None:
    # the template's account line, in a login context where the detector looks for a value
    assert find_secrets("Login: jsmith, password under which the problem occurs") == []
    assert find_secrets("user ivanov password with which you log in") == []
    # what the weak rule exists for is still found
    assert [f.value for f in find_secrets("логин admin пароль admin")] == ["admin"]
    assert [f.value for f in find_secrets("user jsmith password Welcome")] == ["Welcome"]


# ------------------------------------------------------------------ through the CLI
def _workspace(cli):
    cli.env.update(ENV)
    cli.ok("client", "add", "ACME", "--name", "Acme", "--system-url", "https://crm.acme.example",
           at="2026-11-02T09:00")
    cli.ok("contact", "set", "ACME", "it@acme.example", "--effective", "2026-11-02T09:00",
           "--notice", "contract", at="2026-11-02T09:00")


def _add(cli, title: str, body: str) -> str:
    return cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title",
                  title, "--body", body, "--at", "2026-11-25T10:00", at="2026-11-25T10:00"
                  ).stdout.strip()


def _row(cli, tid: str) -> dict:
    rows = cli.ok("triage", "--format", "json", at=NOW).json()
    return next(r for r in rows if r["ticket"] == tid)


def test_english_ticket_lacking_an_account_gets_no_false_secret(cli):
    _workspace(cli)
    tid = _add(cli, "Report fails", "Login: jsmith. Please help: the report fails at https://crm.acme.example."
               "\nSteps:\n1. open Reports\n2. click Run\nEnvironment: PostgreSQL 14, 2 nodes")
    assert _row(cli, tid)["missing"] == ["account"]
    text = cli.ok("ticket", "ask", tid, "--missing", at=NOW).stdout
    assert "with its password under which the problem occurs" in text
    shown = cli.ok("ticket", "show", tid, "--format", "json", at=NOW).json()
    asked = [e for e in shown["events"] if e["kind"] == "asked"]
    assert "password under which" in asked[0]["data"]["message"]
    assert "[secret:" not in asked[0]["data"]["message"]
    row = _row(cli, tid)
    assert row["secrets"] == 0 and "secrets" not in row["flags"]


def test_triage_asks_each_kind_only_for_what_it_needs(cli):
    _workspace(cli)
    question = _add(cli, "Вопрос по отчету", "Подскажите, как выгрузить отчет в Excel?")
    change = _add(cli, "Field label typo on the Account page", "")
    incident = _add(cli, "Не открывается раздел", "Ошибка. Шаги: 1. войти 2. открыть раздел")
    rows = {t: _row(cli, t) for t in (question, change, incident)}
    assert (rows[question]["kind"], rows[question]["missing"]) == ("consultation", [])
    assert rows[question]["proposals"] == []
    assert (rows[change]["kind"], rows[change]["missing"]) == ("change-request", ["question"])
    assert rows[incident]["kind"] == "incident"
    assert rows[incident]["missing"] == ["account", "system-url", "environment"]
    table = cli.ok("triage", at=NOW).stdout
    assert "kind" in table.splitlines()[0] and "consultation" in table
    ru = cli.ok("--lang", "ru", "triage", at=NOW).stdout
    assert "тип" in ru.splitlines()[0] and "консультация" in ru and "доработка" in ru
    # the clarification for the change request asks for a description, nothing else
    text = cli.ok("ticket", "ask", change, "--missing", at=NOW).stdout
    assert "1. a clear description of the change" in text and "2." not in text
    refused = cli("ticket", "ask", question, "--missing", at=NOW)
    assert refused.exit_code == 2 and "nothing to ask" in refused.stderr


def test_ticket_show_names_the_kind(cli):
    _workspace(cli)
    tid = _add(cli, "Вопрос по отчету", "Подскажите, как выгрузить отчет в Excel?")
    assert "kind: consultation" in cli.ok("ticket", "show", tid, at=NOW).stdout
    assert "тип: консультация" in cli.ok("--lang", "ru", "ticket", "show", tid, at=NOW).stdout
    assert cli.ok("ticket", "show", tid, "--format", "json", at=NOW).json()["kind"] == (
        "consultation")
