//! PHP's output layer (main/output.c): ending and disabling buffers,
//! writing through them, and the two internal handlers this extension
//! starts — one that captures the final bytes of every buffer before they
//! reach the SAPI, and one that treats output after the finish as reaching
//! a gone client.
//!
//! Callers may rely on: everything here runs on the request's thread; the
//! output globals (`OG()`) are found by symbol, so one build serves NTS and
//! ZTS; functions that run user output callbacks say so, and a bailout in
//! them goes on to PHP after this module has restored its own state.

use std::borrow::Cow;
use std::ffi::{c_int, c_void};

use ext_php_rs::ffi;
use ext_php_rs::zend::{start_output_handler, OutputHandlerFlags, OutputOp};

use super::engine::{handle_aborted_connection, ZTS};

extern "C" {
    fn php_output_end_all();
    fn php_output_get_status() -> c_int;
    fn php_output_set_status(status: c_int);
}

const PHP_OUTPUT_DISABLED: c_int = 0x02;

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

/// Writes through the output layer (buffers, then the SAPI).
pub fn output_write(bytes: &[u8]) {
    // The count written is all or nothing (output disabled): nothing to do
    // with it either way.
    let _ = ext_php_rs::zend::output_write(bytes);
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
    // SAFETY: dlsym in the running PHP. Under ZTS, OG() is not at an offset
    // from the thread's TSRM cache as SG()/EG()/PG() are: main/php_output.h
    // declares it by resource id (`output_globals_id`) and reaches it with
    // TSRMG_BULK_STATIC, i.e. slot id - 1 of the `storage` array that heads
    // this thread's TSRM entry (TSRM.h; `tsrm_get_ls_cache()` returns the
    // entry). The same expression as ext-php-rs's `ext_php_rs_tsrmg_bulk`,
    // which is not exported from this library.
    unsafe {
        if !ZTS {
            return libc::dlsym(libc::RTLD_DEFAULT, c"output_globals".as_ptr()).cast();
        }
        let id = libc::dlsym(libc::RTLD_DEFAULT, c"output_globals_id".as_ptr()) as *const c_int;
        let cache = libc::dlsym(libc::RTLD_DEFAULT, c"tsrm_get_ls_cache".as_ptr());
        if id.is_null() || cache.is_null() || *id < 1 {
            return std::ptr::null_mut();
        }
        let cache: unsafe extern "C" fn() -> *mut c_void = std::mem::transmute(cache);
        let entry = cache().cast::<*mut *mut c_void>();
        if entry.is_null() || (*entry).is_null() {
            return std::ptr::null_mut();
        }
        (*(*entry).add((*id - 1) as usize)).cast()
    }
}

thread_local! {
    static CAPTURED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    static CAPTURING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The final output of every buffer while capturing; passed through once
/// a fatal error cut the capture short, so the error message (and the rest)
/// reaches the client.
fn capture(input: &[u8], _op: OutputOp) -> Cow<'_, [u8]> {
    if !CAPTURING.with(std::cell::Cell::get) {
        return Cow::Borrowed(input);
    }
    // try_borrow_mut: nothing in an output handler may panic.
    CAPTURED.with(|c| {
        if let Ok(mut captured) = c.try_borrow_mut() {
            captured.extend_from_slice(input);
        }
    });
    // Nothing returned: nothing reaches the SAPI.
    Cow::Borrowed(&[])
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
    // SAFETY: a handler started through PHP's API (it is OG(active) once
    // started), then moved to the bottom of OG(handlers) with the levels PHP
    // would have given it had it been started first; OG(active) stays the
    // user's top buffer.
    unsafe {
        let previous_top = (*og).active;
        start_output_handler("fpm_compat final output", 0, OutputHandlerFlags::Std, capture).ok()?;
        let handler = (*og).active;
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

/// Output after the finish: the client is gone, so as FPM does when output
/// reaches it, the connection is marked aborted; PHP then ends the script
/// unless ignore_user_abort(true).
fn tripwire(input: &[u8], _op: OutputOp) -> Cow<'_, [u8]> {
    if !input.is_empty() {
        // OG(running) is cleared first because the abort may longjmp out of
        // this handler, and a handler left "running" makes every later output
        // operation fatal.
        let og = output_globals();
        if !og.is_null() {
            // SAFETY: OG() of this thread, a plain pointer field.
            unsafe { (*og).running = std::ptr::null_mut() };
        }
        handle_aborted_connection();
    }
    Cow::Borrowed(&[])
}

/// `fpm_compat.after_finish=abort` where writes do not fail on their own:
/// an output buffer that treats any later output as reaching a gone client.
pub fn start_abort_tripwire() -> bool {
    let name = "fpm_compat after finish";
    // Chunk size 1: PHP hands every write to the handler at once.
    start_output_handler(name, 1, OutputHandlerFlags::Std, tripwire).is_ok()
}
