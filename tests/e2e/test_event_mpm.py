"""Apache's event MPM with a thread-safe (ZTS) mod_php: many requests on
threads of one process, HTTP/1.1, h2c and h2 over TLS (mod_http2, mod_ssl).
Under HTTP/2 a request is a stream of a shared connection: its finish ends
that stream alone (the end-of-connection path is HTTP/1.x only), and the
other streams and the connection go on. The mod_php tests run with a ZTS
PHP only (./scripts/test-php 8.4-zts, 8.4-debug-zts); plain CGI under the
event MPM (mod_cgid) runs with every PHP. The pool's status there: every
worker thread is a worker of the pool from its child's start (as php-fpm's
pool has one request per worker), listed under its child's pid."""

import gzip
import http.client
import json
import os
import signal
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

import soak
from client import h2_requests, timed_request, until_another_process, wait_for_record
from servers import PHP_ZTS, Apache, Nginx
from test_status import shape_mismatches

zts_only = pytest.mark.skipif(not PHP_ZTS, reason="Apache's event MPM needs a thread-safe (ZTS) mod_php")

THREADS = 16
# Streams of one connection that mod_http2 (2.4.56+) processes at once, at first.
H2_PARALLEL = 6
H2 = "Protocols h2 h2c http/1.1\nH2Direct on"
DEFLATE = "AddOutputFilterByType DEFLATE text/plain text/html"


def event_apache(tls=False, extra_conf="", **kw):
    return Apache("mod_php", mpm="event", workers=THREADS, tls=tls, modules=["http2"],
                  extra_conf=f"{H2}\n{extra_conf}", **kw)


def assert_clean(server):
    logs = server.logs()
    for bad in ("Segmentation", "exit signal", "core dumped", "fpm_compat:", "PHP Warning"):
        assert bad not in logs, logs[-3000:]


@zts_only
@pytest.mark.parametrize("proto", ["http/1.1", "h2c", "h2"])
def test_finish_answers_at_once_and_the_script_runs_on(proto):
    with event_apache(tls=proto == "h2") as server:
        if proto == "http/1.1":
            status, _, body, seconds = timed_request(server, "/stream.php?id=one&after=2000")
        else:
            ((status, _, body, seconds),), alive = h2_requests(server, ["/stream.php?id=one&after=2000"])
            assert alive, "the finish must not end an HTTP/2 connection"
        assert status == 200 and body == b"stream one\n"
        assert seconds < 0.5, seconds
        record = wait_for_record(server, "one", timeout=10)
        assert record["finished"] is True and record["zts"] == 1
        assert record["protocol"] == ("HTTP/1.1" if proto == "http/1.1" else "HTTP/2.0")
        assert record["connection_status"] == 0
        assert_clean(server)


@zts_only
@pytest.mark.parametrize("proto", ["h2c", "h2"])
def test_streams_on_one_connection_finish_independently(proto):
    with event_apache(tls=proto == "h2") as server:
        # Stream a finishes at once and works 3 s; b finishes after 600 ms;
        # c never finishes (1.2 s); d is a plain page that answers after
        # 1.5 s, on the same connection, after the others' finishes.
        paths = ["/stream.php?id=a&after=3000", "/stream.php?id=b&before=600&after=3000",
                 "/stream.php?id=c&finish=0&before=1200", "/stream.php?id=d&finish=0&before=1500&size=70000"]
        results, alive = h2_requests(server, paths)
        bodies = [body for _, _, body, _ in results]
        assert bodies[:2] == [b"stream a\n", b"stream b\n"]
        assert bodies[2] == b"stream c\nlate output\n"
        assert bodies[3] == b"stream d\n" + b"x" * 70000 + b"late output\n"
        assert all(status == 200 for status, _, _, _ in results), results
        a, b, c, d = [seconds for _, _, _, seconds in results]
        # Each stream ended when its own script said so; the connection
        # outlived every finish (d came after them, and a PING still answers).
        assert a < 0.5 and 0.5 < b < 1.1 and 1.1 < c and 1.4 < d < 2.9, (a, b, c, d)
        assert alive
        for name in "ab":
            assert wait_for_record(server, name, timeout=10)["finished"] is True
        assert_clean(server)


@zts_only
def test_many_threads_finish_at_once():
    with event_apache() as server:
        # THREADS requests at once, each on its own thread of the one child.
        def one(i):
            status, _, body, seconds = timed_request(server, f"/stream.php?id=t{i}&after=1500")
            return status, body, seconds
        start = time.monotonic()
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(one, range(THREADS)))
        wall = time.monotonic() - start
        assert all(status == 200 and body == f"stream t{i}\n".encode() for i, (status, body, _) in enumerate(results))
        # Every client answered before any script's 1.5 s of work ended.
        assert max(seconds for _, _, seconds in results) < 1.2 and wall < 1.5, results
        records = [wait_for_record(server, f"t{i}", timeout=15) for i in range(THREADS)]
        assert all(r["finished"] is True and r["connection_status"] == 0 for r in records)
        assert len({r["pid"] for r in records}) == 1, "one process: the requests ran on its threads"
        assert_clean(server)


@zts_only
@pytest.mark.parametrize("proto", ["h2c", "h2"])
def test_many_h2_streams_finish_at_once(proto):
    """mod_http2 runs at most H2_PARALLEL streams of one connection at once
    (its per-connection processing limit, which adapts later), and a
    finished stream keeps its slot, and its h2 worker thread, until its
    script ends: streams beyond it are answered once a script is done, as
    under php-fpm a finished request keeps its worker (README, Caveats)."""
    with event_apache(tls=proto == "h2") as server:
        n = 2 * H2_PARALLEL
        results, alive = h2_requests(server, [f"/stream.php?id=s{i}&after=1500" for i in range(n)])
        assert [body for _, _, body, _ in results] == [f"stream s{i}\n".encode() for i in range(n)]
        times = sorted(seconds for _, _, _, seconds in results)
        assert alive and times[H2_PARALLEL - 1] < 1.0, times
        assert all(wait_for_record(server, f"s{i}", timeout=15)["finished"] is True for i in range(n))
        assert_clean(server)


@zts_only
@pytest.mark.parametrize("proto", ["h2c", "h2"])
def test_deflate_on_h2(proto):
    with event_apache(tls=proto == "h2", extra_conf=DEFLATE) as server:
        paths = ["/stream.php?id=z&size=200000&after=2000", "/stream.php?id=y&finish=0&before=1500&size=1000"]
        results, alive = h2_requests(server, paths, {"accept-encoding": "gzip"})
        (_, zh, z, z_seconds), (_, yh, y, _) = results
        assert zh.get("content-encoding") == "gzip" and yh.get("content-encoding") == "gzip"
        assert gzip.decompress(z) == b"stream z\n" + b"x" * 200000
        assert gzip.decompress(y) == b"stream y\n" + b"x" * 1000 + b"late output\n"
        assert alive and z_seconds < 1.0, z_seconds
        assert wait_for_record(server, "z", timeout=10)["finished"] is True
        assert_clean(server)


@zts_only
def test_soak_mix_under_the_event_mpm():
    result = soak.soak("apache event mod_php (ZTS)", 2000, sample_every=500)
    assert soak.ok(result), result
    assert result["fd_growth"] == 0, result


@pytest.mark.parametrize("cgi", ["cgi", "cgid"])
def test_plain_cgi_detaches_under_the_event_mpm(cgi):
    """php-cgi is single-threaded even when built ZTS: it detaches, so the
    client is answered at once and the rest runs out of Apache's reach
    (mod_cgid's stdin is the client's socket too)."""
    with Apache(cgi, mpm="event", workers=THREADS) as server:
        status, _, body, seconds = timed_request(server, "/finish.php?id=cgi&sleep=2")
        assert status == 200 and body == b"body of cgi\n"
        assert seconds < 1.0, seconds
        record = wait_for_record(server, "cgi", timeout=10)
        assert record["first"] is True and record["reached_end"] is True
        assert_clean(server)


@zts_only
@pytest.mark.parametrize("proto", ["h2c", "h2"])
def test_abort_after_finish_on_an_h2_stream_matches_fpm(proto):
    """`after_finish=abort` on HTTP/2: the stream ended, the connection did
    not, so late output meets the after-finish tripwire (an output buffer),
    which must leave the output layer usable (`OG(running)` cleared; under
    ZTS `OG()` is reached through TSRM). php-fpm's records, as in
    test_after_finish.py."""
    with event_apache(tls=proto == "h2", ini={"fpm_compat.after_finish": "abort"}) as server:
        results, alive = h2_requests(server, ["/after.php?id=h2abort0&ignore=0", "/after.php?id=h2abort1&ignore=1"])
        assert [(status, body) for status, _, body, _ in results] == [(200, b"answer\n")] * 2
        assert alive and max(seconds for _, _, _, seconds in results) < 0.5, results
        assert wait_for_record(server, "h2abort0") == {"reached_end": False, "status_in_shutdown": 1,
                                                       "buffer_in_shutdown": "buffered"}
        assert wait_for_record(server, "h2abort1") == {"reached_end": True, "status_after_output": 1,
                                                       "buffer_after_abort": "inner", "status_in_shutdown": 1,
                                                       "buffer_in_shutdown": "buffered"}
        assert_clean(server)


STATUS_ON = {"fpm_compat.status": 1}
CHILDREN = 2
POOL = CHILDREN * THREADS
SLEEP_MS = 4000


def pool_apache():
    return Apache("mod_php", mpm="event", workers=THREADS, children=CHILDREN, ini=STATUS_ON)


def read_status(server):
    with urllib.request.urlopen(server.url("status.php"), timeout=15) as resp:
        return json.loads(resp.read())


def sleep_request(server, query):
    try:
        with urllib.request.urlopen(server.url(f"pool_sleep.php?ms={SLEEP_MS}{query}"), timeout=30) as resp:
            resp.read()
    except (OSError, http.client.HTTPException):
        pass  # its child was killed (the test's doing)


def children_of(pid):
    """The live (not zombie) children of a process, from /proc."""
    out = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.add(int(entry))
    return out


def wait_children(server, want, timeout=10):
    """Apache's children, once `want` accepts them."""
    parent = server.procs[-1].pid
    deadline = time.monotonic() + timeout
    while True:
        kids = children_of(parent)
        if want(kids) or time.monotonic() > deadline:
            return kids
        time.sleep(0.05)


def per_pid(report):
    return Counter(p["pid"] for p in report["status"]["procs"])


def states(report):
    return Counter(p["state"] for p in report["status"]["procs"])


def assert_fresh(proc):
    """As php-fpm lists a fresh child: idle, nothing served."""
    assert (proc["state"], proc["requests"], proc["request-method"], proc["request-uri"], proc["script"],
            proc["request-duration"], proc["last-request-memory"]) == ("Idle", 0, "-", "", "-", 0, 0), proc


def assert_counts_add_up(s):
    assert s["idle-processes"] + s["active-processes"] == s["total-processes"] == len(s["procs"]), s


@pytest.fixture(scope="module")
def fpm_shape():
    """php-fpm's own fpm_get_status() shape: keys, order, types."""
    with Nginx("php-fpm") as server:
        return read_status(server)["shape"]


@zts_only
def test_every_thread_is_a_worker_from_the_start(fpm_shape):
    with pool_apache() as server:
        kids = wait_children(server, lambda k: len(k) == CHILDREN)
        report = read_status(server)
        s = report["status"]
        # Each child stands for its ThreadsPerChild workers, under its pid;
        # its main thread (which never serves) is no worker of its own.
        assert s["total-processes"] == POOL, per_pid(report)
        assert per_pid(report) == {pid: THREADS for pid in kids}
        assert_counts_add_up(s)
        assert (s["active-processes"], s["idle-processes"], s["accepted-conn"]) == (1, POOL - 1, 1)
        [reader] = [p for p in s["procs"] if p["state"] != "Idle"]
        assert (reader["pid"], reader["state"], reader["requests"], reader["request-uri"]) == (
            report["pid"], "Running", 1, "/status.php")
        for p in s["procs"]:
            if p is not reader:
                assert_fresh(p)
        assert shape_mismatches(report["shape"], fpm_shape) == []
        assert_clean(server)


@zts_only
def test_threads_under_load_and_a_killed_child(fpm_shape):
    with pool_apache() as server:
        kids = wait_children(server, lambda k: len(k) == CHILDREN)
        # K requests sleeping on K threads, the last ones after finishing.
        queries = ["", "", "", "&finish", "&finish"]
        k, finishing = len(queries), queries.count("&finish")
        load = [threading.Thread(target=sleep_request, args=(server, q)) for q in queries]
        for t in load:
            t.start()
        sent = k
        deadline = time.monotonic() + 3
        while True:  # until every sleeper is in PHP
            busy = read_status(server)
            sent += 1
            if busy["status"]["active-processes"] == k + 1 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        s = busy["status"]
        assert (s["total-processes"], s["active-processes"], s["idle-processes"]) == (POOL, k + 1, POOL - k - 1)
        assert_counts_add_up(s)
        assert states(busy) == Counter({"Running": k - finishing + 1, "Finishing": finishing, "Idle": POOL - k - 1})
        assert per_pid(busy) == {pid: THREADS for pid in kids}
        assert s["accepted-conn"] == sent and s["max-active-processes"] >= k + 1
        sleepers = [p for p in s["procs"] if p["request-uri"] == "/pool_sleep.php"]
        assert sorted(p["query-string"] for p in sleepers) == sorted(f"ms={SLEEP_MS}{q}" for q in queries)
        assert all(p["state"] == ("Finishing" if "finish" in p["query-string"] else "Running") for p in sleepers)
        assert shape_mismatches(busy["shape"], fpm_shape) == []

        # SIGKILL the child of a sleeper: all its workers gone from the next
        # read (a zombie is dead too), its requests still counted.
        victim = sleepers[0]["pid"]
        os.kill(victim, signal.SIGKILL)
        while os.path.exists(f"/proc/{victim}") and open(f"/proc/{victim}/stat").read().rsplit(")", 1)[1].split()[0] != "Z":
            time.sleep(0.01)
        after = read_status(server)
        sent += 1
        assert victim not in per_pid(after)
        assert set(per_pid(after).values()) == {THREADS}, per_pid(after)
        assert after["status"]["accepted-conn"] == sent
        assert_counts_add_up(after["status"])

        # The replacement's threads are listed at once, fresh.
        survivor, = kids - {victim}
        new_kids = wait_children(server, lambda k: len(k) == CHILDREN and victim not in k)
        [replacement] = new_kids - {survivor}
        for t in load:
            t.join()
        time.sleep(0.3)  # the sleepers' requests end after their clients have their response
        final = read_status(server)
        sent += 1
        f = final["status"]
        assert per_pid(final) == {survivor: THREADS, replacement: THREADS}
        assert f["accepted-conn"] == sent and f["total-processes"] == POOL
        assert_counts_add_up(f)
        for p in f["procs"]:
            if p["pid"] == replacement and p["request-uri"] != "/status.php":
                assert_fresh(p)
        survivors_served = sum(p["requests"] for p in f["procs"] if p["pid"] == survivor)
        assert survivors_served >= sum(1 for p in sleepers if p["pid"] == survivor)
        logs = server.logs()
        assert "fpm_compat:" not in logs and "PHP Warning" not in logs, logs[-3000:]


@zts_only
def test_a_child_that_ends_on_max_connections_takes_its_workers_along():
    # One child that ends gracefully after 3 connections (PHP shuts down
    # in it first; the start-up probe was one), and its replacement.
    with Apache("mod_php", mpm="event", workers=THREADS, ini=STATUS_ON,
                extra_conf="MaxConnectionsPerChild 3") as server:
        [first] = wait_children(server, lambda k: len(k) == 1)
        reports, lost = until_another_process(lambda: read_status(server), first)
        *before, report = reports
        assert all(per_pid(r) == {first: THREADS} for r in before)
        assert report["pid"] != first and per_pid(report) == {report["pid"]: THREADS}, per_pid(report)
        assert len(reports) <= report["status"]["accepted-conn"] <= len(reports) + lost
        assert_counts_add_up(report["status"])
        assert_clean(server)
