"""php -S, php-cgi -b behind nginx, and mod_php under `apache2 -X`, each
under valgrind memcheck (PHP's allocator off, modules kept mapped so stacks
name libfpm_compat) for a few hundred requests of the soak's mix; then the
logs are judged as scripts/leakcheck judges the phpt suite's: no definite
leak and no memory error with a frame in the extension.

Each PHP process must end cleanly for its leak report: php -S and Apache
stop on SIGINT / SIGTERM through their own shutdown; php-cgi children end
after PHP_FCGI_MAX_REQUESTS requests, as they do in production.

    python3 valgrind_servers.py OUT_DIR [--requests N]
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import soak
from servers import SERVERS

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "scripts" / "leakcheck_report.py"
SETUPS = {
    "php -S (2 workers)": ("php -S", {"workers": 2}, signal.SIGINT),
    "nginx + php-cgi -b": ("nginx + php-cgi -b", {"workers": 2}, signal.SIGTERM),
    "apache mod_php (apache2 -X)": ("apache mod_php", {}, signal.SIGTERM),
}


def valgrind(log_dir):
    return ["env", "USE_ZEND_ALLOC=0", "ZEND_DONT_UNLOAD_MODULES=1",
            "valgrind", "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=definite",
            "--errors-for-leak-kinds=definite", "--num-callers=40", f"--log-file={log_dir}/%p.log"]


def stop_cleanly(server, sig, timeout=120):
    """Signals the PHP server's process group and waits for it: valgrind
    writes its leak report as the process exits."""
    leader = next(p for p in server.procs if p.args[0] == "env")
    os.killpg(leader.pid, sig)
    try:
        leader.wait(timeout)
    except subprocess.TimeoutExpired:
        pass


def run(label, requests, out):
    base, kw, sig = SETUPS[label]
    log_dir = out / label.split()[0].replace("-", "")
    log_dir.mkdir(parents=True, exist_ok=True)
    # php-cgi children end (cleanly) after a sixth of the requests each, so
    # every child reports, and replacements too.
    per_child = max(20, requests // 6)
    with SERVERS[base](wrapper=valgrind(log_dir), ini={"fpm_compat.status": "1"}, max_requests=per_child,
                       **kw) as server:
        tally = soak.Tally()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda job: soak.run_job(server.port, job, tally), soak.jobs(requests)))
        soak.wait_settled(server.records / "soak.log", requests, timeout=120)
        time.sleep(2)
        stop_cleanly(server, sig)
        lost, dup, _ = soak.check_records(server.records / "soak.log", requests)
    print(f"\n== {label}: {requests} requests, {tally.responses} responses, {len(tally.bad)} wrong, "
          f"{len(tally.errors)} client errors, {lost} lost, {dup} duplicated; valgrind logs in {log_dir}", flush=True)
    report = subprocess.run([sys.executable, str(REPORT), str(log_dir)])
    return report.returncode == 0 and not (tally.bad or lost or dup)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--servers", default=",".join(SETUPS))
    args = parser.parse_args()
    out = Path(args.out)
    results = {label: run(label, args.requests, out) for label in args.servers.split(",")}
    print("\n" + "\n".join(f"{'clean' if good else 'FAILED'}: {label}" for label, good in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
