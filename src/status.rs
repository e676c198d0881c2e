//! `fpm_get_status()`: the server's workers described as an FPM pool.
//!
//! FPM's function returns its scoreboard as an array whose keys, key order
//! and value types code reads directly (`$s['procs'][0]['request-uri']`), so
//! the shape here is FPM's, field by field (php-src
//! `sapi/fpm/fpm/fpm_status.c`, `fpm_status_export_to_zval()`), following
//! the php-fpm of the same PHP version ([`FpmLayout`]).
//!
//! Where the server forks its workers from one PHP start-up (Apache
//! prefork, `php -S` workers, php-cgi's `PHP_FCGI_CHILDREN`; under a
//! threaded MPM each thread is a worker), the pool is every live worker,
//! read from a shared scoreboard (`ffi::scoreboard`, following the protocol
//! in `crate::scoreboard`; under a threaded MPM `threads` makes the workers
//! from its slots), and the figures are FPM's ([`worker`], [`counts`]). Elsewhere (plain CGI, the CLI, a server
//! whose scoreboard could not be mapped) the pool is this process alone:
//! the requests it served, how long the current one has run, what it is
//! serving (read where FPM reads it, `SG(request_info)`, cut to the sizes
//! of FPM's scoreboard fields), and the CPU share and peak memory of the
//! last request it completed.
//!
//! One deliberate difference in a pool of one: FPM shows
//! `last-request-cpu` and `last-request-memory` only for idle workers, so
//! the worker that calls the function always reads 0 there. A pool of one
//! has no idle worker to ask, so the calling process reports its own
//! previous request instead.
//!
//! This module is pure: [`Pool`] is plain data and [`fields`] turns it
//! into FPM's ordered key/value list; `page` writes php-fpm's status page
//! from it. `live` (outside tests) gathers the data from PHP, the
//! scoreboard and the operating system.

#[cfg(not(test))]
pub mod live;
pub mod page;
pub mod threads;

use std::borrow::Cow;

/// A value in the status array, borrowed from the [`Pool`] it describes
/// where it can be (a pool of hundreds of workers is read in one call).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// Bytes: request URIs and paths need not be UTF-8.
    Str(Cow<'a, [u8]>),
    Int(i64),
    Float(f64),
    /// A list of arrays (`procs`).
    List(Vec<Fields<'a>>),
}

/// An ordered array with string keys, each key once.
pub type Fields<'a> = Vec<(&'static str, Value<'a>)>;

/// FPM's request stages that this emulation can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Between requests (FPM's "accepting").
    Idle,
    Running,
    /// After `fastcgi_finish_request()`.
    Finishing,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Idle => "Idle",
            State::Running => "Running",
            State::Finishing => "Finishing",
        }
    }
}

/// What the current request is, from `SG(request_info)`. `None` is a NULL
/// pointer there.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestInfo {
    pub method: Option<Vec<u8>>,
    pub uri: Option<Vec<u8>>,
    pub query_string: Option<Vec<u8>>,
    pub content_length: i64,
    pub auth_user: Option<Vec<u8>>,
    pub script: Option<Vec<u8>>,
}

/// The last request a worker completed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastRequest {
    /// CPU time used over wall time, in percent, as FPM computes it.
    pub cpu_percent: f64,
    /// `zend_memory_peak_usage(true)` at its end.
    pub memory: u64,
}

/// One worker of the pool: FPM's `procs` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Worker {
    pub pid: i64,
    /// When this worker started (Unix time).
    pub start_epoch: i64,
    /// Requests this worker has accepted, the current one included.
    pub requests: u64,
    pub state: State,
    /// How long the current request has run (the last one's length while
    /// idle), in microseconds.
    pub request_duration_us: u64,
    /// The current request, or the last one while idle (FPM keeps it).
    pub request: RequestInfo,
    /// Shown as `last-request-cpu` / `-memory`; None reads 0.
    pub last: Option<LastRequest>,
}

/// The pool: its counters and its live workers.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    /// The pool name: the SAPI's name.
    pub name: String,
    /// When the pool started (Unix time).
    pub start_epoch: i64,
    pub now_epoch: i64,
    /// Requests the pool accepted, dead workers' included.
    pub accepted: u64,
    /// The most requests that ran at once.
    pub max_active: u64,
    /// The pool's `memory-peak` (shown where `layout` has it): the highest
    /// peak of the requests it completed.
    pub memory_peak: u64,
    pub workers: Vec<Worker>,
    /// The shape of the php-fpm of the same PHP version.
    pub layout: FpmLayout,
}

/// A worker's slot as the scoreboard holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlotFigures {
    pub pid: i64,
    pub state: State,
    pub requests: u64,
    pub start_epoch: i64,
    /// When its current (or last) request started, µs on a shared clock.
    pub accepted_us: u64,
    pub last_duration_us: u64,
    pub last: LastRequest,
}

/// A slot as FPM reports it (`fpm_status_export_to_zval()`): an idle
/// worker shows its last request's length, CPU and memory; a busy one the
/// time its request has run so far, and 0 CPU and memory.
pub fn worker(slot: SlotFigures, request: RequestInfo, now_us: u64) -> Worker {
    let idle = slot.state == State::Idle;
    Worker {
        pid: slot.pid,
        start_epoch: slot.start_epoch,
        requests: slot.requests,
        state: slot.state,
        request_duration_us: if idle { slot.last_duration_us } else { now_us.saturating_sub(slot.accepted_us) },
        request,
        last: idle.then_some(slot.last),
    }
}

/// Where php-fpm's status array changed between PHP versions, as read from
/// each version's php-fpm in the same test run (tests/e2e/test_status.py).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FpmLayout {
    /// An int `memory-peak` between `slow-requests` and `procs` (8.4+).
    pub memory_peak: bool,
    /// Scoreboard buffer sizes (`fpm_scoreboard.h`), NUL included: 8.5
    /// widened the URI and script to 512 bytes, the query string to 2048.
    pub uri_size: usize,
    pub query_size: usize,
    pub script_size: usize,
}

impl FpmLayout {
    /// php-fpm's layout in PHP 8.`minor`.
    pub const fn of_php8(minor: u32) -> FpmLayout {
        let wide = minor >= 5;
        FpmLayout {
            memory_peak: minor >= 4,
            uri_size: if wide { 512 } else { 128 },
            query_size: if wide { 2048 } else { 512 },
            script_size: if wide { 512 } else { 256 },
        }
    }
}

/// FPM's scoreboard keeps request data in fixed C buffers filled with
/// `strlcpy`: what does not fit is cut. These two kept their sizes in every
/// version; the others are in [`FpmLayout`].
const METHOD_SIZE: usize = 16;
const USER_SIZE: usize = 32;

/// `strlcpy(buf, value, size)` then read back as FPM does: at most
/// `size - 1` bytes, up to the first NUL.
fn scoreboard_field(value: Option<&[u8]>, size: usize) -> &[u8] {
    let value = value.unwrap_or_default();
    let end = value.iter().position(|&b| b == 0).unwrap_or(value.len()).min(size - 1);
    &value[..end]
}

/// The request URI without its query string, as FPM holds it (FPM gets the
/// script's URI from the web server; `php -S` hands PHP the whole target,
/// "?query" included).
pub fn uri_without_query<'a>(uri: &'a [u8], query: Option<&[u8]>) -> &'a [u8] {
    let Some(query) = query.filter(|q| !q.is_empty()) else { return uri };
    uri.strip_suffix(query).and_then(|u| u.strip_suffix(b"?")).unwrap_or(uri)
}

/// A scoreboard field that FPM shows as "-" when empty.
fn dash_if_empty(value: Option<&[u8]>, size: usize) -> Value<'_> {
    let field = scoreboard_field(value, size);
    Value::Str(Cow::Borrowed(if field.is_empty() { b"-" } else { field }))
}

/// A worker's `procs` entry, keys in FPM's order.
fn proc_fields<'a>(w: &'a Worker, now_epoch: i64, layout: &FpmLayout) -> Fields<'a> {
    let last = w.last.unwrap_or(LastRequest { cpu_percent: 0.0, memory: 0 });
    let uri = w.request.uri.as_deref().map(|u| uri_without_query(u, w.request.query_string.as_deref()));
    vec![
        ("pid", Value::Int(w.pid)),
        ("state", Value::Str(Cow::Borrowed(w.state.name().as_bytes()))),
        ("start-time", Value::Int(w.start_epoch)),
        ("start-since", Value::Int(now_epoch.saturating_sub(w.start_epoch))),
        ("requests", Value::Int(int(w.requests))),
        ("request-duration", Value::Int(int(w.request_duration_us))),
        ("request-method", dash_if_empty(w.request.method.as_deref(), METHOD_SIZE)),
        ("request-uri", Value::Str(Cow::Borrowed(scoreboard_field(uri, layout.uri_size)))),
        ("query-string", Value::Str(Cow::Borrowed(scoreboard_field(w.request.query_string.as_deref(), layout.query_size)))),
        ("request-length", Value::Int(w.request.content_length)),
        ("user", dash_if_empty(w.request.auth_user.as_deref(), USER_SIZE)),
        ("script", dash_if_empty(w.request.script.as_deref(), layout.script_size)),
        ("last-request-cpu", Value::Float(last.cpu_percent)),
        ("last-request-memory", Value::Int(int(last.memory))),
    ]
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The pool's figures as FPM counts them: a worker is idle between
/// requests and active from the start of a request to its end (finishing
/// included); the most active at once is at least those active now.
pub struct Counts {
    pub idle: i64,
    pub active: i64,
    pub max_active: i64,
}

pub fn counts(p: &Pool) -> Counts {
    let active = p.workers.iter().filter(|w| w.state != State::Idle).count() as i64;
    let idle = p.workers.len() as i64 - active;
    Counts { idle, active, max_active: int(p.max_active).max(active) }
}

/// The status array, keys in FPM's order.
pub fn fields(p: &Pool) -> Fields<'_> {
    let c = counts(p);
    let mut pool = vec![
        ("pool", Value::Str(Cow::Borrowed(p.name.as_bytes()))),
        // A fixed set of workers: FPM's word for that is static.
        ("process-manager", Value::Str(Cow::Borrowed(b"static"))),
        ("start-time", Value::Int(p.start_epoch)),
        ("start-since", Value::Int(p.now_epoch.saturating_sub(p.start_epoch))),
        ("accepted-conn", Value::Int(int(p.accepted))),
        // The server owns the listen socket and its queue; PHP cannot see
        // it (php-fpm reads its own socket's queue).
        ("listen-queue", Value::Int(0)),
        ("max-listen-queue", Value::Int(0)),
        ("listen-queue-len", Value::Int(0)),
        ("idle-processes", Value::Int(c.idle)),
        ("active-processes", Value::Int(c.active)),
        ("total-processes", Value::Int(c.idle + c.active)),
        ("max-active-processes", Value::Int(c.max_active)),
        ("max-children-reached", Value::Int(0)),
        ("slow-requests", Value::Int(0)),
    ];
    if p.layout.memory_peak {
        pool.push(("memory-peak", Value::Int(int(p.memory_peak))));
    }
    let procs = p.workers.iter().map(|w| proc_fields(w, p.now_epoch, &p.layout)).collect();
    pool.push(("procs", Value::List(procs)));
    pool
}

/// A server whose workers share this process's PHP start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolKind {
    /// The process that started PHP serves requests too (`php -S`: its
    /// first process runs the same loop as the workers it forks).
    pub parent_serves: bool,
}

/// Whether this process forks the workers of a pool after PHP's start-up:
/// Apache prefork (mod_php starts PHP in the parent), `php -S` (with
/// `PHP_CLI_SERVER_WORKERS`, or alone: a pool of one that is listed the
/// same way), php-cgi with `PHP_FCGI_CHILDREN` (`php-cgi -b`, lighttpd,
/// mod_fcgid). A single php-cgi, the CLI, embed: no pool but the process.
pub fn pool_kind(sapi: &str, fcgi_children: Option<&str>) -> Option<PoolKind> {
    match sapi {
        "cli-server" => Some(PoolKind { parent_serves: true }),
        "apache2handler" => Some(PoolKind { parent_serves: false }),
        "cgi-fcgi" => {
            let children: i64 = fcgi_children.and_then(|c| c.trim().parse().ok()).unwrap_or(0);
            (children > 0).then_some(PoolKind { parent_serves: false })
        }
        _ => None,
    }
}

/// FPM's `last-request-cpu`: CPU time over wall time of the request, in
/// percent; 0 for a request of no measurable duration (FPM avoids NaN so).
pub fn cpu_percent(cpu_us: u64, wall_us: u64) -> f64 {
    if wall_us == 0 {
        0.0
    } else {
        cpu_us as f64 / wall_us as f64 * 100.0
    }
}

/// How long a worker runs between two readings of its CPU clock: one
/// clock tick at Linux's `USER_HZ` of 100, the resolution of `times()`.
pub const CPU_CLOCK_WINDOW_US: u64 = 10_000;

/// `last-request-cpu` without a system call per request. php-fpm reads the
/// CPU clock (`times()`, clock ticks) at each request's start and end; a
/// request shorter than a tick reads 0 or a whole tick, so its figure is
/// noise, and the two system calls cost more than the rest of the pool's
/// bookkeeping. Here the clock is read at a request's end only when a tick
/// or more has passed since the last reading, and the figure is the CPU
/// time since that reading over the requests' wall time since then: the
/// last request's own share when it is that long (or the worker was idle
/// before it), else the share of the worker's last requests together.
/// A worker's clock is read at most 100 times a second, whatever its rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuClock {
    /// The CPU clock and the wall clock (µs) at the last reading.
    read_at: Option<(u64, u64)>,
    /// Wall time of the requests that ended since that reading.
    busy_us: u64,
    /// The share last measured, in percent.
    share: f64,
}

impl CpuClock {
    pub const fn new() -> Self {
        CpuClock { read_at: None, busy_us: 0, share: 0.0 }
    }

    /// A request starts at `now_us`: a worker's first reading.
    pub fn request_started(&mut self, now_us: u64, read_cpu_us: impl FnOnce() -> u64) {
        if self.read_at.is_none() {
            self.read_at = Some((read_cpu_us(), now_us));
            self.busy_us = 0;
        }
    }

    /// A request of `wall_us` ended at `now_us`: the share to show.
    pub fn request_ended(&mut self, now_us: u64, wall_us: u64, read_cpu_us: impl FnOnce() -> u64) -> f64 {
        self.busy_us = self.busy_us.saturating_add(wall_us);
        let Some((cpu_then, then)) = self.read_at else { return self.share };
        if now_us.saturating_sub(then) < CPU_CLOCK_WINDOW_US {
            return self.share;
        }
        let cpu_now = read_cpu_us();
        // A clock that went back belongs to a new process (a forked child
        // inherits the parent's reading): that window measures nothing.
        if cpu_now >= cpu_then {
            self.share = cpu_percent(cpu_now - cpu_then, self.busy_us);
        }
        self.read_at = Some((cpu_now, now_us));
        self.busy_us = 0;
        self.share
    }
}

/// When a process started, in clock ticks after boot: field 22 of
/// `/proc/<pid>/stat`, counted after the command name, which may itself
/// hold spaces and parentheses (hence the last ')').
pub fn start_ticks(proc_pid_stat: &str) -> Option<u64> {
    let after_name = &proc_pid_stat[proc_pid_stat.rfind(')')? + 1..];
    // Fields after the name start at field 3 (state); starttime is field 22.
    after_name.split_ascii_whitespace().nth(22 - 3)?.parse().ok()
}

/// The boot time (Unix time) from `/proc/stat`'s `btime` line.
pub fn boot_time(proc_stat: &str) -> Option<i64> {
    proc_stat.lines().find_map(|l| l.strip_prefix("btime ")).and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Pool {
        Pool {
            name: "cli-server".into(),
            start_epoch: 1_700_000_000,
            now_epoch: 1_700_000_042,
            accepted: 3,
            max_active: 1,
            memory_peak: 6 * 1024 * 1024,
            workers: vec![Worker {
                pid: 4242,
                start_epoch: 1_700_000_000,
                requests: 3,
                state: State::Running,
                request_duration_us: 1500,
                request: RequestInfo {
                    method: Some(b"GET".to_vec()),
                    uri: Some(b"/status.php".to_vec()),
                    query_string: Some(b"a=1".to_vec()),
                    content_length: 0,
                    auth_user: None,
                    script: Some(b"/srv/status.php".to_vec()),
                },
                last: Some(LastRequest { cpu_percent: 12.5, memory: 2 * 1024 * 1024 }),
            }],
            layout: FpmLayout::of_php8(2),
        }
    }

    fn keys(f: &Fields) -> Vec<&'static str> {
        f.iter().map(|(k, _)| *k).collect()
    }

    fn get<'a>(f: &'a Fields<'a>, key: &str) -> &'a Value<'a> {
        &f.iter().find(|(k, _)| *k == key).unwrap().1
    }

    fn proc_of<'a>(f: &'a Fields<'a>) -> &'a Fields<'a> {
        match get(f, "procs") {
            Value::List(procs) => &procs[0],
            other => panic!("procs is {other:?}"),
        }
    }

    fn s(v: &str) -> Value<'static> {
        Value::Str(Cow::Owned(v.as_bytes().to_vec()))
    }

    #[test]
    fn keys_in_fpm_order() {
        let pool = sample();
        let f = fields(&pool);
        assert_eq!(
            keys(&f),
            [
                "pool", "process-manager", "start-time", "start-since", "accepted-conn", "listen-queue",
                "max-listen-queue", "listen-queue-len", "idle-processes", "active-processes", "total-processes",
                "max-active-processes", "max-children-reached", "slow-requests", "procs",
            ]
        );
        assert_eq!(
            keys(proc_of(&f)),
            [
                "pid", "state", "start-time", "start-since", "requests", "request-duration", "request-method",
                "request-uri", "query-string", "request-length", "user", "script", "last-request-cpu",
                "last-request-memory",
            ]
        );
    }

    #[test]
    fn memory_peak_between_slow_requests_and_procs_from_php_8_4() {
        let mut st = sample();
        st.layout = FpmLayout::of_php8(4);
        let f = fields(&st);
        let tail: Vec<_> = keys(&f).into_iter().rev().take(3).collect();
        assert_eq!(tail, ["procs", "memory-peak", "slow-requests"]);
        assert_eq!(get(&f, "memory-peak"), &Value::Int(6 * 1024 * 1024));
        assert!(!keys(&fields(&sample())).contains(&"memory-peak"));
    }

    #[test]
    fn values_of_a_running_request() {
        let pool = sample();
        let f = fields(&pool);
        assert_eq!(get(&f, "pool"), &s("cli-server"));
        assert_eq!(get(&f, "start-since"), &Value::Int(42));
        assert_eq!(get(&f, "accepted-conn"), &Value::Int(3));
        assert_eq!(get(&f, "active-processes"), &Value::Int(1));
        let p = proc_of(&f);
        assert_eq!(get(p, "pid"), &Value::Int(4242));
        assert_eq!(get(p, "state"), &s("Running"));
        assert_eq!(get(p, "requests"), &Value::Int(3));
        assert_eq!(get(p, "request-duration"), &Value::Int(1500));
        assert_eq!(get(p, "request-method"), &s("GET"));
        assert_eq!(get(p, "request-uri"), &s("/status.php"));
        assert_eq!(get(p, "query-string"), &s("a=1"));
        assert_eq!(get(p, "user"), &s("-"));
        assert_eq!(get(p, "script"), &s("/srv/status.php"));
        assert_eq!(get(p, "last-request-cpu"), &Value::Float(12.5));
        assert_eq!(get(p, "last-request-memory"), &Value::Int(2 * 1024 * 1024));
    }

    #[test]
    fn missing_request_data_reads_as_fpm_shows_it() {
        let mut st = sample();
        st.workers[0].request = RequestInfo::default();
        st.workers[0].last = None;
        st.workers[0].state = State::Finishing;
        let f = fields(&st);
        let p = proc_of(&f);
        assert_eq!(get(p, "state"), &s("Finishing"));
        assert_eq!(get(p, "request-method"), &s("-"));
        assert_eq!(get(p, "request-uri"), &s(""));
        assert_eq!(get(p, "query-string"), &s(""));
        assert_eq!(get(p, "user"), &s("-"));
        assert_eq!(get(p, "script"), &s("-"));
        assert_eq!(get(p, "last-request-cpu"), &Value::Float(0.0));
        assert_eq!(get(p, "last-request-memory"), &Value::Int(0));
    }

    /// Lengths of query-string, request-uri, request-method, script, user
    /// for very long values under php-fpm 8.`minor`'s layout.
    fn cut_lengths(minor: u32) -> [usize; 5] {
        let mut st = sample();
        st.layout = FpmLayout::of_php8(minor);
        st.workers[0].request.query_string = Some(vec![b'q'; 3000]);
        st.workers[0].request.uri = Some(vec![b'u'; 3000]);
        st.workers[0].request.method = Some(vec![b'M'; 20]);
        st.workers[0].request.script = Some(vec![b's'; 3000]);
        st.workers[0].request.auth_user = Some(vec![b'a'; 40]);
        let f = fields(&st);
        let p = proc_of(&f);
        let len = |k| match get(p, k) {
            Value::Str(v) => v.len(),
            _ => panic!(),
        };
        [len("query-string"), len("request-uri"), len("request-method"), len("script"), len("user")]
    }

    #[test]
    fn long_values_are_cut_to_fpm_field_sizes() {
        assert_eq!(cut_lengths(2), [511, 127, 15, 255, 31]);
        assert_eq!(cut_lengths(4), [511, 127, 15, 255, 31]);
        // Measured against php-fpm 8.5.7 and 8.6.0~rc3.
        assert_eq!(cut_lengths(5), [2047, 511, 15, 511, 31]);
        assert_eq!(cut_lengths(6), [2047, 511, 15, 511, 31]);
    }

    #[test]
    fn uri_loses_a_trailing_query_string_only() {
        let with = |uri: &str, query: &str| {
            let mut st = sample();
            st.workers[0].request.uri = Some(uri.as_bytes().to_vec());
            st.workers[0].request.query_string = Some(query.as_bytes().to_vec());
            let f = fields(&st);
            let Value::Str(uri) = get(proc_of(&f), "request-uri") else { panic!("a string") };
            s(std::str::from_utf8(uri).unwrap())
        };
        assert_eq!(with("/status.php?a=1&b=2", "a=1&b=2"), s("/status.php"));
        assert_eq!(with("/status.php", "a=1"), s("/status.php"));
        assert_eq!(with("/x?a=1", ""), s("/x?a=1"));
        assert_eq!(with("/x?b=1", "a=1"), s("/x?b=1"));
        assert_eq!(with("/xa=1", "a=1"), s("/xa=1"));
    }

    #[test]
    fn bytes_are_kept_and_cut_at_nul() {
        assert_eq!(scoreboard_field(Some(b"/\xff\xfe"), 128), b"/\xff\xfe");
        assert_eq!(scoreboard_field(Some(b"a\0b"), 128), b"a");
        assert_eq!(dash_if_empty(Some(b""), USER_SIZE), s("-"));
    }

    fn slot(state: State) -> SlotFigures {
        SlotFigures {
            pid: 7,
            state,
            requests: 2,
            start_epoch: 1_700_000_000,
            accepted_us: 1_000_000,
            last_duration_us: 300,
            last: LastRequest { cpu_percent: 50.0, memory: 4096 },
        }
    }

    #[test]
    fn idle_worker_shows_its_last_request_busy_one_its_time_so_far() {
        let idle = worker(slot(State::Idle), RequestInfo::default(), 3_000_000);
        assert_eq!((idle.request_duration_us, idle.last), (300, Some(slot(State::Idle).last)));
        for state in [State::Running, State::Finishing] {
            let busy = worker(slot(state), RequestInfo::default(), 3_000_000);
            assert_eq!((busy.request_duration_us, busy.last), (2_000_000, None));
        }
    }

    #[test]
    fn pool_counts_as_fpm() {
        let mut p = sample();
        let w = p.workers[0].clone();
        p.workers = [State::Idle, State::Running, State::Finishing, State::Idle, State::Idle]
            .into_iter()
            .map(|state| Worker { state, ..w.clone() })
            .collect();
        p.max_active = 1;
        p.accepted = 17;
        let f = fields(&p);
        assert_eq!(get(&f, "idle-processes"), &Value::Int(3));
        assert_eq!(get(&f, "active-processes"), &Value::Int(2));
        assert_eq!(get(&f, "total-processes"), &Value::Int(5));
        assert_eq!(get(&f, "max-active-processes"), &Value::Int(2), "at least the active now");
        assert_eq!(get(&f, "accepted-conn"), &Value::Int(17));
        match get(&f, "procs") {
            Value::List(procs) => assert_eq!(procs.len(), 5),
            other => panic!("{other:?}"),
        }
        p.max_active = 4;
        assert_eq!(get(&fields(&p), "max-active-processes"), &Value::Int(4));
    }

    #[test]
    fn pools_where_workers_are_forked_after_start_up() {
        assert_eq!(pool_kind("cli-server", None), Some(PoolKind { parent_serves: true }));
        assert_eq!(pool_kind("apache2handler", None), Some(PoolKind { parent_serves: false }));
        assert_eq!(pool_kind("cgi-fcgi", Some("4")), Some(PoolKind { parent_serves: false }));
        for (sapi, children) in [("cgi-fcgi", None), ("cgi-fcgi", Some("0")), ("cgi-fcgi", Some("x")), ("cli", None), ("embed", None), ("fpm-fcgi", None)] {
            assert_eq!(pool_kind(sapi, children), None, "{sapi} {children:?}");
        }
    }

    #[test]
    fn cpu_share_in_percent() {
        assert_eq!(cpu_percent(0, 0), 0.0);
        assert_eq!(cpu_percent(500, 1000), 50.0);
        assert_eq!(cpu_percent(3000, 1000), 300.0);
    }

    #[test]
    fn cpu_clock_is_read_once_a_tick_and_shows_the_share_since() {
        let reads = std::cell::Cell::new(0);
        let clock = |cpu: u64| {
            let reads = &reads;
            move || {
                reads.set(reads.get() + 1);
                cpu
            }
        };
        let mut c = CpuClock::new();
        assert_eq!(c.request_ended(5_000, 5_000, clock(0)), 0.0, "no reading yet: nothing to show");
        assert_eq!(reads.get(), 0);
        c.request_started(10_000, clock(1_000));
        assert_eq!(reads.get(), 1);
        // 1 ms requests: the clock is not read again until a tick has passed.
        for i in 1..10 {
            c.request_started(10_000 + i * 1_000, clock(99));
            assert_eq!(c.request_ended(10_000 + i * 1_000 + 900, 900, clock(99)), 0.0);
        }
        assert_eq!(reads.get(), 1);
        // Ten requests of 900 µs of wall time, 4.5 ms of CPU in all: 50 %.
        c.request_started(19_000, clock(99));
        assert_eq!(c.request_ended(20_000, 900, clock(5_500)), 50.0);
        assert_eq!(reads.get(), 2);
        // The figure stays until the next reading.
        assert_eq!(c.request_ended(21_000, 500, clock(0)), 50.0);
        assert_eq!(reads.get(), 2);
        // A long request after idle time: its own share (idle time uses no
        // CPU and is not counted as wall time).
        c.request_started(1_000_000, clock(0));
        assert_eq!(c.request_ended(1_200_000, 200_000 - 500, clock(5_500 + 200_000)), 100.0);
        assert_eq!(reads.get(), 3);
    }

    #[test]
    fn cpu_clock_of_a_forked_child_starts_again() {
        let mut c = CpuClock::new();
        c.request_started(0, || 90_000);
        assert_eq!(c.request_ended(50_000, 50_000, || 40_000), 0.0, "the child's own clock is lower");
        assert_eq!(c.request_ended(100_000, 50_000, || 65_000), 50.0);
    }

    #[test]
    fn process_start_from_proc() {
        let stat = "1234 (php (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 2 0 0 20 0 1 0 98765 1000 50";
        assert_eq!(start_ticks(stat), Some(98765));
        assert_eq!(start_ticks("garbage"), None);
        assert_eq!(boot_time("cpu  1 2 3\nbtime 1699990000\nprocesses 5\n"), Some(1_699_990_000));
        assert_eq!(boot_time("cpu 1\n"), None);
    }
}
