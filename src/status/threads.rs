//! The pool under Apache's threaded MPMs (event, worker): a worker is a
//! thread, as php-fpm's pool has one request per worker.
//!
//! A child process stands for `ThreadsPerChild` workers from its fork on.
//! Its main thread, which never serves, owns a *process record* in the
//! scoreboard (alive while the process is); each worker thread takes a slot
//! of its own at its first request, naming the record. A status read lists
//! the threads that have served with their own figures and, at the
//! record's place, the rest as fresh workers (Idle, 0 requests: as php-fpm
//! lists a fresh child), so the pool has children × ThreadsPerChild
//! workers from the first read, and a dead child's workers all vanish with
//! its record. The reader counts the threads that joined as it reads them,
//! so a thread that joins during the read is listed once either way.
//!
//! Pure: plain data in, plain data out.

use std::collections::HashMap;

use super::Worker;

/// How many workers one child of the server stands for before its threads
/// serve: `ThreadsPerChild` under a threaded MPM; 0 where the child itself
/// is the worker (prefork, and every other server).
pub fn workers_per_child(threaded: bool, threads_per_child: i32) -> u32 {
    if threaded {
        u32::try_from(threads_per_child).unwrap_or(0)
    } else {
        0
    }
}

/// What a live scoreboard slot is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    /// A worker process (prefork, php -S, php-cgi), or a thread of a
    /// process without a record (`apache2 -X`).
    Worker,
    /// A worker thread of the process whose record is at slot `record`.
    Thread { record: usize, pid: i64 },
    /// A threaded child's record at slot `slot`, standing for `threads`
    /// workers.
    Process { slot: usize, threads: u32 },
}

impl Member {
    /// A slot's kind from its fields: `threads` (a record's workers, else
    /// 0) and `record` (a thread's record's slot + 1, else 0).
    pub fn of(slot: usize, pid: i64, threads: u32, record: u32) -> Member {
        match (threads, record) {
            (0, 0) => Member::Worker,
            (0, r) => Member::Thread { record: r as usize - 1, pid },
            (n, _) => Member::Process { slot, threads: n },
        }
    }
}

/// How many fresh workers a process record adds: those of its threads that
/// have not joined (more threads than expected, such as mod_http2's own
/// workers, add none).
pub fn fresh_workers(threads: u32, joined: u32) -> u32 {
    threads.saturating_sub(joined)
}

/// The pool's workers from its live slots in slot order, each with what it
/// is: a process record becomes its fresh workers (copies of the record's
/// own figures: its pid and start, Idle, 0 requests) at its place; a
/// thread whose record is gone or belongs to another process (its process
/// is dying: a pid is only reused once all its threads are dead) is left
/// out.
pub fn pool_workers(slots: Vec<(Member, Worker)>) -> Vec<Worker> {
    // Each record's pid and the threads that joined it.
    let mut records: HashMap<usize, (i64, u32)> = HashMap::new();
    for (member, worker) in &slots {
        if let Member::Process { slot, .. } = *member {
            records.insert(slot, (worker.pid, 0));
        }
    }
    let belongs = |records: &HashMap<usize, (i64, u32)>, record: usize, pid: i64| {
        records.get(&record).is_some_and(|&(owner, _)| owner == pid)
    };
    for (member, _) in &slots {
        if let Member::Thread { record, pid } = *member {
            if belongs(&records, record, pid) {
                records.entry(record).and_modify(|(_, joined)| *joined += 1);
            }
        }
    }
    let mut out = Vec::with_capacity(slots.len());
    for (member, worker) in slots {
        match member {
            Member::Process { slot, threads } => {
                let n = fresh_workers(threads, records[&slot].1);
                out.extend(std::iter::repeat_n(worker, n as usize));
            }
            Member::Thread { record, pid } if !belongs(&records, record, pid) => {}
            _ => out.push(worker),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{RequestInfo, State};

    fn worker(pid: i64, state: State, requests: u64) -> Worker {
        Worker {
            pid,
            start_epoch: 1_700_000_000,
            requests,
            state,
            request_duration_us: 0,
            request: RequestInfo::default(),
            last: None,
        }
    }

    fn summary(workers: &[Worker]) -> Vec<(i64, State, u64)> {
        workers.iter().map(|w| (w.pid, w.state, w.requests)).collect()
    }

    #[test]
    fn a_child_stands_for_its_threads_under_a_threaded_mpm_only() {
        assert_eq!(workers_per_child(true, 25), 25);
        assert_eq!(workers_per_child(false, 1), 0, "prefork: the child is the worker");
        assert_eq!(workers_per_child(true, 0), 0);
        assert_eq!(workers_per_child(true, -1), 0);
    }

    #[test]
    fn slot_kinds() {
        assert_eq!(Member::of(3, 10, 0, 0), Member::Worker);
        assert_eq!(Member::of(3, 10, 0, 8), Member::Thread { record: 7, pid: 10 });
        assert_eq!(Member::of(3, 10, 16, 0), Member::Process { slot: 3, threads: 16 });
    }

    #[test]
    fn fresh_workers_are_those_not_joined() {
        assert_eq!(fresh_workers(16, 0), 16);
        assert_eq!(fresh_workers(16, 3), 13);
        assert_eq!(fresh_workers(2, 5), 0, "extra threads (mod_http2's) add none");
    }

    #[test]
    fn a_fresh_child_is_all_idle_workers_of_its_pid() {
        let slots = vec![(Member::Process { slot: 0, threads: 3 }, worker(100, State::Idle, 0))];
        assert_eq!(summary(&pool_workers(slots)), vec![(100, State::Idle, 0); 3]);
    }

    #[test]
    fn joined_threads_show_their_own_slot_and_the_rest_stay_fresh() {
        let slots = vec![
            // A thread that took a lower slot than its record (a dead worker's).
            (Member::Thread { record: 1, pid: 100 }, worker(100, State::Running, 1)),
            (Member::Process { slot: 1, threads: 4 }, worker(100, State::Idle, 0)),
            (Member::Process { slot: 2, threads: 4 }, worker(200, State::Idle, 0)),
            (Member::Thread { record: 1, pid: 100 }, worker(100, State::Finishing, 7)),
            (Member::Thread { record: 2, pid: 200 }, worker(200, State::Idle, 2)),
        ];
        let got = summary(&pool_workers(slots));
        assert_eq!(
            got,
            vec![
                (100, State::Running, 1),
                (100, State::Idle, 0),
                (100, State::Idle, 0),
                (200, State::Idle, 0),
                (200, State::Idle, 0),
                (200, State::Idle, 0),
                (100, State::Finishing, 7),
                (200, State::Idle, 2),
            ]
        );
        assert_eq!(got.len(), 8, "two children of four threads");
    }

    #[test]
    fn a_dead_childs_threads_are_not_listed() {
        // Its record is gone (the main thread died first), or its slot was
        // taken by another child: the threads still seen are dying.
        let slots = vec![
            (Member::Thread { record: 0, pid: 100 }, worker(100, State::Running, 3)),
            (Member::Thread { record: 5, pid: 100 }, worker(100, State::Idle, 1)),
            (Member::Process { slot: 5, threads: 2 }, worker(300, State::Idle, 0)),
        ];
        assert_eq!(summary(&pool_workers(slots)), vec![(300, State::Idle, 0); 2]);
    }

    #[test]
    fn more_threads_than_expected_are_all_listed() {
        let slots = vec![
            (Member::Process { slot: 0, threads: 1 }, worker(100, State::Idle, 0)),
            (Member::Thread { record: 0, pid: 100 }, worker(100, State::Running, 1)),
            (Member::Thread { record: 0, pid: 100 }, worker(100, State::Running, 1)),
        ];
        assert_eq!(summary(&pool_workers(slots)), vec![(100, State::Running, 1); 2]);
    }

    #[test]
    fn plain_workers_are_kept_as_they_are() {
        let slots = vec![(Member::Worker, worker(1, State::Idle, 4)), (Member::Worker, worker(2, State::Running, 1))];
        assert_eq!(summary(&pool_workers(slots)), vec![(1, State::Idle, 4), (2, State::Running, 1)]);
    }
}
