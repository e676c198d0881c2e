"""CLI start-up, `php -r ''`, with and without the extension: pairs run
back to back in alternating order, medians over all runs."""

import os
import time

from paths import PHP, SO
from stats import block_ratios, ratio_row


def run(argv):
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ)
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    assert status == 0, argv
    return elapsed * 1000


def measure(pairs, so=SO, php=PHP, no_ini=False):
    """no_ini: `php -n -r ''`, PHP alone against PHP and the extension (the
    release library's cost, no conf.d in either)."""
    n = ["-n"] if no_ini else []
    without = [php, *n, "-r", ""]
    with_ext = [php, *n, "-d", f"extension={so}", "-r", ""]
    ours, ref = [], []
    for i in range(pairs + 10):  # the first 10 pairs warm the page cache
        first, second = (with_ext, without) if i % 2 else (without, with_ext)
        a, b = run(first), run(second)
        if i >= 10:
            (ours, ref)[first is without].append(a)
            (ours, ref)[second is without].append(b)
    per_block = block_ratios(ours, ref, 10)
    return [ratio_row(f"CLI start-up, php {'-n ' if no_ini else ''}-r ''", ours, ref, per_block, "ms", "<= 1.03",
                      note=f"{pairs} alternating pairs; ratio spread over 10 blocks of pairs")]


if __name__ == "__main__":
    # python3 bench/startup.py SO [PAIRS] [PHP]: `php -n -r ''` with and
    # without SO (README "Installing": the release library's start-up cost).
    import sys

    from stats import print_table
    print_table(measure(int(sys.argv[2]) if len(sys.argv) > 2 else 300, so=sys.argv[1],
                        php=sys.argv[3] if len(sys.argv) > 3 else PHP, no_ini=True))
