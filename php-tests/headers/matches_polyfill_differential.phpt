--TEST--
getallheaders() equals the Composer polyfill (ralouphie/getallheaders) over thousands of generated $_SERVER arrays: values, types, key order, warnings, exceptions
--EXTENSIONS--
fpm_compat
--FILE--
<?php
// The oracle is Debian's php-getallheaders, loaded under another name.
require __DIR__ . '/../include/polyfill_as.inc';
define_polyfill_as('polyfill_getallheaders');

final class Str { function __construct(private string $s) {} function __toString(): string { return $this->s; } }
final class Throws { function __toString(): string { throw new RuntimeException('no string'); } }

mt_srand(20240604);
function pick(array $a) { return $a[mt_rand(0, count($a) - 1)]; }
function bytes(): string {
    $alphabet = ['a', 'B', 'z', 'Q', '0', '9', '_', '_', '-', ' ', "\t", "\n", "\x0b", "\xff", "\xc3\xa9", "\x00", '.', 'ä'];
    $s = '';
    for ($i = mt_rand(0, 8); $i > 0; $i--) $s .= pick($alphabet);
    return $s;
}
function key_(): string|int {
    switch (mt_rand(0, 15)) {
        case 0: case 1: case 2: return 'HTTP_' . bytes();
        case 3: return 'HTTP_' . pick(['HOST', 'USER_AGENT', 'X_FORWARDED_FOR', 'ACCEPT', 'accept', 'aCcEpT_lAnGuAgE', '']);
        case 4: return pick(['CONTENT_TYPE', 'CONTENT_LENGTH', 'CONTENT_MD5', 'HTTP_CONTENT_TYPE', 'HTTP_CONTENT_LENGTH', 'HTTP_CONTENT_MD5']);
        case 5: return pick(['HTTP_AUTHORIZATION', 'REDIRECT_HTTP_AUTHORIZATION', 'PHP_AUTH_USER', 'PHP_AUTH_PW', 'PHP_AUTH_DIGEST']);
        case 6: return 'HTTP_' . pick(['12', '-3', '0', '012', '-0', '9223372036854775807', '9223372036854775808', '1e3', ' 1', '1_2']);
        case 7: return mt_rand(-5, 100);
        case 8: return pick(['12', '-7', '007']);
        case 9: return pick(['HTTP', 'http_host', 'HTTP-X', 'XHTTP_A', 'REDIRECT_HTTP_HOST', 'content_type']);
        default: return pick(['SERVER_NAME', 'REQUEST_URI', 'SCRIPT_NAME', 'argv', 'REQUEST_TIME']) . (mt_rand(0, 1) ? '' : bytes());
    }
}
function value_(): mixed {
    switch (mt_rand(0, 14)) {
        case 0: return null;
        case 1: return mt_rand(-100, 100);
        case 2: return mt_rand(0, 1) ? 1.5 : -0.0;
        case 3: return (bool) mt_rand(0, 1);
        case 4: return [bytes()];
        case 5: return new Str(bytes());
        case 6: return mt_rand(0, 3) ? '' : new Throws();
        default: return bytes();
    }
}

$errors = [];
set_error_handler(function ($no, $msg) use (&$errors) { $errors[] = "$no $msg"; return true; });
function run(callable $f, array &$errors): array {
    $errors = [];
    try {
        $result = $f();
    } catch (Throwable $e) {
        $result = get_class($e) . ': ' . $e->getMessage();
    }
    return [$result, $errors];
}

$cases = 4000;
$mismatches = 0;
// What the generated cases exercised, so a generator change that stops
// reaching a rule shows up here.
$seen = array_fill_keys(['integer key', 'Basic credentials', 'exception', 'warning', 'packed $_SERVER',
                         'reference', 'non-string value', 'twin overridden'], 0);
for ($c = 0; $c < $cases; $c++) {
    $server = [];
    if (mt_rand(0, 15) === 0) {
        $server = [bytes(), value_(), 'HTTP_X' => 1]; // integer keys first
        unset($server['HTTP_X']);
        if (mt_rand(0, 1)) $server = array_values($server); // a list: PHP stores it packed
    } else {
        for ($i = mt_rand(0, 12); $i > 0; $i--) {
            $server[key_()] = value_();
        }
        if (mt_rand(0, 5) === 0) { // the Basic fallback and its conversions, more often
            $server['PHP_AUTH_USER'] = value_();
            if (mt_rand(0, 1)) $server['PHP_AUTH_PW'] = value_();
        }
    }
    if ($server && mt_rand(0, 10) === 0) {
        $ref = value_();
        $server[array_rand($server)] = &$ref; // a reference in $_SERVER
    }
    $_SERVER = $server;
    $ours = run('getallheaders', $errors);
    [$headers, $warnings] = $ours;
    if (is_array($headers)) {
        $seen['integer key'] += (int) (count(array_filter(array_keys($headers), 'is_int')) > 0);
        $auth = $headers['Authorization'] ?? null;
        $seen['Basic credentials'] += (int) (is_string($auth) && str_starts_with($auth, 'Basic '));
        $seen['non-string value'] += (int) (count(array_filter($headers, fn($v) => !is_string($v))) > 0);
        $seen['twin overridden'] += (int) (isset($server['CONTENT_TYPE'], $server['HTTP_CONTENT_TYPE']));
    } else {
        $seen['exception']++;
    }
    $seen['warning'] += (int) ($warnings !== []);
    $seen['packed $_SERVER'] += (int) array_is_list($server) && $server !== [];
    $seen['reference'] += (int) isset($ref);
    $alias = run('apache_request_headers', $errors);
    $theirs = run('polyfill_getallheaders', $errors);
    if ($ours !== $theirs || $alias !== $theirs) {
        if (++$mismatches <= 3) {
            echo "MISMATCH in case $c\n\$_SERVER = ", var_export($server, true), "\nours = ", var_export($ours, true),
                 "\npolyfill = ", var_export($theirs, true), "\n";
        }
    }
    unset($ref);
}
echo "$cases cases, $mismatches mismatches\n";
foreach ($seen as $what => $count) {
    echo $what, ': ', $count >= 10 ? 'exercised' : "only $count cases", "\n";
}
?>
--EXPECT--
4000 cases, 0 mismatches
integer key: exercised
Basic credentials: exercised
exception: exercised
warning: exercised
packed $_SERVER: exercised
reference: exercised
non-string value: exercised
twin overridden: exercised
