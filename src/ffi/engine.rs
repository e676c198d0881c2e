//! The PHP engine: the SAPI module and globals (`sapi_module`, `SG()`: the
//! request's info, headers and response code, and the SAPI's own request
//! behind `SG(server_context)` handed to `apache` or `uwsgi` to validate),
//! the function table, INI entries, errors and the log, the request's
//! connection state (`PG(connection_status)`) and peak memory.
//!
//! Callers may rely on: every function here is called on the thread that
//! runs the current request (PHP's own rule) and uses PHP's accessor
//! functions rather than struct layouts where PHP has them, so the same code
//! is right in NTS and ZTS builds. No wrapper holds an ext-php-rs globals
//! guard: several of these calls run user code or raise errors that can
//! `longjmp` out, and a guard held across that would never be released.
//! Functions that may not return say so.

use std::ffi::{c_char, c_int, c_void, CStr, CString};

use ext_php_rs::ffi;
use ext_php_rs::zend::ExecuteData;

extern "C" {
    fn cfg_get_string(varname: *const c_char, result: *mut *mut c_char) -> c_int;
    fn zend_ini_string_ex(name: *const c_char, len: usize, orig: c_int, exists: *mut bool) -> *mut c_char;
    fn php_header() -> c_int;
    fn sapi_flush() -> c_int;
    fn zend_error(kind: c_int, format: *const c_char, ...);
    fn zend_unregister_ini_entries(module_number: c_int);
    fn zend_memory_peak_usage(real: bool) -> usize;
}

const E_WARNING: c_int = 2;
const E_CORE_WARNING: c_int = 32;
const MAY_BE_FALSE: u32 = 1 << ffi::IS_FALSE;

/// `SUCCESS` / `FAILURE` as PHP's `zend_result`.
pub const SUCCESS: c_int = 0;
pub const FAILURE: c_int = -1;

/// The SAPI's name (`sapi_module.name`): "cli", "cli-server", "fpm-fcgi", …
pub fn sapi_name() -> String {
    ext_php_rs::zend::php_sapi_name().unwrap_or_default()
}

/// The SAPI's pretty name (`sapi_module.pretty_name`): "uWSGI/php", …
pub fn sapi_pretty_name() -> Option<String> {
    // SAFETY: a static NUL-terminated string of the SAPI module, or NULL.
    unsafe {
        let module = ffi::ext_php_rs_sapi_module();
        if module.is_null() || (*module).pretty_name.is_null() {
            return None;
        }
        Some(CStr::from_ptr((*module).pretty_name).to_string_lossy().into_owned())
    }
}

/// Names in `sapi_module.additional_functions`: functions the SAPI registers
/// *after* extensions load (`php -S` does so for five names).
pub fn sapi_additional_functions() -> Vec<String> {
    let mut names = Vec::new();
    // SAFETY: the list is a static array terminated by an entry whose fname
    // is NULL, as every zend_function_entry list is.
    unsafe {
        let module = ffi::ext_php_rs_sapi_module();
        if module.is_null() {
            return names;
        }
        let mut entry = (*module).additional_functions;
        while !entry.is_null() && !(*entry).fname.is_null() {
            names.push(CStr::from_ptr((*entry).fname).to_string_lossy().into_owned());
            entry = entry.add(1);
        }
    }
    names
}

/// The handler of an internal function already in the global function table.
fn internal_handler(name: &str) -> Option<InternalHandler> {
    let lower = name.to_ascii_lowercase();
    // SAFETY: the compiler globals' function table exists from engine start;
    // entries are zvals holding a zend_function pointer.
    unsafe {
        let table = (*ffi::ext_php_rs_compiler_globals()).function_table;
        if table.is_null() {
            return None;
        }
        let zv = ffi::zend_hash_str_find(table, lower.as_ptr().cast(), lower.len());
        if zv.is_null() {
            return None;
        }
        let func = (*zv).value.ptr as *const ffi::zend_function;
        if func.is_null() || u32::from((*func).type_) != ffi::ZEND_INTERNAL_FUNCTION {
            return None;
        }
        (*func).internal_function.handler.map(InternalHandler)
    }
}

/// Whether `name` is already a function (registered by the SAPI or an
/// earlier extension).
pub fn function_exists(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    // SAFETY: as in internal_handler.
    unsafe {
        let table = (*ffi::ext_php_rs_compiler_globals()).function_table;
        !table.is_null() && !ffi::zend_hash_str_find(table, lower.as_ptr().cast(), lower.len()).is_null()
    }
}

/// A native PHP function's C handler, to forward a call to.
#[derive(Clone, Copy)]
pub struct InternalHandler(unsafe extern "C" fn(*mut ffi::zend_execute_data, *mut ffi::zval));

impl InternalHandler {
    pub fn find(name: &str) -> Option<Self> {
        internal_handler(name)
    }

    /// Runs the native function in place of ours, with our call frame (both
    /// take no arguments) and return slot.
    pub fn call(self, execute_data: &mut ExecuteData, retval: &mut ext_php_rs::types::Zval) {
        // SAFETY: ExecuteData and Zval are the C structs; the native function
        // takes no arguments, so our frame is a valid frame for it.
        unsafe { (self.0)(std::ptr::from_mut(execute_data).cast(), std::ptr::from_mut(retval).cast()) }
    }
}

/// A raw php.ini / `-d` value, readable before INI entries are registered.
pub fn raw_ini_value(name: &str) -> Option<String> {
    let name = CString::new(name).ok()?;
    let mut out: *mut c_char = std::ptr::null_mut();
    // SAFETY: cfg_get_string only reads the parsed configuration hash.
    unsafe {
        if cfg_get_string(name.as_ptr(), &mut out) != SUCCESS || out.is_null() {
            return None;
        }
        Some(CStr::from_ptr(out).to_string_lossy().into_owned())
    }
}

/// The current value of a registered INI directive, in this request.
pub fn ini_value(name: &str) -> Option<String> {
    let mut exists = false;
    // SAFETY: reads EG(ini_directives), which is per thread under ZTS.
    unsafe {
        let value = zend_ini_string_ex(name.as_ptr().cast(), name.len(), 0, &mut exists);
        if !exists || value.is_null() {
            return None;
        }
        Some(CStr::from_ptr(value).to_string_lossy().into_owned())
    }
}

pub(super) fn c_message(message: &str) -> CString {
    CString::new(message.replace('\0', "")).unwrap_or_default()
}

/// Raises an E_WARNING (E_CORE_WARNING while PHP starts up).
pub fn warn(message: &str, at_startup: bool) {
    let text = c_message(message);
    let kind = if at_startup { E_CORE_WARNING } else { E_WARNING };
    // SAFETY: "%s" with one C string argument. zend_error may longjmp when
    // a user error handler throws; callers hold nothing that needs dropping.
    unsafe { zend_error(kind, c"%s".as_ptr(), text.as_ptr()) }
}

/// `php_header()`: sends the response headers if not sent yet.
pub fn send_headers() -> bool {
    // SAFETY: valid during a request.
    unsafe { php_header() != 0 }
}

/// `sapi_flush()`: asks the SAPI to push what it holds to the client.
pub fn flush() {
    // SAFETY: valid during a request.
    unsafe {
        sapi_flush();
    }
}

pub fn headers_sent() -> bool {
    // SAFETY: SG() for this thread.
    let sent = unsafe { (*ffi::ext_php_rs_sapi_globals()).headers_sent };
    // A `zend_uchar` up to PHP 8.5, a C `bool` from 8.6: one expression for both.
    u8::from(sent) != 0
}

/// Whether this PHP is a thread-safe (ZTS) build.
pub const ZTS: bool = ext_php_rs::PHP_ZTS;

/// The INI table: a leaked, NUL-terminated array of entry definitions that
/// PHP borrows for the life of the process.
pub type IniModify = unsafe extern "C" fn(
    entry: *mut ffi::zend_ini_entry,
    new_value: *mut ffi::zend_string,
    a1: *mut c_void,
    a2: *mut c_void,
    a3: *mut c_void,
    stage: c_int,
) -> c_int;

pub struct IniDirective {
    pub name: &'static CStr,
    pub default: &'static CStr,
    pub system_only: bool,
    pub on_modify: IniModify,
}

#[used] // read by nobody, but must stay (and keep its pointer) in the library
static INI_TABLE: std::sync::atomic::AtomicPtr<ffi::zend_ini_entry_def> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

pub fn register_ini(directives: &[IniDirective], module_number: i32) {
    let mut defs: Vec<ffi::zend_ini_entry_def> = directives
        .iter()
        .map(|d| {
            // SAFETY: an all-zero zend_ini_entry_def is the list terminator;
            // we fill in the fields PHP reads.
            let mut def: ffi::zend_ini_entry_def = unsafe { std::mem::zeroed() };
            def.name = d.name.as_ptr();
            def.name_length = d.name.count_bytes() as u16;
            def.value = d.default.as_ptr();
            def.value_length = d.default.count_bytes() as u32;
            def.modifiable = if d.system_only { ffi::PHP_INI_SYSTEM as u8 } else { ffi::PHP_INI_ALL as u8 };
            def.on_modify = Some(d.on_modify);
            def
        })
        .collect();
    // SAFETY: the zeroed terminator.
    defs.push(unsafe { std::mem::zeroed() });
    let defs: &'static mut [ffi::zend_ini_entry_def] = Box::leak(defs.into_boxed_slice());
    // Kept reachable, not just leaked: PHP borrows the table for the life of
    // the process, and a leak checker would call it lost once PHP let go.
    INI_TABLE.store(defs.as_mut_ptr(), std::sync::atomic::Ordering::Relaxed);
    // SAFETY: a terminated list that lives for the process.
    unsafe {
        ffi::zend_register_ini_entries(defs.as_ptr(), module_number);
    }
}

pub fn unregister_ini(module_number: i32) {
    // SAFETY: called from MSHUTDOWN with our module number.
    unsafe { zend_unregister_ini_entries(module_number) }
}

/// Reads the new value handed to an INI on_modify handler.
///
/// # Safety
/// `value` is the zend_string PHP passed to the handler, or NULL.
pub unsafe fn ini_new_value(value: *mut ffi::zend_string) -> String {
    if value.is_null() {
        return String::new();
    }
    let len = (*value).len;
    let data = std::slice::from_raw_parts((*value).val.as_ptr().cast::<u8>(), len);
    String::from_utf8_lossy(data).into_owned()
}

/// Whether an INI stage is PHP's start-up (php.ini, `-d`).
pub fn ini_stage_is_startup(stage: c_int) -> bool {
    stage == 1 // ZEND_INI_STAGE_STARTUP
}

/// Runs `body` so that a Rust panic cannot unwind into C: the panic becomes
/// a PHP warning and `fallback` is returned.
pub fn no_unwind<T>(what: &str, fallback: T, body: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            let reason = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            warn(&format!("fpm_compat: internal error in {what}: {reason}"), false);
            fallback
        }
    }
}


/// The response status code PHP will send (`http_response_code()`).
pub fn response_code() -> i32 {
    // SAFETY: SG() for this thread.
    unsafe { (*ffi::ext_php_rs_sapi_globals()).sapi_headers.http_response_code }
}

/// Whether the client asked for the headers only (a HEAD request).
pub fn headers_only() -> bool {
    // SAFETY: SG() for this thread.
    unsafe { (*ffi::ext_php_rs_sapi_globals()).request_info.headers_only }
}

/// Adds or replaces a response header, as `header($line, true)` does.
pub fn set_header(line: &str) {
    // The same sapi_header_op(REPLACE) as sapi_add_header_ex; it fails only
    // outside a request or with a SAPI-globals guard alive (none is held
    // here), and then, as before, nothing is done.
    let _ = ext_php_rs::zend::set_header(line);
}

/// The SAPI's per-request pointer (`SG(server_context)`).
pub fn server_context() -> *mut c_void {
    // SAFETY: SG() for this thread.
    unsafe { (*ffi::ext_php_rs_sapi_globals()).server_context }
}

/// mod_php's request, if `SG(server_context)` reads as its live request.
pub fn apache_request() -> Result<super::apache::Request, super::apache::Refusal> {
    // SAFETY: only called under the apache2handler SAPI, during a request,
    // on its thread; from_server_context validates what it reads.
    unsafe {
        let sg = ffi::ext_php_rs_sapi_globals();
        super::apache::Request::from_server_context((*sg).server_context, (*sg).request_info.request_method)
    }
}

/// uWSGI's request, if `SG(server_context)` reads as its live request.
pub fn uwsgi_request() -> Result<super::uwsgi::Request, super::uwsgi::Refusal> {
    // SAFETY: only called once the SAPI is recognised as uWSGI's PHP
    // plugin, during a request, on its thread; from_server_context
    // validates what it reads.
    unsafe { super::uwsgi::Request::from_server_context(server_context()) }
}

/// Sets the status of mod_php's request, ended earlier, back to `status`.
pub fn apache_restore_status(status: c_int) {
    // SAFETY: as in apache_request.
    unsafe {
        let sg = ffi::ext_php_rs_sapi_globals();
        if let Some(r) = super::apache::Request::ended_from_server_context((*sg).server_context, (*sg).request_info.request_method) {
            r.set_status(status);
        }
    }
}

/// Writes a line to the error log the way PHP logs its own errors (the
/// `error_log` file, else the server's log, else stderr) without raising
/// anything a user error handler would see. Each distinct message once per
/// process: a busy server must not log it on every request.
pub fn log_once(message: &str) {
    extern "C" {
        fn php_log_err_with_severity(message: *const c_char, syslog_type: c_int);
    }
    static LOGGED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let first = match LOGGED.lock() {
        Ok(mut logged) if !logged.iter().any(|m| m == message) => {
            logged.push(message.to_string());
            true
        }
        _ => false,
    };
    if first {
        let text = c_message(&format!("fpm_compat: {message}"));
        // SAFETY: a C string; PHP copies it. LOG_WARNING: Apache's default
        // LogLevel (warn) would drop a notice.
        unsafe { php_log_err_with_severity(text.as_ptr(), libc::LOG_WARNING) }
    }
}

/// Calls a PHP function by name; None when it does not exist or failed.
pub fn call_function(name: &str, args: &[&str]) -> Option<ext_php_rs::types::Zval> {
    let callable = ext_php_rs::types::ZendCallable::try_from_name(name).ok()?;
    let params: Vec<&dyn ext_php_rs::convert::IntoZvalDyn> =
        args.iter().map(|a| a as &dyn ext_php_rs::convert::IntoZvalDyn).collect();
    callable.try_call(params).ok()
}


/// `php_handle_aborted_connection()`: connection_status() becomes 1, output
/// is disabled, and unless ignore_user_abort(true) the script ends (its
/// shutdown functions still run). May not return.
pub fn handle_aborted_connection() {
    extern "C" {
        fn php_handle_aborted_connection();
    }
    // SAFETY: valid during a request; may longjmp to PHP's request bailout.
    unsafe { php_handle_aborted_connection() }
}

/// Runs `body`, which flushes the response, so that a client (or pipe
/// reader) that has already gone does not end the script there. PHP marks
/// the connection aborted at the first failed write and, unless
/// `ignore_user_abort`, bails out: the work after finishing would be lost.
/// php-fpm's finish buffers the bytes and never aborts there, so the script
/// runs on whether or not its client waited. The connection and exit status
/// are put back (the CLI sets 255 on a failed write); output stays disabled,
/// as PHP left it, since nobody reads it. The bool: the client had gone.
pub fn without_user_abort<T>(body: impl FnOnce() -> T) -> (T, bool) {
    const PHP_CONNECTION_ABORTED: i16 = 1;
    // SAFETY: PG() and EG() of this thread; plain fields, restored below on
    // every path (a bailout is caught, the fields restored, then re-raised).
    unsafe {
        let pg = ffi::ext_php_rs_process_globals();
        let eg = ffi::ext_php_rs_executor_globals();
        let (ignore, status, exit) = ((*pg).ignore_user_abort, (*pg).connection_status, (*eg).exit_status);
        (*pg).ignore_user_abort = true;
        let result = ext_php_rs::zend::try_catch(std::panic::AssertUnwindSafe(body));
        (*pg).ignore_user_abort = ignore;
        let gone = status & PHP_CONNECTION_ABORTED == 0 && (*pg).connection_status & PHP_CONNECTION_ABORTED != 0;
        if gone {
            (*pg).connection_status &= !PHP_CONNECTION_ABORTED;
            (*eg).exit_status = exit;
        }
        match result {
            Ok(value) => (value, gone),
            Err(ext_php_rs::zend::CatchError::Bailout) => ext_php_rs::zend::bailout(),
            Err(other) => panic!("{other}"),
        }
    }
}

/// Widens a registered function's declared return type by `false`
/// (`array` → `array|false`): ext-php-rs declares one type only, and
/// Reflection and opcache's type inference must see FPM's `array|false`.
/// Call at MINIT, before any script is compiled.
pub fn add_false_to_return_type(name: &str) {
    let lower = name.to_ascii_lowercase();
    // SAFETY: PHP copied the arg_info of a function with a return type into
    // its own malloc'd array at registration (zend_register_functions); the
    // return type is the entry before arg_info. Nothing reads it concurrently
    // at MINIT.
    unsafe {
        let table = (*ffi::ext_php_rs_compiler_globals()).function_table;
        if table.is_null() {
            return;
        }
        let zv = ffi::zend_hash_str_find(table, lower.as_ptr().cast(), lower.len());
        if zv.is_null() {
            return;
        }
        let func = (*zv).value.func;
        if u32::from((*func).type_) != ffi::ZEND_INTERNAL_FUNCTION
            || (*func).common.fn_flags & ffi::ZEND_ACC_HAS_RETURN_TYPE == 0
            || (*func).internal_function.arg_info.is_null()
        {
            return;
        }
        (*(*func).internal_function.arg_info.sub(1)).type_.type_mask |= MAY_BE_FALSE;
    }
}

/// The current request's fields as FPM reads them (`SG(request_info)`),
/// borrowed for the call of `f` (no copies: the scoreboard writes them at
/// every request start).
pub fn with_request_fields<T>(f: impl FnOnce(RequestFields<'_>) -> T) -> T {
    fn bytes<'a>(p: *const c_char) -> Option<&'a [u8]> {
        // SAFETY: SG(request_info) strings are NUL-terminated or NULL and
        // live for the request, longer than the call of f.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_bytes())
    }
    // SAFETY: SG() for this thread, during a request.
    let info = unsafe { &(*ffi::ext_php_rs_sapi_globals()).request_info };
    f(RequestFields {
        method: bytes(info.request_method),
        uri: bytes(info.request_uri),
        query_string: bytes(info.query_string),
        content_length: info.content_length,
        auth_user: bytes(info.auth_user),
        script: bytes(info.path_translated),
    })
}

pub struct RequestFields<'a> {
    pub method: Option<&'a [u8]>,
    pub uri: Option<&'a [u8]>,
    pub query_string: Option<&'a [u8]>,
    pub content_length: i64,
    pub auth_user: Option<&'a [u8]>,
    pub script: Option<&'a [u8]>,
}

/// What the current request is, where FPM reads it (`SG(request_info)`).
pub fn request_info() -> crate::status::RequestInfo {
    with_request_fields(|r| crate::status::RequestInfo {
        method: r.method.map(<[u8]>::to_vec),
        uri: r.uri.map(<[u8]>::to_vec),
        query_string: r.query_string.map(<[u8]>::to_vec),
        content_length: r.content_length,
        auth_user: r.auth_user.map(<[u8]>::to_vec),
        script: r.script.map(<[u8]>::to_vec),
    })
}

/// `zend_memory_peak_usage(true)`: the request's peak, in memory the
/// allocator took from the system (what FPM records).
pub fn memory_peak_usage_real() -> u64 {
    // SAFETY: reads the memory manager's counters for this thread.
    unsafe { zend_memory_peak_usage(true) as u64 }
}
