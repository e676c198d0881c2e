<?php

/**
 * IDE and static-analysis stubs for the fpm_compat extension.
 *
 * fpm_compat registers each function only where the SAPI lacks it (and
 * `fpm_compat.functions` allows it); where the SAPI has its own, that one is
 * in force and these signatures are the same as PHP's.
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
 * Returns false on a second call, or where the response could not be ended
 * early (a warning says why).
 */
function fastcgi_finish_request(): bool {}

/** Alias of fastcgi_finish_request() (LiteSpeed's name). */
function litespeed_finish_request(): bool {}

/** Alias of fastcgi_finish_request() (FrankenPHP's name). */
function frankenphp_finish_request(): bool {}

/**
 * PHP-FPM's pool status, emulated for this process as a pool of one.
 * Returns false unless fpm_compat.status=1.
 */
function fpm_get_status(): array|false {}

/**
 * The request headers, read from $_SERVER as the Composer polyfill
 * ralouphie/getallheaders does (cli, embed, phpdbg only: web SAPIs have
 * their own).
 */
function apache_request_headers(): array {}

/** Alias of apache_request_headers(). */
function getallheaders(): array {}
