--TEST--
cli_finish=detach with max_execution_time=2: the child keeps what is left of the request's limit (a fork does not inherit interval timers) and ends as the request would, with its shutdown functions
--EXTENSIONS--
fpm_compat
--FILE--
<?php
require __DIR__ . '/../include/child.inc';
$log = tempnam(sys_get_temp_dir(), 'fpmc');
$errors = tempnam(sys_get_temp_dir(), 'fpmc');
$script = fpm_compat_script(<<<PHP
<?php
function cpu() { \$r = getrusage(); return \$r['ru_utime.tv_sec'] + \$r['ru_utime.tv_usec'] / 1e6 + \$r['ru_stime.tv_sec'] + \$r['ru_stime.tv_usec'] / 1e6; }
register_shutdown_function(function () {
    // getrusage() counts this process only: a forked child starts at 0.
    \$cpu = cpu();
    file_put_contents('$log', sprintf("shutdown in the %s, which used %s of CPU\n", getmypid() === \$GLOBALS['caller'] ? 'caller' : 'child',
        abs(\$cpu - 1.5) < 0.25 ? 'about 1.5 s (the 2 s limit less what the caller used)' : "\$cpu s"), FILE_APPEND);
});
\$caller = getmypid();
while (cpu() < 0.5) {} // a quarter of the limit, spent before the call
echo "response\n";
fastcgi_finish_request();
\$start = microtime(true);
while (microtime(true) - \$start < 6) {}
file_put_contents('$log', "the 6 s loop ended\n", FILE_APPEND);
PHP);
[$eof, $out, $status] = fpm_compat_read_until_eof(fpm_compat_child($script, [
    'fpm_compat.cli_finish' => 'detach', 'max_execution_time' => 2, 'error_log' => $errors,
]));
echo $out;
var_dump($status);
echo implode("\n", fpm_compat_wait_for_lines($log, 1)), "\n";
// The error's first line: PHP 8.5 adds a stack trace below it.
echo strtok(preg_replace('/^\[[^]]*\] /m', '', file_get_contents($errors)), "\n"), "\n";
unlink($log); unlink($errors); unlink($script);
?>
--EXPECTF--
response
int(0)
shutdown in the child, which used about 1.5 s (the 2 s limit less what the caller used) of CPU
PHP Fatal error:  Maximum execution time of 2 seconds exceeded in %s on line %d
