"""The per-server results of one run as a PNG (matplotlib, Debian's
python3-matplotlib) and as the Markdown table shown under it in the README,
both headed by the machine, its load average and the date."""

import os
import platform
import time

from per_server import REFERENCE, added
from stats import median, quartiles


def heading(load):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.machine())
    return (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {cpu}, {os.cpu_count()} CPUs, "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min) at the end")


def table(results, load):
    fpm_finish, _ = added(results[REFERENCE]["times"])
    lines = [f"{heading(load)}; medians over rounds, per-round IQR in brackets.", "",
             "| server | (a) baseline, no extension | (b) extension loaded | (c) finish page "
             "| what the finish adds, (c) − (a) | php-fpm's own (c) − (a) | req/s loaded / not (ratio) "
             "| private dirty per worker, loaded / not |",
             "|---|---|---|---|---|---|---|---|"]
    for label, got in results.items():
        if "missing" in got:
            lines.append(f"| {label} | {got['missing']} | | | | | | |")
            continue
        t = got["times"]
        finish, _ = added(t)
        lo, hi = quartiles(finish)
        rates = ""
        if got.get("rates"):
            ours, ref, per_round = got["rates"]
            rates = f"{ours:,.0f} / {ref:,.0f} ({median(per_round):.3f})"
        ours_kib, ref_kib = got.get("memory") or (None, None)
        memory = "— (a process per request)" if ours_kib is None else f"{ours_kib:,.0f} / {ref_kib:,.0f} KiB"
        lines.append(f"| {label} | {median(t['a']):.2f} ms | {median(t['b']):.2f} ms | {median(t['c']):.2f} ms "
                     f"| {median(finish):+.3f} ms ({lo:+.3f} to {hi:+.3f}) | {median(fpm_finish):+.3f} ms "
                     f"| {rates} | {memory} |")
    return "\n".join(lines) + "\n"


def png(results, load, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [(label, got["times"]) for label, got in results.items() if "missing" not in got]
    labels = [label for label, _ in shown][::-1]
    series = [("(a) baseline, no extension", "a", "#9e9e9e"), ("(b) extension loaded, no call", "b", "#64b5f6"),
              ("(c) finish + 100 ms of work", "c", "#1565c0")]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(labels) + 1.6), dpi=80)
    height = 0.27
    for i, (name, key, color) in enumerate(series):
        ys = [y + (1 - i) * height for y in range(len(labels))]
        values = [median(dict(shown)[label][key]) for label in labels]
        ax.barh(ys, values, height=height, color=color, label=name)
    fpm = median(results[REFERENCE]["times"]["c"])
    ax.axvline(fpm, color="#c62828", linestyle="--", linewidth=1, label=f"php-fpm's finish page ({fpm:.2f} ms)")
    ax.set_xscale("log")
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("client time, ms (log scale; median of the rounds)")
    ax.set_title(heading(load), fontsize=7)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(results, load, directory):
    os.makedirs(directory, exist_ok=True)
    png(results, load, os.path.join(directory, "finish.png"))
    with open(os.path.join(directory, "finish.md"), "w") as f:
        f.write(table(results, load))
