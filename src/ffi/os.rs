//! The operating system: descriptors, sockets, processes, signals and
//! resource figures, through libc only (no PHP types or symbols, so the
//! unit tests below run without PHP).
//!
//! Callers may rely on: every function takes plain descriptor numbers and
//! reports failure in its result instead of panicking; nothing here closes
//! a socket that may have unread input except through
//! [`replace_with_dev_null`], after [`drain_input`].

use std::ffi::c_int;

/// Whether this PHP is thread-safe (ZTS): a build constant of ext-php-rs,
/// not a PHP symbol. With threads, process-wide figures are not this
/// request's.
const ZTS: bool = ext_php_rs::PHP_ZTS;

/// Flushes C stdio buffers (extensions and the SAPI may use them).
pub fn flush_c_stdio() {
    // SAFETY: fflush(NULL) flushes every open output stream.
    unsafe {
        libc::fflush(std::ptr::null_mut());
    }
}

/// Points stdout and stderr (and stdin if asked) at /dev/null, so whoever
/// reads our output sees end-of-file while this process runs on. Copies of
/// those descriptors are redirected too: phpdbg, for one, writes through a
/// dup of stdout, and any copy left open keeps the reader waiting.
pub fn stdio_to_dev_null(stdin_too: bool) {
    let std_fds: &[c_int] = if stdin_too { &[0, 1, 2] } else { &[1, 2] };
    let identities: Vec<(u64, u64)> = std_fds.iter().filter_map(|&fd| file_identity(fd)).collect();
    let copies: Vec<c_int> = open_descriptors()
        .into_iter()
        .filter(|&fd| fd > 2 && file_identity(fd).is_some_and(|id| identities.contains(&id)))
        .collect();
    // In place: PHP's STDOUT/STDERR streams keep working (into /dev/null).
    for fd in std_fds.iter().copied().chain(copies) {
        replace_with_dev_null(fd);
    }
}

/// The descriptors this process has open (/proc/self/fd).
fn open_descriptors() -> Vec<c_int> {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else { return Vec::new() };
    entries.flatten().filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok())).collect()
}

/// (device, inode) of what a descriptor refers to: the same pipe, socket or
/// file has the same identity in every copy of the descriptor.
fn file_identity(fd: c_int) -> Option<(u64, u64)> {
    let st = fstat(fd)?;
    let kind = st.st_mode & libc::S_IFMT;
    // Only pipes and sockets keep a reader waiting for end-of-file; a
    // file the script also opened for itself must stay as it is.
    (kind == libc::S_IFIFO || kind == libc::S_IFSOCK).then_some((st.st_dev as u64, st.st_ino as u64))
}

fn fstat(fd: c_int) -> Option<libc::stat> {
    // SAFETY: fstat on a descriptor number into a struct we own; a closed
    // one just fails.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        (libc::fstat(fd, &mut st) == 0).then_some(st)
    }
}

/// How many threads this process has (`Threads:` in /proc/self/status).
pub fn thread_count() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| line.strip_prefix("Threads:")).and_then(|n| n.trim().parse().ok())
}

/// Forks: the parent exits 0 at once (its caller is released), the child
/// returns Ok and runs the rest of the request in a new session with its
/// stdio on /dev/null, so the caller's terminal hang-up does not reach it.
pub fn detach_into_child() -> Result<(), String> {
    // SAFETY: only called while this process has one thread (`detach`
    // checks); the child continues the PHP request as the single owner of
    // its state, TSRM's per-thread storage included (it is this thread's).
    unsafe {
        match libc::fork() {
            -1 => Err(std::io::Error::last_os_error().to_string()),
            0 => {
                libc::setsid();
                stdio_to_dev_null(true);
                Ok(())
            }
            _ => libc::_exit(0),
        }
    }
}



/// Runs `body` with SIGPIPE ignored, then puts the previous disposition
/// back (not after a bailout, which ends the script anyway). A flush to a
/// pipe whose reader has gone then fails with EPIPE instead of killing the
/// process: the CLI ignores SIGPIPE itself, phpdbg does not.
pub fn with_sigpipe_ignored<T>(body: impl FnOnce() -> T) -> T {
    // SAFETY: signal() with SIG_IGN and the handler it returned. The
    // disposition is process-wide: only cli and phpdbg call this, whose
    // request thread is the process's one PHP thread.
    unsafe {
        let previous = libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        let value = body();
        if previous != libc::SIG_ERR {
            libc::signal(libc::SIGPIPE, previous);
        }
        value
    }
}

/// Calls `shutdown(fd, SHUT_WR)`: the peer reads end-of-file; unread input
/// stays, so the peer sees no reset.
pub fn shutdown_write(fd: c_int) -> bool {
    // SAFETY: a descriptor number.
    unsafe { libc::shutdown(fd, libc::SHUT_WR) == 0 }
}

/// What `fd` refers to, as (device, inode); None if `fd` is not open. Two
/// equal answers for one number mean it still refers to the same thing.
pub fn identity(fd: c_int) -> Option<(u64, u64)> {
    fstat(fd).map(|st| (st.st_dev as u64, st.st_ino as u64))
}

/// Reads and drops whatever input is waiting on `fd`, without blocking.
pub fn drain_input(fd: c_int) {
    let mut buf = [0u8; 8192];
    // SAFETY: recv into a live buffer.
    while unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) } > 0 {}
}

/// Points descriptor `fd` at /dev/null: what it referred to is closed (if
/// this was its last descriptor), and later reads and writes on `fd` go
/// nowhere instead of failing.
pub fn replace_with_dev_null(fd: c_int) {
    // SAFETY: plain descriptor calls.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, fd);
            libc::close(null);
        }
    }
}

/// Descriptors of this process that are connected IP sockets, with their
/// peer's address.
pub fn connected_sockets() -> Vec<(c_int, std::net::SocketAddr)> {
    open_descriptors().into_iter().filter_map(|fd| Some((fd, peer_addr(fd)?))).collect()
}

fn peer_addr(fd: c_int) -> Option<std::net::SocketAddr> {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
    // SAFETY: getpeername fills a sockaddr_storage of the given size.
    unsafe {
        let mut storage: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getpeername(fd, std::ptr::from_mut(&mut storage).cast(), &mut len) != 0 {
            return None;
        }
        match storage.ss_family as c_int {
            libc::AF_INET => {
                let a = &*std::ptr::from_ref(&storage).cast::<libc::sockaddr_in>();
                Some(SocketAddr::from((Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)), u16::from_be(a.sin_port))))
            }
            libc::AF_INET6 => {
                let a = &*std::ptr::from_ref(&storage).cast::<libc::sockaddr_in6>();
                Some(SocketAddr::from((Ipv6Addr::from(a.sin6_addr.s6_addr), u16::from_be(a.sin6_port))))
            }
            _ => None,
        }
    }
}

/// An int-sized SOL_SOCKET option of `fd`; None if `fd` is no socket.
fn socket_option(fd: c_int, option: c_int) -> Option<c_int> {
    let mut value: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: getsockopt into an int we own, with its size.
    let rc = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, option, std::ptr::from_mut(&mut value).cast(), &mut len) };
    (rc == 0).then_some(value)
}

/// Whether `fd` is a listening socket (SO_ACCEPTCONN).
pub fn is_listening_socket(fd: c_int) -> bool {
    socket_option(fd, libc::SO_ACCEPTCONN).is_some_and(|v| v != 0)
}

/// Whether `fd` is a connected stream socket (TCP or Unix).
pub fn is_connected_socket(fd: c_int) -> bool {
    if socket_option(fd, libc::SO_TYPE) != Some(libc::SOCK_STREAM) {
        return false;
    }
    // SAFETY: getpeername into a sockaddr_storage of the given size.
    unsafe {
        let mut storage: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        libc::getpeername(fd, std::ptr::from_mut(&mut storage).cast(), &mut len) == 0
    }
}

/// Writes all of `bytes` to `fd` (blocking), retrying on EINTR.
pub fn write_all(fd: c_int, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        // SAFETY: writing from a live slice.
        let n = unsafe { libc::send(fd, bytes.as_ptr().cast(), bytes.len(), libc::MSG_NOSIGNAL) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return false;
        }
        bytes = &bytes[n as usize..];
    }
    true
}



/// A Unix time in local time through the C library, as php-fpm's status
/// page prints it (`strftime(format, localtime(t))`).
pub fn local_time(epoch: i64, format: &std::ffi::CStr) -> String {
    extern "C" {
        fn tzset();
    }
    // SAFETY: tzset reads TZ; localtime_r and strftime fill buffers we own.
    unsafe {
        tzset();
        let t = epoch as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return epoch.to_string();
        }
        let mut buf = [0u8; 64];
        let n = libc::strftime(buf.as_mut_ptr().cast(), buf.len() - 1, format.as_ptr(), &tm);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

/// CPU time of this process and its waited-for children, in µs, as php-fpm
/// reads it for `last-request-cpu` (`times()`: one system call, clock-tick
/// resolution). Under ZTS, this thread's alone (a request runs on one
/// thread; the process's time is every thread's).
pub fn request_cpu_us() -> u64 {
    if ZTS {
        // SAFETY: getrusage fills the struct we own.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) } != 0 {
            return 0;
        }
        let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
        return us(usage.ru_utime) + us(usage.ru_stime);
    }
    // SAFETY: times fills the struct we own.
    let mut t: libc::tms = unsafe { std::mem::zeroed() };
    unsafe { libc::times(&mut t) };
    let ticks = (t.tms_utime + t.tms_stime + t.tms_cutime + t.tms_cstime) as u64;
    static HZ: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let hz = *HZ.get_or_init(|| clock_ticks_per_second().unwrap_or(100));
    ticks * 1_000_000 / hz
}

/// The kernel's clock tick rate (`/proc` times are in ticks).
pub fn clock_ticks_per_second() -> Option<u64> {
    // SAFETY: sysconf only reads a system constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(hz).ok().filter(|&hz| hz > 0)
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    use super::*;

    fn pipe() -> (c_int, c_int) {
        let mut fds = [0; 2];
        // SAFETY: pipe() fills the two ints.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        (fds[0], fds[1])
    }

    fn close(fd: c_int) {
        // SAFETY: a descriptor this test opened.
        unsafe { libc::close(fd) };
    }

    #[test]
    fn threads_are_counted_while_they_live() {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            ready_tx.send(()).unwrap();
            done_rx.recv().ok();
        });
        ready_rx.recv().unwrap();
        // This thread and the spawned one at least (the test harness has
        // threads of its own).
        assert!(thread_count().unwrap() >= 2);
        done_tx.send(()).unwrap();
        thread.join().unwrap();
        assert!(thread_count().unwrap() >= 1);
    }

    #[test]
    fn a_tcp_connection_is_found_by_its_peer() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let found = connected_sockets();
        assert!(found.contains(&(server.as_raw_fd(), client.local_addr().unwrap())), "{found:?}");
        assert!(found.contains(&(client.as_raw_fd(), listener.local_addr().unwrap())), "{found:?}");
        assert!(!found.iter().any(|(fd, _)| *fd == listener.as_raw_fd()));
    }

    #[test]
    fn a_socketpair_is_connected_but_has_no_ip_peer() {
        let (a, _b) = UnixStream::pair().unwrap();
        assert!(is_connected_socket(a.as_raw_fd()));
        assert!(!is_listening_socket(a.as_raw_fd()));
        assert_eq!(peer_addr(a.as_raw_fd()), None);
        assert!(!connected_sockets().iter().any(|(fd, _)| *fd == a.as_raw_fd()));
    }

    #[test]
    fn a_listening_socket_is_listening_and_not_connected() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        assert!(is_listening_socket(listener.as_raw_fd()));
        assert!(!is_connected_socket(listener.as_raw_fd()));
        let (r, w) = pipe();
        assert!(!is_listening_socket(r) && !is_connected_socket(w));
        close(r);
        close(w);
    }

    #[test]
    fn both_ends_and_copies_of_a_pipe_share_its_identity() {
        let (r, w) = pipe();
        // SAFETY: dup of a descriptor this test opened.
        let copy = unsafe { libc::dup(w) };
        let (other_r, other_w) = pipe();
        assert!(file_identity(r).is_some());
        assert_eq!(file_identity(r), file_identity(w));
        assert_eq!(file_identity(w), file_identity(copy));
        assert_ne!(file_identity(w), file_identity(other_w));
        assert!(open_descriptors().contains(&copy));
        let file = std::fs::File::open("/proc/self/stat").unwrap();
        assert_eq!(file_identity(file.as_raw_fd()), None, "a plain file is left alone");
        for fd in [r, w, copy, other_r, other_w] {
            close(fd);
        }
    }

    #[test]
    fn a_half_close_is_seen_as_end_of_file_and_the_other_way_stays_open() {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        assert!(write_all(a.as_raw_fd(), b"response"));
        assert!(shutdown_write(a.as_raw_fd()));
        let mut got = Vec::new();
        b.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"response");
        b.write_all(b"late request bytes").unwrap();
        let mut buf = [0u8; 32];
        let n = a.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"late request bytes");
    }

    #[test]
    fn drain_input_reads_what_waits_without_blocking() {
        let (a, mut b) = UnixStream::pair().unwrap();
        drain_input(a.as_raw_fd()); // nothing waits: returns at once
        b.write_all(&[7u8; 20_000]).unwrap();
        drain_input(a.as_raw_fd());
        a.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 1];
        assert_eq!((&a).read(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    }

    #[test]
    fn a_descriptor_pointed_at_dev_null_releases_the_reader() {
        let (r, w) = pipe();
        // SAFETY: dup of a descriptor this test opened.
        let copy = unsafe { libc::dup(w) };
        close(w);
        replace_with_dev_null(copy);
        let mut buf = [0u8; 1];
        // SAFETY: read into a live buffer; the pipe has no writer left.
        assert_eq!(unsafe { libc::read(r, buf.as_mut_ptr().cast(), 1) }, 0);
        close(r);
        close(copy);
    }

    #[test]
    fn write_all_to_a_gone_peer_fails_without_a_signal() {
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        assert!(!write_all(a.as_raw_fd(), b"nobody reads this"));
    }

    #[test]
    fn process_figures() {
        assert!(clock_ticks_per_second().is_some_and(|hz| hz > 0));
        let before = request_cpu_us();
        let mut x = 0u64;
        for i in 0..200_000_000u64 {
            x = x.wrapping_add(std::hint::black_box(i));
        }
        std::hint::black_box(x);
        assert!(request_cpu_us() > before, "a busy loop of a tick or more moves the clock");
    }
}
