--TEST--
Non-string credentials convert as the polyfill's concatenation does: warnings, __toString, a thrown exception propagates
--EXTENSIONS--
fpm_compat
--FILE--
<?php
class Name { function __toString(): string { return 'obj'; } }
class Refuses { function __toString(): string { throw new RuntimeException('refused'); } }
$_SERVER = ['PHP_AUTH_USER' => new Name, 'PHP_AUTH_PW' => 1.5];
echo getallheaders()['Authorization'], "\n";
$_SERVER = ['PHP_AUTH_USER' => ['array'], 'PHP_AUTH_PW' => false];
echo getallheaders()['Authorization'], "\n";
$_SERVER = ['HTTP_X_KEPT' => 'x', 'PHP_AUTH_USER' => new Refuses];
try {
    getallheaders();
} catch (RuntimeException $e) {
    echo get_class($e), ': ', $e->getMessage(), "\n";
}
?>
--EXPECTF--
Basic b2JqOjEuNQ==

Warning: Array to string conversion in %s on line %d
Basic QXJyYXk6
RuntimeException: refused
