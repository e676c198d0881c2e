//! The figures behind `fpm_get_status()`, gathered while requests run.
//!
//! Where the server forks its workers after PHP's start-up and
//! `fpm_compat.status` is on at start-up, every worker writes its slot of
//! the pool's scoreboard (`ffi::scoreboard`) at request start, finish and
//! end, and a status read lists the whole pool. Elsewhere (or with status
//! off at start-up: then nothing is written at all) the calling process is
//! a pool of one, from the process-wide figures below.
//!
//! Process-wide figures (requests served, the last request's CPU and memory)
//! are shared by all threads: Apache's threaded MPMs and FrankenPHP run
//! requests on many threads of one process (ZTS). What belongs to the running request (when it
//! started, the CPU time used so far) is thread-local: a request runs on one
//! thread from RINIT to RSHUTDOWN.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use super::threads::{self, Member};
use super::{CpuClock, FpmLayout, LastRequest, Pool, RequestInfo, SlotFigures, State, Worker};
use crate::ffi::scoreboard::{self, Scoreboard};
use crate::scoreboard::{Counters, Fresh, Stage};
use crate::ffi::{apache, engine, os};

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
    /// CLOCK_MONOTONIC at the start, in µs.
    started_us: u64,
    /// Whether the request's CPU share is measured: only while
    /// `fpm_compat.status` is on (with it off nobody can read the figure).
    measured: bool,
}

thread_local! {
    static CURRENT: Cell<Option<RequestClock>> = const { Cell::new(None) };
    /// This thread's CPU clock (a thread runs one request at a time; under
    /// ZTS the clock is the thread's own).
    static CPU: Cell<CpuClock> = const { Cell::new(CpuClock::new()) };
}

/// MINIT: maps the pool's scoreboard where this process will fork the
/// workers and `fpm_compat.status` is on at start-up (php.ini, `-d`, the
/// server's config). A process that serves requests itself (`php -S`'s
/// first process) is listed from now on. Under Apache's threaded MPMs a
/// child stands for its `ThreadsPerChild` workers.
pub fn module_started(sapi: &str) {
    if !status_enabled() {
        return;
    }
    let children = std::env::var("PHP_FCGI_CHILDREN").ok();
    let Some(pool) = super::pool_kind(sapi, children.as_deref()) else { return };
    let mpm = if sapi == "apache2handler" { apache::mpm() } else { None };
    let threads = mpm.map_or(0, |m| threads::workers_per_child(m.threaded, m.threads_per_child));
    if Scoreboard::create(now_epoch(), threads) && pool.parent_serves {
        Scoreboard::join(&Fresh { pid: std::process::id() as i32, start_epoch: now_epoch() });
    }
}

pub fn module_ended() {
    Scoreboard::destroy();
}

/// RINIT: one more request accepted; its clocks start.
pub fn request_started() {
    REQUESTS.fetch_add(1, Ordering::Relaxed);
    let now_us = scoreboard::monotonic_us();
    let pool = Scoreboard::exists();
    let measured = pool || status_enabled();
    if measured {
        with_cpu_clock(|clock| clock.request_started(now_us, os::request_cpu_us));
    }
    CURRENT.with(|c| c.set(Some(RequestClock { started_us: now_us, measured })));
    if pool {
        pool_request_started(now_us);
    }
}

fn pool_request_started(now_us: u64) {
    // A worker no fork handler saw (the parent of `apache2 -X`, a thread
    // under ZTS) joins at its first request.
    if !Scoreboard::owns_slot() {
        Scoreboard::join(&Fresh { pid: std::process::id() as i32, start_epoch: now_epoch() });
    }
    engine::with_request_fields(|r| {
        Scoreboard::request_started(now_us, |slot| {
            // Without its query string before the slot cuts it (php -S hands
            // PHP the whole target).
            let uri = r.uri.map(|u| super::uri_without_query(u, r.query_string));
            slot.set(r.method, uri, r.query_string, r.script, r.auth_user, r.content_length)
        })
    });
}

/// After `fastcgi_finish_request()`: FPM's "Finishing".
pub fn finishing() {
    Scoreboard::finishing();
}

/// RSHUTDOWN: what the request cost, as FPM records it when a request ends.
pub fn request_ended() {
    let Some(RequestClock { started_us, measured: true }) = CURRENT.with(Cell::take) else { return };
    let now_us = scoreboard::monotonic_us();
    let cpu_percent =
        with_cpu_clock(|clock| clock.request_ended(now_us, now_us.saturating_sub(started_us), os::request_cpu_us));
    let last = LastRequest { cpu_percent, memory: engine::memory_peak_usage_real() };
    if Scoreboard::exists() {
        Scoreboard::request_ended(now_us, last.cpu_percent, last.memory);
        return;
    }
    PEAK.fetch_max(last.memory, Ordering::Relaxed);
    *lock(&LAST) = Some(last);
}

fn with_cpu_clock<T>(f: impl FnOnce(&mut CpuClock) -> T) -> T {
    CPU.with(|c| {
        let mut clock = c.get();
        let out = f(&mut clock);
        c.set(clock);
        out
    })
}

/// `fpm_compat.status` is on in this request.
pub fn status_enabled() -> bool {
    use crate::settings::{parse_switch, Directive};
    engine::ini_value(Directive::Status.name()).and_then(|v| parse_switch(&v)) == Some(true)
}

/// A poisoned lock only means a panic elsewhere while it was held; the plain
/// data inside is still whole.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The pool now: every live worker of the scoreboard, or this process as
/// a pool of one (`finished`: whether this request's finish has run, which
/// the caller knows; the status room stays below the finish room).
pub fn snapshot(pool: &str, finished: bool) -> Pool {
    match Scoreboard::counters() {
        Some(counters) => whole_pool(pool, counters),
        None => pool_of_one(pool, finished),
    }
}

fn whole_pool(name: &str, c: Counters) -> Pool {
    let now_us = scoreboard::monotonic_us();
    let mut slots = Vec::new();
    Scoreboard::workers(|index, slot| {
        let state = match slot.stage {
            s if s == Stage::Running as u8 => State::Running,
            s if s == Stage::Finishing as u8 => State::Finishing,
            _ => State::Idle,
        };
        let figures = SlotFigures {
            pid: i64::from(slot.pid),
            state,
            requests: slot.requests,
            start_epoch: slot.start_epoch,
            accepted_us: slot.accepted_us,
            last_duration_us: slot.duration_us,
            last: LastRequest { cpu_percent: slot.last_cpu_percent, memory: slot.last_memory },
        };
        let text = |b: &[u8]| (!b.is_empty()).then(|| b.to_vec());
        let request = RequestInfo {
            method: text(slot.method.get()),
            uri: text(slot.uri.get()),
            query_string: text(slot.query.get()),
            content_length: slot.content_length,
            auth_user: text(slot.user.get()),
            script: text(slot.script.get()),
        };
        let member = Member::of(index, i64::from(slot.pid), slot.threads, slot.record);
        slots.push((member, super::worker(figures, request, now_us)));
    });
    let workers = threads::pool_workers(slots);
    Pool {
        name: name.to_string(),
        start_epoch: c.start_epoch,
        now_epoch: now_epoch(),
        accepted: c.accepted,
        max_active: u64::try_from(c.active_max).unwrap_or(0),
        memory_peak: c.memory_peak,
        workers,
        layout: FpmLayout::of_php8(PHP_MINOR),
    }
}

fn pool_of_one(pool: &str, finished: bool) -> Pool {
    let last = *lock(&LAST);
    let duration = CURRENT.with(Cell::get).map_or(0, |c| scoreboard::monotonic_us().saturating_sub(c.started_us));
    let start_epoch = process_start_epoch();
    let requests = REQUESTS.load(Ordering::Relaxed);
    Pool {
        name: pool.to_string(),
        start_epoch,
        now_epoch: now_epoch(),
        accepted: requests,
        max_active: 1,
        memory_peak: PEAK.load(Ordering::Relaxed),
        workers: vec![Worker {
            pid: i64::from(std::process::id()),
            start_epoch,
            requests,
            state: if finished { State::Finishing } else { State::Running },
            request_duration_us: duration,
            request: engine::request_info(),
            // FPM's calling worker reads 0 here; a pool of one has no idle
            // worker to ask, so it shows its own previous request.
            last,
        }],
        layout: FpmLayout::of_php8(PHP_MINOR),
    }
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
