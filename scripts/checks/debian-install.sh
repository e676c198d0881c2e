#!/usr/bin/env bash
# The Debian way, for real: fpm_compat.so in the extension directory,
# packaging/fpm_compat.ini in mods-available, `phpenmod fpm_compat`; then the
# CLI, a private php-fpm and a private Apache mod_php must load it through
# their conf.d. The trap puts the system back as it was (phpdismod -p, remove
# both files): the other tests load the extension themselves, with Debian's
# conf.d in their scan path, and a leftover enable would load it twice.
source "$(dirname "$0")/../lib.sh"
ver=8.2
ext_dir=$(php-config --extension-dir)
mods=/etc/php/$ver/mods-available
# Every trace phpenmod and this check leave; all must be gone afterwards.
traces() { find "$ext_dir" /etc/php/$ver /var/lib/php/modules/$ver -name '*fpm_compat*' 2>/dev/null; }
if [ -n "$(traces)" ]; then
    echo "fpm_compat is already installed system-wide (below); not touching it:"; traces; exit 1
fi
[ -f "$SO" ] || build
unset PHP_INI_SCAN_DIR # Debian's own scan directories only, as for a user

work=$(mktemp -d) && chmod 755 "$work" # Apache's workers (www-data) read it
pids=()
restore() {
    local pid sapi
    for pid in "${pids[@]}"; do stop_pid "$pid"; done
    # One SAPI at a time: phpdismod -p purges the state of the last SAPI only.
    for sapi in $(phpquery -v "$ver" -S); do phpdismod -v "$ver" -s "$sapi" -p fpm_compat || true; done
    rm -f "$ext_dir/fpm_compat.so" "$mods/fpm_compat.ini"
    rm -rf "$work"
    if [ -n "$(traces)" ]; then echo "NOT RESTORED:"; traces; exit 1; fi
}
trap restore EXIT

install -m 644 "$SO" "$ext_dir/fpm_compat.so"
install -m 644 "$ROOT/packaging/fpm_compat.ini" "$mods/fpm_compat.ini"
phpenmod -v "$ver" fpm_compat

# Each SAPI reports itself, the version, and the scanned ini that loaded it.
mkdir "$work/www"
cat >"$work/www/probe.php" <<'PHP'
<?php
$ini = preg_grep('/fpm_compat/', array_map('trim', explode(',', (string) php_ini_scanned_files())));
echo PHP_SAPI, ' ', phpversion('fpm_compat') ?: 'not-loaded', ' ', implode(' ', $ini) ?: 'no-ini', "\n";
PHP
expect() { # sapi output
    local want="$1 $(cargo_version) /etc/php/$ver/$2/conf.d/20-fpm_compat.ini"
    if [ "$3" = "$want" ]; then echo "ok: $3"; else echo "FAIL: got '$3', want '$want'"; return 1; fi
}

# CLI; stderr too: a second load or a bad directive would warn there.
expect cli cli "$(php "$work/www/probe.php" 2>&1)"

# php-fpm: one static pool on a private port, queried over FastCGI.
port=$(free_port)
cat >"$work/php-fpm.conf" <<CONF
[global]
pid = $work/php-fpm.pid
error_log = $work/php-fpm.log
[probe]
listen = 127.0.0.1:$port
pm = static
pm.max_children = 1
CONF
setsid php-fpm$ver -F -R -y "$work/php-fpm.conf" >"$work/php-fpm.out" 2>&1 &
pids+=($!)
wait_port "$port" "${pids[-1]}"
body=$(SCRIPT_FILENAME="$work/www/probe.php" REQUEST_METHOD=GET \
    cgi-fcgi -bind -connect "127.0.0.1:$port" | sed '1,/^\r\?$/d')
expect fpm-fcgi fpm "$body"

# Apache with mod_php (prefork), its own config, Debian's apache2 php.ini.
port=$(free_port)
cat >"$work/httpd.conf" <<CONF
ServerRoot $work
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile $work/httpd.pid
ErrorLog $work/apache-error.log
User www-data
Group www-data
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule php_module /usr/lib/apache2/modules/libphp$ver.so
StartServers 1
DocumentRoot $work/www
<Directory $work/www>
    Require all granted
</Directory>
<FilesMatch "\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
CONF
APACHE_RUN_DIR=$work APACHE_LOCK_DIR=$work APACHE_LOG_DIR=$work \
    setsid /usr/sbin/apache2 -f "$work/httpd.conf" -DFOREGROUND >"$work/apache.out" 2>&1 &
pids+=($!)
wait_port "$port" "${pids[-1]}"
expect apache2handler apache2 "$(curl -sS "http://127.0.0.1:$port/probe.php")"
