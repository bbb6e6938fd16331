"""The section parser (sccli/domain/sections.py): the parts of a request the contract lists.

Contract (How requests are handled): a request must contain "clearly stated questions; an
account with its password; the system's address; the steps that led to the error, as a
list (the case); and the environment: database servers used, number of nodes, adjacent
software, customizations" («…последовательность шагов, оформленных списком, приведших к
ошибке (кейс), информация об окружении…»).
"""

from __future__ import annotations

import time

import pytest

from sccli.domain.sections import Sections, parse_sections, split_steps

# The issue's examples, verbatim.
INLINE_RU = "Шаги: 1. войти 2. открыть раздел"
INLINE_EN = "Sync fails every night. Steps: 1) open the sync page 2) press Run. Environment:" \
    " PostgreSQL 14, 2 nodes"


def test_inline_russian_steps_from_the_issue() -> None:
    found = parse_sections(INLINE_RU)
    assert found.steps == ("войти", "открыть раздел")
    assert found.has_steps
    assert found.steps_text() == "1. войти\n2. открыть раздел"


def test_inline_english_steps_and_environment_from_the_issue() -> None:
    found = parse_sections(INLINE_EN)
    assert found.steps == ("open the sync page", "press Run")
    assert found.environment == "PostgreSQL 14, 2 nodes"
    assert found.description == "Sync fails every night."


def test_headings_on_their_own_lines_russian() -> None:
    body = (
        "Прошу помочь: не формируется счет.\n"
        "Учетная запись: ivanov, пароль: [secret:ACME-1/1]\n"
        "Адрес системы: https://crm.client.ru/0/Shell/\n"
        "Шаги воспроизведения:\n\n"
        "1. Открыть раздел «Счета»\n"
        "2. Нажать «Печать»\n\n"
        "Окружение: СУБД MS SQL Server 2019, 2 ноды, интеграция с 1С\n"
        "Ожидаемый результат: PDF со счетом\n"
        "Фактический результат: ошибка 500\n"
        "Текст ошибки: NullReferenceException в InvoicePrintService\n\n"
        "С уважением, Иван"
    )
    found = parse_sections(body)
    assert found.steps == ("Открыть раздел «Счета»", "Нажать «Печать»")
    assert found.environment == "СУБД MS SQL Server 2019, 2 ноды, интеграция с 1С"
    assert found.expected == "PDF со счетом"
    assert found.actual == "ошибка 500"
    assert found.error == "NullReferenceException в InvoicePrintService"
    assert found.url == "https://crm.client.ru/0/Shell/"
    assert found.account == "ivanov, пароль: [secret:ACME-1/1]"
    # the description keeps what is outside the sections (no account line in it)
    assert found.description == "Прошу помочь: не формируется счет.\n\nС уважением, Иван"


def test_english_headings_markdown_and_bullets() -> None:
    body = (
        "The invoice print fails.\n\n"
        "**Steps to reproduce:**\n"
        "- open the Invoices section\n"
        "- open invoice 15\n"
        "- click Print\n\n"
        "## Environment: PostgreSQL 15, single node\n"
        "Expected result: a PDF\n"
        "Actual result: HTTP 500\n"
        "System URL: crm.client.com:8443\n"
        "Login: jsmith"
    )
    found = parse_sections(body)
    assert found.steps == ("open the Invoices section", "open invoice 15", "click Print")
    assert found.environment == "PostgreSQL 15, single node"
    assert (found.expected, found.actual) == ("a PDF", "HTTP 500")
    assert found.url == "crm.client.com:8443"
    assert found.account == "jsmith"


@pytest.mark.parametrize(
    ("text", "items", "listed"),
    [
        ("1. открыть раздел\n2. нажать кнопку", ("открыть раздел", "нажать кнопку"), True),
        ("1) open\n2) run\n3) read the log", ("open", "run", "read the log"), True),
        ("Шаг 1: открыть раздел\nШаг 2: нажать кнопку", ("открыть раздел", "нажать кнопку"),
         True),
        ("1. войти 2. открыть раздел 3. нажать «Сохранить»",
         ("войти", "открыть раздел", "нажать «Сохранить»"), True),
        ("Step 1. log in Step 2. open Reports", ("log in", "open Reports"), True),
        ("Продажи → Договоры → Открыть договор", ("Продажи", "Договоры", "Открыть договор"),
         True),
        ("Открыл раздел и нажал кнопку", ("Открыл раздел и нажал кнопку",), False),
        ("1. открыть раздел и нажать кнопку", ("1. открыть раздел и нажать кнопку",), False),
    ],
)
def test_split_steps(text: str, items: tuple[str, ...], listed: bool) -> None:
    assert split_steps(text) == (items, listed)


@pytest.mark.parametrize(
    "body",
    [
        "Версия платформы 1.3.2, сборка 2.0",
        "PostgreSQL 14. 2 nodes behind a balancer",
        "Открыл раздел, нажал кнопку, получил ошибку.",
        "1. открыть раздел и нажать кнопку",
        "Steps: open the report and print it",  # a heading, but not a list
    ],
)
def test_no_steps_where_there_is_no_list(body: str) -> None:
    assert not parse_sections(body).has_steps


def test_a_list_without_heading_counts_outside_other_sections() -> None:
    found = parse_sections("Отчет падает.\n1. открыть отчет\n2. нажать «Сформировать»")
    assert found.steps == ("открыть отчет", "нажать «Сформировать»")
    env_list = parse_sections("Отчет падает.\nОкружение:\n- PostgreSQL 15\n- 2 ноды")
    assert env_list.steps == () and env_list.environment == "- PostgreSQL 15\n- 2 ноды"


def test_inline_heading_needs_a_capital_or_a_sentence_end() -> None:
    # "the error: x" inside a sentence is prose, "… Error: x" after a sentence is a heading
    assert parse_sections("we see the error: it hangs").error is None
    assert parse_sections("It hangs. Error: timeout").error == "timeout"
    assert parse_sections("TypeError: x is undefined").error is None


def test_url_without_a_heading_and_no_url_in_an_e_mail() -> None:
    assert parse_sections("see http://10.0.0.15:8080/0/Shell please").url == (
        "http://10.0.0.15:8080/0/Shell")
    assert parse_sections("пишите на ivanov@client.ru").url is None


def test_empty_body() -> None:
    assert parse_sections("") == Sections()


def test_a_large_body_is_parsed_in_linear_time() -> None:
    body = "1. x " * 50_000 + "\n" + "Шаги: " + "1) a " * 50_000
    start = time.perf_counter()
    parse_sections(body)
    assert time.perf_counter() - start < 5
