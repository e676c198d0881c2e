//! php-cgi's FastCGI request (main/fastcgi.c): the head of its private
//! `struct _fcgi_request`, which php-cgi keeps in `SG(server_context)`.
//! php-cgi's `fcgi_*` functions are hidden, so this is the only way to the
//! request's socket and id.
//!
//! Callers may rely on: nothing read here is trusted; validate every field
//! (a connected socket, a listening socket, an id in range) before use.

use std::ffi::c_int;

use super::engine::server_context;

/// The first five `int` fields of php-cgi's private `struct _fcgi_request`
/// (main/fastcgi.c: listen_socket, tcp, fd, id, keep; unchanged PHP 7.0–8.4,
/// and proven on every version `scripts/test-php` runs by
/// tests/e2e/test_fastcgi_request_struct.py).
/// Read only, and only trusted after validation by the caller.
#[derive(Debug, Clone, Copy)]
pub struct FastCgiRequestHead {
    pub listen_socket: c_int,
    pub fd: c_int,
    pub id: c_int,
    pub keep: c_int,
}

pub fn fastcgi_request_head() -> Option<FastCgiRequestHead> {
    let ctx = server_context().cast::<c_int>();
    if ctx.is_null() {
        return None;
    }
    // SAFETY: php-cgi in FastCGI mode keeps its fcgi_request in
    // SG(server_context); we read five ints from its start.
    unsafe {
        Some(FastCgiRequestHead { listen_socket: *ctx, fd: *ctx.add(2), id: *ctx.add(3), keep: *ctx.add(4) })
    }
}
