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
import queue
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .errors import TEMPORARY, ConfigurationError, is_temporary_os_error, one_line

__all__ = ["SecretError", "SecretUnavailable", "TicketVault", "is_reference", "resolve_ref"]

KEYRING_SERVICE = "sccli"
TICKET_SERVICE = "sccli-tickets"
VAULT_FILE = "vault.json"
KEY_FILE = "vault.key"
_CHECK = "sccli-vault-check"

# Seconds the OS keyring may take to answer one call before sccli gives up (a locked
# collection waiting for a password prompt nobody sees, a hung D-Bus). Calls run in a
# worker thread; tests lower this.
KEYRING_TIMEOUT = 10.0

_T = TypeVar("_T")

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

    def read() -> str | None:
        try:
            found: str | None = keyring.get_password(KEYRING_SERVICE, name)
        except Exception as exc:  # any backend failure is for the user to fix
            raise _keyring_failure(
                exc,
                f"cannot read {name!r} from the OS keyring ({_one_line(exc)}); unlock the"
                f" keyring or use env:NAME instead",
            ) from None
        return found

    (value,) = _keyring_calls([read], f"reading {name!r}", "use env:NAME instead")
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


def _keyring_calls(calls: Sequence[Callable[[], _T]], doing: str,
                   fallback: str = "set SCCLI_VAULT=file") -> list[_T]:
    """Run keyring calls one after another in one worker thread; each must answer within
    ``KEYRING_TIMEOUT`` seconds, else SecretUnavailable (75).

    A backend that blocks (a locked collection waiting for an unlock prompt, a hung D-Bus)
    must never hang sccli. The worker is a daemon thread: if it never returns it is
    abandoned, and the process still exits. Exceptions raised by a call (already phrased as
    SecretError by the caller) are re-raised here, in the calling thread.
    """
    results: queue.Queue[tuple[bool, Any]] = queue.Queue()

    def work() -> None:
        for call in calls:
            try:
                results.put((True, call()))
            except BaseException as exc:  # handed to the calling thread
                results.put((False, exc))
                return

    if not calls:
        return []
    threading.Thread(target=work, name="sccli-keyring", daemon=True).start()
    out: list[_T] = []
    for _ in calls:
        try:
            ok, value = results.get(timeout=KEYRING_TIMEOUT)
        except queue.Empty:
            raise SecretUnavailable(
                f"the OS keyring did not answer within {KEYRING_TIMEOUT:g} s ({doing});"
                f" unlock it, or {fallback}"
            ) from None
        if not ok:
            raise value
        out.append(value)
    return out


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
        self._fell_back = False  # auto mode found no usable keyring (see why_missing)
        self._warned = False

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
            (backend,) = _keyring_calls([_usable_keyring], "looking for a keyring backend")
            if backend is not None:
                self._kind, self._keyring = "keyring", backend
                return
            if mode == "keyring":
                raise SecretError(
                    "SCCLI_VAULT=keyring but no OS keyring backend is usable; install one"
                    " (e.g. Secret Service) or set SCCLI_VAULT=file"
                )
            self._fell_back = True  # said when a secret is written (put_many), not on reads
        self._kind = "file"

    # -- public API --

    def put(self, reference: str, secret: str) -> None:
        """Store (or replace) the secret for a reference."""
        self.put_many([(reference, secret)])

    def put_many(self, items: Iterable[tuple[str, str]]) -> None:
        """Store (or replace) several secrets in one go: one read-modify-write of the
        encrypted file (its lock taken once), or one keyring worker for all of them.

        Callers hold no store transaction: a slow keyring never blocks other writers.
        """
        pending = list(items)
        if not pending:
            return
        self._choose()
        if self._kind == "keyring":
            backend, prefix = self._keyring, self._prefix

            def setter(reference: str, secret: str) -> Callable[[], None]:
                def call() -> None:
                    try:
                        backend.set_password(TICKET_SERVICE, prefix + reference, secret)
                    except Exception as exc:
                        raise _keyring_failure(
                            exc,
                            f"cannot store {reference} in the OS keyring ({_one_line(exc)});"
                            f" unlock the keyring or set SCCLI_VAULT=file",
                        ) from None
                return call

            what = pending[0][0] if len(pending) == 1 else f"{len(pending)} secrets"
            _keyring_calls([setter(ref, value) for ref, value in pending], f"storing {what}")
            return
        if self._fell_back and not self._warned:
            self._warned = True
            self._warn(
                f"no OS keyring backend found; ticket secrets are kept in the encrypted file"
                f" {self.path}; set SCCLI_VAULT_KEY to keep the key outside the workspace"
            )
        try:
            with self._file_lock():  # two sccli at once must not lose each other's secrets
                data = self._load()
                fernet = self._cipher(data)
                entries = data["entries"]
                for reference, secret in pending:
                    entries[self._prefix + reference] = fernet.encrypt(
                        secret.encode("utf-8")).decode("ascii")
                self._save(data)
        except OSError as exc:
            raise _file_failure(exc, f"cannot write the ticket vault {self.path}") from None

    def get(self, reference: str) -> str | None:
        """The secret for a reference, or None when the vault does not hold it."""
        return self.get_many([reference])[reference]

    def get_many(self, references: Iterable[str]) -> dict[str, str | None]:
        """The secret of each reference (None: not held here); the file is read once."""
        wanted = list(dict.fromkeys(references))
        if not wanted:
            return {}
        self._choose()
        if self._kind == "keyring":
            backend, prefix = self._keyring, self._prefix

            def getter(reference: str) -> Callable[[], str | None]:
                def call() -> str | None:
                    try:
                        value: str | None = backend.get_password(TICKET_SERVICE,
                                                                 prefix + reference)
                    except Exception as exc:
                        raise _keyring_failure(
                            exc,
                            f"cannot read {reference} from the OS keyring ({_one_line(exc)});"
                            f" unlock the keyring or set SCCLI_VAULT=file",
                        ) from None
                    return value
                return call

            what = wanted[0] if len(wanted) == 1 else f"{len(wanted)} secrets"
            values = _keyring_calls([getter(ref) for ref in wanted], f"reading {what}")
            return dict(zip(wanted, values, strict=True))
        found: dict[str, str | None] = dict.fromkeys(wanted)
        if not self.path.exists():
            return found
        try:
            data = self._load()
            tokens = {ref: data["entries"].get(self._prefix + ref) for ref in wanted}
            if any(token is not None for token in tokens.values()):
                fernet = self._cipher(data)
                for ref, token in tokens.items():
                    if token is not None:
                        found[ref] = self._decrypt(fernet, token).decode("utf-8")
        except OSError as exc:
            raise _file_failure(exc, f"cannot read the ticket vault {self.path}") from None
        return found

    def why_missing(self) -> str:
        """Why a reference is not found here, and what to do: one clause for an error."""
        self._choose()
        elsewhere = "values stay on the machine that recorded them: look there"
        if self._kind == "keyring":
            here = f"the OS keyring ({type(self._keyring).__name__}) does not hold it"
            if self.path.exists():
                return f"{here}, but {self.path} exists: retry with SCCLI_VAULT=file"
            return f"{here}; {elsewhere}"
        if self.path.exists():
            here = f"the ticket vault {self.path} does not hold it"
        else:
            here = f"the ticket vault {self.path} does not exist (deleted, or never written here)"
        if self._fell_back:
            return (f"{here}, and no OS keyring backend is usable now: if it was recorded in"
                    f" the keyring, install or unlock one and retry; else {elsewhere}")
        restore = f"restore {self.path.name} from a backup" if not self.path.exists() else ""
        if os.environ.get("SCCLI_VAULT", "").strip().lower() == "file":
            return (f"{here}; {restore + ', or ' if restore else ''}retry without"
                    f" SCCLI_VAULT=file if it was recorded in the OS keyring")
        return f"{here}; {restore + ', or ' if restore else ''}{elsewhere}"

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
                raw = path.read_bytes()
            except OSError as exc:
                raise _file_failure(exc, f"cannot read the vault key {path}") from None
            key = raw.strip()
            if not _is_fernet_key(key.decode("ascii", "replace")):
                raise self._bad_key_file(path, raw)
            return key
        if self.path.exists():
            raise SecretError(
                f"the vault key {path} is missing but {self.path} exists; restore the key file"
                f" or set SCCLI_VAULT_KEY to the key the vault was created with"
            )
        from cryptography.fernet import Fernet

        # Only ever created under the vault's file lock (``put_many``), so two sccli never
        # race here. Atomically (temporary file, fsync, rename, 0600): a full disk leaves
        # no key at all rather than an empty one that every later write would trip over.
        key = Fernet.generate_key()
        try:
            _atomic_write(path, key + b"\n")
        except OSError as exc:
            raise _file_failure(exc, f"cannot write the vault key {path}") from None
        return key

    def _bad_key_file(self, path: Path, raw: bytes) -> SecretError:
        """A key file that holds no key: what it is, and the one fix that applies."""
        if not raw.strip():
            what = (f"the vault key {path} is empty ({len(raw)} bytes; a write cut short, e.g."
                    f" by a full disk)")
        else:
            what = (f"the vault key {path} does not hold a valid key ({len(raw)} bytes; a key"
                    f" is 44 characters)")
        entries = self._entry_count()
        if entries is None:
            return SecretError(f"{what}; no secret was encrypted with it: delete it (rm {path})"
                               f" and retry, a new key is created")
        if entries == 0:
            return SecretError(f"{what}; {self.path} holds no secret yet: delete both (rm {path}"
                               f" {self.path}) and retry, a new key is created")
        held = f"{entries} secret(s)" if entries > 0 else "secrets"
        return SecretError(f"{what}; {self.path} holds {held} encrypted with the original key:"
                           f" restore {path.name} from a backup, or set SCCLI_VAULT_KEY to the"
                           f" key the vault was created with")

    def _entry_count(self) -> int | None:
        """Entries in the vault file (None: no file); a file that cannot be read counts as
        holding secrets (never advise deleting what might be needed)."""
        if not self.path.exists():
            return None
        try:
            return len(self._load()["entries"])
        except (SecretError, OSError):
            return -1


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
