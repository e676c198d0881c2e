"""fpm_get_status() against the real thing: php-fpm behind nginx gives the
reference in the same run; the emulation must have its keys, key order and
value types on php -S, Apache mod_php, nginx + php-cgi and the CLI, and
figures that are true for the process that answers (DESIGN 5). These
servers fork their workers after PHP's start-up, so their status is the
whole pool (tests/e2e/test_pool_status.py compares it under load)."""

import http.client
import json
import re
import subprocess
import time
import urllib.request

import pytest

from servers import FIXTURES, PHP, PHP_VERSION_INFO, SO, Apache, BuiltinServer, Nginx

STATUS_ON = {"fpm_compat.status": 1}
OURS = {
    "php -S": lambda: BuiltinServer(ini=STATUS_ON),
    "apache mod_php": lambda: Apache("mod_php", ini=STATUS_ON),
    "nginx + php-cgi -b": lambda: Nginx("php-cgi", ini=STATUS_ON),
}
# A POST with a query string and Basic credentials: every request field set.
QUERY = "a=1&b=%C3%A9"
BODY = b"x=12345"
AUTH = {"Authorization": "Basic YWxpY2U6cHc="}  # alice:pw
BAD_LOG = re.compile(r"fpm_compat:|PHP (Warning|Fatal error|Notice)")


def fetch(server, path, headers=None, data=None):
    req = urllib.request.Request(server.url(path), headers=headers or {}, data=data)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def own_proc(report):
    """The entry for the process that answered (FPM lists every worker)."""
    [proc] = [p for p in report["status"]["procs"] if p["pid"] == report["pid"]]
    return proc


def shape_mismatches(ours, reference, path="status"):
    """Differences in keys, order and types. A list (procs) is compared
    element by element against the reference's first element."""
    if isinstance(reference, str) or isinstance(ours, str):
        return [] if ours == reference else [f"{path}: {ours} where FPM has {reference}"]
    if reference and isinstance(reference[0], list) and reference[0][0] == 0:  # a list of arrays
        first = reference[0][1]
        return [m for i, (_, item) in enumerate(ours) for m in shape_mismatches(item, first, f"{path}[{i}]")]
    ours_keys = [k for k, _ in ours]
    ref_keys = [k for k, _ in reference]
    if ours_keys != ref_keys:
        return [f"{path}: keys {ours_keys} where FPM has {ref_keys}"]
    return [m for (k, a), (_, b) in zip(ours, reference) for m in shape_mismatches(a, b, f"{path}.{k}")]


@pytest.fixture(scope="module")
def fpm():
    """The reference: php-fpm's own fpm_get_status(), fetched as ours are."""
    with Nginx("php-fpm") as server:
        counts = [fetch(server, "status.php") for _ in range(12)]
        yield observations(server, counts)


@pytest.fixture(scope="module", params=list(OURS))
def ours(request):
    with OURS[request.param]() as server:
        keep_alive = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        counts = []
        for _ in range(6):  # one connection: Apache keeps it on one child
            keep_alive.request("GET", "/status.php")
            counts.append(json.loads(keep_alive.getresponse().read()))
        keep_alive.close()
        counts += [fetch(server, "status.php") for _ in range(6)]
        yield {"label": request.param, "logs": server.logs, **observations(server, counts)}


def observations(server, counts):
    """What each test compares, fetched after the counted requests so each
    process's counts run on unbroken."""
    return {
        "request": fetch(server, f"status.php?{QUERY}", AUTH, BODY),
        "long": fetch(server, "status.php?" + "q" * 3000),
        "slow": fetch(server, "status.php?sleep=200000"),
        "counts": counts,
        "finished": finished_report(server),
        "docroot": str(server.docroot),
    }


def finished_report(server):
    record = server.records / "after-finish.json"
    body = urllib.request.urlopen(urllib.request.Request(
        server.url("status.php"), headers={"X-Record": str(record)}), timeout=10).read()
    assert body == b"finishing\n"
    deadline = time.monotonic() + 10
    while not (record.exists() and record.stat().st_size):
        assert time.monotonic() < deadline, "the script did not record its status after finishing"
        time.sleep(0.05)
    time.sleep(0.1)  # written in one call, but let it land
    return json.loads(record.read_text())


def cli_report():
    out = subprocess.run([PHP, "-d", f"extension={SO}", "-d", "fpm_compat.status=1", str(FIXTURES / "status.php")],
                         capture_output=True, check=True, timeout=30)
    return json.loads(out.stdout)


def test_reference_is_real_fpm(fpm):
    assert fpm["request"]["sapi"] == "fpm-fcgi"
    assert fpm["request"]["status"]["pool"] == "www"


def test_shape_equals_fpm(fpm, ours):
    report = ours["request"]
    # First: a second fpm_compat loaded from the system's conf.d (e.g. a
    # concurrent phpenmod) shows here as "already loaded".
    assert not BAD_LOG.search(ours["logs"]()), ours["logs"]()
    assert report["sapi"] != "fpm-fcgi" and report["ini"] == "1"
    assert shape_mismatches(report["shape"], fpm["request"]["shape"]) == []
    assert len(report["status"]["procs"]) == report["status"]["total-processes"]


def test_cli_shape_equals_fpm(fpm):
    report = cli_report()
    assert report["sapi"] == "cli"
    assert shape_mismatches(report["shape"], fpm["request"]["shape"]) == []
    proc = own_proc(report)
    assert (proc["requests"], proc["request-method"], proc["script"]) == (1, "-", str(FIXTURES / "status.php"))


def request_fields(report, docroot):
    proc = own_proc(report)
    fields = {k: proc[k] for k in ("state", "request-method", "request-uri", "query-string", "request-length", "user")}
    fields["script"] = proc["script"].replace(docroot, "DOCROOT")
    return fields


def test_request_fields_as_fpm_fills_them(fpm, ours):
    expected = request_fields(fpm["request"], fpm["docroot"])
    assert expected == {"state": "Running", "request-method": "POST", "request-uri": "/status.php",
                        "query-string": QUERY, "request-length": len(BODY), "user": "alice",
                        "script": "DOCROOT/status.php"}
    assert request_fields(ours["request"], ours["docroot"]) == expected


def test_long_values_cut_as_fpm_cuts_them(fpm, ours):
    reference = own_proc(fpm["long"])
    # php-fpm 8.5 widened its scoreboard's query string from 512 to 2048 bytes.
    assert len(reference["query-string"]) == (2047 if PHP_VERSION_INFO >= (8, 5) else 511)
    assert request_fields(ours["long"], ours["docroot"]) == request_fields(fpm["long"], fpm["docroot"])


def test_request_duration_in_microseconds(fpm, ours):
    for report in (fpm["slow"], ours["slow"]):
        assert 200_000 <= own_proc(report)["request-duration"] < 5_000_000


def test_state_finishing_after_finish(fpm, ours):
    assert own_proc(fpm["finished"])["state"] == "Finishing"
    assert own_proc(ours["finished"])["state"] == "Finishing"


def per_process(reports):
    seen = {}
    for report in reports:
        seen.setdefault(report["pid"], []).append(report)
    return seen


def test_requests_count_per_process(fpm, ours):
    """Each process counts the requests it served, this one included, as an
    FPM worker does; the same process answers several (php -S, Apache)."""
    for reports in (fpm["counts"], ours["counts"]):
        by_pid = per_process(reports)
        assert max(len(r) for r in by_pid.values()) >= 3, by_pid.keys()
        for pid, mine in by_pid.items():
            counts = [own_proc(r)["requests"] for r in mine]
            assert counts == sorted(set(counts)), (pid, counts)  # strictly increasing
    # Ours: the pool counts every request (all went through this script),
    # and the processes' counts add up to it.
    accepted = [r["status"]["accepted-conn"] for r in ours["counts"]]
    assert accepted[1:] == [a + 1 for a in accepted[:-1]], accepted
    for report in ours["counts"]:
        procs = report["status"]["procs"]
        assert sum(p["requests"] for p in procs) == report["status"]["accepted-conn"]


def test_last_request_figures_after_a_completed_request(ours):
    """As FPM: last-request-cpu/memory are shown for idle workers (their
    last request), 0 for busy ones (the caller among them)."""
    for report in ours["counts"]:
        for proc in report["status"]["procs"]:
            assert isinstance(proc["last-request-cpu"], float) and proc["last-request-cpu"] >= 0.0
            if proc["state"] != "Idle":
                assert (proc["last-request-cpu"], proc["last-request-memory"]) == (0.0, 0), proc
            elif proc["requests"] > 0:
                assert 256 * 1024 <= proc["last-request-memory"] < 1024 ** 3, proc
    assert (own_proc(ours["request"])["last-request-cpu"], own_proc(ours["request"])["last-request-memory"]) == (0.0, 0)


def test_pool_figures_are_this_process(ours):
    report = ours["request"]
    status, proc = report["status"], own_proc(report)
    now = time.time()
    assert status["pool"] == report["sapi"]
    assert status["start-time"] <= proc["start-time"] and now - 600 < status["start-time"] <= now
    # The caller is the one busy worker of the pool.
    assert status["active-processes"] == 1
    assert status["total-processes"] == status["active-processes"] + status["idle-processes"] == len(status["procs"])
