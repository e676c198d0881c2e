"""fpm_compat benchmarks: client completion time against php-fpm, the cost
of loading the extension (CLI start-up, requests per second), the cost of a
call, and the library's size. Prints one table; see README "Performance"."""

import argparse
import os
import shutil
import subprocess
import tempfile
import time

from paths import SO  # first: puts the e2e harness on the path
import calls
import finish_latency
import finish_mod_php
import finish_uwsgi
import pool_status
import startup
import throughput
from stats import Row, print_table


def size_rows():
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "libfpm_compat.so")
        shutil.copyfile(SO, copy)
        subprocess.run(["strip", copy], check=True)
        stripped = os.path.getsize(copy)
    return [Row("libfpm_compat.so, stripped", f"{stripped / 1024:.0f} KiB",
                note=f"{os.path.getsize(SO) / 1024:.0f} KiB as built (cargo build --release)")]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="finish-latency rounds (default 30)")
    parser.add_argument("--pairs", type=int, default=300, help="CLI start-up pairs (default 300)")
    parser.add_argument("--wrk-rounds", type=int, default=8, help="throughput rounds per server (default 8)")
    parser.add_argument("--wrk-seconds", type=int, default=3, help="seconds per wrk run (default 3)")
    parser.add_argument("--only", metavar="TEXT", default="",
                        help="run only the suites whose name contains TEXT, e.g. --only mod_php")
    args = parser.parse_args()

    suites = [
        ("client completion time", lambda: finish_latency.measure(args.rounds)),
        ("client completion time, mod_php, output_buffering=0", lambda: finish_mod_php.measure_unbuffered(args.rounds)),
        ("memory of the finish, mod_php", finish_mod_php.measure_memory),
        ("client completion time, uWSGI", lambda: finish_uwsgi.measure(args.rounds)),
        ("CLI start-up", lambda: startup.measure(args.pairs)),
        ("cost per call", calls.measure),
        ("throughput", lambda: throughput.measure(args.wrk_rounds, args.wrk_seconds)),
        ("pool status", lambda: pool_status.measure(args.wrk_rounds, args.wrk_seconds)),
        ("size", size_rows),
    ]
    rows = []
    started = time.monotonic()
    for name, suite in [(name, suite) for name, suite in suites if args.only in name]:
        t = time.monotonic()
        print(f"== {name} ...", end=" ", flush=True)
        rows += suite()
        print(f"{time.monotonic() - t:.0f} s", flush=True)
    load = os.getloadavg()
    print(f"\n{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"{time.monotonic() - started:.0f} s in all\n")
    print_table(rows)
    missed = [r.name for r in rows if r.verdict() == "MISSED"]
    if missed:
        print("\ntargets missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
