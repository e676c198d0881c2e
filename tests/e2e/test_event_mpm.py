"""Apache's event MPM with a thread-safe (ZTS) mod_php: many requests on
threads of one process, HTTP/1.1, h2c and h2 over TLS (mod_http2, mod_ssl).
Under HTTP/2 a request is a stream of a shared connection: its finish ends
that stream alone (the end-of-connection path is HTTP/1.x only), and the
other streams and the connection go on. The mod_php tests run with a ZTS
PHP only (./scripts/test-php 8.4-zts, 8.4-debug-zts); plain CGI under the
event MPM (mod_cgid) runs with every PHP."""

import gzip
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import soak
from client import h2_requests, timed_request, wait_for_record
from servers import PHP_ZTS, Apache

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
