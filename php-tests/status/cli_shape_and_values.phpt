--TEST--
fpm_compat.status=1 on the CLI: FPM's keys and types, with this process's figures
--EXTENSIONS--
fpm_compat
--INI--
fpm_compat.status=1
--FILE--
<?php
$s = fpm_get_status();
$p = $s['procs'][0];
$types = fn(array $a) => implode(' ', array_map(fn($k, $v) => "$k:" . get_debug_type($v), array_keys($a), $a));
echo $types(array_diff_key($s, ['procs' => 0, 'memory-peak' => 0])), "\n", $types($p), "\n";
// php-fpm 8.4 added an int memory-peak between slow-requests and procs.
$tail = PHP_VERSION_ID >= 80400 ? ['slow-requests', 'memory-peak', 'procs'] : ['slow-requests', 'procs'];
$peak_ok = PHP_VERSION_ID < 80400 || is_int($s['memory-peak']);
echo array_slice(array_keys($s), -count($tail)) === $tail && $peak_ok ? "tail as this version's php-fpm\n" : "tail differs\n";
var_dump(
    $s['pool'], $s['process-manager'], $s['accepted-conn'], $s['total-processes'], count($s['procs']),
    $p['pid'] === getmypid(), $p['state'], $p['requests'], $p['request-method'], $p['request-uri'],
    $p['query-string'], $p['user'], $p['script'] === __FILE__, $p['last-request-memory'],
    $s['start-time'] === $p['start-time'], $s['start-time'] <= time() && $s['start-time'] > time() - 60,
    $s['start-since'] === time() - $s['start-time'],
);
?>
--EXPECT--
pool:string process-manager:string start-time:int start-since:int accepted-conn:int listen-queue:int max-listen-queue:int listen-queue-len:int idle-processes:int active-processes:int total-processes:int max-active-processes:int max-children-reached:int slow-requests:int
pid:int state:string start-time:int start-since:int requests:int request-duration:int request-method:string request-uri:string query-string:string request-length:int user:string script:string last-request-cpu:float last-request-memory:int
tail as this version's php-fpm
string(3) "cli"
string(6) "static"
int(1)
int(1)
int(1)
bool(true)
string(7) "Running"
int(1)
string(1) "-"
string(0) ""
string(0) ""
string(1) "-"
bool(true)
int(0)
bool(true)
bool(true)
bool(true)
