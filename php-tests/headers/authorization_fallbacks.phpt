--TEST--
Authorization falls back to REDIRECT_HTTP_AUTHORIZATION, then Basic PHP_AUTH_USER:PHP_AUTH_PW, then PHP_AUTH_DIGEST
--EXTENSIONS--
fpm_compat
--FILE--
<?php
$all = [
    'HTTP_AUTHORIZATION' => 'Bearer from-header',
    'REDIRECT_HTTP_AUTHORIZATION' => 'Bearer redirected',
    'PHP_AUTH_PW' => 'p:w',
    'PHP_AUTH_USER' => 'ärger',
    'PHP_AUTH_DIGEST' => 'Digest username="d"',
];
foreach (array_keys($all) as $drop) {
    $_SERVER = $all;
    echo getallheaders()['Authorization'] ?? '(none)', "\n";
    unset($all[$drop]);
}
$_SERVER = [];
echo getallheaders()['Authorization'] ?? '(none)', "\n";
?>
--EXPECT--
Bearer from-header
Bearer redirected
Basic w6RyZ2VyOnA6dw==
Basic w6RyZ2VyOg==
Digest username="d"
(none)
