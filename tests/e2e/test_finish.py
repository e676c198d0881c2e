"""fastcgi_finish_request() ends the response early on every server, and the
script runs on exactly as under php-fpm, measured in the same run."""

import pytest

from client import record_exists, timed_request, wait_for_record
from servers import Nginx, OURS, SERVERS



def finish_and_record(server, name):
    status, headers, body, elapsed = timed_request(server, f"/finish.php?id={name}&sleep=2")
    assert status == 200
    assert body == f"body of {name}\n".encode(), body
    assert headers.get("x-fixture") == "finish"
    # The work after finishing had not ended when the client was complete.
    assert not record_exists(server, name)
    return elapsed, wait_for_record(server, name)


@pytest.fixture(scope="module")
def fpm_reference():
    with Nginx("php-fpm") as fpm:
        elapsed, record = finish_and_record(fpm, "reference")
    print(f"\nclient complete after {elapsed * 1000:.1f} ms: nginx + php-fpm (reference)")
    assert elapsed < 0.5
    return record


@pytest.mark.parametrize("label", OURS)
def test_client_complete_at_once_and_script_runs_on_like_fpm(label, fpm_reference):
    with SERVERS[label]() as server:
        elapsed, record = finish_and_record(server, "finish")
        logs = server.logs()
    print(f"\nclient complete after {elapsed * 1000:.1f} ms: {label}")
    assert elapsed < 0.5, f"{label}: client took {elapsed:.2f}s"
    assert record == fpm_reference, f"{label}: {record} != php-fpm's {fpm_reference}"
    assert "fpm_compat" not in logs.replace(str(server.work.path), "")
