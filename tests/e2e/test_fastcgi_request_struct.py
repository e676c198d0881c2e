"""php-cgi's private `struct _fcgi_request` (its socket, request id and
keep-alive flag, read from SG(server_context)), proven on the PHP version
under test rather than assumed from the 8.2 source: only a FastCGI end
record written on that socket with that id can end a response whose headers
already went out. The Content-Length fallback, taken when the struct does
not validate, cannot: the call would return false and the client would wait
for the script (as test_shapes pins for fastcgi_keep_conn)."""

import pytest

from client import timed_request, wait_for_record
from servers import Apache, Nginx

FRONTS = {
    "nginx + php-cgi -b": lambda: Nginx("php-cgi"),
    "apache proxy_fcgi + php-cgi -b": lambda: Apache("proxy_fcgi"),
}


@pytest.mark.parametrize("front", FRONTS)
def test_end_record_ends_a_response_whose_headers_were_flushed(front):
    with FRONTS[front]() as server:
        status, headers, body, elapsed = timed_request(server, "/shapes.php?case=flushed")
        record = wait_for_record(server, "flushed")
        logs = server.logs()
    assert record == {"first": True, "reached_end": True}, logs
    assert (status, body) == (200, b"early part\nshape flushed\n")
    assert elapsed < 0.5, f"{front}: {elapsed:.2f}s"
    # The fallback's marks: neither is sent when the end record is written.
    assert "x-accel-buffering" not in headers and "cannot end early" not in logs
