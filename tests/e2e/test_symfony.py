"""A real framework on every kind of server: Symfony 5.4 from Debian, in debug
mode (fixtures/symfony/index.php). Its Response::send() calls
fastcgi_finish_request() whenever the function exists, and its debug
ErrorHandler turns any warning into an exception that appends an error page
and skips kernel.terminate. php-fpm without the extension is the reference:
the client gets the same page at once, and the terminate listener's 2 s of
work runs after it, with no error seen."""

import pytest

from client import record_exists, timed_request, wait_for_record
from servers import FIXTURES, SERVERS

APP = FIXTURES / "symfony"
OURS = ["php -S", "apache mod_php", "nginx + php-cgi -b"]
REFERENCE = "nginx + php-fpm"


def visit(server):
    status, _, body, elapsed = timed_request(server, "/index.php?id=symfony")
    # Checked before waiting: the listener's work must still be running.
    work_pending = not record_exists(server, "symfony")
    return {"status": status, "body": body, "fast": elapsed < 0.5, "work_pending": work_pending,
            "record": wait_for_record(server, "symfony")}


@pytest.fixture(scope="module")
def fpm():
    with SERVERS[REFERENCE](extension=False, docroot=APP) as server:
        return visit(server)


def test_fpm_reference(fpm):
    """What the fixture does where fastcgi_finish_request() is native."""
    assert fpm["status"] == 200 and len(fpm["body"]) == 20480
    assert fpm["fast"] and fpm["work_pending"]
    assert fpm["record"] == {"terminate_ran": True, "errors": [], "exception": None, "connection_status": 0}


@pytest.mark.parametrize("label", OURS)
def test_symfony_matches_fpm(label, fpm):
    with SERVERS[label](docroot=APP) as server:
        got = visit(server)
    # One assertion per promise, so a failure names the one broken.
    assert got["record"] == fpm["record"]
    assert (got["status"], got["body"]) == (fpm["status"], fpm["body"])
    assert got["fast"] and got["work_pending"]
