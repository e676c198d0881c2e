"""fpm_compat.session_close releases the session lock on finish; the work
after finishing completes when the client hangs up right after its response."""

import re
import socket
import threading
import time

import pytest

from client import timed_request, wait_for_record
from servers import Apache, BuiltinServer, Nginx


def second_request_time(server):
    """Starts a slow session request, then times a second one with the same
    session id, sent while the first one works after finishing."""
    _, headers, body, elapsed = timed_request(server, "/session.php")
    assert body == b"visits=1\n" and elapsed < 0.5
    cookie = re.match(r"(PHPSESSID=[^;]+)", headers["set-cookie"]).group(1)
    _, _, body, elapsed = timed_request(server, "/session.php?quick=1", headers={"Cookie": cookie})
    assert body == b"visits=2\n"
    return elapsed


@pytest.mark.parametrize("make", [lambda **kw: BuiltinServer(workers=2, **kw),
                                  lambda **kw: Apache("mod_php", **kw)], ids=["php -S", "apache mod_php"])
def test_session_close_releases_the_lock(make):
    with make(ini={"fpm_compat.session_close": "1"}) as server:
        assert second_request_time(server) < 0.5
    with make() as server:  # default: the lock is held, as php-fpm holds it
        assert second_request_time(server) > 1.0


def hang_up_after_response(port, path):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while b"body of" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        # Hang up at once, before the script's work is done.
    return data


@pytest.mark.parametrize("make", [BuiltinServer, lambda: Apache("mod_php"), lambda: Nginx("php-cgi"),
                                  lambda: Apache("cgi")],
                         ids=["php -S", "apache mod_php", "nginx + php-cgi", "apache + php-cgi (CGI)"])
def test_work_completes_when_client_hangs_up(make):
    with make() as server:
        data = hang_up_after_response(server.port, "/finish.php?id=hangup&sleep=1")
        assert b"body of hangup" in data
        record = wait_for_record(server, "hangup")
    assert record["reached_end"] is True and record["connection_status"] == 0
