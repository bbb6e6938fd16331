"""Priority suggestions from the contract's classification examples."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sccli.domain.model import DomainError, Priority
from sccli.domain.priority_rules import (
    PriorityRule,
    Suggestion,
    compile_rules,
    keyword_regex,
    suggest_priority,
)

RULES_FILE = Path(__file__).resolve().parents[1] / "sccli" / "data" / "sla.yaml"


@pytest.fixture(scope="module")
def rules() -> list[PriorityRule]:
    """The shipped defaults, exactly as sla.yaml carries them."""
    return compile_rules(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["priority_rules"])


# (title, body, rule expected to fire or None)
CASES = [
    ("Не могу войти в систему", "", "login-failure"),
    ("Пользователи не могут сегодня войти", "С утра у всего отдела ошибка", "login-failure"),
    ("Не можем авторизоваться на портале", "", "login-failure"),
    ("Cannot log in since this morning", "", "login-failure"),
    ("Users unable to sign in", "All users get 'access denied'", "login-failure"),
    ("Ошибка на странице логина", "После обновления белый экран", "login-page-error"),
    ("Страница входа не открывается", "", "login-page-error"),
    ("Login page error", "The login page shows HTTP 500", "login-page-error"),
    (
        "Ежедневная рассылка",
        "Ежедневный бизнес-процесс рассылки падает на шаге отправки письма",
        "daily-process-failure",
    ),
    ("Daily invoice process fails at step 3", "", "daily-process-failure"),
    (
        "БП не отрабатывает",
        "Процесс выгрузки, который запускается каждый день в 6:00, завершается с ошибкой",
        "daily-process-failure",
    ),
    ("Nightly sync workflow is stuck", "It must run every night", "daily-process-failure"),
    (
        "Требование законодательства с 1 марта",
        "Изменения в 54-ФЗ вступают в силу с 1 марта, нужно доработать печатную форму",
        "legal-requirement",
    ),
    ("New federal law takes effect on 1 September", "", "legal-requirement"),
    ("Изменения по 152-ФЗ", "Нужно добавить согласие на обработку ПДн", "legal-requirement"),
    ("Новая форма отчетности по требованию закона", "", "legal-requirement"),
    (
        "Копирование реквизитов",
        "При создании счета по действию на основании договора копировать платежные реквизиты",
        "planned-change",
    ),
    ("Доработка карточки договора", "Добавить вкладку «Платежи»", "planned-change"),
    ("Change request: export of leads", "", "planned-change"),
    ("When creating an invoice from a contract, copy the bank details", "", "planned-change"),
    ("Переименовать поле в карточке контакта", "", "field-names-and-masks"),
    ("Название поля «Телефон» неверное", "", "field-names-and-masks"),
    ("Некорректно работает маска ввода расчетного счета", "", "field-names-and-masks"),
    ("Маска номера телефона", "Не дает ввести +7", "field-names-and-masks"),
    ("Change the field label on the account page", "", "field-names-and-masks"),
    ("Поменять местами поля на странице логина", "", "field-names-and-masks"),
    ("Доработка: переименовать поле «ИНН»", "", "field-names-and-masks"),
    ("Вопрос по отчету", "Как выгрузить отчет в Excel?", None),
    ("Процесс не запустился вчера", "Раньше такого не было", None),
    ("Закончился срок лицензии", "Лицензия закончилась вчера", None),
    ("Отчет формируется медленно", "", None),
    ("Please explain the access rights", "", None),
]


@pytest.mark.parametrize(("title", "body", "expected"), CASES)
def test_default_rules(
    rules: list[PriorityRule], title: str, body: str, expected: str | None
) -> None:
    found = suggest_priority(rules, title, body)
    assert (found.rule if found else None) == expected


def test_enough_cases() -> None:
    assert len([c for c in CASES if c[2]]) >= 20
    assert len([c for c in CASES if not c[2]]) >= 3


def test_default_rule_priorities(rules: list[PriorityRule]) -> None:
    assert {r.name: r.priority for r in rules} == {
        "login-failure": Priority.CRITICAL,
        "login-page-error": Priority.CRITICAL,
        "daily-process-failure": Priority.CRITICAL,
        "legal-requirement": Priority.HIGH,
        "field-names-and-masks": Priority.LOW,
        "planned-change": Priority.MEDIUM,
    }
    assert all(r.explain and r.explain_ru for r in rules)


def test_suggestion_content(rules: list[PriorityRule]) -> None:
    found = suggest_priority(rules, "Ошибка на странице логина", "")
    assert found == Suggestion(
        Priority.CRITICAL,
        "login-page-error",
        rules[1].explain,
        rules[1].explain_ru,
        "странице логина",
    )


def test_first_match_wins() -> None:
    raw = [
        {"name": "a", "priority": "Высокий", "explain": "A", "keywords": ["отчет"]},
        {"name": "b", "priority": "low", "explain": "B", "keywords": ["отчет"]},
    ]
    found = suggest_priority(compile_rules(raw), "Отчёты не строятся", "")
    assert found is not None
    assert (found.rule, found.priority, found.explain_ru, found.matched) == (
        "a",
        Priority.HIGH,
        "A",
        "Отчёты",
    )


def test_keywords_are_stems_and_fold_yo() -> None:
    rule = PriorityRule("r", Priority.LOW, "x", "x", keywords=("логин",))
    for text in ("логина", "Логином", "ЛОГИН", "по логину"):
        assert rule.match(text), text
    assert rule.match("блогинг") is None
    yo = PriorityRule("r", Priority.LOW, "x", "x", keywords=("счёт",))
    assert yo.match("счета") == "счета"
    assert yo.match("Счёту") == "Счёту"


def test_short_stems_match_whole_words() -> None:
    rule = PriorityRule("r", Priority.LOW, "x", "x", keywords=("бп",))
    assert rule.match("упал БП") == "БП"
    assert rule.match("бпм") is None


def test_all_of_requires_every_entry() -> None:
    rule = PriorityRule(
        "r",
        Priority.CRITICAL,
        "x",
        "x",
        keywords=("процесс",),
        all_of=("ежедневн|daily", "ошибк|error"),
    )
    assert rule.match("Ежедневный процесс: ошибка")
    assert rule.match("процесс: ошибка") is None
    assert rule.match("ежедневный процесс") is None


def test_keyword_regex_gap() -> None:
    import re

    rx = re.compile(keyword_regex("не могу войти"), re.IGNORECASE)
    assert rx.search("не могу сегодня войти")
    assert rx.search("Не могу войти")
    assert not rx.search("не могу понять, почему нельзя войти")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("nope", r"priority_rules: expected a list"),
        ([42], r"priority_rules\[0\]: expected a mapping"),
        ([{"priority": "low", "explain": "x", "keywords": ["a"]}], r"\[0\]\.name: required"),
        (
            [{"name": "a", "priority": "urgentish", "explain": "x", "keywords": ["a"]}],
            r"\[0\]\.priority: unknown priority 'urgentish'",
        ),
        ([{"name": "a", "priority": "low", "keywords": ["a"]}], r"\[0\]\.explain: required"),
        ([{"name": "a", "priority": "low", "explain": "x"}], r"\[0\]: give at least one"),
        (
            [{"name": "a", "priority": "low", "explain": "x", "keyword": ["a"]}],
            r"\[0\]: unknown key 'keyword'",
        ),
        (
            [{"name": "a", "priority": "low", "explain": "x", "keywords": "a", "all_of": [1]}],
            r"\[0\]\.all_of\[0\]: expected a non-empty string",
        ),
        (
            [{"name": "a", "priority": "low", "explain": "x", "keywords": ["a|b"]}],
            r"\[0\]\.keywords\[0\]: '\|' is only allowed in all_of",
        ),
        (
            [
                {"name": "a", "priority": "low", "explain": "x", "keywords": ["a"]},
                {"name": "a", "priority": "low", "explain": "x", "keywords": ["b"]},
            ],
            r"priority_rules\[1\]\.name: duplicate rule name 'a'",
        ),
    ],
)
def test_compile_errors(raw: object, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        compile_rules(raw)  # type: ignore[arg-type]


def test_invalid_regex_names_the_place() -> None:
    raw = [
        {"name": f"r{i}", "priority": "low", "explain": "x", "keywords": ["a"]} for i in range(3)
    ]
    raw.append({"name": "bad", "priority": "low", "explain": "x", "patterns": ["(unclosed"]})
    with pytest.raises(DomainError) as err:
        compile_rules(raw)
    assert str(err.value).startswith(
        "priority_rules[3].patterns[0]: invalid regular expression '(unclosed':"
    )


def test_explain_ru_defaults_to_explain() -> None:
    (rule,) = compile_rules(
        [{"name": "a", "priority": "medium", "explain": "E", "patterns": ["x"]}]
    )
    assert rule.explain_ru == "E"
