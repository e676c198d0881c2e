--TEST--
cli_finish=detach: caller released at once with status 0; the child finishes; shutdown functions and destructors run once, in the child
--EXTENSIONS--
fpm_compat
--FILE--
<?php
require __DIR__ . '/../include/child.inc';
$log = tempnam(sys_get_temp_dir(), 'fpmc');
$script = fpm_compat_script(<<<PHP
<?php
class Job { function __destruct() { file_put_contents('$log', "destructor " . getmypid() . "\\n", FILE_APPEND); } }
\$job = new Job;
register_shutdown_function(fn() => file_put_contents('$log', "shutdown " . getmypid() . "\\n", FILE_APPEND));
file_put_contents('$log', "caller " . getmypid() . "\\n", FILE_APPEND);
echo "response\\n";
var_dump(fastcgi_finish_request());
file_put_contents('$log', "child " . getmypid() . " ppid-is-not-caller=" . (posix_getppid() !== 0) . " sid=" . (posix_getsid(0) === getmypid() ? 'own' : 'inherited') . " second=" . var_export(fastcgi_finish_request(), true) . "\\n", FILE_APPEND);
sleep(1);
file_put_contents('$log', "work done " . getmypid() . "\\n", FILE_APPEND);
PHP);
[$eof, $out, $status, $total] = fpm_compat_read_until_eof(fpm_compat_child($script, ['fpm_compat.cli_finish' => 'detach']));
echo $out;
var_dump($status, $total < 0.8, $eof < 0.8);
$lines = fpm_compat_wait_for_lines($log, 5);
$caller = (int) explode(' ', $lines[0])[1];
$pids = [];
foreach ($lines as $line) {
    $words = explode(' ', $line);
    $pid = (int) ($words[0] === 'work' ? $words[2] : $words[1]);
    echo preg_replace('/\d{2,}/', $pid === $caller ? 'CALLER' : 'CHILD', $line, 1), "\n";
}
unlink($log); unlink($script);
?>
--EXPECT--
response
int(0)
bool(true)
bool(true)
caller CALLER
child CHILD ppid-is-not-caller=1 sid=own second=false
work done CHILD
shutdown CHILD
destructor CHILD
