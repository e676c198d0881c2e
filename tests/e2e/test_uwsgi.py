"""uWSGI's PHP plugin, on every front people put it behind: speaking HTTP
itself (`--http-socket`, `--http11-socket` with keep-alive), behind its own
`--http` router, and behind nginx (`uwsgi_pass`, modifier 14); with Debian's
embed php.ini (output_buffering=4096) and with output_buffering=0. Pages of
12 bytes and 50 KB, flush() first, ob_flush() and flush() first, HEAD, 204:
the response is complete, and the connection ended where uWSGI speaks HTTP,
while the script still works 2 s; the body exact; the call returned true
and the script reached its end; no warning in any log; the same workers
alive and the next request answered at once."""

import concurrent.futures
import http.client
import json
import re
import socket
import time

import pytest

import soak
from client import timed_request, wait_for_record
from servers import Nginx, Uwsgi
from test_mod_php import PROBLEMS, expected_body

# label -> (server factory, whether uWSGI itself speaks HTTP to the client)
FRONTS = {
    "uwsgi --http-socket": (lambda **kw: Uwsgi("http-socket", **kw), True),
    "uwsgi --http11-socket": (lambda **kw: Uwsgi("http11-socket", **kw), True),
    "uwsgi --http router": (lambda **kw: Uwsgi("http", **kw), True),
    "nginx uwsgi_pass": (lambda **kw: Nginx("uwsgi", **kw), False),
}
INIS = {"embed php.ini": {}, "output_buffering=0": {"output_buffering": "0"}}
# case -> (query, method, status)
CASES = {
    "12 B": ("size=12", "GET", 200),
    "50 KB": ("size=51200", "GET", 200),
    "flush() first": ("size=2000&flush=1", "GET", 200),
    "ob_flush()+flush() first": ("size=2000&flush=ob", "GET", 200),
    "HEAD": ("size=51200", "HEAD", 200),
    "204": ("size=0&status=204", "GET", 204),
}
WORKERS = 8  # more than the cases, so no request waits for a worker


def raw_request(port, path, method="GET", version="1.1", timeout=10, until_eof=True):
    """One request on a raw socket, read to end-of-file (or to the end of the
    response, without until_eof). Returns (status,
    headers, body bytes as sent, seconds until the response was complete by
    its framing, seconds until end-of-file)."""
    start = time.monotonic()
    data, complete = b"", None
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"{method} {path} HTTP/{version}\r\nHost: 127.0.0.1\r\n\r\n".encode())
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
            if complete is None and framed_complete(data, method):
                complete = time.monotonic() - start
                if not until_eof:
                    break
    eof = time.monotonic() - start
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    status = int(lines[0].split()[1]) if lines[0] else 0
    return status, headers, body, complete if complete is not None else eof, eof


def framed_complete(data, method):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    status = int(head.split(b" ", 2)[1])
    if method == "HEAD" or status in (204, 304):
        return True
    fields = {k.strip().lower(): v.strip() for k, _, v in (l.partition(b":") for l in head.split(b"\r\n")[1:])}
    if b"content-length" in fields:
        return len(body) >= int(fields[b"content-length"])
    if fields.get(b"transfer-encoding") == b"chunked":
        return body.endswith(b"0\r\n\r\n")
    return False  # framed by the connection's end


def dechunk(body):
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        n = int(size.split(b";")[0], 16)
        if n == 0:
            break
        out, body = out + rest[:n], rest[n + 2:]
    return out


def record_id(case):
    return re.sub(r"\W+", "-", case)


def run_cases(server, speaks_http):
    def one(case):
        query, method, _ = CASES[case]
        return case, raw_request(server.port, f"/page.php?id={record_id(case)}&{query}", method, until_eof=speaks_http)

    with concurrent.futures.ThreadPoolExecutor(len(CASES)) as pool:
        seen = dict(pool.map(one, CASES))
    records = {case: wait_for_record(server, record_id(case)) for case in CASES}
    return seen, records


@pytest.fixture(scope="module", params=[(f, i) for f in FRONTS for i in INIS], ids=lambda p: f"{p[0]}, {p[1]}")
def results(request):
    front, ini = request.param
    factory, speaks_http = FRONTS[front]
    with factory(workers=WORKERS, ini=INIS[ini]) as server:
        workers = soak.workers(server)
        seen, records = run_cases(server, speaks_http)
        # The next request, on a keep-alive connection, at once; then the
        # same workers are alive.
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        next_times = []
        for n in range(2):
            start = time.monotonic()
            conn.request("GET", f"/page.php?id=next{n}&size=12&work=0")
            resp = conn.getresponse()
            assert (resp.status, resp.read()) == (200, expected_body("size=12", "GET"))
            next_times.append(time.monotonic() - start)
        conn.close()
        after = soak.workers(server)
        yield dict(seen=seen, records=records, speaks_http=speaks_http, workers=(workers, after),
                   next_times=next_times, logs=server.logs(), label=f"{front}, {ini}")


@pytest.mark.parametrize("case", CASES)
def test_response_complete_while_script_works(results, case):
    status, headers, body, complete, eof = results["seen"][case]
    query, method, want_status = CASES[case]
    print(f"\n{results['label']}, {case}: complete {complete * 1000:.1f} ms, end of connection {eof * 1000:.1f} ms")
    assert complete < 0.5, f"complete after {complete:.2f}s"
    if results["speaks_http"]:
        assert eof < 0.5, f"the connection ended after {eof:.2f}s"
    assert status == want_status
    if headers.get("transfer-encoding") == "chunked":
        body = dechunk(body)
    assert body == expected_body(query, method), (len(body), body[:80])
    assert results["records"][case] == {"reached_end": True, "finished": True, "headers_sent": True, "ob_level": 0,
                                        "status_after": 0, "status_in_shutdown": 0, "error": None}


def test_same_workers_next_request_at_once_no_warning(results):
    before, after = results["workers"]
    # (The --http router is one more uWSGI process under the master.)
    assert len(before) >= WORKERS and before == after, results["workers"]
    assert max(results["next_times"]) < 0.5, results["next_times"]
    assert not PROBLEMS.search(results["logs"]), results["logs"]


@pytest.mark.parametrize("front", ["http-socket", "http11-socket"])
@pytest.mark.parametrize("after_finish", ["discard", "abort"])
def test_closed_descriptor_never_written_again(front, after_finish):
    """The closed connection's number goes to the file or socket the script
    opens next: late output and flush() must not reach them."""
    with Uwsgi(front, workers=2, ini={"fpm_compat.after_finish": after_finish}) as server:
        status, _, body, complete, eof = raw_request(server.port, "/fd_reuse.php?id=fd&ignore=1")
        record = wait_for_record(server, "fd")
        logs = server.logs()
    assert (status, body) == (200, b"page fd\n") and eof < 0.5
    assert record["finished"] is True and record["reached_end"] is True, record
    assert record["file"] == "file start\nfile end\n" and record["socket"] == "socket line\n", record
    if front == "http-socket":  # closed, not kept for keep-alive: its number was free
        assert record["reused"], record
    assert not PROBLEMS.search(logs), logs


@pytest.mark.parametrize("sapi_name", ["apache2handler", "cli"])
def test_recognised_by_the_plugin_not_the_sapi_name(sapi_name):
    """`--php-sapi-name` renames the SAPI (opcache needs it); the finish
    still goes through uWSGI, and uWSGI's own functions still work."""
    with Uwsgi(workers=2, args=["--php-sapi-name", sapi_name]) as server:
        status, _, body, complete, eof = raw_request(server.port, "/page.php?id=renamed&size=12")
        record = wait_for_record(server, "renamed")
        _, _, functions, _ = timed_request(server, "/uwsgi_functions.php")
        logs = server.logs()
    assert (status, body, record["finished"], record["reached_end"]) == (200, expected_body("size=12", "GET"), True, True)
    assert complete < 0.5 and eof < 0.5, (complete, eof)
    info = json.loads(functions)
    assert info["sapi"] == sapi_name and info["fpm_compat"] is True, info
    assert info["version"] and info["worker_id"] in (1, 2) and info["finish_owner"] == "fpm_compat", info
    assert not PROBLEMS.search(logs), logs


def client_view(seen):
    status, headers, body, complete, eof = seen
    if headers.get("transfer-encoding") == "chunked":
        body = dechunk(body)
    headers = {k: v for k, v in headers.items() if k not in ("date", "content-length", "connection")}
    return dict(status=status, headers=headers, body=body, complete=complete < 0.5, ended=eof < 0.5)


@pytest.mark.parametrize("front", FRONTS)
def test_same_as_uwsgis_own_uwsgi_disconnect(front):
    """uWSGI 2.0.27+ has its own `uwsgi_disconnect()` PHP function (the same
    sequence but for the stored headers): where it gives the client its
    complete response, ours gives the same response and the script sees the
    same state after the call. Where it does not, ours does."""
    factory, speaks_http = FRONTS[front]
    with factory(workers=2 * len(CASES)) as server:
        _, _, functions, _ = timed_request(server, "/uwsgi_functions.php")
        if not json.loads(functions)["disconnect"]:
            pytest.skip("this uWSGI's PHP plugin has no uwsgi_disconnect() (added in 2.0.27)")

        def one(job):
            case, finish = job
            query, method, _ = CASES[case]
            path = f"/page.php?id={finish}-{record_id(case)}&{query}&finish={finish}"
            return job, raw_request(server.port, path, method, timeout=3, until_eof=speaks_http)

        jobs = [(case, finish) for case in CASES for finish in ("fastcgi_finish_request", "uwsgi_disconnect")]
        with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
            seen = dict(pool.map(one, jobs))
        records = {job: wait_for_record(server, f"{job[1]}-{record_id(job[0])}") for job in jobs}
        logs = server.logs()
    differences = []
    for case in CASES:
        ours, theirs = (client_view(seen[(case, f)]) for f in ("fastcgi_finish_request", "uwsgi_disconnect"))
        script_ours, script_theirs = ({k: v for k, v in records[(case, f)].items() if k != "finished"}
                                      for f in ("fastcgi_finish_request", "uwsgi_disconnect"))
        print(f"\n{front}, {case}: ours {ours['status']} {len(ours['body'])} B complete={ours['complete']} "
              f"ended={ours['ended']}; uwsgi_disconnect() {theirs['status']} {len(theirs['body'])} B "
              f"complete={theirs['complete']} ended={theirs['ended']}")
        assert ours["complete"] and script_ours == script_theirs, (case, script_ours, script_theirs)
        if theirs["complete"] and theirs["status"] == CASES[case][2]:
            assert ours == theirs, (case, ours, theirs)
        else:
            differences.append(case)
    print(f"\n{front}: uwsgi_disconnect() left incomplete: {differences or 'none'}")
    assert not PROBLEMS.search(logs.replace("uwsgi_response_write_headers_do()", "")), logs
