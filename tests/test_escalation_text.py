"""Escalation texts fill steps, environment, expected and actual results from the ticket.

The issue: "Escalation texts fill steps, environment, expected and actual from the ticket
(today "не указано" even when the body has "Steps: 1) … Environment: PostgreSQL 14, 2
nodes")". Contract (Boundaries): "Source in the vendor's product or another
partner-developer's product: the executor helps the client deal with that vendor / partner"
— the text is what that party reads; the contract's request items (steps "as a list",
"the environment: database servers used, number of nodes…") are what it needs.
"""

from __future__ import annotations

import json
from pathlib import Path

from sccli.sync.escalation import escalation_text, sections

ISSUE_BODY = ("The nightly sync fails. Steps: 1) open the sync page 2) press Run. Environment:"
              " PostgreSQL 14, 2 nodes")

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
    tracker: vendor-local
  partner-x:
    kind: partner
    title: Partner X
    language: en
    tracker: partner-local
trackers:
  vendor-local:
    adapter: local
    path: trackers/vendor
  partner-local:
    adapter: local
    path: trackers/partner
"""


def _text(body: str, language: str = "ru", system_url: str | None = None) -> str:
    return escalation_text(ticket_id="ACME-1", title="Sync fails", body=body,
                           client_name="Acme", system_url=system_url, priority="high",
                           source="vendor-product", language=language, executor="PT").body


def _section(text: str, heading: str) -> str:
    return text.split(f"### {heading}\n\n", 1)[1].split("\n\n", 1)[0]


def test_the_issue_example_fills_steps_and_environment() -> None:
    ru = _text(ISSUE_BODY)
    assert _section(ru, "Шаги воспроизведения") == "1. open the sync page\n2. press Run"
    assert _section(ru, "Окружение") == "PostgreSQL 14, 2 nodes"
    description = ru.split("### Описание\n\n", 1)[1].split("\n\n###", 1)[0]
    assert description == "**Sync fails**\n\nThe nightly sync fails."  # sections not repeated
    assert ru.count("не указано") == 3  # system, expected, actual: really not in the body
    assert sections(ISSUE_BODY) == {"steps": "1. open the sync page\n2. press Run",
                                    "environment": "PostgreSQL 14, 2 nodes"}


def test_inline_russian_steps_expected_actual_and_error() -> None:
    body = ("Не формируется счет.\nШаги: 1. войти 2. открыть раздел «Счета» 3. нажать «Печать»"
            "\nОжидаемый результат: PDF\nФактический результат: ошибка\n"
            "Текст ошибки: NullReferenceException at InvoicePrint")
    ru = _text(body)
    assert _section(ru, "Шаги воспроизведения") == (
        "1. войти\n2. открыть раздел «Счета»\n3. нажать «Печать»")
    assert _section(ru, "Ожидаемый результат") == "PDF"
    assert _section(ru, "Фактический результат") == "ошибка"
    assert _section(ru, "Текст ошибки") == "NullReferenceException at InvoicePrint"
    assert _section(ru, "Окружение") == "не указано"


def test_english_text_and_the_system_address_from_the_body() -> None:
    body = ("Totals are wrong.\nSystem: https://crm.acme.example/0/Shell\n"
            "Steps to reproduce:\n1. open Dashboards\n2. pick 2026\n"
            "Expected: 120\nActual result: 95")
    en = _text(body, language="en")
    assert "**System:** https://crm.acme.example/0/Shell" in en
    assert _section(en, "Steps to reproduce") == "1. open Dashboards\n2. pick 2026"
    assert (_section(en, "Expected result"), _section(en, "Actual result")) == ("120", "95")
    assert "Error text" not in en  # only when the body quotes one
    # the client's configured address wins over one in the body
    assert "**System:** https://configured.example" in _text(
        body, language="en", system_url="https://configured.example")


def test_the_account_line_stays_out_of_the_description() -> None:
    body = "Sync fails.\nLogin: jsmith, password: Zx9-Very$ecret\nSteps: 1) open 2) run"
    ru = _text(body)
    assert "Zx9-Very$ecret" not in ru and "jsmith" not in ru


def test_escalate_through_the_cli_sends_the_filled_sections(cli):
    (cli.home / "sccli.yaml").write_text(CONFIG, encoding="utf-8")
    cli.ok("client", "add", "ACME", "--name", "Acme Corp", "--system-url",
           "https://acme.bpmsoft.example")
    tid = cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title",
                 "Sync fails", "--body", ISSUE_BODY, "--priority", "high").stdout.strip()
    cli.ok("ticket", "set", tid, "--source", "partner-product", "--party", "partner-x")
    preview = cli.ok("escalate", tid, "--dry-run").stdout
    assert "1. open the sync page" in preview
    cli.ok("escalate", tid)
    issue = json.loads((Path(cli.home) / "trackers" / "partner" / "1.json").read_text())
    body = issue["body"]
    assert "### Steps to reproduce\n\n1. open the sync page\n2. press Run" in body
    assert "### Environment\n\nPostgreSQL 14, 2 nodes" in body
    assert body.count("not provided") == 2  # expected and actual only
