--TEST--
Every registered directive is documented with its default in the stub and in packaging/fpm_compat.ini
--FILE--
<?php
$stub = file_get_contents(__DIR__ . '/../stubs/fpm_compat.stub.php');
preg_match('~/\*\*.*?\*/~s', $stub, $m); // the file-level doc block
$ini = file_get_contents(__DIR__ . '/../packaging/fpm_compat.ini');
foreach (ini_get_all('fpm_compat') as $name => $entry) {
    $line = preg_quote("$name = {$entry['global_value']}", '/');
    $inStub = preg_match("/^ \* $line$/m", $m[0]);
    $inIni = preg_match("/^;$line$/m", $ini);
    echo "$name: stub ", $inStub ? 'yes' : 'NO', ', ini ', $inIni ? 'yes' : 'NO', "\n";
}
?>
--EXPECT--
fpm_compat.after_finish: stub yes, ini yes
fpm_compat.cli_finish: stub yes, ini yes
fpm_compat.functions: stub yes, ini yes
fpm_compat.max_detached: stub yes, ini yes
fpm_compat.session_close: stub yes, ini yes
fpm_compat.status: stub yes, ini yes
