"""End-to-end CLI tests of the foundation commands, including every kind of bad input."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sccli.store.migrations import LATEST
from tests.conftest import Cli


@pytest.fixture
def acme(cli_any: Cli) -> Cli:
    cli_any.ok("client", "add", "acme", "--name", "Акме", "--system-url", "https://crm.acme.ru",
               "--contact", "it@acme.ru", at="2026-11-01T09:00")
    return cli_any


def test_init_creates_workspace_files_and_store(tmp_path):
    cli = Cli(tmp_path / "new")
    result = cli.ok("init")
    assert (tmp_path / "new" / "sccli.yaml").exists() and (tmp_path / "new" / "sla.yaml").exists()
    assert f"schema v{LATEST}" in result.stdout
    again = cli.ok("init")
    assert "nothing (files exist; --force)" in again.stdout


def test_commands_without_workspace_say_run_init(tmp_path):
    result = Cli(tmp_path / "none")("ticket", "list")
    assert result.exit_code == 2
    assert "no sccli workspace" in result.stderr and "sccli init" in result.stderr


def test_client_add_and_list_in_every_format(acme):
    assert acme.ok("client", "list", "--format", "json").json() == [
        {"key": "ACME", "name": "Акме", "system_url": "https://crm.acme.ru",
         "hosting": "on-premise", "contact": "it@acme.ru", "package": "default"}
    ]
    csv = acme.ok("client", "list", "--format", "csv").stdout.splitlines()
    assert csv[0] == "key,name,system_url,hosting,contact,package"
    assert "Акме" in acme.ok("client", "list").stdout
    dup = acme("client", "add", "ACME", "--name", "x")
    assert dup.exit_code == 2 and "already exists" in dup.stderr


def test_contact_history_one_at_a_time(acme):
    acme.ok("contact", "set", "ACME", "Ольга <olga@acme.ru>", "--name", "Ольга",
            "--effective", "2026-11-20T12:00", "--notice", "Письмо №5 о назначении")
    before = acme.ok("contact", "show", "ACME", "--format", "json", at="2026-11-20T11:59").json()
    after = acme.ok("contact", "show", "ACME", "--format", "json", at="2026-11-20T12:00").json()
    assert [c["email"] for c in before] == ["it@acme.ru"]
    assert [c["email"] for c in after] == ["olga@acme.ru"]
    history = acme.ok("contact", "show", "ACME", "--history", "--format", "json",
                      at="2026-11-21T00:00").json()
    assert [(c["email"], c["current"]) for c in history] == [
        ("it@acme.ru", False), ("olga@acme.ru", True)]
    assert history[1]["notice"] == "Письмо №5 о назначении"


def test_ticket_lifecycle_end_to_end(acme):
    tid = acme.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title",
                  "Ошибка на странице логина", "--body", "Шаги: 1. открыть 2. войти",
                  "--priority", "Критичный", "--format", "json", at="2026-11-20T17:10").json()["id"]
    assert tid == "ACME-1"
    for step, status in (("respond", "in-progress"), ("ask", "awaiting-client"),
                         ("answer", "in-progress"), ("resolve", "resolved"),
                         ("reopen", "reopened"), ("respond", "in-progress"),
                         ("resolve", "resolved"), ("accept", "closed")):
        assert acme.ok("ticket", step, tid, "-m", f"шаг {step}").stdout.strip() == f"{tid}: {status}"
    shown = acme.ok("ticket", "show", tid, "--format", "json").json()
    assert shown["status"] == "closed" and shown["priority"] == "critical"
    assert [e["kind"] for e in shown["events"]][:3] == ["registered", "responded", "asked"]
    assert shown["registered_at"] == "2026-11-20T17:10:00+03:00"


def test_illegal_transition_names_status_and_next_steps(acme):
    acme.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "t")
    result = acme("ticket", "resolve", "ACME-1", "-m", "done")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "sccli: error: cannot resolve a ticket that is new (allowed next: respond, ask, reject)")
    assert "Traceback" not in result.stderr


def test_reject_set_and_list_filters(acme):
    for title in ("a", "b", "c"):
        acme.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", title,
                "--priority", "low")
    acme.ok("ticket", "reject", "ACME-2", "--reason", "unreasonable", "-m", "needs on-site work")
    acme.ok("ticket", "set", "ACME-3", "--priority", "high", "--source", "vendor-product",
            "--party", "vendor", "--agreed-by", "it@acme.ru", "--estimate", "2026-12-01T17:00")
    ext = acme("ticket", "set", "ACME-3", "--estimate", "2026-12-05T17:00")
    assert ext.exit_code == 2 and "needs a reason" in ext.stderr
    acme.ok("ticket", "set", "ACME-3", "--estimate", "2026-12-05T17:00", "--reason", "новые проблемы")
    rows = acme.ok("ticket", "list", "--status", "open", "--format", "json").json()
    assert [r["id"] for r in rows] == ["ACME-1", "ACME-3"]
    high = acme.ok("ticket", "list", "--priority", "Высокий", "--format", "json").json()
    assert [(r["id"], r["source"], r["party"]) for r in high] == [("ACME-3", "vendor-product", "vendor")]
    assert high[0]["estimate"] == "2026-12-05T17:00:00+03:00"
    rejected = acme.ok("ticket", "list", "--status", "rejected", "--format", "csv").stdout
    assert "ACME-2" in rejected and "ACME-1" not in rejected


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["ticket", "add", "--client", "NOPE", "--from", "a@b.ru", "--title", "t"], "unknown client 'NOPE'"),
        (["ticket", "add", "--client", "ACME", "--from", "a@b.ru", "--title", "t", "--priority", "asap"],
         "unknown priority 'asap'"),
        (["ticket", "add", "--client", "ACME", "--from", "a@b.ru", "--title", "   "], "title is empty"),
        (["ticket", "add", "--client", "ACME", "--from", "nobody", "--title", "t"], "not an e-mail address"),
        (["ticket", "add", "--client", "ACME", "--from", "a@b.ru", "--title", "t", "--at", "31.12.2026"],
         "malformed --at '31.12.2026'"),
        (["ticket", "add", "--client", "ACME", "--from", "a@b.ru", "--title", "t", "--channel", "fax"],
         "unknown channel 'fax'"),
        (["ticket", "respond", "ACME-99", "-m", "x"], "unknown ticket 'ACME-99'"),
        (["ticket", "set", "ACME-1"], "nothing to set"),
        (["ticket", "set", "ACME-1", "--source", "aliens"], "unknown problem source 'aliens'"),
        (["ticket", "set", "ACME-1", "--source", "partner-product", "--party", "nobody"], "unknown party"),
        (["contact", "set", "ACME", "x@y.ru", "--effective", "вчера"], "malformed --effective"),
        (["client", "add", "1-bad", "--name", "x"], "invalid client key"),
        (["ticket", "list", "--status", "sleeping"], "unknown status 'sleeping'"),
        (["ticket", "reject", "ACME-1", "--reason", "unreasonable", "-m", " "],
         "needs the explanation"),
        (["ticket", "reject", "ACME-1", "--reason", "unauthorized"], "does not apply"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(acme, args, fragment):
    acme.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "first")
    before = acme.ok("ticket", "show", "ACME-1", "--format", "json").json()
    result = acme(*args)
    assert result.exit_code == 2, result
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert acme.ok("ticket", "show", "ACME-1", "--format", "json").json() == before
    assert len(acme.ok("ticket", "list", "--format", "json").json()) == 1


def test_ten_megabyte_body_is_refused_cleanly(acme, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("я" * (5 * 1024 * 1024), encoding="utf-8")  # 10 MB of UTF-8
    result = acme("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "t",
                  "--body-file", str(big))
    assert result.exit_code == 2 and "the body is 10.0 MB; at most 1 MB" in result.stderr
    assert acme.ok("ticket", "list", "--format", "json").json() == []


def test_cyrillic_everywhere(tmp_path):
    cli = Cli(tmp_path / "ws")
    cli.ok("init", "--executor", "ООО «Программные Технологии»")
    cli.ok("client", "add", "РОГА", "--name", "Рога и копыта", "--contact", "иван@рога.рф")
    tid = cli.ok("ticket", "add", "--client", "рога", "--from", "Иван <иван@рога.рф>",
                 "--title", "Не открывается карточка «Контрагент»", "--body", "Ёжик — тест",
                 "--priority", "Низкий").stdout.strip()
    assert tid == "РОГА-1"
    shown = cli.ok("ticket", "show", tid, "--format", "json").json()
    assert shown["reporter"] == "иван@рога.рф" and shown["body"] == "Ёжик — тест"


def test_store_path_not_writable(tmp_path):
    cli = Cli(tmp_path / "ws", db="/proc/nope/store.db")
    (tmp_path / "ws").mkdir()
    result = cli("init")
    assert result.exit_code == 2 and "cannot open the store" in result.stderr


def test_postgres_url_that_does_not_answer_exits_75(tmp_path):
    pytest.importorskip("psycopg")
    cli = Cli(tmp_path / "ws")
    cli.ok("init")
    cli.db = "postgresql://postgres:hunter2@127.0.0.1:9/none"
    result = cli("ticket", "list")
    assert result.exit_code == 75
    assert "cannot connect to PostgreSQL" in result.stderr and "hunter2" not in result.stderr


def test_broken_config_reports_file_line_and_exit_2(cli):
    path = cli.home / "sla.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("critical: 30m", "critical: 30 minutes"),
                    encoding="utf-8")
    for args in (["client", "list"], ["ticket", "add", "--client", "X", "--from", "a@b.ru",
                                      "--title", "t"]):
        result = cli(*args)
        assert result.exit_code == 2
        assert result.stderr.startswith(f"sccli: error: {path}:")
        assert "reaction.targets.critical: '30 minutes' is not a duration" in result.stderr


def test_python_dash_m_and_fast_help():
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-m", "sccli", "--help"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0 and "ticket" in out.stdout
    # --help must not import the command modules (lazy loading keeps it fast).
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys; from sccli.cli import main\n"
         "try: main(['--help'])\nexcept SystemExit: pass\n"
         "bad = [m for m in sys.modules if m.startswith(('sccli.commands.', 'sccli.store', 'requests', 'tabulate', 'holidays', 'keyring'))]\n"
         "print(bad)"],
        capture_output=True, text=True, env=env, timeout=60)
    assert probe.stdout.strip().splitlines()[-1] == "[]"


def test_a_malformed_now_is_refused_by_every_command(acme):
    result = acme("ticket", "list", at="next tuesday")
    assert result.exit_code == 2 and "malformed --at 'next tuesday'" in result.stderr


def test_an_unexpected_store_error_is_one_line_and_temporary(acme, monkeypatch):
    import sqlite3

    from sccli.usecases import tickets as service

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(service, "add_ticket", broken)
    result = acme("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "t")
    assert result.exit_code == 75 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("sccli: error: the store refused the change (disk I/O error);"
                                     " nothing was written, try again")
