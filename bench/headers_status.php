<?php
// Cost per call of the request-header functions and of fpm_get_status(), as
// the median over repeated timed runs. Prints one JSON object per line:
// {"what": ..., "ns_per_call": median, "runs": [...]}. Run by
// bench/headers_status.sh, which compares the figures.
//
// Mode "cli": the extension's getallheaders() and the Composer polyfill over
// the same $_SERVER (20 HTTP_* entries among a web server's usual ones), and
// fpm_get_status(). Mode "cgi": run under php-cgi with the 20 HTTP_* entries
// in the environment: php-cgi's native C getallheaders(), and the polyfill.
require __DIR__ . '/../php-tests/include/polyfill_as.inc';
define_polyfill_as('polyfill_getallheaders');

const RUNS = 15;
const CALLS = 20000;

function measure(string $what, callable $f): void {
    $runs = [];
    for ($r = 0; $r < RUNS; $r++) {
        $start = hrtime(true);
        for ($i = 0; $i < CALLS; $i++) {
            $f();
        }
        $runs[] = (hrtime(true) - $start) / CALLS;
    }
    sort($runs);
    echo json_encode(['what' => $what, 'ns_per_call' => $runs[intdiv(RUNS, 2)], 'runs' => $runs]), "\n";
}

function http_vars(): array {
    $vars = [];
    foreach (['HOST', 'USER_AGENT', 'ACCEPT', 'ACCEPT_LANGUAGE', 'ACCEPT_ENCODING', 'CONNECTION', 'COOKIE',
              'CACHE_CONTROL', 'UPGRADE_INSECURE_REQUESTS', 'SEC_FETCH_DEST', 'SEC_FETCH_MODE', 'SEC_FETCH_SITE',
              'SEC_FETCH_USER', 'REFERER', 'X_FORWARDED_FOR', 'X_FORWARDED_PROTO', 'X_REQUEST_ID', 'DNT',
              'PRAGMA', 'AUTHORIZATION'] as $i => $name) {
        $vars["HTTP_$name"] = "value-$i-" . str_repeat('x', 20);
    }
    return $vars;
}

$mode = getenv('BENCH_MODE') ?: ($argv[1] ?? 'cli'); // php-cgi has no $argv for -f scripts
if ($mode === 'env') { // for the shell script: the 20 variables, for env(1)
    foreach (http_vars() as $k => $v) echo "$k=$v\n";
    exit;
}
if ($mode === 'cli') {
    $_SERVER = http_vars() + [
        'SERVER_SOFTWARE' => 'nginx/1.22.1', 'SERVER_NAME' => 'example.org', 'SERVER_ADDR' => '127.0.0.1',
        'SERVER_PORT' => '80', 'REMOTE_ADDR' => '127.0.0.1', 'REMOTE_PORT' => '50000',
        'DOCUMENT_ROOT' => '/srv/www', 'REQUEST_SCHEME' => 'http', 'SERVER_PROTOCOL' => 'HTTP/1.1',
        'REQUEST_METHOD' => 'GET', 'QUERY_STRING' => 'a=1', 'REQUEST_URI' => '/index.php?a=1',
        'SCRIPT_NAME' => '/index.php', 'SCRIPT_FILENAME' => '/srv/www/index.php', 'PHP_SELF' => '/index.php',
        'GATEWAY_INTERFACE' => 'CGI/1.1', 'REQUEST_TIME_FLOAT' => 1.0, 'REQUEST_TIME' => 1,
    ];
    if (getallheaders() !== polyfill_getallheaders()) {
        throw new RuntimeException('the two disagree: nothing to compare');
    }
    measure('getallheaders (fpm_compat)', 'getallheaders');
    measure('getallheaders (Composer polyfill)', 'polyfill_getallheaders');
    // $_SERVER written before every call: fpm_compat cannot answer with the
    // headers it made last time (the write itself is in both figures).
    measure('write + getallheaders (fpm_compat)', function () { $_SERVER['REQUEST_TIME']++; getallheaders(); });
    measure('write + getallheaders (Composer polyfill)', function () { $_SERVER['REQUEST_TIME']++; polyfill_getallheaders(); });
    measure('fpm_get_status (fpm_compat)', 'fpm_get_status');
} else {
    if (count(getallheaders()) < 20 || (new ReflectionFunction('getallheaders'))->getExtensionName() !== 'cgi-fcgi') {
        throw new RuntimeException('expected php-cgi with 20 HTTP_* variables');
    }
    measure('getallheaders (php-cgi, native C)', 'getallheaders');
    measure('getallheaders (Composer polyfill, php-cgi)', 'polyfill_getallheaders');
}
