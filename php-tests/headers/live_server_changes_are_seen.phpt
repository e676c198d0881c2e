--TEST--
Writes to $_SERVER, a reassignment and a reference into it are seen by the next call
--EXTENSIONS--
fpm_compat
--FILE--
<?php
$_SERVER['HTTP_X_ADDED'] = 'one';
echo json_encode(getallheaders()), "\n";
$_SERVER = ['HTTP_X_REPLACED' => 'two'];
echo json_encode(getallheaders()), "\n";
$ref = &$_SERVER['HTTP_X_REPLACED'];
$ref = 'three';
echo json_encode(getallheaders()), "\n";
unset($_SERVER['HTTP_X_REPLACED']);
echo json_encode(getallheaders()), "\n";
$_SERVER = 'no longer an array';
echo json_encode(getallheaders()), "\n";
?>
--EXPECT--
{"X-Added":"one"}
{"X-Replaced":"two"}
{"X-Replaced":"three"}
[]
[]
