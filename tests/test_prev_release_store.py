"""Stores written by the previous release (c5a30c3) open unchanged and read identically.

The fixture in tests/fixtures/prev_release/ was written by that release's code (see its
README.md and make_fixture.sh): a SQLite workspace and the same history as a PostgreSQL
dump, plus the golden stdout and exit code of each read at a fixed instant. Every case
runs on a fresh copy, on both backends, and the rows the old code wrote must stay as
they were.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Cli

FIXTURE = Path(__file__).parent / "fixtures" / "prev_release"
WORKSPACE = FIXTURE / "workspace"
GOLDEN = FIXTURE / "golden"
SPEC = json.loads((GOLDEN / "cases.json").read_text(encoding="utf-8"))
NOW = SPEC["at"]
CASES = {case["name"]: case for case in SPEC["cases"]}

EVENT_ROWS = (
    "SELECT ticket_id, seq, kind, at, actor, data, recorded_at FROM events ORDER BY ticket_id, seq"
)
# What the old release wrote that the two backends share (the tracker URLs and the local
# trackers' wall-clock stamps in links, cursors and journal differ between the two builds).
# The schema version is left out: a newer sccli may upgrade the store in place.
SHARED_ROWS = {
    "meta": "SELECT key, value FROM meta WHERE key <> 'schema_version' ORDER BY key",
    "clients": "SELECT key, name, system_url, hosting, created_at, next_seq FROM clients"
    " ORDER BY key",
    "contacts": "SELECT id, client, email, name, effective, notice, recorded_at FROM contacts"
    " ORDER BY id",
    "tickets": "SELECT id, client, seq, reporter, title, body, channel, on_behalf,"
    " registered_at, status FROM tickets ORDER BY id",
    "events": EVENT_ROWS,
    "comment_map": "SELECT ticket_id, tracker, remote_comment_id, event_seq, direction,"
    " created_at FROM comment_map ORDER BY tracker, remote_comment_id",
    "sync_intents": "SELECT id, ticket_id, tracker, kind, key, state, created_at"
    " FROM sync_intents ORDER BY id",
}
# Every event kind of the old release, each with the data keys it wrote.
OLD_EVENT_KEYS = {
    "registered": {"priority", "channel", "on_behalf", "reporter", "secrets"},
    "responded": {"message"},
    "asked": {"message", "missing"},
    "answered": {"message", "secrets"},
    "priority-changed": {"priority", "previous", "rule"},
    "source-set": {"source", "party"},
    "estimate-set": {"estimate", "reason"},
    "resolved": {"message"},
    "accepted": {"message"},
    "auto-accepted": set(),
    "reopened": {"message"},
    "rejected": {"reason", "message"},
    "reordered": {"position", "before", "agreed_by"},
    "note": {"message", "public", "origin", "author", "remote", "verify", "secrets"},
}


def sqlite_rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(row) for row in conn.execute(sql)]
    finally:
        conn.close()


def pg_rows(url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as conn:
        return [tuple(row) for row in conn.execute(sql)]


class Workspace:
    """A fresh copy of the old workspace on one backend, with the old rows at hand."""

    def __init__(self, home: Path, db: str | None):
        self.home, self.db = home, db
        env = {"SCCLI_NOW": NOW, "SCCLI_VAULT": "file", "SCCLI_VAULT_KEY": ""}
        self.cli = Cli(home, db=db, env=env)

    def rows(self, sql: str) -> list[tuple]:
        if self.db:
            return pg_rows(self.db, sql)
        return sqlite_rows(self.home / "sccli.db", sql)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_workspace(request, tmp_path: Path) -> Workspace:
    home = tmp_path / "ws"
    shutil.copytree(WORKSPACE, home)
    if request.param == "sqlite":
        return Workspace(home, None)
    url = request.getfixturevalue("pg_url")
    import psycopg

    (home / "sccli.db").unlink()  # the store is the PostgreSQL schema, nothing else
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute((FIXTURE / "postgres.sql").read_text(encoding="utf-8"))
    return Workspace(home, url)


@pytest.mark.parametrize("name", list(CASES))
def test_old_store_reads_like_the_old_release(old_workspace: Workspace, name: str):
    case = CASES[name]
    before = old_workspace.rows(EVENT_ROWS)

    result = old_workspace.cli(*case["args"], at=NOW)

    assert result.exit_code == case["exit_code"], (result.stdout, result.stderr)
    golden = (GOLDEN / name).read_text(encoding="utf-8")
    if name.endswith(".json"):
        assert json.loads(result.stdout) == json.loads(golden)
    else:
        assert result.stdout == golden
    assert old_workspace.rows(EVENT_ROWS) == before


def test_reading_everything_rewrites_no_old_row(old_workspace: Workspace):
    before = {table: old_workspace.rows(sql) for table, sql in SHARED_ROWS.items()}
    assert before["events"] == sqlite_rows(WORKSPACE / "sccli.db", EVENT_ROWS)

    for case in CASES.values():
        assert old_workspace.cli(*case["args"], at=NOW).exit_code == case["exit_code"]

    after = {table: old_workspace.rows(sql) for table, sql in SHARED_ROWS.items()}
    # A newer sccli may add meta rows, never change the old ones (store_id names the vault).
    old_keys = {row[0] for row in before["meta"]}
    after["meta"] = [row for row in after["meta"] if row[0] in old_keys]
    assert after == before


@pytest.mark.postgres
def test_postgres_dump_holds_the_sqlite_history(pg_url: str):
    """One set of golden outputs serves both backends because the old rows are the same."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute((FIXTURE / "postgres.sql").read_text(encoding="utf-8"))
    for table, sql in SHARED_ROWS.items():
        assert pg_rows(pg_url, sql) == sqlite_rows(WORKSPACE / "sccli.db", sql), table


def test_fixture_covers_every_old_event_kind_and_key():
    keys: dict[str, set[str]] = {}
    for kind, data in sqlite_rows(WORKSPACE / "sccli.db", "SELECT kind, data FROM events"):
        keys.setdefault(kind, set()).update(json.loads(data))
    assert keys == OLD_EVENT_KEYS
    assert not list(WORKSPACE.glob("*-wal")) and not list(WORKSPACE.glob("*-shm"))
