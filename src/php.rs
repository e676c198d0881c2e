//! The PHP C declarations this extension uses, and safe wrappers over them.
//!
//! This is the only module that touches PHP's C API. Everything here is
//! called on the thread that runs the current request (PHP's own rule), and
//! uses PHP's accessor functions rather than struct layouts where PHP has
//! them, so the same code is right in NTS and ZTS builds. No wrapper holds an
//! ext-php-rs globals guard: several of these calls run user code (output
//! buffer callbacks) that can `longjmp` out on a fatal error, and a guard
//! held across that would never be released.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CStr, CString};

use ext_php_rs::ffi;
use ext_php_rs::zend::ExecuteData;

extern "C" {
    fn cfg_get_string(varname: *const c_char, result: *mut *mut c_char) -> c_int;
    fn zend_ini_string_ex(name: *const c_char, len: usize, orig: c_int, exists: *mut bool) -> *mut c_char;
    fn php_output_end_all();
    fn php_output_get_status() -> c_int;
    fn php_output_set_status(status: c_int);
    fn php_header() -> c_int;
    fn sapi_flush() -> c_int;
    fn zend_error(kind: c_int, format: *const c_char, ...);
    fn zend_unregister_ini_entries(module_number: c_int);
}

const PHP_OUTPUT_DISABLED: c_int = 0x02;
const E_WARNING: c_int = 2;
const E_CORE_WARNING: c_int = 32;

/// `SUCCESS` / `FAILURE` as PHP's `zend_result`.
pub const SUCCESS: c_int = 0;
pub const FAILURE: c_int = -1;

/// The SAPI's name (`sapi_module.name`): "cli", "cli-server", "fpm-fcgi", …
pub fn sapi_name() -> String {
    // SAFETY: sapi_module is set up before any extension is loaded and its
    // name is a static C string for the life of the process.
    unsafe {
        let module = ffi::ext_php_rs_sapi_module();
        if module.is_null() || (*module).name.is_null() {
            return String::new();
        }
        CStr::from_ptr((*module).name).to_string_lossy().into_owned()
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

fn c_message(message: &str) -> CString {
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

/// `php_output_end_all()`: pops and flushes every output buffer; callbacks run
/// once with the FINAL flag. Runs user code.
pub fn output_end_all() {
    // SAFETY: valid during a request.
    unsafe { php_output_end_all() }
}

/// From now on, output that reaches the bottom of the output layer is
/// dropped instead of being handed to the SAPI (the flag PHP itself uses).
pub fn output_disable() {
    // SAFETY: php_output_set_status keeps only the low four flag bits.
    unsafe { php_output_set_status((php_output_get_status() & 0x0f) | PHP_OUTPUT_DISABLED) }
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

/// A two-column row in `phpinfo()` / `php --ri`.
pub fn info_row(key: &str, value: &str) {
    let k = c_message(key);
    let v = c_message(value);
    // SAFETY: two C strings for a two-column row.
    unsafe { ffi::php_info_print_table_row(2, k.as_ptr(), v.as_ptr()) }
}

pub fn info_header(a: &str, b: &str) {
    let a = c_message(a);
    let b = c_message(b);
    // SAFETY: two C strings for a two-column header.
    unsafe { ffi::php_info_print_table_header(2, a.as_ptr(), b.as_ptr()) }
}

pub fn info_table_start() {
    // SAFETY: no arguments.
    unsafe { ffi::php_info_print_table_start() }
}

pub fn info_table_end() {
    // SAFETY: no arguments.
    unsafe { ffi::php_info_print_table_end() }
}

/// `display_ini_entries()` for our module: the INI table in `php --ri`.
pub fn info_ini_entries(module: *mut ffi::zend_module_entry) {
    extern "C" {
        fn display_ini_entries(module: *mut ffi::zend_module_entry);
    }
    // SAFETY: the module entry PHP handed to our info function.
    unsafe { display_ini_entries(module) }
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
    // SAFETY: fstat on a descriptor number; a closed one just fails.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(fd, &mut st) != 0 {
            return None;
        }
        let kind = st.st_mode & libc::S_IFMT;
        // Only pipes and sockets keep a reader waiting for end-of-file; a
        // file the script also opened for itself must stay as it is.
        if kind != libc::S_IFIFO && kind != libc::S_IFSOCK {
            return None;
        }
        Some((st.st_dev as u64, st.st_ino as u64))
    }
}

/// Forks: the parent exits 0 at once (its caller is released), the child
/// returns Ok and runs the rest of the request in a new session with its
/// stdio on /dev/null, so the caller's terminal hang-up does not reach it.
pub fn detach_into_child() -> Result<(), String> {
    // SAFETY: only called in NTS builds (one thread); the child continues the
    // PHP request as the single owner of its state.
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

// ---------------------------------------------------------------------------
// Request state read from SAPI globals and $_SERVER.

/// A `$_SERVER` entry as the SAPI registered it (PG(http_globals), which a
/// script's writes to `$_SERVER` do not reach), as bytes.
pub fn server_var(name: &str) -> Option<Vec<u8>> {
    // SAFETY: $_SERVER is armed (it is a just-in-time auto global), then read
    // from PG(http_globals) for this thread; the bytes are copied out.
    unsafe {
        zend_is_auto_global_str(c"_SERVER".as_ptr(), "_SERVER".len());
        let globals = ffi::ext_php_rs_process_globals();
        let server = &(*globals).http_globals[ffi::TRACK_VARS_SERVER as usize];
        let array = server.array()?;
        let value = array.get(name)?;
        if let Some(s) = value.zend_str() {
            return Some(s.as_bytes().to_vec());
        }
        value.long().map(|n| n.to_string().into_bytes())
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
    extern "C" {
        fn sapi_add_header_ex(line: *const c_char, len: usize, duplicate: bool, replace: bool) -> c_int;
    }
    // SAFETY: duplicate=true: PHP copies the line.
    unsafe {
        sapi_add_header_ex(line.as_ptr().cast(), line.len(), true, true);
    }
}

/// The SAPI's per-request pointer (`SG(server_context)`).
pub fn server_context() -> *mut c_void {
    // SAFETY: SG() for this thread.
    unsafe { (*ffi::ext_php_rs_sapi_globals()).server_context }
}

/// Writes through the output layer (buffers, then the SAPI).
pub fn output_write(bytes: &[u8]) {
    // SAFETY: the bytes are copied by the output layer.
    unsafe {
        ffi::php_output_write(bytes.as_ptr().cast(), bytes.len());
    }
}

/// Calls a PHP function by name; None when it does not exist or failed.
pub fn call_function(name: &str, args: &[&str]) -> Option<ext_php_rs::types::Zval> {
    let callable = ext_php_rs::types::ZendCallable::try_from_name(name).ok()?;
    let params: Vec<&dyn ext_php_rs::convert::IntoZvalDyn> =
        args.iter().map(|a| a as &dyn ext_php_rs::convert::IntoZvalDyn).collect();
    callable.try_call(params).ok()
}

// ---------------------------------------------------------------------------
// The output layer's own stack, for capturing the final bytes of every
// output buffer (after their callbacks ran) before anything reaches the SAPI.

/// The head of `zend_output_globals` (main/php_output.h, unchanged since
/// PHP 5.4): only the fields read here.
#[repr(C)]
struct OutputGlobals {
    handlers: ffi::zend_stack,
    active: *mut ffi::php_output_handler,
    running: *mut ffi::php_output_handler,
}

/// OG() for this thread, found by symbol so one build serves NTS and ZTS.
fn output_globals() -> *mut OutputGlobals {
    // SAFETY: dlsym in the running PHP; in ZTS the globals live at an
    // offset from the thread's TSRM cache, as ZEND_TSRMG_FAST computes.
    unsafe {
        if !ZTS {
            return libc::dlsym(libc::RTLD_DEFAULT, c"output_globals".as_ptr()).cast();
        }
        let offset = libc::dlsym(libc::RTLD_DEFAULT, c"output_globals_offset".as_ptr()) as *const usize;
        let cache = libc::dlsym(libc::RTLD_DEFAULT, c"tsrm_get_ls_cache".as_ptr());
        if offset.is_null() || cache.is_null() {
            return std::ptr::null_mut();
        }
        let cache: unsafe extern "C" fn() -> *mut c_void = std::mem::transmute(cache);
        cache().cast::<u8>().add(*offset).cast()
    }
}

const HANDLER_STDFLAGS: c_int = 0x0070;

thread_local! {
    static CAPTURED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    static CAPTURING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

unsafe extern "C" fn capture_handler(_ctx: *mut *mut c_void, output: *mut ffi::php_output_context) -> c_int {
    if !CAPTURING.with(std::cell::Cell::get) {
        // A fatal error cut the capture short: let the rest (the error
        // message included) through to the client.
        let context = &mut *output;
        context.out = context.in_;
        context.in_ = std::mem::zeroed();
        return SUCCESS;
    }
    let input = &(*output).in_;
    if !input.data.is_null() && input.used > 0 {
        let bytes = std::slice::from_raw_parts(input.data.cast::<u8>(), input.used);
        // try_borrow_mut: nothing in this C callback may panic.
        CAPTURED.with(|c| {
            if let Ok(mut captured) = c.try_borrow_mut() {
                captured.extend_from_slice(bytes);
            }
        });
    }
    // Nothing in `out`: the handler eats it all and nothing reaches the SAPI.
    SUCCESS
}

/// Ends every output buffer like `php_output_end_all()` (callbacks run once,
/// with the FINAL flag), but returns the bytes that would have gone to the
/// SAPI instead of sending them. None when the output layer is not reachable;
/// then nothing was touched.
pub fn output_end_all_captured() -> Option<Vec<u8>> {
    let og = output_globals();
    if og.is_null() {
        return None;
    }
    CAPTURED.with(|c| c.borrow_mut().clear());
    // SAFETY: a handler created and started through PHP's API, then moved to
    // the bottom of OG(handlers) with the levels PHP would have given it had
    // it been started first; OG(active) stays the user's top buffer.
    unsafe {
        let previous_top = (*og).active;
        let handler = start_output_handler("fpm_compat final output", capture_handler, 0)?;
        let stack = &mut (*og).handlers;
        let elements = stack.elements.cast::<*mut ffi::php_output_handler>();
        let count = stack.top as usize;
        for i in (1..count).rev() {
            let moved = *elements.add(i - 1);
            *elements.add(i) = moved;
            (*moved).level = i as c_int;
        }
        *elements = handler;
        (*handler).level = 0;
        if !previous_top.is_null() {
            (*og).active = previous_top;
        }
    }
    CAPTURING.with(|c| c.set(true));
    // SAFETY: runs output callbacks, which may bail out; then our handler is
    // told to pass output through before the bailout goes on.
    let ended = ext_php_rs::zend::try_catch(|| unsafe { php_output_end_all() });
    CAPTURING.with(|c| c.set(false));
    if ended.is_err() {
        // SAFETY: re-raises the bailout to PHP's enclosing zend_try.
        unsafe { ext_php_rs::zend::bailout() }
    }
    Some(CAPTURED.with(|c| std::mem::take(&mut *c.borrow_mut())))
}

// ---------------------------------------------------------------------------
// After finishing: what output written later does.

unsafe extern "C" fn tripwire_handler(_ctx: *mut *mut c_void, output: *mut ffi::php_output_context) -> c_int {
    let input = &(*output).in_;
    if input.used > 0 {
        // The client is gone: as FPM does when output reaches it, mark the
        // connection aborted; PHP then ends the script unless
        // ignore_user_abort(true). OG(running) is cleared first because
        // the abort may longjmp out of this handler, and a handler left
        // "running" makes every later output operation fatal.
        let og = output_globals();
        if !og.is_null() {
            (*og).running = std::ptr::null_mut();
        }
        handle_aborted_connection();
    }
    SUCCESS
}

/// `fpm_compat.after_finish=abort` where writes do not fail on their own:
/// an output buffer that treats any later output as reaching a gone client.
pub fn start_abort_tripwire() -> bool {
    let name = "fpm_compat after finish";
    // Chunk size 1: PHP hands every write to the handler at once.
    start_output_handler(name, tripwire_handler, 1).is_some()
}

type OutputHandlerFn = unsafe extern "C" fn(*mut *mut c_void, *mut ffi::php_output_context) -> c_int;

/// Creates an internal output handler and starts it on top of the stack
/// through PHP's API; None (nothing left behind) if PHP refused it.
fn start_output_handler(name: &str, func: OutputHandlerFn, chunk_size: usize) -> Option<*mut ffi::php_output_handler> {
    // SAFETY: PHP copies the name; a handler that did not start is freed.
    unsafe {
        let handler =
            ffi::php_output_handler_create_internal(name.as_ptr().cast(), name.len(), Some(func), chunk_size, HANDLER_STDFLAGS);
        if handler.is_null() {
            return None;
        }
        if ffi::php_output_handler_start(handler) != SUCCESS {
            let mut h = handler;
            ffi::php_output_handler_free(&mut h);
            return None;
        }
        Some(handler)
    }
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

/// Runs `body` with SIGPIPE ignored, then puts the previous disposition
/// back (not after a bailout, which ends the script anyway). A flush to a
/// pipe whose reader has gone then fails with EPIPE instead of killing the
/// process: the CLI ignores SIGPIPE itself, phpdbg does not.
pub fn with_sigpipe_ignored<T>(body: impl FnOnce() -> T) -> T {
    // SAFETY: signal() with SIG_IGN and the handler it returned; NTS only
    // reaches here from the one thread that runs the request.
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

/// The first five `int` fields of php-cgi's private `struct _fcgi_request`
/// (main/fastcgi.c: listen_socket, tcp, fd, id, keep; unchanged PHP 7.0–8.4,
/// and proven on every version `scripts/test-php` runs by
/// tests/e2e/test_fastcgi_request_struct.py). Read only, and only trusted
/// after validation by the caller.
#[derive(Debug, Clone, Copy)]
pub struct FastCgiRequestHead {
    pub listen_socket: c_int,
    pub fd: c_int,
    pub id: c_int,
    pub keep: c_int,
}

pub fn fastcgi_request_head() -> Option<FastCgiRequestHead> {
    let ctx = server_context().cast::<c_int>();
    if ctx.is_null() {
        return None;
    }
    // SAFETY: php-cgi in FastCGI mode keeps its fcgi_request in
    // SG(server_context); we read five ints from its start.
    unsafe {
        Some(FastCgiRequestHead { listen_socket: *ctx, fd: *ctx.add(2), id: *ctx.add(3), keep: *ctx.add(4) })
    }
}

// ---------------------------------------------------------------------------
// Request headers and status: reading `$_SERVER` and `SG(request_info)`,
// building the arrays returned to PHP, patching a registered return type,
// and the process figures (CPU time, peak memory) behind fpm_get_status().
// ---------------------------------------------------------------------------

extern "C" {
    fn zend_is_auto_global_str(name: *const c_char, len: usize) -> bool;
    fn _zend_handle_numeric_str_ex(key: *const c_char, length: usize, idx: *mut ffi::zend_ulong) -> bool;
    fn zval_try_get_string_func(op: *mut ffi::zval) -> *mut ffi::zend_string;
    fn zend_memory_peak_usage(real: bool) -> usize;
    fn zend_string_hash_func(s: *mut ffi::zend_string) -> ffi::zend_ulong;
}

const HASH_FLAG_PACKED: u32 = 1 << 2;
/// zend_string flags (`GC_FLAGS`): an interned string is never reference-
/// counted or freed by PHP; a permanent one outlives requests.
const IS_STR_INTERNED: u32 = ffi::GC_IMMUTABLE;
const IS_STR_PERMANENT: u32 = 1 << 8;
const MAY_BE_FALSE: u32 = 1 << ffi::IS_FALSE;

/// # Safety
/// `zv` points to a live zval.
unsafe fn type_of(zv: *const ffi::zval) -> u32 {
    (*zv).u1.type_info & 0xff
}

/// The value a zval slot holds for PHP code: through an INDIRECT slot (symbol
/// tables) and a reference. None for an empty slot.
///
/// # Safety
/// `zv` points to a live zval.
unsafe fn resolve(mut zv: *const ffi::zval) -> Option<*const ffi::zval> {
    if type_of(zv) == ffi::IS_INDIRECT {
        zv = (*zv).value.zv;
    }
    if type_of(zv) == ffi::IS_REFERENCE {
        zv = &(*(*zv).value.ref_).val;
    }
    (type_of(zv) != ffi::IS_UNDEF).then_some(zv)
}

/// A hash look-up's result, resolved as in [`resolve`]; None if absent.
///
/// # Safety
/// `zv` is NULL or points to a live zval.
unsafe fn found(zv: *mut ffi::zval) -> Option<*const ffi::zval> {
    if zv.is_null() {
        None
    } else {
        resolve(zv)
    }
}

/// # Safety
/// `s` points to a live zend_string that outlives the returned slice.
unsafe fn zstr_bytes<'a>(s: *const ffi::zend_string) -> &'a [u8] {
    std::slice::from_raw_parts((*s).val.as_ptr().cast::<u8>(), (*s).len)
}

/// `ZVAL_COPY_DEREF`: a new owner of the same value. (ext-php-rs gives
/// `zval` a destructor: a Rust `zval` releases its value when dropped, and
/// must be forgotten once PHP takes it over.)
///
/// # Safety
/// `src` points to a live zval.
unsafe fn copy_value(src: *const ffi::zval) -> ffi::zval {
    let src = resolve(src).unwrap_or(src);
    let mut dst: ffi::zval = std::mem::zeroed();
    dst.value = (*src).value;
    dst.u1.type_info = (*src).u1.type_info;
    if (dst.u1.type_info >> ffi::Z_TYPE_FLAGS_SHIFT) & ffi::IS_TYPE_REFCOUNTED != 0 {
        (*dst.value.counted).gc.refcount += 1;
    }
    dst
}

/// `$_SERVER` as PHP code sees it now. Valid until PHP code runs again: the
/// script may reassign or change it.
pub struct ServerArray {
    ht: *const ffi::HashTable,
    /// Whether the walk met a reference (or a symbol-table slot): its value
    /// can change without `$_SERVER` itself being written to.
    saw_reference: Cell<bool>,
}

/// One `$_SERVER` value (already through references).
#[derive(Clone, Copy)]
pub struct ServerValue(*const ffi::zval);

/// One `$_SERVER` key as the array holds it: its zend_string, NULL for an
/// integer key. Valid as long as the array's values are.
#[derive(Clone, Copy)]
pub struct ServerKey(*const ffi::zend_string);

/// The live `$_SERVER` array, None if the script made it something else.
pub fn server_vars() -> Option<ServerArray> {
    const NAME: &str = "_SERVER";
    // SAFETY: arming the auto-global fills $_SERVER on first use (it is
    // created lazily, auto_globals_jit); the symbol table is this request's.
    unsafe {
        zend_is_auto_global_str(NAME.as_ptr().cast(), NAME.len());
        let globals = &raw mut (*ffi::ext_php_rs_executor_globals()).symbol_table;
        let zv = found(ffi::zend_hash_str_find(globals, NAME.as_ptr().cast(), NAME.len()))?;
        (type_of(zv) == ffi::IS_ARRAY).then(|| ServerArray { ht: (*zv).value.arr, saw_reference: Cell::new(false) })
    }
}

impl crate::headers::ServerVars for ServerArray {
    type Value = ServerValue;
    type Var = ServerKey;

    fn each(&self, mut visit: impl FnMut(crate::headers::Key<'_>, ServerKey, ServerValue)) {
        use crate::headers::Key;
        // SAFETY: walks the array's used slots as PHP's foreach does, packed
        // (zvals, keys are positions) or hashed (buckets), skipping holes.
        unsafe {
            let ht = self.ht;
            let used = (*ht).nNumUsed as usize;
            let note = |zv: *const ffi::zval| {
                if matches!(type_of(zv), ffi::IS_REFERENCE | ffi::IS_INDIRECT) {
                    self.saw_reference.set(true);
                }
            };
            if (*ht).u.flags & HASH_FLAG_PACKED != 0 {
                let data = (*ht).__bindgen_anon_1.arPacked;
                for i in 0..used {
                    note(data.add(i));
                    if let Some(v) = resolve(data.add(i)) {
                        visit(Key::Int(i as i64), ServerKey(std::ptr::null()), ServerValue(v));
                    }
                }
            } else {
                let data = (*ht).__bindgen_anon_1.arData;
                for i in 0..used {
                    let bucket = data.add(i);
                    note(&(*bucket).val);
                    let Some(v) = resolve(&(*bucket).val) else { continue };
                    let key = if (*bucket).key.is_null() {
                        Key::Int((*bucket).h as i64)
                    } else {
                        Key::Str(zstr_bytes((*bucket).key))
                    };
                    visit(key, ServerKey((*bucket).key), ServerValue(v));
                }
            }
        }
    }

    fn isset(&self, key: &[u8]) -> Option<ServerValue> {
        // SAFETY: a look-up by string key; callers pass fixed variable names,
        // never numeric strings, so no integer-key translation is due.
        unsafe {
            let zv = found(ffi::zend_hash_str_find(self.ht, key.as_ptr().cast(), key.len()))?;
            (type_of(zv) != ffi::IS_NULL).then_some(ServerValue(zv))
        }
    }

    fn is_null(&self, value: ServerValue) -> bool {
        // SAFETY: values handed out by this array, read before PHP code runs.
        unsafe { type_of(value.0) == ffi::IS_NULL }
    }
}

impl ServerArray {
    /// A reference to this very array, if it can be held: holding one makes
    /// PHP copy the array before any write to `$_SERVER` (copy-on-write), so
    /// while it is held, `same_as` tells that `$_SERVER` is unchanged. None
    /// if the walk met a reference (values that change behind the array's
    /// back) or the array is immutable (not reference-counted).
    pub fn hold(&self) -> Option<HeldArray> {
        if self.saw_reference.get() {
            return None;
        }
        // SAFETY: a live array; immutable ones carry the flag and are skipped.
        unsafe {
            if (*self.ht).gc.u.type_info & ffi::GC_IMMUTABLE != 0 {
                return None;
            }
            Some(HeldArray::new_ref(self.ht.cast_mut()))
        }
    }

    /// How many entries it has.
    pub fn len(&self) -> usize {
        // SAFETY: a live array.
        unsafe { (*self.ht).nNumOfElements as usize }
    }

    pub fn same_as(&self, held: &HeldArray) -> bool {
        // SAFETY: reads the held zval's array pointer.
        std::ptr::eq(self.ht, unsafe { held.0.value.arr })
    }
}

impl ServerValue {
    /// Whether converting it to a string runs no code and raises nothing.
    pub fn is_string(self) -> bool {
        // SAFETY: values handed out by a ServerArray, read before PHP code runs.
        unsafe { type_of(self.0) == ffi::IS_STRING }
    }
}

/// A counted reference to a PHP array, kept between calls within a request
/// and released (ext-php-rs's zval destructor) when dropped.
pub struct HeldArray(ffi::zval);

impl HeldArray {
    /// # Safety
    /// `ht` is a live, reference-counted array.
    unsafe fn new_ref(ht: *mut ffi::HashTable) -> Self {
        (*ht).gc.refcount += 1;
        let mut zv: ffi::zval = std::mem::zeroed();
        zv.value.arr = ht;
        zv.u1.type_info = ffi::IS_ARRAY_EX;
        HeldArray(zv)
    }

    /// Returns the array itself, one more reference: the caller's copy
    /// separates on its first write, as PHP arrays do.
    pub fn return_to(&self, retval: &mut ext_php_rs::types::Zval) {
        // SAFETY: as PhpArray::return_to, with a new reference to our array.
        unsafe {
            let zv = HeldArray::new_ref(self.0.value.arr);
            let zv = std::mem::ManuallyDrop::new(zv);
            std::ptr::from_mut(retval).cast::<ffi::zval>().write(std::ptr::read(&zv.0));
        }
    }
}

/// `(string) $user` then `(string) $password` (absent: ""), as the polyfill's
/// concatenation converts them: warnings, `__toString()`, exceptions. None if
/// a conversion threw. Both values are held as copies first, because the
/// conversions run PHP code that may change `$_SERVER`.
pub fn credentials(user: ServerValue, password: Option<ServerValue>) -> Option<(Vec<u8>, Vec<u8>)> {
    // SAFETY: the copies own their values until released below.
    unsafe {
        let mut user = copy_value(user.0);
        let mut password = password.map(|p| copy_value(p.0));
        to_bytes(&mut user).and_then(|u| match password.as_mut() {
            Some(p) => to_bytes(p).map(|p| (u, p)),
            None => Some((u, Vec::new())),
        })
    }
}

/// # Safety
/// `zv` is an owned, live zval.
unsafe fn to_bytes(zv: &mut ffi::zval) -> Option<Vec<u8>> {
    if type_of(zv) == ffi::IS_STRING {
        return Some(zstr_bytes(zv.value.str_).to_vec());
    }
    let s = zval_try_get_string_func(zv);
    if s.is_null() {
        return None;
    }
    let bytes = zstr_bytes(s).to_vec();
    ffi::ext_php_rs_zend_string_release(s);
    Some(bytes)
}

/// A PHP array under construction, owned until handed to PHP.
pub struct PhpArray(*mut ffi::HashTable);

impl PhpArray {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty array with room for `n` entries before it grows (growing
    /// rehashes every entry).
    pub fn with_capacity(n: u32) -> Self {
        // SAFETY: a fresh request-memory array with refcount 1; the size is
        // only a hint (PHP rounds it to a power of two, 8 at least).
        PhpArray(unsafe { ffi::_zend_new_array(n) })
    }

    /// `$array[$key] = $value`: a key that reads as a canonical integer
    /// ("12", "-3") becomes an integer key, as in PHP.
    fn update(&mut self, key: &[u8], value: ffi::zval) {
        let mut value = std::mem::ManuallyDrop::new(value);
        // SAFETY: the array takes ownership of the zval (bitwise, no extra
        // reference); a replaced value is released by the array's destructor.
        unsafe {
            match integer_key(key) {
                Some(index) => ffi::zend_hash_index_update(self.0, index, &mut *value),
                None => ffi::zend_hash_str_update(self.0, key.as_ptr().cast(), key.len(), &mut *value),
            };
        }
    }

    /// `$array[header_name($rest)] = $value` for the `$_SERVER` entry under
    /// `var` (`HTTP_` . `$rest`), with the name from `names` when it has it.
    pub fn set_header(&mut self, names: &mut HeaderNames, var: ServerKey, rest: &[u8], value: ServerValue) {
        match names.get(var, rest) {
            Some(name) => {
                // SAFETY: values from a ServerArray are live until PHP code
                // runs; the array takes ownership of the copy. A cached name
                // is a permanent interned string (hash set): the array
                // neither counts nor frees it, and it outlives every request.
                unsafe {
                    let mut value = std::mem::ManuallyDrop::new(copy_value(value.0));
                    match name {
                        CachedName::Str(key) => ffi::zend_hash_update(self.0, key, &mut *value),
                        CachedName::Index(index) => ffi::zend_hash_index_update(self.0, index, &mut *value),
                    };
                }
            }
            None => {
                let mut name = std::mem::take(&mut names.scratch);
                crate::headers::header_name(rest, &mut name);
                self.set_server_value(&name, value);
                names.scratch = name;
            }
        }
    }

    /// `$array[$key] = $value` with a value from `$_SERVER` (copied).
    pub fn set_server_value(&mut self, key: &[u8], value: ServerValue) {
        // SAFETY: values from a ServerArray are live until PHP code runs.
        self.update(key, unsafe { copy_value(value.0) });
    }

    pub fn set_bytes(&mut self, key: &[u8], bytes: &[u8]) {
        self.update(key, string_zval(bytes));
    }

    pub fn set_long(&mut self, key: &[u8], value: i64) {
        // SAFETY: an all-zero zval is UNDEF; we set a long.
        let mut zv: ffi::zval = unsafe { std::mem::zeroed() };
        zv.value.lval = value;
        zv.u1.type_info = ffi::IS_LONG;
        self.update(key, zv);
    }

    pub fn set_double(&mut self, key: &[u8], value: f64) {
        // SAFETY: as in set_long.
        let mut zv: ffi::zval = unsafe { std::mem::zeroed() };
        zv.value.dval = value;
        zv.u1.type_info = ffi::IS_DOUBLE;
        self.update(key, zv);
    }

    pub fn set_array(&mut self, key: &[u8], value: PhpArray) {
        self.update(key, value.into_zval());
    }

    /// `$array[] = $value`.
    pub fn push_array(&mut self, value: PhpArray) {
        let mut zv = std::mem::ManuallyDrop::new(value.into_zval());
        // SAFETY: the array takes ownership of the zval.
        unsafe {
            ffi::zend_hash_next_index_insert(self.0, &mut *zv);
        }
    }

    fn into_zval(self) -> ffi::zval {
        // SAFETY: the zval takes over our reference to the array.
        let mut zv: ffi::zval = unsafe { std::mem::zeroed() };
        zv.value.arr = self.0;
        zv.u1.type_info = ffi::IS_ARRAY_EX;
        std::mem::forget(self);
        zv
    }

    /// Keeps the finished array (our reference moves into the holder).
    pub fn into_held(self) -> HeldArray {
        HeldArray(self.into_zval())
    }

    /// Makes the array the function's return value.
    pub fn return_to(self, retval: &mut ext_php_rs::types::Zval) {
        let zv = self.into_zval();
        // SAFETY: Zval is the C zval; the return slot holds nothing owned yet
        // (PHP hands internal functions a NULL/UNDEF slot).
        unsafe { std::ptr::from_mut(retval).cast::<ffi::zval>().write(zv) }
    }
}

impl Drop for PhpArray {
    fn drop(&mut self) {
        // SAFETY: we hold the only reference.
        unsafe { ffi::zend_array_destroy(self.0) }
    }
}

/// `ZEND_HANDLE_NUMERIC_STR`: the integer a string key stands for in a PHP
/// array ("12", "-3"; not "012", "1e3", " 1" or past the integer range).
fn integer_key(key: &[u8]) -> Option<ffi::zend_ulong> {
    // PHP's inline ZEND_HANDLE_NUMERIC_STR screens the first bytes before
    // calling the exported part, which assumes it did.
    let digits = key.strip_prefix(b"-").unwrap_or(key);
    if !digits.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut index: ffi::zend_ulong = 0;
    // SAFETY: reads `key.len()` bytes and writes the index we own.
    unsafe { _zend_handle_numeric_str_ex(key.as_ptr().cast(), key.len(), &mut index) }.then_some(index)
}

/// The header names made from `HTTP_*` variable names, by variable name, so
/// that a fresh `getallheaders()` neither builds nor hashes nor allocates
/// the names it made before (nor frees them with the array). Per thread,
/// kept until the thread ends: the names are permanent interned strings,
/// which PHP never counts, frees or writes (the same flags as the strings
/// PHP interns at startup), so arrays of any request may hold them; only
/// this cache frees them, when the thread exits, after its last request.
///
/// Header names come from clients, so the cache is bounded and never
/// evicts (evicting could free a name a live array still holds): once it
/// is full, or for a long name, names are made per call as before.
pub struct HeaderNames {
    /// Open addressing by the variable name's PHP hash; empty until used.
    slots: Vec<Option<NameEntry>>,
    used: usize,
    /// Whether names are kept: not in a stand-in that dies with its call.
    keeps: bool,
    /// Where uncached names are made, reused between calls.
    scratch: Vec<u8>,
}

struct NameEntry {
    /// The variable name's hash as PHP computed it (`ZSTR_H`).
    hash: ffi::zend_ulong,
    var: Box<[u8]>,
    name: CachedName,
    /// Owns the string in `name`, if it is one.
    _string: Option<PermanentString>,
}

#[derive(Clone, Copy)]
enum CachedName {
    Str(*mut ffi::zend_string),
    /// A name that reads as an integer is an integer key, as in PHP.
    Index(ffi::zend_ulong),
}

impl HeaderNames {
    const SLOTS: usize = 256;
    /// At most half full: probe runs stay short.
    const MAX_NAMES: usize = Self::SLOTS / 2;
    const MAX_VAR_LEN: usize = 96;

    const fn new(keeps: bool) -> Self {
        HeaderNames { slots: Vec::new(), used: 0, keeps, scratch: Vec::new() }
    }

    /// The name for `var` (`HTTP_` . `rest`), made and kept on first sight;
    /// None if it is not kept (cache full, name too long, hash unknown).
    fn get(&mut self, var: ServerKey, rest: &[u8]) -> Option<CachedName> {
        if var.0.is_null() || !self.keeps {
            return None;
        }
        // SAFETY: a live key of the array being walked; a hashed array's
        // string keys carry their hash (ZSTR_H), set when they were added.
        let (hash, var_bytes) = unsafe { ((*var.0).h, zstr_bytes(var.0)) };
        if hash == 0 || var_bytes.len() > Self::MAX_VAR_LEN {
            return None;
        }
        if self.slots.is_empty() {
            self.slots.resize_with(Self::SLOTS, || None);
        }
        let mask = Self::SLOTS - 1;
        let mut at = hash as usize & mask;
        loop {
            match &self.slots[at] {
                Some(entry) if entry.hash == hash && same_bytes(&entry.var, var_bytes) => return Some(entry.name),
                Some(_) => at = (at + 1) & mask,
                None => break,
            }
        }
        if self.used >= Self::MAX_NAMES {
            return None;
        }
        let mut name = std::mem::take(&mut self.scratch);
        crate::headers::header_name(rest, &mut name);
        let (cached, string) = match integer_key(&name) {
            Some(index) => (CachedName::Index(index), None),
            None => {
                let string = PermanentString::new(&name);
                (CachedName::Str(string.0), Some(string))
            }
        };
        self.scratch = name;
        self.slots[at] = Some(NameEntry { hash, var: var_bytes.into(), name: cached, _string: string });
        self.used += 1;
        Some(cached)
    }
}

/// `a == b` for short slices, a word at a time (the last word may overlap
/// the one before): the library `bcmp` call this replaces cost more than
/// the compare itself here.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_ne_bytes(w)
    };
    (0..n - 8).step_by(8).all(|i| word(a, i) == word(b, i)) && word(a, n - 8) == word(b, n - 8)
}

thread_local! {
    static HEADER_NAMES: std::cell::RefCell<HeaderNames> = const { std::cell::RefCell::new(HeaderNames::new(true)) };
}

/// Runs `f` with this thread's header-name cache (a stand-in that keeps
/// nothing if it is in use further up the stack, which nothing here does:
/// a name it kept would be freed while the array still held it).
pub fn with_header_names<T>(f: impl FnOnce(&mut HeaderNames) -> T) -> T {
    HEADER_NAMES.with(|cell| match cell.try_borrow_mut() {
        Ok(mut names) => f(&mut names),
        Err(_) => f(&mut HeaderNames::new(false)),
    })
}

/// A zend_string in malloc'd memory, marked permanent and interned so PHP
/// treats it as one of its own startup strings: never reference-counted,
/// never freed, never changed. Freed by our Drop only.
struct PermanentString(*mut ffi::zend_string);

impl PermanentString {
    fn new(bytes: &[u8]) -> Self {
        // SAFETY: zend_string_init with persistent=1 mallocs a string with
        // refcount 1 and the persistent flag (never an interned one). The
        // hash is set before the interned flag: PHP takes interned strings'
        // hashes as known and never computes them.
        unsafe {
            let s = ffi::ext_php_rs_zend_string_init(bytes.as_ptr().cast(), bytes.len(), true);
            zend_string_hash_func(s);
            (*s).gc.u.type_info |= IS_STR_INTERNED | IS_STR_PERMANENT;
            PermanentString(s)
        }
    }
}

impl Drop for PermanentString {
    fn drop(&mut self) {
        // SAFETY: persistent zend_strings are malloc'd (pemalloc(.., 1));
        // PHP never frees an interned one, and this cache drops it only when
        // its thread ends, after the thread's last request.
        unsafe { libc::free(self.0.cast()) }
    }
}

/// `ZVAL_STRINGL`: empty and one-byte strings come back interned (shared,
/// never freed), others new and owned by the zval.
fn string_zval(bytes: &[u8]) -> ffi::zval {
    // SAFETY: a non-persistent zend_string; the zval's type says whether it
    // holds a reference to release.
    unsafe {
        let mut zv: ffi::zval = std::mem::zeroed();
        let s = ffi::ext_php_rs_zend_string_init(bytes.as_ptr().cast(), bytes.len(), false);
        let interned = (*s).gc.u.type_info & ffi::GC_IMMUTABLE != 0;
        zv.value.str_ = s;
        zv.u1.type_info = if interned { ffi::IS_INTERNED_STRING_EX } else { ffi::IS_STRING_EX };
        zv
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

/// What the current request is, where FPM reads it (`SG(request_info)`).
pub fn request_info() -> crate::status::RequestInfo {
    fn bytes(p: *const c_char) -> Option<Vec<u8>> {
        // SAFETY: SG(request_info) strings are NUL-terminated or NULL.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_bytes().to_vec())
    }
    // SAFETY: SG() for this thread, during a request.
    let info = unsafe { &(*ffi::ext_php_rs_sapi_globals()).request_info };
    crate::status::RequestInfo {
        method: bytes(info.request_method),
        uri: bytes(info.request_uri),
        query_string: bytes(info.query_string),
        content_length: info.content_length,
        auth_user: bytes(info.auth_user),
        script: bytes(info.path_translated),
    }
}

/// `zend_memory_peak_usage(true)`: the request's peak, in memory the
/// allocator took from the system (what FPM records).
pub fn memory_peak_usage_real() -> u64 {
    // SAFETY: reads the memory manager's counters for this thread.
    unsafe { zend_memory_peak_usage(true) as u64 }
}

/// CPU time used so far, in microseconds: the whole process and the children
/// it waited for, as FPM counts with `times()`; only this thread where
/// threads share the process (ZTS).
pub fn cpu_time_us() -> u64 {
    let read = |who| {
        // SAFETY: getrusage fills the struct we own.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut usage) } != 0 {
            return 0;
        }
        let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
        us(usage.ru_utime) + us(usage.ru_stime)
    };
    if ZTS {
        read(libc::RUSAGE_THREAD)
    } else {
        read(libc::RUSAGE_SELF) + read(libc::RUSAGE_CHILDREN)
    }
}

/// The kernel's clock tick rate (`/proc` times are in ticks).
pub fn clock_ticks_per_second() -> Option<u64> {
    // SAFETY: sysconf only reads a system constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(hz).ok().filter(|&hz| hz > 0)
}
