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
from stats import Row, ratio_row
from throughput import wrk

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
            wrk(on, 1), wrk(off, 1)
            ours, ref = [], []
            for r in range(rounds):
                for server in ((on, off) if r % 2 == 0 else (off, on)):
                    (ours if server is on else ref).append(wrk(server, seconds))
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


def read_256():
    # php -S: its first process and 255 forked workers, 256 in all.
    with BuiltinServer(workers=255, docroot=FIXTURES, ini={"fpm_compat.status": 1}) as server:
        deadline = time.monotonic() + 60
        while True:
            with urllib.request.urlopen(server.url("pool_read.php?n=5"), timeout=30) as resp:
                got = json.loads(resp.read())
            if got["workers"] == 256 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        with urllib.request.urlopen(server.url("pool_read.php?n=400"), timeout=60) as resp:
            got = json.loads(resp.read())
    assert got["workers"] == 256, got
    return [Row("fpm_get_status(), a pool of 256 workers (php -S): per call", f"{got['status_us']:.0f} µs",
                target="", note="target <= 100 µs; median of 400 calls"),
            Row("fpm_status_page(), text page of 256 workers (no ?full): per call", f"{got['page_us']:.0f} µs",
                note="median of 20 calls; text format")]


def measure(rounds, seconds):
    return request_cost() + read_256() + throughput(rounds, seconds)
