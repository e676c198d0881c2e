//! `phpinfo()` / `php --ri`: the rows of this extension's table, printed
//! through PHP's own table helpers so the HTML and text forms both follow.
//!
//! Callers may rely on: only called from the module's info function, when PHP
//! prints the table; strings are copied (a NUL inside is dropped).

use ext_php_rs::ffi;

use super::engine::c_message;

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
