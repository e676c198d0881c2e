--TEST--
phpversion('fpm_compat') and the phpinfo row (php --ri) give the version in Cargo.toml
--FILE--
<?php
// Cargo.toml is the version's only home; the build carries it into the module.
preg_match('/^version\s*=\s*"([^"]+)"/m', file_get_contents(__DIR__ . '/../Cargo.toml'), $m);
var_dump(phpversion('fpm_compat') === $m[1]);
ob_start();
(new ReflectionExtension('fpm_compat'))->info();
$info = ob_get_clean();
var_dump(str_contains($info, "Version => $m[1]\n"));
?>
--EXPECT--
bool(true)
bool(true)
