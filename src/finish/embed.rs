//! The embed SAPI: the host program owns the connection, so finishing hands
//! it everything now. (An unknown SAPI gets Content-Length framing instead:
//! `framed`.)

use super::{end_output_and_flush, EndResponse, LaterOutput, Outcome, RequestSettings};

pub struct FlushOnly;

impl EndResponse for FlushOnly {
    fn end_response(&self, _request: &RequestSettings) -> Outcome {
        end_output_and_flush();
        Outcome::Finished(LaterOutput::Unobserved)
    }
}
