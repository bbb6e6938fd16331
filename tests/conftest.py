"""Shared fixtures: workspaces, both store backends, and a CLI runner with exit codes."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from sccli.cli import main

REQUIRE_SERVERS = os.environ.get("SCCLI_REQUIRE_SERVERS") == "1"
PG_URL = os.environ.get("SCCLI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:55432/test")


def server_missing(what: str, why: str) -> None:
    """Skip locally with the reason; fail in CI, where every server is required."""
    message = f"{what} is not available ({why}); start it with tests/servers/ scripts"
    if REQUIRE_SERVERS:
        pytest.fail(message + " — SCCLI_REQUIRE_SERVERS=1 makes this a failure")
    pytest.skip(message)


def _pg_available() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "the psycopg driver is not installed"
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        return str(exc).strip().splitlines()[0]
    return None


@pytest.fixture(scope="session")
def pg_server() -> str:
    why = _pg_available()
    if why:
        server_missing(f"PostgreSQL at {PG_URL}", why)
    return PG_URL


@pytest.fixture
def pg_url(pg_server: str):
    """A private schema per test on the real server (search_path set through the URL)."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in pg_server else "?"
    yield f"{pg_server}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def db_target(request, tmp_path: Path) -> str:
    """Each store test runs on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("pg_url")


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


class Cli:
    """Runs `sccli` in-process through the real entry point (so exit codes are real)."""

    def __init__(self, home: Path, db: str | None = None, env: dict[str, str] | None = None):
        self.home, self.db = home, db
        self.env = {"SCCLI_USER": "engineer", "NO_COLOR": "1", "SCCLI_LANG": "en", **(env or {})}

    def __call__(self, *args: str, input: str | None = None, at: str | None = None) -> Result:
        argv = ["--home", str(self.home)]
        if self.db:
            argv += ["--db", self.db]
        if at:
            argv += ["--at", at]
        argv += list(args)
        runner = CliRunner()
        with runner.isolation(input=input, env=self.env) as (out, err, *_):
            try:
                main(argv)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
            stdout = out.getvalue().decode()
            stderr = err.getvalue().decode() if err is not None else ""
        return Result(code, stdout, stderr)

    def ok(self, *args: str, **kw) -> Result:
        result = self(*args, **kw)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        return result


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    runner = Cli(tmp_path / "ws")
    runner.ok("init")
    return runner


@pytest.fixture
def cli_any(tmp_path: Path, db_target: str) -> Cli:
    """A workspace whose store is SQLite or PostgreSQL."""
    runner = Cli(tmp_path / "ws", db=db_target)
    runner.ok("init")
    return runner
