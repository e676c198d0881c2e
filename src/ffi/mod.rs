//! The only unsafe code: one module per thing the extension talks to, each
//! wrapping that counterpart's C interface in safe functions. `finish`,
//! `status::live` and `module` call these and hold no raw pointers; the pure
//! modules never import them (scripts/checks/imports.sh).
//!
//! `os`, `detached`, `scoreboard`, `apache` and `uwsgi` use no PHP symbols (Apache's and uWSGI's
//! functions are looked up at run time), so their unit tests run in `cargo test`; the modules over PHP
//! resolve PHP's symbols only when PHP loads the library, so they are left
//! out of test builds.

pub mod apache;
#[cfg(test)]
mod c_layout;
pub mod detached;
pub mod os;
pub mod scoreboard;
pub mod uwsgi;

#[cfg(not(test))]
pub mod array;
#[cfg(not(test))]
pub mod engine;
#[cfg(not(test))]
pub mod fastcgi_request;
#[cfg(not(test))]
pub mod info;
#[cfg(not(test))]
pub mod output;
#[cfg(not(test))]
pub mod server_vars;
