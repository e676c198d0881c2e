--TEST--
Header values come back byte-exact (no UTF-8 conversion) and empty values are kept
--EXTENSIONS--
fpm_compat
--FILE--
<?php
$_SERVER = ['HTTP_X_LATIN1' => "caf\xe9", 'HTTP_X_BINARY' => "\x00\xff\xfe", 'HTTP_X_EMPTY' => '', "HTTP_X_\xff" => 'odd name'];
$h = getallheaders();
foreach ($h as $name => $value) {
    echo bin2hex($name), ' => ', bin2hex($value), "\n";
}
?>
--EXPECT--
582d4c6174696e31 => 636166e9
582d42696e617279 => 00fffe
582d456d707479 => 
582dff => 6f6464206e616d65
