<?php

/**
 * IDE and static-analysis stubs for the fpm_compat extension.
 *
 * fpm_compat registers each function only where the SAPI lacks it (and
 * `fpm_compat.functions` allows it); where the SAPI has its own, that one is
 * in force and these signatures are the same as PHP's.
 *
 * Settings (php.ini), each with its default. A bad value is never fatal: a
 * warning names the directive and the accepted values, and the default stays.
 *
 * fpm_compat.functions = all
 *     Which functions the extension may register: all, none (or empty), or a
 *     comma list of the function names below. Read once, when the extension
 *     loads (php.ini, -d, server config; not ini_set()). Whatever it says, a
 *     name the SAPI has itself is left to the SAPI: fastcgi_finish_request()
 *     on php-fpm, getallheaders() and apache_request_headers() on Apache
 *     mod_php, php-cgi and php -S, litespeed_finish_request() on LiteSpeed.
 *
 * fpm_compat.cli_finish = keep
 *     What fastcgi_finish_request() does on cli and phpdbg (the only SAPIs
 *     that read it): keep (returns true, touches nothing: test runners and
 *     worker relays capture stdout), close (flushes, then stdout and stderr
 *     go to /dev/null, so a pipe reader sees EOF while the script runs on),
 *     detach (flushes and forks: the caller sees exit status 0 at once, a
 *     child in a new session runs the rest; acts as close on ZTS builds).
 *
 * fpm_compat.after_finish = discard
 *     Output written after the finish, on every SAPI where the extension
 *     does the finish: discard (dropped silently, connection_status() stays
 *     0, as on LiteSpeed and FrankenPHP) or abort (as php-fpm: output that
 *     reaches the gone client marks the connection aborted and, unless
 *     ignore_user_abort(true), ends the script; shutdown functions still run).
 *
 * fpm_compat.status = 0
 *     0: fpm_get_status() returns false, as it does outside php-fpm (some code
 *     detects php-fpm with is_array(fpm_get_status())). 1: it returns
 *     php-fpm's array. Where the server forks its workers after PHP starts
 *     (Apache prefork mod_php, php -S, php-cgi with PHP_FCGI_CHILDREN) and
 *     the setting is 1 at start-up (php.ini, -d, the server's config), it
 *     describes the whole pool from a scoreboard in shared memory, as
 *     php-fpm's does; elsewhere (or switched on only by ini_set()) this
 *     process as a pool of one. With 0 at start-up nothing is recorded.
 *     Also enables fpm_status_page(). Never touches php-fpm's own
 *     fpm_get_status().
 *
 * fpm_compat.session_close = 0
 *     1: the finish writes and closes an active session first, releasing its
 *     lock for the client's next request (php-fpm does not; 0 leaves it to
 *     session_write_close()). Every SAPI where the extension does the finish.
 *
 * fpm_compat.max_detached = 32
 *     How many detached children (the rest of a plain-CGI request, or of a
 *     cli script with cli_finish=detach) one user may have alive at once; 0
 *     is no bound. Beyond it there is no fork: the script runs on in its own
 *     process, and the PHP error log says so once. A detached child keeps
 *     what was left of the request's max_execution_time and its memory_limit.
 *
 * @generate-function-entries
 */

/**
 * Sends the complete response to the client now; the script runs on.
 *
 * - php -S, Apache mod_php, php-cgi (FastCGI and CGI): the client gets its
 *   complete response at once (see README, per-SAPI table).
 * - cli, phpdbg: by fpm_compat.cli_finish: keep (returns true, touches
 *   nothing), close (stdout/stderr to /dev/null: a pipe reader sees EOF),
 *   detach (the caller gets exit status 0 now, a child process runs on).
 * - embed: output buffers flushed to the host program.
 *
 * Never raises a PHP error. Returns false on a second call, or where the
 * response could not be ended early (the error log says why, once per
 * process; php --ri fpm_compat shows the last reason).
 */
function fastcgi_finish_request(): bool {}

/** Alias of fastcgi_finish_request() (LiteSpeed's name). */
function litespeed_finish_request(): bool {}

/** Alias of fastcgi_finish_request() (FrankenPHP's name). */
function frankenphp_finish_request(): bool {}

/**
 * PHP-FPM's pool status: every worker of the server's pool (Apache prefork,
 * php -S workers, php-cgi children) where the scoreboard is on, else this
 * process as a pool of one. Returns false unless fpm_compat.status=1.
 * It shows other workers' URIs and query strings: do not expose it.
 */
function fpm_get_status(): array|false {}

/**
 * Writes php-fpm's status page (pm.status_path) for this request, in the
 * format its query string asks for as php-fpm reads it: text, ?json, ?xml,
 * ?html, ?openmetrics, with ?full for every worker; with php-fpm's
 * Content-Type, Expires and Cache-Control headers (no body for HEAD).
 * Returns false, writing nothing, unless fpm_compat.status=1. Not
 * registered under php-fpm (its own pm.status_path serves the page).
 * The page shows other workers' URIs and query strings: protect it (allow
 * only your monitoring's addresses), as php-fpm's documentation says of
 * pm.status_path.
 */
function fpm_status_page(): bool {}

/**
 * The request headers, read from $_SERVER as the Composer polyfill
 * ralouphie/getallheaders does (cli, embed, phpdbg only: web SAPIs have
 * their own).
 */
function apache_request_headers(): array {}

/** Alias of apache_request_headers(). */
function getallheaders(): array {}
