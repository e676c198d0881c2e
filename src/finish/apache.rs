//! Apache mod_php (SAPI `apache2handler`): the response is ended the way
//! Apache ends it when a handler returns — an end-of-stream down the
//! request's output filters — so it works whatever was flushed before, for
//! any size, HEAD, 204 and 304, compressed or over TLS. `Connection: close`
//! goes out with headers still unsent: a keep-alive client's next request
//! would otherwise wait on this connection for the script to end.
//!
//! If mod_php's request record does not validate, Content-Length framing
//! still works while the headers are unsent; after that the response cannot
//! end early.

use std::cell::Cell;

use super::framed::ContentLengthFraming;
use super::{end_output_and_flush, end_output_and_send_headers, EndResponse, LaterOutput, Outcome, RequestSettings};
use crate::ffi::{engine, os};

pub struct ModPhp;

thread_local! {
    /// The status the client got, while the finished request runs on.
    static SENT_STATUS: Cell<Option<i32>> = const { Cell::new(None) };
}

impl EndResponse for ModPhp {
    fn end_response(&self, request: &RequestSettings) -> Outcome {
        let r = match engine::apache_request() {
            Ok(r) => r,
            Err(refusal) if !engine::headers_sent() => {
                engine::log_once(&format!("mod_php's request cannot be used ({refusal}); framing responses by their length instead"));
                return ContentLengthFraming { extra_headers: &[], apache: true }.end_response(request);
            }
            Err(refusal) => {
                end_output_and_flush();
                return Outcome::NotEnded(format!(
                    "mod_php's request cannot be used ({refusal}) and the headers were already sent, so the response \
                     carries on until the script ends"
                ));
            }
        };
        if !engine::headers_sent() {
            engine::set_header("Connection: close");
        }
        end_output_and_send_headers();
        // A client that has gone took what it could; as under php-fpm the
        // call still succeeds and the script runs on.
        r.end_response();
        if let Some(fd) = r.end_connection() {
            os::shutdown_write(fd);
        }
        SENT_STATUS.set(Some(r.status()));
        Outcome::Finished(LaterOutput::Unobserved)
    }
}

/// At request end: the access log shows the status the client got, even if
/// the script set another later (mod_php's flush copies PHP's response code
/// into Apache's request).
pub fn request_ending() {
    if let Some(status) = SENT_STATUS.take() {
        engine::apache_restore_status(status);
    }
}
