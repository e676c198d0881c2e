//! `fastcgi_finish_request()` and its aliases: send the complete response now,
//! keep running.
//!
//! The common core is FPM's: end every output buffer (their callbacks run once
//! with the FINAL flag), send the headers, then end the response the SAPI's
//! way. Each SAPI family lives in its own module behind [`EndResponse`].

mod apache;
mod cgi;
mod cli;
mod cli_server;
mod detach;
mod embed;
mod framed;
mod uwsgi;

use std::cell::Cell;

use crate::ffi::{engine, output, server_vars};
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
    pub session_close: bool,
    /// `None`: no bound on live detached children.
    pub max_detached: Option<u32>,
}

impl RequestSettings {
    pub fn current() -> Self {
        let read = |d: Directive| engine::ini_value(d.name()).unwrap_or_else(|| d.default_value().to_string());
        RequestSettings {
            cli_finish: settings::parse_cli_finish(&read(Directive::CliFinish)).unwrap_or(CliFinish::Keep),
            after_finish: settings::parse_after_finish(&read(Directive::AfterFinish)).unwrap_or(AfterFinish::Discard),
            session_close: settings::parse_switch(&read(Directive::SessionClose)).unwrap_or(false),
            max_detached: settings::parse_max_detached(&read(Directive::MaxDetached))
                .unwrap_or_else(|| settings::parse_max_detached(Directive::MaxDetached.default_value()).flatten()),
        }
    }
}

/// Where output written after finishing would go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaterOutput {
    /// Into /dev/null: nobody reads it (cli close/detach, plain CGI).
    Nowhere,
    /// Into a connection whose writes now fail, which PHP itself turns into
    /// an aborted connection (php -S, its socket half-closed).
    FailsOnItsOwn,
    /// Into something that still accepts bytes (Apache's connection, the
    /// /dev/null behind a FastCGI request ended by hand, the embed host).
    Unobserved,
}

/// What became of the response.
#[derive(Debug)]
pub enum Outcome {
    /// The client (or caller) has its complete response.
    Finished(LaterOutput),
    /// Nothing was ended and nothing touched (`fpm_compat.cli_finish=keep`).
    Kept,
    /// The response could not be ended early, for this reason (logged, and
    /// shown by `php --ri`; never raised: frameworks turn warnings into
    /// exceptions, which would append an error page to a sent response).
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
    // By the plugin itself, first: `--php-sapi-name` may give uWSGI's SAPI
    // any name, even another SAPI's.
    if uwsgi::recognised() {
        return Box::new(uwsgi::Uwsgi);
    }
    match sapi {
        "cli" | "phpdbg" => Box::new(cli::Cli),
        "embed" => Box::new(embed::FlushOnly),
        "cli-server" => Box::new(cli_server::CliServer),
        "cgi-fcgi" if server_vars::server_var("FCGI_ROLE").is_some() => Box::new(cgi::FastCgi),
        "cgi-fcgi" => Box::new(cgi::PlainCgi),
        "apache2handler" => Box::new(apache::ModPhp),
        _ => Box::new(framed::ContentLengthFraming { extra_headers: &[], apache: false }),
    }
}

/// Finishes the request on this SAPI; the bool is what the PHP function returns.
pub fn finish_request(sapi: &str) -> bool {
    let request = RequestSettings::current();
    let backend = backend(sapi);
    if request.session_close {
        close_session();
    }
    // A client that hung up before this call must not end the script here.
    let (outcome, client_gone) = engine::without_user_abort(|| backend.end_response(&request));
    match outcome {
        Outcome::Finished(later) => {
            after_finish(&request, later);
            true
        }
        Outcome::Kept => true,
        // As php-fpm: a client that hung up before the call does not make
        // it fail; nobody is left to wait for the response.
        Outcome::NotEnded(_) if client_gone => {
            output::output_disable();
            true
        }
        Outcome::NotEnded(reason) => {
            not_ended(&reason);
            false
        }
    }
}

/// The last reason a response could not be ended early, in this process.
static LAST_REFUSAL: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

fn not_ended(reason: &str) {
    if let Ok(mut last) = LAST_REFUSAL.lock() {
        *last = Some(reason.to_string());
    }
    engine::log_once(&format!("fastcgi_finish_request() returned false: {reason}"));
}

/// For `php --ri`: why the last call in this process returned false.
pub fn last_refusal() -> Option<String> {
    LAST_REFUSAL.lock().ok().and_then(|last| last.clone())
}

/// Called at the end of every request.
pub fn request_ending() {
    apache::request_ending();
}

fn after_finish(request: &RequestSettings, later: LaterOutput) {
    match (request.after_finish, later) {
        (AfterFinish::Abort, LaterOutput::FailsOnItsOwn) => {}
        (AfterFinish::Abort, LaterOutput::Unobserved) if output::start_abort_tripwire() => {}
        _ => output::output_disable(),
    }
}

/// `fpm_compat.session_close=1`: write and close an active session, so its
/// lock does not hold the user's next request for the slow work's duration.
fn close_session() {
    const PHP_SESSION_ACTIVE: i64 = 2;
    let active = engine::call_function("session_status", &[]).and_then(|z| z.long()) == Some(PHP_SESSION_ACTIVE);
    if active {
        engine::call_function("session_write_close", &[]);
    }
}

/// The common core: every output buffer ended and flushed into the SAPI, the
/// headers sent. Runs user output callbacks, which may not return.
pub fn end_output_and_send_headers() {
    output::output_end_all();
    engine::send_headers();
}

/// The common core, then everything pushed to the client: where the
/// response carries on as it is, or ends by what the SAPI does next.
pub fn end_output_and_flush() {
    end_output_and_send_headers();
    engine::flush();
}
