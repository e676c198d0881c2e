"""Start-up with and without the extension: `php -n -r ''` and one plain-CGI
request (`php-cgi -n` with a CGI environment, as mod_cgid starts it for
every request). Pairs run back to back in alternating order; medians over
all runs, the ratio's spread over blocks of pairs."""

import os
import time

from paths import FIXTURES, PHP, SO
from servers import PHP_CGI
from stats import block_ratios, ratio_row

# What Apache's mod_cgid hands php-cgi for GET /hello.php (php-cgi insists
# on REDIRECT_STATUS unless cgi.force_redirect=0).
CGI_ENV = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.1",
           "SCRIPT_FILENAME": str(FIXTURES / "hello.php"), "SCRIPT_NAME": "/hello.php", "REQUEST_URI": "/hello.php",
           "QUERY_STRING": "", "REDIRECT_STATUS": "200", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
           "REMOTE_ADDR": "127.0.0.1", "PATH": "/usr/bin:/bin"}


def run(argv, env):
    start = time.perf_counter()
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        pid = os.posix_spawn(argv[0], argv, env, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    finally:
        os.close(devnull)
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    assert status == 0, argv
    return elapsed * 1000


def pairs_of(without, with_ext, pairs, env):
    ours, ref = [], []
    for i in range(pairs + 10):  # the first 10 pairs warm the page cache
        first, second = (with_ext, without) if i % 2 else (without, with_ext)
        a, b = run(first, env), run(second, env)
        if i >= 10:
            (ours, ref)[first is without].append(a)
            (ours, ref)[second is without].append(b)
    return ours, ref


def measure(pairs, so=SO, php=PHP, no_ini=True, target="<= 1.01"):
    """no_ini: `php -n -r ''`, PHP alone against PHP and the extension (the
    library's own cost, no conf.d in either)."""
    n = ["-n"] if no_ini else []
    ours, ref = pairs_of([php, *n, "-r", ""], [php, *n, "-d", f"extension={so}", "-r", ""], pairs, os.environ)
    return [ratio_row(f"start-up, php {'-n ' if no_ini else ''}-r ''", ours, ref, block_ratios(ours, ref, 10), "ms",
                      target, note=f"{pairs} alternating pairs; ratio spread over 10 blocks of pairs")]


def measure_cgi(pairs, so=SO):
    ours, ref = pairs_of([PHP_CGI, "-n"], [PHP_CGI, "-n", "-d", f"extension={so}"], pairs, CGI_ENV)
    return [ratio_row("start-up, one plain-CGI request (php-cgi -n, hello.php)", ours, ref,
                      block_ratios(ours, ref, 10), "ms", "<= 1.01",
                      note=f"{pairs} alternating pairs; ratio spread over 10 blocks of pairs")]


if __name__ == "__main__":
    # python3 bench/startup.py SO [PAIRS] [PHP]: `php -n -r ''` with and
    # without SO (README "Installing": the release library's start-up cost).
    import sys

    from stats import print_table
    print_table(measure(int(sys.argv[2]) if len(sys.argv) > 2 else 300, so=sys.argv[1],
                        php=sys.argv[3] if len(sys.argv) > 3 else PHP))
