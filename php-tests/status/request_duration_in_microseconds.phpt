--TEST--
request-duration counts microseconds since the request started
--EXTENSIONS--
fpm_compat
--INI--
fpm_compat.status=1
--FILE--
<?php
$before = fpm_get_status()['procs'][0]['request-duration'];
usleep(300000);
$after = fpm_get_status()['procs'][0]['request-duration'];
$grew = $after - $before;
var_dump($before >= 0, $grew >= 300000, $grew < 3000000);
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
