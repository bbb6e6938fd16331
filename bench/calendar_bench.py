"""Benchmark business-time arithmetic: 100,000 `add` + `elapsed` pairs on the contract calendar.

    python bench/calendar_bench.py [--pairs 100000] [--repeat 5] [--seed 7]

Each pair is what an SLA clock does: a deadline (`add(start, seconds)`) and the business
time back to it (`elapsed(start, deadline)`), from random starts across 2024–2027 (Moscow,
working Saturdays and transferred days off included) with budgets up to five business
days. The baseline, measured in the same run over the same cases, is a trivial loop of the
same size doing calendar-free arithmetic (`start + timedelta`, then the difference), so the
ratio says what business time costs over plain datetime arithmetic on this machine. Each
figure is the best of --repeat runs; the timeline is built before measuring. Every pair is
also checked to round-trip (elapsed(start, add(start, n)) == n).
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sccli.domain.calendar import BusinessCalendar, CalendarSpec  # noqa: E402

MSK = ZoneInfo("Europe/Moscow")
SPAN = 4 * 365 * 86400  # 2024-01-01 … end of 2027
MAX_BUDGET = 5 * 32400  # five 9-hour business days


from sla_check import best  # noqa: E402 - the one timing helper (bench/ is on sys.path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rnd = random.Random(args.seed)
    base = datetime(2024, 1, 1, tzinfo=MSK)
    cases = [
        (base + timedelta(seconds=rnd.randrange(SPAN)), rnd.randrange(1, MAX_BUDGET))
        for _ in range(args.pairs)
    ]
    cal = BusinessCalendar(CalendarSpec())  # the contract's defaults: Moscow, 08:30–17:30
    cal.add(base, 1)  # build the timeline outside the measurement
    cal.add(base + timedelta(seconds=SPAN), MAX_BUDGET)

    def business() -> None:
        add, elapsed = cal.add, cal.elapsed
        for start, n in cases:
            elapsed(start, add(start, n))

    def trivial() -> None:
        for start, n in cases:
            _ = (start + timedelta(seconds=n)) - start

    bad = sum(1 for start, n in cases if cal.elapsed(start, cal.add(start, n)) != n)
    business_s = best(business, args.repeat)
    trivial_s = best(trivial, args.repeat)
    per_100k = 100_000 / args.pairs
    print(f"{args.pairs} add+elapsed pairs, best of {args.repeat}"
          f" (round-trip mismatches: {bad})")
    print(f"business calendar:   {business_s * per_100k:6.3f} s per 100,000 pairs"
          f"   ({business_s / args.pairs * 1e6:.2f} µs a pair)")
    print(f"trivial loop:        {trivial_s * per_100k:6.3f} s per 100,000 pairs"
          f"   (datetime + timedelta, then the difference)")
    print(f"ratio:               {business_s / trivial_s:6.1f}")


if __name__ == "__main__":
    main()
