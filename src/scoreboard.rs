//! The pool's scoreboard protocol: what a worker's slot holds, how its
//! owner writes it and a reader copies it without either waiting, which
//! slot a new worker takes, and the pool's counters, as php-fpm keeps its
//! scoreboard (`fpm_scoreboard.c`). `ffi::scoreboard` maps the slots into
//! memory that every worker shares and holds the robust mutexes that say
//! which owners are alive; this module is the rules both sides follow, over
//! plain data and atomics: no unsafe code, no system calls.
//!
//! Each slot is written by its owner only, under a sequence counter
//! ([`SeqCount`], a seqlock): odd while a write is under way. A reader
//! copies the slot and retries if the counter moved, so no worker ever
//! waits for another, and readers never block writers. The pool's counters
//! ([`Tally`]) are atomics that any worker adds to.
//!
//! A new worker takes the first slot, in slot order, whose lock it gets
//! ([`claim`]): slots are reused from the bottom, and a reader looks no
//! further than the highest slot ever taken.
//!
//! Under a threaded MPM a slot is either a worker thread's or a *process
//! record* standing for a child's worker threads (`status::threads` makes
//! the pool's workers from them): [`SlotData::threads`] and
//! [`SlotData::record`] say which.

use std::sync::atomic::{fence, AtomicI64, AtomicU32, AtomicU64, Ordering};

/// Workers one pool can list (Apache prefork's default `ServerLimit` is
/// 256). The slots' pages are only touched when a worker takes one.
pub const SLOTS: usize = 1024;

/// The event MPM's defaults, `ServerLimit` 16 × `ThreadsPerChild` 25, take
/// a slot per thread plus a process record per child. A graceful restart
/// starts PHP, hence a new board, afresh: the old generation's children
/// finish in the old one, so a board never holds two generations (if it
/// did, twice this would fit too).
const _: () = assert!(2 * 16 * (25 + 1) <= SLOTS);

/// Field buffers: the widest of any php-fpm version (8.5's), NUL excluded;
/// the pure layer cuts to the sizes of the PHP version built against.
pub const METHOD_LEN: usize = 15;
pub const URI_LEN: usize = 511;
pub const QUERY_LEN: usize = 2047;
pub const SCRIPT_LEN: usize = 511;
pub const USER_LEN: usize = 31;

/// A worker's stage, as FPM names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Stage {
    Idle = 0,
    Running = 1,
    Finishing = 2,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Field<const N: usize> {
    // pub(crate): `ffi::scoreboard` copies only the used bytes out of
    // shared memory; `get` never trusts `len` beyond N.
    pub(crate) len: u16,
    pub(crate) bytes: [u8; N],
}

impl<const N: usize> Field<N> {
    const EMPTY: Self = Field { len: 0, bytes: [0; N] };

    fn set(&mut self, value: Option<&[u8]>) {
        let value = value.unwrap_or_default();
        let n = value.len().min(N);
        self.bytes[..n].copy_from_slice(&value[..n]);
        self.len = n as u16;
    }

    pub fn get(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len).min(N)]
    }
}

/// One worker's figures: FPM's `struct fpm_scoreboard_proc_s`, the parts
/// its status shows.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SlotData {
    pub pid: i32,
    pub stage: u8,
    /// A process record: the worker threads it stands for (0: a worker).
    pub threads: u32,
    /// A worker thread: its process record's slot + 1 (0: none).
    pub record: u32,
    pub requests: u64,
    /// When the worker started (Unix time).
    pub start_epoch: i64,
    /// When the current (or last) request started, CLOCK_MONOTONIC in µs.
    pub accepted_us: u64,
    /// How long the last completed request took, in µs (shown while idle).
    pub duration_us: u64,
    pub content_length: i64,
    pub last_cpu_percent: f64,
    pub last_memory: u64,
    pub method: Field<METHOD_LEN>,
    pub uri: Field<URI_LEN>,
    pub query: Field<QUERY_LEN>,
    pub script: Field<SCRIPT_LEN>,
    pub user: Field<USER_LEN>,
}

impl SlotData {
    /// A fresh slot: Idle, 0 requests, empty fields (what a taken slot
    /// starts from, whatever its last owner left).
    pub const EMPTY: SlotData = SlotData {
        pid: 0,
        stage: Stage::Idle as u8,
        threads: 0,
        record: 0,
        requests: 0,
        start_epoch: 0,
        accepted_us: 0,
        duration_us: 0,
        content_length: 0,
        last_cpu_percent: 0.0,
        last_memory: 0,
        method: Field::EMPTY,
        uri: Field::EMPTY,
        query: Field::EMPTY,
        script: Field::EMPTY,
        user: Field::EMPTY,
    };

    /// A request starts: FPM's "reading headers" and "getting request
    /// information" in one step; `fill` writes what the request is.
    pub fn request_started(&mut self, now_us: u64, fill: impl FnOnce(&mut RequestFields<'_>)) {
        self.stage = Stage::Running as u8;
        self.requests += 1;
        self.accepted_us = now_us;
        fill(&mut RequestFields(self));
    }

    /// The request ended: the worker is idle and shows what it cost (its
    /// method, URI and the rest stay, as FPM keeps them).
    pub fn request_ended(&mut self, now_us: u64, cpu_percent: f64, memory: u64) {
        self.stage = Stage::Idle as u8;
        self.duration_us = now_us.saturating_sub(self.accepted_us);
        self.last_cpu_percent = cpu_percent;
        self.last_memory = memory;
    }
}

/// Whether a slot taken over from a dead owner (`pid` and `stage` as it
/// left them) had a request running, which then no longer counts as
/// active. A slot never taken has pid 0; a record is always idle.
pub fn left_a_request_running(pid: i32, stage: u8) -> bool {
    pid != 0 && stage != Stage::Idle as u8
}

/// Writes the current request's fields into the slot.
pub struct RequestFields<'a>(&'a mut SlotData);

impl RequestFields<'_> {
    pub fn set(
        &mut self,
        method: Option<&[u8]>,
        uri: Option<&[u8]>,
        query: Option<&[u8]>,
        script: Option<&[u8]>,
        user: Option<&[u8]>,
        content_length: i64,
    ) {
        self.0.method.set(method);
        self.0.uri.set(uri);
        self.0.query.set(query);
        self.0.script.set(script);
        self.0.user.set(user);
        self.0.content_length = content_length;
    }
}

/// What a fresh worker's slot holds.
pub struct Fresh {
    pub pid: i32,
    pub start_epoch: i64,
}

/// The slot a new worker takes: the first, in slot order, that `lock`
/// gets (free, or its owner died).
pub fn claim(lock: impl FnMut(&usize) -> bool) -> Option<usize> {
    (0..SLOTS).find(lock)
}

/// A slot's sequence counter: even while the slot is whole, odd while its
/// owner writes it.
#[repr(transparent)]
pub struct SeqCount(AtomicU32);

impl SeqCount {
    /// The owner's write: `change` runs with the counter odd.
    pub fn write<T>(&self, change: impl FnOnce() -> T) -> T {
        self.0.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::Release);
        let out = change();
        self.0.fetch_add(1, Ordering::Release);
        out
    }

    /// A reader's copy: `copy` runs until no write overlapped it, and the
    /// copy is whole if this returns true. False when the owner was
    /// writing for every one of 10,000 attempts (the copy is then not
    /// used): a reader never waits on a writer for long.
    pub fn read(&self, mut copy: impl FnMut()) -> bool {
        for attempt in 0..10_000 {
            let before = self.0.load(Ordering::Acquire);
            if before & 1 == 0 {
                copy();
                fence(Ordering::Acquire);
                if self.0.load(Ordering::Relaxed) == before {
                    return true;
                }
            }
            if attempt > 100 {
                // The writer was descheduled mid-write: let it run.
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        false
    }
}

/// The pool's counters, as one read.
#[derive(Debug, Clone, Copy)]
pub struct Counters {
    pub start_epoch: i64,
    pub accepted: u64,
    pub active_max: i64,
    pub memory_peak: u64,
}

/// The pool's counters as the scoreboard keeps them: atomics (all zero in
/// a fresh mapping), added to by every worker without a lock.
#[repr(C)]
pub struct Tally {
    start_epoch: AtomicI64,
    /// FPM's `accepted-conn`: requests the pool accepted, dead workers' too.
    accepted: AtomicU64,
    /// Requests running now, for `max-active-processes`.
    active: AtomicI64,
    active_max: AtomicI64,
    /// The highest peak memory of a completed request (8.4+'s `memory-peak`).
    memory_peak: AtomicU64,
    /// Slots ever taken: readers look no further.
    high_water: AtomicU32,
}

impl Tally {
    #[cfg(test)]
    const fn new() -> Tally {
        Tally {
            start_epoch: AtomicI64::new(0),
            accepted: AtomicU64::new(0),
            active: AtomicI64::new(0),
            active_max: AtomicI64::new(0),
            memory_peak: AtomicU64::new(0),
            high_water: AtomicU32::new(0),
        }
    }

    pub fn started_at(&self, start_epoch: i64) {
        self.start_epoch.store(start_epoch, Ordering::Relaxed);
    }

    pub fn request_started(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        let active = self.active.fetch_add(1, Ordering::Relaxed) + 1;
        self.active_max.fetch_max(active, Ordering::Relaxed);
    }

    pub fn request_ended(&self, memory: u64) {
        self.active.fetch_sub(1, Ordering::Relaxed);
        self.memory_peak.fetch_max(memory, Ordering::Relaxed);
    }

    /// A dead worker's request (see [`left_a_request_running`]).
    pub fn request_abandoned(&self) {
        self.active.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn slot_taken(&self, slot: usize) {
        self.high_water.fetch_max(slot as u32 + 1, Ordering::AcqRel);
    }

    /// How many slots a reader looks at.
    pub fn slots_in_use(&self) -> usize {
        (self.high_water.load(Ordering::Acquire) as usize).min(SLOTS)
    }

    pub fn counters(&self) -> Counters {
        Counters {
            start_epoch: self.start_epoch.load(Ordering::Relaxed),
            accepted: self.accepted.load(Ordering::Relaxed),
            active_max: self.active_max.load(Ordering::Relaxed),
            memory_peak: self.memory_peak.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn field(bytes: Option<&[u8]>) -> Vec<u8> {
        let mut f = Field::<METHOD_LEN>::EMPTY;
        f.set(Some(b"a much longer value than fits"));
        f.set(bytes);
        f.get().to_vec()
    }

    proptest! {
        #[test]
        fn a_field_holds_what_fits_of_the_last_value(value in proptest::collection::vec(any::<u8>(), 0..40)) {
            let kept = value.len().min(METHOD_LEN);
            prop_assert_eq!(field(Some(&value)), &value[..kept]);
            prop_assert_eq!(field(None), b"");
        }

        /// Any run of requests on one slot: it counts them, is Running
        /// during one and Idle after it, and shows the last one's length
        /// (0 if the clock went back) and what it was.
        #[test]
        fn a_slot_records_each_request(requests in proptest::collection::vec((0u64..1 << 40, 0u64..1 << 20, any::<bool>()), 1..20)) {
            let mut d = SlotData::EMPTY;
            for (n, &(start, length, clock_back)) in requests.iter().enumerate() {
                let end = if clock_back { start.saturating_sub(length) } else { start + length };
                d.request_started(start, |f| f.set(Some(b"GET"), Some(b"/x"), None, None, None, n as i64));
                prop_assert_eq!((d.stage, d.requests, d.accepted_us), (Stage::Running as u8, n as u64 + 1, start));
                d.request_ended(end, 12.5, n as u64);
                prop_assert_eq!(d.stage, Stage::Idle as u8);
                prop_assert_eq!(d.duration_us, if clock_back { 0 } else { length });
                prop_assert_eq!((d.last_cpu_percent, d.last_memory, d.content_length), (12.5, n as u64, n as i64));
                prop_assert_eq!((d.method.get(), d.uri.get(), d.query.get()), (&b"GET"[..], &b"/x"[..], &b""[..]));
            }
        }

        /// The lowest free slot, whichever are held; none when all are.
        #[test]
        fn a_new_worker_takes_the_lowest_free_slot(held in proptest::collection::btree_set(0..SLOTS, 0..64)) {
            let expected = (0..SLOTS).find(|i| !held.contains(i));
            prop_assert_eq!(claim(|i| !held.contains(i)), expected);
            let all: BTreeSet<usize> = (0..SLOTS).collect();
            prop_assert_eq!(claim(|i| !all.contains(i)), None);
        }

        /// Workers start, end and die in any order (a dead worker's slot is
        /// taken over by a new one): the counters are FPM's, from a model
        /// that counts each request.
        #[test]
        fn the_pool_counts_as_fpm(events in proptest::collection::vec((0usize..4, 0u8..3, 0u64..1 << 30), 0..60)) {
            let tally = Tally::new();
            let mut slots = [SlotData::EMPTY; 4];
            for (i, s) in slots.iter_mut().enumerate() {
                s.pid = i as i32 + 1;
            }
            let (mut accepted, mut running, mut most, mut peak) = (0, BTreeSet::new(), 0, 0);
            for (slot, event, memory) in events {
                let d = &mut slots[slot];
                match event {
                    0 if d.stage == Stage::Idle as u8 => {
                        tally.request_started();
                        d.request_started(0, |_| {});
                        accepted += 1;
                        running.insert(slot);
                        most = most.max(running.len() as i64);
                    }
                    1 if d.stage != Stage::Idle as u8 => {
                        tally.request_ended(memory);
                        d.request_ended(1, 0.0, memory);
                        running.remove(&slot);
                        peak = peak.max(memory);
                    }
                    2 => {
                        // Died; a new worker takes the slot over.
                        if left_a_request_running(d.pid, d.stage) {
                            tally.request_abandoned();
                        }
                        *d = SlotData { pid: d.pid + 4, ..SlotData::EMPTY };
                        running.remove(&slot);
                    }
                    _ => {}
                }
            }
            let c = tally.counters();
            prop_assert_eq!((c.accepted, c.active_max, c.memory_peak), (accepted, most, peak));
            prop_assert_eq!(tally.active.load(Ordering::Relaxed), running.len() as i64);
        }
    }

    #[test]
    fn readers_look_up_to_the_highest_slot_ever_taken() {
        let tally = Tally::new();
        assert_eq!(tally.slots_in_use(), 0);
        [3, 0, 7, 2].into_iter().for_each(|i| tally.slot_taken(i));
        assert_eq!(tally.slots_in_use(), 8);
    }

    /// A writer fills the 32 words with one number per write, again and
    /// again, while a reader copies them: every copy the counter passes is
    /// whole, and the reader saw the writer move on meanwhile (a read that
    /// ignored the counter keeps torn copies here).
    #[test]
    fn a_reader_never_keeps_a_torn_copy() {
        let seq = SeqCount(AtomicU32::new(0));
        let words: [AtomicU64; 32] = std::array::from_fn(|_| AtomicU64::new(0));
        let done = std::sync::atomic::AtomicBool::new(false);
        let (seen, torn) = std::thread::scope(|s| {
            s.spawn(|| {
                let mut n = 0u64;
                while !done.load(Ordering::Relaxed) {
                    n += 1;
                    seq.write(|| words.iter().for_each(|w| w.store(n, Ordering::Relaxed)));
                    // A worker writes between stretches of other work.
                    (0..50).for_each(|_| std::hint::spin_loop());
                }
            });
            while seq.0.load(Ordering::Relaxed) == 0 {
                std::thread::yield_now();
            }
            let (mut seen, mut torn) = (BTreeSet::new(), 0);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while seen.len() < 200 && std::time::Instant::now() < deadline {
                let mut copy = [0u64; 32];
                if seq.read(|| copy.iter_mut().zip(&words).for_each(|(c, w)| *c = w.load(Ordering::Relaxed))) {
                    seen.insert(copy[0]);
                    torn += usize::from(copy.iter().any(|&c| c != copy[0]));
                }
            }
            done.store(true, Ordering::Relaxed);
            (seen.len(), torn)
        });
        assert!(seen >= 200, "the writer ran during {seen} reads only");
        assert_eq!(torn, 0, "{torn} torn copies kept ({seen} values seen)");
    }

    #[test]
    fn a_reader_gives_up_on_a_slot_that_stays_mid_write() {
        let seq = SeqCount(AtomicU32::new(1));
        let mut copies = 0;
        assert!(!seq.read(|| copies += 1));
        assert_eq!(copies, 0, "nothing is copied while the counter is odd");
        let seq = SeqCount(AtomicU32::new(0));
        assert!(seq.read(|| copies += 1));
        assert_eq!(copies, 1);
    }
}
