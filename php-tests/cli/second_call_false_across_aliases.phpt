--TEST--
The three finish names share one request: only the first call returns true
--EXTENSIONS--
fpm_compat
--FILE--
<?php
var_dump(litespeed_finish_request(), fastcgi_finish_request(), frankenphp_finish_request());
?>
--EXPECT--
bool(true)
bool(false)
bool(false)
