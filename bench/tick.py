"""Benchmark `sccli tick` with nothing to do against `sccli sla check`, on one big store.

    python bench/gen_store.py --tickets 100000 --home /tmp/sccli-bench-tick
    python bench/tick.py --home /tmp/sccli-bench-tick

The first tick run at ``--at`` records every fact due then (the generated store has
thousands: breaches, overdue answers, expired acceptance windows); it is timed once and
reported apart. Then both commands run in-process as of the same instant, best of
--repeat each: `tick` has nothing left to do (the cron case: most runs find nothing new),
so the ratio says what the fold of every candidate ticket costs over `sla check`'s.
Note: the settling run writes into the store (use a store made for the benchmark).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import time

from sla_check import best  # noqa: E402 - the one timing helper (bench/ is on sys.path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", default="/tmp/sccli-bench-tick")
    parser.add_argument("--at", default="2026-11-25T12:00:00+03:00")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from sccli.cli import main as sccli_main

    os.environ["SCCLI_NOW"] = args.at  # tick runs as of the clock; sla check as of --at

    def run(*argv: str) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()), \
                contextlib.suppress(SystemExit):
            sccli_main(["--home", args.home, *argv])
        return out.getvalue()

    t0 = time.perf_counter()
    first = run("tick", "--format", "json")
    settle_s = time.perf_counter() - t0
    import json

    recorded = len(json.loads(first)["facts"]) if first.strip() else 0
    again = json.loads(run("tick", "--format", "json"))
    assert again["facts"] == [], "tick still had something to do"

    check_s = best(lambda: run("--at", args.at, "sla", "check", "--format", "json"), args.repeat)
    tick_s = best(lambda: run("tick", "--format", "json"), args.repeat)
    check_cpu = best(lambda: run("--at", args.at, "sla", "check", "--format", "json"),
                     args.repeat, time.process_time)
    tick_cpu = best(lambda: run("tick", "--format", "json"), args.repeat, time.process_time)
    print(f"settling tick run: {settle_s:6.2f} s, {recorded} facts recorded")
    print(f"sla check (in-process):            {check_s:6.2f} s   (CPU {check_cpu:.2f} s)")
    print(f"tick, nothing to do (in-process):  {tick_s:6.2f} s   (CPU {tick_cpu:.2f} s)")
    print(f"ratio tick / sla check:            {tick_s / check_s:6.2f}"
          f"   (CPU {tick_cpu / check_cpu:.2f})")


if __name__ == "__main__":
    main()
