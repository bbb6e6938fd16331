"""Helpers for the sync tests: a workspace with two local trackers (vendor, partner)."""

from __future__ import annotations

from pathlib import Path

from sccli.adapters.local import LocalTracker

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
    tracker: vendor-local
  partner-x:
    kind: partner
    title: Partner X
    language: en
    tracker: partner-local
  partner-y:
    kind: partner
    title: Partner Y
    language: en
trackers:
  vendor-local:
    adapter: local
    path: trackers/vendor
  partner-local:
    adapter: local
    path: trackers/partner
{extra}"""


def configure(cli, extra: str = "") -> None:
    (Path(cli.home) / "sccli.yaml").write_text(CONFIG.format(extra=extra), encoding="utf-8")
    cli.ok("client", "add", "ACME", "--name", "Acme Corp", "--system-url",
           "https://acme.bpmsoft.example")


def tracker(cli, which: str) -> LocalTracker:
    return LocalTracker(Path(cli.home) / "trackers" / which)


def add_ticket(cli, title="Report fails", body="It crashes.", source=None, party=None,
               priority="high") -> str:
    tid = cli.ok("ticket", "add", "--client", "ACME", "--from", "it@acme.example", "--title",
                 title, "--body", body, "--priority", priority).stdout.strip()
    if source:
        args = ["ticket", "set", tid, "--source", source]
        if party:
            args += ["--party", party]
        cli.ok(*args)
    return tid




def store_of(cli):
    from sccli.store import open_store

    return open_store(cli.db, Path(cli.home))


def remote_issues(cli, which: str) -> list[dict]:
    return list(tracker(cli, which).records())
