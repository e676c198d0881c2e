//! `fastcgi_finish_request()` and its aliases: send the complete response now,
//! keep running.
//!
//! The common core is FPM's: end every output buffer (their callbacks run once
//! with the FINAL flag), send the headers, then end the response the SAPI's
//! way. Each SAPI family lives in its own module behind [`EndResponse`].

mod cli;
mod embed;

use std::cell::Cell;

use crate::php;
use crate::settings::{self, AfterFinish, CliFinish, Directive};

/// How one SAPI family ends the response early.
pub trait EndResponse {
    fn end_response(&self, request: &RequestSettings) -> Outcome;
}

/// The settings in force for this request, read when finishing.
#[derive(Debug, Clone, Copy)]
pub struct RequestSettings {
    pub cli_finish: CliFinish,
    pub after_finish: AfterFinish,
}

impl RequestSettings {
    pub fn current() -> Self {
        let read = |d: Directive| php::ini_value(d.name()).unwrap_or_else(|| d.default_value().to_string());
        RequestSettings {
            cli_finish: settings::parse_cli_finish(&read(Directive::CliFinish)).unwrap_or(CliFinish::Keep),
            after_finish: settings::parse_after_finish(&read(Directive::AfterFinish)).unwrap_or(AfterFinish::Discard),
        }
    }
}

/// What became of the response.
#[derive(Debug)]
pub enum Outcome {
    /// The client (or caller) has its complete response.
    Finished,
    /// Nothing was ended and nothing touched (`fpm_compat.cli_finish=keep`).
    Kept,
    /// The response could not be ended early; the reason is raised as a warning.
    NotEnded(String),
}

thread_local! {
    // Per request: a request runs on one thread from start to end, in ZTS too.
    static FINISHED: Cell<bool> = const { Cell::new(false) };
}

/// Called at the start of every request.
pub fn request_started() {
    FINISHED.with(|f| f.set(false));
}

/// Whether this request has been finished (FPM's "Finishing" state).
pub fn finished() -> bool {
    FINISHED.with(Cell::get)
}

/// Marks the request finished; false if it already was (a second call
/// returns false, as FPM's does).
pub fn claim() -> bool {
    FINISHED.with(|f| !f.replace(true))
}

fn backend(sapi: &str) -> Box<dyn EndResponse> {
    match sapi {
        "cli" | "phpdbg" => Box::new(cli::Cli),
        _ => Box::new(embed::FlushOnly),
    }
}

/// Finishes the request on this SAPI; the bool is what the PHP function returns.
pub fn finish_request(sapi: &str) -> bool {
    let request = RequestSettings::current();
    match backend(sapi).end_response(&request) {
        Outcome::Finished => {
            after_finish(&request);
            true
        }
        Outcome::Kept => true,
        Outcome::NotEnded(reason) => {
            php::warn(&format!("fastcgi_finish_request(): {reason}"), false);
            false
        }
    }
}

fn after_finish(request: &RequestSettings) {
    if request.after_finish == AfterFinish::Discard {
        php::output_disable();
    }
}

/// The common core: every output buffer ended and flushed into the SAPI, the
/// headers sent. Runs user output callbacks, which may not return.
pub fn end_output_and_send_headers() {
    php::output_end_all();
    php::send_headers();
}
