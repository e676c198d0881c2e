"""Requests per second of a plain page, measured with wrk: two servers side
by side take turns, the order alternating each round."""

import re
import subprocess


def wrk(server, seconds):
    out = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", server.url("/hello.php")],
                         capture_output=True, text=True, check=True).stdout
    assert "Non-2xx" not in out, out
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def alternating_wrk(ours, ref, rounds, seconds):
    """(requests/s of `ours` per round, of `ref` per round), after a warm-up
    of each (workers started, caches filled)."""
    wrk(ours, 1), wrk(ref, 1)
    got = ([], [])
    for r in range(rounds):
        for server in ((ours, ref) if r % 2 == 0 else (ref, ours)):
            got[server is ref].append(wrk(server, seconds))
    return got
