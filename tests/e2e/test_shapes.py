"""Response shapes that must all end early: status codes, cookies, empty and
body-less responses, HEAD, nested and transforming output buffers,
compression, pages far bigger than output_buffering and pages whose headers
were flushed before the call."""

import gzip

import pytest

from client import timed_request, wait_for_record
from servers import Apache, BuiltinServer, Nginx

DEFLATE = "AddOutputFilterByType DEFLATE text/html text/plain"

SERVERS = {
    "php -S": lambda: BuiltinServer(),
    "apache mod_php + mod_deflate": lambda: Apache("mod_php", extra_conf=DEFLATE),
    "nginx + php-cgi -b": lambda: Nginx("php-cgi"),
    "apache proxy_fcgi + php-cgi -b": lambda: Apache("proxy_fcgi", extra_conf=DEFLATE),
    "apache mod_fcgid + php-cgi + mod_deflate": lambda: Apache("fcgid", extra_conf=DEFLATE),
}

# case -> (method, expected status, expected body after decoding)
CASES = {
    "plain": ("GET", 200, b"shape plain\n"),
    "status": ("GET", 410, b"shape status\n"),
    "cookies": ("GET", 200, b"shape cookies\n"),
    "empty": ("GET", 200, b""),
    "no-content": ("GET", 204, b""),
    "not-modified": ("GET", 304, b""),
    "head": ("HEAD", 200, b""),  # the script runs as case "head": body "shape head"
    "nested": ("GET", 200, b"SHAPE NESTED\n"),
    "ob_gzhandler": ("GET", 200, b"shape ob_gzhandler\n"),
    "zlib": ("GET", 200, b"shape zlib\n"),
    "large": ("GET", 200, b"0123456789abcdef" * 4096),
    "flushed": ("GET", 200, b"early part\nshape flushed\n"),
}


@pytest.fixture(scope="module", params=SERVERS)
def server(request):
    with SERVERS[request.param]() as s:
        s.label = request.param
        yield s


@pytest.mark.parametrize("case", CASES)
def test_shape_ends_early(server, case):
    method, code, expected = CASES[case]
    status, headers, body, elapsed = timed_request(
        server, f"/shapes.php?case={case}", method=method, headers={"Accept-Encoding": "gzip"})
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    assert (status, body) == (code, expected)
    assert elapsed < 0.5, f"{server.label} {case}: {elapsed:.2f}s"
    if case == "cookies":
        assert headers["x-custom"] == "yes"
    assert wait_for_record(server, case) == {"first": True, "reached_end": True}


def test_cookies_are_all_sent():
    with BuiltinServer() as server:
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/shapes.php?case=cookies")
        resp = conn.getresponse()
        cookies = resp.msg.get_all("Set-Cookie")
        resp.read()
    assert sorted(cookies) == ["a=1", "b=2"]


def test_fastcgi_keep_conn_falls_back_to_content_length_framing():
    # On a kept-alive FastCGI connection php-cgi reuses the socket, so the
    # request is not ended by hand: the response is framed by its length and
    # nginx is told not to buffer it.
    with Nginx("php-cgi", location_conf="fastcgi_keep_conn on;") as server:
        status, headers, body, elapsed = timed_request(server, "/shapes.php?case=cookies")
        assert (status, body) == (200, b"shape cookies\n")
        assert elapsed < 0.5
        assert headers["content-length"] == str(len(body))
        assert wait_for_record(server, "cookies") == {"first": True, "reached_end": True}
        # Headers already flushed: no length can be announced any more.
        status, _, body, elapsed = timed_request(server, "/shapes.php?case=flushed&info=1")
        assert body.endswith(b"after finishing\n") and elapsed >= 0.9
        record = wait_for_record(server, "flushed")
        assert (record["first"], record["reached_end"]) == (False, True)
        # Said in the log (never as a PHP warning) and in phpinfo().
        assert "the response cannot end early" in record["info"], record
        logs = server.logs()
        assert "fpm_compat: fastcgi_finish_request() returned false: " in logs, logs
        assert "PHP Warning" not in logs, logs
