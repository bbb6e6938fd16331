"""Sync benchmark: N tickets escalated to a GitHub-like fake, then syncs with nothing changed.

    python bench/sync_bench.py --tickets 2000 [--latency-ms 0] [--keep DIR]

Reports API requests made (counted by the fake server) against the lower bound (pages of
changed items + one write per real change), then the cost of later syncs:
- the sync right after the burst reads the burst's pages back once (the listing URL has a
  new ``since``: nothing to compare an ETag with yet);
- every sync after that, with nothing changed, is one conditional GET of the newest-first
  first page, answered 304 (no GitHub quota), and stops there.
GitHub's "serial writes at least one second apart" spacing is disabled here (the fake has
no secondary rate limit); against github.com, 2,000 creates take at least 2,000 s.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_tracker import FakeGitHub  # noqa: E402

CONFIG = """\
executor:
  name: Bench Integrator
  email: support@bench.example
  language: en
parties:
  vendor:
    kind: vendor
    title: BPMSoft
    language: en
    tracker: vendor-gh
trackers:
  vendor-gh:
    adapter: github
    repo: acme/crm
    token: env:BENCH_GH_TOKEN
    api_url: {url}
"""


def make_workspace(home: Path, url: str, n: int) -> None:
    from sccli.app import App
    from sccli.config import default_sla_text
    from sccli.domain.model import Channel, Client, EventKind, Ticket
    from sccli.store.codec import event_from_data as Event

    home.mkdir(parents=True, exist_ok=True)
    (home / "sccli.yaml").write_text(CONFIG.format(url=url), encoding="utf-8")
    (home / "sla.yaml").write_text(default_sla_text(), encoding="utf-8")
    app = App(home=str(home), lang="en")
    store, now = app.store, app.clock
    with store.transaction():
        store.add_client(Client("ACME", "Acme Corp", "https://acme.example"), now)
        for _ in range(n):
            tid = store.next_ticket_id("ACME")
            ticket = Ticket(tid, "ACME", "it@acme.example", f"Problem {tid}",
                            "It fails.\n1. open\n2. click\nExpected: ok\nActual: error",
                            Channel.PORTAL, False, now)
            store.add_ticket(ticket, Event(tid, 1, EventKind.REGISTERED, now, "bench",
                                           {"priority": "high"}), "new", now)
            store.insert_event(Event(tid, 2, EventKind.SOURCE_SET, now, "bench",
                                     {"source": "vendor-product", "party": None}), now)
    app.close()


def sync_once(home: Path, overlap: float) -> tuple[list, object, float]:
    from sccli.adapters.http import HttpFactory, RequestBudget
    from sccli.app import App
    from sccli.sync.apply import run_sync

    app = App(home=str(home), lang="en")
    factory = HttpFactory(budget=RequestBudget(5000), sleep=lambda s: None)
    started = time.perf_counter()
    try:
        outcomes = run_sync(app, ["vendor-gh"], factory, overlap=overlap)
    finally:
        app.close()
    return outcomes, factory, time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--keep", metavar="DIR", help="Keep the workspace in DIR.")
    args = parser.parse_args(argv)
    os.environ["BENCH_GH_TOKEN"] = "ghp_" + "b" * 36
    fake = FakeGitHub(latency=args.latency_ms / 1000).start()
    home = Path(args.keep or tempfile.mkdtemp(prefix="sccli-sync-bench-"))
    try:
        make_workspace(home, fake.url, args.tickets)
        pages = math.ceil(args.tickets / 100)
        print(f"sync benchmark: {args.tickets} tickets to escalate, fake GitHub at {fake.url},"
              f" latency {args.latency_ms:g} ms/request")
        print(f"{'run':<44} {'requests':>8} {'writes':>6} {'304':>5} {'bound':>6} {'time':>7}")
        runs = [
            ("1 escalate all (first sync)", 120, args.tickets + pages),
            ("2 next sync (reads the burst back once)", 120, pages),
            ("3 nothing changed", 120, 1),
            ("4 nothing changed again", 120, 1),
        ]
        for label, overlap, bound in runs:
            fake.reset_counts()
            outcomes, factory, seconds = sync_once(home, overlap)
            failed = [o for o in outcomes if o.error]
            if failed:
                print(f"{label}: FAILED: {failed[0].error}")
                return 1
            total = sum(v for k, v in fake.counts.items() if k != "304")
            writes = fake.counts["POST"]
            shown = str(bound)
            print(f"{label:<44} {total:>8} {writes:>6} {fake.counts['304']:>5} {shown:>6}"
                  f" {seconds:>6.2f}s")
        issues = len(fake.issues)
        print(f"remote issues: {issues} (expected {args.tickets}); budget counted"
              f" {factory.requests_made} requests in the last run")
        return 0 if issues == args.tickets else 1
    finally:
        fake.stop()


if __name__ == "__main__":
    raise SystemExit(main())
