--TEST--
Header names kept between calls (past the cache's bound, numeric, long, same name from two variables) and $_SERVER written between calls or not: every answer equals the polyfill's
--EXTENSIONS--
fpm_compat
--FILE--
<?php
require __DIR__ . '/../include/polyfill_as.inc';
define_polyfill_as('polyfill_getallheaders');

$mismatches = 0;
function check(string $what): void {
    global $mismatches;
    if (getallheaders() !== polyfill_getallheaders()) {
        $mismatches++;
        echo "differs: $what\n";
    }
}

// Names made on first sight, then taken from the cache (and, past its
// bound, made every time): each $_SERVER asked twice.
$special = ['HTTP_12' => 'int', 'HTTP__3' => 'negative int', 'HTTP_012' => 'not int', 'HTTP_' => 'empty',
            'HTTP_X_A' => 'upper', 'HTTP_x_a' => 'lower wins in place', 'HTTP_' . str_repeat('LONG_', 40) => 'long',
            'HTTP_9223372036854775808' => 'past int range', 'HTTP_CONTENT_TYPE' => 'twin', 'CONTENT_TYPE' => null];
for ($round = 0; $round < 2; $round++) {
    for ($i = 0; $i < 400; $i += 20) {
        $_SERVER = $special;
        for ($j = $i; $j < $i + 20; $j++) {
            $_SERVER["HTTP_NAME_$j"] = "v$j";
            $_SERVER["HTTP_$j"] = $j;
        }
        check("names $i, round $round");
        check("names $i again, round $round");
    }
}

// A write before every call (the repeat cache backs off), then repeats
// (it holds again), then the same mixed with reassignment and references.
$_SERVER = ['HTTP_HOST' => 'example.org', 'HTTP_X_COUNT' => 0, 'REQUEST_TIME' => 1];
for ($i = 0; $i < 100; $i++) {
    $_SERVER['HTTP_X_COUNT']++;
    check("write $i");
}
for ($i = 0; $i < 5; $i++) {
    check("repeat $i");
}
for ($i = 0; $i < 60; $i++) {
    switch ($i % 4) {
        case 0: $_SERVER['HTTP_X_COUNT'] = $i; break;
        case 1: $_SERVER = $_SERVER + ["HTTP_X_$i" => $i]; break;
        case 2: $ref = &$_SERVER['HTTP_X_COUNT']; $ref = "by ref $i"; unset($ref); break;
        case 3: break;
    }
    check("mixed $i");
    check("mixed $i again");
}
echo "mismatches: $mismatches\n";
?>
--EXPECT--
mismatches: 0
