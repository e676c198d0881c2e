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


def h2_requests(server, paths, headers=None, timeout=30):
    """GETs every path as its own stream of one HTTP/2 connection (h2 over
    TLS when the server has it, else h2c with prior knowledge), all sent at
    once. Returns, per path: (status, headers dict, body bytes, seconds
    until the stream ended), and the number of connections used (1)."""
    import socket
    import h2.config
    import h2.connection
    import h2.events

    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    if getattr(server, "tls", False):
        context = ssl._create_unverified_context()
        context.set_alpn_protocols(["h2"])
        sock = context.wrap_socket(sock, server_hostname="127.0.0.1")
        assert sock.selected_alpn_protocol() == "h2"
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    start = time.monotonic()
    streams = {}
    for path in paths:
        sid = conn.get_next_available_stream_id()
        request = [(":method", "GET"), (":path", path), (":scheme", "https" if server.tls else "http"),
                   (":authority", f"127.0.0.1:{server.port}"), *(headers or {}).items()]
        conn.send_headers(sid, request, end_stream=True)
        streams[sid] = {"path": path, "status": None, "headers": {}, "body": b"", "seconds": None}
    sock.sendall(conn.data_to_send())
    deadline = time.monotonic() + timeout
    while any(s["seconds"] is None for s in streams.values()) and time.monotonic() < deadline:
        data = sock.recv(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                hdrs = {k.decode().lower(): v.decode() for k, v in event.headers}
                streams[event.stream_id]["status"] = int(hdrs.pop(":status"))
                streams[event.stream_id]["headers"] = hdrs
            elif isinstance(event, h2.events.DataReceived):
                streams[event.stream_id]["body"] += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                streams[event.stream_id]["seconds"] = time.monotonic() - start
            elif isinstance(event, h2.events.ConnectionTerminated):
                deadline = 0
        sock.sendall(conn.data_to_send())
    # The connection is still open after every stream ended: a PING answers.
    conn.ping(b"fpmcompa")
    sock.sendall(conn.data_to_send())
    alive = False
    sock.settimeout(5)
    try:
        while not alive:
            data = sock.recv(65536)
            if not data:
                break
            alive = any(isinstance(e, h2.events.PingAckReceived) for e in conn.receive_data(data))
    except OSError:
        pass
    sock.close()
    results = [(s["status"], s["headers"], s["body"], s["seconds"]) for s in streams.values()]
    return results, alive


def until_another_process(read, pid, timeout=10.0):
    """Calls read() (a status.php report), a connection each, until a
    process other than pid answers; returns every report that came back and
    how many connections were lost on the way (a child ending on
    MaxConnectionsPerChild: Apache may reset what it had queued, even after
    PHP ran it)."""
    reports, lost = [], 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            reports.append(read())
        except (OSError, http.client.HTTPException):
            lost += 1
            continue
        if reports[-1]["pid"] != pid:
            break
    return reports, lost
