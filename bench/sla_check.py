"""Benchmark `sccli sla check` on a big store against a plain read of the same rows.

    python bench/gen_store.py --tickets 100000 --home /tmp/sccli-bench
    python bench/sla_check.py --home /tmp/sccli-bench

Prints, from one run: the plain read (the open tickets' rows and events, fetched through
the store and decoded from JSON), the floor (the same as tuples with the cyclic GC paused:
the least any SLA computation must do), `sla check` in-process, and
`sccli sla check` as a whole process (start-up included), with their ratios, and the
in-process ratio in CPU time (steadier on a busy machine). Best of --repeat runs each.

`sla check` reads only the events its clocks depend on (notes, sources and reorders are
left in the store), so it may read fewer rows than the plain read does.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time


def best(fn, repeat: int, clock=time.perf_counter) -> float:
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", default="/tmp/sccli-bench")
    parser.add_argument("--at", default="2026-11-25T12:00:00+03:00")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from pathlib import Path

    from sccli.domain.model import OPEN_STATUSES
    from sccli.store import open_store

    store = open_store(None, Path(args.home))
    statuses = [s.value for s in OPEN_STATUSES]
    marks = ",".join("?" * len(statuses))
    n_tickets = store.query("SELECT COUNT(*) AS n FROM tickets")[0]["n"]
    n_events = store.query("SELECT COUNT(*) AS n FROM events")[0]["n"]

    select = ("SELECT e.ticket_id, e.seq, e.kind, e.at, e.actor, e.data FROM events e"
              " JOIN tickets t ON t.id = e.ticket_id"
              f" WHERE t.status IN ({marks}) ORDER BY e.ticket_id, e.seq")

    def plain_read():
        """The same rows sla check reads, as any code would: the store's rows, JSON decoded."""
        tickets = store.query(f"SELECT id FROM tickets WHERE status IN ({marks})", statuses)
        rows = store.query(select, statuses)
        for row in rows:
            json.loads(row["data"])
        return len(tickets), len(rows)

    def floor_read():
        """The tightest read: plain tuples, the cyclic GC paused as sccli pauses it."""
        gc.disable()
        try:
            store.tuples(f"SELECT id FROM tickets WHERE status IN ({marks})", statuses)
            for row in store.tuples(select, statuses):
                json.loads(row[5])
        finally:
            gc.enable()

    open_tickets, open_events = plain_read()
    argv = ["--home", args.home, "--at", args.at, "sla", "check", "--format", "json"]

    def in_process():
        import contextlib
        import io

        from sccli.cli import main as sccli_main

        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            sccli_main(argv)

    def whole_process():
        subprocess.run([sys.executable, "-m", "sccli", *argv], stdout=subprocess.DEVNULL,
                       check=False)

    read_s = best(plain_read, args.repeat)
    floor_s = best(floor_read, args.repeat)
    check_s = best(in_process, args.repeat)
    proc_s = best(whole_process, args.repeat)
    # CPU time of this process: what a busy machine (other jobs on the cores) changes least
    read_cpu = best(plain_read, args.repeat, time.process_time)
    check_cpu = best(in_process, args.repeat, time.process_time)
    print(f"store: {n_tickets} tickets, {n_events} events; open: {open_tickets} tickets,"
          f" {open_events} events")
    print(f"plain read of the open rows:   {read_s:6.2f} s   (floor: {floor_s:.2f} s)")
    print(f"sla check (in-process):        {check_s:6.2f} s   ratio {check_s / read_s:.2f}"
          f"   (to the floor {check_s / floor_s:.2f})")
    print(f"sccli sla check (new process): {proc_s:6.2f} s   ratio {proc_s / read_s:.2f}"
          f"   (to the floor {proc_s / floor_s:.2f})")
    print(f"CPU time, in-process:          {check_cpu:6.2f} s   ratio {check_cpu / read_cpu:.2f}"
          f"   (plain read {read_cpu:.2f} s)")


if __name__ == "__main__":
    main()
