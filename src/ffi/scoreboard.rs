//! The pool's scoreboard in memory: the shared mapping made before the
//! server forks its workers, one slot per worker, as php-fpm's master maps
//! its scoreboard (`fpm_scoreboard.c`) before forking children; the robust
//! mutexes that say who is alive; the fork hook that lists new workers.
//! What a slot holds and the rules for writing, reading and claiming it are
//! `crate::scoreboard`'s (pure); this module applies them to the mapping.
//!
//! Who is alive is decided by the kernel, not by pids: each slot has a
//! robust, process-shared mutex that its worker locks when it takes the
//! slot and holds for its whole life. When the holder dies (exit, SIGKILL,
//! a crash; also `exec`), the kernel walks its robust list and marks the
//! mutex's word "owner died" before the process becomes a zombie, so a
//! zombie is dead here, and a reused pid cannot pass for the dead worker:
//! liveness is the word, read with one atomic load. A new worker takes the
//! first slot whose mutex it can lock (free or owner-dead): one atomic
//! step, two workers cannot take the same slot.
//!
//! Workers are found before their first request: a fork handler
//! (`pthread_atfork`) takes a slot in every direct child of the process
//! that mapped the scoreboard. The slot a process owns is thread-local, so
//! under ZTS a thread can own one (a worker is a thread there); the fork
//! handler clears the inherited one in every child (a worker's own
//! children, e.g. `proc_open`, are not workers and must not write to it).
//!
//! Under a threaded MPM a worker is a thread (`status::threads`): the fork
//! handler's slot in a threaded child is a *process record* instead, owned
//! by the main thread (which never serves) for the process's life and
//! standing for the child's worker threads; each worker thread takes a slot
//! of its own at its first request, naming the record and the process's
//! pid. A process dies with its main thread's record; its threads' slots
//! die with them (the kernel walks every thread's robust list).
//!
//! Callers may rely on: nothing here touches PHP; [`Scoreboard::create`]
//! happens once per module start-up in the process that forks the workers;
//! every other function is a no-op without a scoreboard.

use std::cell::Cell;
use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, Ordering};

use crate::scoreboard::{
    claim, left_a_request_running, Counters, Field, Fresh, RequestFields, SeqCount, SlotData, Stage, Tally, SLOTS,
};

#[repr(C)]
struct Slot {
    seq: SeqCount,
    data: SlotData,
}

#[repr(C)]
struct Header {
    /// The process that mapped it: its direct children are the workers.
    root_pid: AtomicI32,
    tally: Tally,
    /// The worker threads of each child (0: a child is one worker).
    threads_per_child: AtomicU32,
    locks: [libc::pthread_mutex_t; SLOTS],
    slots: [Slot; SLOTS],
}

/// The kernel's robust-futex word layout (futex(2)): the owner's TID in the
/// low 30 bits, cleared (and OWNER_DIED set) by the kernel when it dies.
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

static BOARD: AtomicPtr<Header> = AtomicPtr::new(std::ptr::null_mut());

/// This process's record (its slot + 1; 0: none), owned by the thread the
/// fork handler ran on and named by the slots its worker threads take.
static RECORD: AtomicU32 = AtomicU32::new(0);

thread_local! {
    /// The slot this thread owns, if it is a worker of the pool.
    static MINE: Cell<Option<usize>> = const { Cell::new(None) };
}

pub struct Scoreboard;

impl Scoreboard {
    /// Maps the scoreboard (shared, anonymous: every child forked after
    /// this inherits it) and registers the fork handler that lists new
    /// workers: each child is one worker, or, with `threads_per_child`,
    /// stands for that many worker threads. False if the system refused
    /// (the caller falls back to a pool of one).
    pub fn create(start_epoch: i64, threads_per_child: u32) -> bool {
        if !BOARD.load(Ordering::Acquire).is_null() {
            return true;
        }
        let size = std::mem::size_of::<Header>();
        // SAFETY: a fresh anonymous mapping, zero-filled by the kernel; the
        // mutexes are initialised before the pointer is published.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                return false;
            }
            let h = p.cast::<Header>();
            let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
            libc::pthread_mutexattr_init(&mut attr);
            libc::pthread_mutexattr_setpshared(&mut attr, libc::PTHREAD_PROCESS_SHARED);
            libc::pthread_mutexattr_setrobust(&mut attr, libc::PTHREAD_MUTEX_ROBUST);
            for i in 0..SLOTS {
                if libc::pthread_mutex_init(std::ptr::addr_of_mut!((*h).locks[i]), &attr) != 0 {
                    libc::munmap(p, size);
                    return false;
                }
            }
            libc::pthread_mutexattr_destroy(&mut attr);
            (*h).root_pid.store(libc::getpid(), Ordering::Relaxed);
            (*h).tally.started_at(start_epoch);
            (*h).threads_per_child.store(threads_per_child, Ordering::Relaxed);
            BOARD.store(h, Ordering::Release);
            register_fork_handler();
        }
        true
    }

    /// Unmaps it (module shutdown) in the process that mapped it: workers
    /// still running keep their own mapping. A worker shutting down (it is
    /// about to exit: `MaxConnectionsPerChild`, `PHP_FCGI_MAX_REQUESTS`)
    /// only forgets it: the kernel marks its slots' mutexes "owner died"
    /// at exit only while they are still mapped, and an unmapped one would
    /// be listed as a live worker for ever.
    pub fn destroy() {
        let h = BOARD.swap(std::ptr::null_mut(), Ordering::AcqRel);
        MINE.with(|m| m.set(None));
        RECORD.store(0, Ordering::Relaxed);
        // SAFETY: getpid cannot fail.
        if !h.is_null() && header(h).root_pid.load(Ordering::Relaxed) == unsafe { libc::getpid() } {
            // SAFETY: the mapping made in create; nobody in this process
            // reads it after the swap.
            unsafe {
                libc::munmap(h.cast(), std::mem::size_of::<Header>());
            }
        }
    }

    pub fn exists() -> bool {
        !BOARD.load(Ordering::Relaxed).is_null()
    }

    /// Whether this thread owns a slot.
    pub fn owns_slot() -> bool {
        MINE.with(Cell::get).is_some()
    }

    /// Takes a slot for this thread (a worker that was not found by the
    /// fork handler: the process that mapped the board when it serves, or
    /// a thread; a thread of a process with a record names it and shows
    /// the process's start). False if there is no board or every slot is
    /// taken.
    pub fn join(fresh: &Fresh) -> bool {
        let Some(h) = board() else { return false };
        if MINE.with(Cell::get).is_some() {
            return true;
        }
        let record = RECORD.load(Ordering::Relaxed);
        let start_epoch = match record {
            0 => fresh.start_epoch,
            // SAFETY: the record's start was written before this process
            // started any thread, and is never written again.
            r => unsafe { std::ptr::read_volatile(std::ptr::addr_of!((*h).slots[r as usize - 1].data.start_epoch)) },
        };
        let Some(i) = take_slot(h, |d| {
            d.pid = fresh.pid;
            d.start_epoch = start_epoch;
            d.record = record;
        }) else {
            return false;
        };
        MINE.with(|m| m.set(Some(i)));
        true
    }

    /// Gives this thread's slot back (a ZTS thread that ends).
    pub fn leave() {
        let (Some(h), Some(i)) = (board(), MINE.with(Cell::take)) else { return };
        write(|d| d.stage = Stage::Idle as u8);
        // SAFETY: this thread locked it in join.
        unsafe {
            libc::pthread_mutex_unlock(std::ptr::addr_of_mut!((*h).locks[i]));
        }
    }

    /// A request starts on this worker: FPM's "reading headers" and
    /// "getting request information" in one step.
    pub fn request_started(now_us: u64, fill: impl FnOnce(&mut RequestFields<'_>)) {
        let Some(h) = board() else { return };
        if MINE.with(Cell::get).is_none() {
            return;
        }
        header(h).tally.request_started();
        write(|d| d.request_started(now_us, fill));
    }

    /// After `fastcgi_finish_request()`.
    pub fn finishing() {
        write(|d| d.stage = Stage::Finishing as u8);
    }

    /// The request ended: the worker is idle and shows what it cost.
    pub fn request_ended(now_us: u64, cpu_percent: f64, memory: u64) {
        let Some(h) = board() else { return };
        if MINE.with(Cell::get).is_none() {
            return;
        }
        header(h).tally.request_ended(memory);
        write(|d| d.request_ended(now_us, cpu_percent, memory));
    }

    pub fn counters() -> Option<Counters> {
        Some(header(board()?).tally.counters())
    }

    /// Every live slot with its index, in slot order (FPM lists its
    /// scoreboard in slot order too): workers and process records
    /// (`threads` > 0). A dead owner's slot is skipped.
    pub fn workers(mut each: impl FnMut(usize, &SlotData)) {
        let Some(h) = board() else { return };
        // A copy on the stack, reused: the slot is about 3 KB.
        let mut copy = SlotData::EMPTY;
        for i in 0..header(h).tally.slots_in_use() {
            if !alive(h, i) {
                continue;
            }
            // SAFETY: the slot lives in the mapping; it is read under its
            // sequence counter and used only if no write overlapped.
            let slot = unsafe { &*std::ptr::addr_of!((*h).slots[i]) };
            let consistent = slot.seq.read(|| unsafe { read_slot(slot, &mut copy) });
            if consistent && copy.pid != 0 && alive(h, i) {
                each(i, &copy);
            }
        }
    }
}

/// Locks the first free (or owner-dead) slot for this thread, fills it
/// fresh (Idle, 0 requests) with `init`, and returns it.
fn take_slot(h: *mut Header, init: impl FnOnce(&mut SlotData)) -> Option<usize> {
    let i = claim(|&i| lock(h, i))?;
    // The slot's last owner is gone: a request it left running no longer
    // counts as active.
    // SAFETY: we own the slot; its data was last written by its owner.
    let slot = unsafe { &*std::ptr::addr_of!((*h).slots[i]) };
    let (pid, stage) = unsafe {
        (std::ptr::read_volatile(std::ptr::addr_of!(slot.data.pid)), std::ptr::read_volatile(std::ptr::addr_of!(slot.data.stage)))
    };
    if left_a_request_running(pid, stage) {
        header(h).tally.request_abandoned();
    }
    write_slot(h, i, |d| {
        *d = SlotData::EMPTY;
        init(d);
    });
    header(h).tally.slot_taken(i);
    Some(i)
}

/// Locks slot `i`'s mutex for this thread if it is free or its owner died.
fn lock(h: *mut Header, i: usize) -> bool {
    // SAFETY: the lock lives in the shared mapping.
    let rc = unsafe { libc::pthread_mutex_trylock(std::ptr::addr_of_mut!((*h).locks[i])) };
    match rc {
        0 => true,
        libc::EOWNERDEAD => {
            // SAFETY: as above; we own it now.
            unsafe { libc::pthread_mutex_consistent(std::ptr::addr_of_mut!((*h).locks[i])) };
            true
        }
        _ => false,
    }
}

fn board() -> Option<*mut Header> {
    let h = BOARD.load(Ordering::Acquire);
    (!h.is_null()).then_some(h)
}

fn header(h: *mut Header) -> &'static Header {
    // SAFETY: a live mapping (unmapped only at module shutdown); the
    // header's counters are atomics, read and written through shared refs.
    unsafe { &*h }
}

/// Whether slot `i`'s owner is alive: the TID in its robust mutex's word.
fn alive(h: *mut Header, i: usize) -> bool {
    // SAFETY: the first field of glibc's pthread_mutex_t is the futex word
    // (`__data.__lock`), which the kernel's robust-futex ABI reads and
    // writes; an atomic load of it is what the kernel and glibc do.
    let word = unsafe { &*std::ptr::addr_of!((*h).locks[i]).cast::<AtomicU32>() };
    word.load(Ordering::Acquire) & FUTEX_TID_MASK != 0
}

/// Copies a slot that another process may be writing: byte copies through
/// raw pointers, judged afterwards by the sequence counter.
///
/// # Safety
/// `slot` is a slot of the mapping.
unsafe fn read_slot(slot: &Slot, out: &mut SlotData) {
    let src = std::ptr::addr_of!(slot.data);
    // The fixed part, then only the used bytes of each field.
    out.pid = std::ptr::read_volatile(std::ptr::addr_of!((*src).pid));
    out.stage = std::ptr::read_volatile(std::ptr::addr_of!((*src).stage));
    out.threads = std::ptr::read_volatile(std::ptr::addr_of!((*src).threads));
    out.record = std::ptr::read_volatile(std::ptr::addr_of!((*src).record));
    out.requests = std::ptr::read_volatile(std::ptr::addr_of!((*src).requests));
    out.start_epoch = std::ptr::read_volatile(std::ptr::addr_of!((*src).start_epoch));
    out.accepted_us = std::ptr::read_volatile(std::ptr::addr_of!((*src).accepted_us));
    out.duration_us = std::ptr::read_volatile(std::ptr::addr_of!((*src).duration_us));
    out.content_length = std::ptr::read_volatile(std::ptr::addr_of!((*src).content_length));
    out.last_cpu_percent = std::ptr::read_volatile(std::ptr::addr_of!((*src).last_cpu_percent));
    out.last_memory = std::ptr::read_volatile(std::ptr::addr_of!((*src).last_memory));
    copy_field(std::ptr::addr_of!((*src).method), &mut out.method);
    copy_field(std::ptr::addr_of!((*src).uri), &mut out.uri);
    copy_field(std::ptr::addr_of!((*src).query), &mut out.query);
    copy_field(std::ptr::addr_of!((*src).script), &mut out.script);
    copy_field(std::ptr::addr_of!((*src).user), &mut out.user);
}

unsafe fn copy_field<const N: usize>(src: *const Field<N>, out: &mut Field<N>) {
    let len = usize::from(std::ptr::read_volatile(std::ptr::addr_of!((*src).len))).min(N);
    std::ptr::copy_nonoverlapping(std::ptr::addr_of!((*src).bytes).cast::<u8>(), out.bytes.as_mut_ptr(), len);
    out.len = len as u16;
}

/// Runs `change` on this thread's slot under its sequence counter.
fn write(change: impl FnOnce(&mut SlotData)) {
    let (Some(h), Some(i)) = (board(), MINE.with(Cell::get)) else { return };
    write_slot(h, i, change);
}

/// Runs `change` on slot `i`, which this thread owns, under its sequence
/// counter.
fn write_slot(h: *mut Header, i: usize, change: impl FnOnce(&mut SlotData)) {
    // SAFETY: only the owner writes its slot; readers judge their copy by
    // the counter, odd while this runs.
    unsafe {
        let slot = std::ptr::addr_of_mut!((*h).slots[i]);
        (*slot).seq.write(|| change(&mut *std::ptr::addr_of_mut!((*slot).data)));
    }
}

fn register_fork_handler() {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: a child handler that only touches our own state. glibc
        // ties the handler to this library and drops it if it is unloaded.
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
}

/// In every child forked by any process holding the library: the slot and
/// record the parent owned are not the child's; a direct child of the
/// process that mapped the board is a new worker and takes its slot now,
/// so it is listed (Idle, 0 requests) before its first request, as php-fpm
/// lists a fresh child. Under a threaded MPM that slot is the child's
/// process record, standing for its worker threads (listed the same way).
extern "C" fn after_fork_in_child() {
    let _ = std::panic::catch_unwind(|| {
        MINE.with(|m| m.set(None));
        RECORD.store(0, Ordering::Relaxed);
        let Some(h) = board() else { return };
        // SAFETY: getppid/getpid/time cannot fail.
        let (parent, pid, now) = unsafe { (libc::getppid(), libc::getpid(), libc::time(std::ptr::null_mut())) };
        if parent != header(h).root_pid.load(Ordering::Relaxed) {
            return;
        }
        let fresh = Fresh { pid, start_epoch: now as i64 };
        match header(h).threads_per_child.load(Ordering::Relaxed) {
            0 => {
                Scoreboard::join(&fresh);
            }
            threads => {
                let record = take_slot(h, |d| {
                    d.pid = fresh.pid;
                    d.start_epoch = fresh.start_epoch;
                    d.threads = threads;
                });
                if let Some(i) = record {
                    RECORD.store(i as u32 + 1, Ordering::Relaxed);
                }
            }
        }
    });
}

/// CLOCK_MONOTONIC in µs: the same clock in every process, for durations.
pub fn monotonic_us() -> u64 {
    // SAFETY: clock_gettime fills a timespec (vDSO, no system call).
    unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts);
        ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The board is process-wide: the tests that use it run one at a time.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn pids() -> Vec<(i32, u8, u64)> {
        let mut out = Vec::new();
        Scoreboard::workers(|_, d| out.push((d.pid, d.stage, d.requests)));
        out
    }

    fn fork_worker(then: impl FnOnce()) -> i32 {
        // SAFETY: the child only runs `then` and _exit; cargo's test threads
        // are not touched in it.
        unsafe {
            match libc::fork() {
                0 => {
                    then();
                    libc::_exit(0);
                }
                pid => pid,
            }
        }
    }

    fn fork_idle_worker() -> i32 {
        fork_worker(|| unsafe {
            libc::pause();
        })
    }

    /// SIGKILLs a worker, waits until `dropped`, and checks that it was a
    /// zombie until then (not reaped yet).
    fn kill_then_dropped_as_a_zombie(pid: i32, dropped: impl Fn() -> bool) {
        unsafe { libc::kill(pid, libc::SIGKILL) };
        wait_until("killed worker dropped", dropped);
        let mut st = 0;
        assert_eq!(unsafe { libc::waitpid(pid, &mut st, libc::WNOHANG) }, pid, "it was a zombie until now");
    }

    fn kill_and_reap(pid: i32) {
        let mut st = 0;
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, &mut st, 0);
        }
    }

    fn wait_until(what: &str, cond: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !cond() {
            assert!(std::time::Instant::now() < deadline, "{what}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn children_are_listed_before_a_request_and_dead_ones_never() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        assert!(Scoreboard::create(1_700_000_000, 0));
        // Two fresh workers that wait; the fork handler lists them.
        let a = fork_idle_worker();
        let b = fork_worker(|| {
            Scoreboard::request_started(monotonic_us(), |f| f.set(Some(b"GET"), Some(b"/x"), None, None, None, 0));
            unsafe { libc::pause() };
        });
        wait_until("both listed", || {
            let p = pids();
            p.iter().any(|w| w.0 == a && w.1 == Stage::Idle as u8 && w.2 == 0)
                && p.iter().any(|w| w.0 == b && w.1 == Stage::Running as u8 && w.2 == 1)
        });
        assert!(!Scoreboard::owns_slot(), "the parent (not serving) owns no slot");
        // SIGKILL b: gone from the next read even as a zombie (not reaped yet).
        kill_then_dropped_as_a_zombie(b, || !pids().iter().any(|w| w.0 == b));
        assert_eq!(Scoreboard::counters().unwrap().accepted, 1, "its request stays counted");
        // A replacement takes the freed slot and starts fresh.
        let c = fork_idle_worker();
        wait_until("replacement listed", || pids().iter().any(|w| w.0 == c && w.2 == 0));
        assert_eq!(pids().len(), 2);
        [a, c].into_iter().for_each(kill_and_reap);
        assert!(pids().is_empty());
        Scoreboard::destroy();
    }

    #[test]
    fn a_grandchild_is_not_a_worker_and_does_not_write_its_parents_slot() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        assert!(Scoreboard::create(1_700_000_000, 0));
        let mut fds = [0; 2];
        unsafe { libc::pipe(fds.as_mut_ptr()) };
        let (r, w) = (fds[0], fds[1]);
        let worker = fork_worker(|| {
            assert!(Scoreboard::owns_slot());
            let grandchild = fork_worker(|| {
                let owns = Scoreboard::owns_slot();
                Scoreboard::request_started(0, |f| f.set(Some(b"POST"), None, None, None, None, 0));
                unsafe { libc::write(w, [u8::from(owns)].as_ptr().cast(), 1) };
            });
            let mut st = 0;
            unsafe { libc::waitpid(grandchild, &mut st, 0) };
            unsafe { libc::pause() };
        });
        let mut owned = [9u8];
        unsafe { libc::read(r, owned.as_mut_ptr().cast(), 1) };
        assert_eq!(owned[0], 0, "the grandchild inherited no slot");
        wait_until("worker listed", || pids().iter().any(|p| p.0 == worker));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(pids(), vec![(worker, Stage::Idle as u8, 0)]);
        assert_eq!(Scoreboard::counters().unwrap().accepted, 0);
        kill_and_reap(worker);
        unsafe {
            libc::close(r);
            libc::close(w);
        }
        Scoreboard::destroy();
    }

    #[test]
    fn a_worker_that_shuts_down_and_exits_is_gone() {
        // PHP's module shutdown runs in a worker that exits on its own
        // (MaxConnectionsPerChild, PHP_FCGI_MAX_REQUESTS), on the thread
        // that holds its slot or record.
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        for threads in [0, 4] {
            assert!(Scoreboard::create(1_700_000_000, threads));
            let mut fds = [0; 2];
            unsafe { libc::pipe(fds.as_mut_ptr()) };
            let worker = fork_worker(|| {
                let mut go = [0u8];
                unsafe { libc::read(fds[0], go.as_mut_ptr().cast(), 1) };
                Scoreboard::destroy();
            });
            wait_until("listed", || slots().iter().any(|s| s.1 == worker));
            unsafe { libc::write(fds[1], [1u8].as_ptr().cast(), 1) };
            let mut st = 0;
            unsafe { libc::waitpid(worker, &mut st, 0) };
            assert_eq!(slots(), vec![], "threads_per_child {threads}");
            unsafe {
                libc::close(fds[0]);
                libc::close(fds[1]);
            }
            Scoreboard::destroy();
        }
    }

    /// (slot, pid, stage, requests, threads, record) of every live slot.
    fn slots() -> Vec<(usize, i32, u8, u64, u32, u32)> {
        let mut out = Vec::new();
        Scoreboard::workers(|i, d| out.push((i, d.pid, d.stage, d.requests, d.threads, d.record)));
        out
    }

    #[test]
    fn a_threaded_child_is_a_record_its_threads_name_it_and_all_die_with_it() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        assert!(Scoreboard::create(1_700_000_000, 3));
        let child = fork_worker(|| {
            // The main thread owns the record and serves nothing.
            let main_owns = Scoreboard::owns_slot();
            let serve = move |end: bool| {
                assert!(!main_owns);
                assert!(Scoreboard::join(&Fresh { pid: std::process::id() as i32, start_epoch: 1 }));
                Scoreboard::request_started(monotonic_us(), |f| f.set(Some(b"GET"), Some(b"/t"), None, None, None, 0));
                if end {
                    Scoreboard::request_ended(monotonic_us(), 0.0, 0);
                }
            };
            // Worker threads live as long as their process (a thread that
            // ends releases its slot).
            let threads: Vec<_> = [false, true]
                .into_iter()
                .map(|end| {
                    std::thread::spawn(move || {
                        serve(end);
                        unsafe { libc::pause() };
                    })
                })
                .collect();
            threads.into_iter().for_each(|t| drop(t.join()));
        });
        wait_until("the record and two threads listed", || slots().iter().filter(|s| s.3 == 1).count() == 2);
        let listed = slots();
        let [record] = listed.iter().filter(|s| s.4 > 0).collect::<Vec<_>>()[..] else { panic!("{listed:?}") };
        assert_eq!((record.1, record.2, record.3, record.4, record.5), (child, Stage::Idle as u8, 0, 3, 0));
        let mut threads: Vec<_> =
            listed.iter().filter(|s| s.4 == 0).map(|s| (s.1, s.2, s.3, s.5 as usize)).collect();
        threads.sort();
        let r = record.0 + 1;
        assert_eq!(threads, vec![(child, Stage::Idle as u8, 1, r), (child, Stage::Running as u8, 1, r)]);
        // SIGKILL: the record and every thread's slot gone, the child a zombie.
        kill_then_dropped_as_a_zombie(child, || slots().is_empty());
        assert_eq!(Scoreboard::counters().unwrap().accepted, 2, "its requests stay counted");
        // A replacement child is a fresh record.
        let next = fork_idle_worker();
        wait_until("the replacement's record", || slots().iter().any(|s| s.1 == next && s.4 == 3));
        assert_eq!(slots().len(), 1);
        kill_and_reap(next);
        Scoreboard::destroy();
    }

    #[test]
    fn reading_256_workers() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        assert!(Scoreboard::create(1_700_000_000, 0));
        let kids: Vec<i32> = (0..256)
            .map(|_| {
                fork_worker(|| {
                    Scoreboard::request_started(monotonic_us(), |f| {
                        f.set(Some(b"GET"), Some(b"/index.php"), Some(b"a=1"), Some(b"/srv/index.php"), None, 0)
                    });
                    unsafe { libc::pause() };
                })
            })
            .collect();
        wait_until("all listed", || pids().iter().filter(|p| p.2 == 1).count() == 256);
        let mut best = u128::MAX;
        for _ in 0..20 {
            let t = std::time::Instant::now();
            let mut n = 0;
            Scoreboard::workers(|_, d| n += d.uri.get().len());
            best = best.min(t.elapsed().as_nanos());
            assert_eq!(n, 256 * 10);
        }
        eprintln!("scoreboard: reading 256 workers took {} µs (best of 20)", best / 1000);
        kids.into_iter().for_each(kill_and_reap);
        Scoreboard::destroy();
    }

    /// bench/pool_status.py runs this (`--ignored`): what a worker adds to
    /// each request with the scoreboard on, as `status::live` does it: request
    /// start and end in the slot (the shared clock, the counters, the
    /// fields), then with the CPU clock, read at most once a tick; and what
    /// one reading of the CPU clock costs (php-fpm reads it twice a request).
    #[test]
    #[ignore]
    fn bench_request_cost() {
        use crate::ffi::os::request_cpu_us;
        use crate::status::CpuClock;
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        assert!(Scoreboard::create(1_700_000_000, 0));
        assert!(Scoreboard::join(&Fresh { pid: 1, start_epoch: 0 }));
        let median_ns = |cycle: &mut dyn FnMut()| {
            let mut rounds = Vec::new();
            for _ in 0..15 {
                let t = std::time::Instant::now();
                for _ in 0..100_000 {
                    cycle();
                }
                rounds.push(t.elapsed().as_nanos() as f64 / 100_000.0);
            }
            rounds.sort_by(f64::total_cmp);
            rounds[7]
        };
        let request = |cpu: Option<&mut CpuClock>| {
            let start = monotonic_us();
            let mut cpu = cpu;
            if let Some(c) = cpu.as_deref_mut() {
                c.request_started(start, request_cpu_us);
            }
            Scoreboard::request_started(start, |f| {
                f.set(Some(b"GET"), Some(b"/index.php"), Some(b"page=2&sort=name"), Some(b"/var/www/html/index.php"), None, 0)
            });
            let end = monotonic_us();
            let share = cpu.map_or(0.0, |c| c.request_ended(end, end - start, request_cpu_us));
            Scoreboard::request_ended(end, share, 2_097_152);
        };
        let plain = median_ns(&mut || request(None));
        let mut clock = CpuClock::new();
        let with_cpu = median_ns(&mut || request(Some(&mut clock)));
        let reading = median_ns(&mut || {
            std::hint::black_box(request_cpu_us());
        });
        println!("scoreboard request cost: {plain:.0} ns per request (median of 15 x 100000)");
        println!("scoreboard request cost with the CPU clock read once a tick: {with_cpu:.0} ns per request (median of 15 x 100000)");
        println!("one reading of the CPU clock: {reading:.0} ns (median of 15 x 100000)");
        Scoreboard::leave();
        Scoreboard::destroy();
    }
}
