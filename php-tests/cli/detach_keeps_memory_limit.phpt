--TEST--
cli_finish=detach with memory_limit=16M: the child keeps the limit and ends as the request would
--EXTENSIONS--
fpm_compat
--SKIPIF--
<?php
if (getenv('USE_ZEND_ALLOC') === '0') die('skip memory_limit is not enforced without PHP\'s allocator (scripts/leakcheck)');
?>
--FILE--
<?php
require __DIR__ . '/../include/child.inc';
$log = tempnam(sys_get_temp_dir(), 'fpmc');
$errors = tempnam(sys_get_temp_dir(), 'fpmc');
$script = fpm_compat_script(<<<PHP
<?php
register_shutdown_function(fn() => file_put_contents('$log', "shutdown ran\\n", FILE_APPEND));
echo "response\\n";
fastcgi_finish_request();
\$big = str_repeat('x', 64 << 20);
file_put_contents('$log', "allocated 64 MB\\n", FILE_APPEND);
PHP);
[$eof, $out, $status] = fpm_compat_read_until_eof(fpm_compat_child($script, [
    'fpm_compat.cli_finish' => 'detach', 'memory_limit' => '16M', 'error_log' => $errors,
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
shutdown ran
PHP Fatal error:  Allowed memory size of 16777216 bytes exhausted%s
