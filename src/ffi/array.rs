//! PHP arrays and strings: the arrays this extension returns (built in
//! place, values copied from `$_SERVER` without conversion), a held
//! reference to an array kept between calls, and the per-thread cache of
//! header names as permanent interned strings.
//!
//! Callers may rely on: a [`PhpArray`] is owned until handed to PHP
//! (`return_to`, `into_held`) and freed if dropped; a [`HeldArray`] is one
//! counted reference, released when dropped; keys that read as canonical
//! integers become integer keys, as in PHP. Nothing here runs PHP code.

use std::ffi::c_char;

use ext_php_rs::ffi;

/// One `$_SERVER` value (already through references).
#[derive(Clone, Copy)]
pub struct ServerValue(pub(super) *const ffi::zval);

/// One `$_SERVER` key as the array holds it: its zend_string, NULL for an
/// integer key. Valid as long as the array's values are.
#[derive(Clone, Copy)]
pub struct ServerKey(pub(super) *const ffi::zend_string);

impl ServerValue {
    /// Whether converting it to a string runs no code and raises nothing.
    pub fn is_string(self) -> bool {
        // SAFETY: values handed out by a ServerArray, read before PHP code runs.
        unsafe { type_of(self.0) == ffi::IS_STRING }
    }
}

extern "C" {
    fn _zend_handle_numeric_str_ex(key: *const c_char, length: usize, idx: *mut ffi::zend_ulong) -> bool;
    fn zend_string_hash_func(s: *mut ffi::zend_string) -> ffi::zend_ulong;
}

/// zend_string flags (`GC_FLAGS`): an interned string is never reference-
/// counted or freed by PHP; a permanent one outlives requests.
const IS_STR_INTERNED: u32 = ffi::GC_IMMUTABLE;
const IS_STR_PERMANENT: u32 = 1 << 8;

/// # Safety
/// `zv` points to a live zval.
pub(super) unsafe fn type_of(zv: *const ffi::zval) -> u32 {
    (*zv).u1.type_info & 0xff
}

/// The value a zval slot holds for PHP code: through an INDIRECT slot (symbol
/// tables) and a reference. None for an empty slot.
///
/// # Safety
/// `zv` points to a live zval.
pub(super) unsafe fn resolve(mut zv: *const ffi::zval) -> Option<*const ffi::zval> {
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
pub(super) unsafe fn found(zv: *mut ffi::zval) -> Option<*const ffi::zval> {
    if zv.is_null() {
        None
    } else {
        resolve(zv)
    }
}

/// # Safety
/// `s` points to a live zend_string that outlives the returned slice.
pub(super) unsafe fn zstr_bytes<'a>(s: *const ffi::zend_string) -> &'a [u8] {
    std::slice::from_raw_parts((*s).val.as_ptr().cast::<u8>(), (*s).len)
}

/// `ZVAL_COPY_DEREF`: a new owner of the same value. (ext-php-rs gives
/// `zval` a destructor: a Rust `zval` releases its value when dropped, and
/// must be forgotten once PHP takes it over.)
///
/// # Safety
/// `src` points to a live zval.
pub(super) unsafe fn copy_value(src: *const ffi::zval) -> ffi::zval {
    let src = resolve(src).unwrap_or(src);
    let mut dst: ffi::zval = std::mem::zeroed();
    dst.value = (*src).value;
    dst.u1.type_info = (*src).u1.type_info;
    if (dst.u1.type_info >> ffi::Z_TYPE_FLAGS_SHIFT) & ffi::IS_TYPE_REFCOUNTED != 0 {
        (*dst.value.counted).gc.refcount += 1;
    }
    dst
}


/// A counted reference to a PHP array, kept between calls within a request
/// and released (ext-php-rs's zval destructor) when dropped.
pub struct HeldArray(pub(super) ffi::zval);

impl HeldArray {
    /// # Safety
    /// `ht` is a live, reference-counted array.
    pub(super) unsafe fn new_ref(ht: *mut ffi::HashTable) -> Self {
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

    /// `$array[$key] = $value` for a key the extension names itself (the
    /// status array's), new in this array: the key is a permanent interned
    /// string with its hash, made once per thread (`keys`), so a pool of
    /// hundreds of workers costs no key allocation, hashing or look-up per
    /// entry. Never an integer-like key; each key once per array (PHP's
    /// debug build asserts it).
    pub fn add_static(&mut self, keys: &mut StaticKeys, key: &'static str, value: StaticValue<'_>) {
        let zv = match value {
            StaticValue::Bytes(bytes) => string_zval(bytes),
            StaticValue::Long(n) => long_zval(n),
            StaticValue::Double(x) => double_zval(x),
            StaticValue::Array(a) => a.into_zval(),
        };
        let mut zv = std::mem::ManuallyDrop::new(zv);
        // SAFETY: the array takes the zval; the key is a permanent interned
        // string (with its hash) that it neither counts nor frees.
        unsafe { ffi::zend_hash_add_new(self.0, keys.get(key), &mut *zv) };
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

/// A value for [`PhpArray::add_static`].
pub enum StaticValue<'a> {
    Bytes(&'a [u8]),
    Long(i64),
    Double(f64),
    Array(PhpArray),
}

thread_local! {
    /// Keys of [`PhpArray::add_static`].
    static STATIC_KEYS: std::cell::RefCell<StaticKeys> = const { std::cell::RefCell::new(StaticKeys::new()) };
}

/// This thread's keys for [`PhpArray::add_static`]: permanent key strings
/// by their text's address and length, found by a hash of the address (the
/// status arrays' keys are a few dozen literals).
pub struct StaticKeys {
    names: Vec<(usize, usize, PermanentString)>,
    /// Open addressing: 1 + an index into `names`, 0 for an empty place.
    index: [u16; StaticKeys::PLACES],
}

impl StaticKeys {
    const PLACES: usize = 128;
    /// At most half full: probe runs stay short. Keys beyond it (none
    /// today) are kept but found by a scan.
    const MAX_INDEXED: usize = StaticKeys::PLACES / 2;

    const fn new() -> Self {
        StaticKeys { names: Vec::new(), index: [0; StaticKeys::PLACES] }
    }

    fn get(&mut self, key: &'static str) -> *mut ffi::zend_string {
        let id = (key.as_ptr() as usize, key.len());
        let mask = Self::PLACES - 1;
        // Fibonacci hashing of the address: its top bits pick the place.
        let mut at = (id.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) as usize >> (usize::BITS - 7) & mask;
        loop {
            match self.index[at] {
                0 => break,
                i => {
                    let (ptr, len, name) = &self.names[usize::from(i) - 1];
                    if (*ptr, *len) == id {
                        return name.0;
                    }
                    at = (at + 1) & mask;
                }
            }
        }
        if let Some((_, _, name)) = self.names[Self::MAX_INDEXED.min(self.names.len())..]
            .iter()
            .find(|(ptr, len, _)| (*ptr, *len) == id)
        {
            return name.0;
        }
        let name = PermanentString::new(key.as_bytes());
        let raw = name.0;
        if self.names.len() < Self::MAX_INDEXED {
            self.index[at] = (self.names.len() + 1) as u16;
        }
        self.names.push((id.0, id.1, name));
        raw
    }
}

/// Runs `f` with this thread's static keys. Nothing that builds an array
/// runs PHP code, so the keys are never asked for twice at once.
pub fn with_static_keys<T>(f: impl FnOnce(&mut StaticKeys) -> T) -> T {
    STATIC_KEYS.with(|keys| f(&mut keys.borrow_mut()))
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
fn long_zval(n: i64) -> ffi::zval {
    // SAFETY: an all-zero zval is UNDEF; we set a long.
    let mut zv: ffi::zval = unsafe { std::mem::zeroed() };
    zv.value.lval = n;
    zv.u1.type_info = ffi::IS_LONG;
    zv
}

fn double_zval(x: f64) -> ffi::zval {
    // SAFETY: as in long_zval.
    let mut zv: ffi::zval = unsafe { std::mem::zeroed() };
    zv.value.dval = x;
    zv.u1.type_info = ffi::IS_DOUBLE;
    zv
}

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

