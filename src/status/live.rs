//! The figures behind `fpm_get_status()`, gathered while requests run.
//!
//! Process-wide figures (requests served, the last request's CPU and memory)
//! are shared by all threads: Apache's threaded MPMs and FrankenPHP run
//! requests on many threads of one process (ZTS). What belongs to the running request (when it
//! started, the CPU time used so far) is thread-local: a request runs on one
//! thread from RINIT to RSHUTDOWN.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::{FpmLayout, LastRequest, ProcessStatus, State};
use crate::ffi::{engine, os};
use crate::finish;

/// The PHP 8 minor version built against (a module only loads into that
/// one), as far as php-fpm's status shape tells versions apart.
const PHP_MINOR: u32 = if ext_php_rs::PHP_86 {
    6
} else if ext_php_rs::PHP_85 {
    5
} else if ext_php_rs::PHP_84 {
    4
} else {
    2
};

static REQUESTS: AtomicU64 = AtomicU64::new(0);
/// The highest peak memory of the requests this process completed: php-fpm
/// 8.4+ reports the pool's as `memory-peak`.
static PEAK: AtomicU64 = AtomicU64::new(0);
/// The last request this process completed (held only to copy it in or out).
static LAST: Mutex<Option<LastRequest>> = Mutex::new(None);
/// The start time of the process with that pid: a forked child (Apache
/// prefork, `php -S` workers) is a new process with its own start.
static START: Mutex<Option<(i32, i64)>> = Mutex::new(None);

#[derive(Clone, Copy)]
struct RequestClock {
    started: Instant,
    /// CPU time at the start, taken only while `fpm_compat.status` is on:
    /// two getrusage() calls per request are a measurable share of a fast
    /// request, and with status off nobody can read the figure.
    cpu_us: Option<u64>,
}

thread_local! {
    static CURRENT: Cell<Option<RequestClock>> = const { Cell::new(None) };
}

/// RINIT: one more request accepted; its clocks start.
pub fn request_started() {
    REQUESTS.fetch_add(1, Ordering::Relaxed);
    let cpu_us = status_enabled().then(os::cpu_time_us);
    CURRENT.with(|c| c.set(Some(RequestClock { started: Instant::now(), cpu_us })));
}

/// RSHUTDOWN: what the request cost, as FPM records it when a request ends.
pub fn request_ended() {
    let Some(RequestClock { started, cpu_us: Some(cpu_at_start) }) = CURRENT.with(Cell::take) else { return };
    let wall_us = micros(started.elapsed().as_micros());
    let cpu_us = os::cpu_time_us().saturating_sub(cpu_at_start);
    let last = LastRequest { cpu_percent: super::cpu_percent(cpu_us, wall_us), memory: engine::memory_peak_usage_real() };
    PEAK.fetch_max(last.memory, Ordering::Relaxed);
    *lock(&LAST) = Some(last);
}

/// A poisoned lock only means a panic elsewhere while it was held; the plain
/// data inside is still whole.
/// `fpm_compat.status` is on in this request.
pub fn status_enabled() -> bool {
    use crate::settings::{parse_switch, Directive};
    engine::ini_value(Directive::Status.name()).and_then(|v| parse_switch(&v)) == Some(true)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// This process, now.
pub fn snapshot(pool: &str) -> ProcessStatus {
    let last = *lock(&LAST);
    let duration = CURRENT.with(Cell::get).map_or(0, |c| micros(c.started.elapsed().as_micros()));
    ProcessStatus {
        pool: pool.to_string(),
        pid: i64::from(std::process::id()),
        start_epoch: process_start_epoch(),
        now_epoch: now_epoch(),
        requests: REQUESTS.load(Ordering::Relaxed),
        state: if finish::finished() { State::Finishing } else { State::Running },
        request_duration_us: duration,
        request: engine::request_info(),
        last,
        memory_peak: PEAK.load(Ordering::Relaxed),
        layout: FpmLayout::of_php8(PHP_MINOR),
    }
}

fn micros(us: u128) -> u64 {
    u64::try_from(us).unwrap_or(u64::MAX)
}

fn now_epoch() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn process_start_epoch() -> i64 {
    let pid = std::process::id() as i32;
    let mut start = lock(&START);
    match *start {
        Some((owner, epoch)) if owner == pid => epoch,
        _ => {
            let epoch = read_process_start().unwrap_or_else(now_epoch);
            *start = Some((pid, epoch));
            epoch
        }
    }
}

fn read_process_start() -> Option<i64> {
    let ticks = super::start_ticks(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
    let boot = super::boot_time(&std::fs::read_to_string("/proc/stat").ok()?)?;
    let hz = os::clock_ticks_per_second()?;
    Some(boot + (ticks / hz) as i64)
}
