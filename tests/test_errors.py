"""The one error model: every failure ends as one line on stderr and a documented exit code.

Each case runs through the real entry point (``Cli`` calls ``sccli.cli.main``). A user mistake
or an environment problem is ``sccli: error: …`` with 2, 4, 5 or 75; a bug is
``sccli: internal error: …`` with 70 and the traceback in a file; never a traceback on screen.
"""

from __future__ import annotations

import ast
import errno
import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click
import pytest

from sccli import cli as cli_module
from sccli import errors, secrets
from sccli.errors import SccliError
from tests.conftest import Cli

SECRET_BODY = "логин: admin пароль: Secr3t!"


def one_line(result, code: int, prefix: str = "sccli: error: ") -> str:
    """The single stderr line of a failed run, checked: exit code, prefix, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(prefix), lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


# --- ticket secret: the vault and the keyring ----------------------------------------------


@pytest.fixture
def secret_ws(cli: Cli) -> Cli:
    """ACME-1 holds a password, kept in the encrypted file vault under a passphrase."""
    cli.env.update({"SCCLI_VAULT": "file", "SCCLI_VAULT_KEY": "correct horse battery staple"})
    cli.ok("client", "add", "ACME", "--name", "A", "--contact", "it@acme.ru")
    cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "t",
           "--body", SECRET_BODY)
    assert "Secr3t!" in cli.ok("ticket", "secret", "ACME-1").stdout
    return cli


def test_wrong_vault_key(secret_ws: Cli) -> None:
    secret_ws.env["SCCLI_VAULT_KEY"] = "wrong passphrase"
    line = one_line(secret_ws("ticket", "secret", "ACME-1"), 2)
    assert "cannot decrypt the ticket vault" in line and "SCCLI_VAULT_KEY" in line


def test_missing_vault_key_file(cli: Cli) -> None:
    cli.env.update({"SCCLI_VAULT": "file", "SCCLI_VAULT_KEY": None})
    cli.ok("client", "add", "ACME", "--name", "A", "--contact", "it@acme.ru")
    cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.ru", "--title", "t",
           "--body", SECRET_BODY)
    (cli.home / "vault.key").unlink()
    line = one_line(cli("ticket", "secret", "ACME-1"), 2)
    assert re.search(r"the vault key .*vault\.key is missing", line)


def test_bad_vault_mode(secret_ws: Cli) -> None:
    secret_ws.env["SCCLI_VAULT"] = "bogus"
    line = one_line(secret_ws("ticket", "secret", "ACME-1"), 2)
    assert "SCCLI_VAULT='bogus' is not valid" in line


class BrokenKeyring:
    """A keyring backend that is there but fails, as Secret Service does without D-Bus."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def get_password(self, service: str, name: str) -> str | None:
        raise self.error

    def set_password(self, service: str, name: str, value: str) -> None:
        raise self.error


def test_unusable_keyring_backend(secret_ws: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.errors import KeyringError

    error = KeyringError("Failed to connect to\nthe D-Bus session bus")
    monkeypatch.setattr(secrets, "_usable_keyring", lambda: BrokenKeyring(error))
    secret_ws.env["SCCLI_VAULT"] = "keyring"
    line = one_line(secret_ws("ticket", "secret", "ACME-1"), 2)
    assert "cannot read [secret:ACME-1/1] from the OS keyring" in line
    assert "D-Bus session bus" in line and "set SCCLI_VAULT=file" in line


def test_no_keyring_backend_when_one_is_required(
    secret_ws: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.errors import NoKeyringError

    def none_available():
        raise NoKeyringError("No recommended backend was available.")

    monkeypatch.setattr(keyring, "get_keyring", none_available)
    secret_ws.env["SCCLI_VAULT"] = "keyring"
    line = one_line(secret_ws("ticket", "secret", "ACME-1"), 2)
    assert "no OS keyring backend is usable" in line


def test_locked_keyring_is_temporary(secret_ws: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.errors import KeyringLocked

    error = KeyringLocked("Failed to unlock the collection!")
    monkeypatch.setattr(secrets, "_usable_keyring", lambda: BrokenKeyring(error))
    secret_ws.env["SCCLI_VAULT"] = "keyring"
    line = one_line(secret_ws("ticket", "secret", "ACME-1"), 75)
    assert "unlock the keyring" in line


def test_vault_io_errors(secret_ws: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A full disk or an I/O error on the vault file is temporary (75), permissions are not."""

    def io_error(self):
        raise OSError(errno.EIO, "Input/output error")

    with monkeypatch.context() as m:
        m.setattr(secrets.TicketVault, "_load", io_error)
        line = one_line(secret_ws("ticket", "secret", "ACME-1"), 75)
    assert "cannot read the ticket vault" in line and "Input/output error" in line

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(secrets, "_atomic_write", full)
    with pytest.raises(secrets.SecretUnavailable, match="No space left on device") as err:
        secrets.TicketVault(tmp_path, mode="file").put("[secret:X-1/1]", "s")
    assert err.value.exit_code == 75

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(secrets, "_atomic_write", denied)
    with pytest.raises(secrets.SecretError, match="check the path and its permissions") as err:
        secrets.TicketVault(tmp_path, mode="file").put("[secret:X-1/1]", "s")
    assert err.value.exit_code == 2


# --- instants outside the calendar ---------------------------------------------------------


def test_deadline_far_in_the_future(cli: Cli) -> None:
    line = one_line(cli("sla", "deadline", "--at", "9999-12-31T17:00"), 2)
    assert "'9999-12-31T17:00' is outside the dates the business calendar supports" in line
    assert "2000-01-01 … 2100-12-31" in line


def test_now_at_year_one(cli: Cli) -> None:
    line = one_line(cli("sla", "status", at="0001-01-01T00:00"), 2)
    assert "'0001-01-01T00:00' is outside the dates the business calendar supports" in line


@pytest.mark.parametrize(
    "args",
    [
        ("sla", "status"),
        ("ticket", "list"),
        ("sla", "check"),
    ],
)
def test_now_far_in_the_future(cli: Cli, args: tuple[str, ...]) -> None:
    one_line(cli(*args, at="9999-12-31T17:00"), 2)


def test_simulated_clock_out_of_range(cli: Cli) -> None:
    cli.env["SCCLI_NOW"] = "9999-12-31T23:59"
    line = one_line(cli("sla", "status"), 2)
    assert "9999-12-31T23:59" in line


def test_calendar_dates_out_of_range(cli: Cli) -> None:
    line = one_line(cli("sla", "calendar", "--from", "9999-12-01", "--to", "9999-12-31"), 2)
    assert "outside the range the business calendar supports" in line


@pytest.mark.parametrize("command", ["sla report", "billing"])
@pytest.mark.parametrize("month", ["9999-12", "1999-12", "0001-01"])
def test_months_out_of_range(cli: Cli, command: str, month: str) -> None:
    line = one_line(cli(*command.split(), "--month", month), 2)
    assert f"--month {month}: the calendar covers 2000–2100" in line


def test_the_edges_of_the_range_work(cli: Cli) -> None:
    assert "deadline" in cli.ok("sla", "deadline", "--at", "2000-01-01T00:00").stdout
    assert "2101-01" in cli.ok("sla", "deadline", "--at", "2100-12-31T17:00").stdout
    one_line(cli("sla", "deadline", "--at", "2101-01-01T00:00"), 2)
    one_line(cli("sla", "deadline", "--at", "1999-12-31T23:59"), 2)


def test_calendar_refuses_dates_out_of_range() -> None:
    from sccli.domain.calendar import BusinessCalendar, CalendarRangeError, CalendarSpec

    cal = BusinessCalendar(CalendarSpec())
    with pytest.raises(CalendarRangeError) as err:
        cal.day(date(2150, 1, 1))
    assert err.value.exit_code == 2 and isinstance(err.value, ValueError)
    assert "(2000-01-01 … 2100-12-31)" in str(err.value)
    # Bhutan's public holidays are known from 2007: no silent "no holidays" before that.
    bt = BusinessCalendar(CalendarSpec(timezone="Asia/Thimphu", country="BT"))
    with pytest.raises(CalendarRangeError, match="public holidays of BT are known for 2007"):
        bt.add(datetime(2005, 3, 1, 10, tzinfo=UTC), 3600)
    assert bt.day(date(2026, 3, 2)).working is not None


# --- a third-party adapter that cannot be loaded -------------------------------------------


def _tracker_config(cli: Cli, adapter: str) -> None:
    (cli.home / "sccli.yaml").write_text(
        "executor:\n  name: X\n  email: support@x.example\n  language: ru\n"
        f"trackers:\n  ext:\n    adapter: {adapter}\n",
        encoding="utf-8",
    )


def test_adapter_whose_module_is_missing(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from sccli import adapters

    monkeypatch.setattr(adapters, "_registered", lambda: {"broken": "no_such_module_xyz:Cls"})
    _tracker_config(cli, "broken")
    line = one_line(cli("tracker", "check", "ext"), 2)
    assert "unknown adapter" not in line
    assert ("trackers.ext.adapter: tracker adapter 'broken' (no_such_module_xyz:Cls) cannot be"
            " loaded: ModuleNotFoundError: No module named 'no_such_module_xyz'") in line


def test_adapter_whose_module_raises(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sccli import adapters

    (tmp_path / "pkg_raises_xyz.py").write_text(
        "raise RuntimeError('needs\\nFOO_HOME to be set')\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "pkg_raises_xyz", raising=False)
    monkeypatch.setattr(adapters, "_registered", lambda: {"odd": "pkg_raises_xyz:Cls"})
    with pytest.raises(adapters.AdapterLoadError) as err:
        adapters.load_adapter_class("odd")
    assert str(err.value) == ("tracker adapter 'odd' (pkg_raises_xyz:Cls) cannot be loaded:"
                              " RuntimeError: needs FOO_HOME to be set")
    assert err.value.exit_code == 2
    with pytest.raises(adapters.UnknownAdapter, match="unknown tracker adapter 'fax'"):
        adapters.load_adapter_class("fax")


def test_unknown_adapter_is_still_unknown(cli: Cli) -> None:
    _tracker_config(cli, "fax")
    line = one_line(cli("tracker", "list"), 2)
    assert "trackers.ext.adapter: unknown adapter 'fax' (expected one of:" in line


# --- the one mapping in main() -------------------------------------------------------------


def _register(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """A command `sccli boom` whose body raises ``error`` (stands for any command)."""

    @click.command("boom")
    def boom() -> None:
        raise error

    module = sys.modules[__name__]
    monkeypatch.setattr(module, "boom_command", boom, raising=False)
    monkeypatch.setitem(cli_module.COMMANDS, "boom", (__name__, "boom_command", "Fails."))


def test_a_bug_is_one_line_with_the_traceback_in_a_file(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(monkeypatch, RuntimeError("the fold lost an event\nsecond line"))
    line = one_line(cli("boom"), 70, prefix="sccli: internal error: ")
    m = re.fullmatch(
        r"sccli: internal error: RuntimeError: the fold lost an event; the full traceback is"
        r" in (?P<path>\S+); please report it",
        line,
    )
    assert m, line
    path = Path(m["path"])
    assert path.parent == cli.home / "logs"
    assert re.fullmatch(r"crash-\d{8}T\d{6}Z-\d+\.txt", path.name)
    text = path.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: the fold lost an event\nsecond line" in text
    assert "command: sccli boom" in text
    assert path.stat().st_mode & 0o077 == 0  # tracebacks may quote ticket text


def test_a_crash_report_holds_no_secret(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    _register(monkeypatch, RuntimeError(
        "cannot use postgresql://sccli:Db-Pa55word@db.example/sccli for пароль: Crash-Pa55"))
    line = one_line(cli("boom"), 70, prefix="sccli: internal error: ")
    path = Path(re.search(r"the full traceback is in (\S+);", line)[1])
    text = path.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    for planted in ("Db-Pa55word", "Crash-Pa55"):
        assert planted not in text and planted not in line


def test_a_bug_without_a_workspace_writes_to_the_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    _register(monkeypatch, KeyError("x"))
    line = one_line(Cli(tmp_path / "nowhere")("boom"), 70, prefix="sccli: internal error: ")
    assert line.startswith("sccli: internal error: KeyError: 'x'; the full traceback is in ")
    assert len(list(temp.glob("crash-*.txt"))) == 1
    assert not (tmp_path / "nowhere").exists()  # no workspace was created to crash in


@pytest.mark.parametrize(
    ("error", "code", "text"),
    [
        (errors.UsageError("bad\n  value"), 2, "sccli: error: bad value"),
        (errors.AuthFailure("token refused"), 4, "sccli: error: token refused"),
        (errors.PartialFailure("one tracker failed"), 5, "sccli: error: one tracker failed"),
        (errors.TemporaryFailure("busy"), 75, "sccli: error: busy"),
        (SccliError("custom", exit_code=75), 75, "sccli: error: custom"),
        (PermissionError(errno.EACCES, "Permission denied", "/srv/x.xml"), 2,
         "sccli: error: cannot access /srv/x.xml: Permission denied; check the path and its"
         " permissions"),
        (OSError(errno.ENOSPC, "No space left on device", "/srv/x.xml"), 75,
         "sccli: error: cannot access /srv/x.xml: No space left on device; try again later"),
        (click.FileError("/srv/x.xml", "gone"), 2, None),  # click's default code 1 is not ours
    ],
)
def test_errors_map_to_their_code_in_one_place(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, error: BaseException, code: int, text: str | None
) -> None:
    _register(monkeypatch, error)
    result = cli("boom")
    if text is None:
        assert result.exit_code == code and "Traceback" not in result.stderr
        return
    assert one_line(result, code) == text


@pytest.mark.parametrize(
    ("name", "code"),
    [("AuthError", 4), ("Unreachable", 75), ("RateLimited", 75), ("BudgetExhausted", 75),
     ("NotFound", 5), ("ValidationError", 5), ("TrackerError", 5)],
)
def test_tracker_errors_carry_their_code(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, name: str, code: int
) -> None:
    from sccli.adapters import base

    cls = getattr(base, name)
    error = cls(datetime(2026, 1, 1, tzinfo=UTC), "gh") if name == "RateLimited" else cls(
        "went\nwrong", "gh")
    assert isinstance(error, SccliError) and error.exit_code == code
    _register(monkeypatch, error)
    assert one_line(cli("boom"), code).startswith("sccli: error: gh: ")


def test_a_closed_pipe_is_not_a_breach(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """click itself exits 1 on EPIPE; 1 is reserved for an SLA breach."""
    _register(monkeypatch, BrokenPipeError(errno.EPIPE, "Broken pipe"))
    line = one_line(cli("boom"), 2)
    assert "broken pipe" in line


def test_interrupt_is_130(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    _register(monkeypatch, KeyboardInterrupt())
    result = cli("boom")
    assert result.exit_code == 130 and "Traceback" not in result.stderr


def test_an_argument_that_is_not_utf8(cli: Cli) -> None:
    bad = b"caf\xe9".decode("utf-8", "surrogateescape")  # what Python makes of such bytes
    line = one_line(cli("ticket", "show", bad), 2)
    assert "is not valid UTF-8 text" in line and "caf\\xe9" in line


def test_an_argument_that_is_not_utf8_from_a_real_shell(tmp_path: Path) -> None:
    import os
    import subprocess

    env = {**os.environ, "SCCLI_HOME": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable.encode(), b"-m", b"sccli", b"ticket", b"show", b"\xff"],
                         capture_output=True, env=env, timeout=60,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 2
    assert out.stderr.decode().splitlines() == [
        "sccli: error: argument 3 ('\\xff') is not valid UTF-8 text; pass arguments in UTF-8"
        " (check the terminal's or the script's encoding, e.g. LANG=C.UTF-8)"
    ]


# --- the hierarchy -------------------------------------------------------------------------


def test_every_hierarchy_derives_from_the_one_base() -> None:
    from sccli.adapters import AdapterLoadError
    from sccli.adapters.base import TrackerError
    from sccli.domain.calendar import CalendarRangeError
    from sccli.schema import ConfigError
    from sccli.secrets import SecretError, SecretUnavailable

    for cls, code in [(ConfigError, 2), (SecretError, 2), (SecretUnavailable, 75),
                      (AdapterLoadError, 2), (TrackerError, 5), (CalendarRangeError, 2)]:
        assert issubclass(cls, SccliError) and cls.exit_code == code, cls
    assert issubclass(AdapterLoadError, LookupError)  # still what older callers catch
    assert str(ConfigError("f.yaml", 3, "a.b", "bad\nvalue")) == "f.yaml:3: a.b: bad value"


def test_the_message_is_one_line() -> None:
    assert str(SccliError("  what is wrong\n\tand how\r\nto fix it ")) == (
        "what is wrong and how to fix it"
    )
    assert str(errors.UsageError("")) == "UsageError"
    assert errors.EXIT_CODES[errors.INTERNAL][0].startswith("internal error")
    assert [c for c, (_, temporary) in errors.EXIT_CODES.items() if temporary] == [75]


def test_errors_module_is_a_leaf() -> None:
    """The domain imports sccli.errors: it must import nothing from sccli."""
    tree = ast.parse(Path(errors.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("sccli"), node.module
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith("sccli") for a in node.names)


def test_readme_documents_every_exit_code() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    for code in errors.EXIT_CODES:
        assert re.search(rf"^\| {code} \|", table, re.M), code
    assert "70" in cli_module.EPILOG
