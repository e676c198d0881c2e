//! uWSGI's PHP plugin (pretty name `uWSGI/php`, whatever `--php-sapi-name`
//! calls the SAPI): the response is ended through uWSGI itself, as its own
//! `uwsgi_disconnect()` PHP function (uWSGI 2.0.27+) does it — the common
//! core, then `uwsgi_disconnect(req)`, the protocol's own close — with the
//! stored headers written first (uWSGI keeps them until the first body
//! write, so an empty or HEAD response would lose them), and every later
//! write dropped, by PHP and by uWSGI: the closed descriptor's number may
//! belong to a file the script opens next.
//!
//! `--http11-socket` keeps the connection for the client's next request:
//! there the response announces its length while the headers are unsent,
//! and the kept connection is half-closed after the response. If the
//! request does not validate, Content-Length framing as on any other SAPI.

use super::framed::ContentLengthFraming;
use super::{end_output_and_flush, end_output_and_send_headers, EndResponse, LaterOutput, Outcome, RequestSettings};
use crate::ffi::{engine, os, output, uwsgi};
use crate::uwsgi::{disconnect, plan, Disconnect, Plan};

pub struct Uwsgi;

/// Whether this PHP runs in uWSGI's PHP plugin.
pub fn recognised() -> bool {
    crate::uwsgi::is_uwsgi(engine::sapi_pretty_name().as_deref(), uwsgi::functions_present())
}

const FRAMING: ContentLengthFraming = ContentLengthFraming { extra_headers: &[], apache: false };

impl EndResponse for Uwsgi {
    fn end_response(&self, request: &RequestSettings) -> Outcome {
        let headers_sent = engine::headers_sent();
        let req = match engine::uwsgi_request() {
            Ok(req) => req,
            Err(refusal) => return unusable(refusal, plan(None, headers_sent), request),
        };
        let Disconnect { frame, half_close } = disconnect(req.close(), headers_sent);
        if frame {
            if let outcome @ Outcome::NotEnded(_) = FRAMING.end_response(request) {
                return outcome;
            }
        } else {
            end_output_and_send_headers();
        }
        // HEAD: php_header() said no body; nothing more may reach uWSGI's
        // body writer.
        if engine::headers_only() {
            output::output_disable();
        }
        req.write_headers();
        let fd = req.fd();
        let before = os::identity(fd);
        req.disconnect();
        // A connection kept for keep-alive is still this socket: half-closed,
        // a client reading to end-of-file is complete, and one that would
        // send its next request on it sees the end at once.
        if half_close && before.is_some() && os::identity(fd) == before {
            os::shutdown_write(fd);
        }
        Outcome::Finished(LaterOutput::Unobserved)
    }
}

/// The request did not validate: framing while the headers are unsent,
/// else the response carries on (logged, false).
fn unusable(refusal: uwsgi::Refusal, plan: Plan, request: &RequestSettings) -> Outcome {
    if plan == Plan::FrameOnly {
        engine::log_once(&format!("uWSGI's request cannot be used ({refusal}); framing responses by their length instead"));
        return FRAMING.end_response(request);
    }
    end_output_and_flush();
    Outcome::NotEnded(format!(
        "uWSGI's request cannot be used ({refusal}) and the headers were already sent, so the response carries on \
         until the script ends"
    ))
}
