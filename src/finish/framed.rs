//! Content-Length framing, for SAPIs with no way to end a response early
//! (unknown SAPIs; mod_php and uWSGI when their request does not validate;
//! FastCGI where the connection is kept alive or the request does not
//! validate). Before the headers go out, every output buffer is ended and its
//! final bytes are taken; the response announces exactly that length and
//! `Connection: close`, so the client is complete once the bytes arrive,
//! whatever the script does next.

use super::{EndResponse, LaterOutput, Outcome, RequestSettings};
use crate::ffi::{engine, output};

pub struct ContentLengthFraming {
    /// Headers that keep a proxy in front from holding the response back.
    pub extra_headers: &'static [&'static str],
    /// Keep Apache's compression filters off: they would drop the length.
    pub apache: bool,
}

impl EndResponse for ContentLengthFraming {
    fn end_response(&self, _request: &RequestSettings) -> Outcome {
        if engine::headers_sent() {
            super::end_output_and_flush();
            return Outcome::NotEnded(
                "the response headers were already sent (the output outgrew output_buffering, or flush() was called), \
                 so the response length cannot be announced and the response cannot end early; the output so far was \
                 flushed. Raise output_buffering to cover the whole page"
                    .into(),
            );
        }
        if self.apache && (engine::headers_only() || !has_body(engine::response_code())) {
            // Apache's header filter drops the flush of a response without a
            // body, so its headers wait in Apache until the script ends.
            super::end_output_and_flush();
            return Outcome::NotEnded(
                "Apache holds the headers of a response without a body (HEAD, 1xx, 204, 304) until the script ends, \
                 so the response cannot end early"
                    .into(),
            );
        }
        let Some(body) = output::output_end_all_captured() else {
            super::end_output_and_flush();
            return Outcome::NotEnded("the output layer cannot be reached; the output so far was flushed".into());
        };
        if has_body(engine::response_code()) {
            engine::set_header(&format!("Content-Length: {}", body.len()));
        }
        engine::set_header("Connection: close");
        for header in self.extra_headers {
            engine::set_header(header);
        }
        if self.apache {
            engine::call_function("apache_setenv", &["no-gzip", "1"]);
        }
        // php_header() is false for a HEAD request: PHP sends no body then,
        // and neither may we (a keep-alive client would read it as the start
        // of its next response).
        if engine::send_headers() {
            output::output_write(&body);
        } else {
            output::output_disable();
        }
        engine::flush();
        Outcome::Finished(LaterOutput::Unobserved)
    }
}

/// 1xx, 204 and 304 responses have no body and must not announce a length.
fn has_body(status: i32) -> bool {
    !((100..200).contains(&status) || status == 204 || status == 304)
}
