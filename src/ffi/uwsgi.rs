//! uWSGI (the `uwsgi` binary that hosts the PHP plugin): its request
//! (`struct wsgi_request`, what `SG(server_context)` points at) and the two
//! functions that end a response, `uwsgi_response_write_headers_do()`
//! (core/writer.c) and `uwsgi_disconnect()` (core/io.c). The functions are
//! looked up at run time (`dlsym`), never linked: the library must load
//! everywhere else.
//!
//! Only five fields of the request are read or written, at offsets that
//! uWSGI 2.0.21 and 2.0.28 share (uwsgi.h has no conditional field before
//! them); `layout_matches_uwsgi_h` checks them against the installed
//! uWSGI's own header (`uwsgi --dot-h`). A request is used only if its
//! socket's close function is one of uWSGI's, which also proves the offsets.

use std::ffi::{c_int, c_void, CStr};
use std::sync::OnceLock;

use crate::uwsgi::{CloseFunctions, ProtoClose};

/// Offsets in `struct wsgi_request` (x86-64 and other LP64 targets).
const FD: usize = 0;
const FD_CLOSED: usize = 636;
const WRITE_ERRORS: usize = 856;
const SOCKET: usize = 984;
const HEADERS_SENT: usize = 992;
const IGNORE_BODY: usize = 1344;
/// Offset of `proto_close` in `struct uwsgi_socket`.
const PROTO_CLOSE: usize = 152;

struct Api {
    write_headers: unsafe extern "C" fn(*mut c_void) -> c_int,
    disconnect: unsafe extern "C" fn(*mut c_void),
    closes: CloseFunctions,
}

fn symbol(name: &CStr) -> Option<*mut c_void> {
    // SAFETY: dlsym only looks the name up in the loaded objects.
    let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    (!p.is_null()).then_some(p)
}

fn api() -> Option<&'static Api> {
    static API: OnceLock<Option<Api>> = OnceLock::new();
    API.get_or_init(|| {
        let address = |name| symbol(name).map_or(0, |p| p as usize);
        // SAFETY: each symbol, if present, is uWSGI 2.0's function of that
        // name, whose C signature the field's type repeats.
        unsafe {
            Some(Api {
                write_headers: std::mem::transmute(symbol(c"uwsgi_response_write_headers_do")?),
                disconnect: std::mem::transmute(symbol(c"uwsgi_disconnect")?),
                closes: CloseFunctions {
                    closing: [
                        address(c"uwsgi_proto_base_close"),
                        address(c"uwsgi_proto_ssl_close"),
                        address(c"uwsgi_proto_fastcgi_close"),
                    ],
                    http11: address(c"uwsgi_proto_http11_close"),
                },
            })
        }
    })
    .as_ref()
}

/// Whether the functions the finish calls are in this process (it is
/// uWSGI's binary, or a program linking its core).
pub fn functions_present() -> bool {
    api().is_some()
}

/// uWSGI's request, validated.
pub struct Request {
    req: *mut u8,
    close: ProtoClose,
}

/// Why the request cannot be used.
pub type Refusal = &'static str;

impl Request {
    /// The request behind `SG(server_context)`, if it reads as uWSGI's
    /// live request: its socket's close is one of uWSGI's own, its
    /// connection is open and is a connected socket.
    ///
    /// # Safety
    /// `context` is `SG(server_context)` under uWSGI's PHP plugin (see
    /// `crate::uwsgi::is_uwsgi`), read on the thread that runs the request.
    pub unsafe fn from_server_context(context: *mut c_void) -> Result<Self, Refusal> {
        let api = api().ok_or("uWSGI's functions (uwsgi_disconnect, …) are not in this process")?;
        let req = context.cast::<u8>();
        if req.is_null() {
            return Err("uWSGI's request is missing");
        }
        let socket = req.add(SOCKET).cast::<*const u8>().read();
        if socket.is_null() {
            return Err("uWSGI's request has no socket");
        }
        let proto_close = socket.add(PROTO_CLOSE).cast::<usize>().read();
        let close = api
            .closes
            .classify(proto_close)
            .ok_or("the request's protocol is not one whose close is known (http, http11, uwsgi, scgi, fastcgi, https)")?;
        let request = Request { req, close };
        if request.field::<c_int>(FD_CLOSED) != 0 {
            return Err("uWSGI has already closed this request's connection");
        }
        if request.field::<u64>(WRITE_ERRORS) != 0 {
            return Err("writing to the client already failed");
        }
        if !super::os::is_connected_socket(request.fd()) {
            return Err("the request's descriptor is not a connected socket");
        }
        Ok(request)
    }

    /// A field of the request, of type T, at `offset`.
    fn field<T: Copy>(&self, offset: usize) -> T {
        // SAFETY: the request validated; offsets from uwsgi.h (tested).
        unsafe { self.req.add(offset).cast::<T>().read() }
    }

    pub fn close(&self) -> ProtoClose {
        self.close
    }

    /// The connection's descriptor (`wsgi_req->fd`), until disconnect.
    pub fn fd(&self) -> c_int {
        self.field(FD)
    }

    /// `uwsgi_response_write_headers_do()`: writes the status line and the
    /// headers PHP stored, if no body write has sent them. Without it they
    /// would wait for uWSGI's request end, which writes them to the closed
    /// connection's descriptor number. True once they are sent.
    pub fn write_headers(&self) -> bool {
        let Some(api) = api() else { return false };
        // SAFETY: the validated request, on its own thread; the function
        // does nothing if the headers went out already.
        unsafe {
            (api.write_headers)(self.req.cast());
        }
        self.field::<c_int>(HEADERS_SENT) != 0
    }

    /// `uwsgi_disconnect()`: the protocol's close (the FastCGI end record,
    /// then `close()`; `--http11-socket` may keep the socket for the
    /// client's next request), and the request marked closed, so uWSGI does
    /// not close it again. Then every later body write is dropped by uWSGI
    /// itself (`ignore_body`): the descriptor number may be reused by a file
    /// or socket the script opens next, and nothing may reach it.
    pub fn disconnect(self) {
        let Some(api) = api() else { return };
        // SAFETY: the validated request on its own thread; ignore_body is an
        // int uWSGI reads before every body write.
        unsafe {
            (api.disconnect)(self.req.cast());
            self.req.add(IGNORE_BODY).cast::<c_int>().write(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    /// The offsets, as the installed uWSGI's own header gives them
    /// (`uwsgi --dot-h`; only the large-file flag of `uwsgi --cflags`
    /// matters before these fields).
    #[test]
    fn layout_matches_uwsgi_h() {
        let uwsgi = ["uwsgi-core", "uwsgi"]
            .into_iter()
            .find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
            .expect("uWSGI is needed to read its header: apt-get install uwsgi-core");
        let header = Command::new(uwsgi).arg("--dot-h").output().expect("uwsgi --dot-h");
        let fields = [
            ("struct wsgi_request", "fd", super::FD),
            ("struct wsgi_request", "fd_closed", super::FD_CLOSED),
            ("struct wsgi_request", "write_errors", super::WRITE_ERRORS),
            ("struct wsgi_request", "socket", super::SOCKET),
            ("struct wsgi_request", "headers_sent", super::HEADERS_SENT),
            ("struct wsgi_request", "ignore_body", super::IGNORE_BODY),
            ("struct uwsgi_socket", "proto_close", super::PROTO_CLOSE),
        ];
        let names: Vec<(&str, &str)> = fields.iter().map(|(ty, field, _)| (*ty, *field)).collect();
        let got = super::super::c_layout::offsets(
            "uwsgi",
            &["\"uwsgi.h\""],
            &names,
            &[],
            &["-D_LARGEFILE_SOURCE".into(), "-D_FILE_OFFSET_BITS=64".into()],
            |dir| std::fs::write(dir.join("uwsgi.h"), &header.stdout).unwrap(),
            "is uwsgi --dot-h complete?",
        );
        for ((ty, field, ours), theirs) in fields.iter().zip(&got) {
            assert_eq!(ours, theirs, "offset of {ty}.{field}");
        }
    }
}
