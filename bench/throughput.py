"""Requests per second for a plain page with and without the extension,
measured with wrk: two identical servers run side by side and take turns
(the order alternates each round), medians over the rounds."""

import re
import subprocess
from contextlib import ExitStack

from paths import FIXTURES
from servers import Apache, BuiltinServer
from stats import ratio_row

SETUPS = {
    "php -S, PHP_CLI_SERVER_WORKERS=4": lambda **kw: BuiltinServer(workers=4, **kw),
    "apache mod_php (prefork)": lambda **kw: Apache("mod_php", **kw),
}


def wrk(server, seconds):
    out = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", server.url("/hello.php")],
                         capture_output=True, text=True, check=True).stdout
    assert "Non-2xx" not in out, out
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def measure(rounds, seconds):
    rows = []
    for label, make in SETUPS.items():
        with ExitStack() as stack:
            on = stack.enter_context(make(docroot=FIXTURES))
            off = stack.enter_context(make(docroot=FIXTURES, extension=False))
            wrk(on, 1), wrk(off, 1)  # warm up: workers started, caches filled
            ours, ref = [], []
            for r in range(rounds):
                for server in ((on, off) if r % 2 == 0 else (off, on)):
                    (ours if server is on else ref).append(wrk(server, seconds))
        per_round = [a / b for a, b in zip(ours, ref)]
        rows.append(ratio_row(f"throughput, hello page: {label}", ours, ref, per_round, "req/s", ">= 0.98",
                              fmt="{:.0f}"))
    return rows
