--TEST--
HTTP_FOO_BAR becomes Foo-Bar; other $_SERVER entries are not headers
--EXTENSIONS--
fpm_compat
--FILE--
<?php
$_SERVER = [
    'HTTP_HOST' => 'example.org',
    'HTTP_X_FORWARDED_FOR' => '10.0.0.1',
    'HTTP_aCcEpT_lAnGuAgE' => 'de',
    'SERVER_NAME' => 'not a header',
    'http_lower' => 'not a header',
    'REDIRECT_HTTP_HOST' => 'not a header',
];
var_dump(getallheaders());
var_dump(apache_request_headers() === getallheaders());
?>
--EXPECT--
array(3) {
  ["Host"]=>
  string(11) "example.org"
  ["X-Forwarded-For"]=>
  string(8) "10.0.0.1"
  ["Accept-Language"]=>
  string(2) "de"
}
bool(true)
