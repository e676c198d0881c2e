--TEST--
stubs/fpm_compat.stub.php passes php -l
--FILE--
<?php
$stub = __DIR__ . '/../stubs/fpm_compat.stub.php';
exec(escapeshellarg(PHP_BINARY) . ' -n -l ' . escapeshellarg($stub) . ' 2>&1', $out, $status);
echo $status, ' ', str_replace($stub, 'STUB', implode("\n", $out)), "\n";
?>
--EXPECT--
0 No syntax errors detected in STUB
