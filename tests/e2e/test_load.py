"""The extension loads cleanly on every server SAPI and leaves the SAPI's own
functions alone (DESIGN 2.1)."""

import json
import re
import urllib.request

import pytest

from servers import Apache, BuiltinServer, Nginx, SERVERS

SAPI_FUNCS = ["cli_set_process_title", "cli_get_process_title", "apache_request_headers",
              "apache_response_headers", "getallheaders"]


BAD_LOG = re.compile(r"fpm_compat:|Unable to|duplicate name|Warning|Fatal|error", re.I)


def probe(server, headers=None):
    req = urllib.request.Request(server.url("probe.php"), headers=headers or {})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.mark.parametrize("label", SERVERS)
def test_loads_without_warnings(label):
    with SERVERS[label]() as server:
        for _ in range(3):  # several workers / requests
            info = probe(server, {"X-Probe": "yes"})
            assert info["loaded"] is True
            assert info["version"]
        logs = server.logs()
    assert not BAD_LOG.search(logs), logs


def test_cli_server_keeps_its_own_functions():
    for workers in (1, 2):
        with BuiltinServer(workers=workers) as server:
            info = probe(server, {"X-Probe": "yes", "X-Two-Words": "a b"})
    assert info["sapi"] == "cli-server"
    for name in SAPI_FUNCS:
        assert info["functions"][name] not in (None, "fpm_compat"), (name, info)
    assert info["headers"]["X-Probe"] == "yes"
    assert info["headers"]["X-Two-Words"] == "a b"
    assert info["functions"]["fastcgi_finish_request"] == "fpm_compat"


def test_fpm_keeps_native_finish():
    with Nginx("php-fpm") as server:
        info = probe(server)
    assert info["sapi"] == "fpm-fcgi"
    assert info["functions"]["fastcgi_finish_request"] == "cgi-fcgi"
    assert info["functions"]["fpm_get_status"] == "cgi-fcgi"
    assert info["functions"]["getallheaders"] == "cgi-fcgi"
    assert info["functions"]["litespeed_finish_request"] == "fpm_compat"
    assert info["functions"]["frankenphp_finish_request"] == "fpm_compat"


@pytest.mark.parametrize("label", ["nginx + php-cgi -b", "apache + php-cgi (CGI)"])
def test_php_cgi_keeps_native_headers(label):
    with SERVERS[label]() as server:
        info = probe(server, {"X-Probe": "cgi"})
    assert info["sapi"] == "cgi-fcgi"
    assert info["functions"]["getallheaders"] == "cgi-fcgi"
    assert info["functions"]["fastcgi_finish_request"] == "fpm_compat"
    assert info["headers"]["X-Probe"] == "cgi"


def test_mod_php_keeps_native_headers():
    with Apache("mod_php") as server:
        info = probe(server, {"X-Probe": "apache"})
    assert info["sapi"] == "apache2handler"
    assert info["functions"]["getallheaders"] == "apache2handler"
    assert info["functions"]["apache_request_headers"] == "apache2handler"
    assert info["functions"]["fastcgi_finish_request"] == "fpm_compat"
    assert info["headers"]["X-Probe"] == "apache"


def test_functions_setting_selects_shims():
    with Apache("mod_php", ini={"fpm_compat.functions": "frankenphp_finish_request"}) as server:
        info = probe(server)
    assert info["functions"]["fastcgi_finish_request"] is None
    assert info["functions"]["litespeed_finish_request"] is None
    assert info["functions"]["frankenphp_finish_request"] == "fpm_compat"


def test_bad_setting_warns_in_server_log_and_keeps_default():
    with BuiltinServer(ini={"fpm_compat.after_finish": "explode"}) as server:
        info = probe(server)
        logs = server.logs()
    assert info["loaded"]
    assert "invalid value 'explode' for fpm_compat.after_finish" in logs, logs
    assert "using the default 'discard'" in logs
