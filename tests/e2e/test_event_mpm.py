"""Apache's event MPM with a thread-safe (ZTS) mod_php: many requests on
threads of one process, HTTP/1.1, h2c and h2 over TLS (mod_http2, mod_ssl).
Under HTTP/2 a request is a stream of a shared connection: its finish ends
that stream alone (the end-of-connection path is HTTP/1.x only), and the
other streams and the connection go on. The mod_php tests run with a ZTS
PHP only (./scripts/test-php 8.4-zts, 8.4-debug-zts); plain CGI under the
event MPM (mod_cgid) runs with every PHP."""

import gzip
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import soak
from client import timed_request, wait_for_record
from servers import PHP_ZTS, Apache

zts_only = pytest.mark.skipif(not PHP_ZTS, reason="Apache's event MPM needs a thread-safe (ZTS) mod_php")

THREADS = 16
H2 = "Protocols h2 h2c http/1.1\nH2Direct on"
DEFLATE = "AddOutputFilterByType DEFLATE text/plain text/html"


def event_apache(tls=False, extra_conf="", **kw):
    return Apache("mod_php", mpm="event", workers=THREADS, tls=tls, modules=["http2"],
                  extra_conf=f"{H2}\n{extra_conf}", **kw)


def curl(server, urls, *flags):
    """curl over one connection (HTTP/2 streams run in parallel on it);
    per URL: (status, seconds until complete, connections opened, http version, body)."""
    fmt = "%{http_code} %{time_total} %{num_connects} %{http_version}\\n"
    argv = ["curl", "-sS", "-k", "--parallel", "--parallel-immediate", "--parallel-max", "20", *flags]
    outs = []
    for i, url in enumerate(urls):
        argv += ["-w", fmt, "-o", f"{server.work.path}/curl-{i}.out", server.url(url)]
        outs.append(server.work.path / f"curl-{i}.out")
    run = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.split("\n")
    # --parallel prints each transfer's line as it completes: match by body.
    results = {}
    bodies = [p.read_bytes() for p in outs]
    for line in filter(None, lines):
        status, seconds, connects, version = line.split()
        results.setdefault("lines", []).append((int(status), float(seconds), int(connects), version))
    return results["lines"], bodies


def assert_clean(server):
    logs = server.logs()
    for bad in ("Segmentation", "exit signal", "core dumped", "fpm_compat:", "PHP Warning"):
        assert bad not in logs, logs[-3000:]


@zts_only
@pytest.mark.parametrize("proto", ["http/1.1", "h2c", "h2"])
def test_finish_answers_at_once_and_the_script_runs_on(proto):
    with event_apache(tls=proto == "h2") as server:
        flag = {"http/1.1": "--http1.1", "h2c": "--http2-prior-knowledge", "h2": "--http2"}[proto]
        start = time.monotonic()
        lines, bodies = curl(server, ["stream.php?id=one&after=2000"], flag)
        client = time.monotonic() - start
        (status, seconds, _, version), = lines
        assert status == 200 and bodies[0] == b"stream one\n"
        assert version == ("1.1" if proto == "http/1.1" else "2")
        assert client < 1.0 and seconds < 0.5, (client, seconds)
        record = wait_for_record(server, "one", timeout=10)
        assert record["finished"] is True and record["zts"] is True
        assert record["protocol"] == ("HTTP/1.1" if proto == "http/1.1" else "HTTP/2.0")
        assert record["connection_status"] == 0
        assert_clean(server)


@zts_only
@pytest.mark.parametrize("proto", ["h2c", "h2"])
def test_streams_on_one_connection_finish_independently(proto):
    with event_apache(tls=proto == "h2") as server:
        flag = "--http2-prior-knowledge" if proto == "h2c" else "--http2"
        # Stream a finishes at once and works 3 s; b finishes after 600 ms;
        # c never finishes (1.2 s); d is a plain page that answers after
        # 1.5 s, on the same connection, after the others' finishes.
        urls = ["stream.php?id=a&after=3000", "stream.php?id=b&before=600&after=3000",
                "stream.php?id=c&finish=0&before=1200", "stream.php?id=d&finish=0&before=1500&size=70000"]
        lines, bodies = curl(server, urls, flag)
        assert [b.split(b"\n")[0] for b in bodies] == [b"stream a", b"stream b", b"stream c", b"stream d"]
        assert bodies[2] == b"stream c\nlate output\n" and len(bodies[3]) == len("stream d\n") + 70000 + len("late output\n")
        assert all(status == 200 and version == "2" for status, _, _, version in lines), lines
        # One connection for all four streams: the finishes did not end it.
        assert sum(connects for _, _, connects, _ in lines) == 1, lines
        times = sorted(seconds for _, seconds, _, _ in lines)
        # Lines come in completion order: a, b, c, d.
        assert times[0] < 0.5 and 0.5 < times[1] < 1.1 and 1.1 < times[2] and 1.4 < times[3] < 2.9, lines
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
def test_many_h2_streams_finish_at_once():
    with event_apache() as server:
        urls = [f"stream.php?id=s{i}&after=1500" for i in range(12)]
        lines, bodies = curl(server, urls, "--http2-prior-knowledge")
        assert bodies == [f"stream s{i}\n".encode() for i in range(12)]
        assert sum(c for _, _, c, _ in lines) == 1 and max(s for _, s, _, _ in lines) < 1.2, lines
        assert all(wait_for_record(server, f"s{i}", timeout=15)["finished"] is True for i in range(12))
        assert_clean(server)


@zts_only
@pytest.mark.parametrize("proto", ["h2c", "h2"])
def test_deflate_on_h2(proto):
    with event_apache(tls=proto == "h2", extra_conf=DEFLATE) as server:
        flag = "--http2-prior-knowledge" if proto == "h2c" else "--http2"
        urls = ["stream.php?id=z&size=200000&after=2000", "stream.php?id=y&finish=0&before=1500&size=1000"]
        lines, bodies = curl(server, urls, flag, "-H", "Accept-Encoding: gzip")
        assert gzip.decompress(bodies[0]) == b"stream z\n" + b"x" * 200000
        assert gzip.decompress(bodies[1]) == b"stream y\n" + b"x" * 1000 + b"late output\n"
        assert sum(c for _, _, c, _ in lines) == 1
        assert min(s for _, s, _, _ in lines) < 1.0, lines
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
