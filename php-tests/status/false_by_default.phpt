--TEST--
fpm_get_status() returns false unless fpm_compat.status=1 (code tests is_array() to detect FPM)
--EXTENSIONS--
fpm_compat
--FILE--
<?php
var_dump(ini_get('fpm_compat.status'), fpm_get_status());
var_dump(ini_set('fpm_compat.status', '1'), is_array(fpm_get_status()));
ini_set('fpm_compat.status', 'off');
var_dump(fpm_get_status());
?>
--EXPECT--
string(1) "0"
bool(false)
string(1) "0"
bool(true)
bool(false)
