--TEST--
$_SERVER is filled on first use (auto_globals_jit) even if the script never names it
--EXTENSIONS--
fpm_compat
--INI--
auto_globals_jit=1
variables_order=EGPCS
--ENV--
HTTP_X_FROM_ENV=yes
--FILE--
<?php
echo getallheaders()['X-From-Env'], "\n";
?>
--EXPECT--
yes
