--TEST--
cli_finish=detach: SIGTERM kills the detached child as it kills any PHP process (no shutdown functions), after its caller was released; a pcntl handler lets the script end cleanly
--EXTENSIONS--
fpm_compat
posix
pcntl
--FILE--
<?php
require __DIR__ . '/../include/child.inc';
$handlers = [
    'default' => '',
    'pcntl handler' => 'pcntl_async_signals(true); pcntl_signal(SIGTERM, function () { exit(0); });',
];
foreach ($handlers as $label => $handler) {
    $log = tempnam(sys_get_temp_dir(), 'fpmc');
    $script = fpm_compat_script(<<<PHP
<?php
$handler
register_shutdown_function(fn() => file_put_contents('$log', "shutdown ran\\n", FILE_APPEND));
echo "response\\n";
fastcgi_finish_request();
file_put_contents('$log', getmypid() . "\\n", FILE_APPEND);
sleep(5);
file_put_contents('$log', "work done\\n", FILE_APPEND);
PHP);
    [$eof, $out, $status, $total] = fpm_compat_read_until_eof(fpm_compat_child($script, ['fpm_compat.cli_finish' => 'detach']));
    $child = (int) (fpm_compat_wait_for_lines($log, 1)[0] ?? 0);
    posix_kill($child, SIGTERM);
    $deadline = microtime(true) + 5;
    while (file_exists("/proc/$child") && microtime(true) < $deadline) {
        usleep(20000);
    }
    $lines = file($log, FILE_IGNORE_NEW_LINES);
    echo "$label: caller ", trim($out), ", status $status, released ", var_export($total < 1.0, true),
        "; child gone: ", var_export(!file_exists("/proc/$child"), true), "; after it: ",
        json_encode(array_slice($lines, 1)), "\n";
    unlink($log); unlink($script);
}
?>
--EXPECT--
default: caller response, status 0, released true; child gone: true; after it: []
pcntl handler: caller response, status 0, released true; child gone: true; after it: ["shutdown ran"]
