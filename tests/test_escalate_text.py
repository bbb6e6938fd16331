"""`sccli escalate --edit` / `--message-file`: the engineer writes the text before it goes.

The escalation is how the executor "helps the client deal with the vendor / partner"
(contract, "Boundaries": "Source in the vendor's product or another partner-developer's
product: the executor helps the client deal with that vendor / partner"; RU: "Исполнитель
оказывает помощь во взаимодействии с вендором или другим партнером-разработчиком"). The
request carries "an account with its password" (contract, "How requests are handled"), so
whatever text goes out — prepared or the engineer's own — is redacted first: a password
typed by the engineer never reaches the other tracker.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sccli.adapters.local import LocalTracker

PASSWORD = "Zx9-Very$ecret"
EDITOR = """\
import os, shutil, sys
path = sys.argv[1]
shutil.copy(path, os.environ["ED_SEEN"])
mode = os.environ["ED_MODE"]
if mode == "replace":
    with open(os.environ["ED_TEXT"], encoding="utf-8") as src:
        text = src.read()
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)
elif mode == "empty":
    with open(path, "w", encoding="utf-8") as out:
        out.write("\\n   \\n")
elif mode == "fail":
    sys.exit(3)
"""
CONFIG = """\
executor:
  name: Programmnye Tekhnologii
  email: crm.support@samarasoft.com
  language: ru
parties:
  vendor: {kind: vendor, title: BPMSoft, language: ru, tracker: vendor-local}
  partner-x: {kind: partner, title: Partner X, language: en, tracker: partner-local}
trackers:
  vendor-local: {adapter: local, path: trackers/vendor}
  partner-local: {adapter: local, path: trackers/partner}
"""
ENGINEER_TEXT = f"""Hello Partner X,

your module breaks the invoice page since your release 2.4.
Test account: tester, password: {PASSWORD}

Steps: 1) open an invoice 2) press Print.
"""


@pytest.fixture
def ws(cli, tmp_path):
    (Path(cli.home) / "sccli.yaml").write_text(CONFIG, encoding="utf-8")
    cli.ok("client", "add", "ACME", "--name", "Acme Corp", "--system-url",
           "https://acme.example")
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")
    editor = f'"{sys.executable}" "{script}"'
    text = tmp_path / "engineer.md"
    text.write_text(ENGINEER_TEXT, encoding="utf-8")
    cli.env.update({"EDITOR": editor, "VISUAL": editor, "ED_SEEN": str(tmp_path / "seen.md"),
                    "ED_TEXT": str(text), "ED_MODE": "replace"})
    cli.seen = tmp_path / "seen.md"  # what the editor was given
    cli.text = text
    return cli


def add(cli, source="partner-product", party="partner-x") -> str:
    tid = cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title",
                 "Invoice print fails", "--body",
                 "Printing fails.\nSteps:\n1. Open an invoice\n2. Press Print",
                 "--priority", "high").stdout.strip()
    cli.ok("ticket", "set", tid, "--source", source, "--party", party)
    return tid


def issues(cli, which="partner") -> list[dict]:
    return list(LocalTracker(Path(cli.home) / "trackers" / which).records())


def nothing_written(cli, tid: str) -> None:
    assert issues(cli) == []
    assert "no remote issues" in cli.ok("links", tid).stdout
    from sccli.store import open_store

    store = open_store(cli.db, Path(cli.home))
    try:
        assert store.pending_intents() == []
    finally:
        store.close()


def test_edit_sends_the_engineers_text_redacted(ws):
    tid = add(ws)
    prepared = ws.ok("escalate", tid, "--dry-run", "--format", "json").json()["body"]
    out = ws.ok("escalate", tid, "--edit").stdout
    assert f"{tid}: escalated to partner-x as partner-local #1" in out
    # the editor got the prepared text: the sections the partner needs, in its language
    seen = ws.seen.read_text(encoding="utf-8")
    assert seen.rstrip("\n") == prepared.rstrip("\n")
    assert "### Steps to reproduce" in seen and "1. Open an invoice" in seen
    (issue,) = issues(ws)
    assert issue["title"] == f"{tid}: Invoice print fails"  # the title stays
    assert "your module breaks the invoice page since your release 2.4." in issue["body"]
    assert "### Steps to reproduce" not in issue["body"]  # the engineer's text instead
    assert PASSWORD not in issue["body"]
    assert f"Test account: tester, password: [secret:{tid}/1]" in issue["body"]


def test_edit_saved_empty_cancels_and_writes_nothing(ws):
    tid = add(ws)
    ws.env["ED_MODE"] = "empty"
    result = ws("escalate", tid, "--edit")
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"sccli: error: {tid}: escalation cancelled: the text is"
                                     " empty; nothing was sent or recorded")
    nothing_written(ws, tid)
    ws.env["ED_MODE"] = "keep"  # a later escalation still works
    assert "escalated to partner-x" in ws.ok("escalate", tid, "--edit").stdout


def test_edit_closed_without_saving_sends_the_prepared_text(ws):
    tid = add(ws)
    prepared = ws.ok("escalate", tid, "--dry-run", "--format", "json").json()["body"]
    ws.env["ED_MODE"] = "keep"
    ws.ok("escalate", tid, "--edit")
    assert issues(ws)[0]["body"].rstrip("\n") == prepared.rstrip("\n")


def test_a_failing_editor_stops_with_one_line_and_writes_nothing(ws):
    tid = add(ws)
    ws.env["ED_MODE"] = "fail"
    result = ws("escalate", tid, "--edit")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--edit: " in result.stderr and "Editing failed ($EDITOR); nothing was sent" \
        in result.stderr
    nothing_written(ws, tid)


def test_message_file_sends_that_text_redacted(ws):
    tid = add(ws)
    ws.ok("escalate", tid, "--message-file", str(ws.text))
    body = issues(ws)[0]["body"]
    assert body.startswith("Hello Partner X,") and PASSWORD not in body
    assert f"password: [secret:{tid}/1]" in body
    assert not ws.seen.exists()  # no editor involved


def test_message_file_from_stdin_and_its_dry_run(ws):
    tid = add(ws)
    preview = ws("escalate", tid, "--message-file", "-", "--dry-run", "--format", "json",
                 input=ENGINEER_TEXT)
    assert preview.exit_code == 0, preview.stderr
    data = preview.json()
    assert data["dry_run"] is True and data["body"].startswith("Hello Partner X,")
    assert PASSWORD not in preview.stdout and f"[secret:{tid}/1]" in data["body"]
    nothing_written(ws, tid)
    ws.ok("escalate", tid, "--message-file", "-", input="Short note from the engineer.\n")
    assert issues(ws)[0]["body"].startswith("Short note from the engineer.")


def test_vendor_escalation_is_redacted_too(ws):
    tid = add(ws, source="vendor-product", party="vendor")
    ws.ok("escalate", tid, "--message-file", "-",
          input=f"Коллеги, ошибка платформы.\nУчетная запись: demo, пароль: {PASSWORD}\n")
    (issue,) = issues(ws, "vendor")
    assert PASSWORD not in issue["body"] and f"пароль: [secret:{tid}/1]" in issue["body"]


@pytest.mark.parametrize("args,needle", [
    (("--edit", "--message-file", "x.md"), "give either --edit or --message-file, not both"),
    (("--message-file", "/nonexistent/text.md"), "--message-file /nonexistent/text.md: no"
                                                 " such file"),
])
def test_bad_text_options_are_one_clear_line(ws, args, needle):
    tid = add(ws)
    result = ws("escalate", tid, *args)
    assert result.exit_code == 2 and needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    nothing_written(ws, tid)


def test_empty_message_file_cancels(ws, tmp_path):
    tid = add(ws)
    empty = tmp_path / "empty.md"
    empty.write_text("\n", encoding="utf-8")
    result = ws("escalate", tid, "--message-file", str(empty))
    assert result.exit_code == 2 and "escalation cancelled: the text is empty" in result.stderr
    nothing_written(ws, tid)


def test_an_escalated_ticket_opens_no_editor(ws):
    tid = add(ws)
    ws.ok("escalate", tid)
    out = ws.ok("escalate", tid, "--edit").stdout
    assert "already escalated to partner-x" in out
    assert not ws.seen.exists() and len(issues(ws)) == 1
