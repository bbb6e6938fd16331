"""Secrets stay safe when things fail: a missing vault, a fallback between backends, a full
disk while the key is written, a keyring that blocks, thousands of secrets at once, and the
client's own texts (contact notices, a system URL with a password).

Each case runs through the real entry point where it can (``Cli``); the vault backends are
the encrypted file or a stand-in keyring backend.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from sccli import fileio, secrets
from tests.conftest import Cli

PASSWORD = "Qwerty-123"
URL_PASSWORD = "S3cret"
BODY = "Вход: логин: admin пароль: Zx-778899q"


def one_line(result, code: int) -> str:
    """The single stderr line of a failed run: exit code, prefix, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("sccli: error: "), lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


@pytest.fixture
def ws(tmp_path: Path) -> Cli:
    """A workspace with client ACME; secrets in the encrypted file, its key in vault.key."""
    cli = Cli(tmp_path / "ws", env={"SCCLI_VAULT": "file", "SCCLI_VAULT_KEY": None})
    cli.ok("init")
    cli.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru")
    return cli


def add_ticket(cli: Cli, body: str = BODY):
    return cli("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "Вход",
               "--body", body)


class MemoryKeyring:
    """A stand-in OS keyring backend (its class name shows in messages)."""

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}
        self.threads: set[int] = set()

    def get_password(self, service: str, name: str) -> str | None:
        return self.store.get((service, name))

    def set_password(self, service: str, name: str, value: str) -> None:
        self.threads.add(threading.get_ident())
        self.store[(service, name)] = value


def store_bytes(cli: Cli) -> str:
    """Everything in the workspace but the vault: the store, its WAL, logs."""
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace")
        for p in cli.home.rglob("*")
        if p.is_file() and not p.name.startswith("vault.")
    )


# --- ticket secret: a value not held here is an error, never a blank -----------------------


def test_ticket_secret_with_a_deleted_vault_file(ws: Cli) -> None:
    ws.ok(*add_ticket_args())
    (ws.home / "vault.json").unlink()
    result = ws("ticket", "secret", "ACME-1")
    line = one_line(result, 2)
    assert "ACME-1: its secret ([secret:ACME-1/1]) not available on this machine" in line
    assert "vault.json does not exist" in line and "restore vault.json from a backup" in line
    assert result.stdout == ""
    one_line(ws("ticket", "secret", "ACME-1", "--format", "json"), 2)


def add_ticket_args(body: str = BODY) -> tuple[str, ...]:
    return ("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "Вход",
            "--body", body)


def test_ticket_secret_after_a_fallback_from_keyring_to_file(
    ws: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recorded in the OS keyring; later no keyring backend is usable and sccli falls back
    to the encrypted file, which does not hold the value."""
    fake = MemoryKeyring()
    monkeypatch.setattr(secrets, "_usable_keyring", lambda: fake)
    ws.env["SCCLI_VAULT"] = "auto"
    ws.ok(*add_ticket_args())
    assert "Zx-778899q" in ws.ok("ticket", "secret", "ACME-1").stdout

    monkeypatch.setattr(secrets, "_usable_keyring", lambda: None)
    result = ws("ticket", "secret", "ACME-1")
    line = one_line(result, 2)
    assert "not available on this machine" in line
    assert "no OS keyring backend is usable now" in line and "Zx-778899q" not in result.stdout


def test_ticket_secret_shows_what_is_here_and_fails_for_the_rest(
    ws: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#1 in the encrypted file, #2 recorded with the keyring: reading with the file shows
    #1 and fails (2) naming #2."""
    ws.ok(*add_ticket_args())
    fake = MemoryKeyring()
    monkeypatch.setattr(secrets, "_usable_keyring", lambda: fake)
    ws.env["SCCLI_VAULT"] = "keyring"
    ws.ok("ticket", "respond", "ACME-1", "-m", "Новый пароль: Kk-112233z")
    ws.env["SCCLI_VAULT"] = "file"
    result = ws("ticket", "secret", "ACME-1", "--format", "json")
    assert result.exit_code == 2
    assert result.json() == [{"reference": "[secret:ACME-1/1]", "value": "Zx-778899q"}]
    error = result.stderr.splitlines()[-1]
    assert error.startswith("sccli: error: ACME-1: 1 of its 2 secrets ([secret:ACME-1/2]) not"
                            " available on this machine (the other 1 are shown)")
    assert "retry without SCCLI_VAULT=file" in error


# --- the vault key: written atomically, a broken one diagnosed -----------------------------


def test_an_empty_key_file_is_diagnosed_with_its_fix(ws: Cli) -> None:
    (ws.home / "vault.key").write_bytes(b"")
    line = one_line(add_ticket(ws), 2)
    key = ws.home / "vault.key"
    assert f"the vault key {key} is empty (0 bytes" in line
    assert f"delete it (rm {key}) and retry" in line
    assert ws.ok("ticket", "list", "--format", "json").json() == []  # nothing stored in clear
    key.unlink()  # the fix works
    ws.ok(*add_ticket_args())


def test_a_damaged_key_with_secrets_behind_it_says_restore(ws: Cli) -> None:
    ws.ok(*add_ticket_args())
    key = ws.home / "vault.key"
    key.write_bytes(key.read_bytes()[:10])  # truncated
    line = one_line(ws("ticket", "secret", "ACME-1"), 2)
    assert "does not hold a valid key (10 bytes" in line
    assert "holds 1 secret(s) encrypted with the original key: restore vault.key" in line
    assert "rm " not in line


def test_a_full_disk_while_the_key_is_first_written_leaves_no_key(
    ws: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fdopen = os.fdopen

    class FullDisk:
        """A file whose writes fail as on a full disk."""

        def __init__(self, fh) -> None:
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.fh.close()

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name: str):
            return getattr(self.fh, name)

    with monkeypatch.context() as m:
        m.setattr(os, "fdopen", lambda fd, *a, **kw: FullDisk(real_fdopen(fd, *a, **kw)))
        line = one_line(add_ticket(ws), 75)
    assert "cannot write the vault key" in line and "No space left on device" in line
    assert "nothing was recorded" in line
    assert not (ws.home / "vault.key").exists()  # no 0-byte key left behind
    assert not [p for p in ws.home.iterdir() if p.name.endswith(".tmp")]
    assert ws.ok("ticket", "list", "--format", "json").json() == []
    # once there is space again, the next command works without anyone fixing anything
    assert ws.ok(*add_ticket_args()).stdout.strip() == "ACME-2"  # ACME-1 stays unused
    assert "Zx-778899q" in ws.ok("ticket", "secret", "ACME-2").stdout


def test_vault_and_key_files_are_private_whatever_the_umask(ws: Cli) -> None:
    old = os.umask(0o022)
    try:
        ws.ok(*add_ticket_args())
    finally:
        os.umask(old)
    for name in ("vault.key", "vault.json", "vault.json.lock"):
        mode = stat.S_IMODE((ws.home / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))


# --- a keyring that blocks: a timeout, and never while holding the store's lock ------------


class BlockingKeyring(MemoryKeyring):
    """A backend whose calls hang (a locked collection waiting for a prompt nobody sees).

    While hanging it checks that another sccli could write the store right now."""

    def __init__(self, store: Path) -> None:
        super().__init__()
        self.db = store
        self.release = threading.Event()
        self.store_writable: list[bool] = []

    def _hang(self) -> None:
        conn = sqlite3.connect(self.db, timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            self.store_writable.append(True)
        except sqlite3.OperationalError:  # "database is locked": held by the command
            self.store_writable.append(False)
        finally:
            conn.close()
        self.release.wait(5)

    def set_password(self, service: str, name: str, value: str) -> None:
        self._hang()
        super().set_password(service, name, value)

    def get_password(self, service: str, name: str) -> str | None:
        self._hang()
        return super().get_password(service, name)


@pytest.fixture
def blocking(ws: Cli, monkeypatch: pytest.MonkeyPatch):
    backend = BlockingKeyring(ws.home / "sccli.db")
    monkeypatch.setattr(secrets, "_usable_keyring", lambda: backend)
    monkeypatch.setattr(secrets, "KEYRING_TIMEOUT", 0.5, raising=False)
    ws.env["SCCLI_VAULT"] = "keyring"
    try:
        yield backend
    finally:
        backend.release.set()


def test_a_blocking_keyring_fails_ticket_add_promptly_without_the_store_lock(
    ws: Cli, blocking: BlockingKeyring
) -> None:
    line = one_line(add_ticket(ws), 75)
    assert "the OS keyring did not answer within 0.5 s" in line
    assert "unlock it, or set SCCLI_VAULT=file" in line
    assert blocking.store_writable == [True]  # nobody held the store while it hung
    # other writers go on, and nothing was recorded (no clear text, no reference)
    ws.ok("client", "add", "VEGA", "--name", "Vega")
    assert ws.ok("ticket", "list", "--format", "json").json() == []


def test_a_blocking_keyring_fails_a_step_promptly_without_the_store_lock(
    ws: Cli, blocking: BlockingKeyring
) -> None:
    ws.env["SCCLI_VAULT"] = "file"
    ws.ok(*add_ticket_args("Не открывается форма"))
    ws.env["SCCLI_VAULT"] = "keyring"
    line = one_line(ws("ticket", "respond", "ACME-1", "-m", "пароль: Pp-445566w"), 75)
    assert "did not answer" in line
    assert blocking.store_writable == [True]
    assert "Pp-445566w" not in store_bytes(ws)
    assert ws.ok("ticket", "show", "ACME-1", "--format", "json").json()["status"] == "new"


def test_a_blocking_keyring_fails_ticket_secret_promptly(
    ws: Cli, monkeypatch: pytest.MonkeyPatch, blocking: BlockingKeyring
) -> None:
    fake = MemoryKeyring()
    monkeypatch.setattr(secrets, "_usable_keyring", lambda: fake)
    ws.ok(*add_ticket_args())
    monkeypatch.setattr(secrets, "_usable_keyring", lambda: blocking)
    line = one_line(ws("ticket", "secret", "ACME-1"), 75)
    assert "did not answer within 0.5 s (reading [secret:ACME-1/1])" in line


# --- thousands of secrets: one vault write per text, one keyring worker ---------------------


def vault_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the atomic writes of vault files (each rewrites and re-encrypts the file)."""
    writes: list[str] = []
    real = fileio.atomic_write

    def counting(path: Path, *args, **kwargs) -> None:
        if Path(path).name.startswith("vault."):
            writes.append(Path(path).name)
        real(path, *args, **kwargs)

    monkeypatch.setattr(fileio, "atomic_write", counting)
    return writes


def many_secrets(n: int, tag: str = "") -> str:
    return "\n".join(f"логин: user{i} пароль: Qw-{tag}{i:06d}x" for i in range(n))


@pytest.mark.parametrize("count", [3, 1000])
def test_a_ticket_with_many_secrets_writes_the_vault_once(
    ws: Cli, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    ws.ok(*add_ticket_args())  # the key exists: only vault.json writes are counted below
    writes = vault_writes(monkeypatch)
    ws.ok(*add_ticket_args(many_secrets(count)))
    assert writes == ["vault.json"]
    shown = ws.ok("ticket", "secret", "ACME-2", "--format", "json").json()
    assert len(shown) == count and shown[-1]["value"] == f"Qw-{count - 1:06d}x"


def test_five_thousand_secrets_of_one_write_are_one_vault_batch(
    ws: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A detector caps one text at 1,000 secrets: five such texts moved in one write."""
    from sccli.app import App
    from sccli.usecases import tickets

    ws.ok(*add_ticket_args())
    app = App(str(ws.home))
    writes = vault_writes(monkeypatch)
    texts = [many_secrets(1000, tag=f"{k}-") for k in range(5)]
    clean, moved = tickets.move_secrets(app, "ACME-1", texts,
                                        lambda: list(tickets.load(app, "ACME-1").texts))
    assert moved == 5000 and writes == ["vault.json"]
    assert clean[0].splitlines()[0] == "логин: user0 пароль: [secret:ACME-1/2]"
    assert app.vault.get("[secret:ACME-1/5001]") == "Qw-4-000999x"
    app.close()


def test_keyring_writes_go_in_one_worker(ws: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = MemoryKeyring()
    monkeypatch.setattr(secrets, "_usable_keyring", lambda: fake)
    ws.env["SCCLI_VAULT"] = "keyring"
    ws.ok(*add_ticket_args(many_secrets(500)))
    assert len(fake.store) == 500
    assert len(fake.threads) == 1 and threading.get_ident() not in fake.threads


# --- reference numbers: reserved before the vault is written -------------------------------


def test_numbers_reserved_by_another_writer_are_never_reused(ws: Cli) -> None:
    """Another sccli reserved ACME-1's #2 and #3 and is writing its vault: a step recorded
    meanwhile takes #4, and leaves the other writer's entries alone."""
    from sccli.app import App
    from sccli.usecases import tickets

    ws.ok(*add_ticket_args())
    app = App(str(ws.home))
    assert tickets.reserve_secret_numbers(app, "ACME-1", 2, 1) == 2
    app.vault.put_many([("[secret:ACME-1/2]", "theirs-2"), ("[secret:ACME-1/3]", "theirs-3")])
    app.close()
    ws.ok("ticket", "respond", "ACME-1", "-m", "пароль: Mine-7788x")
    shown = ws.ok("ticket", "show", "ACME-1", "--format", "json").stdout
    assert "[secret:ACME-1/4]" in shown
    app = App(str(ws.home))
    assert app.vault.get_many(["[secret:ACME-1/2]", "[secret:ACME-1/4]"]) == {
        "[secret:ACME-1/2]": "theirs-2", "[secret:ACME-1/4]": "Mine-7788x"}
    app.close()


def test_a_refused_step_writes_nothing_to_the_vault(
    ws: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.ok(*add_ticket_args())
    writes = vault_writes(monkeypatch)
    result = ws("ticket", "respond", "ACME-1", "-m", "пароль: Late-5566x", at="2000-01-01")
    assert result.exit_code == 2 and "before the ticket's last event" in result.stderr
    assert writes == []


# --- the client's texts: contact notices, names, the system URL ----------------------------


def test_contact_notice_and_system_url_never_store_or_print_the_value(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "ws", env={"SCCLI_VAULT": "file", "SCCLI_VAULT_KEY": None})
    cli.ok("init")
    outputs = []

    def run(*args: str) -> str:
        result = cli.ok(*args)
        outputs.append(result.stdout + result.stderr)
        return result.stdout

    run("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru",
        "--system-url", f"https://admin:{URL_PASSWORD}@crm.acme.ru")
    run("contact", "set", "ACME", "olga@acme.ru", "--name", "Olga", "--notice",
        f"пароль: {PASSWORD}")
    for fmt in ("table", "json", "csv"):
        run("client", "list", "--format", fmt)
        run("contact", "show", "ACME", "--history", "--format", fmt)
    shown = "\n".join(outputs)
    assert PASSWORD not in shown and URL_PASSWORD not in shown
    stored = store_bytes(cli)
    assert PASSWORD not in stored and URL_PASSWORD not in stored
    db = sqlite3.connect(cli.home / "sccli.db")
    try:
        assert db.execute("SELECT system_url FROM clients").fetchone()[0] == (
            "https://admin:[secret:client-ACME/1]@crm.acme.ru")  # the login stays
        notices = [r[0] for r in db.execute("SELECT notice FROM contacts ORDER BY id")]
        assert notices == ["initial contact", "пароль: [secret:client-ACME/2]"]
    finally:
        db.close()
    # the engineer who asks sees them
    assert cli.ok("client", "secret", "ACME", "--format", "json").json() == [
        {"reference": "[secret:client-ACME/1]", "value": URL_PASSWORD},
        {"reference": "[secret:client-ACME/2]", "value": PASSWORD},
    ]


def test_a_url_password_is_taken_whole_and_never_echoed(ws: Cli) -> None:
    ws.ok("client", "add", "NORD", "--name", "Nord",
          "--system-url", "https://admin:p@ss/W0rd@crm.nord.ru/app")
    listed = ws.ok("client", "list", "--format", "json").json()
    assert {c["key"]: c["system_url"] for c in listed}["NORD"] == (
        "https://admin:[secret:client-NORD/1]@crm.nord.ru/app")
    assert ws.ok("client", "secret", "NORD", "--format", "json").json()[0]["value"] == "p@ss/W0rd"
    line = one_line(ws("client", "add", "VEGA", "--name", "Vega",
                       "--system-url", "https://admin:Hidden-123@crm vega"), 2)
    assert "Hidden-123" not in line and "invalid --system-url 'https://admin:" in line


def test_a_client_name_goes_through_the_same_redaction(ws: Cli) -> None:
    ws.ok("client", "add", "NORD", "--name", "Nord (пароль: Nn-998877x)")
    assert "Nn-998877x" not in store_bytes(ws)
    assert ws.ok("client", "secret", "NORD", "--format", "json").json()[0]["value"] == "Nn-998877x"


def test_client_secret_with_a_deleted_vault(ws: Cli) -> None:
    ws.ok("contact", "set", "ACME", "olga@acme.ru", "--notice", f"пароль: {PASSWORD}")
    (ws.home / "vault.json").unlink()
    line = one_line(ws("client", "secret", "ACME"), 2)
    assert "ACME: its secret ([secret:client-ACME/1]) not available on this machine" in line


def test_an_existing_client_is_refused_before_its_secrets_are_touched(
    ws: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.ok("client", "add", "NORD", "--name", "Nord", "--system-url", "https://a:First-1x@n.ru")
    writes = vault_writes(monkeypatch)
    result = ws("client", "add", "NORD", "--name", "Nord", "--system-url",
                "https://a:Second-2x@n.ru")
    assert result.exit_code == 2 and "already exists" in result.stderr and writes == []
    assert ws.ok("client", "secret", "NORD", "--format", "json").json()[0]["value"] == "First-1x"


def test_reserved_numbers_on_both_backends(cli_any: Cli) -> None:
    """The reservation counter (a meta row, insert-if-absent then SELECT … FOR UPDATE)
    works on SQLite and on PostgreSQL."""
    cli_any.env.update({"SCCLI_VAULT": "file", "SCCLI_VAULT_KEY": None})
    cli_any.ok("client", "add", "ACME", "--name", "Acme", "--contact", "it@acme.ru",
               "--system-url", f"https://admin:{URL_PASSWORD}@crm.acme.ru")
    cli_any.ok("contact", "set", "ACME", "olga@acme.ru", "--notice", f"пароль: {PASSWORD}")
    cli_any.ok(*add_ticket_args())
    cli_any.ok("ticket", "respond", "ACME-1", "-m", "пароль: Rr-101010x")
    cli_any.ok("ticket", "note", "ACME-1", "-m", "пароль: Ss-202020x")
    assert [r["reference"] for r in cli_any.ok(
        "ticket", "secret", "ACME-1", "--format", "json").json()] == [
        "[secret:ACME-1/1]", "[secret:ACME-1/2]", "[secret:ACME-1/3]"]
    assert [r["value"] for r in cli_any.ok(
        "client", "secret", "ACME", "--format", "json").json()] == [URL_PASSWORD, PASSWORD]


def _notes(home: Path, n: int) -> None:
    cli = Cli(home, env={"SCCLI_VAULT": "file", "SCCLI_VAULT_KEY": None})
    for i in range(5):
        result = cli("ticket", "note", "ACME-1", "-m", f"note {n}-{i}: пароль: Pw-{n}-{i}-x9")
        assert result.exit_code == 0, result.stderr


def test_concurrent_writers_never_share_a_reference(ws: Cli) -> None:
    """Four sccli recording secrets into one ticket at once (vault writes outside the store
    transaction): every value keeps its own reference."""
    import multiprocessing

    ws.ok(*add_ticket_args())
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_notes, args=(ws.home, n)) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    shown = ws.ok("ticket", "secret", "ACME-1", "--format", "json").json()
    assert len({r["reference"] for r in shown}) == 21
    assert sorted(r["value"] for r in shown) == sorted(
        ["Zx-778899q"] + [f"Pw-{n}-{i}-x9" for n in range(4) for i in range(5)])
    events = ws.ok("ticket", "show", "ACME-1", "--format", "json").json()["events"]
    values = {r["reference"]: r["value"] for r in shown}
    notes = [json.dumps(e, ensure_ascii=False) for e in events[1:]]
    assert len(notes) == 20
    for text in notes:  # each note's reference holds that note's own value
        m = re.search(r"note (\d-\d): пароль: (\[secret:ACME-1/\d+\])", text)
        assert m is not None, text
        assert values[m.group(2)] == f"Pw-{m.group(1)}-x9"
