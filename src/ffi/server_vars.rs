//! `$_SERVER`: the entries the SAPI registered and the live array a script
//! sees, walked for the request headers, and the conversion of credentials
//! to strings as PHP code would convert them.
//!
//! Callers may rely on: a [`ServerArray`] and its values are valid until PHP
//! code runs again (the script may reassign or change `$_SERVER`); only
//! [`credentials`] runs PHP code, and it copies the values first.

use std::cell::Cell;
use std::ffi::c_char;

use ext_php_rs::ffi;

// The zval views (`ServerKey`, `ServerValue`) live with the other zval
// readers in `array`, so that imports run one way: server_vars -> array.
pub use super::array::{ServerKey, ServerValue};
use super::array::{copy_value, found, resolve, type_of, zstr_bytes, HeldArray};

extern "C" {
    fn zend_is_auto_global_str(name: *const c_char, len: usize) -> bool;
    fn zval_try_get_string_func(op: *mut ffi::zval) -> *mut ffi::zend_string;
}

const HASH_FLAG_PACKED: u32 = 1 << 2;

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


/// `$_SERVER` as PHP code sees it now. Valid until PHP code runs again: the
/// script may reassign or change it.
pub struct ServerArray {
    ht: *const ffi::HashTable,
    /// Whether the walk met a reference (or a symbol-table slot): its value
    /// can change without `$_SERVER` itself being written to.
    saw_reference: Cell<bool>,
}

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
