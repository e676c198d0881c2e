//! fpm_compat: PHP-FPM's `fastcgi_finish_request()`, `fpm_get_status()` and
//! `getallheaders()` on every SAPI that lacks them.
//!
//! The decisions (what to register, settings, header naming, the FastCGI
//! end records, uWSGI's plan, the scoreboard protocol, the status shape and
//! page) are pure modules tested without PHP; `ffi` holds all the unsafe
//! code, one module per counterpart (the PHP engine, its output layer, PHP
//! arrays, `$_SERVER`, php-cgi's FastCGI request, Apache, uWSGI, the pool's
//! shared memory, the operating system); `finish` ends a response and
//! `status::live` gathers the pool's figures, both over `ffi`; everything
//! PHP calls into is a thin `extern "C"` shell in `module` that cannot let a
//! Rust panic unwind into C. ARCHITECTURE.md draws the imports between them.

pub mod fastcgi;
pub mod ffi;
pub mod headers;
pub mod registry;
pub mod scoreboard;
pub mod settings;
pub mod status;
pub mod uwsgi;

#[cfg(test)]
mod fuzz;

#[cfg(not(test))]
mod finish;
#[cfg(not(test))]
mod module;
