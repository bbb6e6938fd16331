"""Credential references and the ticket vault (file backend; keyring stubbed)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from sccli import secrets
from sccli.secrets import SecretError, TicketVault, is_reference, resolve_ref

SECRET = "Qwerty123!-очень-секретно"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCCLI_VAULT_KEY", raising=False)
    monkeypatch.setenv("SCCLI_VAULT", "file")


class MemoryKeyring:
    """A stand-in keyring backend (the class name shows in ``backend``)."""

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, name: str) -> str | None:
        return self.store.get((service, name))

    def set_password(self, service: str, name: str, value: str) -> None:
        self.store[(service, name)] = value


# --- references ----------------------------------------------------------------------------


def test_env_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCCLI_TEST_TOKEN", "t0ken")
    assert resolve_ref("env:SCCLI_TEST_TOKEN") == "t0ken"


def test_env_reference_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCCLI_MISSING", raising=False)
    with pytest.raises(SecretError, match="environment variable SCCLI_MISSING is not set"):
        resolve_ref("env:SCCLI_MISSING")


@pytest.mark.parametrize(
    "value", ["hunter2", "ghp_abc", "env:", "env:1BAD", "keyring:", "file:/etc/x", "", "ENV:X"]
)
def test_bad_references(value: str) -> None:
    assert not is_reference(value)
    with pytest.raises(SecretError) as err:
        resolve_ref(value)
    assert str(err.value) == "secrets are only accepted as env:NAME or keyring:NAME references"


@pytest.mark.parametrize("value", ["env:GITHUB_TOKEN", "keyring:jira-prod", "keyring:a.b/c"])
def test_good_references(value: str) -> None:
    assert is_reference(value)


def test_keyring_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    fake = MemoryKeyring()
    fake.set_password("sccli", "jira", "s3cret")
    monkeypatch.setattr(keyring, "get_password", fake.get_password)
    assert resolve_ref("keyring:jira") == "s3cret"
    with pytest.raises(SecretError, match=r"no secret 'gitlab' in the OS keyring.*keyring set"):
        resolve_ref("keyring:gitlab")


def test_keyring_reference_backend_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    def broken(service: str, name: str) -> str:
        raise RuntimeError("No recommended backend\nwas available")

    monkeypatch.setattr(keyring, "get_password", broken)
    with pytest.raises(SecretError) as err:
        resolve_ref("keyring:jira")
    assert "\n" not in str(err.value)
    assert "use env:NAME instead" in str(err.value)


# --- file vault ----------------------------------------------------------------------------


def test_file_vault_round_trip(tmp_path: Path) -> None:
    warnings: list[str] = []
    vault = TicketVault(tmp_path, warn=warnings.append)
    assert vault.backend == f"encrypted file {tmp_path / 'vault.json'}"
    assert vault.get("[secret:ACME-1/1]") is None
    vault.put("[secret:ACME-1/1]", SECRET)
    vault.put("[secret:ACME-1/2]", "second")
    assert vault.get("[secret:ACME-1/1]") == SECRET
    assert vault.get("[secret:ACME-1/3]") is None
    # A new instance (another process) reads the same file with the same key file.
    again = TicketVault(tmp_path, warn=warnings.append)
    assert again.get("[secret:ACME-1/2]") == "second"
    again.put("[secret:ACME-1/2]", "replaced")
    assert TicketVault(tmp_path).get("[secret:ACME-1/2]") == "replaced"
    assert warnings == []  # forced by SCCLI_VAULT=file: no warning


def test_file_does_not_contain_the_secret(tmp_path: Path) -> None:
    vault = TicketVault(tmp_path)
    vault.put("[secret:ACME-1/1]", SECRET)
    raw = (tmp_path / "vault.json").read_bytes()
    assert SECRET.encode() not in raw
    assert b"Qwerty" not in raw
    assert "[secret:ACME-1/1]" in json.loads(raw)["entries"]
    assert not list(tmp_path.glob("*.tmp"))  # the atomic write left nothing behind


def test_key_and_vault_file_permissions(tmp_path: Path) -> None:
    TicketVault(tmp_path).put("[secret:ACME-1/1]", SECRET)
    for name in ("vault.key", "vault.json"):
        mode = stat.S_IMODE(os.stat(tmp_path / name).st_mode)
        assert mode == 0o600, (name, oct(mode))


def test_wrong_key_file_is_a_clear_error(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    TicketVault(tmp_path).put("[secret:ACME-1/1]", SECRET)
    (tmp_path / "vault.key").write_bytes(Fernet.generate_key())
    with pytest.raises(SecretError, match=r"cannot decrypt the ticket vault .*vault\.key"):
        TicketVault(tmp_path).get("[secret:ACME-1/1]")
    with pytest.raises(SecretError, match="cannot decrypt"):
        TicketVault(tmp_path).put("[secret:ACME-1/2]", "x")


def test_missing_key_file_is_a_clear_error(tmp_path: Path) -> None:
    TicketVault(tmp_path).put("[secret:ACME-1/1]", SECRET)
    (tmp_path / "vault.key").unlink()
    with pytest.raises(SecretError, match=r"vault key .* is missing"):
        TicketVault(tmp_path).get("[secret:ACME-1/1]")


def test_passphrase_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCCLI_VAULT_KEY", "correct horse battery staple")
    TicketVault(tmp_path).put("[secret:ACME-1/1]", SECRET)
    assert not (tmp_path / "vault.key").exists()
    assert TicketVault(tmp_path).get("[secret:ACME-1/1]") == SECRET
    monkeypatch.setenv("SCCLI_VAULT_KEY", "wrong passphrase")
    with pytest.raises(SecretError, match="cannot decrypt .* key from SCCLI_VAULT_KEY"):
        TicketVault(tmp_path).get("[secret:ACME-1/1]")


def test_fernet_key_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SCCLI_VAULT_KEY", key)
    TicketVault(tmp_path).put("[secret:ACME-1/1]", SECRET)
    token = json.loads((tmp_path / "vault.json").read_text())["entries"]["[secret:ACME-1/1]"]
    assert Fernet(key.encode()).decrypt(token.encode()).decode() == SECRET


def test_corrupt_vault_file(tmp_path: Path) -> None:
    (tmp_path / "vault.json").write_text("{not json")
    with pytest.raises(SecretError, match="cannot read the ticket vault"):
        TicketVault(tmp_path).get("[secret:ACME-1/1]")


# --- backend choice ------------------------------------------------------------------------


def test_fallback_warns_once_when_no_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCCLI_VAULT", "auto")
    monkeypatch.setattr(secrets, "_usable_keyring", lambda: None)
    warnings: list[str] = []
    vault = TicketVault(tmp_path, warn=warnings.append)
    vault.put("[secret:ACME-1/1]", SECRET)
    vault.put("[secret:ACME-1/2]", SECRET)
    assert vault.get("[secret:ACME-1/1]") == SECRET
    assert vault.backend.startswith("encrypted file ")
    assert len(warnings) == 1
    assert warnings[0].startswith("no OS keyring backend found; ticket secrets are kept in")
    assert "SCCLI_VAULT_KEY" in warnings[0]


def test_keyring_backend_when_usable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCCLI_VAULT", "auto")
    fake = MemoryKeyring()
    monkeypatch.setattr(secrets, "_usable_keyring", lambda: fake)
    vault = TicketVault(tmp_path, warn=pytest.fail)
    vault.put("[secret:ACME-1/1]", SECRET)
    assert fake.store == {("sccli-tickets", "[secret:ACME-1/1]"): SECRET}
    assert vault.get("[secret:ACME-1/1]") == SECRET
    assert vault.backend == "keyring (MemoryKeyring)"
    assert not (tmp_path / "vault.json").exists()


def test_two_stores_share_the_keyring_without_collisions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCCLI_VAULT", "auto")
    fake = MemoryKeyring()
    monkeypatch.setattr(secrets, "_usable_keyring", lambda: fake)
    one = TicketVault(tmp_path / "one", warn=pytest.fail, namespace="store-one")
    two = TicketVault(tmp_path / "two", warn=pytest.fail, namespace="store-two")
    one.put("[secret:ACME-12/1]", "first team's")
    two.put("[secret:ACME-12/1]", "second team's")
    assert one.get("[secret:ACME-12/1]") == "first team's"
    assert two.get("[secret:ACME-12/1]") == "second team's"
    assert ("sccli-tickets", "store-one:[secret:ACME-12/1]") in fake.store


def test_keyring_required_but_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCCLI_VAULT", "keyring")
    monkeypatch.setattr(secrets, "_usable_keyring", lambda: None)
    with pytest.raises(SecretError, match="set SCCLI_VAULT=file"):
        TicketVault(tmp_path).put("[secret:ACME-1/1]", SECRET)


def test_bad_vault_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCCLI_VAULT", "cloud")
    with pytest.raises(SecretError, match="SCCLI_VAULT='cloud' is not valid"):
        TicketVault(tmp_path).get("[secret:ACME-1/1]")


def test_fail_backend_is_not_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends import chainer, fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    assert secrets._usable_keyring() is None
    empty: Any = chainer.ChainerBackend.__new__(chainer.ChainerBackend)
    monkeypatch.setattr(chainer.ChainerBackend, "backends", property(lambda self: []))
    monkeypatch.setattr(keyring, "get_keyring", lambda: empty)
    assert secrets._usable_keyring() is None
    monkeypatch.setattr(keyring, "get_keyring", lambda: MemoryKeyring())
    assert isinstance(secrets._usable_keyring(), MemoryKeyring)


def test_module_import_is_lazy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, sccli.secrets; print('keyring' in sys.modules, 'cryptography' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.split() == ["False", "False"]


def test_concurrent_writers_lose_no_secret(tmp_path: Path) -> None:
    """Several sccli moving secrets at once (separate processes in real life)."""
    import multiprocessing

    TicketVault(tmp_path).put("[secret:ACME-0/1]", "first")  # the key exists before the race
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_put_many, args=(tmp_path, n)) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    vault = TicketVault(tmp_path)
    for n in range(4):
        for i in range(1, 11):
            assert vault.get(f"[secret:T{n}-1/{i}]") == f"s{n}-{i}"


def _put_many(path: Path, n: int) -> None:
    vault = TicketVault(path)
    for i in range(1, 11):
        vault.put(f"[secret:T{n}-1/{i}]", f"s{n}-{i}")
