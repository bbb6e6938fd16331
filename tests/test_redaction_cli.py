"""The detector's limits as the CLI reports them: one line, exit 2, nothing stored."""

from __future__ import annotations

import pytest

from tests.conftest import Cli

NOW = "2026-11-25T11:00:00+03:00"


@pytest.fixture
def ws(tmp_path) -> Cli:
    cli = Cli(tmp_path / "ws", env={"SCCLI_NOW": NOW, "SCCLI_VAULT": "file"})
    cli.ok("init")
    cli.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru", at="2026-11-01")
    return cli


def add(ws: Cli, body_file: str):
    return ws("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "Logs",
              "--body-file", body_file, at="2026-11-25T10:00")


def test_a_body_with_too_many_credentials_is_refused_in_one_line(ws, tmp_path):
    body = tmp_path / "body.txt"
    body.write_text("".join(f"DB_PASSWORD=S3cr{i:05d}\n" for i in range(1001)), encoding="utf-8")
    refused = add(ws, str(body))
    assert refused.exit_code == 2
    assert refused.stderr == (
        "sccli: error: the text holds more than 1,000 different credentials; attach it as a"
        " file instead\n"
    )
    assert ws.ok("ticket", "list", "--format", "json").json() == []


def test_the_issue_formats_never_reach_the_store_in_clear(ws, tmp_path):
    body = tmp_path / "body.txt"
    body.write_text(
        '{"password": "Qw3rty!2024"}\nDB_PASSWORD=S3cretDb\nPGPASSWORD=Pg2024 psql -h db01\n'
        "mysql -u root -pS3cret bpm\nolga@acme.ru / secret\n<password>Xml#1</password>\n"
        "Tr0ub4dor&3 is my password\nActual result: Invalid login or password\nPlease fix",
        encoding="utf-8",
    )
    assert add(ws, str(body)).exit_code == 0
    shown = ws.ok("ticket", "show", "ACME-1", "--format", "json").json()
    assert shown["body"] == (
        '{"password": "[secret:ACME-1/1]"}\nDB_PASSWORD=[secret:ACME-1/2]\n'
        "PGPASSWORD=[secret:ACME-1/3] psql -h db01\nmysql -u root -p[secret:ACME-1/4] bpm\n"
        "olga@acme.ru / [secret:ACME-1/5]\n<password>[secret:ACME-1/6]</password>\n"
        "[secret:ACME-1/7] is my password\nActual result: Invalid login or password\nPlease fix"
    )
    store = (ws.home / "sccli.db").read_bytes()
    assert not [v for v in ("Qw3rty!2024", "S3cretDb", "Pg2024", "Tr0ub4dor&3") if v.encode() in store]
    listed = ws.ok("ticket", "secret", "ACME-1").stdout
    assert "[secret:ACME-1/7]  Tr0ub4dor&3" in listed
