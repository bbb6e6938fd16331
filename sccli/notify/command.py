"""The command transport: run a program with the notice as JSON on its stdin.

The program is an argv list run without a shell (nothing in a notice is ever parsed by a
shell, and nothing secret is put on a command line, where ``ps`` shows it to every user).
It inherits sccli's environment plus the channel's ``env``; a value written as an
``env:NAME`` or ``keyring:NAME`` reference is resolved when the notice is sent, which is
how a script gets a password. ``SCCLI_CHANNEL`` names the channel.

Exit status:

- 0: delivered;
- 75 (``EX_TEMPFAIL`` of sysexits.h), a timeout (the program and its process group are
  killed), death by a signal, or a program that cannot be started: retried later;
- anything else: a permanent failure.

The last line of the program's stderr (masked, one line) is quoted in the error.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Callable
from typing import Any

from ..errors import TEMPORARY, one_line
from . import DeliveryError, Notice
from .settings import ChannelSettings

EX_TEMPFAIL = TEMPORARY  # 75
_STDERR_TAIL = 4096  # bytes of stderr read back to find its last line


class CommandTransport:
    """A channel with ``transport: command``."""

    def __init__(self, settings: ChannelSettings, resolve: Callable[[str], str] | None = None):
        self.name = settings.name
        self.settings = settings
        self._resolve = resolve

    def _environment(self) -> tuple[dict[str, str], tuple[str, ...]]:
        """The child's environment and the secret values in it (to mask in messages)."""
        from ..secrets import SecretError, is_reference, resolve_ref

        resolve = self._resolve or resolve_ref
        env = dict(os.environ)
        secrets: list[str] = []
        for key, value in self.settings.env.items():
            if is_reference(value):
                try:
                    value = resolve(value)
                except SecretError as exc:
                    raise DeliveryError(f"{self.name}: env {key}: {exc}", retry=True) from None
                secrets.append(value)
            env[key] = value
        env["SCCLI_CHANNEL"] = self.name
        return env, tuple(secrets)

    def send(self, notice: Notice) -> None:
        import json

        from ..adapters.http import redact

        env, secrets = self._environment()
        argv = list(self.settings.command)
        payload = json.dumps(notice.to_json(), ensure_ascii=False).encode("utf-8")
        program = os.path.basename(argv[0])

        def fail(what: str, retry: bool, tail: str = "") -> DeliveryError:
            text = f"{self.name}: {program} {what}" + (f": {tail}" if tail else "")
            return DeliveryError(one_line(redact(text, secrets), 400), retry=retry)

        with tempfile.TemporaryFile() as errors:  # not a pipe: a chatty program cannot block
            try:
                proc = subprocess.Popen(
                    argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors,
                    env=env, close_fds=True, start_new_session=True,
                )
            except OSError as exc:
                raise fail(f"cannot be started ({exc.strerror or type(exc).__name__})",
                           retry=True) from None
            try:
                proc.communicate(payload, timeout=self.settings.timeout)
            except subprocess.TimeoutExpired:
                _kill(proc)
                raise fail(f"did not finish within {self.settings.timeout} s (killed)",
                           retry=True, tail=_last_line(errors)) from None
            code = proc.returncode
            if code == 0:
                return
            tail = _last_line(errors)
        if code < 0:
            raise fail(f"was killed by signal {-code}", retry=True, tail=tail)
        if code == EX_TEMPFAIL:
            raise fail("failed temporarily (exit 75)", retry=True, tail=tail)
        raise fail(f"failed (exit {code})", retry=False, tail=tail)


def _kill(proc: Any) -> None:
    """The program and whatever it started (its own process group) are killed."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.communicate()


def _last_line(handle: Any) -> str:
    """The last non-empty line of what the program wrote to stderr (its tail only)."""
    try:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - _STDERR_TAIL))
        data = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line for line in data.splitlines() if line.strip()]
    return one_line(lines[-1], 300) if lines else ""
