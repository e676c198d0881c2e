"""A request never inherits the last one's state: on a server with one PHP
worker, a request after a finished one (finished normally, twice, with
after_finish=abort and late output, with a fatal error after finishing)
finds what the first request on a fresh worker found: headers, status code,
output buffers, connection state, INI values, fpm_get_status() state, and a
finish that returns true again. php-fpm runs the same fixtures as the
reference. (Plain CGI and the CLI start a process per request.)"""

import json

import pytest

from client import timed_request, wait_for_record
from servers import SERVERS

LABELS = ["php -S", "apache mod_php", "nginx + php-cgi -b", "apache proxy_fcgi + php-cgi -b",
          "apache mod_fcgid + php-cgi", "lighttpd + php-cgi", "uwsgi --http-socket", "nginx + php-fpm"]
CASES = ["finish", "twice", "abort", "fatal"]


def fresh(server):
    (server.records / "fresh.json").unlink(missing_ok=True)
    status, headers, body, _ = timed_request(server, "/fresh.php")
    assert status == 200 and headers.get("x-fresh") == "yes" and "x-dirty" not in headers, (status, headers)
    return json.loads(body), wait_for_record(server, "fresh")


@pytest.mark.parametrize("label", LABELS)
def test_request_after_a_finished_one_starts_fresh(label):
    with SERVERS[label](workers=1, ini={"fpm_compat.status": "1"}) as server:
        first, first_after = fresh(server)
        assert first_after == {"finish": True, "second": False, "state": "Finishing", "pid": first_after["pid"]}
        for case in CASES:
            status, headers, body, _ = timed_request(server, f"/dirty.php?case={case}")
            assert (status, body, headers.get("x-dirty")) == (404, f"dirty {case}\n".encode(), "yes"), case
            dirty_pid = wait_for_record(server, f"dirty-{case}")["pid"]
            seen, after = fresh(server)
            assert dirty_pid == after["pid"] == first_after["pid"], "one worker served them all"
            assert (seen, after) == (first, first_after), case
        logs = server.logs()
    assert "Segmentation" not in logs and "exit signal" not in logs, logs
