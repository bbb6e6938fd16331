"""Credentials: tracker tokens by reference, and the vault for secrets found in tickets.

Configuration files never hold secrets, only references: ``env:NAME`` (an environment
variable) or ``keyring:NAME`` (the OS keyring, service "sccli"). Passwords that clients
paste into tickets are redacted (``sccli.domain.redaction``) and their values kept in the
OS keyring (service "sccli-tickets") or, on hosts without one (servers, CI), in an
encrypted file in the workspace.

``keyring`` and ``cryptography`` are imported inside functions: ``sccli --help`` must stay
fast.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import TEMPORARY, ConfigurationError, is_temporary_os_error, one_line

__all__ = ["SecretError", "SecretUnavailable", "TicketVault", "is_reference", "resolve_ref"]

KEYRING_SERVICE = "sccli"
TICKET_SERVICE = "sccli-tickets"
VAULT_FILE = "vault.json"
KEY_FILE = "vault.key"
_CHECK = "sccli-vault-check"

_REF = re.compile(r"^(?P<scheme>env|keyring):(?P<name>\S+)$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SecretError(ConfigurationError):
    """A missing or unusable secret; the message says how to fix it, on one line.

    A configuration problem, exit 2: an unset variable, a missing keyring entry, a wrong or
    missing vault key, a bad ``SCCLI_VAULT``, a damaged vault file, no usable keyring
    backend or one that fails (not installed, no D-Bus, refuses access), a vault file that
    cannot be read or written for lack of permissions. Fixing it needs a person.
    """


class SecretUnavailable(SecretError):
    """The secret store is there but not available right now, exit 75 (retry later helps):
    a locked OS keyring (it is unlocked at login), a full disk or an I/O error on the vault.
    """

    exit_code = TEMPORARY


def _keyring_failure(exc: BaseException, message: str) -> SecretError:
    """A backend failure: a locked keyring is temporary (75), anything else is setup (2)."""
    locked = any(c.__name__ == "KeyringLocked" for c in type(exc).__mro__)  # keyring.errors
    return (SecretUnavailable if locked else SecretError)(message)


def _file_failure(exc: OSError, message: str) -> SecretError:
    """An OSError on the vault file: temporary (disk full, I/O) → 75, else (permissions) → 2."""
    reason = exc.strerror or one_line(exc) or type(exc).__name__
    text = f"{message} ({reason})"
    if is_temporary_os_error(exc):
        return SecretUnavailable(f"{text}; free some space or try again later")
    return SecretError(f"{text}; check the path and its permissions")


def is_reference(value: str) -> bool:
    """True for ``env:NAME`` and ``keyring:NAME``, the only accepted ways to name a secret."""
    m = _REF.match(value.strip()) if isinstance(value, str) else None
    if m is None:
        return False
    return m.group("scheme") != "env" or bool(_ENV_NAME.match(m.group("name")))


def resolve_ref(ref: str) -> str:
    """The secret a reference points to; SecretError when it is absent or not a reference."""
    if not is_reference(ref):
        raise SecretError("secrets are only accepted as env:NAME or keyring:NAME references")
    m = _REF.match(ref.strip())
    assert m is not None
    scheme, name = m.group("scheme"), m.group("name")
    if scheme == "env":
        value = os.environ.get(name)
        if not value:
            raise SecretError(
                f"environment variable {name} is not set; export {name}=… or use"
                f" keyring:{name} instead"
            )
        return value
    keyring = _keyring_module()
    try:
        value = keyring.get_password(KEYRING_SERVICE, name)
    except Exception as exc:  # any backend failure is for the user to fix
        raise _keyring_failure(
            exc,
            f"cannot read {name!r} from the OS keyring ({_one_line(exc)}); unlock the keyring"
            f" or use env:NAME instead",
        ) from None
    if value is None:
        raise SecretError(
            f"no secret {name!r} in the OS keyring (service {KEYRING_SERVICE!r}); store it"
            f" with: keyring set {KEYRING_SERVICE} {name}"
        )
    return value


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _keyring_module() -> Any:
    try:
        import keyring
    except ImportError:  # pragma: no cover - keyring is a dependency
        raise SecretError(
            "the keyring package is not installed; pip install keyring, or use env:NAME"
        ) from None
    return keyring


def _usable_keyring() -> Any | None:
    """The OS keyring backend, or None when only the fail/null/empty-chainer ones exist."""
    try:
        keyring = _keyring_module()
        backend = keyring.get_keyring()
    except Exception:  # an unusable keyring means: fall back
        return None
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if name.startswith(("keyring.backends.fail.", "keyring.backends.null.")):
        return None
    if name == "keyring.backends.chainer.ChainerBackend" and not getattr(backend, "backends", None):
        return None
    return backend


def _stderr(message: str) -> None:
    print(f"sccli: warning: {message}", file=sys.stderr)


# --- the ticket vault ----------------------------------------------------------------------


class TicketVault:
    """Where secret values found in tickets go, keyed by their ``[secret:T/N]`` reference.

    ``SCCLI_VAULT=file`` forces the encrypted file, ``SCCLI_VAULT=keyring`` requires the OS
    keyring; unset (or ``auto``) keeps using a workspace's existing vault file, else uses the
    keyring when one is usable. ``mode`` overrides the environment (the demo keeps its
    fictional secrets out of the user's real keyring).
    """

    def __init__(
        self,
        workspace: Path,
        warn: Callable[[str], None] = _stderr,
        mode: str | None = None,
        namespace: str | None = None,
    ) -> None:
        self.workspace = Path(workspace)
        # The store's identity: ACME-12 of one store is not ACME-12 of another one on the
        # same machine (the OS keyring is shared by every workspace of the user).
        self._prefix = f"{namespace}:" if namespace else ""
        self._warn = warn
        self._mode = mode
        self._kind: str | None = None
        self._keyring: Any = None
        self._fernet: Any = None

    @property
    def path(self) -> Path:
        return self.workspace / VAULT_FILE

    @property
    def backend(self) -> str:
        """``keyring (<backend name>)`` or ``encrypted file <path>``."""
        self._choose()
        if self._kind == "keyring":
            return f"keyring ({type(self._keyring).__name__})"
        return f"encrypted file {self.path}"

    def _choose(self) -> None:
        if self._kind is not None:
            return
        mode = self._mode or os.environ.get("SCCLI_VAULT", "auto").strip().lower() or "auto"
        if mode not in ("auto", "file", "keyring"):
            raise SecretError(f"SCCLI_VAULT={mode!r} is not valid; use 'file', 'keyring' or 'auto'")
        if mode == "auto" and self.path.exists():
            mode = "file"
        if mode != "file":
            backend = _usable_keyring()
            if backend is not None:
                self._kind, self._keyring = "keyring", backend
                return
            if mode == "keyring":
                raise SecretError(
                    "SCCLI_VAULT=keyring but no OS keyring backend is usable; install one"
                    " (e.g. Secret Service) or set SCCLI_VAULT=file"
                )
            self._warn(
                f"no OS keyring backend found; ticket secrets are kept in the encrypted file"
                f" {self.path}; set SCCLI_VAULT_KEY to keep the key outside the workspace"
            )
        self._kind = "file"

    # -- public API --

    def put(self, reference: str, secret: str) -> None:
        """Store (or replace) the secret for a reference."""
        self._choose()
        if self._kind == "keyring":
            try:
                self._keyring.set_password(TICKET_SERVICE, self._prefix + reference, secret)
            except Exception as exc:
                raise _keyring_failure(
                    exc,
                    f"cannot store {reference} in the OS keyring ({_one_line(exc)}); unlock"
                    f" the keyring or set SCCLI_VAULT=file",
                ) from None
            return
        try:
            with self._file_lock():  # two sccli at once must not lose each other's secrets
                data = self._load()
                fernet = self._cipher(data)
                data["entries"][self._prefix + reference] = fernet.encrypt(secret.encode("utf-8")).decode("ascii")
                self._save(data)
        except OSError as exc:
            raise _file_failure(exc, f"cannot write the ticket vault {self.path}") from None

    def get(self, reference: str) -> str | None:
        """The secret for a reference, or None when the vault does not hold it."""
        self._choose()
        if self._kind == "keyring":
            try:
                value: str | None = self._keyring.get_password(TICKET_SERVICE, self._prefix + reference)
            except Exception as exc:
                raise _keyring_failure(
                    exc,
                    f"cannot read {reference} from the OS keyring ({_one_line(exc)}); unlock"
                    f" the keyring or set SCCLI_VAULT=file",
                ) from None
            return value
        if not self.path.exists():
            return None
        try:
            data = self._load()
            token = data["entries"].get(self._prefix + reference)
            if token is None:
                return None
            fernet = self._cipher(data)
            return self._decrypt(fernet, token).decode("utf-8")
        except OSError as exc:
            raise _file_failure(exc, f"cannot read the ticket vault {self.path}") from None

    # -- the encrypted file --

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        """An exclusive lock on ``vault.json.lock`` around a read-modify-write (POSIX)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: single-user laptops
            yield
            return
        self.workspace.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"version": 1, "salt": None, "check": None, "entries": {}}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise _file_failure(exc, f"cannot read the ticket vault {self.path}") from None
        except ValueError as exc:
            raise SecretError(
                f"cannot read the ticket vault {self.path} ({_one_line(exc)}); restore it from"
                f" a backup or move it away"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
            raise SecretError(
                f"the ticket vault {self.path} is not an sccli vault; restore it or move it away"
            )
        return data

    def _save(self, data: dict[str, Any]) -> None:
        _atomic_write(self.path, json.dumps(data, indent=2, sort_keys=True).encode("utf-8"))

    def _cipher(self, data: dict[str, Any]) -> Any:
        """The Fernet for this vault; creates the salt/check on first use, verifies after."""
        if self._fernet is None:
            from cryptography.fernet import Fernet

            if data.get("salt") is None:
                data["salt"] = base64.b64encode(os.urandom(16)).decode("ascii")
            try:
                salt = base64.b64decode(data["salt"], validate=True)
            except (binascii.Error, ValueError, TypeError):
                raise self._damaged() from None
            self._fernet = Fernet(self._key(salt))
        if data.get("check") is None:
            data["check"] = self._fernet.encrypt(_CHECK.encode()).decode("ascii")
        elif self._decrypt(self._fernet, data["check"]) != _CHECK.encode():
            raise self._wrong_key()
        return self._fernet

    def _decrypt(self, fernet: Any, token: str) -> bytes:
        from cryptography.fernet import InvalidToken

        if not isinstance(token, str):
            raise self._damaged()
        try:
            result: bytes = fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, ValueError, TypeError):
            raise self._wrong_key() from None
        return result

    def _wrong_key(self) -> SecretError:
        source = "SCCLI_VAULT_KEY" if os.environ.get("SCCLI_VAULT_KEY") else self._key_path()
        return SecretError(
            f"cannot decrypt the ticket vault {self.path} with the key from {source}; restore"
            f" the key it was created with"
        )

    def _damaged(self) -> SecretError:
        return SecretError(
            f"the ticket vault {self.path} is damaged; restore it from a backup or move it away"
        )

    def _key_path(self) -> Path:
        return self.workspace / KEY_FILE

    def _key(self, salt: bytes) -> bytes:
        """A Fernet key: SCCLI_VAULT_KEY (a key or a passphrase), else the workspace key file."""
        configured = os.environ.get("SCCLI_VAULT_KEY", "")
        if configured:
            if _is_fernet_key(configured):
                return configured.strip().encode("ascii")
            from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

            kdf = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1)
            return base64.urlsafe_b64encode(kdf.derive(configured.encode("utf-8")))
        path = self._key_path()
        if path.exists():
            try:
                key = path.read_bytes().strip()
            except OSError as exc:
                raise _file_failure(exc, f"cannot read the vault key {path}") from None
            if not _is_fernet_key(key.decode("ascii", "replace")):
                raise SecretError(
                    f"{path} does not hold a valid vault key; restore it or set SCCLI_VAULT_KEY"
                )
            return key
        if self.path.exists():
            raise SecretError(
                f"the vault key {path} is missing but {self.path} exists; restore the key file"
                f" or set SCCLI_VAULT_KEY to the key the vault was created with"
            )
        from cryptography.fernet import Fernet

        key = Fernet.generate_key()
        self.workspace.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return self._key(salt)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key + b"\n")
        return key


def _is_fernet_key(value: str) -> bool:
    try:
        raw = base64.urlsafe_b64decode(value.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return len(raw) == 32 and len(value.strip()) == 44


def _atomic_write(path: Path, content: bytes) -> None:
    """Keys and vaults: atomically, readable by their owner only."""
    from .fileio import atomic_write

    atomic_write(path, content, private=True)
