--TEST--
php --ri fpm_compat: version, SAPI, each shim's state and the INI table
--EXTENSIONS--
fpm_compat
--FILE--
<?php
require __DIR__ . '/../include/child.inc';
$argv = [PHP_BINARY, '-d', 'extension=' . fpm_compat_so(), '-d', 'fpm_compat.functions=getallheaders,fpm_get_status', '--ri', 'fpm_compat'];
[, $out, $status] = fpm_compat_read_until_eof($argv);
// The build's own thread safety, whichever it is.
echo str_replace(PHP_ZTS ? 'enabled (ZTS)' : 'disabled (NTS)', 'as PHP_ZTS says', $out);
var_dump($status);
?>
--EXPECTF--

fpm_compat

fpm_compat => enabled
Version => %d.%d.%d
SAPI => cli
fastcgi_finish_request() => off (fpm_compat.functions)
litespeed_finish_request() => off (fpm_compat.functions)
frankenphp_finish_request() => off (fpm_compat.functions)
fpm_get_status() => provided by fpm_compat
apache_request_headers() => off (fpm_compat.functions)
getallheaders() => provided by fpm_compat
fpm_status_page() => off (fpm_compat.functions)
Last finish that returned false => none in this process
Thread safety => as PHP_ZTS says

Directive => Local Value => Master Value
fpm_compat.functions => getallheaders,fpm_get_status => getallheaders,fpm_get_status
fpm_compat.cli_finish => keep => keep
fpm_compat.after_finish => discard => discard
fpm_compat.status => 0 => 0
fpm_compat.session_close => 0 => 0
fpm_compat.max_detached => 32 => 32
int(0)
