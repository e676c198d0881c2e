--TEST--
cli_finish=keep (default): returns true, output buffers and their contents untouched
--EXTENSIONS--
fpm_compat
--FILE--
<?php
// A Symfony-style caller: captures the response with ob_start, then finishes.
ob_start();
echo "captured body";
$first = fastcgi_finish_request();
$level = ob_get_level();
$captured = ob_get_clean();
var_dump(ini_get('fpm_compat.cli_finish'), $first, $level, $captured);
var_dump(fastcgi_finish_request());
echo "still printing\n";
?>
--EXPECT--
string(4) "keep"
bool(true)
int(1)
string(13) "captured body"
bool(false)
still printing
