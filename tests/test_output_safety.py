"""Everything sccli prints passes one output gate (sccli.render).

- A credential is never printed: not in `sync`'s table, JSON or dry-run (a partner's reply
  pulled from its tracker), not in `ticket show`, `ticket list` or `triage`, even for text
  that reached the store in clear. Only `ticket secret` shows the values, on purpose.
- Control characters in user text (screen clear, window title, carriage return, RTL
  override) cannot drive the terminal in table output and plain lines, with or without
  colours; JSON keeps the exact text.
- A CSV cell that a spreadsheet would execute as a formula is escaped with a leading `'`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest

from sccli.adapters.local import LocalTracker
from tests.conftest import Cli

PASSWORD = "Qx7-Partner-Pa55"
REPLY = f"Try our test user: login qa, password: {PASSWORD}"

EVIL_TITLE = "Report A\x1b[2J\x1b]0;pwned\x07B\rC\u202eD"
# What a terminal (or a log) gets instead: visible, inert text.
SHOWN_TITLE = "Report A^[[2J^[]0;pwned^GB^MC\\u202eD"
EVIL_REPORTER = "x\x1b[2j\u202e@acme.example"  # addresses are stored lower-case
SHOWN_REPORTER = "x^[[2j\\u202e@acme.example"

# Raw control and bidi characters a terminal would act on; colours (SGR) are ours.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")

CONFIG = """\
executor:
  name: Programmnye Tekhnologii
  email: crm.support@samarasoft.com
  language: ru
parties:
  vendor:
    kind: vendor
    title: BPMSoft
    language: ru
  partner-x:
    kind: partner
    title: Partner X
    language: en
    tracker: partner-local
trackers:
  partner-local:
    adapter: local
    path: trackers/partner
"""


def assert_inert(text: str) -> None:
    """No raw control character but our own colour codes."""
    found = UNSAFE.search(SGR.sub("", text))
    assert found is None, f"raw {found.group()!r} in output: {text!r}"


@pytest.fixture
def ws(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path / "ws", env={"SCCLI_VAULT": "file"})
    cli.ok("init")
    (Path(cli.home) / "sccli.yaml").write_text(CONFIG, encoding="utf-8")
    cli.ok("client", "add", "ACME", "--name", "Acme Corp")
    return cli


def add_ticket(cli: Cli, title: str = "Posting fails", reporter: str = "it@acme.example",
               body: str = "It crashes.", priority: str = "high") -> str:
    args = ["--priority", priority] if priority else []  # none: triage proposes one
    return cli.ok("ticket", "add", "--client", "ACME", "--from", reporter, "--title", title,
                  "--body", body, *args).stdout.strip()


def partner_replies(cli: Cli, text: str = REPLY) -> str:
    """A ticket escalated to partner-x, whose reply (with a password) waits to be pulled."""
    tid = add_ticket(cli)
    cli.ok("ticket", "set", tid, "--source", "partner-product", "--party", "partner-x")
    cli.ok("sync")
    issue = next(iter(LocalTracker(Path(cli.home) / "trackers" / "partner").records()))
    LocalTracker(Path(cli.home) / "trackers" / "partner").add_comment(
        issue["id"], text, "dev@partner-x.example")
    return tid


def printed(result) -> str:
    return result.stdout + result.stderr


# --- credentials -------------------------------------------------------------------------

SYNC_KEYS = {"dry_run", "exit_code", "trackers", "actions", "changes", "requests"}


def test_sync_never_prints_a_pulled_password(ws):
    tid = partner_replies(ws)
    # dry runs first: the reply is still pending, so the plan shows it
    plan = ws.ok("sync", "--dry-run")
    assert "comment-in" in plan.stdout and "[redacted]" in plan.stdout
    assert PASSWORD not in printed(plan)
    plan_json = ws.ok("sync", "--dry-run", "--format", "json")
    assert PASSWORD not in printed(plan_json)
    data = plan_json.json()
    assert set(data) == SYNC_KEYS  # the JSON keeps its shape
    (pulled,) = [a for a in data["actions"] if a["action"] == "comment-in"]
    assert pulled["detail"] == "dev@partner-x.example: Try our test user: login qa, password:" \
                               " [redacted]"
    done = ws.ok("sync")  # applied: the reply's password went to the vault before it printed
    assert "comment-in" in done.stdout and f"password: [secret:{tid}/" in done.stdout
    assert PASSWORD not in printed(done)
    # what was pulled is a note; every view of the ticket keeps the password out
    for args in (("ticket", "show", tid), ("ticket", "show", tid, "--format", "json"),
                 ("ticket", "show", tid, "--format", "csv"), ("ticket", "list"), ("triage",),
                 ("triage", "--format", "json")):
        assert PASSWORD not in printed(ws.ok(*args)), args
    # …but the engineer who asks for the secrets gets them
    for fmt in ("table", "json", "csv"):
        shown = ws.ok("ticket", "secret", tid, "--format", fmt)
        assert PASSWORD in shown.stdout, fmt
    values = [r["value"] for r in ws.ok("ticket", "secret", tid, "--format", "json").json()]
    assert PASSWORD in values


def test_sync_json_never_prints_a_pulled_password(ws):
    partner_replies(ws)
    done = ws.ok("sync", "--format", "json")
    assert PASSWORD not in printed(done)
    data = done.json()
    assert set(data) == SYNC_KEYS
    assert [a["action"] for a in data["actions"]] == ["comment-in"]
    assert data["actions"][0]["detail"].endswith("password: [secret:ACME-1/1]")


def test_a_password_cut_by_the_detail_column_leaves_no_piece(ws):
    """The action detail is cut at 60 characters. Cut before it is masked, a URL's password
    would lose the '@' that makes it one, and its first letters would be printed."""
    padding = "Our test stand is up again, please try it:"  # the password starts at 54
    partner_replies(ws, f"{padding} https://qa:{PASSWORD}@stand.partner-x.example/login")
    for args in (("sync", "--dry-run"), ("sync", "--dry-run", "--format", "json")):
        out = ws.ok(*args).stdout
        assert "https://qa:[" in out and PASSWORD[:3] not in out, out


def test_the_gate_covers_table_cells_and_every_json_string():
    """What sync prints is a table of action rows or their JSON; the gate does not depend on
    how a row's text was made (sync also masks the detail it cuts, see above)."""
    from sccli.render import Column, table, to_json

    rows = [{"action": "comment-in", "detail": f"bob: login qa, password: {PASSWORD}",
             "changes": [{"detail": {"text": f"password: {PASSWORD}"}}], "count": 3}]
    out = table(rows, [Column("action", "action", "a"), Column("detail", "detail", "d")], "en")
    assert PASSWORD not in out and "bob: login qa, password: [redacted]" in out
    data = json.loads(to_json(rows))
    assert data == [{"action": "comment-in", "detail": "bob: login qa, password: [redacted]",
                     "changes": [{"detail": {"text": "password: [redacted]"}}], "count": 3}]
    assert json.loads(to_json(rows, reveal=["detail"]))[0]["detail"].endswith(PASSWORD)


def _plant_in_store(cli: Cli, tid: str, title: str, body: str) -> None:
    """Text that reached the store in clear (an older sccli, a hand-made import): the
    output gate does not rely on the store's own redaction."""
    with sqlite3.connect(Path(cli.home) / "sccli.db") as db:
        db.execute("UPDATE tickets SET title = ?, body = ? WHERE id = ?", (title, body, tid))
    db.close()


def test_text_stored_in_clear_is_redacted_in_every_view(ws, monkeypatch):
    import sccli.commands.triage as triage_cmd

    tid = add_ticket(ws)
    _plant_in_store(ws, tid, f"Login fails, password: {PASSWORD}",
                    f"Account: qa\npassword: {PASSWORD}\nsteps: open the form")
    for args in (("ticket", "show", tid), ("ticket", "show", tid, "--format", "json"),
                 ("ticket", "list"), ("ticket", "list", "--format", "json"),
                 ("ticket", "list", "--format", "csv"), ("triage", "--format", "json")):
        out = ws.ok(*args).stdout
        assert PASSWORD not in out and "[redacted]" in out, args
    show = ws.ok("ticket", "show", tid, "--format", "json").json()
    assert show["title"] == "Login fails, password: [redacted]"
    assert show["body"] == "Account: qa\npassword: [redacted]\nsteps: open the form"
    monkeypatch.setattr(triage_cmd, "stdin_is_terminal", lambda: True)
    asked = ws("triage", "--interactive", input="n\n" * 5)
    assert f"{tid} — Login fails, password: [redacted]" in asked.stdout
    assert PASSWORD not in printed(asked)


# --- terminal injection -------------------------------------------------------------------

@pytest.fixture(params=["NO_COLOR", "colour"])
def term(request, ws, monkeypatch):
    """NO_COLOR set, or unset on a (simulated) terminal where colours are on."""
    import sccli.render

    if request.param == "colour":
        ws.env.pop("NO_COLOR")
        monkeypatch.delenv("NO_COLOR", raising=False)
        monkeypatch.setattr(sccli.render, "use_color", lambda: True)
    return ws


def test_control_characters_are_neutralised_on_terminal_output(term, monkeypatch):
    import sccli.commands.triage as triage_cmd

    tid = add_ticket(term, title=EVIL_TITLE, reporter=EVIL_REPORTER,
                     body="first line\r\n\tsecond \x1b[31mline\x9b\u2066", priority="")
    listing = term.ok("ticket", "list")
    assert SHOWN_TITLE in listing.stdout and SHOWN_REPORTER in listing.stdout
    assert_inert(listing.stdout)
    show = term.ok("ticket", "show", tid)
    assert f"title: {SHOWN_TITLE}\n" in show.stdout
    # a multi-line body keeps its lines and tabs (CRLF is a newline), nothing else
    assert "\nfirst line\n\tsecond ^[[31mline\\x9b\\u2066\n" in show.stdout
    assert_inert(show.stdout)
    triage = term.ok("triage")
    assert f"{SHOWN_REPORTER} is not the authorized contact" in triage.stdout
    assert_inert(triage.stdout)
    # the interactive walk names each ticket by its title (an authorized sender's, so that
    # triage proposes asking for what is missing)
    term.ok("contact", "set", "ACME", "it@acme.example")
    asking = add_ticket(term, title=EVIL_TITLE, priority="")
    monkeypatch.setattr(triage_cmd, "stdin_is_terminal", lambda: True)
    asked = term("triage", "--interactive", input="n\n" * 3)
    assert f"{asking} — {SHOWN_TITLE}\n" in asked.stdout
    assert_inert(asked.stdout)


def test_colours_survive_the_gate():
    """Only code-made colours reach the terminal as escape sequences."""
    import click

    from sccli.render import Column, join_styled, table

    painted = click.style("breached", fg="red")
    from sccli.render import Styled

    rows = [{"state": Styled(painted), "flags": join_styled(", ", [Styled(painted), "x\x1b[2J"]),
             "title": "\x1b[31mfake"}]
    out = table(rows, [Column("state", "state", "s"), Column("flags", "flags", "f"),
                       Column("title", "title", "t")], "en")
    assert out.count(painted) == 2 and "x^[[2J" in out and "^[[31mfake" in out


def test_table_cells_are_one_line():
    from sccli.render import Column, table

    out = table([{"a": "one\ntwo\tthree\r\nfour"}], [Column("a", "a", "a")], "en")
    assert out.splitlines()[-1] == "one two three four"


def test_json_keeps_the_exact_text_and_escapes_what_a_terminal_acts_on(ws):
    tid = add_ticket(ws, title=EVIL_TITLE, reporter=EVIL_REPORTER)
    for args in (("ticket", "list", "--format", "json"), ("ticket", "show", tid, "--format",
                                                            "json")):
        out = ws.ok(*args).stdout
        assert_inert(out)  # C0 by json.dumps, DEL, C1 and bidi as \\uXXXX escapes
        assert "\\u202e" in out and "\\u001b" in out
        data = json.loads(out)
        row = data[0] if isinstance(data, list) else data
        assert row["title"] == EVIL_TITLE and row["reporter"] == EVIL_REPORTER
    c1 = ws.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title",
               "C1 \x9b2J and DEL \x7f and \u2067isolate", "--format", "json").json()["id"]
    out = ws.ok("ticket", "show", c1, "--format", "json").stdout
    assert "\\u009b" in out and "\\u007f" in out and "\\u2067" in out
    assert json.loads(out)["title"] == "C1 \x9b2J and DEL \x7f and \u2067isolate"


# --- CSV injection -----------------------------------------------------------------------

def test_csv_formulas_are_escaped(ws):
    add_ticket(ws, title='=HYPERLINK("http://x","y")')
    add_ticket(ws, title="@SUM(A1:A9)")
    add_ticket(ws, title="-2+3 is not a number")
    add_ticket(ws, title="plain title")
    rows = list(csv.DictReader(io.StringIO(ws.ok("ticket", "list", "--format", "csv").stdout)))
    assert [r["title"] for r in rows] == ["'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(A1:A9)",
                                          "'-2+3 is not a number", "plain title"]
    # JSON is data, not a spreadsheet: the exact title
    titles = [r["title"] for r in ws.ok("ticket", "list", "--format", "json").json()]
    assert titles[0] == '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize(("value", "cell"), [
    ("-25", "-25"), (-25, "-25"), ("+7", "+7"), ("-0.5", "-0.5"), ("-1,5", "-1,5"),
    ("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-1-1", "'-1-1"), ("@x", "'@x"),
    ("\tx", "'\tx"), ("\r=1", "^M=1"), ("a=b", "a=b"), ("", ""), (None, ""),
])
def test_csv_cell(value, cell):
    from sccli.render import csv_cell

    assert csv_cell(value) == cell


def test_csv_redacts_but_the_secret_column(ws):
    from sccli.render import Column, csv_text

    text = csv_text([{"note": f"password: {PASSWORD}", "value": PASSWORD}],
                    [Column("note", "note", "n"), Column("value", "value", "v", reveal=True)])
    assert text == f"note,value\npassword: [redacted],{PASSWORD}\n"


def test_error_lines_pass_the_gate(ws):
    """`sccli: error: …` quotes what it was given: a path, a server's message."""
    bad = ws("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title", "t",
             "--body-file", f"/nowhere/\x1b[2J password: {PASSWORD}")
    assert bad.exit_code == 2
    assert bad.stderr == "sccli: error: --body-file /nowhere/^[[2J password: [redacted]: no" \
                         " such file\n"
