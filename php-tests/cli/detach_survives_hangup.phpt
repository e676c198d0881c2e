--TEST--
cli_finish=detach: the child survives SIGHUP to the caller's session, leaves no zombie and does not hold the caller's stdout
--EXTENSIONS--
fpm_compat
posix
pcntl
--FILE--
<?php
require __DIR__ . '/../include/child.inc';
$log = tempnam(sys_get_temp_dir(), 'fpmc');
$script = fpm_compat_script(<<<PHP
<?php
echo "response\\n";
fastcgi_finish_request();
file_put_contents('$log', getmypid() . "\\n", FILE_APPEND);
sleep(1);
file_put_contents('$log', "done\\n", FILE_APPEND);
PHP);
// The caller runs in a session of its own, as under a terminal or a process manager.
$argv = array_merge(['setsid', '--wait'], fpm_compat_child($script, ['fpm_compat.cli_finish' => 'detach']));
$start = microtime(true);
$proc = proc_open($argv, [1 => ['pipe', 'w']], $pipes);
$callerPid = proc_get_status($proc)['pid'];
echo stream_get_contents($pipes[1]); // EOF here means the child does not hold our stdout
$eof = microtime(true) - $start;
$status = proc_close($proc);
$childPid = (int) (fpm_compat_wait_for_lines($log, 1)[0] ?? 0);
// Hang up the caller's session, as a closing terminal does.
@posix_kill(-$callerPid, SIGHUP);
$lines = fpm_compat_wait_for_lines($log, 2, 5.0);
var_dump($status, $eof < 0.8, $childPid > 0 && $childPid !== $callerPid, $lines[1] ?? null);
// No zombie: the child's parent (the caller) is gone, so once done it is
// reaped by init and vanishes entirely.
$deadline = microtime(true) + 10;
while (file_exists("/proc/$childPid") && microtime(true) < $deadline) {
    usleep(50000);
}
var_dump(file_exists("/proc/$childPid") ? explode(' ', file_get_contents("/proc/$childPid/stat"))[2] : 'gone');
unlink($log); unlink($script);
?>
--EXPECT--
response
int(0)
bool(true)
bool(true)
string(4) "done"
string(4) "gone"
