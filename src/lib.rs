//! fpm_compat: PHP-FPM's `fastcgi_finish_request()`, `fpm_get_status()` and
//! `getallheaders()` on every SAPI that lacks them.
//!
//! The decisions (what to register, settings, header naming, status shape)
//! are pure modules tested without PHP; `php` is the one module of C
//! declarations; everything PHP calls into is a thin `extern "C"` shell that
//! cannot let a Rust panic unwind into C.

pub mod apache;
pub mod fastcgi;
pub mod headers;
pub mod registry;
pub mod settings;
pub mod status;

#[cfg(test)]
mod fuzz;

#[cfg(not(test))]
mod finish;
#[cfg(not(test))]
mod module;
#[cfg(not(test))]
mod os;
#[cfg(not(test))]
mod php;
