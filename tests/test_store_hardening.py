"""The store is safe and its failures are classified right (the "Trust" issue).

* new store files (and SQLite's -wal/-shm, the sync lock) are 0600 whatever the umask;
* reads never wait for a writer; a write waits the busy timeout, then exits 75;
* migrations are serialized and idempotent: concurrent first commands all succeed;
* a SQLite file that is not an sccli store is refused, not filled with sccli's tables;
* damaged stores, a missing PostgreSQL database or role, a bad sslmode: exit 2, one line;
  a server that does not answer: 75;
* no message shows a URL's password, whatever the URL's shape.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import threading
import uuid
from pathlib import Path

import pytest

from sccli.errors import TEMPORARY, USAGE, SccliError
from sccli.store import failure, mask_url, open_store
from sccli.store.migrations import LATEST
from sccli.store.sqlite import SQLiteStore
from tests.conftest import PG_URL, Cli

NOW = "2026-11-25T12:00:00+03:00"
ENV = {"SCCLI_NOW": NOW, "SCCLI_VAULT": "file"}
FIX = "restore it from a backup or point --db elsewhere"


def one_error_line(result) -> str:
    """The single `sccli: error:` line of a failed command (no traceback, nothing else)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sccli: error: "), result.stderr
    return lines[0]


def workspace(tmp_path: Path, db: str | None = None) -> Cli:
    cli = Cli(tmp_path / "ws", db=db, env=dict(ENV))
    cli.ok("init")
    cli.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru", at="2026-11-01")
    cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "Login fails",
           "--body", "The login page shows error 500", "--priority", "high", at="2026-11-20T10:00")
    return cli


def free_port() -> int:
    """A local port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ------------------------------------------------------------------ files are private
def test_new_store_files_are_private_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        cli = Cli(tmp_path / "ws")
        cli.ok("init")
        db = tmp_path / "ws" / "sccli.db"
        assert mode(db) == 0o600
        store = open_store(str(tmp_path / "other.db"), tmp_path)
        try:
            with store.transaction():
                store.execute("INSERT INTO meta (key, value) VALUES ('probe', 'x')")
            assert store.try_sync_lock()
            files = [Path(store.location + suffix) for suffix in ("", "-wal", "-shm",
                                                                  ".sync.lock")]
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        finally:
            store.close()
    finally:
        os.umask(old)


# ------------------------------------------------------------------ reads never wait
@pytest.fixture
def short_busy_timeout(monkeypatch):
    """A read that waited for the writer would fail with 75 after half a second."""
    monkeypatch.setattr(SQLiteStore, "busy_timeout", 0.5)


def run_in_thread(cli: Cli, *args: str):
    """Run a command; fail (not hang) if it does not finish in a generous time."""
    out = []
    thread = threading.Thread(target=lambda: out.append(cli(*args)), daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), f"sccli {' '.join(args)} waited for the writer"
    return out[0]


def test_reads_do_not_wait_for_a_writer_and_a_write_is_temporary(tmp_path, short_busy_timeout):
    cli = workspace(tmp_path)
    writer = sqlite3.connect(tmp_path / "ws" / "sccli.db", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # e.g. a sync waiting on a keyring prompt
        writer.execute("INSERT INTO journal (at, action) VALUES ('2026-11-25', 'held')")
        for args in (("ticket", "list"), ("triage",), ("sla", "check")):
            result = run_in_thread(cli, *args)
            assert result.exit_code in (0, 1), (args, result.stderr)
        assert "ACME-1" in run_in_thread(cli, "ticket", "list").stdout
        write = run_in_thread(cli, "ticket", "respond", "ACME-1", "-m", "On it")
        assert write.exit_code == TEMPORARY and "busy" in one_error_line(write)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    cli.ok("ticket", "respond", "ACME-1", "-m", "On it")


# ------------------------------------------------------------------ migrations race
def fresh_targets(kind: str, tmp_path: Path, trials: int) -> list[str]:
    if kind == "sqlite":
        return [str(tmp_path / f"race{n}.db") for n in range(trials)]
    import psycopg

    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {PG_URL} is not available ({exc})")
    urls = []
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for _ in range(trials):
            schema = f"t_{uuid.uuid4().hex[:12]}"
            conn.execute(f'CREATE SCHEMA "{schema}"')
            sep = "&" if "?" in PG_URL else "?"
            urls.append(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
    return urls


def drop_schemas(urls: list[str]) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for url in urls:
            conn.execute(f'DROP SCHEMA "{url.rsplit("%3D", 1)[1]}" CASCADE')


def open_at_once(target: str, home: Path, n: int = 4) -> tuple[list[int], list[BaseException]]:
    """``n`` first commands on one new store at the same instant: their versions, errors."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []
    versions: list[int] = []

    def first_command() -> None:
        try:
            barrier.wait(timeout=10)
            store = open_store(target, home)
            try:
                versions.append(store.schema_version())
                store.instance_id()
            finally:
                store.close()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=first_command) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return versions, errors


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_concurrent_first_opens_all_succeed(kind, tmp_path):
    targets = fresh_targets(kind, tmp_path, trials=5)
    try:
        for target in targets:
            versions, errors = open_at_once(target, tmp_path)
            assert errors == [] and versions == [LATEST] * 4
            again = open_store(target, tmp_path)  # idempotent: a later open changes nothing
            try:
                assert again.migrate() == LATEST
                rows = again.query("SELECT key FROM meta ORDER BY key")
                assert [r["key"] for r in rows] == ["schema_version", "store_id"]
            finally:
                again.close()
    finally:
        if kind == "postgres":
            drop_schemas(targets)


def test_a_migration_rereads_the_version_under_the_lock(db_target, tmp_path, monkeypatch):
    """Read version 1, then another sccli migrates while this one waits for the lock:
    under the lock it finds the work done and runs no step twice."""
    slow = open_store(db_target, tmp_path, migrate=False)
    assert slow.migrate(target=1) == 1
    begin = slow._begin

    def another_sccli_first() -> None:
        monkeypatch.setattr(slow, "_begin", begin)
        open_store(db_target, tmp_path).close()  # migrates to LATEST
        begin()

    monkeypatch.setattr(slow, "_begin", another_sccli_first)
    try:
        assert slow.migrate() == LATEST
    finally:
        slow.close()


# ------------------------------------------------------------------ foreign SQLite files
def test_a_foreign_sqlite_file_is_refused_and_left_alone(tmp_path):
    foreign = tmp_path / "photos.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE albums (id INTEGER PRIMARY KEY, title TEXT)")
    conn.commit()
    conn.close()
    cli = Cli(tmp_path / "ws", db=str(foreign))
    result = cli("init")
    assert result.exit_code == USAGE
    line = one_error_line(result)
    assert str(foreign) in line and "not an sccli store" in line
    conn = sqlite3.connect(foreign)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    conn.close()
    assert names == ["albums"]


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_a_missing_or_empty_file_is_a_new_store(tmp_path, make):
    path = tmp_path / "sub" / "new.db"
    if make == "empty":
        path.parent.mkdir()
        path.touch()
    cli = Cli(tmp_path / "ws", db=str(path))
    cli.ok("init")
    assert "no tickets" in cli.ok("ticket", "list").stdout


# ------------------------------------------------------------------ damaged stores
def _garbage_with_header(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _sql(*statements: str):
    def damage(path: Path) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = OFF")
        for sql in statements:
            conn.execute(sql)
        conn.close()

    return damage


def _overwrite_pages(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    size = path.stat().st_size
    with path.open("r+b") as fh:  # keep page 1 (the schema), scramble the rest
        fh.seek(4096)
        fh.write(b"\x7f" * (size - 4096))


DAMAGES = {
    "random bytes after a SQLite header": (_garbage_with_header, FIX),
    "not a database at all": (_garbage, FIX),
    "tickets table dropped": (_sql("DROP TABLE tickets"), FIX),
    "a column dropped (schema mismatch)": (
        _sql("DROP INDEX tickets_status", "ALTER TABLE tickets DROP COLUMN status"), FIX),
    "pages overwritten": (_overwrite_pages, FIX),
    "no schema version": (_sql("DELETE FROM meta WHERE key = 'schema_version'"), FIX),
    "a schema version that is no number": (
        _sql("UPDATE meta SET value = 'v4' WHERE key = 'schema_version'"), FIX),
    "a newer schema version": (
        _sql("UPDATE meta SET value = '99' WHERE key = 'schema_version'"), "upgrade sccli"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_sqlite_store_is_one_line_exit_2(tmp_path, damage):
    cli = workspace(tmp_path)
    db = tmp_path / "ws" / "sccli.db"
    make, fix = DAMAGES[damage]
    make(db)
    for args in (("ticket", "list", "--status", "open"), ("sla", "check")):
        result = cli(*args)
        assert result.exit_code == USAGE, (damage, args, result.stderr)
        line = one_error_line(result)
        assert fix in line and str(db) in line


@pytest.mark.parametrize("sql", [
    "DROP TABLE tickets CASCADE",
    "ALTER TABLE tickets DROP COLUMN status",
])
def test_a_damaged_postgres_store_is_one_line_exit_2(tmp_path, pg_url, sql):
    import psycopg

    cli = workspace(tmp_path, db=pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(sql)
    result = cli("ticket", "list", "--status", "open")
    assert result.exit_code == USAGE, result.stderr
    assert FIX in one_error_line(result)


def test_escaped_store_errors_are_classified():
    """What the store does not catch itself still gets the right code (sccli.cli.main)."""
    assert failure(sqlite3.DatabaseError("database disk image is malformed")).exit_code == USAGE
    assert failure(sqlite3.OperationalError("no such table: tickets")).exit_code == USAGE
    assert failure(sqlite3.OperationalError("database is locked")).exit_code == TEMPORARY
    assert failure(sqlite3.IntegrityError("UNIQUE constraint failed")).exit_code == TEMPORARY


# ------------------------------------------------------------------ PostgreSQL problems
def _pg(url_tail: str, base: str = PG_URL) -> str:
    return base.rsplit("/", 1)[0] + "/" + url_tail


@pytest.mark.parametrize("case", ["missing database", "missing role", "bad sslmode",
                                  "sslmode the server cannot do", "unknown parameter"])
def test_postgres_configuration_errors_are_permanent(tmp_path, pg_server, case):
    url = {
        "missing database": _pg(f"nodb_{uuid.uuid4().hex[:8]}"),
        "missing role": _pg("test").replace("://postgres@", "://nobody_xyz@"),
        "bad sslmode": _pg("test?sslmode=bogus"),
        "sslmode the server cannot do": _pg("test?sslmode=require"),
        "unknown parameter": _pg("test?sslmod=disable"),
    }[case]
    result = Cli(tmp_path / "ws", db=url)("init")
    assert result.exit_code == USAGE, result.stderr
    one_error_line(result)


def test_postgres_server_down_is_temporary(tmp_path):
    pytest.importorskip("psycopg")
    result = Cli(tmp_path / "ws", db=f"postgresql://postgres@127.0.0.1:{free_port()}/x")("init")
    assert result.exit_code == TEMPORARY, result.stderr
    assert "cannot connect to PostgreSQL" in one_error_line(result)


# ------------------------------------------------------------------ masking
SECRET_HEAD, SECRET_TAIL = "Hunter2Zq", "Kestrel9Vx"  # a password's two halves, planted


def planted_urls(port: int) -> list[str]:
    h, t = SECRET_HEAD, SECRET_TAIL
    return [
        f"postgresql://postgres:{h}{t}@[::1:55432/x",
        f"postgresql://postgres:{h}@{t}@127.0.0.1:{port}/test",
        f"postgresql://postgres:{h}%40{t}@127.0.0.1:{port}/test",
        f"postgresql://postgres:{h}:{t}@127.0.0.1:{port}/nodb_zz",
        f"postgresql://postgres:{h}/{t}@127.0.0.1:{port}/test",
        f"postgresql://postgres:{h} {t}@127.0.0.1:{port}/test",
        f"postgresql://postgres:{h}%zz{t}@127.0.0.1:{port}/test",
        f"postgresql://postgres:{h}{t}@127.0.0.1:notaport/test",
        f"postgresql://postgres:{h}{t}@127.0.0.1:{port}/test?sslmode=bogus",
        f"postgresql://postgres:{h}{t}@127.0.0.1:{port}/test?foo=bar",
        f"postgresql://user@domain:{h}@{t}@127.0.0.1:{port}/test",
        f"postgresql://127.0.0.1:{port}/test?user=postgres&password={h}{t}&foo=1",
        f"postgresql:/postgres:{h}{t}@127.0.0.1/test",
        f"POSTGRESQL://postgres:{h}{t}@127.0.0.1/test",
        f"mysql://root:{h}@{t}@127.0.0.1/test",
    ]


@pytest.mark.parametrize("server", ["up", "down"])
def test_no_message_shows_the_password_of_a_url(tmp_path, server):
    pytest.importorskip("psycopg")
    port = int(PG_URL.rsplit(":", 1)[1].split("/")[0]) if server == "up" else free_port()
    for url in planted_urls(port):
        result = Cli(tmp_path / "ws", db=url)("init")
        shown = result.stdout + result.stderr
        assert result.exit_code != 0 or SECRET_HEAD not in shown  # 'PA:SS' may connect
        for piece in (SECRET_HEAD, SECRET_TAIL):
            assert piece not in shown, (url, shown)
        if result.exit_code:
            one_error_line(result)


@pytest.mark.parametrize("text", [
    "postgresql://postgres:Pw0rd9Xq@[::1:55432/x",
    'failed: "postgres://u:Pw0rd9Xq@Tail77Ab@host/db" is bad',
    "conninfo host=h password=Pw0rd9Xq dbname=x",
    "conninfo host=h password='Pw0rd9Xq Tail77Ab' dbname=x",
    "https://token:Pw0rd9Xq@api.example/x and more",
])
def test_mask_url_masks_any_shape(text):
    masked = mask_url(text)
    assert "Pw0rd9Xq" not in masked and "Tail77Ab" not in masked and "***" in masked


def test_an_escaped_driver_error_quoting_a_url_is_masked():
    psycopg = pytest.importorskip("psycopg")
    error = failure(psycopg.OperationalError(
        "server closed: postgresql://svc:Pw0rd9Xq@db.example/x\nmore"))
    assert isinstance(error, SccliError) and error.exit_code == TEMPORARY
    assert "Pw0rd9Xq" not in str(error)
