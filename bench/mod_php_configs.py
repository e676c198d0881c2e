"""Client time under Apache mod_php, per configuration people deploy and
per page shape (tests/e2e/test_mod_php.py asserts the behaviour; this
measures it): with the extension, without it (the page guards the call with
function_exists(), so the client waits for the script's 2 s of work), and
php-fpm behind nginx, started in the same run with the same php.ini.
Medians of --rounds rounds; every request of a round runs at once.

    python3 bench/mod_php_configs.py [--rounds 3]
"""

import argparse
import concurrent.futures
import statistics
import time

import paths  # noqa: F401  (first: puts the e2e harness on the path)
from client import timed_request
from servers import Apache, Nginx

WORKERS = "StartServers 10\nMinSpareServers 10\nMaxSpareServers 12\nMaxRequestWorkers 24"
CONFIGS = {
    "no php.ini": (dict(php_ini="none"), {"output_buffering": "0"}),
    "production php.ini": ({}, {}),
    "mod_deflate, gzip client": (dict(extra_conf="AddOutputFilterByType DEFLATE text/html"), {}),
    "mod_brotli, br client": (dict(modules=["brotli"], extra_conf="AddOutputFilterByType BROTLI_COMPRESS text/html"),
                              {}),
    "TLS (mod_ssl)": (dict(tls=True), {}),
}
CASES = {
    "12 B": ("size=12", "GET"),
    "50 KB": ("size=51200", "GET"),
    "1 MB": ("size=1048576", "GET"),
    "flush() first": ("size=2000&flush=1", "GET"),
    "HEAD": ("size=51200", "HEAD"),
    "204": ("size=0&status=204", "GET"),
    "304": ("size=0&status=304", "GET"),
}


def round_of(server, rounds):
    """Median client time (ms) per case over `rounds` rounds."""
    times = {case: [] for case in CASES}
    for r in range(rounds):
        def one(case):
            query, method = CASES[case]
            return case, timed_request(server, f"/page.php?id=b{r}&{query}&work=2", method=method,
                                       headers={"Accept-Encoding": "gzip, br"})[3]
        with concurrent.futures.ThreadPoolExecutor(len(CASES)) as pool:
            for case, elapsed in pool.map(one, CASES):
                times[case].append(elapsed * 1000)
        time.sleep(2.2)  # every worker free again
    return {case: statistics.median(t) for case, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    fpm = {}
    for ini_label, ini in (("production php.ini", {}), ("no php.ini", {"output_buffering": "0"})):
        # As many FPM workers as requests at once: none may queue.
        with Nginx("php-fpm", extension=False, ini=ini, children=len(CASES) + 1) as server:
            fpm[ini_label] = round_of(server, rounds)
    print(f"{'configuration':28} {'page':14} {'fpm_compat':>11} {'without':>11} {'php-fpm':>9}")
    for label, (kw, _) in CONFIGS.items():
        kw = dict(kw, extra_conf=WORKERS + "\n" + kw.get("extra_conf", ""))
        got = {}
        for extension in (True, False):
            with Apache("mod_php", extension=extension, **kw) as server:
                got[extension] = round_of(server, rounds)
        reference = fpm["no php.ini" if label == "no php.ini" else "production php.ini"]
        for case in CASES:
            print(f"{label:28} {case:14} {got[True][case]:9.1f}ms {got[False][case]:9.0f}ms {reference[case]:7.1f}ms")


if __name__ == "__main__":
    main()
