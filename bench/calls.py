"""Cost of one call, in a CLI loop (bench/fixtures/calls.php): the
extension's functions against a PHP function of similar shape."""

import subprocess

from paths import FIXTURES, PHP, SO
from stats import Row, median

# getallheaders() reads $_SERVER, which the CLI fills from the environment.
HEADERS = {f"HTTP_X_BENCH_{i}": f"value {i}" for i in range(8)} | {
    "HTTP_HOST": "example.test", "HTTP_USER_AGENT": "bench", "CONTENT_TYPE": "text/plain", "CONTENT_LENGTH": "0"}


def per_call(function, extension, ini=(), runs=7):
    """Median over `runs` processes of (first call, later calls) in ns."""
    argv = [PHP] + (["-d", f"extension={SO}"] if extension else [])
    for setting in ini:
        argv += ["-d", setting]
    argv += [str(FIXTURES / "calls.php"), function]
    firsts, loops = [], []
    for _ in range(runs):
        out = subprocess.run(argv, capture_output=True, text=True, check=True, env=HEADERS | {"PATH": "/usr/bin:/bin"})
        first, loop = out.stdout.split()
        firsts.append(float(first))
        loops.append(float(loop))
    return median(firsts), median(loops)


def measure():
    rows = []
    first, loop = per_call("fastcgi_finish_request", True, ["fpm_compat.cli_finish=keep"])
    _, ref = per_call("connection_status", False)
    rows.append(Row("fastcgi_finish_request(), cli keep: per call", f"{loop:.0f} ns",
                    f"{ref:.0f} ns (connection_status())", loop / ref,
                    note=f"first call (the one that finishes) {first / 1000:.1f} µs; later calls return false at once"))
    _, loop = per_call("getallheaders", True)
    _, ref = per_call("polyfill:getallheaders", False)
    rows.append(Row("getallheaders(), 12 headers: per call", f"{loop:.0f} ns", f"{ref:.0f} ns (Composer polyfill)",
                    loop / ref))
    _, loop = per_call("fpm_get_status", True, ["fpm_compat.status=1"])
    rows.append(Row("fpm_get_status(), status=1: per call", f"{loop:.0f} ns",
                    note="no reference on the CLI (php-fpm's own needs a FastCGI request); absolute cost only"))
    return rows
