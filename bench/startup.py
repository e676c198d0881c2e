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


def measure(pairs):
    without = [PHP, "-r", ""]
    with_ext = [PHP, "-d", f"extension={SO}", "-r", ""]
    ours, ref = [], []
    for i in range(pairs + 10):  # the first 10 pairs warm the page cache
        first, second = (with_ext, without) if i % 2 else (without, with_ext)
        a, b = run(first), run(second)
        if i >= 10:
            (ours, ref)[first is without].append(a)
            (ours, ref)[second is without].append(b)
    per_block = block_ratios(ours, ref, 10)
    return [ratio_row("CLI start-up, php -r ''", ours, ref, per_block, "ms", "<= 1.03",
                      note=f"{pairs} alternating pairs; ratio spread over 10 blocks of pairs")]
