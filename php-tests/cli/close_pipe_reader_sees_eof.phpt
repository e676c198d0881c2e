--TEST--
cli_finish=close: a proc_open pipe reader sees EOF long before the script ends; the rest still runs
--EXTENSIONS--
fpm_compat
--FILE--
<?php
require __DIR__ . '/../include/child.inc';
$done = tempnam(sys_get_temp_dir(), 'fpmc');
$script = fpm_compat_script(<<<PHP
<?php
echo "response body\n";
\$ok = fastcgi_finish_request();
echo "after finish: must not reach the reader\n";
fwrite(STDERR, "stderr after finish\n");
sleep(2);
file_put_contents('$done', json_encode(['ok' => \$ok, 'headers_sent' => headers_sent(),
    'ob_level' => ob_get_level(), 'status' => connection_status(), 'second' => fastcgi_finish_request()]));
PHP);
[$eof, $out, $status, $total] = fpm_compat_read_until_eof(fpm_compat_child($script, ['fpm_compat.cli_finish' => 'close']));
echo $out;
var_dump($eof < 1.0, $total >= 2.0, $status);
echo file_get_contents($done), "\n";
unlink($done); unlink($script);
?>
--EXPECT--
response body
bool(true)
bool(true)
int(0)
{"ok":true,"headers_sent":true,"ob_level":0,"status":0,"second":false}
