--TEST--
fpm_compat.max_detached: beyond the bound the script runs on in its own process with stdout closed (the caller waits for its exit), logged once; a slot frees when its child ends, however it ends; 0 is no bound
--EXTENSIONS--
fpm_compat
posix
--FILE--
<?php
require __DIR__ . '/../include/child.inc';
// A private temporary directory: the slot file is per user there, and other
// tests (or servers) of this user must not count.
$tmp = sys_get_temp_dir() . '/fpmc-slots-' . getmypid();
mkdir($tmp);
putenv("TMPDIR=$tmp");
$log = "$tmp/log";
$script = fpm_compat_script(<<<PHP
<?php
echo "response\\n";
fastcgi_finish_request();
fastcgi_finish_request();
file_put_contents('$log', getmypid() . "\\n", FILE_APPEND);
usleep((int) (\$argv[1] * 1e6));
PHP);
function run(string $script, string $max, float $work): array {
    $argv = fpm_compat_child($script, ['fpm_compat.cli_finish' => 'detach', 'fpm_compat.max_detached' => $max]);
    $argv[] = (string) $work;
    [$eof, $out, $status, $total] = fpm_compat_read_until_eof($argv);
    return [$out, $status, $total < 0.5 ? 'released at once' : 'waited for the work'];
}
echo "max_detached=2:\n";
print_r([run($script, '2', 2.0), run($script, '2', 2.0), run($script, '2', 1.0)]);
fpm_compat_wait_for_lines($log, 3);
usleep(2200000); // the two detached children end
echo "after they ended:\n";
print_r(run($script, '2', 0.2));
echo "max_detached=0, four at once:\n";
foreach (range(1, 4) as $i) echo run($script, '0', 1.0)[2], "\n";
echo "slot file: ", substr(sprintf('%o', fileperms("$tmp/fpm_compat-detached." . posix_geteuid())), -3), "\n";
fpm_compat_wait_for_lines($log, 8);
sleep(1);
array_map('unlink', glob("$tmp/*")); rmdir($tmp); unlink($script);
?>
--EXPECTF--
max_detached=2:
Array
(
    [0] => Array
        (
            [0] => response

            [1] => 0
            [2] => released at once
        )

    [1] => Array
        (
            [0] => response

            [1] => 0
            [2] => released at once
        )

    [2] => Array
        (
            [0] => response
fpm_compat: fpm_compat.cli_finish=detach did not detach: this user already has 2 detached children running (fpm_compat.max_detached=2); closing stdout instead

            [1] => 0
            [2] => waited for the work
        )

)
after they ended:
Array
(
    [0] => response

    [1] => 0
    [2] => released at once
)
max_detached=0, four at once:
released at once
released at once
released at once
released at once
slot file: 600
