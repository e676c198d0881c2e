//! fpm_compat: PHP-FPM's `fastcgi_finish_request()`, `fpm_get_status()` and
//! `getallheaders()` on every SAPI that lacks them.
//!
//! The decisions (what to register, settings, header naming, status shape)
//! are pure modules tested without PHP; `ffi` holds all the unsafe code, one
//! module per counterpart (the PHP engine, its output layer, PHP arrays,
//! `$_SERVER`, php-cgi's FastCGI request, Apache, the operating system);
//! everything PHP calls into is a thin `extern "C"` shell in `module` that
//! cannot let a Rust panic unwind into C.

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
