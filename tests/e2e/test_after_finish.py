"""Output written after finishing: `discard` (default) drops it and the
script runs on; `abort` ends the script as php-fpm does, measured against
php-fpm in the same run."""

import pytest

from client import timed_request, wait_for_record
from servers import Apache, BuiltinServer, Nginx, SERVERS

TRIO = {label: SERVERS[label] for label in ["php -S", "apache mod_php", "nginx + php-cgi -b", "uwsgi --http-socket"]}


def run(server, name, ignore):
    status, _, body, elapsed = timed_request(server, f"/after.php?id={name}&ignore={ignore}")
    assert (status, body) == (200, b"answer\n")
    assert elapsed < 0.5
    return wait_for_record(server, name)


@pytest.fixture(scope="module")
def fpm_records():
    with Nginx("php-fpm") as fpm:
        return {ignore: run(fpm, f"ref{ignore}", ignore) for ignore in (0, 1)}


def test_fpm_reference_is_what_abort_means(fpm_records):
    assert fpm_records[0] == {"reached_end": False, "status_in_shutdown": 1, "buffer_in_shutdown": "buffered"}
    assert fpm_records[1] == {"reached_end": True, "status_after_output": 1, "buffer_after_abort": "inner",
                              "status_in_shutdown": 1, "buffer_in_shutdown": "buffered"}


@pytest.mark.parametrize("label", TRIO)
def test_abort_matches_fpm(label, fpm_records):
    with TRIO[label](ini={"fpm_compat.after_finish": "abort"}) as server:
        got = {ignore: run(server, f"abort{ignore}", ignore) for ignore in (0, 1)}
    assert got == fpm_records


@pytest.mark.parametrize("label", TRIO)
def test_discard_drops_output_and_runs_on(label):
    with TRIO[label]() as server:
        got = run(server, "discard", 0)
    assert got == {"reached_end": True, "status_after_output": 0, "buffer_after_abort": "inner",
                   "status_in_shutdown": 0, "buffer_in_shutdown": "buffered"}


def fetch_fatal(server):
    status, _, body, _ = timed_request(server, "/fatal_in_callback.php")
    return status, body


@pytest.mark.parametrize("label", TRIO)
def test_fatal_error_in_output_callback_during_finish_like_fpm(label):
    """A callback that dies while the call ends the buffers: the request ends
    as under php-fpm (same status and body), the error is logged, no crash."""
    with Nginx("php-fpm") as fpm:
        reference = fetch_fatal(fpm)
    with TRIO[label]() as server:
        got = fetch_fatal(server)
        logs = server.logs()
    assert got == reference
    assert "PHP Fatal error:  callback failed" in logs
    assert "Segmentation" not in logs and "exit signal" not in logs
