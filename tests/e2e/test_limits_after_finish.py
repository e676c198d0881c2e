"""Plain CGI (php-cgi under Apache mod_cgi) runs the rest of a finished
script in a forked child. That child keeps the request's limits: what was
left of max_execution_time (php-fpm keeps the same request's timer running;
a fork inherits no interval timers), and a bound on how many such children
one user has alive (fpm_compat.max_detached), which stands in for the web
server's bound on its workers."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

from client import timed_request, wait_for_record
from servers import SERVERS

TIME_LIMIT = {"max_execution_time": "2"}
NOT_DETACHED = "fastcgi_finish_request() returned false: did not detach: this user already has 2 detached children"


def cpu_loop_after_finish(server):
    status, _, body, elapsed = timed_request(server, "/limits.php?case=cpu")
    assert (status, body) == (200, b"answer cpu\n") and elapsed < 1, (status, body, elapsed)
    return wait_for_record(server, "cpu", timeout=15)


def test_time_limit_survives_the_fork_as_under_php_fpm():
    with SERVERS["nginx + php-fpm"](ini=TIME_LIMIT) as fpm:
        reference = cpu_loop_after_finish(fpm)
        fpm_logs = fpm.logs()
    with SERVERS["apache + php-cgi (CGI)"](ini=TIME_LIMIT) as server:
        got = cpu_loop_after_finish(server)
        logs = server.logs()
    for seen, log in ((reference, fpm_logs), (got, logs)):
        # Ended by the 2 s limit (CPU time; some slack for a busy machine),
        # not by the end of the 6 s loop, and logged as php-fpm logs it.
        assert not seen["loop_ended"] and seen["seconds"] < 4, seen
        assert "PHP Fatal error:  Maximum execution time of 2 seconds exceeded" in log, log
    assert got["connection_status"] == reference["connection_status"]


def start_records(server, ids):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        paths = [server.records / f"{i}.start" for i in ids]
        if all(p.exists() and p.stat().st_size for p in paths):
            return [json.loads(p.read_text()) for p in paths]
        time.sleep(0.05)
    raise AssertionError(f"not every request reached its work; logs:\n{server.logs()}")


def test_live_detached_children_are_bounded_per_user():
    with SERVERS["apache + php-cgi (CGI)"](ini={"fpm_compat.max_detached": "2"}) as server:
        # Six at once, each holding its process 3 s after its response.
        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda i: timed_request(server, f"/limits.php?case=hold&id=h{i}&ms=3000"),
                                    range(6)))
        assert [(s, b) for s, _, b, _ in results] == [(200, f"answer h{i}\n".encode()) for i in range(6)]
        starts = start_records(server, [f"h{i}" for i in range(6)])
        assert sum(s["detached"] for s in starts) == 2, starts
        # The other four ran on in their own processes, as without the
        # extension: their clients waited for the work (mod_cgi would kill a
        # process whose output ended), and each process said why once.
        for start, (_, _, _, elapsed) in zip(starts, results):
            assert (elapsed < 1) == start["detached"], (starts, results)
        assert server.work.php_log.read_text().count(NOT_DETACHED) == 4, server.logs()
        # A slot frees when its child ends: the next request detaches again.
        detached = [f"h{i}" for i, s in enumerate(starts) if s["detached"]]
        deadline = time.monotonic() + 10
        while not all((server.records / f"{i}.end").exists() for i in detached) and time.monotonic() < deadline:
            time.sleep(0.1)
        status, _, _, _ = timed_request(server, "/limits.php?case=hold&id=after&ms=10")
        assert status == 200 and start_records(server, ["after"])[0]["detached"]
        assert server.work.php_log.read_text().count(NOT_DETACHED) == 4
