--TEST--
A numeric header name becomes an integer key and non-string values pass through, as in the polyfill
--EXTENSIONS--
fpm_compat
--FILE--
<?php
$_SERVER = ['HTTP_12' => 'twelve', 'HTTP_012' => 'not canonical', 'HTTP_-3' => 3, 'HTTP_-B' => 1.5,
            7 => 'integer key', 'HTTP_X_LIST' => [1], 'HTTP_X_NULL' => null, 'HTTP_X_TRUE' => true];
var_dump(getallheaders());
?>
--EXPECT--
array(7) {
  [12]=>
  string(6) "twelve"
  ["012"]=>
  string(13) "not canonical"
  [-3]=>
  int(3)
  ["-b"]=>
  float(1.5)
  ["X-List"]=>
  array(1) {
    [0]=>
    int(1)
  }
  ["X-Null"]=>
  NULL
  ["X-True"]=>
  bool(true)
}
