--TEST--
php-cgi: request-method, query-string, request-length, script and user come from the request, where FPM reads them
--EXTENSIONS--
fpm_compat
--INI--
fpm_compat.status=1
--ENV--
HTTP_AUTHORIZATION=Basic YWxpY2U6c2VjcmV0
--POST--
a=1&b=2
--GET--
x=1&y=%C3%A9
--FILE--
<?php
$s = fpm_get_status();
$p = $s['procs'][0];
var_dump($s['pool'], $p['request-method'], $p['query-string'], $p['request-length'], $p['script'] === __FILE__,
         $p['user']);
?>
--EXPECT--
string(8) "cgi-fcgi"
string(4) "POST"
string(12) "x=1&y=%C3%A9"
int(7)
bool(true)
string(5) "alice"
