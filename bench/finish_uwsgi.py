"""Client completion time under uWSGI's PHP plugin, per front and page:
with the extension (page, fastcgi_finish_request(), 1 s of work), the same
servers without it (the page's guard skips the call: the client waits for
the work), and nginx + php-fpm started in the same run as the reference.
Debian's embed php.ini (output_buffering=4096) throughout."""

import concurrent.futures
import time
from contextlib import ExitStack

import paths  # noqa: F401  (first: puts the e2e harness on the path)
from client import timed_request
from servers import SERVERS, Nginx, Uwsgi
from stats import median, ratio_row

FRONTS = {
    "uwsgi --http-socket": lambda **kw: Uwsgi("http-socket", **kw),
    "uwsgi --http11-socket": lambda **kw: Uwsgi("http11-socket", **kw),
    "uwsgi --http router": lambda **kw: Uwsgi("http", **kw),
    "nginx uwsgi_pass": lambda **kw: Nginx("uwsgi", **kw),
}
REFERENCE = "nginx + php-fpm"
PAGES = {"12 B": 12, "50 KB": 51200}
WORK = 1.0


def get(server, size):
    status, _, body, elapsed = timed_request(server, f"/page.php?size={size}&work={WORK}")
    assert (status, len(body)) == (200, size), (server.name, status, len(body))
    return elapsed * 1000


def measure(rounds):
    # Each round: one request per server and page, all at once (no request
    # waits for a worker), then the work ends before the next round.
    setups = {(front, ext): FRONTS[front] for front in FRONTS for ext in (True, False)}
    setups[(REFERENCE, True)] = SERVERS[REFERENCE]
    times = {(key, page): [] for key in setups for page in PAGES}
    with ExitStack() as stack:
        servers = {key: stack.enter_context(make(extension=key[1], workers=2 * len(PAGES)))
                   for key, make in setups.items()}
        jobs = [(key, page) for key in servers for page in PAGES]
        with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
            for r in range(rounds + 1):  # round 0 warms up and is dropped
                started = time.monotonic()
                order = jobs[r % len(jobs):] + jobs[:r % len(jobs)]
                got = dict(zip(order, pool.map(lambda job: get(servers[job[0]], PAGES[job[1]]), order)))
                time.sleep(max(0.0, started + WORK + 0.2 - time.monotonic()))
                if r:
                    for job in jobs:
                        times[job].append(got[job])
    rows = []
    for page in PAGES:
        ref = times[((REFERENCE, True), page)]
        for front in FRONTS:
            for ext in (True, False):
                ours = times[((front, ext), page)]
                per_round = [a / b for a, b in zip(ours, ref)]
                name = f"client time, {page} page, finish + 1 s work: {front}, {'with' if ext else 'without'} fpm_compat"
                rows.append(ratio_row(name, ours, ref, per_round, "ms", "<= 1.5" if ext else "",
                                      note="" if ext else f"the client waits for the work: {median(ours):.0f} ms"))
    return rows
