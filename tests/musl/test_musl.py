"""The musl release zip's library in a PHP linked against musl, as Alpine's is.

scripts/release-check-musl runs this with FPM_COMPAT_PHP_PREFIX (the musl PHP
of `scripts/build-php 8.2 musl`), FPM_COMPAT_SO (fpm_compat.so unzipped from
the musl zip) and FPM_COMPAT_GLIBC_SO (the same PHP version's glibc zip's).
The servers are the e2e harness's (tests/e2e/servers.py): php -S and plain
CGI under Apache's mod_cgid, whose wrapper execs the musl php-cgi.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/e2e"))
from client import record_exists, timed_request, wait_for_record  # noqa: E402
from servers import PHP, PHP_CGI, PHP_PREFIX, SO, Apache, BuiltinServer  # noqa: E402

VERSION = re.search(r'^version\s*=\s*"(.*)"', (ROOT / "Cargo.toml").read_text(), re.M)[1]
MUSL_LOADER = "/lib/ld-musl-x86_64.so.1"
GLIBC_SO = os.environ.get("FPM_COMPAT_GLIBC_SO")

if not PHP_PREFIX:
    pytest.skip("FPM_COMPAT_PHP_PREFIX names no musl PHP (scripts/release-check-musl sets it)",
                allow_module_level=True)


def php(*args, binary=PHP):
    """The musl PHP without any php.ini, the extension given with -d."""
    return subprocess.run([binary, "-n", *args], capture_output=True, text=True, timeout=60)


def libraries(path):
    """What musl's loader maps for PATH, as Alpine's `ldd` lists it."""
    return subprocess.run([MUSL_LOADER, "--list", path], capture_output=True, text=True).stdout


def test_php_and_library_are_musl_only():
    for path in (PHP, SO):
        listed = libraries(str(path))
        assert "ld-musl-x86_64.so.1" in listed, f"{path}:\n{listed}"
        assert "libc.so.6" not in listed and "/x86_64-linux-gnu/" not in listed, f"{path}:\n{listed}"


def test_cli_and_cgi_load_it_with_cargo_version():
    loaded = php("-d", f"extension={SO}", "--ri", "fpm_compat")
    assert loaded.returncode == 0, loaded
    assert f"Version => {VERSION}" in loaded.stdout
    quiet = php("-d", f"extension={SO}", "-r", "echo (new ReflectionFunction('fastcgi_finish_request'))"
                "->getExtensionName(), ' ', PHP_OS_FAMILY;")
    assert (quiet.stdout, quiet.stderr, quiet.returncode) == ("fpm_compat Linux", "", 0)
    cgi = php("-d", f"extension={SO}", "-m", binary=PHP_CGI)
    assert "fpm_compat" in cgi.stdout.split(), cgi


def finish_timed(server, name):
    """(client's seconds, seconds until the script's record, record)."""
    start = time.monotonic()
    status, headers, body, elapsed = timed_request(server, f"/finish.php?id={name}&sleep=2")
    assert (status, body, headers.get("x-fixture")) == (200, f"body of {name}\n".encode(), "finish")
    assert not record_exists(server, name), "the work was done before the client was complete"
    record = wait_for_record(server, name)
    return elapsed, time.monotonic() - start, record


@pytest.mark.parametrize("server", [BuiltinServer, lambda: Apache("cgid")], ids=["php -S", "apache mod_cgid + php-cgi"])
def test_finish_ends_the_response_and_the_script_runs_on(server):
    with server() as running:
        client, work, record = finish_timed(running, "musl")
        logs = running.logs()
    print(f"\nclient complete after {client * 1000:.1f} ms, the script's 2 s of work recorded after {work:.2f} s")
    assert client < 0.5 and work >= 2.0
    assert record == {"first": True, "second": False, "headers_sent": True, "ob_level": 0,
                      "status_after_output": 0, "connection_status": 0, "reached_end": True}
    assert "Segmentation" not in logs and "exit signal" not in logs, logs


@pytest.mark.skipif(not GLIBC_SO, reason="FPM_COMPAT_GLIBC_SO names no glibc library")
def test_glibc_library_is_refused_with_the_loaders_error():
    run = php("-d", f"extension={GLIBC_SO}", "-r", "echo extension_loaded('fpm_compat') ? 'loaded' : 'not loaded';")
    print(f"\nexit {run.returncode}; stdout {run.stdout!r}; stderr {run.stderr!r}")
    # A signal (a crash) is a negative returncode.
    assert run.returncode == 0, run
    assert run.stdout.endswith("not loaded"), run
    assert "Unable to load dynamic library" in run.stdout + run.stderr, run
