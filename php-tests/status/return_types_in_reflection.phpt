--TEST--
Reflection shows FPM's return types: fpm_get_status(): array|false, getallheaders()/apache_request_headers(): array
--EXTENSIONS--
fpm_compat
--FILE--
<?php
foreach (['fpm_get_status', 'getallheaders', 'apache_request_headers'] as $f) {
    $r = new ReflectionFunction($f);
    echo $f, '(): ', $r->getReturnType(), ' (', $r->getExtensionName(), ")\n";
}
?>
--EXPECT--
fpm_get_status(): array|false (fpm_compat)
getallheaders(): array (fpm_compat)
apache_request_headers(): array (fpm_compat)
