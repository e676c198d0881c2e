//! Apache httpd 2.4, as mod_php runs inside it: the few fields of its
//! request, connection and filter records this extension reads, the
//! functions that end a response through Apache's own output filters, and
//! the MPM's answer to how its children run requests (`ap_mpm_query`).
//!
//! Nothing here is linked: the functions are looked up in the running
//! process (`dlsym`), so the same library loads under the CLI, php-fpm and
//! php-cgi, where they do not exist. The struct heads follow httpd 2.4's
//! public headers (its ABI is stable across 2.4 releases); a unit test
//! compares every offset read here with the installed `apache2-dev` headers.
//!
//! Callers may rely on: [`Request::from_server_context`] returns a request
//! only if the pointers read as mod_php's live, top-level request whose
//! response has not been ended; every method then acts on that request on
//! the thread that runs it (Apache's rule for request records).

use std::ffi::{c_char, c_int, c_long, c_uint, c_void};
use std::sync::OnceLock;

type Pool = c_void;
type BucketAlloc = c_void;
type Table = c_void;

/// `struct request_rec`, up to the last field read here.
#[repr(C)]
pub struct RequestRec {
    pub pool: *mut Pool,
    pub connection: *mut ConnRec,
    server: *mut c_void,
    next: *mut RequestRec,
    prev: *mut RequestRec,
    pub main: *mut RequestRec,
    the_request: *mut c_char,
    assbackwards: c_int,
    proxyreq: c_int,
    header_only: c_int,
    pub proto_num: c_int,
    protocol: *mut c_char,
    hostname: *const c_char,
    request_time: i64,
    status_line: *const c_char,
    pub status: c_int,
    method_number: c_int,
    pub method: *const c_char,
    allowed: i64,
    allowed_xmethods: *mut c_void,
    allowed_methods: *mut c_void,
    sent_bodyct: i64,
    bytes_sent: i64,
    mtime: i64,
    range: *const c_char,
    clength: i64,
    chunked: c_int,
    read_body: c_int,
    read_chunked: c_int,
    expecting_100: c_uint,
    kept_body: *mut c_void,
    body_table: *mut Table,
    remaining: i64,
    read_length: i64,
    headers_in: *mut Table,
    headers_out: *mut Table,
    err_headers_out: *mut Table,
    subprocess_env: *mut Table,
    notes: *mut Table,
    content_type: *const c_char,
    handler: *const c_char,
    content_encoding: *const c_char,
    content_languages: *mut c_void,
    vlist_validator: *mut c_char,
    user: *mut c_char,
    ap_auth_type: *mut c_char,
    unparsed_uri: *mut c_char,
    uri: *mut c_char,
    filename: *mut c_char,
    canonical_filename: *mut c_char,
    path_info: *mut c_char,
    args: *mut c_char,
    used_path_info: c_int,
    pub eos_sent: c_int,
    per_dir_config: *mut c_void,
    request_config: *mut c_void,
    log: *const c_void,
    log_id: *const c_char,
    htaccess: *const c_void,
    pub output_filters: *mut Filter,
}

/// `struct conn_rec`, up to the last field read here.
#[repr(C)]
pub struct ConnRec {
    pool: *mut Pool,
    base_server: *mut c_void,
    vhost_lookup_data: *mut c_void,
    local_addr: *mut c_void,
    client_addr: *mut c_void,
    client_ip: *mut c_char,
    remote_host: *mut c_char,
    remote_logname: *mut c_char,
    local_ip: *mut c_char,
    local_host: *mut c_char,
    id: c_long,
    conn_config: *mut c_void,
    notes: *mut Table,
    input_filters: *mut Filter,
    pub output_filters: *mut Filter,
    sbh: *mut c_void,
    pub bucket_alloc: *mut BucketAlloc,
    cs: *mut c_void,
    data_in_input_filters: c_int,
    data_in_output_filters: c_int,
    /// `clogging_input_filters:1` and `double_reverse:2`.
    bitfields: c_uint,
    aborted: c_uint,
    pub keepalive: c_int,
    keepalives: c_int,
    log: *const c_void,
    log_id: *const c_char,
    /// Debian's APR has threads (`APR_HAS_THREADS`).
    current_thread: *mut c_void,
    /// Set on HTTP/2's per-stream connections: the socket is the master's.
    pub master: *mut ConnRec,
}

/// `struct ap_filter_t`.
#[repr(C)]
pub struct Filter {
    pub frec: *mut FilterRec,
    ctx: *mut c_void,
    pub next: *mut Filter,
    pub r: *mut RequestRec,
    pub c: *mut ConnRec,
}

/// `struct ap_filter_rec_t`, up to its type.
#[repr(C)]
pub struct FilterRec {
    name: *const c_char,
    filter_func: *mut c_void,
    filter_init_func: *mut c_void,
    next: *mut FilterRec,
    providers: *mut c_void,
    pub ftype: c_int,
}

/// The head of mod_php's `php_struct` (sapi/apache2handler/php_apache.h,
/// the same from PHP 7.0 to 8.6): what `SG(server_context)` points at.
#[repr(C)]
struct PhpStruct {
    state: c_int,
    r: *mut RequestRec,
}

/// `AP_FTYPE_PROTOCOL`: filters below it belong to the response's content
/// (compression, includes, mod_php's own buffer), the rest to HTTP framing
/// and the connection.
const AP_FTYPE_PROTOCOL: c_int = 30;
/// `AP_CONN_CLOSE` of `ap_conn_keepalive_e`.
const AP_CONN_CLOSE: c_int = 1;
/// HTTP/2 as `request_rec.proto_num` counts it.
const HTTP_2: c_int = 2000;
const APR_SUCCESS: c_int = 0;

/// `struct apr_bucket_brigade`: a ring of buckets headed by `list`.
#[repr(C)]
struct Brigade {
    pool: *mut Pool,
    list: Link,
    bucket_alloc: *mut BucketAlloc,
}

/// `APR_RING_ENTRY`: the first field of every bucket.
#[repr(C)]
struct Link {
    next: *mut Link,
    prev: *mut Link,
}

/// Apache's and APR's functions, as the running httpd exports them.
struct Api {
    brigade_create: unsafe extern "C" fn(*mut Pool, *mut BucketAlloc) -> *mut Brigade,
    brigade_cleanup: unsafe extern "C" fn(*mut c_void) -> c_int,
    eos_create: unsafe extern "C" fn(*mut BucketAlloc) -> *mut Link,
    flush_create: unsafe extern "C" fn(*mut BucketAlloc) -> *mut Link,
    pass_brigade: unsafe extern "C" fn(*mut Filter, *mut Brigade) -> c_int,
    remove_output_filter: unsafe extern "C" fn(*mut Filter) -> c_int,
    eoc_create: unsafe extern "C" fn(*mut BucketAlloc) -> *mut Link,
    conn_socket: unsafe extern "C" fn(*mut ConnRec) -> *mut c_void,
    os_sock_get: unsafe extern "C" fn(*mut c_int, *mut c_void) -> c_int,
}

fn api() -> Option<&'static Api> {
    static API: OnceLock<Option<Api>> = OnceLock::new();
    API.get_or_init(|| {
        // SAFETY: each symbol, if present, is the httpd/APR 2.4 function of
        // that name, whose C signature the field's type repeats.
        unsafe {
            Some(Api {
                brigade_create: std::mem::transmute(symbol(c"apr_brigade_create")?),
                brigade_cleanup: std::mem::transmute(symbol(c"apr_brigade_cleanup")?),
                eos_create: std::mem::transmute(symbol(c"apr_bucket_eos_create")?),
                flush_create: std::mem::transmute(symbol(c"apr_bucket_flush_create")?),
                pass_brigade: std::mem::transmute(symbol(c"ap_pass_brigade")?),
                remove_output_filter: std::mem::transmute(symbol(c"ap_remove_output_filter")?),
                eoc_create: std::mem::transmute(symbol(c"ap_bucket_eoc_create")?),
                conn_socket: std::mem::transmute(symbol(c"ap_get_conn_socket")?),
                os_sock_get: std::mem::transmute(symbol(c"apr_os_sock_get")?),
            })
        }
    })
    .as_ref()
}

/// `ap_mpm_query()`'s codes and answers (`ap_mpm.h`).
const AP_MPMQ_IS_THREADED: c_int = 2;
const AP_MPMQ_MAX_THREADS: c_int = 6;
const AP_MPMQ_NOT_SUPPORTED: c_int = 0;

/// How the running MPM serves requests, as it answers `ap_mpm_query()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mpm {
    /// Its children run requests on threads (event, worker).
    pub threaded: bool,
    /// Threads of a child that serve requests: `ThreadsPerChild`.
    pub threads_per_child: i32,
}

/// The MPM's answer, or None outside Apache. The MPM's configuration is
/// read by then when asked from a post-config hook (mod_php starts PHP
/// there) or later.
pub fn mpm() -> Option<Mpm> {
    // SAFETY: the symbol, if present, is httpd 2.4's
    // `apr_status_t ap_mpm_query(int query_code, int *result)`.
    let query: unsafe extern "C" fn(c_int, *mut c_int) -> c_int = unsafe { std::mem::transmute(symbol(c"ap_mpm_query")?) };
    let ask = |code| {
        let mut result: c_int = 0;
        // SAFETY: query writes one int; it only reads the MPM's settings.
        (unsafe { query(code, &mut result) } == APR_SUCCESS).then_some(result)
    };
    Some(Mpm {
        threaded: ask(AP_MPMQ_IS_THREADED)? != AP_MPMQ_NOT_SUPPORTED,
        threads_per_child: ask(AP_MPMQ_MAX_THREADS).unwrap_or(0),
    })
}

fn symbol(name: &std::ffi::CStr) -> Option<*mut c_void> {
    // SAFETY: dlsym only looks the name up in the loaded objects.
    let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    (!p.is_null()).then_some(p)
}

/// mod_php's request, validated.
pub struct Request(*mut RequestRec);

/// Why the request could not be trusted or ended.
pub type Refusal = &'static str;

impl Request {
    /// The request behind `SG(server_context)`, if it reads as mod_php's
    /// live top-level request: its method is the very string PHP was given
    /// (`request_method`), it is no subrequest, its response not ended, and
    /// its output filters belong to its connection.
    ///
    /// # Safety
    /// `context` is `SG(server_context)` under the apache2handler SAPI and
    /// `request_method` is `SG(request_info).request_method`, both read on
    /// the thread that runs the request.
    pub unsafe fn from_server_context(context: *mut c_void, request_method: *const c_char) -> Result<Self, Refusal> {
        let request = Self::live(context, request_method)?;
        if (*request.0).eos_sent != 0 {
            return Err("Apache has already ended this response");
        }
        Ok(request)
    }

    /// The same request after its response was ended (for clean-up at the
    /// end of the PHP request).
    ///
    /// # Safety
    /// As for [`Request::from_server_context`].
    pub unsafe fn ended_from_server_context(context: *mut c_void, request_method: *const c_char) -> Option<Self> {
        Self::live(context, request_method).ok().filter(|r| (*r.0).eos_sent != 0)
    }

    unsafe fn live(context: *mut c_void, request_method: *const c_char) -> Result<Self, Refusal> {
        api().ok_or("Apache's filter functions (ap_pass_brigade, …) are not in this process")?;
        let ctx = context.cast::<PhpStruct>();
        if ctx.is_null() || (*ctx).r.is_null() {
            return Err("mod_php's request context is missing");
        }
        let r = (*ctx).r;
        if request_method.is_null() || (*r).method != request_method {
            return Err("mod_php's request context does not match this request");
        }
        if !(*r).main.is_null() {
            return Err("the request is an Apache subrequest");
        }
        let c = (*r).connection;
        let f = (*r).output_filters;
        if c.is_null() || f.is_null() || (*f).c != c || (*c).output_filters.is_null() || (*c).bucket_alloc.is_null() {
            return Err("the request's output filters do not belong to its connection");
        }
        Ok(Request(r))
    }

    /// The HTTP version as `major * 1000 + minor` (1001 for HTTP/1.1).
    pub fn proto_num(&self) -> c_int {
        // SAFETY: a validated request (from_server_context).
        unsafe { (*self.0).proto_num }
    }

    pub fn status(&self) -> c_int {
        // SAFETY: as in proto_num.
        unsafe { (*self.0).status }
    }

    /// Puts the status the client got back, where the access log reads it
    /// (mod_php's flush copies PHP's response code into it).
    pub fn set_status(&self, status: c_int) {
        // SAFETY: as in proto_num; the request outlives the PHP request.
        unsafe { (*self.0).status = status }
    }

    /// Ends the response as Apache does at request end: an end-of-stream
    /// bucket alone down the request's filters (the chunked encoding writes
    /// its last chunk, `eos_sent` is set so Apache and mod_php send no
    /// other), then a flush down the connection's filters so nothing stays
    /// buffered, then the request's content filters are taken out of the
    /// chain: some (mod_brotli, mod_deflate before 2.4.59) crash on a flush
    /// or a second end-of-stream after their first. Returns whether the
    /// client took it all (false: it had gone).
    pub fn end_response(&self) -> bool {
        let Some(api) = api() else { return false };
        // SAFETY: a validated request on its own thread; the brigade lives
        // in the request's pool and is emptied after each pass.
        unsafe {
            let r = self.0;
            let c = (*r).connection;
            let bb = (api.brigade_create)((*r).pool, (*c).bucket_alloc);
            if bb.is_null() {
                return false;
            }
            insert_tail(bb, (api.eos_create)((*c).bucket_alloc));
            let ended = (api.pass_brigade)((*r).output_filters, bb) == APR_SUCCESS;
            (api.brigade_cleanup)(bb.cast());
            insert_tail(bb, (api.flush_create)((*c).bucket_alloc));
            let flushed = (api.pass_brigade)((*c).output_filters, bb) == APR_SUCCESS;
            (api.brigade_cleanup)(bb.cast());
            let mut f = (*r).output_filters;
            while !f.is_null() && (*f).r == r && !(*f).frec.is_null() && (*(*f).frec).ftype < AP_FTYPE_PROTOCOL {
                let next = (*f).next;
                (api.remove_output_filter)(f);
                f = next;
            }
            ended && flushed
        }
    }
}

impl Request {
    /// After [`Request::end_response`], ends the HTTP/1.x connection too:
    /// an end-of-connection bucket (mod_ssl sends its TLS close_notify on
    /// it), no keep-alive, and the client socket's descriptor for a
    /// half-close. A client whose response is framed by the connection's
    /// end (HTTP/1.0) is then complete, and a keep-alive client that was not
    /// told `Connection: close` (the headers had gone out) sees the
    /// connection end instead of queueing its next request behind the
    /// script. None under HTTP/2, whose streams share the connection.
    pub fn end_connection(&self) -> Option<c_int> {
        let api = api()?;
        // SAFETY: a validated request on its own thread; the connection
        // outlives it.
        unsafe {
            let r = self.0;
            let c = (*r).connection;
            if !(*c).master.is_null() || (*r).proto_num >= HTTP_2 {
                return None;
            }
            (*c).keepalive = AP_CONN_CLOSE;
            let bb = (api.brigade_create)((*r).pool, (*c).bucket_alloc);
            if bb.is_null() {
                return None;
            }
            insert_tail(bb, (api.eoc_create)((*c).bucket_alloc));
            (api.pass_brigade)((*c).output_filters, bb);
            (api.brigade_cleanup)(bb.cast());
            let socket = (api.conn_socket)(c);
            let mut fd: c_int = -1;
            (!socket.is_null() && (api.os_sock_get)(&mut fd, socket) == APR_SUCCESS && fd >= 0).then_some(fd)
        }
    }
}

/// `APR_BRIGADE_INSERT_TAIL` (a macro in APR): the bucket's link is its
/// first field and the brigade's ring head stands in for the sentinel.
unsafe fn insert_tail(bb: *mut Brigade, bucket: *mut Link) {
    let sentinel = std::ptr::addr_of_mut!((*bb).list);
    (*bucket).next = sentinel;
    (*bucket).prev = (*sentinel).prev;
    (*(*sentinel).prev).next = bucket;
    (*sentinel).prev = bucket;
}

#[cfg(test)]
mod tests {
    use std::mem::offset_of;
    use std::process::Command;

    /// Every offset read here, as the installed httpd 2.4 headers give it.
    #[test]
    fn layout_matches_apache_headers() {
        let fields: &[(&str, &str, usize)] = &[
            ("request_rec", "pool", offset_of!(super::RequestRec, pool)),
            ("request_rec", "connection", offset_of!(super::RequestRec, connection)),
            ("request_rec", "main", offset_of!(super::RequestRec, main)),
            ("request_rec", "proto_num", offset_of!(super::RequestRec, proto_num)),
            ("request_rec", "status", offset_of!(super::RequestRec, status)),
            ("request_rec", "method", offset_of!(super::RequestRec, method)),
            ("request_rec", "eos_sent", offset_of!(super::RequestRec, eos_sent)),
            ("request_rec", "output_filters", offset_of!(super::RequestRec, output_filters)),
            ("conn_rec", "output_filters", offset_of!(super::ConnRec, output_filters)),
            ("conn_rec", "bucket_alloc", offset_of!(super::ConnRec, bucket_alloc)),
            ("conn_rec", "aborted", offset_of!(super::ConnRec, aborted)),
            ("conn_rec", "keepalive", offset_of!(super::ConnRec, keepalive)),
            ("conn_rec", "master", offset_of!(super::ConnRec, master)),
            ("ap_filter_t", "frec", offset_of!(super::Filter, frec)),
            ("ap_filter_t", "next", offset_of!(super::Filter, next)),
            ("ap_filter_t", "r", offset_of!(super::Filter, r)),
            ("ap_filter_t", "c", offset_of!(super::Filter, c)),
            ("ap_filter_rec_t", "ftype", offset_of!(super::FilterRec, ftype)),
            ("apr_bucket_brigade", "list", offset_of!(super::Brigade, list)),
            ("apr_bucket", "link", 0),
        ];
        let cflags = |tool: &str, args: &[&str]| -> Vec<String> {
            let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
                panic!("{tool} is needed to read Apache's headers ({e}): apt-get install apache2-dev")
            });
            String::from_utf8_lossy(&out.stdout).split_whitespace().map(String::from).collect()
        };
        let mut args = vec![format!("-I{}", cflags("apxs", &["-q", "INCLUDEDIR"]).join(""))];
        args.extend(cflags("apr-1-config", &["--cppflags", "--includes"]));
        let names: Vec<(String, &str)> = fields
            .iter()
            .map(|(ty, field, _)| (if ty.starts_with("apr_") { format!("struct {ty}") } else { (*ty).to_string() }, *field))
            .collect();
        let names: Vec<(&str, &str)> = names.iter().map(|(ty, field)| (ty.as_str(), *field)).collect();
        let got = super::super::c_layout::offsets(
            "apache",
            &["<httpd.h>", "<util_filter.h>", "<ap_mpm.h>"],
            &names,
            &["AP_FTYPE_PROTOCOL", "AP_CONN_CLOSE", "AP_MPMQ_IS_THREADED", "AP_MPMQ_MAX_THREADS", "AP_MPMQ_NOT_SUPPORTED"],
            &args,
            |_| {},
            "apt-get install apache2-dev",
        );
        for ((ty, field, ours), theirs) in fields.iter().zip(&got) {
            assert_eq!(ours, theirs, "offset of {ty}.{field}");
        }
        assert_eq!(got[fields.len()], super::AP_FTYPE_PROTOCOL as usize, "AP_FTYPE_PROTOCOL");
        assert_eq!(got[fields.len() + 1], super::AP_CONN_CLOSE as usize, "AP_CONN_CLOSE");
        assert_eq!(got[fields.len() + 2], super::AP_MPMQ_IS_THREADED as usize, "AP_MPMQ_IS_THREADED");
        assert_eq!(got[fields.len() + 3], super::AP_MPMQ_MAX_THREADS as usize, "AP_MPMQ_MAX_THREADS");
        assert_eq!(got[fields.len() + 4], super::AP_MPMQ_NOT_SUPPORTED as usize, "AP_MPMQ_NOT_SUPPORTED");
    }
}
