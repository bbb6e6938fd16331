"""The ``bpmsoft`` adapter against the fake BPMSoft server, over real HTTP on loopback.

Both roles: the adapter contract suite (escalation: a vendor's BPMSoft portal) and the
intake (the executor's Customer Success Portal). Auth rules from the issue: "success is
``Code: 0`` even on HTTP 200; ``Code: 1`` is a refusal → exit 4 with the server's message",
"one re-login on a 401 or on a redirect to the HTML login page, then a clear error".
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from contract import AdapterContract, FakeTime

from sccli.adapters.base import AuthError, ValidationError
from sccli.adapters.bpmsoft import BpmSoftAdapter
from sccli.adapters.http import HttpFactory
from sccli.fakes.bpmsoft import FakeBpmSoft
from sccli.fakes.bpmsoft_data import STATUSES_22

PASSWORD = "s3cr3t-Pa55-word"
ASKED = "3859c6e7-cbcb-486b-ba53-77808fe6e593"
IN_PROGRESS = "7e9f1204-f46b-1410-fb9a-0050ba5d6c38"
RESOLVED = "ae7f411e-f46b-1410-009b-0050ba5d6c38"
EMAIL_ORIGIN = "7f9e1f1e-f46b-1410-3492-0050ba5d6c38"
CALL_ORIGIN = "5e5e202a-f46b-1410-3692-0050ba5d6c38"
HIGH = "8b700f24-f46b-1410-ee8c-0050ba5d6c38"


class Backend:
    """The vendor's (or the client's) side of the fake server, for the contract suite."""

    def __init__(self, server: FakeBpmSoft, factory: HttpFactory):
        self.server, self.factory, self.secret = server, factory, PASSWORD
        self.engineer = server.db.add_user("vendor.engineer", "Vendor Engineer")

    def human_issue(self, title, body=""):
        return self.server.db.add_case(title, body, by=self.engineer)["Id"]

    def human_comment(self, issue_id, body, author="alice"):
        self.server.db.add_message("PortalMessage", issue_id, body, self.engineer)

    def human_close(self, issue_id):
        self.server.db.update("Case", issue_id, {"StatusId": self.server.db.status(
            "Закрыто")["Id"]}, self.engineer)

    def tick(self):
        self.server.db.advance(2)

    def bad_credentials(self):
        return make_adapter(self.server, self.factory, password="wrong-secret-value")


def make_adapter(server, factory, password=PASSWORD, url=None, **config):
    cfg = {"url": url or server.url, "login": "Supervisor", "password": "env:BPM_PASSWORD",
           **config}
    return BpmSoftAdapter("portal", cfg, factory, lambda ref: password)


@pytest.fixture
def time():
    return FakeTime()


@pytest.fixture
def factory(time):
    return HttpFactory(sleep=time.sleep, clock=time.clock, rng=lambda: 0.5, max_retries=2)


@pytest.fixture
def server():
    with FakeBpmSoft(password=PASSWORD) as fake:
        yield fake


@pytest.fixture
def tracker(server, factory):
    return make_adapter(server, factory), Backend(server, factory)


@pytest.fixture
def portal(server, factory):
    return make_adapter(server, factory, accounts={"ООО Ромашка": "romashka"})


class TestBpmSoftContract(AdapterContract):
    pass


# ---------------------------------------------------------------------- authentication
def logins(server):
    return server.count("AuthService.svc/Login")


def test_a_refused_login_is_exit_4_with_the_servers_message(server, factory):
    bad = make_adapter(server, factory, password="wrong")
    with pytest.raises(AuthError) as caught:
        bad.check()
    assert caught.value.exit_code == 4
    assert "Invalid username or password specified" in str(caught.value)


def test_one_login_per_run_and_the_csrf_header(server, portal):
    portal.check()
    list(portal.requests_changed_since(None))
    assert logins(server) == 1


@pytest.mark.parametrize("mode", ["401", "redirect"])
def test_an_expired_session_logs_in_again_once(server, portal, mode):
    server.expiry = mode
    portal.check()
    server.expire_sessions()
    assert "authenticated as Supervisor" in portal.check()
    assert logins(server) == 2


@pytest.mark.parametrize("mode", ["401", "redirect"])
def test_a_session_refused_again_after_login_is_a_clear_error(server, portal, mode,
                                                              monkeypatch):
    server.expiry = mode
    portal.check()
    original = portal.session.login

    def login_then_expire():
        original()
        server.expire_sessions()  # the fresh session dies at once

    server.expire_sessions()
    monkeypatch.setattr(portal.session, "login", login_then_expire)
    with pytest.raises(AuthError, match="again right after a fresh login") as caught:
        portal.check()
    assert caught.value.exit_code == 4


def test_bpmsoft_without_csrf_at_login_gets_it_from_the_application(server, portal):
    server.csrf_on_login = False
    assert portal.check().startswith("authenticated as Supervisor")
    assert server.count("/0/", method="GET") >= 2


def test_without_access_to_odata_the_permission_is_named(server, factory):
    server.add_user("robot", PASSWORD, odata=False)
    adapter = make_adapter(server, factory, login="robot")
    with pytest.raises(AuthError, match="Access to OData") as caught:
        adapter.check()
    assert caught.value.exit_code == 4


def test_oauth_client_credentials(server, factory):
    server.add_client("sccli-app", PASSWORD)
    adapter = BpmSoftAdapter("portal", {"url": server.url, "client_id": "sccli-app",
                                        "client_secret": "env:X", "user": "Supervisor"},
                             factory, lambda ref: PASSWORD)
    assert "sccli-app" in adapter.check()
    assert adapter.account()
    wrong = BpmSoftAdapter("portal", {"url": server.url, "client_id": "sccli-app",
                                      "client_secret": "env:X"}, factory, lambda ref: "no")
    with pytest.raises(AuthError, match="invalid_client"):
        wrong.check()


def test_base_url_with_0_and_a_net8_server_without_it(server, factory):
    assert "/0/odata" in make_adapter(server, factory, url=server.url + "/0").check()
    server.net8 = True
    adapter = make_adapter(server, factory)
    assert "/0/odata" in adapter.check()  # .NET 8 answers on both
    with FakeBpmSoft(password=PASSWORD, net8=True) as net8:
        net8_only = make_adapter(net8, factory)
        net8_only.session.root = None
        assert net8_only.check()


def test_429_with_retry_after_is_waited_and_retried(server, portal, time):
    portal.check()
    server.fail_next(429, retry_after="3")
    server.fail_next(503, retry_after="2")
    assert list(portal.requests_changed_since(None)) == []
    assert time.sleeps[:2] == [3.0, 2.0]


# ---------------------------------------------------------------------- intake
def seed(server):
    data = server.db
    romashka = data.add_account("ООО Ромашка", "ROM")
    anna = data.add_contact("Анна Петрова", "anna@romashka.ru", romashka)
    case = data.add_case("Не формируется отчёт", "Пароль от тестовой базы: Qwerty123!",
                         account_id=romashka, contact_id=anna, priority=HIGH,
                         origin=EMAIL_ORIGIN,
                         ResponseDate=data.now() + timedelta(hours=4))
    return romashka, anna, case


def test_a_new_case_becomes_an_incoming_request(server, portal):
    _, _, case = seed(server)
    [got] = list(portal.requests_changed_since(None))
    assert got.id == case["Id"] and got.number == "SR00000001"
    assert got.account == "romashka" and got.reporter == "anna@romashka.ru"
    assert got.channel == "email" and got.priority == "high" and got.state == "open"
    assert got.title == "Не формируется отчёт" and "Qwerty123!" in got.body
    assert got.status_name == "Новое" and set(got.deadlines) == {"response"}
    assert got.registered_at.tzinfo is not None


def test_an_unmapped_account_is_named_by_its_code_not_guessed(server, factory):
    seed(server)
    other = server.db.add_account("ЗАО Неизвестно", "UNK")
    server.db.add_case("Вопрос", account_id=other, origin=CALL_ORIGIN)
    adapter = make_adapter(server, factory)
    got = {r.title: r for r in adapter.requests_changed_since(None)}
    assert got["Вопрос"].account == "UNK" and got["Вопрос"].channel == "phone"
    assert got["Не формируется отчёт"].account == "ROM"


def test_reading_uses_an_unquoted_utc_date_an_overlap_and_a_stable_order(server, portal):
    seed(server)
    since = server.db.now()
    server.db.advance(1)
    list(portal.requests_changed_since(since))
    case_query = next(p for m, p, _ in server.log if "/odata/Case?" in p)
    assert "ModifiedOn+ge+20" in case_query and "%27" not in case_query.split("filter")[1][:40]
    assert "ModifiedOn+asc%2CId+asc" in case_query and "select=" in case_query
    assert list(portal.requests_changed_since(server.db.now() + timedelta(hours=1))) == []


def test_client_messages_reply_with_status_and_binding(server, portal):
    _, _, case = seed(server)
    server.db.client_message(case["Id"], "Скриншот приложен")
    server.db.add_file(case["Id"], "screen.png", b"png")
    portal.bind(case["Id"], "ROM-1")
    portal.bind(case["Id"], "ROM-1")  # idempotent
    feed = server.db.messages(case["Id"], "SocialMessage")
    assert len(feed) == 1 and "sccli:ticket=ROM-1" in feed[0]["Message"]
    comment = portal.reply(case["Id"], "Уточните версию, пожалуйста.", "ROM-1/e3", "asked")
    assert comment.origin == "ROM-1/e3" and comment.body == "Уточните версию, пожалуйста."
    assert server.db.tables["Case"][case["Id"]]["StatusId"] == ASKED
    written = server.db.messages(case["Id"])[-1]
    assert written["FromPortal"] is False and "sccli:origin=ROM-1/e3" in written["Message"]
    got = portal.request(case["Id"])
    assert got.ticket == "ROM-1" and got.state == "paused" and got.attachments == ("screen.png",)
    assert [m.origin for m in got.messages] == [None, "ROM-1/e3"]
    assert got.messages[0].body == "Скриншот приложен"
    assert all("sccli:ticket" not in m.body for m in got.messages)  # the feed stays internal
    portal.reply(case["Id"], "Исправлено.", "ROM-1/e4", "resolved")
    assert portal.request(case["Id"]).state == "resolved"


def test_a_message_without_a_case_change_is_still_found(server, portal):
    _, _, case = seed(server)
    server.db.touch_case_on_message = False
    since = server.db.now() + timedelta(minutes=10)
    server.db.advance(900)
    server.db.client_message(case["Id"], "Ответ клиента")
    [got] = list(portal.requests_changed_since(since))
    assert got.id == case["Id"] and got.updated_at >= since


def test_renamed_statuses_of_bpmsoft_22_are_read_by_flags(factory):
    with FakeBpmSoft(password=PASSWORD, statuses="22") as server:
        case = server.db.add_case("x")
        paused = next(r for r in STATUSES_22 if r[1] == "Ожидает вендора")
        server.db.update("Case", case["Id"], {"StatusId": paused[0]}, None)
        adapter = make_adapter(server, factory)
        assert next(adapter.requests_changed_since(None)).state == "paused"
        adapter.reply(case["Id"], "Взяли в работу", "T-1/e1", "responded")
        assert server.db.tables["Case"][case["Id"]]["StatusId"] == IN_PROGRESS
        adapter.reply(case["Id"], "Переоткрыто", "T-1/e2", "reopened")
        status = server.db.status(server.db.tables["Case"][case["Id"]]["StatusId"])
        assert status["Name"] == "Получен ответ"


def test_a_missing_documented_status_falls_back_to_the_flags(server, portal):
    _, _, case = seed(server)
    del server.db.tables["CaseStatus"][RESOLVED]
    server.db._put("CaseStatus", {"Name": "Выполнено", "IsResolved": True, "IsFinal": False,
                                    "IsPaused": False, "StageNumber": 4})
    portal.reply(case["Id"], "Готово", "T-2/e1", "resolved")
    assert portal.request(case["Id"]).status_name == "Выполнено"


@pytest.mark.parametrize("next_links", [False, True])
def test_paging_over_the_row_cap(factory, next_links):
    with FakeBpmSoft(password=PASSWORD, max_rows=7, next_links=next_links) as server:
        for n in range(40):
            server.db.add_case(f"c{n}")
            if n % 3 == 0:
                server.db.advance(0.01)
        adapter = make_adapter(server, factory, page_size=10)  # above the server's cap
        got = [r.title for r in adapter.requests_changed_since(None)]
        assert sorted(got) == sorted(f"c{n}" for n in range(40)) and len(got) == 40


def test_an_edit_while_paging_loses_nothing(server, factory):
    ids = []
    for n in range(9):  # a row jumping to the end must not shift an unread one away
        ids.append(server.db.add_case(f"c{n}")["Id"])
        server.db.advance(0.01)
    adapter = make_adapter(server, factory, page_size=3)
    seen = []
    for request in adapter.requests_changed_since(None):
        seen.append(request.id)
        if len(seen) == 1:
            server.db.update("Case", ids[0], {"Subject": "edited"}, None)
    assert set(ids) <= set(seen)


def test_messages_with_either_schema_column(server, factory):
    _, _, case = seed(server)
    server.schema_columns = frozenset({"EntitySchemaName"})
    adapter = make_adapter(server, factory)
    adapter.reply(case["Id"], "Ответ", "T-3/e1", None)
    assert adapter.entities["schema_column"] == "EntitySchemaName"
    assert server.db.messages(case["Id"])[-1]["Message"].startswith("Ответ")


def test_an_unknown_step_status_is_refused_before_writing(server, portal):
    _, _, case = seed(server)
    for sid in [r["Id"] for r in server.db.rows("CaseStatus") if r["IsPaused"]]:
        del server.db.tables["CaseStatus"][sid]
    with pytest.raises(ValidationError, match="statuses.asked"):
        portal.reply(case["Id"], "?", "T-4/e1", "asked")
    assert server.db.messages(case["Id"]) == []


def test_attachments_download_with_a_size_cap(server, portal):
    _, _, case = seed(server)
    file_id = server.db.add_file(case["Id"], "dump.log", b"x" * 100)
    assert portal.download(file_id) == b"x" * 100
    with pytest.raises(ValidationError, match="above the cap"):
        portal.download(file_id, max_bytes=10)


def test_a_repeated_reply_writes_the_message_once_and_moves_the_status(server, portal):
    """After a crash between the message and the status, sync replies again: the client
    sees the answer once."""
    _, _, case = seed(server)
    portal.reply(case["Id"], "Уточните версию.", "ROM-1/e5", None)
    portal.reply(case["Id"], "Уточните версию.", "ROM-1/e5", "asked")
    assert len(server.db.messages(case["Id"])) == 1
    assert server.db.tables["Case"][case["Id"]]["StatusId"] == ASKED
    someone = server.db.add_user("someone.else")
    server.db.add_message("PortalMessage", case["Id"], "<!-- sccli:origin=ROM-1/e6 -->",
                            someone)  # typed by a person: not ours
    portal.reply(case["Id"], "Ответ", "ROM-1/e6", None)
    assert len(server.db.messages(case["Id"])) == 3


def test_a_write_after_a_login_page_redirect_is_sent_once(server, portal):
    _, _, case = seed(server)
    server.expiry = "redirect"
    portal.check()
    server.expire_sessions()
    portal.reply(case["Id"], "Ответ после истечения сессии", "ROM-1/e7", "responded")
    assert [m["Message"].split("\n")[0] for m in server.db.messages(case["Id"])] == [
        "Ответ после истечения сессии"]
    assert server.db.tables["Case"][case["Id"]]["StatusId"] == IN_PROGRESS


def test_lookup_rows_with_other_guids_map_by_their_names(server, portal):
    _, _, case = seed(server)
    chat = server.db._put("CaseOrigin", {"Name": "Чат"})["Id"]
    urgent = server.db._put("CasePriority", {"Name": "Критический", "Priority": 9})["Id"]
    server.db.update("Case", case["Id"], {"OriginId": chat, "PriorityId": urgent}, None)
    got = portal.request(case["Id"])
    assert got.channel == "messenger" and got.priority == "critical"
