"""Soak: many thousands of mixed requests per server at bounded concurrency,
every response and every post-finish side effect checked, and the PHP
worker processes' resident memory and open descriptors sampled as they go.

The mix (fixtures/soak.php): finish + short work, no finish, finish twice,
after_finish=abort with late output, fpm_get_status() + getallheaders(), a
fatal error after finishing, clients that hang up before their response and
right after it, and keep-alive clients sending several requests on one
connection. Each request's script appends one line from a shutdown function,
so a lost or repeated piece of work shows as a missing or doubled id.

Growth is the least-squares slope of each worker's RSS (and descriptor
count) against the requests that worker served, after warm-up, per 10,000
requests; the figure is the largest over the workers.

    python3 soak.py [--requests N] [--servers LABEL,...] [--no-baseline]

Run through ./scripts/soak; tests/e2e/test_soak.py runs a short version.
"""

import argparse
import http.client
import os
import re
import socket
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from servers import SERVERS

# The servers of the soak, each as the same pages see them: 4 PHP workers.
SETUPS = {
    "php -S (4 workers)": ("php -S", {}),
    # Production php.ini (Debian's for apache2); a fixed set of children, so
    # the same processes are measured throughout.
    "apache prefork mod_php": ("apache mod_php", {"extra_conf": "MaxRequestWorkers 4\nMaxConnectionsPerChild 0"}),
    "nginx + php-cgi -b": ("nginx + php-cgi -b", {}),
    "lighttpd + php-cgi": ("lighttpd + php-cgi", {}),
    "apache mod_fcgid + php-cgi": ("apache mod_fcgid + php-cgi", {}),
    "uwsgi --http-socket": ("uwsgi --http-socket", {}),
    "nginx + php-fpm": ("nginx + php-fpm", {}),
}
# With a thread-safe PHP: Apache's event MPM, one process of 16 threads
# (tests/e2e/test_event_mpm.py runs it). Not 4: the event MPM closes idle
# keep-alive connections while it has no idle thread (AsyncRequestWorkerFactor),
# and a client whose next request crosses that close sees it dropped,
# with or without the extension.
THREADED = {"apache event mod_php (ZTS)": ("apache mod_php", {"mpm": "event", "workers": 16})}
# mod_fcgid retiring each php-cgi after 200 requests (FcgidMaxRequestsPerProcess),
# right after its last response, while that request's work after the finish
# may still run: new workers come and go (not in SETUPS: the long soak measures
# the same workers' memory throughout).
RETIRING = {"apache mod_fcgid + php-cgi, retired every 200 requests": ("apache mod_fcgid + php-cgi",
                                                                         {"max_requests": 200})}
REFERENCE = "nginx + php-fpm"
WORKERS = 4
CONCURRENCY = 8
# Kinds of single requests and their weights; every fifth job is instead a
# keep-alive client sending KEEPALIVE_BATCH requests on one connection.
MIX = [("work", 6), ("plain", 3), ("twice", 2), ("abort", 2), ("status", 2), ("fatal", 1),
       ("hangup", 1), ("hangup_after", 1)]
KEEPALIVE_KINDS = ["work", "plain", "status", "twice"]
KEEPALIVE_BATCH = 4
PHP_PROGRAMS = ("php", "php-cgi", "php-fpm", "apache2", "uwsgi-core")
# A worker that died (php-fpm: "child 123 exited on signal 11").
CRASH = re.compile(r"Segmentation|exit signal|exited on signal|core dumped")


def kind_of(i):
    wheel = [k for k, w in MIX for _ in range(w)]
    return wheel[(i * 7) % len(wheel)]


def jobs(total):
    """(kind, [ids]) jobs covering ids 0..total-1."""
    out, i, n = [], 0, 0
    while i < total:
        if n % 5 == 4 and i + KEEPALIVE_BATCH <= total:
            out.append(("keepalive", list(range(i, i + KEEPALIVE_BATCH))))
            i += KEEPALIVE_BATCH
        else:
            out.append((kind_of(i), [i]))
            i += 1
        n += 1
    return out


def kind_of_id(i, total, _cache={}):
    if total not in _cache:
        _cache[total] = {i: kind for kind, ids in jobs(total) for i in ids}
    return _cache[total][i]


def expected_body(kind, i):
    return f"ok {i} {i} " if kind == "status" else f"ok {i}\n"


@dataclass
class Tally:
    # Without the extension nothing ends the response early, so output
    # written after the (absent) finish follows the page's own.
    exact: bool = True
    responses: int = 0
    bad: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, kind, i, status, body):
        want = expected_body(kind, i)
        exact = self.exact and kind != "status"
        # Without the finish, the fatal error comes before the response is
        # complete, and PHP answers 500.
        statuses = (200,) if self.exact or kind != "fatal" else (200, 500)
        ok = status in statuses and (body == want.encode() if exact else body.startswith(want.encode()))
        with self.lock:
            self.responses += 1
            if not ok and len(self.bad) < 20:
                self.bad.append((kind, i, status, body[:200]))
            elif not ok:
                self.bad.append(None)

    def retried(self):
        with self.lock:
            self.retries += 1

    def error(self, what):
        with self.lock:
            self.errors.append(what)


def path(kind, i):
    return f"/soak.php?kind={'work' if kind == 'hangup_after' else kind}&id={i}"


def run_job(port, job, tally):
    kind, ids = job
    try:
        if kind == "hangup":
            # Sends the request and hangs up without reading.
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                s.sendall(f"GET {path(kind, ids[0])} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
            return
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        batch = [(k, i) for i in ids for k in [KEEPALIVE_KINDS[i % len(KEEPALIVE_KINDS)] if kind == "keepalive" else kind]]
        for n, (k, i) in enumerate(batch):
            # http.client reconnects by itself after a response that said
            # Connection: close (mod_php ends a finished response's connection).
            try:
                conn.request("GET", path(k, i), headers={"X-Soak": str(i)})
                resp = conn.getresponse()
            except http.client.RemoteDisconnected:
                # A kept-alive connection the server closed as this request
                # went out, before any byte of an answer: sent again on a new
                # connection, as browsers do with an idempotent request (RFC
                # 9112, 9.3.1). Apache's event MPM closes its idle keep-alive
                # connections whenever all its threads were busy. Work done
                # twice would show as a duplicated id.
                if n == 0:
                    raise
                tally.retried()
                conn.close()
                conn.request("GET", path(k, i), headers={"X-Soak": str(i)})
                resp = conn.getresponse()
            body = resp.read()
            tally.check(k, i, resp.status, body)
        conn.close()  # hangup_after: at once, while the script still works
    except (OSError, http.client.HTTPException) as e:
        tally.error(f"{kind} {ids}: {e!r}")


def descendants(leaders):
    """pid -> (ppid, program name) for the leaders and everything below them."""
    procs = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            exe = os.path.basename(os.readlink(stat.parent / "exe"))
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        procs[int(stat.parent.name)] = (int(fields[1]), exe)
    keep, frontier = {}, set(leaders)
    while frontier:
        keep.update({p: procs[p] for p in frontier if p in procs})
        frontier = {p for p, (ppid, _) in procs.items() if ppid in frontier and p not in keep}
    return keep


def program(exe):
    base = exe.split(".")[0] if not exe.startswith("php") else exe.rstrip("0123456789.")
    return base if base in PHP_PROGRAMS else None


def workers(server):
    """PHP worker processes: a PHP program (or Apache) forked by a master of
    the same program (php -S workers, php-cgi and php-fpm children, Apache
    prefork children); under mod_fcgid, the php-cgi processes its process
    manager (an Apache process) spawned, and not Apache's own children."""
    tree = descendants([p.pid for p in server.procs])
    fcgid = getattr(server, "mode", None) == "fcgid"
    out = []
    for pid, (ppid, exe) in tree.items():
        prog = program(exe)
        parent = program(tree[ppid][1]) if ppid in tree else None
        if fcgid and prog == "php-cgi" and parent == "apache2":
            out.append(pid)
        elif not fcgid and prog and parent == prog:
            out.append(pid)
    return sorted(out)


def sample(pids):
    out = {}
    for pid in pids:
        try:
            rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                       if line.startswith("VmRSS:"))
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except (OSError, StopIteration):
            continue
        out[pid] = (rss, fds)
    return out


def served_by_pid(records):
    try:
        lines = records.read_text().splitlines()
    except OSError:
        return Counter()
    return Counter(int(line.split()[2]) for line in lines if len(line.split()) >= 3)


def slope(points):
    """Least-squares slope of (x, y) points; 0 for fewer than two x values."""
    if len({x for x, _ in points}) < 2:
        return 0.0
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def check_records(records, total):
    ids = Counter()
    bad = []
    for line in records.read_text().splitlines() if records.exists() else []:
        parts = line.split()
        ids[int(parts[0])] += 1
        kind, results, status, reached = parts[1], parts[3], parts[4], parts[5]
        # Where the finish exists it behaves as php-fpm's: a second call is
        # false; late output after an abort ends the script (status 1).
        if kind == "twice" and results not in ("true,false", "null,null"):
            bad.append(line)
        if kind == "abort" and results == "true" and (status, reached) != ("1", "0"):
            bad.append(line)
    started = records.with_name("soak-hangup-started.log")
    hangups_started = {int(x) for x in started.read_text().split()} if started.exists() else set()
    expected = [i for i in range(total) if kind_of_id(i, total) != "hangup" or i in hangups_started]
    lost = sum(1 for i in expected if ids[i] == 0)
    dup = sum(n - 1 for n in ids.values() if n > 1)
    return lost, dup, bad


def wait_settled(records, total, timeout=60):
    """Until every request's line is in, or no line came for two seconds
    (a hung-up request the front-end dropped never writes one)."""
    deadline = time.monotonic() + timeout
    last, still_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(records.read_text().splitlines()) if records.exists() else 0
        if count != last:
            last, still_since = count, time.monotonic()
        elif count >= total or time.monotonic() - still_since > 2:
            return
        time.sleep(0.1)


def idle_sample(server, records):
    """Per-pid requests served and (RSS, fds), taken once the work after the
    last responses is done, so no worker holds a request's descriptors."""
    time.sleep(0.15)
    return served_by_pid(records), sample(workers(server))


def soak(label, total, extension=True, sample_every=2000, warmup=None, log=print):
    base, kw = {**SETUPS, **THREADED, **RETIRING}[label]
    ini = {"fpm_compat.status": "1"} if extension else {}
    warmup = total // 5 if warmup is None else warmup
    result = {"server": label, "extension": extension, "requests": total}
    with SERVERS[base](**{"workers": WORKERS, "extension": extension, "ini": ini, **kw}) as server:
        records = server.records / "soak.log"
        tally = Tally(exact=extension)
        all_jobs = jobs(total)
        samples = []  # (per-pid served, per-pid (rss, fds))
        start = time.monotonic()
        done = 0
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            for chunk_start in range(0, len(all_jobs), max(1, sample_every // 2)):
                chunk = all_jobs[chunk_start:chunk_start + max(1, sample_every // 2)]
                list(pool.map(lambda job: run_job(server.port, job, tally), chunk))
                done += sum(len(ids) for _, ids in chunk)
                if done >= warmup:
                    samples.append(idle_sample(server, records))
        elapsed = time.monotonic() - start
        wait_settled(records, total)
        samples.append(idle_sample(server, records))
        pids = list(samples[-1][1])
        lost, dup, bad_records = check_records(records, total)
        logs = server.logs()
    rss_growth, fd_growth, rss_now = [], [], []
    for pid in pids:
        points = [(served[pid], s[pid]) for served, s in samples if pid in s]
        if len(points) < 2:
            continue
        rss_growth.append(slope([(x, rss) for x, (rss, _) in points]) * 10_000)
        fd_growth.append(slope([(x, fds) for x, (_, fds) in points]) * 10_000)
        rss_now.append(points[-1][1][0])
    crash_lines = [line for line in logs.splitlines() if CRASH.search(line)]
    crashed = bool(crash_lines)
    result.update(
        responses=tally.responses, bad_responses=len(tally.bad), client_errors=len(tally.errors),
        keepalive_retries=tally.retries,
        lost=lost, duplicated=dup, bad_records=len(bad_records), crashed=crashed,
        workers=len(pids), seconds=round(elapsed, 1),
        rss_kb=max(rss_now, default=0), rss_growth_kb=max(rss_growth, default=0.0),
        fd_growth=max(fd_growth, default=0.0),
        examples=(tally.bad[:3] + tally.errors[:3] + bad_records[:3] + crash_lines[:3]),
    )
    log(format_row(result))
    return result


def ok(result):
    clean = not (result["lost"] or result["duplicated"] or result["bad_responses"] or result["client_errors"]
                 or result["bad_records"] or result["crashed"])
    if result["server"] in RETIRING:  # workers come and go
        return clean
    return clean and result["workers"] == (1 if result["server"] in THREADED else WORKERS)


HEADER = ("| server | fpm_compat | requests | lost | duplicated | bad responses | workers | RSS per worker | "
          "RSS growth per 10k | fd growth per 10k | req/s |\n|---|---|---|---|---|---|---|---|---|---|---|")


def format_row(r):
    return (f"| {r['server']} | {'loaded' if r['extension'] else 'not loaded'} | {r['requests']:,} | {r['lost']} | "
            f"{r['duplicated']} | {r['bad_responses'] + r['client_errors'] + r['bad_records']} | {r['workers']} | "
            f"{r['rss_kb'] / 1024:.1f} MB | {r['rss_growth_kb']:+.0f} KB | {r['fd_growth']:+.1f} | "
            f"{r['requests'] / max(r['seconds'], 0.1):.0f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--servers", default=",".join(SETUPS), help="comma list of: " + ", ".join(SETUPS))
    parser.add_argument("--no-baseline", action="store_true", help="skip the runs without the extension")
    args = parser.parse_args()
    labels = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = [s for s in labels if s not in SETUPS]
    if unknown:
        parser.error(f"unknown server {unknown}; known: {', '.join(SETUPS)}")
    sample_every = max(500, args.requests // 25)
    print(HEADER, flush=True)
    results = []
    for label in labels:
        # The reference is php-fpm itself, without the extension.
        runs = [False] if label == REFERENCE else [True] if args.no_baseline else [True, False]
        for extension in runs:
            results.append(soak(label, args.requests, extension, sample_every,
                                log=lambda row: print(row, flush=True)))
    failed = [r for r in results if not ok(r)]
    for r in failed:
        print(f"FAILED: {r['server']} ({'with' if r['extension'] else 'without'} fpm_compat): {r['examples']}")
    print(f"soak: {len(results) - len(failed)} of {len(results)} runs clean")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
