--TEST--
Bad INI values: a start-up warning naming the directive, the default kept; ini_set returns false
--EXTENSIONS--
fpm_compat
--FILE--
<?php
require __DIR__ . '/../include/child.inc';
$script = fpm_compat_script('<?php foreach (["cli_finish","after_finish","status","session_close","max_detached","functions"] as $d) echo $d, "=", ini_get("fpm_compat.$d"), "\n";');
[, $out] = fpm_compat_read_until_eof(fpm_compat_child($script, [
    'fpm_compat.cli_finish' => 'fork', 'fpm_compat.after_finish' => 'explode',
    'fpm_compat.status' => '2', 'fpm_compat.session_close' => 'maybe',
    'fpm_compat.functions' => 'strlen', 'fpm_compat.max_detached' => '-1', 'display_startup_errors' => '1', 'log_errors' => '0',
]));
unlink($script);
preg_match_all('/^.*(fpm_compat:.*)$/m', $out, $m);
echo implode("\n", array_unique($m[1])), "\n";
echo preg_replace('/^.*fpm_compat:.*\n/m', '', $out);

var_dump(ini_set('fpm_compat.cli_finish', 'nope'), ini_get('fpm_compat.cli_finish'));
var_dump(ini_set('fpm_compat.cli_finish', 'Close'), ini_get('fpm_compat.cli_finish'));
var_dump(ini_set('fpm_compat.functions', 'none'));
?>
--EXPECTF--
fpm_compat: invalid value 'strlen' for fpm_compat.functions; accepted values: all, none, or a comma-separated list of: fastcgi_finish_request, litespeed_finish_request, frankenphp_finish_request, fpm_get_status, apache_request_headers, getallheaders, fpm_status_page; using the default 'all' in Unknown on line 0
fpm_compat: invalid value 'fork' for fpm_compat.cli_finish; accepted values: keep, close, detach; using the default 'keep' in Unknown on line 0
fpm_compat: invalid value 'explode' for fpm_compat.after_finish; accepted values: discard, abort; using the default 'discard' in Unknown on line 0
fpm_compat: invalid value '2' for fpm_compat.status; accepted values: 0, 1 (or off, on); using the default '0' in Unknown on line 0
fpm_compat: invalid value 'maybe' for fpm_compat.session_close; accepted values: 0, 1 (or off, on); using the default '0' in Unknown on line 0
fpm_compat: invalid value '-1' for fpm_compat.max_detached; accepted values: a whole number from 1 to 65535, or 0 for no bound; using the default '32' in Unknown on line 0
cli_finish=keep
after_finish=discard
status=0
session_close=0
max_detached=32
functions=all

Warning: fpm_compat: invalid value 'nope' for fpm_compat.cli_finish; accepted values: keep, close, detach; the value is unchanged in %s on line %d
bool(false)
string(4) "keep"
string(4) "keep"
string(5) "Close"
bool(false)
