"""HEAD under Content-Length framing (the path of any SAPI with no other
way to end a response): the headers PHP would send, with the length of the
GET body, and not one body byte. Proven on the bytes php-cgi writes, with a
raw FastCGI client on a kept-alive connection (FCGI_KEEP_CONN: the finish
frames the response there), so no front-end can drop a stray body."""

import socket
import struct
import time

from client import wait_for_record
from servers import PhpCgiFastCgi, Server

FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT = 1, 3, 4, 5, 6
FCGI_RESPONDER, FCGI_KEEP_CONN = 1, 1


class PhpCgiAlone(Server):
    """php-cgi -b with nobody in front."""

    name = "php-cgi-b"

    def start(self):
        backend = PhpCgiFastCgi(self)
        backend.start()
        self.port = backend.port


def record(kind, content=b"", request_id=1):
    return struct.pack(">BBHHBB", 1, kind, request_id, len(content), 0, 0) + content


def params(pairs):
    out = b""
    for k, v in pairs.items():
        k, v = k.encode(), v.encode()
        out += bytes([len(k)]) + (bytes([len(v)]) if len(v) < 128 else struct.pack(">I", len(v) | 1 << 31)) + k + v
    return out


def fastcgi_request(port, script, method, query):
    """One request on a kept-alive FastCGI connection: (stdout bytes, seconds
    until the end record)."""
    env = {"SCRIPT_FILENAME": str(script), "REQUEST_METHOD": method, "QUERY_STRING": query,
           "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_URI": f"/{script.name}?{query}", "GATEWAY_INTERFACE": "CGI/1.1",
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1"}
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(record(FCGI_BEGIN_REQUEST, struct.pack(">HB5x", FCGI_RESPONDER, FCGI_KEEP_CONN))
                  + record(FCGI_PARAMS, params(env)) + record(FCGI_PARAMS) + record(FCGI_STDIN))
        data, stdout = b"", b""
        while True:
            while len(data) < 8:
                chunk = s.recv(65536)
                assert chunk, "connection closed before FCGI_END_REQUEST"
                data += chunk
            _, kind, _, length, padding, _ = struct.unpack(">BBHHBB", data[:8])
            while len(data) < 8 + length + padding:
                data += s.recv(65536)
            content, data = data[8:8 + length], data[8 + length + padding:]
            if kind == FCGI_STDOUT:
                stdout += content
            elif kind == FCGI_END_REQUEST:
                return stdout, time.monotonic() - start


def test_head_gets_headers_and_no_body():
    # Debian's php.ini for php-cgi (output_buffering=4096): the page is still
    # buffered at the call, so the framing announces its length.
    with PhpCgiAlone() as server:
        script = server.docroot / "page.php"
        get, _ = fastcgi_request(server.port, script, "GET", "id=get&size=31&work=0")
        head, _ = fastcgi_request(server.port, script, "HEAD", "id=head&size=31&work=0")
        records = [wait_for_record(server, name) for name in ("get", "head")]
    get_headers, _, get_body = get.partition(b"\r\n\r\n")
    head_headers, _, head_body = head.partition(b"\r\n\r\n")
    assert len(get_body) == 31 and b"Content-Length: 31" in get_headers, get
    assert head_body == b"", head
    assert b"Content-Length: 31" in head_headers, head  # the GET body's length, as nginx + php-fpm answer
    assert all(r["finished"] is True and r["reached_end"] is True for r in records), records
