#!/usr/bin/env python3
"""Lines of code of each src/**/*.rs file, as the 550-line rule counts them.

A line of code is a line that is neither blank nor only comment (`//`,
`///`, `//!`, or inside `/* … */`). A file's count stops at its inline test
module: the first `#[cfg(test)]` whose next item is `mod NAME {` (a
`#[cfg(test)] mod x;` declaration is code). Columns: lines of code; lines
before the test module (comments and blank lines included: the issue's
count); lines of the test module on; all lines; path.

    loc.py [--src DIR] [--max N]    --max: exit 1 if a file has more than N
                                    lines before its test module (the
                                    stricter of the first two columns)
"""
import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_MODULE = re.compile(r"\s*#\[cfg\(test\)\]\s*\n\s*(pub(\(\w+\))?\s+)?mod\s+\w+\s*\{")


def count(text):
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    cut = len(lines)
    for i, line in enumerate(lines):
        if line.strip() == "#[cfg(test)]" and TEST_MODULE.match("\n".join(lines[i:i + 2])):
            cut = i
            break
    code, in_block = 0, False
    for line in lines[:cut]:
        s = line.strip()
        if in_block:
            if "*/" in s:
                in_block, s = False, s.split("*/", 1)[1].strip()
            else:
                continue
        if s.startswith("/*"):
            in_block = "*/" not in s
            continue
        if s and not s.startswith("//"):
            code += 1
    return code, cut, len(lines) - cut, len(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", type=Path, default=ROOT / "src")
    ap.add_argument("--max", type=int)
    args = ap.parse_args()
    over = []
    rows = sorted((count(f.read_text()), f.relative_to(args.src.parent)) for f in args.src.rglob("*.rs"))
    print(" code before tests   all  file")
    for (code, before, tests, total), path in rows:
        print(f"{code:5} {before:6} {tests:5} {total:5}  {path}")
        if args.max is not None and before > args.max:
            over.append(f"{path}: {before} lines before its tests, more than {args.max}")
    sums = [sum(r[0][k] for r in rows) for k in range(4)]
    print(f"{sums[0]:5} {sums[1]:6} {sums[2]:5} {sums[3]:5}  total")
    for o in over:
        print(o, file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
