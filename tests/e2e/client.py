"""An HTTP client that times how long the response takes to complete."""

import http.client
import json
import ssl
import time
from pathlib import Path


def connect(server, timeout=30):
    """An HTTP/1.1 connection to the server (TLS, unverified, if it has it)."""
    if getattr(server, "tls", False):
        return http.client.HTTPSConnection("127.0.0.1", server.port, timeout=timeout,
                                           context=ssl._create_unverified_context())
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)


def timed_request(server, path, method="GET", headers=None, body=None):
    """Returns (status, headers dict, body bytes, seconds until the response
    was complete: its Content-Length read, its last chunk, or end-of-file)."""
    conn = connect(server)
    start = time.monotonic()
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    elapsed = time.monotonic() - start
    result = (resp.status, {k.lower(): v for k, v in resp.getheaders()}, data, elapsed)
    conn.close()
    return result


def wait_for_record(server, name, timeout=10.0):
    path = Path(server.records) / f"{name}.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            try:
                return json.loads(path.read_text())
            except ValueError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"no record {name} after {timeout}s; logs:\n{server.logs()}")


def record_exists(server, name):
    return (Path(server.records) / f"{name}.json").exists()
