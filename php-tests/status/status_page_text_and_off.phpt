--TEST--
fpm_status_page(): false and no output while fpm_compat.status is off; php-fpm's text page (a pool of one) when on
--FILE--
<?php
var_dump(fpm_status_page());
ini_set('fpm_compat.status', '1');
ob_start();
var_dump(fpm_status_page());
$page = ob_get_clean();
// php-fpm 8.4+ (and so the page on 8.4+) adds a last line, "memory peak:".
echo preg_replace(['/^memory peak: +\d+\n/m', '/^start time: +.*$/m', '/\d+/'], ['', 'start time:           T', 'N'], $page);
?>
--EXPECT--
bool(false)
pool:                 cli
process manager:      static
start time:           T
start since:          N
accepted conn:        N
listen queue:         N
max listen queue:     N
listen queue len:     N
idle processes:       N
active processes:     N
total processes:      N
max active processes: N
max children reached: N
slow requests:        N
bool(true)
