//! Continuing a request in a forked child (plain CGI, cli `detach`) without
//! escaping its limits.
//!
//! php-fpm keeps a finished request's `max_execution_time` running and
//! counts it among its workers; a forked child would otherwise have neither:
//! interval timers are not inherited, and the web server no longer sees it.
//! So the child re-arms what was left of the parent's timers (the same
//! request's budget, as under php-fpm, not a fresh one), keeps
//! `memory_limit` (it is the same heap), and holds one of the user's
//! `fpm_compat.max_detached` slots for as long as it lives. With every slot
//! taken there is no fork: the request runs on in its own process, as it
//! would without the extension, and the caller logs why.
//!
//! `fork()` copies only the calling thread, so a process with more threads
//! than its SAPI's own (a threaded SAPI, or a CLI with ext-parallel) is never
//! forked: the other threads' locks and requests would be left half-done in
//! the child. A thread-safe (ZTS) build alone is no reason to refuse: php-cgi
//! and the CLI stay single-threaded when built ZTS.

use crate::ffi::detached::{slot_dir, NoSlot, Slot, Timers};
use crate::ffi::os;

/// Forks, unless the process has more than `own_threads` threads (the
/// request's, plus helpers its SAPI runs itself), the bound on live detached
/// children (`None`: no bound) is reached or forking fails: then `Err` says
/// why, and this process goes on. `Ok` returns in the child; the caller's
/// process has exited.
pub fn detach(max_detached: Option<u32>, own_threads: usize) -> Result<(), String> {
    match os::thread_count() {
        Some(n) if n <= own_threads => {}
        Some(n) => return Err(format!("this process has {n} threads, and fork() would copy only this one")),
        None => return Err("the number of this process's threads cannot be read (/proc/self/status)".into()),
    }
    let slot = match max_detached.map(|n| Slot::take(&slot_dir(), n)) {
        Some(Err(NoSlot::AllTaken(n))) => {
            return Err(format!("this user already has {n} detached children running (fpm_compat.max_detached={n})"))
        }
        Some(Err(NoSlot::Unusable(reason))) => {
            return Err(format!("the count of detached children cannot be kept ({reason})"))
        }
        Some(Ok(slot)) => Some(slot),
        None => None,
    };
    let timers = Timers::read();
    os::detach_into_child().map_err(|reason| format!("fork failed: {reason}"))?;
    timers.rearm();
    if let Some(slot) = slot {
        slot.hold_until_exit();
    }
    Ok(())
}
