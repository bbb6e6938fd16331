"""The fake BPMSoft server's own behaviour (sccli.fakes.bpmsoft), over real HTTP on loopback.

What it must reproduce comes from ../shared/research/bpmsoft.md: Login answers HTTP 200
with ``Code`` 0 or 1; ``BPMCSRF`` must be sent as a header; an expired session is a 401
with ``ForceUseSession: true`` or a 302 to the login page; dates in ``$filter`` are unquoted
("Quoting them returns 400 'incompatible types Edm.DateTimeOffset and Edm.String'");
"Hard cap: 20,000 rows per response".
"""

from __future__ import annotations

import pytest
import requests

from sccli.fakes.bpmsoft import LOGIN_PATH, FakeBpmSoft
from sccli.fakes.bpmsoft_data import CASE_SCHEMA_UID, STATUS_CLOSED


@pytest.fixture
def server():
    with FakeBpmSoft() as fake:
        yield fake


def login(server, session=None, password="Supervisor"):
    session = session or requests.Session()
    answer = session.post(server.url + LOGIN_PATH, json={"UserName": "Supervisor",
                                                         "UserPassword": password},
                          headers={"ForceUseSession": "true"})
    return session, answer


def headers(session):
    return {"BPMCSRF": session.cookies.get("BPMCSRF", ""), "ForceUseSession": "true"}


def get(server, session, path, **params):
    return session.get(f"{server.url}/0/odata/{path}", params=params, headers=headers(session))


def test_login_sets_the_documented_cookies_and_code_0(server):
    session, answer = login(server)
    assert answer.status_code == 200 and answer.json()["Code"] == 0
    assert {".ASPXAUTH", "BPMCSRF", "BPMLOADER", "UserName"} <= set(session.cookies.keys())


def test_a_wrong_password_is_code_1_on_http_200(server):
    session, answer = login(server, password="nope")
    assert answer.status_code == 200 and answer.json()["Code"] == 1
    assert answer.json()["Message"] and ".ASPXAUTH" not in session.cookies


def test_the_csrf_header_is_required(server):
    session, _ = login(server)
    assert get(server, session, "CaseStatus").status_code == 200
    refused = session.get(f"{server.url}/0/odata/CaseStatus", headers={"ForceUseSession": "true"})
    assert refused.status_code == 403 and "BPMCSRF" in refused.json()["error"]["message"]


def test_bpmsoft_variant_sets_csrf_only_on_a_get_of_the_application(server):
    server.csrf_on_login = False
    session, answer = login(server)
    assert answer.json()["Code"] == 0 and "BPMCSRF" not in session.cookies
    assert get(server, session, "CaseStatus").status_code == 403
    session.get(server.url + "/0/")
    assert session.cookies.get("BPMCSRF")
    assert get(server, session, "CaseStatus").status_code == 200


def test_expired_sessions_answer_401_or_redirect_to_the_login_page(server):
    session, _ = login(server)
    server.expire_sessions()
    assert get(server, session, "Case").status_code == 401
    server.expiry = "redirect"
    bounced = get(server, session, "Case")
    assert bounced.status_code == 200 and bounced.history[0].status_code == 302
    assert "text/html" in bounced.headers["Content-Type"] and "NuiLogin" in bounced.url


def test_odata_roots_with_and_without_0(server):
    session, _ = login(server)
    assert session.get(server.url + "/odata/Case", headers=headers(session)).status_code == 404
    server.net8 = True
    assert session.get(server.url + "/odata/Case", headers=headers(session)).status_code == 200
    assert get(server, session, "$metadata").status_code == 200


def test_lookups_are_seeded_with_the_documented_guids(server):
    session, _ = login(server)
    statuses = {r["Id"]: r for r in get(server, session, "CaseStatus").json()["value"]}
    assert statuses["3859c6e7-cbcb-486b-ba53-77808fe6e593"]["IsPaused"] is True
    assert statuses["ae7f411e-f46b-1410-009b-0050ba5d6c38"]["Name"] == "Решено"
    assert len(statuses) == 7
    prio = get(server, session, "CasePriority", **{"$filter": "Priority eq 1"}).json()["value"]
    assert prio[0]["Id"] == "afb33208-f46b-1410-ec8c-0050ba5d6c38"
    assert len(get(server, session, "CaseOrigin").json()["value"]) == 9


def test_the_22_status_variant():
    with FakeBpmSoft(statuses="22") as server:
        session, _ = login(server)
        rows = get(server, session, "CaseStatus").json()["value"]
        assert len(rows) == 22
        reopened = next(r for r in rows if r["Id"] == "f063ebbe-fdc6-4982-8431-d8cfa52fedcf")
        assert reopened["Name"] == "Получен ответ"


def test_filters_order_paging_count_and_select(server):
    session, _ = login(server)
    acme = server.db.add_account("ACME")
    ids = []
    for n in range(5):
        ids.append(server.db.add_case(f"Case {n}", account_id=acme if n % 2 else None)["Id"])
        server.db.advance(1)
    stamp = server.db.tables["Case"][ids[2]]["ModifiedOn"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    answer = get(server, session, "Case", **{
        "$filter": f"ModifiedOn ge {stamp}Z and AccountId eq {acme}",
        "$orderby": "ModifiedOn asc,Id asc", "$select": "Id,Subject", "$count": "true"})
    body = answer.json()
    assert answer.status_code == 200 and body["@odata.count"] == 1
    assert body["value"] == [{"Id": ids[3], "Subject": "Case 3"}]
    page = get(server, session, "Case", **{"$orderby": "Subject desc", "$top": "2",
                                           "$skip": "1", "$select": "Subject"}).json()
    assert [r["Subject"] for r in page["value"]] == ["Case 3", "Case 2"]
    found = get(server, session, "Case", **{"$filter": "contains(Subject,'case 4')"}).json()
    assert [r["Id"] for r in found["value"]] == [ids[4]]
    assert get(server, session, "Case/$count").text == "5"


def test_a_quoted_date_is_refused_with_400(server):
    session, _ = login(server)
    answer = get(server, session, "Case", **{"$filter": "ModifiedOn ge '2026-01-01T00:00:00Z'"})
    assert answer.status_code == 400
    assert "Edm.DateTimeOffset" in answer.json()["error"]["message"]
    bad = get(server, session, "Case", **{"$filter": "Nope eq 1"})
    assert bad.status_code == 400 and "innererror" in bad.json()["error"]


def test_the_row_cap_and_optional_next_links(server):
    session, _ = login(server)
    server.max_rows = 3
    for n in range(7):
        server.db.add_case(f"c{n}")
    assert len(get(server, session, "Case").json()["value"]) == 3
    server.next_links = True
    seen, url = [], f"{server.url}/0/odata/Case?$orderby=Id asc"
    while url:
        body = session.get(url, headers=headers(session)).json()
        seen += [r["Id"] for r in body["value"]]
        url = body.get("@odata.nextLink")
    assert len(seen) == len(set(seen)) == 7


def test_create_case_messages_with_either_schema_column_and_patch(server):
    session, _ = login(server)
    created = session.post(f"{server.url}/0/odata/Case", json={"Subject": "Из API"},
                           headers=headers(session))
    assert created.status_code == 201
    case = created.json()
    assert case["Number"].startswith("SR") and case["CreatedById"]
    for column, value in (("EntitySchemaUId", CASE_SCHEMA_UID), ("EntitySchemaName", "Case")):
        posted = session.post(f"{server.url}/0/odata/PortalMessage", headers=headers(session),
                              json={column: value, "EntityId": case["Id"], "Message": column})
        assert posted.status_code == 201, posted.text
    assert [m["Message"] for m in server.db.messages(case["Id"])] == [
        "EntitySchemaUId", "EntitySchemaName"]
    history = get(server, session, "CaseMessageHistory",
                  **{"$filter": f"CaseId eq {case['Id']}"}).json()["value"]
    assert len(history) == 2
    server.schema_columns = frozenset({"EntitySchemaUId"})
    refused = session.post(f"{server.url}/0/odata/SocialMessage", headers=headers(session),
                           json={"EntitySchemaName": "Case", "EntityId": case["Id"],
                                 "Message": "x"})
    assert refused.status_code == 400 and "EntitySchemaName" in refused.text
    patched = session.patch(f"{server.url}/0/odata/Case({case['Id']})",
                            json={"StatusId": STATUS_CLOSED}, headers=headers(session))
    assert patched.status_code == 204
    assert server.db.tables["Case"][case["Id"]]["StatusId"] == STATUS_CLOSED
    empty = session.post(f"{server.url}/0/odata/Case", json={"Subject": ""},
                         headers=headers(session))
    assert empty.status_code == 400 and "Subject" in empty.json()["error"]["message"]


def test_faults_with_retry_after_and_the_request_counter(server):
    session, _ = login(server)
    server.reset_log()
    server.fail_next(429, retry_after="2")
    server.fail_next(503, retry_after="1", path="/Case")
    limited = get(server, session, "CaseStatus")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert get(server, session, "Case").status_code == 503
    assert get(server, session, "Case").status_code == 200
    assert server.count() == 3 and server.count("odata/CaseStatus") == 1


def test_no_odata_permission_and_oauth(server):
    server.add_user("robot", "pw", odata=False)
    session = requests.Session()
    session.post(server.url + LOGIN_PATH, json={"UserName": "robot", "UserPassword": "pw"})
    refused = get(server, session, "Case")
    assert refused.status_code == 403 and "CanUseODataService" in refused.text
    server.add_client("app", "s3cret")
    token = requests.post(server.url + "/connect/token", data={
        "grant_type": "client_credentials", "client_id": "app", "client_secret": "s3cret"})
    bearer = {"Authorization": "Bearer " + token.json()["access_token"]}
    assert requests.get(server.url + "/0/odata/Case", headers=bearer).status_code == 200
    assert requests.post(server.url + "/connect/token", data={
        "grant_type": "client_credentials", "client_id": "app",
        "client_secret": "no"}).status_code == 400


def test_client_messages_and_files_are_seeded_for_tests(server):
    session, _ = login(server)
    acme = server.db.add_account("ACME")
    anna = server.db.add_contact("Anna", "anna@acme.example", acme)
    case = server.db.add_case("Отчёт", account_id=acme, contact_id=anna)
    before = case["ModifiedOn"]
    server.db.advance(5)
    server.db.client_message(case["Id"], "Вот скриншот")
    file_id = server.db.add_file(case["Id"], "screen.png", b"\x89PNG")
    assert server.db.tables["Case"][case["Id"]]["ModifiedOn"] > before
    msgs = get(server, session, "PortalMessage", **{"$filter": f"EntityId eq {case['Id']}"})
    assert msgs.json()["value"][0]["FromPortal"] is True
    assert get(server, session, f"CaseFile({file_id})/Data").content == b"\x89PNG"


def test_expand_brings_the_account_and_contact_in_the_same_request(server):
    session, _ = login(server)
    acme = server.db.add_account("ACME", "AC")
    anna = server.db.add_contact("Anna", "anna@acme.example", acme)
    server.db.add_case("x", account_id=acme, contact_id=anna)
    row = get(server, session, "Case", **{
        "$select": "Id", "$expand": "Account($select=Name,Code),Contact($select=Email)"}
    ).json()["value"][0]
    assert row["Account"] == {"Name": "ACME", "Code": "AC"}
    assert row["Contact"] == {"Email": "anna@acme.example"}
    assert get(server, session, "Case", **{"$expand": "Nope"}).status_code == 400
