//! Property tests of the pure modules over generated input: settings
//! parsing, the registration decision, the FastCGI end records, request
//! header naming and the Basic credentials.
//!
//! `cargo test --lib` runs each property over 4,096 generated cases (well
//! under a second in all); a longer run is
//! `PROPTEST_CASES=1000000 cargo test --release --lib fuzz` (about 30 s).

use proptest::prelude::*;

use crate::fastcgi::end_request_records;
use crate::registry::{decide, to_register, Decision, FunctionsSetting, Shim, ShimKind};
use crate::settings::{
    parse_after_finish, parse_cli_finish, parse_functions, parse_max_detached, parse_switch, AfterFinish, CliFinish,
    Directive, MAX_DETACHED_LIMIT,
};

/// Words each directive accepts, with what they mean.
const CLI_FINISH: [(&str, CliFinish); 3] =
    [("keep", CliFinish::Keep), ("close", CliFinish::Close), ("detach", CliFinish::Detach)];
const AFTER_FINISH: [(&str, AfterFinish); 2] = [("discard", AfterFinish::Discard), ("abort", AfterFinish::Abort)];
const SWITCH: [(&str, bool); 9] = [
    ("1", true),
    ("on", true),
    ("yes", true),
    ("true", true),
    ("0", false),
    ("off", false),
    ("no", false),
    ("false", false),
    ("none", false),
];
const SAPIS: [&str; 9] =
    ["cli", "cli-server", "cgi-fcgi", "fpm-fcgi", "apache2handler", "embed", "phpdbg", "litespeed", "frankenphp"];

/// Whitespace PHP leaves around an INI value (`trim` removes all of it).
fn padding() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![Just(' '), Just('\t'), Just('\n'), Just('\r')], 0..3)
        .prop_map(|v| v.into_iter().collect())
}

/// `word` with each letter's case chosen by `mask`, padded on both sides.
fn respell(word: &str, mask: u64, before: &str, after: &str) -> String {
    let cased: String = word
        .chars()
        .enumerate()
        .map(|(i, c)| if mask >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c })
        .collect();
    format!("{before}{cased}{after}")
}

fn shim() -> impl Strategy<Value = Shim> {
    proptest::sample::select(Shim::ALL.to_vec())
}

fn functions_setting() -> impl Strategy<Value = FunctionsSetting> {
    prop_oneof![
        Just(FunctionsSetting::All),
        proptest::collection::vec(shim(), 0..8).prop_map(FunctionsSetting::Only),
    ]
}

/// 4,096 cases per property unless PROPTEST_CASES says otherwise.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(4096);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    /// Any bytes PHP may hand to an INI handler (read lossily, as
    /// engine::ini_new_value does): validate never panics, and a refusal names
    /// the directive and says what stays in force.
    #[test]
    fn validate_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64), at_startup: bool) {
        let value = String::from_utf8_lossy(&bytes);
        for directive in Directive::ALL {
            if let Err(complaint) = directive.validate(&value, at_startup) {
                prop_assert!(complaint.contains(directive.name()), "{}", complaint);
                let kept = if at_startup { "using the default" } else { "unchanged" };
                prop_assert!(complaint.contains(kept), "{}", complaint);
                prop_assert!(!complaint.contains('\0'), "a C string must not hold NUL: {:?}", complaint);
            }
        }
    }

    /// validate accepts exactly what the parsers accept.
    #[test]
    fn validate_agrees_with_the_parsers(value in "[ a-zA-Z0-9_,\t]{0,40}") {
        prop_assert_eq!(Directive::CliFinish.validate(&value, true).is_ok(), parse_cli_finish(&value).is_some());
        prop_assert_eq!(Directive::AfterFinish.validate(&value, true).is_ok(), parse_after_finish(&value).is_some());
        prop_assert_eq!(Directive::Status.validate(&value, true).is_ok(), parse_switch(&value).is_some());
        prop_assert_eq!(Directive::SessionClose.validate(&value, false).is_ok(), parse_switch(&value).is_some());
        prop_assert_eq!(Directive::Functions.validate(&value, true).is_ok(), parse_functions(&value).is_ok());
        prop_assert_eq!(Directive::MaxDetached.validate(&value, true).is_ok(), parse_max_detached(&value).is_some());
    }

    /// Any count within the limit reads back as itself, with whitespace around it.
    #[test]
    fn max_detached_reads_back(n in 0..=MAX_DETACHED_LIMIT, pad in "[ \t]{0,3}") {
        let expected = if n == 0 { None } else { Some(n) };
        prop_assert_eq!(parse_max_detached(&format!("{pad}{n}{pad}")), Some(expected));
    }

    /// An accepted word means the same in any case and with surrounding
    /// whitespace.
    #[test]
    fn accepted_words_ignore_case_and_padding(mask: u64, before in padding(), after in padding(), pick in 0usize..14) {
        if pick < 3 {
            let (word, meaning) = CLI_FINISH[pick];
            prop_assert_eq!(parse_cli_finish(&respell(word, mask, &before, &after)), Some(meaning));
        } else if pick < 5 {
            let (word, meaning) = AFTER_FINISH[pick - 3];
            prop_assert_eq!(parse_after_finish(&respell(word, mask, &before, &after)), Some(meaning));
        } else {
            let (word, meaning) = SWITCH[pick - 5];
            prop_assert_eq!(parse_switch(&respell(word, mask, &before, &after)), Some(meaning));
        }
    }

    /// A word outside the accepted set is refused, whatever its spelling.
    #[test]
    fn other_words_are_refused(value in "[a-z0-9]{1,10}") {
        let known = |list: &[&str]| list.contains(&value.as_str());
        prop_assert_eq!(parse_cli_finish(&value).is_some(), known(&["keep", "close", "detach"]));
        prop_assert_eq!(parse_after_finish(&value).is_some(), known(&["discard", "abort"]));
        prop_assert_eq!(parse_switch(&value).is_some(), SWITCH.iter().any(|(w, _)| *w == value));
    }

    /// parse(format(list)) == list: a comma list of names, in any case and
    /// with spaces around the commas, parses to those shims, first
    /// occurrence kept, in order.
    #[test]
    fn function_lists_round_trip(list in proptest::collection::vec((shim(), any::<u64>(), padding(), padding()), 1..10)) {
        let text = list
            .iter()
            .map(|(s, mask, before, after)| respell(s.name(), *mask, before, after))
            .collect::<Vec<_>>()
            .join(",");
        let mut expected = Vec::new();
        for (s, ..) in &list {
            if !expected.contains(s) {
                expected.push(*s);
            }
        }
        prop_assert_eq!(parse_functions(&text), Ok(FunctionsSetting::Only(expected)), "{:?}", text);
    }

    /// A list with an unknown or empty item is refused as a whole.
    #[test]
    fn function_lists_with_a_bad_item_are_refused(list in proptest::collection::vec(shim(), 1..4), bad in "[a-z_ ]{0,12}", at in 0usize..5) {
        prop_assume!(Shim::from_name(bad.trim()).is_none());
        let mut names: Vec<String> = list.iter().map(|s| s.name().to_string()).collect();
        names.insert(at.min(names.len()), bad.clone());
        let text = names.join(",");
        prop_assert!(parse_functions(&text).is_err(), "{:?}", text);
    }

    /// The registration decision, for any SAPI, any set of names that exist
    /// already (in any case), any names the SAPI registers later, any setting.
    #[test]
    fn registration_is_load_safe(
        sapi in prop_oneof![proptest::sample::select(SAPIS.to_vec()).prop_map(String::from), "[a-z0-9-]{0,12}"],
        existing in proptest::collection::vec(shim(), 0..6),
        later in proptest::collection::vec((shim(), any::<u64>()), 0..6),
        setting in functions_setting(),
    ) {
        let later: Vec<String> = later.iter().map(|(s, mask)| respell(s.name(), *mask, "", "")).collect();
        let exists = |name: &str| existing.iter().any(|s| s.name().eq_ignore_ascii_case(name));
        let decisions = decide(&sapi, &exists, &later, &setting);
        // One decision per shim, in Shim::ALL order.
        prop_assert_eq!(decisions.iter().map(|(s, _)| *s).collect::<Vec<_>>(), Shim::ALL.to_vec());
        let registered = to_register(&decisions);
        for s in &registered {
            // A name that exists natively, now or later, is never registered.
            prop_assert!(!exists(s.name()), "{:?} exists", s);
            prop_assert!(!later.iter().any(|n| n.eq_ignore_ascii_case(s.name())), "{:?} comes later", s);
            prop_assert!(setting.allows(*s));
            if s.kind() == ShimKind::RequestHeaders {
                prop_assert!(["cli", "embed", "phpdbg"].contains(&sapi.as_str()), "{:?} on {}", s, sapi);
            }
        }
        for (s, d) in &decisions {
            if exists(s.name()) {
                prop_assert_eq!(d, &Decision::Native);
            }
        }
        // One more existing name never adds a registration.
        for extra in Shim::ALL {
            let more = |name: &str| exists(name) || extra.name() == name;
            let fewer = to_register(&decide(&sapi, &more, &later, &setting));
            prop_assert!(fewer.iter().all(|s| registered.contains(s)) && !fewer.contains(&extra));
        }
    }
}

/// Decodes FastCGI records (version, type, id, content, padding).
fn decode(mut bytes: &[u8]) -> Vec<(u8, u8, u16, Vec<u8>)> {
    let mut records = Vec::new();
    while bytes.len() >= 8 {
        let length = usize::from(u16::from_be_bytes([bytes[4], bytes[5]]));
        let end = 8 + length + usize::from(bytes[6]);
        assert!(bytes.len() >= end, "truncated record");
        records.push((bytes[0], bytes[1], u16::from_be_bytes([bytes[2], bytes[3]]), bytes[8..8 + length].to_vec()));
        bytes = &bytes[end..];
    }
    assert!(bytes.is_empty(), "trailing bytes");
    records
}

/// Every request id (all 65,536 of them, so no sampling): an empty
/// FCGI_STDOUT then FCGI_END_REQUEST, status 0, FCGI_REQUEST_COMPLETE.
#[test]
fn end_records_for_every_request_id() {
    for id in 0..=u16::MAX {
        let records = decode(&end_request_records(id));
        assert_eq!(records, [(1, 6, id, vec![]), (1, 3, id, vec![0, 0, 0, 0, 0, 0, 0, 0])], "id {id}");
    }
}

/// The polyfill's naming expression, step by step as PHP evaluates it:
/// `str_replace(' ', '-', ucwords(strtolower(str_replace('_', ' ', $rest))))`.
fn polyfill_header_name(rest: &[u8]) -> Vec<u8> {
    let spaced: Vec<u8> = rest.iter().map(|&b| if b == b'_' { b' ' } else { b }).collect();
    let lower: Vec<u8> = spaced.iter().map(u8::to_ascii_lowercase).collect();
    let mut words = lower.clone();
    for i in 0..words.len() {
        if i == 0 || b" \t\r\n\x0c\x0b".contains(&lower[i - 1]) {
            words[i] = words[i].to_ascii_uppercase();
        }
    }
    words.iter().map(|&b| if b == b' ' { b'-' } else { b }).collect()
}

/// Standard base64 decoding, to check the Basic credentials round-trip.
fn base64_decode(text: &[u8]) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let digits: Vec<u32> = text
        .iter()
        .filter(|&&c| c != b'=')
        .map(|&c| ALPHABET.iter().position(|&a| a == c).expect("base64 alphabet") as u32)
        .collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, d)| acc | d << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn header_names_match_the_polyfill_expression(rest in proptest::collection::vec(any::<u8>(), 0..48)) {
        let mut ours = Vec::new();
        crate::headers::header_name(&rest, &mut ours);
        prop_assert_eq!(ours, polyfill_header_name(&rest));
    }

    #[test]
    fn basic_credentials_round_trip(user in proptest::collection::vec(any::<u8>(), 0..40),
                                    password in proptest::collection::vec(any::<u8>(), 0..40)) {
        let value = crate::headers::basic_authorization(&user, &password);
        prop_assert!(value.starts_with(b"Basic "));
        let mut plain = user.clone();
        plain.push(b':');
        plain.extend_from_slice(&password);
        prop_assert_eq!(base64_decode(&value[6..]), plain);
    }
}
