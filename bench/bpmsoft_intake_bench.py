"""First intake of N cases from the fake BPMSoft server: requests made and peak memory.

    python bench/bpmsoft_intake_bench.py [--cases 2000 20000] [--page 500]

For each N a fake server runs as its own process (``python -m sccli.fakes.bpmsoft
--seed-cases N``), and a fresh client process reads every case through the ``bpmsoft``
adapter's intake (``requests_changed_since(None)``, streamed), then an idle read (nothing
changed since the newest case: the adapter re-reads its overlap window, 5 minutes, i.e. 300
cases a second apart, and looks at the message history). The client reports the requests it sent (login included)
and its peak RSS (``ru_maxrss``); the issue's bound is ⌈N / page⌉ + lookups + 5 %, and an
idle read should cost as little as possible. This measures the adapter, not ``sccli sync``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CLIENT = r"""
import json, resource, sys, time
from sccli.adapters.bpmsoft import BpmSoftAdapter
from sccli.adapters.http import HttpFactory

url, page = sys.argv[1], int(sys.argv[2])
factory = HttpFactory(timeout=(5, 300))
adapter = BpmSoftAdapter("portal", {"url": url, "login": "Supervisor", "password": "env:P",
                                    "page_size": page}, factory, lambda ref: "Supervisor")
t0 = time.perf_counter()
count, newest = 0, None
for request in adapter.requests_changed_since(None):
    count += 1
    newest = request.updated_at if newest is None else max(newest, request.updated_at)
first = factory.requests_made
seconds = time.perf_counter() - t0
idle = list(adapter.requests_changed_since(newest))  # the cursor a sync keeps
print(json.dumps({"cases": count, "requests": first, "seconds": round(seconds, 2),
                  "idle_requests": factory.requests_made - first, "idle_found": len(idle),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                       / 1024, 1)}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cases: int, page: int) -> dict:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "sccli.fakes.bpmsoft", "--port", str(port),
                               "--seed-cases", str(cases)], env=env, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "fake BPMSoft on ..." once seeded
        time.sleep(0.2)
        done = subprocess.run([sys.executable, "-c", CLIENT, f"http://127.0.0.1:{port}",
                               str(page)], env=env, capture_output=True, text=True, check=True)
        result = json.loads(done.stdout)
    finally:
        server.terminate()
        server.wait(10)
    result["bound"] = math.floor((math.ceil(cases / page) + 1 + 1) * 1.05)  # login, lookups
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--page", type=int, default=500)
    args = parser.parse_args()
    for cases in args.cases:
        r = run(cases, args.page)
        print(f"N={cases:>6}: {r['cases']} cases in {r['requests']} requests "
              f"(bound {r['bound']}), {r['seconds']} s, peak RSS {r['peak_rss_mb']} MB; "
              f"idle read: {r['idle_requests']} request(s), {r['idle_found']} found")


if __name__ == "__main__":
    main()
