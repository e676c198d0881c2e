--TEST--
cli_finish=close: `php … | cat` — cat gets EOF and exits while PHP runs on
--EXTENSIONS--
fpm_compat
--FILE--
<?php
require __DIR__ . '/../include/child.inc';
$done = tempnam(sys_get_temp_dir(), 'fpmc');
$script = fpm_compat_script("<?php echo \"body\\n\"; fastcgi_finish_request(); sleep(2); file_put_contents('$done', 'finished');");
$php = implode(' ', array_map('escapeshellarg', fpm_compat_child($script, ['fpm_compat.cli_finish' => 'close'])));
// cat's exit time is written by the shell when cat ends, before it waits for php.
$cmd = "sh -c '( $php & ) | { cat; date +%s.%N >&2; }'";
$cmd = "sh -c " . escapeshellarg("$php | { cat; date +%s.%N >&2; }");
$start = microtime(true);
$proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
$out = stream_get_contents($pipes[1]);
$catEnded = (float) trim(stream_get_contents($pipes[2]));
proc_close($proc);
echo $out;
var_dump($catEnded - $start < 1.0, file_get_contents($done));
unlink($done); unlink($script);
?>
--EXPECT--
body
bool(true)
string(8) "finished"
