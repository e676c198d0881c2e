//! `$_SERVER` → request headers, by the rules of the Composer polyfill
//! `ralouphie/getallheaders` (Debian's `php-getallheaders`), which code
//! written for the CLI and for tests already relies on.
//!
//! The polyfill walks `$_SERVER` in order: an `HTTP_FOO_BAR` entry becomes
//! `Foo-Bar` (`str_replace('_', ' ')`, `strtolower`, `ucwords`, then spaces
//! to dashes: PHP 8.2 does all of it in ASCII only); `CONTENT_TYPE`,
//! `CONTENT_LENGTH` and `CONTENT_MD5` become `Content-Type`, … and win over
//! their `HTTP_` twins when set; a name seen twice keeps its first position
//! and its last value. Only then, if no non-null `Authorization` came out,
//! it falls back to `REDIRECT_HTTP_AUTHORIZATION`, then Basic credentials
//! from `PHP_AUTH_USER` / `PHP_AUTH_PW`, then `PHP_AUTH_DIGEST`. "Set"
//! everywhere means PHP's `isset`: present and not null.
//!
//! Values stay opaque here (the PHP side hands out zval pointers), so names
//! and values are bytes end to end and nothing is converted but the
//! credentials the polyfill itself concatenates.

/// A `$_SERVER` key: PHP arrays have integer and byte-string keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    Int(i64),
    Str(&'a [u8]),
}

/// Read access to `$_SERVER`, in its iteration order.
pub trait ServerVars {
    /// An entry's value, opaque to this module.
    type Value: Copy;
    /// An entry's key as the array holds it, opaque to this module: handed
    /// back with each `HTTP_*` header so the emitter can name it from what it
    /// knows of the key (the PHP side caches names by key).
    type Var: Copy;
    /// Every entry, in order.
    fn each(&self, visit: impl FnMut(Key<'_>, Self::Var, Self::Value));
    /// The value under a string key if PHP's `isset()` would be true for it.
    fn isset(&self, key: &[u8]) -> Option<Self::Value>;
    fn is_null(&self, value: Self::Value) -> bool;
}

/// Where `Authorization` comes from when no `HTTP_AUTHORIZATION` gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFallback<V> {
    /// `REDIRECT_HTTP_AUTHORIZATION` or `PHP_AUTH_DIGEST`, as it is.
    Value(V),
    /// `'Basic ' . base64_encode(USER . ':' . PW)`; no password means "".
    Basic { user: V, password: Option<V> },
}

pub const AUTHORIZATION: &[u8] = b"Authorization";

/// A header the walk produced, by where its name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header<'a, V> {
    /// From the variable `var`, `HTTP_` followed by `rest`: the name is
    /// [`header_name`]`(rest)`, left to the emitter to make or look up.
    Http { var: V, rest: &'a [u8] },
    /// A fixed name (`Content-Type`, …).
    Fixed(&'static [u8]),
}

/// The `CONTENT_*` variables the polyfill copies, with their header names.
const CONTENT_VARS: [(&[u8], &[u8]); 3] = [
    (b"CONTENT_TYPE", b"Content-Type"),
    (b"CONTENT_LENGTH", b"Content-Length"),
    (b"CONTENT_MD5", b"Content-Md5"),
];

fn content_header(var: &[u8]) -> Option<&'static [u8]> {
    // Asked of every variable: most fail this one fixed-size compare.
    if !var.starts_with(b"CONTENT_") {
        return None;
    }
    CONTENT_VARS.iter().find(|(v, _)| *v == var).map(|(_, h)| *h)
}

/// Emits every header the walk over `$_SERVER` produces, in order (a name
/// may come twice: the later value replaces the earlier one in place, as a
/// PHP array assignment does), and returns the `Authorization` fallback to
/// apply afterwards, if one is due.
pub fn collect<S: ServerVars>(
    server: &S,
    mut emit: impl FnMut(Header<'_, S::Var>, S::Value),
) -> Option<AuthFallback<S::Value>> {
    let mut has_authorization = false;
    server.each(|key, var, value| {
        let Key::Str(key) = key else { return };
        let header = if let Some(rest) = key.strip_prefix(b"HTTP_") {
            if content_header(rest).is_some() && server.isset(rest).is_some() {
                return;
            }
            // header_name(rest) is "Authorization" exactly for these (the
            // name is not made here; see is_authorization_var's test).
            if is_authorization_var(rest) {
                has_authorization = !server.is_null(value);
            }
            Header::Http { var, rest }
        } else if let Some(header) = content_header(key) {
            Header::Fixed(header)
        } else {
            return;
        };
        emit(header, value);
    });
    if has_authorization {
        return None;
    }
    if let Some(value) = server.isset(b"REDIRECT_HTTP_AUTHORIZATION") {
        Some(AuthFallback::Value(value))
    } else if let Some(user) = server.isset(b"PHP_AUTH_USER") {
        Some(AuthFallback::Basic { user, password: server.isset(b"PHP_AUTH_PW") })
    } else {
        server.isset(b"PHP_AUTH_DIGEST").map(AuthFallback::Value)
    }
}

/// Whether `header_name(rest) == "Authorization"`: the naming maps a byte
/// to a letter only from that letter in either case, and nothing else to it.
#[inline]
pub fn is_authorization_var(rest: &[u8]) -> bool {
    rest.eq_ignore_ascii_case(b"AUTHORIZATION")
}

/// `str_replace(' ', '-', ucwords(strtolower(str_replace('_', ' ', $rest))))`
/// into `out`. `ucwords` starts a word after any of " \t\r\n\f\v"; only the
/// spaces become dashes. Upper-casing a word's first letter after lower-casing
/// it all is upper-casing it straight away, so each byte depends only on
/// itself and the byte before: one table look-up, no carried state (this runs for
/// every header on every call).
pub fn header_name(rest: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.resize(rest.len(), 0);
    let Some((first, _)) = rest.split_first() else { return };
    out[0] = NAME[256 + *first as usize];
    for (o, pair) in out[1..].iter_mut().zip(rest.windows(2)) {
        *o = NAME[(usize::from(WORD_BREAK[pair[0] as usize]) << 8) | pair[1] as usize];
    }
}

/// Bytes after which `ucwords` starts a word ('_' is a space by then).
const WORD_BREAK: [bool; 256] = {
    let mut t = [false; 256];
    let breaks = *b"_ \t\r\n\x0c\x0b";
    let mut i = 0;
    while i < breaks.len() {
        t[breaks[i] as usize] = true;
        i += 1;
    }
    t
};

/// A byte of the name: `NAME[byte]` inside a word, `NAME[256 + byte]` at a
/// word's start.
const NAME: [u8; 512] = {
    let mut t = [0u8; 512];
    let mut i = 0;
    while i < 512 {
        let b = (i % 256) as u8;
        t[i] = match b {
            b'_' | b' ' => b'-',
            _ if i >= 256 => b.to_ascii_uppercase(),
            _ => b.to_ascii_lowercase(),
        };
        i += 1;
    }
    t
};

/// The `Authorization` value the polyfill builds from Basic credentials.
pub fn basic_authorization(user: &[u8], password: &[u8]) -> Vec<u8> {
    let mut plain = Vec::with_capacity(user.len() + 1 + password.len());
    plain.extend_from_slice(user);
    plain.push(b':');
    plain.extend_from_slice(password);
    let mut out = b"Basic ".to_vec();
    base64_into(&plain, &mut out);
    out
}

/// Standard base64 with padding, as PHP's `base64_encode()`.
fn base64_into(input: &[u8], out: &mut Vec<u8>) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
}

/// When to hold `$_SERVER` for the repeat cache. Holding it makes PHP copy
/// the whole array at the script's next write to it, and a hold that then
/// answers no repeat made that copy for nothing: a script that writes
/// `$_SERVER` before every call would pay it on every call. So after a hold
/// that answered nothing, the next 2, 4, 8, then (at most) 16 fresh
/// computations hold nothing; a hold that answers a repeat ends the back-off.
/// Only the cost changes, never the answer. Per thread and per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoldBackoff {
    unused_in_a_row: u32,
    /// Fresh computations still to go without holding.
    skip: u32,
}

impl HoldBackoff {
    pub const NEW: Self = HoldBackoff { unused_in_a_row: 0, skip: 0 };
    const MAX_SKIP_LOG2: u32 = 4;

    pub fn hold_ended(&mut self, reused: bool) {
        if reused {
            *self = Self::NEW;
        } else {
            self.unused_in_a_row = (self.unused_in_a_row + 1).min(Self::MAX_SKIP_LOG2);
            self.skip = 1 << self.unused_in_a_row;
        }
    }

    /// Whether this fresh computation may hold `$_SERVER`.
    pub fn may_hold(&mut self) -> bool {
        if self.skip == 0 {
            return true;
        }
        self.skip -= 1;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `$_SERVER` as a list; `None` is PHP's null.
    struct Model(Vec<(Key<'static>, Option<&'static str>)>);

    impl ServerVars for Model {
        type Value = Option<&'static str>;
        type Var = ();
        fn each(&self, mut visit: impl FnMut(Key<'_>, (), Self::Value)) {
            for (k, v) in &self.0 {
                visit(*k, (), *v);
            }
        }
        fn isset(&self, key: &[u8]) -> Option<Self::Value> {
            self.0.iter().find(|(k, v)| *k == Key::Str(key) && v.is_some()).map(|(_, v)| *v)
        }
        fn is_null(&self, value: Self::Value) -> bool {
            value.is_none()
        }
    }

    fn s(key: &'static str, value: &'static str) -> (Key<'static>, Option<&'static str>) {
        (Key::Str(key.as_bytes()), Some(value))
    }

    /// The headers as the PHP array would hold them (in-place replacement),
    /// with the fallback applied by a stand-in for the PHP side.
    fn headers(vars: Vec<(Key<'static>, Option<&'static str>)>) -> Vec<(String, Option<String>)> {
        let model = Model(vars);
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        let mut set = |name: &[u8], value: Option<String>| {
            let name = String::from_utf8(name.to_vec()).unwrap();
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = value,
                None => out.push((name, value)),
            }
        };
        let fallback = collect(&model, |header, value| {
            let mut name = Vec::new();
            let name = match header {
                Header::Http { rest, .. } => {
                    header_name(rest, &mut name);
                    &name
                }
                Header::Fixed(name) => name,
            };
            set(name, value.map(str::to_string))
        });
        match fallback {
            None => {}
            Some(AuthFallback::Value(v)) => set(AUTHORIZATION, v.map(str::to_string)),
            Some(AuthFallback::Basic { user, password }) => {
                let value = basic_authorization(user.unwrap().as_bytes(), password.flatten().unwrap_or("").as_bytes());
                set(AUTHORIZATION, Some(String::from_utf8(value).unwrap()));
            }
        }
        out
    }

    fn name(rest: &str) -> String {
        let mut out = Vec::new();
        header_name(rest.as_bytes(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
        list.iter().map(|(k, v)| (k.to_string(), Some(v.to_string()))).collect()
    }

    #[test]
    fn names_are_title_case_with_dashes() {
        assert_eq!(name("FOO_BAR"), "Foo-Bar");
        assert_eq!(name("X_FORWARDED_FOR"), "X-Forwarded-For");
        assert_eq!(name("host"), "Host");
        assert_eq!(name("fOO__bAR_"), "Foo--Bar-");
        assert_eq!(name(""), "");
        assert_eq!(name("_A"), "-A");
        assert_eq!(name("1ST_2ND"), "1st-2nd");
    }

    #[test]
    fn other_whitespace_starts_a_word_but_stays() {
        assert_eq!(name("A\tB_C\nD"), "A\tB-C\nD");
        assert_eq!(name("A\x0bb\x0cc\rd"), "A\x0bB\x0cC\rD");
    }

    /// The name has the variable's length and each byte depends only on
    /// itself and the one before, so every one-byte change of every
    /// case-mix of the bytes decides the equivalence (a word break before a
    /// byte already makes the byte before it a non-letter).
    #[test]
    fn authorization_var_is_exactly_the_authorization_name() {
        let base = b"AUTHORIZATION";
        for case_mask in [0u16, 0x1fff, 0x0aaa, 0x1555, 0x0001, 0x1000] {
            let mixed: Vec<u8> = base
                .iter()
                .enumerate()
                .map(|(i, b)| if case_mask & (1 << i) != 0 { b.to_ascii_lowercase() } else { *b })
                .collect();
            for at in 0..mixed.len() {
                for byte in 0..=255u8 {
                    let mut rest = mixed.clone();
                    rest[at] = byte;
                    let mut out = Vec::new();
                    header_name(&rest, &mut out);
                    assert_eq!(out == AUTHORIZATION, is_authorization_var(&rest), "{rest:?}");
                }
            }
        }
        assert!(!is_authorization_var(b"AUTHORIZATION_"));
        assert!(!is_authorization_var(b""));
    }

    #[test]
    fn bytes_above_ascii_are_left_alone() {
        let mut out = Vec::new();
        header_name(b"\xe4\xc4_\xff", &mut out);
        assert_eq!(out, b"\xe4\xc4-\xff");
    }

    #[test]
    fn only_http_and_content_vars_count() {
        let got = headers(vec![
            s("HTTP_HOST", "example.org"),
            s("SERVER_NAME", "x"),
            s("http_lower", "no"),
            s("CONTENT_TYPE", "text/plain"),
            (Key::Int(7), Some("seven")),
            s("HTTP_", "empty name"),
        ]);
        assert_eq!(got, pairs(&[("Host", "example.org"), ("Content-Type", "text/plain"), ("", "empty name")]));
    }

    #[test]
    fn content_vars_win_over_http_twins() {
        let got = headers(vec![
            s("HTTP_CONTENT_TYPE", "from header"),
            s("HTTP_CONTENT_LENGTH", "9"),
            s("CONTENT_TYPE", "text/html"),
            s("HTTP_CONTENT_MD5", "abc"),
        ]);
        assert_eq!(got, pairs(&[("Content-Length", "9"), ("Content-Type", "text/html"), ("Content-Md5", "abc")]));
    }

    #[test]
    fn null_content_var_lets_the_twin_through_then_overwrites() {
        let got = headers(vec![s("HTTP_CONTENT_TYPE", "a"), (Key::Str(b"CONTENT_TYPE"), None)]);
        assert_eq!(got, vec![("Content-Type".to_string(), None)]);
    }

    #[test]
    fn same_name_twice_keeps_first_position_last_value() {
        let got = headers(vec![s("HTTP_X_A", "1"), s("HTTP_B", "2"), s("HTTP_x_a", "3")]);
        assert_eq!(got, pairs(&[("X-A", "3"), ("B", "2")]));
    }

    #[test]
    fn authorization_fallbacks_in_order() {
        let base = || vec![s("PHP_AUTH_DIGEST", "Digest x"), s("PHP_AUTH_USER", "u"), s("PHP_AUTH_PW", "p")];
        assert_eq!(headers(base()), pairs(&[("Authorization", "Basic dTpw")]));
        let mut with_redirect = base();
        with_redirect.push(s("REDIRECT_HTTP_AUTHORIZATION", "Bearer r"));
        assert_eq!(headers(with_redirect), pairs(&[("Authorization", "Bearer r")]));
        assert_eq!(headers(vec![s("PHP_AUTH_DIGEST", "Digest x")]), pairs(&[("Authorization", "Digest x")]));
        assert_eq!(headers(vec![s("PHP_AUTH_USER", "u")]), pairs(&[("Authorization", "Basic dTo=")]));
        let mut with_header = base();
        with_header.insert(0, s("HTTP_AUTHORIZATION", "Bearer h"));
        assert_eq!(headers(with_header), pairs(&[("Authorization", "Bearer h")]));
    }

    #[test]
    fn null_authorization_header_is_replaced_in_place() {
        let got = headers(vec![(Key::Str(b"HTTP_AUTHORIZATION"), None), s("HTTP_HOST", "h"), s("PHP_AUTH_DIGEST", "d")]);
        assert_eq!(got, pairs(&[("Authorization", "d"), ("Host", "h")]));
    }

    #[test]
    fn null_fallback_sources_are_skipped() {
        let got = headers(vec![(Key::Str(b"REDIRECT_HTTP_AUTHORIZATION"), None), s("PHP_AUTH_DIGEST", "d")]);
        assert_eq!(got, pairs(&[("Authorization", "d")]));
        let got = headers(vec![s("PHP_AUTH_USER", "u"), (Key::Str(b"PHP_AUTH_PW"), None)]);
        assert_eq!(got, pairs(&[("Authorization", "Basic dTo=")]));
    }

    #[test]
    fn base64_matches_php() {
        // php -r 'foreach (["", "a", "ab", "abc", "\xff\xfe"] as $s) echo base64_encode("u:$s"), "\n";'
        let cases: [(&[u8], &str); 5] = [
            (b"", "Basic dTo="),
            (b"a", "Basic dTph"),
            (b"ab", "Basic dTphYg=="),
            (b"abc", "Basic dTphYmM="),
            (b"\xff\xfe", "Basic dTr//g=="),
        ];
        for (password, expected) in cases {
            assert_eq!(basic_authorization(b"u", password), expected.as_bytes());
        }
    }

    /// How many of `fresh` computations in a row would hold, the holds
    /// answering no repeat.
    fn holds_among(backoff: &mut HoldBackoff, fresh: usize) -> usize {
        let mut holds = 0;
        for _ in 0..fresh {
            if backoff.may_hold() {
                holds += 1;
                backoff.hold_ended(false);
            }
        }
        holds
    }

    #[test]
    fn unused_holds_back_off_to_one_in_seventeen() {
        let mut backoff = HoldBackoff::NEW;
        // Holds at computations 1, 4, 9, 18, 35, 52, …
        assert_eq!(holds_among(&mut backoff, 35), 5);
        assert_eq!(holds_among(&mut backoff, 17 * 10), 10);
    }

    #[test]
    fn a_reused_hold_ends_the_backoff() {
        let mut backoff = HoldBackoff::NEW;
        holds_among(&mut backoff, 100);
        while !backoff.may_hold() {}
        backoff.hold_ended(true);
        assert_eq!(backoff, HoldBackoff::NEW);
        assert!(backoff.may_hold());
    }
}
