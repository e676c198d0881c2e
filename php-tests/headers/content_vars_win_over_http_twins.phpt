--TEST--
CONTENT_TYPE, CONTENT_LENGTH, CONTENT_MD5 win over their HTTP_ twins when set (a null one does not)
--EXTENSIONS--
fpm_compat
--FILE--
<?php
$_SERVER = [
    'HTTP_CONTENT_TYPE' => 'from the header',
    'HTTP_CONTENT_LENGTH' => '99',
    'HTTP_CONTENT_MD5' => 'md5 from the header',
    'CONTENT_TYPE' => 'text/plain',
    'CONTENT_LENGTH' => '5',
    'CONTENT_MD5' => null,
];
var_dump(getallheaders());
?>
--EXPECT--
array(3) {
  ["Content-Md5"]=>
  NULL
  ["Content-Type"]=>
  string(10) "text/plain"
  ["Content-Length"]=>
  string(1) "5"
}
