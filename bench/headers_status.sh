#!/usr/bin/env bash
# Benchmark: getallheaders() of fpm_compat against the Composer polyfill and
# against php-cgi's native C function (20 HTTP_* request headers), and the
# cost of one fpm_get_status() call. Medians of 15 runs of 20000 calls each.
# Not a timed test: figures depend on the machine; the ratios are the point.
#   usage: bench/headers_status.sh        (builds the release library first)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SO="$ROOT/target/release/libfpm_compat.so"
(cd "$ROOT" && cargo build --release --quiet)
BENCH="$ROOT/bench/headers_status.php"

# Debian's php.ini and conf.d stay in force for both binaries (opcache is
# off for the CLI and on for php-cgi, as installed); a user's setup.
cli=$(php -d "extension=$SO" -d fpm_compat.status=1 "$BENCH" cli)
mapfile -t env_vars < <(php "$BENCH" env)
cgi=$(env "${env_vars[@]}" BENCH_MODE=cgi php-cgi -q -f "$BENCH" 2>&1 | grep "^{" || true)
[ -n "$cgi" ] || { echo "php-cgi run failed" >&2; exit 1; }

printf '%s\n%s\n' "$cli" "$cgi" | php -r '
$rows = [];
while (($line = fgets(STDIN)) !== false) {
    $r = json_decode($line, true);
    $rows[$r["what"]] = $r["ns_per_call"];
}
foreach ($rows as $what => $ns) printf("%-46s %7.0f ns/call (median)\n", $what, $ns);
$ours = $rows["getallheaders (fpm_compat)"];
$changed = $rows["write + getallheaders (fpm_compat)"];
printf("\npolyfill / fpm_compat                 = %6.1fx  (same CLI process, same \$_SERVER, repeated calls)\n", $rows["getallheaders (Composer polyfill)"] / $ours);
printf("polyfill / fpm_compat, \$_SERVER written = %6.1fx  (a write before every call)\n", $rows["write + getallheaders (Composer polyfill)"] / $changed);
printf("php-cgi native / fpm_compat            = %6.2fx  (native measured under php-cgi, repeated calls)\n", $rows["getallheaders (php-cgi, native C)"] / $ours);
printf("php-cgi native / fpm_compat, written   = %6.2fx\n", $rows["getallheaders (php-cgi, native C)"] / $changed);
printf("fpm_get_status()                       = %6.2f us/call\n", $rows["fpm_get_status (fpm_compat)"] / 1000);
'
