"""Faults around fastcgi_finish_request() on every server, each compared with
what php-fpm does with the same fixture in the same run: a fatal error,
exit(), max_execution_time and memory_limit after finishing; the call made
inside an output-buffer callback, a shutdown function, a destructor; the
client hanging up before the call. No server process may crash."""

import re
import socket
import time

import pytest

from client import timed_request, wait_for_record
from servers import SERVERS

OURS = ["php -S", "apache mod_php", "nginx + php-cgi -b", "apache + php-cgi (CGI)"]
CASES = ["fatal", "exit", "timeout", "memory", "ob_callback", "shutdown", "destructor"]
CRASH = re.compile(r"exit signal|Segmentation|core dumped|Aborted|double free", re.I)
# What each fault leaves in the PHP error log (php-fpm's log too).
LOGGED = {
    "fatal": "PHP Fatal error:  Uncaught Error: Call to undefined function undefined_function_after_finish()",
    "timeout": "PHP Fatal error:  Maximum execution time of 1 second exceeded",
    "memory": "PHP Fatal error:  Allowed memory size of 16777216 bytes exhausted",
    "ob_callback": "PHP Fatal error:  fastcgi_finish_request(): Cannot use output buffering in output buffering display handlers",
}


def run_case(server, case):
    status, _, body, elapsed = timed_request(server, f"/fault.php?case={case}")
    return {"status": status, "body": body, "fast": elapsed < 0.5, "record": wait_for_record(server, case)}


def assert_healthy(server):
    """The server still answers, and nothing in it died by a signal."""
    status, _, _, elapsed = timed_request(server, "/probe.php")
    assert status == 200 and elapsed < 2
    logs = server.logs()
    assert not CRASH.search(logs), logs


@pytest.fixture(scope="module")
def fpm():
    with SERVERS["nginx + php-fpm"]() as server:
        results = {case: run_case(server, case) for case in CASES}
        assert_healthy(server)
        return results, server.logs()


@pytest.fixture(scope="module", params=OURS)
def server(request):
    with SERVERS[request.param]() as server:
        yield server


@pytest.mark.parametrize("case", CASES)
def test_fault_matches_fpm(server, case, fpm):
    reference, fpm_logs = fpm
    got = run_case(server, case)
    assert got == reference[case]
    if case in LOGGED:
        assert LOGGED[case] in fpm_logs
        assert LOGGED[case] in server.logs()
    assert_healthy(server)


def test_fpm_reference_outcomes(fpm):
    """What php-fpm does, as the README documents it."""
    reference, _ = fpm
    for case in ["fatal", "exit", "timeout", "memory"]:
        # The client got its complete response at once; the fault ended the
        # script after that, its shutdown functions ran.
        assert reference[case]["body"] == b"answer\n" and reference[case]["fast"], case
        assert reference[case]["record"]["finished"] is True
        assert reference[case]["record"]["reached_end"] is False
    assert reference["timeout"]["record"]["connection_status"] == 2  # PHP_CONNECTION_TIMEOUT
    # Finishing inside an output callback (here the final flush at the
    # script's end, after its shutdown functions) is a fatal error; the
    # client gets an empty 200 at once.
    assert reference["ob_callback"]["body"] == b"" and reference["ob_callback"]["fast"]
    assert reference["ob_callback"]["record"] == {"reached_end": True, "error": None, "connection_status": 0}
    for case in ["shutdown", "destructor"]:
        assert reference[case]["record"] == {"reached_end": True, "finished": True, "error": None,
                                             "connection_status": 0}


@pytest.mark.parametrize("label", OURS + ["nginx + php-fpm"])
def test_client_hangs_up_before_the_call(label):
    """The work after the call runs and the call returns true without a
    warning, as under php-fpm: nobody is left to wait for the response."""
    with SERVERS[label]() as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(b"GET /fault.php?case=hangup_before HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            time.sleep(0.1)  # the script sleeps 0.5 s before it answers
        record = wait_for_record(server, "hangup_before")
        assert_healthy(server)
    assert record == {"reached_end": True, "finished": True, "error": None, "connection_status": 0}, record
