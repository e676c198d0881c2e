"""The embed SAPI: a real host program linked against libphp (Debian's
libphp8.x-embed) runs a script that finishes its request."""

import json
import os
import subprocess

import pytest

from servers import FIXTURES, LIBPHP, PHP_CONFIG, Workdir

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    lib = tmp_path_factory.mktemp("embed")
    out = lib / "host"
    # Every version's libphp<version>.so has the SONAME libphp.so, which
    # /usr/lib/libphp.so names for one version only: with 8.5 and 8.6 side
    # by side an 8.5 host would load 8.6. A libphp.so of its own, found
    # first through the rpath, keeps the host on the version under test.
    (lib / "libphp.so").symlink_to(LIBPHP)
    includes = subprocess.check_output([PHP_CONFIG, "--includes"], text=True).split()
    subprocess.check_call(["gcc", "-O1", "-o", str(out), os.path.join(HERE, "embed/host.c"), *includes,
                           f"-L{lib}", "-lphp", f"-Wl,-rpath,{lib}"])
    return out


def test_embed_finish_flushes_to_host_and_drops_later_output(host):
    work = Workdir("embed")
    try:
        record = work.path / "record.json"
        env = dict(os.environ, PHP_INI_SCAN_DIR=work.scan_dir("embed"), RECORD=str(record))
        run = subprocess.run([str(host), str(FIXTURES / "embed_finish.php")], env=env,
                             capture_output=True, text=True, timeout=30)
        assert run.returncode == 0, run.stderr
        assert run.stdout == "body from embed\n"
        assert json.loads(record.read_text()) == {
            "first": True, "second": False, "headers_sent": True, "ob_level": 0,
            "header_fn": "fpm_compat",
        }
        assert "Warning" not in run.stderr and "fpm_compat:" not in work.php_log.read_text()
    finally:
        work.cleanup()
