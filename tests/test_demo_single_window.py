"""`sccli demo` shows the single window (issue 11, "The demo and the README").

Contract: the client registers requests "in the client's account on the Customer Success
Portal" («в личном кабинете на Портале») — the single window («единое окно»); "the client
answers the executor's clarifying questions within 2 business days" (the answer stops that
clock). The demo runs the real ``bpmsoft`` adapter against the project's BPMSoft test server
on 127.0.0.1 for its duration: a case arrives and becomes a ticket, the engineer's response
and question reach the portal, the client's reply there stops the feedback clock, a vendor
problem is escalated; afterwards no port, thread or password is left behind.
"""

from __future__ import annotations

import json
import os
import socket
import threading

import pytest

from sccli.commands import demo_portal
from sccli.commands.demo_portal import PASSWORD_ENV, fixed_id
from tests.conftest import Cli

NOW = "2026-11-25T11:00:00+03:00"


@pytest.fixture
def portals(monkeypatch):
    """Every DemoPortal the demo opens (its server's data stays readable after the demo)."""
    opened: list[demo_portal.DemoPortal] = []
    enter = demo_portal.DemoPortal.__enter__

    def spy(self):
        opened.append(self)
        return enter(self)

    monkeypatch.setattr(demo_portal.DemoPortal, "__enter__", spy)
    return opened


@pytest.fixture
def demo(tmp_path, portals):
    home = tmp_path / "demo"
    before = {t.ident for t in threading.enumerate()}
    result = Cli(tmp_path / "unused")("demo", "--home", str(home))
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return home, result, portals[0], before


def test_the_single_window_steps(demo):
    home, result, portal, _ = demo
    cli = Cli(home, env={"SCCLI_NOW": NOW})
    case = fixed_id("case/1")
    db = portal.server.db

    # the request arrived from the portal: a ticket linked to the portal's case
    links = cli.ok("links", "ACME-9", "--format", "json").json()
    assert [(lk["tracker"], lk["remote_id"]) for lk in links] == [("portal", case)]
    show = cli.ok("ticket", "show", "ACME-9", "--format", "json").json()
    assert (show["channel"], show["reporter"]) == ("portal", "it@acme-retail.ru")
    assert show["registered_at"] == "2026-11-25T10:20:00+03:00"
    # its password went to the vault, not to the store
    assert "Kart0chka!2026" not in show["body"] and "[secret:ACME-9/1]" in show["body"]

    # the response and the question reached the portal, once each, visible to the client
    sent = [m for m in db.messages(case) if not m["FromPortal"]]
    assert len(sent) == 2 and not any(m["HideOnPortal"] for m in sent)
    assert "Приняли в работу" in sent[0]["Message"]
    assert "Спасибо за обращение ACME-9" in sent[1]["Message"]
    assert "sccli:origin=ACME-9/e3" in sent[1]["Message"]
    assert db.status(db.tables["Case"][case]["StatusId"])["IsPaused"]  # awaits the client

    # the client's reply on the portal stopped the feedback clock
    kinds = [(e["kind"], e["at"]) for e in show["events"]]
    assert kinds[-2:] == [("asked", "2026-11-25T10:36:00+03:00"),
                          ("answered", "2026-11-25T10:52:00+03:00")]
    running = cli.ok("sla", "status", "--format", "json").json()
    assert not [r for r in running if r["ticket"] == "ACME-9"]
    explain = cli.ok("sla", "explain", "ACME-9").stdout
    assert "feedback #1: answered" in explain and "stopped: 2026-11-25T10:52:00+03:00" in explain

    # the vendor problem from the portal was escalated to the vendor's tracker
    vega = {lk["tracker"]: lk for lk in cli.ok("links", "VEGA-7", "--format", "json").json()}
    assert set(vega) == {"portal", "vendor"}
    issue = json.loads((home / "trackers" / "vendor" / f"{vega['vendor']['remote_id']}.json")
                       .read_text(encoding="utf-8"))
    assert issue["ticket"] == "VEGA-7" and "Dem0-Passw0rd!" not in json.dumps(issue)

    # and the demo says so
    out = result.stdout
    assert "portal     register  ACME-9" in out and "portal     answer-in    ACME-9" in out
    assert "[asked] Здравствуйте! Спасибо за обращение ACME-9" in out
    assert "#   client: Шаги:" in out
    assert "ACME-9: the client answered the question" in out.split("$ sccli triage", 1)[1]


def test_the_portal_is_gone_after_the_demo(demo):
    home, _, portal, before = demo
    port = portal.server.port
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    left = [t for t in threading.enumerate() if t.ident not in before]
    assert left == [], left
    assert PASSWORD_ENV not in os.environ
    config = (home / "sccli.yaml").read_text(encoding="utf-8")
    assert f"password: env:{PASSWORD_ENV}" in config and portal.password not in config


def test_the_demo_prints_the_same_every_time(tmp_path):
    outputs = []
    for _ in (1, 2):
        result = Cli(tmp_path / "unused")("demo", "--home", str(tmp_path / "same"), "--force")
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
        for issue in (tmp_path / "same" / "trackers").rglob("*.json"):
            issue.unlink()  # --force keeps the local trackers' files; start them afresh
    assert outputs[0] == outputs[1]


def test_a_port_the_demo_cannot_bind_is_a_clean_failure(tmp_path, monkeypatch):
    """The portal cannot start (no loopback): one line, no traceback, nothing left."""
    from sccli.fakes import bpmsoft

    def refuse(self):
        raise OSError("Cannot assign requested address")

    monkeypatch.setattr(bpmsoft.FakeBpmSoft, "start", refuse)
    result = Cli(tmp_path / "unused")("demo", "--home", str(tmp_path / "d"))
    assert result.exit_code == 75 and "Traceback" not in result.stderr
    assert "cannot start the demo's local portal on 127.0.0.1" in result.stderr
    assert PASSWORD_ENV not in os.environ


def test_the_readme_shows_the_demos_triage(tmp_path):
    """README: "This is the triage of the demo workspace" — the block is the real output."""
    from pathlib import Path

    home = tmp_path / "demo"
    assert Cli(tmp_path / "unused")("demo", "--home", str(home)).exit_code == 0
    triage = Cli(home, env={"SCCLI_NOW": NOW}).ok("triage").stdout
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start = text.index("```\n", text.index("This is the triage of the demo workspace")) + 4
    assert text[start:text.index("```\n", start)].strip() == triage.strip()


def test_the_demo_ignores_an_http_proxy(tmp_path):
    """Offline with a proxy in the environment: the loopback portal is reached directly."""
    proxy = "http://127.0.0.1:9"
    env = {"HTTP_PROXY": proxy, "http_proxy": proxy, "HTTPS_PROXY": proxy}
    result = Cli(tmp_path / "unused", env=env)("demo", "--home", str(tmp_path / "d"))
    assert result.exit_code == 0, result.stderr
    assert "portal: done (1 answer-in)" in result.stdout


def test_a_failing_portal_sync_stops_the_demo_in_one_line(tmp_path, monkeypatch):
    real = demo_portal.DemoPortal.tracker_config
    monkeypatch.setattr(demo_portal.DemoPortal, "tracker_config",
                        lambda self: real(self).replace(PASSWORD_ENV, "SCCLI_DEMO_UNSET_PASSWORD"))
    result = Cli(tmp_path / "unused")("demo", "--home", str(tmp_path / "d"))
    assert result.exit_code == 75 and "Traceback" not in result.stderr
    assert "portal: FAILED" in result.stdout
    assert "the demo's sync failed" in result.stderr and "internal error" not in result.stderr
    assert PASSWORD_ENV not in os.environ
