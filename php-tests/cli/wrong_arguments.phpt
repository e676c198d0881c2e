--TEST--
Arguments to the shims raise ArgumentCountError
--EXTENSIONS--
fpm_compat
--FILE--
<?php
foreach (['fastcgi_finish_request', 'litespeed_finish_request', 'frankenphp_finish_request',
          'fpm_get_status', 'getallheaders', 'apache_request_headers'] as $f) {
    try {
        $f(1);
        echo "$f: no error\n";
    } catch (ArgumentCountError $e) {
        echo $e->getMessage(), "\n";
    }
}
// The failed calls did not count as finishing.
var_dump(fastcgi_finish_request());
?>
--EXPECT--
fastcgi_finish_request() expects exactly 0 arguments, 1 given
litespeed_finish_request() expects exactly 0 arguments, 1 given
frankenphp_finish_request() expects exactly 0 arguments, 1 given
fpm_get_status() expects exactly 0 arguments, 1 given
getallheaders() expects exactly 0 arguments, 1 given
apache_request_headers() expects exactly 0 arguments, 1 given
bool(true)
