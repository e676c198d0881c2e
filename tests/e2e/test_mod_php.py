"""Apache mod_php as people deploy it: no php.ini at all (container images:
output_buffering=0, display_errors=1), Debian's production php.ini (4 KiB
output_buffering) with pages far bigger than it, flush() before the call,
HEAD, 204, 304, mod_deflate, mod_brotli, TLS. Every response must be
complete while the script still works 2 s; the body exact; the script
reaches its end; the access log has one line with the status and byte
count the client saw; no warning anywhere; no crashed child."""

import concurrent.futures
import gzip
import re
import socket
import subprocess
import time

import brotli
import pytest

from client import connect, timed_request, wait_for_record
from servers import Apache, Nginx

PROBLEMS = re.compile(r"PHP (Warning|Notice|Deprecated|Fatal)|fpm_compat:|exit signal|Segmentation|core dumped",
                      re.I)
# Enough prefork children that concurrent requests never queue.
WORKERS = "StartServers 10\nMinSpareServers 10\nMaxSpareServers 12\nMaxRequestWorkers 24"
CONFIGS = {
    "no php.ini": dict(php_ini="none"),
    "production php.ini": dict(),
    "mod_deflate, gzip client": dict(extra_conf="AddOutputFilterByType DEFLATE text/html"),
    "mod_brotli, br client": dict(modules=["brotli"], extra_conf="AddOutputFilterByType BROTLI_COMPRESS text/html"),
    "TLS (mod_ssl)": dict(tls=True),
}
# case -> (query, method, status)
CASES = {
    "small": ("size=12", "GET", 200),
    "50k": ("size=51200", "GET", 200),
    "1m": ("size=1048576", "GET", 200),
    "flush-before": ("size=2000&flush=1", "GET", 200),
    "head": ("size=51200", "HEAD", 200),
    "204": ("size=0&status=204", "GET", 204),
    "304": ("size=0&status=304", "GET", 304),
}


def page(size):
    """What page.php sends for ?size=."""
    line = b"page line".ljust(63, b".") + b"\n"
    return (line * (size // 64 + 1))[:size]


def expected_body(query, method):
    size = int(dict(p.split("=") for p in query.split("&"))["size"])
    return b"" if method == "HEAD" else page(size)


def decoded(headers, body):
    encoding = headers.get("content-encoding")
    if not body:  # HEAD, 204, 304: the encoding names no bytes
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        return brotli.decompress(body)
    return body


def run_cases(server, cases, ini_id=""):
    """All cases at once (each waits 2 s after finishing); then what the
    client saw, the script's record and the access log line of each."""
    def one(case):
        query, method, _ = cases[case]
        path = f"/page.php?id={ini_id}{case}&{query}"
        status, headers, body, elapsed = timed_request(
            server, path, method=method, headers={"Accept-Encoding": "gzip, br"})
        return case, path, (status, headers, body, elapsed)

    with concurrent.futures.ThreadPoolExecutor(len(cases)) as pool:
        seen = {case: (path, got) for case, path, got in pool.map(one, cases)}
    records = {case: wait_for_record(server, f"{ini_id}{case}") for case in cases}
    time.sleep(0.3)  # the access log line is written as the request ends
    access = {}
    for line, status, size in server.access_lines():
        access.setdefault(line.split()[1], []).append((int(status), 0 if size == "-" else int(size)))
    return {case: (got, records[case], access.get(path, [])) for case, (path, got) in seen.items()}


@pytest.fixture(scope="module", params=CONFIGS)
def results(request):
    kw = dict(CONFIGS[request.param])
    kw["extra_conf"] = WORKERS + "\n" + kw.get("extra_conf", "")
    with Apache("mod_php", **kw) as server:
        got = run_cases(server, CASES)
        yield got, server.logs()


@pytest.mark.parametrize("case", CASES)
def test_response_complete_while_script_works(results, case):
    got, logs = results
    (status, headers, body, elapsed), record, access = got[case]
    query, method, want_status = CASES[case]
    assert elapsed < 0.5, f"{case}: {elapsed:.2f}s"
    assert status == want_status
    assert decoded(headers, body) == expected_body(query, method)
    assert record == {"reached_end": True, "finished": True, "headers_sent": True, "ob_level": 0,
                      "status_after": 0, "status_in_shutdown": 0, "error": None}
    assert access == [(status, len(body))], access
    assert not PROBLEMS.search(logs), logs


def test_compression_really_applied(results):
    """The compressed configurations did compress (the test would otherwise
    prove nothing about mod_deflate and mod_brotli)."""
    got, _ = results
    encodings = {got[case][0][1].get("content-encoding") for case in ("50k", "1m")}
    assert encodings <= {None, "gzip", "br"} and len(encodings) == 1


def raw_request(port, request, timeout=10):
    """Sends raw bytes; returns (response bytes, seconds until the server
    ended it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        start = time.monotonic()
        s.sendall(request)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks), time.monotonic() - start


@pytest.fixture(scope="module")
def production():
    with Apache("mod_php", extra_conf=WORKERS) as server:
        yield server


@pytest.mark.parametrize("size", [12, 51200])
def test_http10_client_gets_the_connection_closed(production, size):
    """HTTP/1.0 has no chunked encoding: a page whose length is not known
    is framed by the connection's end, which comes at the call."""
    response, elapsed = raw_request(production.port, f"GET /page.php?id=h10-{size}&size={size} HTTP/1.0\r\n\r\n".encode())
    head, _, body = response.partition(b"\r\n\r\n")
    assert elapsed < 0.5 and head.startswith(b"HTTP/1.1 200")
    assert body == page(size)
    assert wait_for_record(production, f"h10-{size}")["reached_end"] is True


@pytest.mark.parametrize("size", [12, 51200])
def test_keep_alive_client_next_request_answered_at_once(production, size):
    """curl, asked for two pages, reuses its connection as HTTP/1.1 clients
    do. The second must not wait behind the first one's work: a small page
    says `Connection: close`; a big one had its headers out before the call,
    so the connection is ended after it and curl opens a new one."""
    urls = [production.url(f"/page.php?id=ka{size}-{n}&size={size}") for n in range(2)]
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{time_total} %{size_download}\n",
                          *urls], capture_output=True, text=True, timeout=30, check=True).stdout
    rows = [line.split() for line in out.splitlines()]
    assert [int(n) for _, n in rows] == [size, size], out
    assert max(float(t) for t, _ in rows) < 0.5, out
    for n in range(2):
        assert wait_for_record(production, f"ka{size}-{n}")["reached_end"] is True


@pytest.mark.parametrize("mode", ["discard", "abort"])
def test_client_gone_after_response_while_script_writes(mode):
    """The keep-alive client reads its response and closes its connection;
    the script then writes and flushes. discard: it runs to its end; abort:
    it ends as under php-fpm (measured in test_after_finish)."""
    with Apache("mod_php", ini={"fpm_compat.after_finish": mode}, extra_conf=WORKERS) as server:
        conn = connect(server)
        conn.request("GET", "/page.php?id=gone&size=51200&late=output&work=0.5", headers={"Connection": "keep-alive"})
        assert conn.getresponse().read() == page(51200)
        conn.close()
        record = wait_for_record(server, "gone")
        logs = server.logs()
    if mode == "discard":
        assert (record["reached_end"], record["status_after"], record["status_in_shutdown"]) == (True, 0, 0)
    else:
        assert (record["reached_end"], record["status_in_shutdown"]) == (False, 1)
    assert not PROBLEMS.search(logs), logs


def test_late_header_and_status_change_nothing_sent():
    """header(), http_response_code(500) and flush() after finishing: the
    client's response and the access log keep the status and bytes sent."""
    with Apache("mod_php", extra_conf=WORKERS) as server:
        status, _, body, elapsed = timed_request(server, "/page.php?id=late&size=100&late=header&work=0.5")
        record = wait_for_record(server, "late")
        time.sleep(0.3)
        access = server.access_lines()
        logs = server.logs()
    assert (status, body) == (200, page(100)) and elapsed < 0.5
    assert record["reached_end"] is True
    assert [(int(s), int(b)) for _, s, b in access] == [(200, 100)], access
    assert not PROBLEMS.search(logs), logs


def test_abort_with_late_output_like_fpm():
    """after_finish=abort, late output: the script ends as under php-fpm."""
    def run(server):
        status, _, body, elapsed = timed_request(server, "/page.php?id=abort&size=51200&late=output&work=0.5")
        assert (status, body) == (200, page(51200)) and elapsed < 0.5
        record = wait_for_record(server, "abort")
        return record["reached_end"], record["status_in_shutdown"]

    with Nginx("php-fpm") as fpm:
        reference = run(fpm)
    with Apache("mod_php", ini={"fpm_compat.after_finish": "abort"}, extra_conf=WORKERS) as server:
        assert run(server) == reference == (False, 1)


def test_subrequest_is_refused_without_a_warning():
    """virtual() runs a subrequest, whose record fails validation (it is not
    the request the client waits for): the call returns false without a PHP
    error, says why in the log, and the page carries on whole."""
    with Apache("mod_php") as server:
        status, _, body, _ = timed_request(server, "/virtual_outer.php")
        record = wait_for_record(server, "virtual")
        logs = server.logs()
    assert (status, body) == (200, b"outer before\ninner\nouter after\n")
    assert record == {"finished": False, "error": None}
    assert "fpm_compat: fastcgi_finish_request() returned false: mod_php's request cannot be used" in logs, logs
    assert "PHP Warning" not in logs, logs
