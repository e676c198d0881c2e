--TEST--
cli_finish=close/detach: the caller closed its end of the pipe before the call (the flush meets EPIPE); the script, CLI or phpdbg, is not killed and completes its work with status 0
--EXTENSIONS--
fpm_compat
--SKIPIF--
<?php
require __DIR__ . '/../include/child.inc';
if (!is_executable(fpm_compat_phpdbg())) die('skip no phpdbg');
?>
--FILE--
<?php
require __DIR__ . '/../include/child.inc';
// phpdbg, unlike the CLI, does not ignore SIGPIPE itself.
$binaries = ['php' => [PHP_BINARY], 'phpdbg' => [fpm_compat_phpdbg(), '-qrr']];
foreach ($binaries as $name => $binary) {
    foreach (['close', 'detach'] as $mode) {
        $log = tempnam(sys_get_temp_dir(), 'fpmc');
        $script = fpm_compat_script(<<<PHP
<?php
echo "response\\n"; // held by output_buffering until the call flushes it
usleep(300000);     // the caller closes its end meanwhile
\$ok = fastcgi_finish_request();
echo "after finishing\\n";
usleep(100000);
file_put_contents('$log', json_encode(['ok' => \$ok, 'status' => connection_status(), 'work' => 'done']));
PHP);
        $argv = fpm_compat_child($script, ['fpm_compat.cli_finish' => $mode, 'output_buffering' => 4096], $binary);
        $proc = proc_open($argv, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $status = proc_close($proc); // a death by SIGPIPE would not be 0
        echo "$name $mode: status $status, ", fpm_compat_wait_for_lines($log, 1)[0] ?? 'work not done', "\n";
        unlink($log); unlink($script);
    }
}
?>
--EXPECT--
php close: status 0, {"ok":true,"status":0,"work":"done"}
php detach: status 0, {"ok":true,"status":0,"work":"done"}
phpdbg close: status 0, {"ok":true,"status":0,"work":"done"}
phpdbg detach: status 0, {"ok":true,"status":0,"work":"done"}
