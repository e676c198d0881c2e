"""The whole pool's status against php-fpm's under the same load (DESIGN 5,
issue 18): php-fpm with pm = static and N workers, and each server whose
workers share one PHP start-up with N workers (Apache prefork with N fixed
children, php -S with its first process and N-1 workers, php-cgi with
PHP_FCGI_CHILDREN=N behind nginx and spawned by lighttpd). While one worker
sleeps in a request and another sleeps after fastcgi_finish_request(), a
status read from another request must give what php-fpm gives; a worker
killed with SIGKILL must disappear, its requests stay counted, and its
replacement must be listed as a fresh worker. php-fpm's status page
(pm.status_path) in every format is compared with fpm_status_page()'s."""

import json
import os
import re
import signal
import threading
import time
import urllib.request
from collections import Counter

import pytest

from client import until_another_process
from servers import Apache, BuiltinServer, Lighttpd, Nginx
from test_status import shape_mismatches

N = 4
STATUS_ON = {"fpm_compat.status": 1}
SLEEP_MS = 4000
BURN_MS = 300
# Apache prefork with exactly N children: never more (ServerLimit) nor fewer.
FIXED_CHILDREN = f"ServerLimit {N}\nMaxRequestWorkers {N}"
SERVERS = {
    "apache mod_php": lambda: Apache("mod_php", workers=N, ini=STATUS_ON, extra_conf=FIXED_CHILDREN),
    # php -S: the first process serves too, as one more worker.
    "php -S": lambda: BuiltinServer(workers=N - 1, ini=STATUS_ON),
    "nginx + php-cgi -b": lambda: Nginx("php-cgi", children=N, ini=STATUS_ON),
    "lighttpd + php-cgi": lambda: Lighttpd(workers=N, ini=STATUS_ON),
}
PAGES = ["", "full", "json", "json&full", "xml", "xml&full", "html", "html&full", "openmetrics", "openmetrics&full"]
# What a status page's values may differ in between two pools; the rest
# (names, order, punctuation, which fields are numbers) must be equal.
VARYING = {
    "text": (re.compile(r"^((?:state|request method|request URI|user|script|start time): +).*$", re.M), r"\1V"),
    "json": (re.compile(r'("(?:state|request method|request uri|user|script)":)"[^"]*"'), r'\1"V"'),
    "xml": (re.compile(r"(<(state|request-method|request-uri|user|script)>)[^<]*(</\2>)"), r"\1V\3"),
}


def get(server, path, timeout=15):
    with urllib.request.urlopen(server.url(path), timeout=timeout) as resp:
        return resp.status, resp.headers, resp.read()


def status(server):
    return json.loads(get(server, "status.php")[2])


def full_status(server, timeout=10):
    """The first status that lists all N workers: Apache forks its children
    after it listens, so a read right after start-up can come first."""
    deadline = time.monotonic() + timeout
    while (report := status(server))["status"]["total-processes"] < N and time.monotonic() < deadline:
        time.sleep(0.2)
    return report


class Load:
    """One worker sleeping in a request, one sleeping after finishing."""

    def __init__(self, server):
        self.threads = [threading.Thread(target=get, args=(server, f"pool_sleep.php?ms={SLEEP_MS}{q}", 30))
                        for q in ("", "&finish")]
        for t in self.threads:
            t.start()
            # One after the other: a php -S worker that accepted two
            # connections at once would serve them in turn.
            time.sleep(0.3)

    def wait(self):
        for t in self.threads:
            t.join()


def scenario(server):
    """The same requests, in the same order, on any server; `sent` counts
    the requests PHP saw."""
    time.sleep(1.2)  # php-fpm counts idle/active once a second
    seen = {}
    load = Load(server)
    sent = 2
    time.sleep(0.5)
    deadline = time.monotonic() + 2
    while True:  # until both sleepers are in PHP (a loaded machine is slow)
        seen["busy"] = status(server)
        sent += 1
        if states(seen["busy"])["Finishing"] == 1 and states(seen["busy"])["Running"] == 2:
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    seen["sent_busy"] = sent
    seen["pages"] = {}
    for q in PAGES:
        code, headers, body = get(server, f"fpm-status.php?{q}")
        sent += 1
        seen["pages"][q] = (code, headers.get("Content-Type"), headers.get("Expires"),
                            headers.get("Cache-Control"), body.decode(errors="replace"))
    load.wait()
    time.sleep(0.3)  # the sleeper's request ends after its client has its response
    procs = seen["busy"]["status"]["procs"]
    [in_request] = [p for p in procs if p["state"] == "Running" and p["query-string"] == f"ms={SLEEP_MS}"]
    [finished] = [p for p in procs if p["query-string"] == f"ms={SLEEP_MS}&finish"]
    # Under php -S the sleeper may be its first process, whose death ends
    # the server, not a worker: then the one that slept after finishing.
    victim = finished if in_request["pid"] in server_parents(seen["busy"]) else in_request
    seen["victim"] = victim
    os.kill(victim["pid"], signal.SIGKILL)
    time.sleep(1.5)  # php-fpm (and Apache) replace a dead child within a second
    deadline = time.monotonic() + 10
    while True:
        after = status(server)
        sent += 1
        fresh = [p for p in after["status"]["procs"] if p["pid"] not in pids(seen["busy"])]
        if fresh or time.monotonic() > deadline or isinstance(server, BuiltinServer):
            break
        time.sleep(0.3)
    seen["after"], seen["sent_after"] = after, sent
    seen["cpu"] = cpu_scenario(server)
    return seen


def cpu_scenario(server):
    """A reader that waits while one worker burns CPU and another sleeps,
    each for BURN_MS, then reads the pool: both are idle by then and show
    their last request's CPU share."""
    result = {}
    reader = threading.Thread(target=lambda: result.update(
        report=json.loads(get(server, f"status.php?sleep={(BURN_MS + 700) * 1000}", 30)[2])))
    reader.start()
    time.sleep(0.3)
    for q in (f"burn={BURN_MS}", f"ms={BURN_MS}&nap"):
        threading.Thread(target=get, args=(server, f"pool_sleep.php?{q}", 30)).start()
        time.sleep(0.1)
    reader.join()
    return result["report"]


def pids(report):
    return {p["pid"] for p in report["status"]["procs"]}


def server_parents(report):
    """The pool's workers that forked others: php -S's first process."""
    return {ppid(p) for p in pids(report)} & pids(report)


def ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:  # gone already
        return 0


def states(report):
    return Counter(p["state"] for p in report["status"]["procs"])


@pytest.fixture(scope="module")
def fpm():
    server = Nginx("php-fpm", children=N)
    # The page at the same path as ours: php-fpm answers it before any script.
    server.fpm_pool_conf = "pm.status_path = /fpm-status.php"
    with server:
        yield {"label": "php-fpm", "docroot": str(server.docroot), **scenario(server)}


@pytest.fixture(scope="module", params=list(SERVERS))
def ours(request):
    with SERVERS[request.param]() as server:
        seen = scenario(server)
        yield {"label": request.param, "docroot": str(server.docroot), "logs": server.logs(), **seen}


def summary(seen):
    s = seen["busy"]["status"]
    return {k: s[k] for k in ("total-processes", "active-processes", "idle-processes", "accepted-conn",
                              "max-active-processes")} | {"states": dict(sorted(states(seen["busy"]).items()))}


def test_pool_under_load_as_php_fpm(fpm, ours):
    print(f"\n{'php-fpm':>20}: {summary(fpm)}\n{ours['label']:>20}: {summary(ours)}")
    assert "fpm_compat:" not in ours["logs"] and "PHP Warning" not in ours["logs"], ours["logs"]
    for seen in (fpm, ours):
        s = seen["busy"]["status"]
        assert (s["total-processes"], s["active-processes"], s["idle-processes"]) == (N, 3, N - 3), seen["label"]
        assert states(seen["busy"]) == Counter({"Running": 2, "Finishing": 1, "Idle": N - 3}), seen["label"]
        assert len(s["procs"]) == N
        assert s["max-active-processes"] >= 3
    assert shape_mismatches(ours["busy"]["shape"], fpm["busy"]["shape"]) == []
    # Every request counted, the reader included. php-fpm also counts the
    # test harness's readiness probe: a connection that sent no request.
    assert ours["busy"]["status"]["accepted-conn"] == ours["sent_busy"]
    assert fpm["busy"]["status"]["accepted-conn"] == fpm["sent_busy"] + 1


def test_the_reader_and_the_sleepers_as_php_fpm(fpm, ours):
    for seen in (fpm, ours):
        procs = seen["busy"]["status"]["procs"]
        [reader] = [p for p in procs if p["pid"] == seen["busy"]["pid"]]
        assert (reader["state"], reader["request-uri"]) == ("Running", "/status.php")
        [finished] = [p for p in procs if p["state"] == "Finishing"]
        assert finished["query-string"] == f"ms={SLEEP_MS}&finish"
        for p in (reader, finished, seen["victim"]):
            assert (p["last-request-cpu"], p["last-request-memory"]) == (0, 0), "FPM shows them for idle workers only"
            assert p["request-duration"] >= (500_000 if p is not reader else 0)


def test_killed_worker_gone_its_requests_counted_its_replacement_fresh(fpm, ours):
    for seen in (fpm, ours):
        after = seen["after"]["status"]
        assert seen["victim"]["pid"] not in pids(seen["after"]), seen["label"]
        # The pool keeps what the dead worker served.
        assert after["accepted-conn"] == seen["sent_after"] + (1 if seen is fpm else 0), seen["label"]
        fresh = [p for p in after["procs"] if p["pid"] not in pids(seen["busy"])]
        if ours["label"] == "php -S" and seen is ours:
            # php -S does not replace a dead worker: the pool is one smaller.
            assert fresh == [] and after["total-processes"] == N - 1
            continue
        assert after["total-processes"] == N, seen["label"]
        [new] = fresh
        # As php-fpm lists a fresh child: idle, nothing served yet (unless it
        # is the one that answered this read).
        if new["pid"] == seen["after"]["pid"]:
            assert (new["state"], new["requests"]) == ("Running", 1)
        else:
            assert (new["state"], new["requests"], new["request-method"], new["script"]) == ("Idle", 0, "-", "-")


def test_last_request_cpu_as_php_fpm(fpm, ours):
    """FPM's CPU share of an idle worker's last request: about 100 for one
    that kept the CPU busy, about 0 for one that slept (here the clock is
    read once a tick, not twice a request: status.rs, CpuClock)."""
    for seen in (fpm, ours):
        procs = seen["cpu"]["status"]["procs"]
        [burner] = [p for p in procs if p["query-string"] == f"burn={BURN_MS}"]
        [sleeper] = [p for p in procs if p["query-string"] == f"ms={BURN_MS}&nap"]
        print(f"\n{seen['label']:>20}: last-request-cpu {burner['last-request-cpu']:.1f} (burning), "
              f"{sleeper['last-request-cpu']:.1f} (sleeping)")
        assert burner["state"] == sleeper["state"] == "Idle", seen["label"]
        assert 50 <= burner["last-request-cpu"] <= 150, (seen["label"], burner)
        assert sleeper["last-request-cpu"] <= 30, (seen["label"], sleeper)
        assert burner["request-duration"] >= BURN_MS * 1000


def test_graceful_restart_lists_the_new_generation():
    """Apache's graceful restart (SIGUSR1: what logrotate sends every night)
    starts PHP again in the parent: the old pool's scoreboard is unmapped
    there and a new one mapped, so the new generation of children is the
    pool; an old child finishes the request it is serving (its own mapping
    stays) and then exits. Nothing is lost and nothing crashes."""
    with SERVERS["apache mod_php"]() as server:
        old = pids(full_status(server))
        assert len(old) == N
        result = {}
        sleeper = threading.Thread(target=lambda: result.update(
            sleeper=get(server, "pool_sleep.php?ms=2500", 30)))
        sleeper.start()
        time.sleep(0.5)
        os.kill(server.procs[0].pid, signal.SIGUSR1)
        deadline = time.monotonic() + 20
        reads = 0
        while True:
            time.sleep(0.3)
            try:
                after = status(server)
            except OSError:  # the listener is being re-opened
                continue
            reads += 1
            if pids(after).isdisjoint(old) and after["status"]["total-processes"] == N:
                break
            assert time.monotonic() < deadline, after["status"]
        sleeper.join()
        assert result["sleeper"][0] == 200 and result["sleeper"][2] == b"slept\n"
        s = after["status"]
        assert (s["active-processes"], s["idle-processes"]) == (1, N - 1)
        # The new pool counts its own requests: the reads that reached it.
        assert 1 <= s["accepted-conn"] <= reads
        logs = server.logs()
        for bad in ("fpm_compat:", "PHP Warning", "Segmentation", "exit signal"):
            assert bad not in logs, logs[-3000:]


@pytest.mark.parametrize("children", [None, N], ids=["PHP_FCGI_CHILDREN unset", f"PHP_FCGI_CHILDREN={N}"])
def test_mod_fcgid_pool_is_one_php_cgi_parent(children):
    """mod_fcgid spawns php-cgi itself and sends each process one request
    at a time. With PHP_FCGI_CHILDREN=N a php-cgi parent forks N children
    after PHP's start-up: they are its pool (were mod_fcgid to spawn more
    parents, each would be a pool of its own). Without it, as mod_fcgid's
    documentation advises, every php-cgi is a pool of one."""
    with Apache("fcgid", ini=STATUS_ON, fcgi_children=children, workers=1) as server:
        reads = [status(server) for _ in range(3)]
        s = reads[-1]["status"]
        assert (s["total-processes"], s["active-processes"]) == (children or 1, 1), s
        assert s["accepted-conn"] == 3
        [reader] = [p for p in s["procs"] if p["pid"] == reads[-1]["pid"]]
        assert (reader["state"], reader["request-uri"]) == ("Running", "/status.php")
        assert sorted(p["state"] for p in s["procs"]) == ["Idle"] * ((children or 1) - 1) + ["Running"]
        logs = server.logs()
        assert "fpm_compat:" not in logs and "PHP Warning" not in logs, logs[-3000:]


@pytest.mark.parametrize("module", ["cgid", "fcgid"])
def test_apache_helper_processes_are_not_workers(module):
    """Modules whose long-lived helper Apache's parent forks beside its
    children (mod_cgid's daemon, mod_fcgid's process manager) add no worker
    to mod_php's pool."""
    server = Apache("mod_php", workers=N, ini=STATUS_ON, modules=[module], extra_conf=FIXED_CHILDREN)
    w = server.work.path
    if module == "cgid":
        server.extra_conf += f"\nScriptSock {w}/cgid.sock"
    else:
        (w / "fcgid").mkdir()
        (w / "fcgid").chmod(0o777)
        server.extra_conf += f"\nFcgidIPCDir {w}/fcgid\nFcgidProcessTableFile {w}/fcgid/shm"
    with server:
        full_status(server)
        time.sleep(1)  # Apache's helpers are up by now
        s = status(server)["status"]
        assert (s["total-processes"], s["active-processes"]) == (N, 1), s
        assert len(s["procs"]) == N


def normalized(q, seen, pool):
    code, ctype, expires, cache, body = seen["pages"][q]
    body = body.replace(seen["docroot"], "DOCROOT")
    body = re.sub(rf"(?<![\w.-]){re.escape(pool)}(?![\w.-])", "POOL", body)
    kind = "json" if "json" in q else "xml" if "xml" in q else "html" if "html" in q else "text"
    if kind == "html":
        # Per-process rows: the cells of the varying fields, by position.
        def row(m):
            cells = re.findall(r"<td>(.*?)</td>", m.group(0))
            for i in (1, 2, 6, 7, 9, 10):
                cells[i] = "V"
            return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
        body = re.sub(r"<tr>(<td>.*?</td>){13}</tr>", row, body)
        body = re.sub(r"<tr><th>start time</th><td>[^<]*</td>", "<tr><th>start time</th><td>V</td>", body)
    else:
        pattern, replacement = VARYING[kind]
        body = pattern.sub(replacement, body)
    body = re.sub(r"\d+", "N", body)
    return code, ctype, expires, cache, body


@pytest.mark.parametrize("q", PAGES)
def test_status_page_as_php_fpm(fpm, ours, q):
    reference = normalized(q, fpm, fpm["busy"]["status"]["pool"])
    mine = normalized(q, ours, ours["busy"]["status"]["pool"])
    assert reference[0] == 200 and reference[1] is not None
    assert mine == reference, _debug_diff(reference[4], mine[4])


def _debug_diff(a, b):
    import difflib
    return "\n".join(difflib.unified_diff(a.splitlines(), b.splitlines(), "php-fpm", "ours", lineterm=""))


def test_a_prefork_child_that_ends_on_max_connections_is_gone():
    """A child that ends on its own runs PHP's module shutdown first; its
    slot must die with it all the same."""
    with Apache("mod_php", workers=1, ini=STATUS_ON,
                extra_conf="ServerLimit 1\nMaxRequestWorkers 1\nMaxConnectionsPerChild 3") as server:
        first = status(server)["pid"]
        reports, lost = until_another_process(lambda: status(server), first)
        after = reports[-1]
        assert pids(after) == {after["pid"]} and after["pid"] != first, after["status"]["procs"]
        assert len(reports) + 1 <= after["status"]["accepted-conn"] <= len(reports) + 1 + lost
