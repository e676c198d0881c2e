--TEST--
Writes to $_SERVER, a reassignment and writes through a reference into it are seen by the next call
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
$ref = 'four'; // $_SERVER itself untouched
echo json_encode(getallheaders()), "\n";
$_SERVER['HTTP_X_LIST'] = ['a'];
$first = getallheaders();
$_SERVER['HTTP_X_LIST'][] = 'b';
$first['X-Kept'] = 'mine';
echo json_encode($first), ' ', json_encode(getallheaders()), "\n";
unset($ref);
unset($_SERVER['HTTP_X_REPLACED']);
echo json_encode(getallheaders()), "\n";
$_SERVER = 'no longer an array';
echo json_encode(getallheaders()), "\n";
?>
--EXPECT--
{"X-Added":"one"}
{"X-Replaced":"two"}
{"X-Replaced":"three"}
{"X-Replaced":"four"}
{"X-Replaced":"four","X-List":["a"],"X-Kept":"mine"} {"X-Replaced":"four","X-List":["a","b"]}
{"X-List":["a","b"]}
[]
