"""Request completeness: the contract's five items, in Russian and English."""

from __future__ import annotations

import pytest

from sccli.domain.intake import (
    ITEM_LABELS,
    IntakeResult,
    Item,
    check_intake,
    clarification_request,
    detect_language,
)
from sccli.domain.model import DomainError

RU_TITLE = "Не сохраняется карточка договора"
RU_PARTS = {
    Item.QUESTION: "Подскажите, пожалуйста, почему карточка договора не сохраняется?",
    Item.ACCOUNT: "Учетная запись: ivanov, пароль: [secret:ACME-12/1]",
    Item.SYSTEM_URL: "Адрес системы: https://crm.client.ru/0/Shell/",
    Item.STEPS: (
        "Шаги воспроизведения:\n"
        "1. Открыть раздел «Договоры»\n"
        "2. Открыть договор № 15\n"
        "3. Изменить сумму и нажать «Сохранить»"
    ),
    Item.ENVIRONMENT: (
        "Окружение: СУБД MS SQL Server 2019, 2 ноды за балансировщиком, интеграция с 1С,"
        " доработки партнера ООО «Ромашка»."
    ),
}
EN_TITLE = "Contract page cannot be saved"
EN_PARTS = {
    Item.QUESTION: "Could you please check why the contract page cannot be saved?",
    Item.ACCOUNT: "Login: jsmith, password: [secret:ACME-13/1]",
    Item.SYSTEM_URL: "System: crm.client.com",
    Item.STEPS: (
        "Steps:\n- open the Contracts section\n- open contract 15\n- change the amount, click Save"
    ),
    Item.ENVIRONMENT: "Environment: PostgreSQL 14, single node, customizations by another partner.",
}
# Titles that carry no question on their own, for the "question missing" cases.
NEUTRAL_TITLE = {"ru": "Карточка договора", "en": "Contract page"}


def _body(parts: dict[Item, str], without: Item | None = None) -> str:
    return "\n\n".join(text for item, text in parts.items() if item is not without)


def test_complete_russian_request() -> None:
    result = check_intake(RU_TITLE, _body(RU_PARTS))
    assert result == IntakeResult(frozenset(Item), (), "ru")
    assert result.complete


def test_complete_english_request() -> None:
    result = check_intake(EN_TITLE, _body(EN_PARTS))
    assert result == IntakeResult(frozenset(Item), (), "en")


@pytest.mark.parametrize("item", list(Item))
@pytest.mark.parametrize(("lang", "parts"), [("ru", RU_PARTS), ("en", EN_PARTS)])
def test_each_item_missing_alone(lang: str, parts: dict[Item, str], item: Item) -> None:
    title = NEUTRAL_TITLE[lang]
    result = check_intake(title, _body(parts, without=item))
    assert result.missing == (item,), result
    assert result.present == frozenset(Item) - {item}
    assert result.language == lang


def test_bare_error_title_misses_everything() -> None:
    for title in ("Ошибка", "error", "ОШИБКА!!!"):
        result = check_intake(title, "")
        assert result.missing == tuple(Item)
    assert check_intake("Ошибка", "").language == "ru"
    assert check_intake("error", "").language == "en"


@pytest.mark.parametrize(
    "text",
    [
        "Прошу проверить отчет",
        "Помогите разобраться с интеграцией",
        "Не работает печать счетов",
        "Не удаётся сохранить контакт",
        "Как настроить права доступа",
        "Что делать с ошибкой 500",
        "Please check the report",
        "How do I change the access rights",
        "Invoices do not print",
        "The import fails to start",
        "Is it possible to export leads",
        "Почему не приходят уведомления",
    ],
)
def test_question_forms(text: str) -> None:
    assert Item.QUESTION in check_intake(text, "").present


@pytest.mark.parametrize(
    "text",
    [
        "логин: ivanov / пароль: Qwerty123!",
        "учетная запись Supervisor, пароль Supervisor",
        "Учётная запись Supervisor, пароль [secret:X-1/1]",
        "login: admin password: P@ss",
        "user admin password [secret:X-1/2]",
        "доступ: admin / [secret:X-1/3]",
        "https://ivanov:Qwerty123@crm.client.ru",
    ],
)
def test_account_forms(text: str) -> None:
    assert Item.ACCOUNT in check_intake("Вопрос", text).present


@pytest.mark.parametrize(
    "text",
    [
        "user: ivanov",
        "пароль не приходит на почту",
        "логин ivanov, пароль пришлю позже",
        "[secret:X-1/1]",
    ],
)
def test_account_needs_login_and_password(text: str) -> None:
    assert Item.ACCOUNT not in check_intake("Вопрос", text).present


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("https://crm.client.ru", True),
        ("http://10.0.0.15:8080/0/Shell", True),
        ("адрес crm.client.ru", True),
        ("система на bpm.romashka.local:8443", True),
        ("сервер 192.168.1.20", True),
        ("пишите на ivanov@client.ru", False),
        ("см. файл report.xlsx и log.txt", False),
        ("версия 1.3.2", False),
    ],
)
def test_system_url_forms(text: str, found: bool) -> None:
    assert (Item.SYSTEM_URL in check_intake("Вопрос", text).present) is found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("1. открыть раздел\n2. нажать кнопку", True),
        ("1) открыть раздел\n2) нажать кнопку", True),
        ("- открыть раздел\n- нажать кнопку", True),
        ("* open the section\n* press the button", True),
        ("• открыть раздел\n• нажать кнопку", True),
        ("Шаг 1: открыть раздел\nШаг 2: нажать кнопку", True),
        ("Step 1. open the section\nStep 2. press the button", True),
        ("1) открыть раздел, 2) нажать кнопку", True),
        ("1. открыть раздел и нажать кнопку", False),
        ("Открыл раздел, нажал кнопку, получил ошибку.", False),
    ],
)
def test_steps_forms(text: str, found: bool) -> None:
    assert (Item.STEPS in check_intake("Вопрос", text).present) is found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("База данных на MSSQL", True),
        ("PostgreSQL 15", True),
        ("Oracle 19c", True),
        ("СУБД: Postgres", True),
        ("две ноды", True),
        ("3 узла приложения", True),
        ("cluster of 2 nodes", True),
        ("есть доработки другого партнера", True),
        ("customizations in the project layer", True),
        ("смежное ПО: 1С", True),
        ("ничего не менялось", False),
    ],
)
def test_environment_forms(text: str, found: bool) -> None:
    assert (Item.ENVIRONMENT in check_intake("Вопрос", text).present) is found


def test_portal_fields_count_when_non_empty() -> None:
    fields = {
        "question": "Почему не сохраняется?",
        "account": "ivanov / [secret:ACME-1/1]",
        "system_url": "crm",
        "steps": "открыть, сохранить",
        "environment": " ",
    }
    result = check_intake("Карточка", "", fields)
    assert result.missing == (Item.ENVIRONMENT,)


def test_detect_language() -> None:
    assert detect_language("Не работает BPMSoft на https://crm.example.com/path/to/page") == "ru"
    assert detect_language("The page https://crm.пример.рф does not open") == "en"
    assert detect_language("") == "ru"
    assert detect_language("Ошибка в модуле ContactPageV2, см. лог") == "ru"


def test_clarification_request_russian() -> None:
    text = clarification_request(
        [Item.STEPS, Item.ACCOUNT], "ru", "ACME-12", "Ошибка  при\nсохранении"
    )
    assert "ACME-12 «Ошибка при сохранении»" in text
    assert "1. учетную запись (логин) с паролем" in text
    assert "2. последовательность шагов, приведших к ошибке, оформленную списком" in text
    assert not any(line.startswith("3.") for line in text.splitlines())
    assert "адрес Системы" not in text and "окружении" not in text
    assert "2 (двух) рабочих дней" in text
    assert text.startswith("Здравствуйте!")


def test_clarification_request_english_lists_all_in_contract_order() -> None:
    text = clarification_request(list(reversed(Item)), "en", "ACME-13", "error")
    lines = [line for line in text.splitlines() if line[:2] in {"1.", "2.", "3.", "4.", "5."}]
    assert [line[:2] for line in lines] == ["1.", "2.", "3.", "4.", "5."]
    assert lines[0].startswith("1. a clearly stated question")
    assert lines[1].startswith("2. the account (login) with its password")
    assert lines[2].startswith("3. the system's address")
    assert lines[3].startswith("4. the steps that led to the error, as a numbered list")
    assert lines[4].startswith("5. the environment: database servers used, number of nodes")
    assert "within 2 business days" in text
    assert 'request ACME-13 "error"' in text


def test_clarification_request_from_a_check() -> None:
    result = check_intake("Report", "Please check the report at https://crm.client.com")
    text = clarification_request(result.missing, result.language, "ACME-14", "Report")
    assert "account (login)" in text and "as a numbered list" in text
    assert "the environment:" in text
    assert "clearly stated question" not in text and "system's address" not in text


def test_clarification_request_errors() -> None:
    with pytest.raises(DomainError, match="language"):
        clarification_request([Item.STEPS], "de", "ACME-1", "x")
    with pytest.raises(DomainError, match="nothing is missing"):
        clarification_request([], "ru", "ACME-1", "x")


def test_labels() -> None:
    for lang in ("ru", "en"):
        assert set(ITEM_LABELS[lang]) == set(Item)
        assert all(len(label) <= 12 for label in ITEM_LABELS[lang].values())
