//! cli and phpdbg: no client connection, so `fpm_compat.cli_finish` says
//! what releasing the caller means.
//!
//! `keep` must touch nothing: frameworks call the function whenever it
//! exists, and test runners capture stdout with output buffers. `close` and
//! `detach` release whoever reads our stdout (a pipe, a process manager).

use super::detach::detach;
use super::{end_output_and_flush, EndResponse, LaterOutput, Outcome, RequestSettings};
use crate::ffi::{engine, os};
use crate::settings::CliFinish;

pub struct Cli;

impl EndResponse for Cli {
    fn end_response(&self, request: &RequestSettings) -> Outcome {
        match request.cli_finish {
            CliFinish::Keep => Outcome::Kept,
            CliFinish::Close => {
                flush_everything();
                os::stdio_to_dev_null(false);
                Outcome::Finished(LaterOutput::Nowhere)
            }
            CliFinish::Detach => {
                flush_everything();
                // Refused where the process has more threads than its own
                // (ext-parallel): fork() would copy only this one. phpdbg
                // runs one of its own, its watchpoint thread (userfaultfd),
                // which holds no PHP state: the child runs without it, as
                // before this check (watchpoints are a debugger's, not a
                // script's).
                let own_threads = if engine::sapi_name() == "phpdbg" { 2 } else { 1 };
                if let Err(reason) = detach(request.max_detached, own_threads) {
                    engine::log_once(&format!("fpm_compat.cli_finish=detach did not detach: {reason}; closing stdout instead"));
                } else {
                    return Outcome::Finished(LaterOutput::Nowhere);
                }
                os::stdio_to_dev_null(false);
                Outcome::Finished(LaterOutput::Nowhere)
            }
        }
    }
}

fn flush_everything() {
    // The reader may have gone already (EPIPE): releasing it is done then,
    // and the script must run on.
    os::with_sigpipe_ignored(|| {
        end_output_and_flush();
        os::flush_c_stdio();
    });
}
