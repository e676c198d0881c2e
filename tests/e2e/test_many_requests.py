"""2,000 requests, 12 at a time: every response exact, every script's work
after finishing done exactly once, and no worker left stuck afterwards."""

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from client import timed_request
from servers import Apache, BuiltinServer

REQUESTS = 2000
CONCURRENCY = 12

# More workers than clients, so the post-finish work never starves them.
APACHE_WORKERS = "StartServers 16\nMinSpareServers 16\nMaxSpareServers 16\nMaxRequestWorkers 16"
SERVERS = {
    "php -S, 4 workers": lambda: BuiltinServer(workers=4),
    "apache mod_php, production php.ini": lambda: Apache("mod_php", extra_conf=APACHE_WORKERS),
    "apache mod_php, no php.ini": lambda: Apache("mod_php", php_ini="none", extra_conf=APACHE_WORKERS),
}


def wait_for_lines(path, count, timeout):
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            break
        time.sleep(0.1)
    return lines


def session_states(leader):
    """State letter of every process in the server's session (started with
    start_new_session, so the session id is the leader's pid)."""
    states = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        fields = text.rsplit(")", 1)[1].split()
        if int(fields[3]) == leader:  # fields after "(comm)": state ppid pgrp session
            states[int(stat.parent.name)] = fields[0]
    return states


@pytest.mark.parametrize("label", SERVERS)
def test_many_requests_all_answered_all_work_done(label):
    with SERVERS[label]() as server:
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            results = list(pool.map(lambda i: timed_request(server, f"/load.php?id={i}"), range(REQUESTS)))
        for i, (status, headers, body, _) in enumerate(results):
            assert (status, body) == (200, f"response {i}\n".encode()), i
            assert headers.get("content-length", str(len(body))) == str(len(body)), (i, headers)

        lines = wait_for_lines(server.records / "load.log", REQUESTS, timeout=30)
        ids = [int(line.split()[0]) for line in lines]
        assert len(lines) == REQUESTS and sorted(ids) == list(range(REQUESTS)), f"{len(lines)} lines"

        # No worker stuck: a last request is answered at once ...
        status, _, body, elapsed = timed_request(server, "/load.php?id=999999")
        assert (status, body) == (200, b"response 999999\n") and elapsed < 1.0
        assert len(wait_for_lines(server.records / "load.log", REQUESTS + 1, timeout=5)) == REQUESTS + 1
        # ... and, sampled over a second, no process of the server stays
        # running or in uninterruptible sleep.
        leader = server.procs[0].pid
        samples = []
        for _ in range(5):
            samples.append(session_states(leader))
            time.sleep(0.25)
        stuck = [pid for pid in samples[0] if all(s.get(pid) in ("R", "D") for s in samples)]
        assert not stuck, samples
        if label.startswith("php -S"):
            assert len(samples[-1]) == 5, samples[-1]  # the server and its 4 workers, all alive
        logs = server.logs()
    assert "exit signal" not in logs and "Segmentation" not in logs and "core dumped" not in logs, logs
    assert "PHP Warning" not in logs and "PHP Fatal" not in logs, logs
