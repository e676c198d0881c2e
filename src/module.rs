//! The module entry: what PHP calls. Each hook is a thin shell over the
//! pure modules, `finish` and `status::live`, wrapped so a panic cannot
//! unwind into C.

use std::ffi::c_int;
use std::sync::OnceLock;

use ext_php_rs::builders::{FunctionBuilder, ModuleBuilder};
use ext_php_rs::ffi;
use ext_php_rs::flags::DataType;
use ext_php_rs::prelude::*;
use ext_php_rs::types::Zval;
use ext_php_rs::zend::{ExecuteData, ModuleEntry};

use crate::finish;
use crate::headers::{self, AuthFallback, Header, HoldBackoff};
use crate::ffi::array::{self, PhpArray};
use crate::ffi::engine::{self, IniDirective, InternalHandler};
use crate::ffi::{info, os, output, server_vars};
use crate::registry::{self, Decision, FunctionsSetting, Shim, ShimKind};
use crate::settings::{self, Directive};
use crate::status::{self, Value};

/// What was decided when the extension loaded, for `php --ri` and for
/// forwarding to a native finish function.
struct LoadState {
    sapi: String,
    decisions: Vec<(Shim, Decision)>,
    native_finish: Option<InternalHandler>,
}

static LOAD: OnceLock<LoadState> = OnceLock::new();

fn load_state() -> Option<&'static LoadState> {
    LOAD.get()
}

#[php_module]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    let sapi = engine::sapi_name();
    // INI entries are not registered yet: read the raw php.ini / -d value. A
    // bad value is reported once, by the INI handler at MINIT.
    let setting = engine::raw_ini_value(Directive::Functions.name())
        .and_then(|v| settings::parse_functions(&v).ok())
        .unwrap_or(FunctionsSetting::All);
    let later = engine::sapi_additional_functions();
    let decisions = registry::decide(&sapi, &engine::function_exists, &later, &setting);
    let native_finish = [Shim::FastcgiFinishRequest, Shim::LitespeedFinishRequest]
        .into_iter()
        .filter(|s| decisions.contains(&(*s, Decision::Native)))
        .find_map(|s| InternalHandler::find(s.name()));
    let mut module = module
        .startup_function(module_startup)
        .shutdown_function(module_shutdown)
        .request_startup_function(request_startup)
        .request_shutdown_function(request_shutdown)
        .info_function(module_info);
    for shim in registry::to_register(&decisions) {
        module = module.function(function_for(shim));
    }
    let _ = LOAD.set(LoadState { sapi, decisions, native_finish });
    module
}

fn function_for(shim: Shim) -> FunctionBuilder<'static> {
    match shim.kind() {
        ShimKind::Finish => FunctionBuilder::new(shim.name(), finish_request).returns(DataType::Bool, false, false),
        // Declared `array` here; MINIT widens it to FPM's `array|false`.
        ShimKind::Status => FunctionBuilder::new(shim.name(), get_status).returns(DataType::Array, false, false),
        ShimKind::StatusPage => FunctionBuilder::new(shim.name(), status_page).returns(DataType::Bool, false, false),
        ShimKind::RequestHeaders => {
            FunctionBuilder::new(shim.name(), request_headers).returns(DataType::Array, false, false)
        }
    }
}

extern "C" fn finish_request(execute_data: &mut ExecuteData, retval: &mut Zval) {
    // run_handler: a PHP bailout (a fatal error in an output callback) goes
    // on to PHP; a Rust panic becomes a PHP Error; neither crosses C frames.
    ext_php_rs::zend::run_handler(std::panic::AssertUnwindSafe(|| {
        if execute_data.parser().parse().is_err() {
            return; // ArgumentCountError is already thrown
        }
        if !finish::claim() {
            retval.set_bool(false);
            return;
        }
        status::live::finishing();
        let Some(load) = load_state() else {
            retval.set_bool(false);
            return;
        };
        if let Some(native) = load.native_finish {
            native.call(execute_data, retval);
            return;
        }
        let ok = finish::finish_request(&load.sapi);
        retval.set_bool(ok);
    }));
}

extern "C" fn request_headers(execute_data: &mut ExecuteData, retval: &mut Zval) {
    engine::no_unwind("getallheaders", (), || {
        if execute_data.parser().parse().is_err() {
            return;
        }
        let Some(server) = server_vars::server_vars() else {
            // No longer an array: the polyfill warns, then gives no headers.
            PhpArray::new().return_to(retval);
            return;
        };
        let mut stale = None;
        if let Some(mut last) = LAST_HEADERS.take() {
            if server.same_as(&last.server) {
                last.headers.return_to(retval);
                last.reused = true;
                LAST_HEADERS.set(Some(last));
                return;
            }
            update_backoff(|b| b.hold_ended(last.reused));
            // Released last: releasing may run destructors (PHP code).
            stale = Some(last);
        }
        let Some((headers, pure)) = headers_from(&server) else { return };
        let held_server = if pure && update_backoff(HoldBackoff::may_hold) { server.hold() } else { None };
        match held_server {
            Some(server) => {
                let headers = headers.into_held();
                headers.return_to(retval);
                drop(LAST_HEADERS.replace(Some(LastHeaders { server, headers, reused: false })));
            }
            None => headers.return_to(retval),
        }
        drop(stale);
    });
}

/// A held `$_SERVER` and the headers made from it.
struct LastHeaders {
    server: array::HeldArray,
    headers: array::HeldArray,
    /// Whether it answered a repeat.
    reused: bool,
}

thread_local! {
    /// The last `$_SERVER` read (held: any write to it makes PHP copy it, so
    /// the same array means the same contents) and the headers made from it.
    /// Frameworks ask for the headers several times per request; this
    /// answers the repeats with the same (copy-on-write) array. Per thread
    /// and per request: released at RSHUTDOWN.
    static LAST_HEADERS: std::cell::Cell<Option<LastHeaders>> = const { std::cell::Cell::new(None) };
    static HOLD_BACKOFF: std::cell::Cell<HoldBackoff> = const { std::cell::Cell::new(HoldBackoff::NEW) };
}

fn update_backoff<T>(f: impl FnOnce(&mut HoldBackoff) -> T) -> T {
    HOLD_BACKOFF.with(|cell| {
        let mut backoff = cell.get();
        let out = f(&mut backoff);
        cell.set(backoff);
        out
    })
}

/// The polyfill's array from `$_SERVER`, and whether making it ran no PHP
/// code and raised nothing (so a repeat may reuse it). None if converting
/// the credentials threw (the exception is pending).
fn headers_from(server: &server_vars::ServerArray) -> Option<(PhpArray, bool)> {
    // Sized once for at most every entry (a few hundred bytes spare) rather
    // than grown, each growth rehashing what is in it.
    let mut out = PhpArray::with_capacity(u32::try_from(server.len()).unwrap_or(u32::MAX));
    let fallback = array::with_header_names(|names| {
        headers::collect(server, |header, value| match header {
            Header::Http { var, rest } => out.set_header(names, var, rest, value),
            Header::Fixed(name) => out.set_server_value(name, value),
        })
    });
    let mut pure = true;
    match fallback {
        None => {}
        Some(AuthFallback::Value(value)) => out.set_server_value(headers::AUTHORIZATION, value),
        Some(AuthFallback::Basic { user, password }) => {
            pure = user.is_string() && password.is_none_or(|p| p.is_string());
            let (user, password) = server_vars::credentials(user, password)?;
            out.set_bytes(headers::AUTHORIZATION, &headers::basic_authorization(&user, &password));
        }
    }
    Some((out, pure))
}

extern "C" fn get_status(execute_data: &mut ExecuteData, retval: &mut Zval) {
    engine::no_unwind("fpm_get_status", (), || {
        if execute_data.parser().parse().is_err() {
            return;
        }
        match (status::live::status_enabled(), load_state()) {
            (true, Some(load)) => {
                let snapshot = status::live::snapshot(&load.sapi, finish::finished());
                array::with_static_keys(|keys| array_of(&status::fields(&snapshot), keys)).return_to(retval);
            }
            _ => retval.set_bool(false),
        }
    });
}

/// `fpm_status_page()`: php-fpm's `pm.status_path` page for this request,
/// its format chosen by the query string as FPM chooses it. False (and
/// nothing written) while `fpm_compat.status` is off.
extern "C" fn status_page(execute_data: &mut ExecuteData, retval: &mut Zval) {
    engine::no_unwind("fpm_status_page", (), || {
        if execute_data.parser().parse().is_err() {
            return;
        }
        let (true, Some(load)) = (status::live::status_enabled(), load_state()) else {
            retval.set_bool(false);
            return;
        };
        let query = engine::with_request_fields(|r| r.query_string.map(<[u8]>::to_vec)).unwrap_or_default();
        let (format, full) = status::page::choose(&query);
        let pool = status::live::snapshot(&load.sapi, finish::finished());
        let body = status::page::render(&pool, format, full, &|t| os::local_time(t, c"%d/%b/%Y:%H:%M:%S %z"));
        if !engine::headers_sent() {
            engine::set_header(&format!("Content-Type: {}", format.content_type()));
            for header in status::page::HEADERS {
                engine::set_header(header);
            }
        }
        if !engine::headers_only() {
            output::output_write(&body);
        }
        retval.set_bool(true);
    });
}

fn array_of(fields: &status::Fields<'_>, keys: &mut array::StaticKeys) -> PhpArray {
    use array::StaticValue;
    let mut array = PhpArray::with_capacity(u32::try_from(fields.len()).unwrap_or(0));
    for (key, value) in fields {
        let value = match value {
            Value::Str(bytes) => StaticValue::Bytes(bytes),
            Value::Int(n) => StaticValue::Long(*n),
            Value::Float(x) => StaticValue::Double(*x),
            Value::List(items) => {
                let mut list = PhpArray::with_capacity(u32::try_from(items.len()).unwrap_or(0));
                for item in items {
                    list.push_array(array_of(item, keys));
                }
                StaticValue::Array(list)
            }
        };
        array.add_static(keys, key, value);
    }
    array
}

unsafe extern "C" fn on_modify<const D: usize>(
    _entry: *mut ffi::zend_ini_entry,
    new_value: *mut ffi::zend_string,
    _a1: *mut std::ffi::c_void,
    _a2: *mut std::ffi::c_void,
    _a3: *mut std::ffi::c_void,
    stage: c_int,
) -> c_int {
    engine::no_unwind("INI handler", engine::FAILURE, || {
        let directive = Directive::ALL[D];
        // SAFETY: PHP hands us the new value's zend_string.
        let value = unsafe { engine::ini_new_value(new_value) };
        let at_startup = engine::ini_stage_is_startup(stage);
        match directive.validate(&value, at_startup) {
            Ok(()) => engine::SUCCESS,
            Err(complaint) => {
                engine::warn(&complaint, at_startup);
                engine::FAILURE
            }
        }
    })
}

fn ini_directives() -> Vec<IniDirective> {
    const HANDLERS: [engine::IniModify; Directive::ALL.len()] =
        [on_modify::<0>, on_modify::<1>, on_modify::<2>, on_modify::<3>, on_modify::<4>, on_modify::<5>];
    Directive::ALL
        .iter()
        .zip(HANDLERS)
        .map(|(d, on_modify)| IniDirective {
            name: d.c_name(),
            default: d.c_default(),
            system_only: d.system_only(),
            on_modify,
        })
        .collect()
}

unsafe extern "C" fn module_startup(_type: i32, module_number: i32) -> i32 {
    engine::no_unwind("MINIT", engine::FAILURE, || {
        engine::register_ini(&ini_directives(), module_number);
        engine::add_false_to_return_type(Shim::FpmGetStatus.name());
        if let Some(load) = load_state() {
            status::live::module_started(&load.sapi);
        }
        engine::SUCCESS
    })
}

unsafe extern "C" fn module_shutdown(_type: i32, module_number: i32) -> i32 {
    engine::no_unwind("MSHUTDOWN", engine::SUCCESS, || {
        status::live::module_ended();
        engine::unregister_ini(module_number);
        engine::SUCCESS
    })
}

unsafe extern "C" fn request_startup(_type: i32, _module_number: i32) -> i32 {
    engine::no_unwind("RINIT", engine::SUCCESS, || {
        finish::request_started();
        status::live::request_started();
        engine::SUCCESS
    })
}

unsafe extern "C" fn request_shutdown(_type: i32, _module_number: i32) -> i32 {
    engine::no_unwind("RSHUTDOWN", engine::SUCCESS, || {
        status::live::request_ended();
        finish::request_ending();
        drop(LAST_HEADERS.take());
        HOLD_BACKOFF.set(HoldBackoff::NEW);
        engine::SUCCESS
    })
}

unsafe extern "C" fn module_info(module: *mut ModuleEntry) {
    engine::no_unwind("phpinfo", (), || {
        info::info_table_start();
        info::info_header("fpm_compat", "enabled");
        info::info_row("Version", env!("CARGO_PKG_VERSION"));
        if let Some(load) = load_state() {
            info::info_row("SAPI", &load.sapi);
            for (shim, decision) in &load.decisions {
                info::info_row(&format!("{}()", shim.name()), decision.describe());
            }
        }
        let refusal = finish::last_refusal();
        info::info_row("Last finish that returned false", refusal.as_deref().unwrap_or("none in this process"));
        info::info_row("Thread safety", if engine::ZTS { "enabled (ZTS)" } else { "disabled (NTS)" });
        info::info_table_end();
        info::info_ini_entries(module);
    });
}
