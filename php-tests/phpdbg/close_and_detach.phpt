--TEST--
phpdbg follows fpm_compat.cli_finish like the CLI: close releases the pipe reader, detach the caller
--EXTENSIONS--
fpm_compat
--SKIPIF--
<?php require __DIR__ . '/../include/child.inc'; if (!is_executable(fpm_compat_phpdbg())) die('skip no phpdbg'); ?>
--FILE--
<?php
require __DIR__ . '/../include/child.inc';
foreach (['keep', 'close', 'detach'] as $mode) {
    $done = tempnam(sys_get_temp_dir(), 'fpmc');
    $script = fpm_compat_script("<?php echo PHP_SAPI, \" body\\n\"; var_dump(fastcgi_finish_request()); sleep(1); file_put_contents('$done', 'ran on');");
    [$eof, $out, $status] = fpm_compat_read_until_eof(fpm_compat_child($script, ['fpm_compat.cli_finish' => $mode], [fpm_compat_phpdbg(), '-qrr']));
    $ran = fpm_compat_wait_for_lines($done, 1)[0] ?? '';
    echo "$mode: ", trim($out), " | released early: ", var_export($eof < 0.8, true), " | status $status | $ran\n";
    unlink($done); unlink($script);
}
?>
--EXPECT--
keep: phpdbg body
bool(true) | released early: false | status 0 | ran on
close: phpdbg body | released early: true | status 0 | ran on
detach: phpdbg body | released early: true | status 0 | ran on
