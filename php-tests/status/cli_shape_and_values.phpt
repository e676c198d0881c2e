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
echo $types(array_diff_key($s, ['procs' => 0])), "\n", $types($p), "\n";
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
