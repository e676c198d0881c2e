--TEST--
getallheaders(), apache_request_headers() and fpm_get_status() take no arguments: ArgumentCountError
--EXTENSIONS--
fpm_compat
--FILE--
<?php
foreach (['getallheaders', 'apache_request_headers', 'fpm_get_status'] as $f) {
    try {
        $f('extra');
        echo "$f: no error\n";
    } catch (ArgumentCountError $e) {
        echo $e->getMessage(), "\n";
    }
}
?>
--EXPECT--
getallheaders() expects exactly 0 arguments, 1 given
apache_request_headers() expects exactly 0 arguments, 1 given
fpm_get_status() expects exactly 0 arguments, 1 given
