//! What a detached child keeps of its request, on the operating system's
//! side: interval timers a child does not inherit, and the per-user count of
//! live detached children.
//!
//! Both exist because a forked child escapes what bounded the request it
//! continues: `fork()` does not copy interval timers (PHP's
//! `max_execution_time` is `ITIMER_PROF`), and the web server no longer
//! counts the child among its workers.

use std::ffi::c_int;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

const TIMERS: [c_int; 3] = [libc::ITIMER_REAL, libc::ITIMER_VIRTUAL, libc::ITIMER_PROF];

/// The interval timers running in this process (PHP's time limit, a
/// script's `pcntl_alarm()`), as they stand now.
pub struct Timers([libc::itimerval; 3]);

impl Timers {
    pub fn read() -> Self {
        // SAFETY: getitimer fills a plain struct; an unknown timer fails and
        // leaves it zeroed (disarmed).
        Timers(TIMERS.map(|which| unsafe {
            let mut value: libc::itimerval = std::mem::zeroed();
            libc::getitimer(which, &mut value);
            value
        }))
    }

    /// Arms the same timers with what was left of them when read: the child
    /// of a fork gets the remainder of its parent's limits, not fresh ones.
    pub fn rearm(&self) {
        for (which, value) in TIMERS.iter().zip(&self.0) {
            // SAFETY: setitimer with a value getitimer produced.
            unsafe {
                libc::setitimer(*which, value, std::ptr::null_mut());
            }
        }
    }
}

/// One of `fpm_compat.max_detached` slots, held by the process that keeps
/// this descriptor open, and by its forked children, until the last of them
/// exits. The slots are byte locks (open-file-description locks) on one file
/// per user in the temporary directory: the kernel releases them however the
/// holder ends (exit, fatal error, SIGKILL), so the count never goes stale,
/// and taking one is a single atomic `fcntl`, so concurrent requests in
/// separate processes cannot both take the last one.
pub struct Slot(OwnedFd);

/// Why no slot was taken.
pub enum NoSlot {
    /// Every slot is held by a live child.
    AllTaken(u32),
    /// The slot file cannot be used; the reason says why.
    Unusable(String),
}

impl Slot {
    /// One of `slots` slots counted in `dir` (see [`slot_dir`]).
    pub fn take(dir: &Path, slots: u32) -> Result<Slot, NoSlot> {
        let fd = open_slot_file(&slot_file(dir)).map_err(NoSlot::Unusable)?;
        for index in 0..slots {
            if lock_byte(&fd, index) {
                return Ok(Slot(fd));
            }
        }
        Err(NoSlot::AllTaken(slots))
    }

    /// Keeps the slot for as long as this process (or a child forked from
    /// it) lives: the descriptor is never closed, the kernel frees it at exit.
    pub fn hold_until_exit(self) {
        std::mem::forget(self.0);
    }
}

/// Where the slots are counted: `$TMPDIR`, else /tmp.
pub fn slot_dir() -> PathBuf {
    std::env::temp_dir()
}

/// The slot file in `dir`: one per user.
fn slot_file(dir: &Path) -> PathBuf {
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    dir.join(format!("fpm_compat-detached.{uid}"))
}

fn open_slot_file(path: &Path) -> Result<OwnedFd, String> {
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: open with a NUL-terminated path; the descriptor is owned below.
    // O_NOFOLLOW and the owner check keep another user's file (or link) in a
    // shared /tmp from standing in for ours. O_CLOEXEC: a program the child
    // runs must not hold the slot after the child is gone.
    let fd = unsafe {
        libc::open(c_path.as_ptr(), libc::O_RDWR | libc::O_CREAT | libc::O_NOFOLLOW | libc::O_CLOEXEC, 0o600)
    };
    if fd < 0 {
        return Err(format!("{}: {}", path.display(), std::io::Error::last_os_error()));
    }
    // SAFETY: fd was just opened and is owned by nothing else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: fstat on an open descriptor into a zeroed struct.
    let st = unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        libc::fstat(fd.as_raw_fd(), &mut st);
        st
    };
    // SAFETY: geteuid cannot fail.
    let ours = st.st_uid == unsafe { libc::geteuid() } && st.st_mode & libc::S_IFMT == libc::S_IFREG;
    if !ours {
        return Err(format!("{}: not a regular file owned by this user", path.display()));
    }
    Ok(fd)
}

#[cfg(not(target_os = "linux"))]
fn lock_byte(_fd: &OwnedFd, _index: u32) -> bool {
    // Open-file-description locks are Linux's; elsewhere no slot is ever
    // free, so nothing forks unless fpm_compat.max_detached=0.
    false
}

#[cfg(target_os = "linux")]
fn lock_byte(fd: &OwnedFd, index: u32) -> bool {
    // SAFETY: F_OFD_SETLK takes a zeroed flock with l_pid 0; it does not block.
    unsafe {
        let mut lock: libc::flock = std::mem::zeroed();
        lock.l_type = libc::F_WRLCK as _;
        lock.l_whence = libc::SEEK_SET as _;
        lock.l_start = i64::from(index) as _;
        lock.l_len = 1;
        libc::fcntl(fd.as_raw_fd(), libc::F_OFD_SETLK, &lock) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fpm_compat-test-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn slots_bound_holders_and_free_when_dropped() {
        let dir = scratch_dir("slots");
        // Each take opens its own file description, so even one process
        // holds distinct slots, as separate processes do.
        let first = Slot::take(&dir, 2).ok().expect("first slot");
        let second = Slot::take(&dir, 2).ok().expect("second slot");
        assert!(matches!(Slot::take(&dir, 2), Err(NoSlot::AllTaken(2))));
        drop(first);
        let third = Slot::take(&dir, 2).ok().expect("the freed slot");
        drop((second, third));
        let mode = std::fs::metadata(slot_file(&dir)).unwrap().permissions();
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_link_in_place_of_the_slot_file_is_refused() {
        let dir = scratch_dir("link");
        std::os::unix::fs::symlink("/dev/null", slot_file(&dir)).unwrap();
        assert!(matches!(Slot::take(&dir, 2), Err(NoSlot::Unusable(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
