"""Summarises valgrind memcheck logs (one per process): definite leaks and
memory errors, split by whether a stack frame is in the extension. Exits 1
if any is."""

import re
import sys
from pathlib import Path

OURS = re.compile(r"fpm_compat")
# An error or loss record: a header line, then its stack, then a blank line.
RECORD = re.compile(r"^==\d+== (\S.*)\n((?:==\d+==    (?:at|by) .*\n)+)", re.M)
SUMMARY = re.compile(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks")


def main(log_dir):
    logs = sorted(Path(log_dir).glob("*.log"))
    ours, theirs = [], []
    lost_bytes = lost_blocks = processes = 0
    for log in logs:
        text = log.read_text(errors="replace")
        if "Memcheck" not in text:
            continue
        processes += 1
        for m in SUMMARY.finditer(text):
            lost_bytes += int(m.group(1).replace(",", ""))
            lost_blocks += int(m.group(2).replace(",", ""))
        for m in RECORD.finditer(text):
            head, stack = m.groups()
            if "definitely lost" in head or head.startswith(("Invalid", "Conditional", "Use of uninit", "Syscall param",
                                                              "Mismatched", "Source and destination")):
                (ours if OURS.search(stack) else theirs).append(f"{log.name}: {head}\n{stack}")
    print(f"{processes} PHP processes checked; definitely lost in all: {lost_bytes} bytes in {lost_blocks} blocks")
    print(f"records with a frame in libfpm_compat: {len(ours)}; elsewhere (PHP, libraries): {len(theirs)}")
    for record in ours:
        print("\n" + record)
    if theirs:
        print("\nfirst record elsewhere, for reference:\n" + theirs[0])
    return 1 if ours or processes == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
