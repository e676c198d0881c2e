"""The pool scoreboard's cost (issue 18): requests per second with
fpm_compat.status on at start-up against off (the same server, the
extension loaded in both; alternating rounds), what a request adds to a
worker, and the time to read a pool of 256 workers."""

import json
import re
import subprocess
import time
import urllib.request
from contextlib import ExitStack

from paths import FIXTURES, ROOT
from servers import Apache, BuiltinServer
from stats import Row, median, ratio_row
from throughput import alternating_wrk

SETUPS = {
    "apache mod_php (prefork, 4 children)": lambda **kw: Apache("mod_php", workers=4, **kw),
    "php -S, PHP_CLI_SERVER_WORKERS=4": lambda **kw: BuiltinServer(workers=4, **kw),
}


def throughput(rounds, seconds):
    rows = []
    for label, make in SETUPS.items():
        with ExitStack() as stack:
            on = stack.enter_context(make(docroot=FIXTURES, ini={"fpm_compat.status": 1}))
            off = stack.enter_context(make(docroot=FIXTURES))
            ours, ref = alternating_wrk(on, off, rounds, seconds)
        per_round = [a / b for a, b in zip(ours, ref)]
        rows.append(ratio_row(f"throughput, hello page, pool status on vs off: {label}", ours, ref, per_round,
                              "req/s", ">= 0.98", fmt="{:.0f}"))
    return rows


def request_cost():
    out = subprocess.run(["cargo", "test", "--release", "--quiet", "--lib", "--", "--ignored", "--nocapture",
                          "bench_request_cost"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    [plain, cpu] = [float(x) for x in re.findall(r"cost.*?: (\d+) ns per request", out)]
    reading = float(re.search(r"reading of the CPU clock: (\d+) ns", out).group(1))
    return [Row("scoreboard, per request (start + end of a request in a worker's slot)", f"{plain:.0f} ns",
                target="", note="target <= 200 ns; cargo test --release --lib -- --ignored bench_request_cost"),
            Row("scoreboard, per request with the CPU clock for last-request-cpu (read once a tick)", f"{cpu:.0f} ns",
                target="", note="target <= 200 ns; a worker reads its CPU clock at most once per 10 ms"),
            Row("one reading of the CPU clock (times(); php-fpm reads it twice per request)", f"{reading:.0f} ns",
                note="at most 100 readings a second per worker")]


def read_pool(workers, runs, calls=50):
    """`runs` requests to pool_read.php on a php -S of `workers` processes
    (its first process and workers - 1 forked ones), each timing its first
    fpm_get_status() and the median of `calls` more: in a fresh pool, then
    once every worker has served a request (its slot then holds that
    request's method, URI, query string and script, which the read copies)."""
    with BuiltinServer(workers=workers - 1, docroot=FIXTURES, ini={"fpm_compat.status": 1}) as server:
        deadline = time.monotonic() + 120
        while read(server, 1)["workers"] != workers and time.monotonic() < deadline:
            time.sleep(0.5)
        fresh = [read(server, calls) for _ in range(runs)]
        subprocess.run(["wrk", "-t2", f"-c{workers}", "-d2s", server.url("/hello.php?from=wrk&to=every-worker")],
                       capture_output=True, check=True)
        served = [read(server, calls) for _ in range(runs)]
    assert all(g["workers"] == workers for g in fresh + served), fresh + served
    return fresh, served


def read(server, calls):
    with urllib.request.urlopen(server.url(f"pool_read.php?n={calls}"), timeout=60) as resp:
        return json.loads(resp.read())


def pool_rows(sizes, runs):
    rows = []
    for workers in sizes:
        fresh, served = read_pool(workers, runs)
        for label, got in (("every worker has served", served), ("fresh pool", fresh)):
            status = [g["status_us"] for g in got]
            first = [g["first_us"] for g in got]
            target = "<= 50 µs" if workers == 256 else ""
            rows.append(Row(f"fpm_get_status(), {workers} workers (php -S), {label}: per call",
                            f"{median(status):.0f} µs", target=target, value=median(status) if target else None,
                            spread=f"{min(status):.0f}–{max(status):.0f} µs over runs",
                            note=f"median over {runs} requests of each one's median of 50 calls; the request's "
                                 f"first call {median(first):.0f} µs (range {min(first):.0f}–{max(first):.0f})"))
        page = [g["page_us"] for g in served]
        rows.append(Row(f"fpm_status_page(), text page of {workers} workers: per call", f"{median(page):.0f} µs",
                        spread=f"{min(page):.0f}–{max(page):.0f} µs over runs"))
    return rows


def measure(rounds, seconds, sizes=(16, 256, 1024), runs=20, scoreboard=True):
    return (request_cost() if scoreboard else []) + pool_rows(sizes, runs) + throughput(rounds, seconds)
