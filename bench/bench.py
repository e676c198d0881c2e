"""fpm_compat benchmarks: what the finish adds on every server against
php-fpm (with the picture and its table), requests per second and worker
memory with the extension loaded against without, start-up, the pool
scoreboard, the cost of a call, and the library's size. Prints one table;
see README "Performance"."""

import argparse
import os
import shutil
import subprocess
import tempfile
import time

from paths import BENCH, SO  # first: puts the e2e harness on the path
import calls
import finish_mod_php
import finish_uwsgi
import per_server
import picture
import pool_status
import startup
from stats import Row, print_table

# Debian's own small C extension: what loading any extension costs.
CALENDAR = "/usr/lib/php/20220829/calendar.so"


def size_rows():
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "libfpm_compat.so")
        shutil.copyfile(SO, copy)
        subprocess.run(["strip", copy], check=True)
        stripped = os.path.getsize(copy)
    return [Row("libfpm_compat.so, stripped", f"{stripped / 1024:.0f} KiB",
                note=f"{os.path.getsize(SO) / 1024:.0f} KiB as built (cargo build --release)")]


def startup_rows(pairs):
    rows = startup.measure(pairs) + startup.measure_cgi(pairs)
    if os.path.exists(CALENDAR):
        [row] = startup.measure(pairs, so=CALENDAR, target="")
        row.name += ", Debian's calendar.so (35 KB of C) instead: the cost of loading any extension"
        rows.append(row)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40, help="client-time rounds (default 40)")
    parser.add_argument("--pairs", type=int, default=300, help="start-up pairs (default 300)")
    parser.add_argument("--wrk-rounds", type=int, default=6, help="throughput rounds per server (default 6)")
    parser.add_argument("--wrk-seconds", type=int, default=2, help="seconds per wrk run (default 2)")
    parser.add_argument("--status-runs", type=int, default=20, help="requests reading the pool (default 20)")
    parser.add_argument("--out", default=str(BENCH / "results"),
                        help="where the picture and its table go (default bench/results)")
    parser.add_argument("--only", metavar="TEXT", default="",
                        help="run only the suites whose name contains TEXT, e.g. --only 'per server'")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds, not minutes: every per-server, start-up and pool suite once, figures "
                             "meaningless (CI: scripts/checks/bench-smoke.sh)")
    args = parser.parse_args()
    pool_sizes, scoreboard = (16, 256, 1024), True
    if args.smoke:
        args.rounds, args.pairs, args.wrk_rounds, args.wrk_seconds, args.status_runs = 2, 5, 1, 1, 2
        pool_sizes, scoreboard = (16,), False

    per_server_results = {}

    def servers():
        rows, results = per_server.measure(args.rounds, args.wrk_rounds, args.wrk_seconds)
        per_server_results.update(results)
        return rows

    suites = [
        ("per server: what the finish adds, throughput, memory", servers),
        ("start-up", lambda: startup_rows(args.pairs)),
        ("pool status", lambda: pool_status.measure(args.wrk_rounds, args.wrk_seconds, pool_sizes, args.status_runs,
                                                    scoreboard)),
    ]
    if not args.smoke:
        suites += [
            ("client completion time, mod_php, output_buffering=0",
             lambda: finish_mod_php.measure_unbuffered(args.rounds)),
            ("memory of the finish, mod_php", finish_mod_php.measure_memory),
            ("client completion time, uWSGI", lambda: finish_uwsgi.measure(args.rounds)),
            ("cost per call", calls.measure),
        ]
    suites.append(("size", size_rows))
    rows = []
    started = time.monotonic()
    chosen = [(name, suite) for name, suite in suites if args.only in name]
    for i, (name, suite) in enumerate(chosen, 1):
        t = time.monotonic()
        print(f"== [{i}/{len(chosen)}] {name} ...", end=" ", flush=True)
        rows += suite()
        print(f"{time.monotonic() - t:.0f} s", flush=True)
    load = os.getloadavg()
    print(f"\n{picture.heading(load)}; {time.monotonic() - started:.0f} s in all\n")
    print_table(rows)
    if per_server_results:
        picture.write(per_server_results, load, args.out)
        print(f"\nthe picture and its table: {args.out}/finish.png, {args.out}/finish.md")
    missed = [r.name for r in rows if r.verdict() == "MISSED"]
    if missed:
        print("\ntargets missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
