//! php-cgi (SAPI `cgi-fcgi`), in both of its modes.
//!
//! FastCGI: php-cgi's `fcgi_*` functions are hidden, so the request is ended
//! the protocol's way by hand: flush, then an empty `FCGI_STDOUT` and an
//! `FCGI_END_REQUEST` record on the request's socket, then the connection is
//! closed. That ends the response behind any front-end. It needs the socket and request id from php-cgi's
//! private request struct, so they are validated first, and a kept-alive
//! connection (which php-cgi would reuse) falls back to Content-Length
//! framing, with `X-Accel-Buffering: no` so nginx passes it on at once.
//!
//! Plain CGI: the web server reads our stdout to its end and then cleans up
//! the CGI process (Apache's mod_cgi kills it), so the rest of the script
//! runs in a detached child, out of the server's reach but within the
//! request's limits (see `detach`).

use super::detach::detach;
use super::framed::ContentLengthFraming;
use super::{end_output_and_flush, EndResponse, LaterOutput, Outcome, RequestSettings};
use crate::fastcgi::end_request_records;
use crate::ffi::{fastcgi_request, os};

pub struct FastCgi;

impl EndResponse for FastCgi {
    fn end_response(&self, request: &RequestSettings) -> Outcome {
        let Some((fd, id)) = trusted_request() else {
            return ContentLengthFraming { extra_headers: &["X-Accel-Buffering: no"], apache: false }
                .end_response(request);
        };
        end_output_and_flush();
        // A failed write means the front-end dropped the connection (its
        // client went): nobody waits, which php-fpm also calls success.
        os::write_all(fd, &end_request_records(id));
        // nginx (without fastcgi_keep_conn) waits for the connection to
        // close, not for the end record. A half-close would make php-cgi's
        // own end record, written at request end, raise SIGPIPE; so the
        // socket is swapped for /dev/null, after draining unread input so
        // the close is a clean FIN.
        os::drain_input(fd);
        os::replace_with_dev_null(fd);
        Outcome::Finished(LaterOutput::Unobserved)
    }
}

/// The request's socket and id, if php-cgi's request struct reads as a live
/// FastCGI request on a connection that is not kept alive.
fn trusted_request() -> Option<(i32, u16)> {
    let head = fastcgi_request::fastcgi_request_head()?;
    let listen_ok = head.listen_socket == 0 || os::is_listening_socket(head.listen_socket);
    let id_ok = (1..=i32::from(u16::MAX)).contains(&head.id);
    let plausible = listen_ok && id_ok && head.keep == 0 && head.fd > 2 && head.fd != head.listen_socket;
    (plausible && os::is_connected_socket(head.fd)).then(|| (head.fd, head.id as u16))
}

pub struct PlainCgi;

impl EndResponse for PlainCgi {
    fn end_response(&self, request: &RequestSettings) -> Outcome {
        end_output_and_flush();
        os::flush_c_stdio();
        // php-cgi is single-threaded even when built ZTS: detach refuses
        // only a process that has more than one thread.
        if let Err(reason) = detach(request.max_detached, 1) {
            // Ending the response here would let the server stop the rest
            // (mod_cgi kills the process when its output ends): the client
            // waits instead, as without the extension, and the work is done.
            return Outcome::NotEnded(format!("did not detach: {reason}; the rest runs in the request's own process"));
        }
        Outcome::Finished(LaterOutput::Nowhere)
    }
}
