//! The embed SAPI, and any SAPI we know no better way for: the host program
//! owns the connection, so finishing hands it everything now.

use super::{end_output_and_flush, EndResponse, LaterOutput, Outcome, RequestSettings};

pub struct FlushOnly;

impl EndResponse for FlushOnly {
    fn end_response(&self, _request: &RequestSettings) -> Outcome {
        end_output_and_flush();
        Outcome::Finished(LaterOutput::Unobserved)
    }
}
