--TEST--
php-cgi: the extension loads, keeps php-cgi's own getallheaders() and adds the finish functions
--EXTENSIONS--
fpm_compat
--CGI--
--ENV--
HTTP_X_PROBE=cgi
--FILE--
<?php
echo PHP_SAPI, "\n";
foreach (['getallheaders', 'apache_request_headers', 'fastcgi_finish_request', 'fpm_get_status'] as $f) {
    echo $f, ': ', (new ReflectionFunction($f))->getExtensionName(), "\n";
}
echo getallheaders()['X-Probe'], "\n";
?>
--EXPECT--
cgi-fcgi
getallheaders: cgi-fcgi
apache_request_headers: cgi-fcgi
fastcgi_finish_request: fpm_compat
fpm_get_status: fpm_compat
cgi
