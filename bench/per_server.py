"""What the finish itself costs on every server (issue 24), against php-fpm.

Every server runs twice, side by side, from the harness of tests/e2e: with
the extension and without it. Each round times, on every server, in a
rotating order: (a) the plain page on the server without the extension (the
server's own baseline), (b) the same page with the extension loaded, (c) the
page that answers the same bytes, calls fastcgi_finish_request() and works
100 ms (client time). "What the finish adds" is the median over rounds of
(c) - (a), beside php-fpm's own (c) - (a). Then requests per second with the
extension against without (wrk, alternating rounds) and the private dirty
memory of the workers that served them."""

import glob
import json
import os
import re
import subprocess
import sys
import time
from contextlib import ExitStack

from paths import FIXTURES, ROOT  # first: puts the e2e harness on the path
from client import timed_request
from servers import PHP_PREFIX, PHP_VERSION, PHP_ZTS, Apache, BuiltinServer, Lighttpd, Nginx, Uwsgi, uwsgi_php_version
from stats import Row, median, quartiles
from throughput import alternating_wrk

WORK = 0.1  # seconds finish_work.php works after its finish
REFERENCE = "nginx + php-fpm"
EVENT = "apache event MPM + ZTS mod_php"
PAGE = b"hello\n"

SETUPS = {
    "php -S": lambda **kw: BuiltinServer(workers=1, **kw),
    "php -S, 4 workers": lambda **kw: BuiltinServer(workers=4, **kw),
    "apache prefork + mod_php": lambda **kw: Apache("mod_php", **kw),
    EVENT: lambda **kw: Apache("mod_php", mpm="event", **kw),
    "nginx + php-cgi -b": lambda **kw: Nginx("php-cgi", **kw),
    "apache proxy_fcgi + php-cgi -b": lambda **kw: Apache("proxy_fcgi", **kw),
    "apache mod_fcgid + php-cgi": lambda **kw: Apache("fcgid", **kw),
    "lighttpd + php-cgi": lambda **kw: Lighttpd(**kw),
    "uwsgi --http-socket": lambda **kw: Uwsgi("http-socket", **kw),
    "uwsgi --http router": lambda **kw: Uwsgi("http", **kw),
    "nginx uwsgi_pass": lambda **kw: Nginx("uwsgi", **kw),
    "apache mod_cgid + php-cgi (plain CGI)": lambda **kw: Apache("cgid", **kw),
    REFERENCE: lambda **kw: Nginx("php-fpm", **kw),
}
# A process per request: no worker stays to measure.
PER_REQUEST = {"apache mod_cgid + php-cgi (plain CGI)"}


def zts_prefix():
    """A ZTS PHP that scripts/test-php 8.2-zts built, with a library built
    against it, or None."""
    for prefix in sorted(glob.glob("/var/cache/fpm_compat/php-8.2-zts*")):
        so = ROOT / "target" / "8.2-zts" / "release" / "libfpm_compat.so"
        if os.path.exists(f"{prefix}/apache2/libphp.so") and so.exists():
            return prefix, so
    return None


def missing(label):
    """Why a server cannot run in this process, or None."""
    if label == EVENT and not PHP_ZTS:
        return ("not built: the event MPM needs a ZTS mod_php; `./scripts/test-php 8.2-zts` builds one "
                "(about 13 min of both CPUs) and this bench then runs it")
    if label.startswith("uwsgi") or label == "nginx uwsgi_pass":
        if PHP_PREFIX or uwsgi_php_version() != PHP_VERSION:
            return f"uWSGI's PHP plugin does not run this PHP ({uwsgi_php_version()})"
    return None


def get(server, path, expected=PAGE):
    """Client time (ms) of one request, its answer checked."""
    status, _, body, elapsed = timed_request(server, path)
    assert status == 200 and body == expected, (server.name, path, status, body[:200])
    return elapsed * 1000


def start_pairs(stack, labels):
    """{label: (with the extension, without)}, all started."""
    return {label: (stack.enter_context(SETUPS[label](docroot=FIXTURES)),
                    stack.enter_context(SETUPS[label](docroot=FIXTURES, extension=False))) for label in labels}


def client_times(pairs, rounds):
    """{label: {"a": [...], "b": [...], "c": [...]}} in ms, round 0 dropped."""
    labels = list(pairs)
    times = {label: {"a": [], "b": [], "c": []} for label in labels}
    for r in range(rounds + 1):
        order = labels[r % len(labels):] + labels[:r % len(labels)]
        got = {label: {} for label in labels}
        for label in order:
            on, off = pairs[label]
            for key, server in ((("a", off), ("b", on)) if r % 2 else (("b", on), ("a", off))):
                got[label][key] = get(server, "/hello.php")
        started = time.monotonic()
        for label in order:
            on, off = pairs[label]
            # php-fpm's own finish: the reference runs without the extension.
            got[label]["c"] = get(off if label == REFERENCE else on, "/finish_work.php")
        # Every worker free again before the next round's plain pages.
        time.sleep(max(0.0, started + WORK + 0.05 - time.monotonic()))
        if r:
            for label in labels:
                for key in "abc":
                    times[label][key].append(got[label][key])
    return times


def throughput(pairs, rounds, seconds):
    """{label: (with, without, per-round ratios)} in requests/s."""
    out = {}
    for label, (on, off) in pairs.items():
        ours, ref = alternating_wrk(on, off, rounds, seconds)
        out[label] = (median(ours), median(ref), [a / b for a, b in zip(ours, ref)])
    return out


def private_dirty(server, requests=12):
    """Median Private_Dirty (KiB) of the processes that served `requests`
    requests, read as root from /proc."""
    pids = set()
    for _ in range(requests):
        status, _, body, _ = timed_request(server, "/pid.php")
        assert status == 200, (server.name, status)
        pids.add(int(body))
    sizes = []
    for pid in pids:
        try:
            text = open(f"/proc/{pid}/smaps_rollup").read()
        except OSError:
            continue
        sizes.append(int(re.search(r"^Private_Dirty:\s+(\d+) kB", text, re.M).group(1)))
    return median(sizes) if sizes else None


def measure_in_process(labels, rounds, wrk_rounds, wrk_seconds):
    with ExitStack() as stack:
        pairs = start_pairs(stack, labels)
        times = client_times(pairs, rounds)
        rates = throughput(pairs, wrk_rounds, wrk_seconds) if wrk_rounds else {}
        memory = {label: (None, None) if label in PER_REQUEST else (private_dirty(on), private_dirty(off))
                  for label, (on, off) in pairs.items()}
    return {label: {"times": times[label], "rates": rates.get(label), "memory": memory[label]} for label in labels}


def measure_event(rounds, wrk_rounds, wrk_seconds):
    """The event-MPM row, in a process of its own: the harness's PHP is
    chosen at import (FPM_COMPAT_PHP_PREFIX)."""
    found = zts_prefix()
    if not found:
        return None
    prefix, so = found
    env = dict(os.environ, FPM_COMPAT_PHP_PREFIX=prefix, FPM_COMPAT_SO=str(so))
    out = subprocess.run([sys.executable, __file__, str(rounds), str(wrk_rounds), str(wrk_seconds)], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def measure(rounds, wrk_rounds, wrk_seconds):
    """(rows for the main table, the per-server results for the picture)."""
    labels = [label for label in SETUPS if not missing(label)]
    results = measure_in_process(labels, rounds, wrk_rounds, wrk_seconds)
    if EVENT not in results:
        event = measure_event(rounds, wrk_rounds, wrk_seconds)
        if event:
            results[EVENT] = event
    for label in SETUPS:
        results.setdefault(label, {"missing": missing(label)})
    return rows(results), results


def added(times):
    """Per-round (c) - (a) and (b) - (a), ms."""
    return ([c - a for a, c in zip(times["a"], times["c"])], [b - a for a, b in zip(times["a"], times["b"])])


def rows(results):
    fpm_finish, _ = added(results[REFERENCE]["times"])
    out = []
    for label, got in results.items():
        if "missing" in got:
            out.append(Row(f"what the finish adds: {label}", "—", note=got["missing"]))
            continue
        finish, loaded = added(got["times"])
        lo, hi = quartiles(finish)
        note = (f"baseline (a) {median(got['times']['a']):.2f} ms, extension loaded (b) "
                f"{median(got['times']['b']):.2f} ms, finish page (c) {median(got['times']['c']):.2f} ms; "
                f"(b) - (a) {median(loaded):+.3f} ms")
        out.append(Row(f"what the finish adds, (c) - (a): {label}", f"{median(finish):+.3f} ms",
                       f"{median(fpm_finish):+.3f} ms (php-fpm's own)", None, "<= 0.1 ms", f"{lo:+.3f}–{hi:+.3f} ms",
                       note if label != REFERENCE else note + "; the reference: php-fpm's own finish",
                       value=median(finish)))
    for label, got in results.items():
        if got.get("rates"):
            ours, ref, per_round = got["rates"]
            lo, hi = quartiles(per_round)
            out.append(Row(f"throughput, hello page, extension loaded vs not: {label}", f"{ours:.0f} req/s",
                           f"{ref:.0f} req/s", median(per_round), ">= 0.99", f"{lo:.3f}–{hi:.3f}"))
    for label, got in results.items():
        ours, ref = got.get("memory") or (None, None)
        if ours is not None and ref is not None:
            out.append(Row(f"private dirty memory per worker: {label}", f"{ours:,.0f} KiB", f"{ref:,.0f} KiB",
                           ours / ref if ref else None))
    return out


if __name__ == "__main__":
    # The event-MPM row under a ZTS PHP (measure_event): JSON on stdout.
    rounds, wrk_rounds, wrk_seconds = (int(a) for a in sys.argv[1:4])
    print(json.dumps(measure_in_process([EVENT], rounds, wrk_rounds, wrk_seconds)[EVENT]))
