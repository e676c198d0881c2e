"""Medians, A/B ratios with their spread, and the results table."""

import statistics
from dataclasses import dataclass


def median(values):
    return statistics.median(values)


def quartiles(values):
    """(25th, 75th) percentile: the spread shown for per-round ratios."""
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def block_ratios(ours, ref, blocks):
    """Ratio of medians in each of `blocks` consecutive slices of paired
    samples: how much the ratio moves from one stretch of time to the next."""
    size = max(1, len(ours) // blocks)
    return [median(ours[i:i + size]) / median(ref[i:i + size]) for i in range(0, len(ours) - size + 1, size)]


@dataclass
class Row:
    name: str
    ours: str
    reference: str = ""
    ratio: float | None = None
    target: str = ""  # "<= 1.5", ">= 0.98", "<= 0.1 ms" or ""
    spread: str = ""  # quartiles of per-round ratios
    note: str = ""
    value: float | None = None  # judged instead of the ratio when the target has a unit ("<= 0.1 ms")

    def verdict(self):
        judged = self.ratio if self.value is None else self.value
        if judged is None or not self.target:
            return ""
        op, limit = self.target.split()[:2]
        ok = judged <= float(limit) if op == "<=" else judged >= float(limit)
        return "ok" if ok else "MISSED"


def ratio_row(name, ours, ref, per_round, unit, target="", fmt="{:.2f}", note=""):
    lo, hi = quartiles(per_round)
    return Row(name, f"{fmt.format(median(ours))} {unit}", f"{fmt.format(median(ref))} {unit}",
               median(ours) / median(ref), target, f"{lo:.3f}–{hi:.3f}", note)


def print_table(rows):
    head = ("measurement", "fpm_compat", "reference", "ratio", "target", "", "ratio IQR (rounds)")
    cells = [head] + [(r.name, r.ours, r.reference, "" if r.ratio is None else f"{r.ratio:.3f}", r.target,
                       r.verdict(), r.spread) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    for i, c in enumerate(cells):
        print("  ".join(text.ljust(w) for text, w in zip(c, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    notes = [f"- {r.name}: {r.note}" for r in rows if r.note]
    if notes:
        print("\n" + "\n".join(notes))
