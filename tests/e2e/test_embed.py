"""The embed SAPI: a real host program linked against libphp (Debian's
libphp8.x-embed) runs a script that finishes its request."""

import json
import os
import subprocess

import pytest

from servers import FIXTURES, PHP_CONFIG, PHP_VERSION, Workdir

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    out = tmp_path_factory.mktemp("embed") / "host"
    includes = subprocess.check_output([PHP_CONFIG, "--includes"], text=True).split()
    subprocess.check_call(["gcc", "-O1", "-o", str(out), os.path.join(HERE, "embed/host.c"), *includes,
                           "-L/usr/lib", f"-lphp{PHP_VERSION}"])
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
