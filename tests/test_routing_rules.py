"""The contract's "Boundaries" over the CLI: who owns a problem, who is told, who pays.

Contract (contract.en.md, "Boundaries"; the Russian original stands):
- "Client system in the BPMSoft cloud: the executor helps the client deal with the vendor."
  (RU: "В случае если Система клиента находится в облаке BPMSoft, Исполнитель оказывает
  помощь во взаимодействии с вендором.")
- "Source in another partner's project layer or in the client's internal team's layer: the
  executor identifies the source, then helps deal with that partner, or fixes it for an
  extra fee." (RU: "…Исполнитель выявляет источник проблемы и далее оказывает помощь во
  взаимодействии с другим партнером-разработчиком или выполняет исправление за отдельную
  плату.")
- "the client's infrastructure (network, servers…), a third-party provider, adjacent
  software → the executor consults and helps deal with whoever is responsible." (RU:
  "…Исполнитель консультирует клиента, оказывает помощь во взаимодействии с
  ответственными за инфраструктуру лицами.")
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sccli.adapters.local import LocalTracker
from sccli.notify import Notice
from sccli.notify.responsible import responsible_party_notice

NOW = "2026-11-25T11:00:00+03:00"
MONTH = "2026-11"
PASSWORD = "Zx9-Very$ecret"

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
  acme-team:
    kind: client
    title: Acme internal CRM team
    language: en
  isp:
    kind: provider
    title: Acme ISP
    language: en
    email: noc@isp.example
  mail-relay:
    kind: provider
    title: Почтовый шлюз
    language: ru
    email: support@relay.example
  quiet:
    kind: provider
    title: Provider without a contact
    language: en
trackers:
  vendor-local:
    adapter: local
    path: trackers/vendor
  partner-local:
    adapter: local
    path: trackers/partner
"""


@pytest.fixture
def ws(cli):
    cli.env["SCCLI_NOW"] = NOW
    (Path(cli.home) / "sccli.yaml").write_text(CONFIG, encoding="utf-8")
    cli.ok("client", "add", "ACME", "--name", "Acme Corp", "--system-url",
           "https://acme.example", "--contact", "it@acme.example")
    cli.ok("client", "add", "NORD", "--name", "Nordwind", "--system-url",
           "https://nordwind.bpmsoft.cloud", "--hosting", "bpmsoft-cloud",
           "--contact", "it@nord.example")
    return cli


@pytest.fixture
def ws_any(cli_any):
    cli_any.env["SCCLI_NOW"] = NOW
    (Path(cli_any.home) / "sccli.yaml").write_text(CONFIG, encoding="utf-8")
    cli_any.ok("client", "add", "ACME", "--name", "Acme Corp", "--contact", "it@acme.example")
    return cli_any


def add(cli, client="ACME", title="Report fails", body="It crashes.", priority="high",
        source=None, party=None, at="2026-11-24T10:00:00+03:00") -> str:
    reporter = "it@acme.example" if client == "ACME" else "it@nord.example"
    tid = cli.ok("ticket", "add", "--client", client, "--from", reporter, "--title", title,
                 "--body", body, "--priority", priority, "--at", at).stdout.strip()
    if source:
        cli.ok("ticket", "set", tid, "--source", source, *(["--party", party] if party else []))
    return tid


def issues(cli, which: str) -> list[dict]:
    return list(LocalTracker(Path(cli.home) / "trackers" / which).records())


def triage_row(cli, tid: str, *args: str) -> dict:
    return next(r for r in cli.ok("triage", "--format", "json", *args).json()
                if r["ticket"] == tid)


def billed(cli) -> list[str]:
    return [r["ticket"] for r in cli.ok("billing", "--month", MONTH, "--format", "json").json()]


def events(cli, tid: str) -> list[dict]:
    return cli.ok("ticket", "show", tid, "--format", "json").json()["events"]


# ------------------------------------------------------------- another partner's layer
def test_partner_project_escalates_on_request_and_is_not_billed_until_the_executor_fixes(ws_any):
    """"…helps deal with that partner, or fixes it for an extra fee": escalating to the
    partner is allowed; the work is billable only once the executor takes the fix."""
    cli = ws_any
    tid = add(cli, source="partner-project", party="partner-x")
    row = triage_row(cli, tid)
    assert (row["owner"], row["party"], row["action"], row["billing"]) == (
        "partner", "partner-x", "consult-or-fix", "billable-if-fixed")
    assert row["fixed_by"] is None
    assert billed(cli) == []  # undecided: nothing to bill
    # sync does not decide for the engineer: no issue is opened on its own
    assert cli.ok("sync", "--format", "json").json()["actions"] == []
    out = cli.ok("escalate", tid).stdout
    assert f"{tid}: escalated to partner-x as partner-local #1" in out
    (issue,) = issues(cli, "partner")
    assert issue["ticket"] == tid and "partner-project" in issue["body"]


def test_fixed_by_executor_makes_it_billable_in_billing_and_the_sla_report(ws_any):
    cli = ws_any
    tid = add(cli, source="partner-project", party="partner-x")
    other = add(cli, title="Layer of the client's team", source="client-team",
                party="acme-team")
    assert cli.ok("ticket", "set", tid, "--fixed-by", "executor").stdout.strip() == (
        f"{tid}: updated")
    row = triage_row(cli, tid)
    assert (row["action"], row["billing"], row["fixed_by"]) == ("fix", "billable", "executor")
    assert "fixes it for an extra fee" in row["routing_explain"]
    bills = cli.ok("billing", "--month", MONTH, "--format", "json").json()
    assert [(b["ticket"], b["billing"], b["reasons"]) for b in bills] == [
        (tid, "billable", ["partner-project: billable"])]
    report = cli.ok("sla", "report", "--month", MONTH, "--format", "json").json()
    assert report["billable"] == [tid]
    text = cli.ok("sla", "report", "--month", MONTH).stdout
    assert f"billable work: 1 tickets ({tid}), see `sccli billing`" in text
    # the client's team fixes its own layer: the executor consults, included
    cli.ok("ticket", "set", other, "--fixed-by", "owner")
    row = triage_row(cli, other)
    assert (row["owner"], row["action"], row["billing"]) == ("client", "consult", "included")
    assert billed(cli) == [tid]
    # the decision is in the history, with the source and party it was made for
    last = events(cli, tid)[-1]
    assert last["kind"] == "source-set" and last["data"] == {
        "source": "partner-project", "party": "partner-x", "fixed_by": "executor"}
    assert last["details"] == "source: partner-project; party: partner-x; fixed by: executor"


def test_when_the_executor_fixes_it_nothing_is_escalated_and_when_the_owner_does_sync_does(ws):
    tid = add(ws, source="partner-project", party="partner-x")
    ws.ok("ticket", "set", tid, "--fixed-by", "executor")
    refused = ws("escalate", tid)
    assert refused.exit_code == 2 and "nothing to escalate" in refused.stderr
    assert "--fixed-by executor" in refused.stderr
    assert issues(ws, "partner") == []
    ws.ok("ticket", "set", tid, "--fixed-by", "owner")
    row = triage_row(ws, tid)
    assert (row["action"], row["billing"]) == ("escalate", "included")
    actions = ws.ok("sync", "--format", "json").json()["actions"]
    assert [(a["action"], a["ticket"]) for a in actions] == [("create", tid)]
    assert billed(ws) == []


def test_the_decision_follows_its_source(ws):
    tid = add(ws, source="partner-project", party="partner-x")
    ws.ok("ticket", "set", tid, "--fixed-by", "executor")
    # the same source with its party corrected keeps the decision
    ws.ok("ticket", "set", tid, "--source", "partner-project", "--party", "acme-team")
    assert triage_row(ws, tid)["fixed_by"] == "executor" and billed(ws) == [tid]
    # another source drops it: the decision was about the other layer
    ws.ok("ticket", "set", tid, "--source", "client-team", "--party", "acme-team")
    row = triage_row(ws, tid)
    assert row["fixed_by"] is None and row["billing"] == "billable-if-fixed"
    assert billed(ws) == []
    # given with --source, it applies to the new source at once
    ws.ok("ticket", "set", tid, "--source", "partner-project", "--party", "partner-x",
          "--fixed-by", "executor")
    assert billed(ws) == [tid]


@pytest.mark.parametrize("args,needle", [
    (("--fixed-by", "executor"), "a ticket without a problem source"),
    (("--source", "executor-product", "--fixed-by", "executor"),
     "--fixed-by does not apply to the source executor-product"),
    (("--source", "vendor-product", "--fixed-by", "owner"),
     "client-team, partner-project"),
    (("--fixed-by", "partner"), "Invalid value for '--fixed-by'"),
])
def test_fixed_by_is_refused_where_the_contract_gives_no_choice(ws, args, needle):
    tid = add(ws)
    before = events(ws, tid)
    result = ws("ticket", "set", tid, *args)
    assert result.exit_code == 2 and needle in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert events(ws, tid) == before  # nothing written


def test_triage_advises_the_open_decision_in_both_languages(ws):
    tid = add(ws, source="partner-project", party="partner-x")
    out = ws.ok("triage").stdout
    assert (f"{tid}: the source is in another layer (partner-project): help deal with"
            f" partner-x (sccli escalate {tid}) or fix it for an extra fee (sccli ticket set"
            f" {tid} --fixed-by executor)") in out
    assert "partner (partner-x) / consult-or-fix / billable-if-fixed" in out
    ru = ws.ok("triage", "--lang", "ru").stdout
    assert "исправить за отдельную плату" in ru and "консультация или доработка" in ru
    ws.ok("ticket", "set", tid, "--fixed-by", "executor")
    out = ws.ok("triage").stdout
    assert "another layer" not in out and "partner (partner-x) / fix / billable" in out


# ------------------------------------------------------------------ BPMSoft cloud
def test_a_cloud_client_shows_where_platform_and_hosting_problems_go(ws):
    cloud = add(ws, client="NORD", title="502 on every page")
    local = add(ws, title="Same on premise")
    row = triage_row(ws, cloud)
    assert row["hosting"] == "bpmsoft-cloud" and row["action"] == "investigate"
    assert "BPMSoft cloud" in row["routing_explain"] and "vendor" in row["routing_explain"]
    table = ws.ok("triage").stdout
    line = next(x for x in table.splitlines() if x.startswith(cloud))
    assert "executor / investigate (BPMSoft cloud) / included" in line
    line = next(x for x in table.splitlines() if x.startswith(local))
    assert "executor / investigate / included" in line and "cloud" not in line
    refused = ws("escalate", cloud)
    assert refused.exit_code == 2 and "--source bpmsoft-cloud` escalates to vendor" in refused.stderr


def test_cloud_hosting_problems_are_the_vendors_with_the_reason(ws):
    """In the BPMSoft cloud the servers and hosting are the vendor's: the client's
    "infrastructure" goes to the vendor (BPMSoft), and the escalation target is the vendor."""
    cloud = add(ws, client="NORD", title="Servers do not answer",
                source="client-infrastructure")
    onprem = add(ws, title="Servers do not answer", source="client-infrastructure")
    row = triage_row(ws, cloud)
    assert (row["owner"], row["party"], row["party_title"], row["action"]) == (
        "vendor", "vendor", "BPMSoft", "escalate")
    assert row["routing_explain"].startswith("the system is in the BPMSoft cloud")
    assert "vendor (BPMSoft) / escalate / included" in ws.ok("triage").stdout
    shown = ws.ok("ticket", "show", cloud).stdout
    assert "owner / action / billing: vendor (BPMSoft) / escalate / included" in shown
    assert "why: the system is in the BPMSoft cloud: its servers and hosting are the" \
           " vendor's" in shown
    routing = ws.ok("ticket", "show", cloud, "--format", "json").json()["routing"]
    assert routing["owner"] == "vendor" and routing["hosting"] == "bpmsoft-cloud"
    assert routing["billable"] is False
    ru = ws.ok("--lang", "ru", "ticket", "show", cloud).stdout
    assert "владелец / действие / оплата: вендор (BPMSoft) / эскалировать / включено" in ru
    # the escalation target is the vendor, in the vendor's language
    assert "escalated to vendor as vendor-local #1" in ws.ok("escalate", cloud).stdout
    assert "Клиент:** Nordwind" in issues(ws, "vendor")[0]["body"]
    # on premise the same source stays with whoever is responsible
    row = triage_row(ws, onprem)
    assert (row["owner"], row["action"]) == ("responsible-party", "consult")
    # the engineer can name another responsible party (the client's own network)
    ws.ok("ticket", "set", cloud, "--source", "client-infrastructure", "--party", "isp")
    row = triage_row(ws, cloud)
    assert (row["owner"], row["party"], row["action"]) == ("responsible-party", "isp", "consult")


def test_vendor_sources_name_the_vendor_everywhere(ws):
    tid = add(ws, client="NORD", source="bpmsoft-cloud")
    assert "vendor (BPMSoft) / escalate / included" in ws.ok("triage").stdout
    shown = ws.ok("ticket", "show", tid).stdout
    assert "owner / action / billing: vendor (BPMSoft) / escalate / included" in shown
    assert "why: system hosted in the BPMSoft cloud" in shown


# ------------------------------------------------------------ responsible parties
def _notice(**kw) -> Notice:
    values = dict(
        ticket_id="ACME-7", title="SMS are not sent",
        body=f"The SMS gateway rejects messages.\nGateway login: crm, password: {PASSWORD}",
        client_key="ACME", client_name="Acme Corp", system_url="https://acme.example",
        priority="high", source="third-party-provider", party="isp", party_title="Acme ISP",
        party_email="noc@isp.example", language="en", executor="Programmnye Tekhnologii",
        executor_email="crm.support@samarasoft.com",
        at=datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    values.update(kw)
    return responsible_party_notice(**values)


def test_the_responsible_party_notice_says_what_was_found_and_keeps_secrets_in():
    n = _notice()
    assert (n.key, n.kind, n.audience, n.lang, n.ticket_id) == (
        "ACME-7/responsible-party/isp/third-party-provider", "responsible-party",
        "party:isp", "en", "ACME-7")
    assert n.subject == "ACME-7: a problem in a third-party provider's service for Acme ISP" \
                        " — SMS are not sent"
    assert n.text.startswith("Hello, Acme ISP.")
    assert ("Programmnye Tekhnologii supports the BPMSoft system of Acme Corp"
            " (https://acme.example) under a support contract") in n.text
    assert "request ACME-7 (priority: high)" in n.text
    assert "in a third-party provider's service, which you are responsible for" in n.text
    assert "consults the client and helps deal with whoever is responsible" in n.text
    assert "> The SMS gateway rejects messages." in n.text
    assert "Please reply to crm.support@samarasoft.com, quoting ACME-7" in n.text
    assert PASSWORD not in n.text and PASSWORD not in json.dumps(n.to_json())
    assert "[secret:ACME-7/1]" in n.text
    assert n.data == {"party": "isp", "email": "noc@isp.example",
                      "source": "third-party-provider", "client": "ACME"}
    assert n.to_json()["created_at"] == "2026-11-25T08:00:00+00:00"


def test_the_notice_is_in_the_partys_language():
    n = _notice(language="ru", source="client-infrastructure", party_title="Почтовый шлюз",
                priority="critical", system_url=None)
    assert n.lang == "ru" and n.text.startswith("Здравствуйте, Почтовый шлюз.")
    assert "в инфраструктуре клиента (настройки сети, серверов)" in n.text
    assert "(приоритет: критичный)" in n.text and "(не указано)" in n.text
    assert "Исполнитель консультирует клиента и оказывает помощь во взаимодействии" in n.text
    assert "Ответ направьте на crm.support@samarasoft.com" in n.text
    assert PASSWORD not in n.text and PASSWORD not in n.subject
    # a reference already in the ticket is kept; a new one is numbered after it
    n = _notice(body="Пароль: [secret:ACME-7/1]\nи ещё password: Other#Pass99")
    assert "[secret:ACME-7/1]" in n.text and "[secret:ACME-7/2]" in n.text
    assert "Other#Pass99" not in n.text


def _app(cli):
    from sccli.app import App

    return App(home=str(cli.home), db=cli.db, clock=NOW)


def test_recording_a_responsible_party_prepares_its_notice(ws):
    from sccli.usecases.routing import notify_responsible_party, party_notice

    tid = add(ws, title="Mail does not leave the system",
              body=f"SMTP relay refuses us. smtp password: {PASSWORD}",
              source="adjacent-software")
    assert party_notice(_app(ws), tid) is None  # nobody recorded: nobody to tell
    result = ws("ticket", "set", tid, "--source", "adjacent-software", "--party", "mail-relay")
    assert result.exit_code == 0 and result.stdout.startswith(f"{tid}: updated\n")
    # the notice goes to the outbox (delivered by the next tick / outbox deliver), once
    assert (f"{tid}: notice to mail-relay <support@relay.example> queued" in result.stdout)
    (queued,) = [n for n in ws.ok("outbox", "--format", "json").json()
                 if n["audience"] == "party:mail-relay"]
    assert queued["ticket"] == tid and queued["state"] == "no channel"  # none configured
    assert PASSWORD not in queued["text"] and f"[secret:{tid}/1]" in queued["text"]
    sent = notify_responsible_party(_app(ws), tid)
    assert sent is not None and (sent.party, sent.email, sent.queued) == (
        "mail-relay", "support@relay.example", False)  # the same key is not queued twice
    again = ws("ticket", "set", tid, "--source", "adjacent-software", "--party", "mail-relay")
    assert f"{tid}: the notice to mail-relay <support@relay.example> was queued before" \
        in again.stdout
    assert len([n for n in ws.ok("outbox", "--format", "json").json()
                if n["audience"] == "party:mail-relay"]) == 1
    n = sent.notice
    assert n.audience == "party:mail-relay" and n.lang == "ru"
    assert "в смежном программном обеспечении" in n.text and "Acme Corp" in n.text
    assert PASSWORD not in n.text and f"[secret:{tid}/1]" in n.text


@pytest.mark.parametrize("client,source,party", [
    ("ACME", "third-party-provider", "quiet"),  # no contact configured
    ("ACME", "partner-project", "partner-x"),  # not a responsible party's source
    ("NORD", "client-infrastructure", None),  # the cloud's hosting: the vendor, by escalation
])
def test_no_notice_where_there_is_nobody_to_tell(ws, client, source, party):
    from sccli.usecases.routing import party_notice

    tid = add(ws, client=client)
    args = ["ticket", "set", tid, "--source", source] + (["--party", party] if party else [])
    result = ws(*args)
    assert result.exit_code == 0 and "notice" not in result.stderr
    assert party_notice(_app(ws), tid) is None


def test_escalate_to_a_responsible_party_without_a_tracker_points_at_the_notice(ws):
    tid = add(ws, source="third-party-provider", party="isp")
    refused = ws("escalate", tid)
    assert refused.exit_code == 2
    assert "party 'isp' has no tracker" in refused.stderr
    assert "its contact noc@isp.example gets a notice" in refused.stderr


# ------------------------------------------------------------------ the pure rule
def test_route_applies_the_fix_decision_only_where_the_contract_leaves_it_open():
    from sccli.config import default_sla_text, parse_sla
    from sccli.domain.model import Channel, Hosting, Source
    from sccli.domain.routing import route

    table = parse_sla(default_sla_text(), "sla.yaml").routing
    for source in Source:
        base = route(table, source, None, Hosting.ON_PREMISE, Channel.PORTAL, False)
        for fixed_by in (None, "executor", "owner"):
            d = route(table, source, None, Hosting.ON_PREMISE, Channel.PORTAL, False,
                      fixed_by=fixed_by)
            if base.billing != "billable-if-fixed" or fixed_by is None:
                assert (d.action, d.billing, d.fixed_by) == (base.action, base.billing, None)
                assert d.billable == (base.billing == "billable")
            elif fixed_by == "executor":
                assert (d.action, d.billing, d.billable) == ("fix", "billable", True)
            else:
                assert d.billing == "included" and not d.billable
                assert d.action == ("escalate" if d.owner == "partner" else "consult")
