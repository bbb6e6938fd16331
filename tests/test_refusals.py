"""Refusals: each ground is checked against the ticket's history, and the message to the
client quotes the contract.

Contract (English rendering): "The executor may refuse the service when: the problem
cannot be solved in reasonable time by e-mail, the portal or remote connection; the
request did not come from the client's authorized person; the problem is caused by broken
client hardware or missing remote access that the client does not fix or provide."
The Russian original, which stands where the two differ, is quoted below verbatim.

* ``unauthorized`` only when the reporter was not authorized at registration and no
  confirmation (``ticket confirm``) exists;
* ``no-access`` only after the client was asked for remote access or a hardware fix
  (``ticket ask --need``) and has not answered since;
* ``unreasonable`` needs the explanation (``-m``).

A refused ground: one line saying why and what to do, exit 2, nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli

NOW = "2026-11-25T11:00:00+03:00"

# The contract, verbatim (Russian original, and the English rendering).
RU_PREAMBLE = "Исполнитель оставляет за собой право отказаться от предоставления Услуги в случае:"
RU_GROUND = {
    "unreasonable": "Если проблема не может быть решена за разумный период времени, используя"
    " способы электронной почты, Customer Success Portal, удаленного подключения.",
    "unauthorized": "Если запрос поступил не от авторизированного лица клиента.",
    "no-access": "Если проблема обусловлена поломкой оборудования клиента или отсутствием"
    " удаленного доступа, при этом клиент не устраняет поломку и не предоставляет удаленный"
    " доступ.",
}
EN_PREAMBLE = "The executor may refuse the service when:"
EN_GROUND = {
    "unreasonable": "the problem cannot be solved in reasonable time by e-mail, the portal or"
    " remote connection",
    "unauthorized": "the request did not come from the client's authorized person",
    "no-access": "the problem is caused by broken client hardware or missing remote access"
    " that the client does not fix or provide",
}

RU_TITLE, RU_BODY = "Сервер не включается", "Сервер приложения не включается после грозы."
EN_TITLE, EN_BODY = "The server does not start", "The application server is down after a storm."


@pytest.fixture
def desk(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path / "ws", env={"SCCLI_NOW": NOW})
    cli.ok("init")
    cli.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru")
    return cli


def add(cli: Cli, sender: str = "it@acme.ru", at: str = "2026-11-24T10:00",
        title: str = RU_TITLE, body: str = RU_BODY) -> str:
    return cli.ok("ticket", "add", "--client", "ACME", "--from", sender, "--title", title,
                  "--body", body, "--at", at, at=at).stdout.strip()


def events(cli: Cli, tid: str) -> list[dict]:
    return cli.ok("ticket", "show", tid, "--format", "json").json()["events"]


def refused(cli: Cli, tid: str, *args: str, at: str | None = None) -> str:
    """Run a rejection that must be refused: exit 2, one line, nothing written."""
    before = events(cli, tid)
    result = cli("ticket", "reject", tid, *args, at=at)
    assert result.exit_code == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"sccli: error: {tid}: "), result.stderr
    assert result.stdout == ""
    assert events(cli, tid) == before
    return lines[0]


def rejected(cli: Cli, tid: str, *args: str, at: str | None = None) -> str:
    """Run a rejection that must be accepted; the message recorded with it."""
    out = cli.ok("ticket", "reject", tid, *args, at=at).stdout
    last = events(cli, tid)[-1]
    assert last["kind"] == "rejected"
    assert out.splitlines()[0] == f"{tid}: rejected ({last['data']['reason']})"
    assert last["data"]["message"] in out  # printed for the engineer to send
    return last["data"]["message"]


# ------------------------------------------------------------------ unauthorized


def test_unauthorized_is_refused_for_the_authorized_reporter(desk: Cli):
    tid = add(desk, "it@acme.ru")
    line = refused(desk, tid, "--reason", "unauthorized")
    assert "it@acme.ru was the authorized contact when the request was registered" in line
    assert "does not apply" in line and "sccli contact show ACME --history" in line


def test_unauthorized_is_accepted_for_someone_else(desk: Cli):
    tid = add(desk, "sales@acme.ru")
    message = rejected(desk, tid, "--reason", "unauthorized")
    assert f"«{RU_PREAMBLE} … {RU_GROUND['unauthorized']}»" in message


def test_unauthorized_is_judged_at_registration(desk: Cli):
    # olga was appointed after the ticket came in: at registration she was not the contact
    tid = add(desk, "olga@acme.ru", at="2026-11-20T10:00")
    desk.ok("contact", "set", "ACME", "olga@acme.ru", "--effective", "2026-11-23T09:00",
            "--notice", "letter No. 5")
    rejected(desk, tid, "--reason", "unauthorized")


def test_unauthorized_is_refused_once_the_authorized_person_confirmed(desk: Cli):
    tid = add(desk, "sales@acme.ru")
    desk.ok("ticket", "confirm", tid, "--by", "it@acme.ru", "-m", "letter of 24.11",
            at="2026-11-24T11:00")
    seq = events(desk, tid)[-1]["seq"]
    line = refused(desk, tid, "--reason", "unauthorized")
    assert f"the authorized contact it@acme.ru confirmed the request (event #{seq})" in line
    assert f"sccli ticket void {tid} {seq} --reason" in line
    # a confirmation recorded by mistake and voided no longer stands in the way
    desk.ok("ticket", "void", tid, str(seq), "--reason", "wrong ticket")
    rejected(desk, tid, "--reason", "unauthorized")


# ------------------------------------------------------------------ no-access


def test_no_access_is_refused_before_the_client_was_asked(desk: Cli):
    tid = add(desk)
    line = refused(desk, tid, "--reason", "no-access", "-m", "no access")
    assert "needs the client to have been asked for remote access or a hardware fix" in line
    assert f"sccli ticket ask {tid} --need remote-access" in line
    # a question about something else is not that question
    desk.ok("ticket", "ask", tid, "-m", "Which page fails?", at="2026-11-24T10:30")
    refused(desk, tid, "--reason", "no-access", "-m", "no access")


@pytest.mark.parametrize("need", ["remote-access", "hardware-fix"])
def test_no_access_is_accepted_after_the_client_was_asked_and_did_not_answer(desk: Cli, need):
    tid = add(desk)
    asked = desk.ok("ticket", "ask", tid, "--need", need, at="2026-11-24T10:30").stdout
    last = events(desk, tid)[-1]
    assert last["kind"] == "asked" and last["data"]["missing"] == [need]
    assert last["data"]["message"] == asked.strip()
    # the question itself warns of the ground, quoting the contract
    assert f"«{RU_PREAMBLE} … {RU_GROUND['no-access']}»" in asked
    message = rejected(desk, tid, "--reason", "no-access", "-m", "Доступ не предоставлен.")
    assert f"«{RU_PREAMBLE} … {RU_GROUND['no-access']}»" in message
    assert "Доступ не предоставлен." in message


def test_no_access_is_refused_after_the_client_answered(desk: Cli):
    tid = add(desk)
    desk.ok("ticket", "ask", tid, "--need", "remote-access", at="2026-11-24T10:30")
    desk.ok("ticket", "answer", tid, "-m", "AnyDesk 123 456 789", at="2026-11-24T12:00")
    asked_seq, answered_seq = (e["seq"] for e in events(desk, tid)[-2:])
    line = refused(desk, tid, "--reason", "no-access")
    assert (f"the client answered (event #{answered_seq}) after being asked for remote-access"
            f" (event #{asked_seq})") in line
    assert f"ask again (sccli ticket ask {tid} --need remote-access)" in line
    # asked again (the access did not work) and no answer since: the ground holds
    desk.ok("ticket", "ask", tid, "--need", "remote-access", "-m",
            "The AnyDesk ID does not connect; please check it.", at="2026-11-24T13:00")
    rejected(desk, tid, "--reason", "no-access")


def test_ask_need_is_its_own_question(desk: Cli):
    tid = add(desk)
    both = desk("ticket", "ask", tid, "--need", "remote-access", "--missing")
    assert both.exit_code == 2
    assert both.stderr.strip() == (
        "sccli: error: --need and --missing are separate questions; give one of them")
    unknown = desk("ticket", "ask", tid, "--need", "vpn")
    assert unknown.exit_code == 2 and "'vpn' is not one of" in unknown.stderr
    assert len(events(desk, tid)) == 1


# ------------------------------------------------------------------ unreasonable


def test_unreasonable_needs_the_explanation(desk: Cli):
    tid = add(desk)
    for args in ((), ("-m", "   ")):
        line = refused(desk, tid, "--reason", "unreasonable", *args)
        assert "needs the explanation for the client" in line and "(-m TEXT)" in line
    message = rejected(desk, tid, "--reason", "unreasonable", "-m",
                       "Нужна замена сервера на площадке клиента; удалённо это не решить.")
    assert f"«{RU_PREAMBLE} … {RU_GROUND['unreasonable']}»" in message
    assert message.index(RU_GROUND["unreasonable"]) < message.index("Нужна замена сервера")


# ------------------------------------------------------------------ the message to the client


@pytest.mark.parametrize("reason", ["unauthorized", "no-access", "unreasonable"])
def test_the_message_quotes_the_contract_in_the_clients_language(desk: Cli, reason):
    ru = add(desk, "sales@acme.ru")
    en = add(desk, "sales@acme.ru", title=EN_TITLE, body=EN_BODY)
    for tid in (ru, en):
        if reason == "no-access":
            desk.ok("ticket", "ask", tid, "--need", "remote-access")
    ru_message = rejected(desk, ru, "--reason", reason, "-m", "Пояснение.")
    en_message = rejected(desk, en, "--reason", reason, "-m", "The explanation.")
    assert ru_message == (
        "Здравствуйте!\n\n"
        f"По обращению {ru} «{RU_TITLE}» Исполнитель отказывает в предоставлении Услуги.\n\n"
        f"Основание — регламент услуги: «{RU_PREAMBLE} … {RU_GROUND[reason]}»\n\n"
        "Пояснение.\n\n"
        "С уважением,\nслужба поддержки")
    assert en_message == (
        "Hello,\n\n"
        f'For your request {en} "{EN_TITLE}" the executor refuses the service.\n\n'
        f'The ground, from the service terms: "{EN_PREAMBLE} … {EN_GROUND[reason]}."\n\n'
        "The explanation.\n\n"
        "Kind regards,\nSupport team")


def test_an_illegal_step_is_refused_before_the_ground(desk: Cli):
    tid = add(desk, "it@acme.ru")
    desk.ok("ticket", "respond", tid, "-m", "Смотрим", at="2026-11-24T10:10")
    desk.ok("ticket", "resolve", tid, "-m", "Готово", at="2026-11-24T11:00")
    desk.ok("ticket", "accept", tid, "-m", "Спасибо", at="2026-11-24T12:00")
    before = events(desk, tid)
    result = desk("ticket", "reject", tid, "--reason", "unauthorized")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "sccli: error: cannot reject a ticket that is closed (allowed next: none (the ticket"
        " is final))")
    assert events(desk, tid) == before
