--TEST--
The extension loads on the CLI and provides every shim there
--EXTENSIONS--
fpm_compat
--FILE--
<?php
var_dump(phpversion('fpm_compat') !== false);
foreach (['fastcgi_finish_request', 'litespeed_finish_request', 'frankenphp_finish_request',
          'fpm_get_status', 'apache_request_headers', 'getallheaders'] as $f) {
    echo $f, ': ', (new ReflectionFunction($f))->getExtensionName(), "\n";
}
?>
--EXPECT--
bool(true)
fastcgi_finish_request: fpm_compat
litespeed_finish_request: fpm_compat
frankenphp_finish_request: fpm_compat
fpm_get_status: fpm_compat
apache_request_headers: fpm_compat
getallheaders: fpm_compat
