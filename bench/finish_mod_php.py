"""Apache mod_php's finish of pages larger than output_buffering: client time
for a 50 KB page under output_buffering=0 (the headers and most of the page
are out before the call), and the memory the finish of a 1 MB page takes,
echoed or held whole in ob_start(). nginx + php-fpm, started in the same run
with the same php.ini, is the reference for both."""

import os
import time
from contextlib import ExitStack
from unittest.mock import patch

from paths import FIXTURES  # first: puts the e2e harness on the path
from client import wait_for_record
from per_server import get
from servers import SERVERS
from stats import Row, median, ratio_row

LABEL = "apache mod_php"
REFERENCE = "nginx + php-fpm"
WORK = 1.0  # seconds finish_unbuffered.php works after finishing
MEMORY_RUNS = 7
# Requests before those measured, more than any server here has workers: a
# worker's first requests touch memory (PHP's chunks, Apache's pools) for
# the first time, which the peak RSS would count against the finish.
MEMORY_WARMUP = 10
MEMORY_FIGURES = {
    "php_peak": "PHP allocator peak (memory_get_peak_usage)",
    "hwm_growth": "peak RSS growth (VmHWM)",
}
PAGES = {"0": "1 MB page echoed", "1": "1 MB page held in ob_start()"}


def page(kib):
    """The fixtures' page: `kib` lines of 1 KiB."""
    return ("page".ljust(1023, ".") + "\n").encode() * kib


def servers_side_by_side(stack, kw_by_label):
    return {label: stack.enter_context(SERVERS[label](docroot=FIXTURES, **kw)) for label, kw in kw_by_label.items()}


def measure_unbuffered(rounds):
    unbuffered = {"ini": {"output_buffering": "0"}}
    times = {LABEL: [], REFERENCE: []}
    with ExitStack() as stack:
        servers = servers_side_by_side(stack, {LABEL: unbuffered, REFERENCE: unbuffered})
        labels = list(servers)
        for r in range(rounds + 1):  # round 0 warms up and is dropped
            started = time.monotonic()
            order = labels[r % 2:] + labels[:r % 2]
            got = {label: get(servers[label], "/finish_unbuffered.php", page(50)) for label in order}
            # The next round finds both servers' workers free again.
            time.sleep(max(0.0, started + WORK + 0.1 - time.monotonic()))
            if r:
                for label in labels:
                    times[label].append(got[label])
    per_round = [a / b for a, b in zip(times[LABEL], times[REFERENCE])]
    return [ratio_row(f"client time, 50 KB page, output_buffering=0, finish + 1 s work: {LABEL}", times[LABEL],
                      times[REFERENCE], per_round, "ms", "<= 1.5")]


def finish_memory(server, buffered):
    """The fixture's records of MEMORY_RUNS requests, after MEMORY_WARMUP."""
    records = []
    for _ in range(MEMORY_WARMUP + MEMORY_RUNS):
        get(server, f"/finish_memory.php?buffered={buffered}", page(1024))
        records.append(wait_for_record(server, "finish_memory"))
        (server.records / "finish_memory.json").unlink()
    return records[MEMORY_WARMUP:]


def measure_memory():
    """Each figure is the median of MEMORY_RUNS requests, with Debian's
    production php.ini (output_buffering=4096)."""
    with ExitStack() as stack:
        # An explicit threshold (glibc's default) stops glibc from raising it
        # after the first free: every malloc of 128 KiB or more is then fresh
        # memory, and shows in the peak RSS at every request, not only the
        # first in a worker. Read at start-up by the servers spawned here.
        stack.enter_context(patch.dict(os.environ, {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=131072"}))
        # CoreDumpDirectory makes Apache's children dumpable: only then is
        # /proc/self theirs (www-data's) and PHP may reset their peak RSS.
        servers = servers_side_by_side(stack, {LABEL: {"extra_conf": "CoreDumpDirectory /tmp"}, REFERENCE: {}})
        records = {(label, buffered): finish_memory(server, buffered)
                   for label, server in servers.items() for buffered in PAGES}
    return [memory_row(records, buffered, key) for buffered in PAGES for key in MEMORY_FIGURES]


def memory_row(records, buffered, key):
    name = f"memory of the finish, {PAGES[buffered]}: {MEMORY_FIGURES[key]}: {LABEL}"
    ours, ref = ([rec[key] for rec in records[label, buffered]] for label in (LABEL, REFERENCE))
    if None in ours + ref:
        return Row(name, "n/a", note="the kernel refused to reset the peak RSS (/proc/self/clear_refs)")
    note = f"range {min(ours):,}–{max(ours):,} B (php-fpm {min(ref):,}–{max(ref):,} B) over {MEMORY_RUNS} requests"
    not_finished = sum(not rec["finished"] for rec in records[LABEL, buffered])
    if not_finished:
        note += f"; the call returned false in {not_finished} of them"
    ratio = median(ours) / median(ref) if median(ref) else None
    return Row(name, f"{median(ours):,.0f} B", f"{median(ref):,.0f} B", ratio, note=note)
