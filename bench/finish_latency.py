"""Client completion time for echo + fastcgi_finish_request() + 200 ms of
work, on each server, against nginx + php-fpm started in the same run.

Every server runs at once; each round sends one request to each (in a
rotating order), waits for the work to end (php -S serves one request at a
time), then times a plain page on each: the server's own cost per request,
which is what separates a slow server (CGI starts a process per request)
from a slow finish."""

import time
from contextlib import ExitStack

from paths import FIXTURES  # first: puts the e2e harness on the path
from client import timed_request
from servers import SERVERS
from stats import median, ratio_row

LABELS = ["php -S", "apache mod_php", "nginx + php-cgi -b", "apache proxy_fcgi + php-cgi -b", "apache + php-cgi (CGI)"]
REFERENCE = "nginx + php-fpm"
WORK = 0.2  # seconds the fixture works after finishing


def get(server, path, expected):
    status, _, body, elapsed = timed_request(server, path)
    assert (status, body) == (200, expected), (server.name, status, body)
    return elapsed * 1000


def measure(rounds):
    labels = LABELS + [REFERENCE]
    finish = {label: [] for label in labels}
    plain = {label: [] for label in labels}
    with ExitStack() as stack:
        servers = {label: stack.enter_context(SERVERS[label](docroot=FIXTURES)) for label in labels}
        for r in range(rounds + 1):  # round 0 warms up and is dropped
            order = labels[r % len(labels):] + labels[:r % len(labels)]
            times = {label: get(servers[label], "/finish_sleep.php", b"done\n") for label in order}
            time.sleep(WORK + 0.1)
            plain_times = {label: get(servers[label], "/hello.php", b"hello\n") for label in order}
            if r:
                for label in labels:
                    finish[label].append(times[label])
                    plain[label].append(plain_times[label])
    ref = finish[REFERENCE]
    rows = []
    for label in LABELS:
        per_round = [a / b for a, b in zip(finish[label], ref)]
        rows.append(ratio_row(f"client time, finish + 200 ms work: {label}", finish[label], ref, per_round, "ms",
                              "<= 1.5"))
        if median(plain[label]) > 2 * median(plain[REFERENCE]):
            # A server slow for every page (CGI starts a process per request):
            # the finish is judged against that server's own plain page.
            per_round = [a / b for a, b in zip(finish[label], plain[label])]
            rows.append(ratio_row(f"client time, finish + 200 ms work: {label}, against its own plain page", finish[label],
                                  plain[label], per_round, "ms", "<= 1.5",
                                  note=f"it takes {median(plain[label]):.1f} ms for any page (php-fpm: "
                                       f"{median(plain[REFERENCE]):.1f} ms): a process is started per request"))
    return rows
