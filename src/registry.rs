//! Which shims to register on this SAPI.
//!
//! A name the SAPI already has must never be in our function table: PHP then
//! refuses to load the whole extension. Most SAPIs (FPM, php-cgi, mod_php,
//! LiteSpeed) register their functions before extensions load, so a look-up
//! finds them; `php -S` registers five names *after* extensions, listed in
//! `sapi_module.additional_functions`, and taking one of them first would
//! make the server silently lose all five. The decision is a plain function
//! over plain data so it is tested without PHP.
//!
//! Imports run one way: `settings` parses `fpm_compat.functions` into the
//! [`FunctionsSetting`] defined here; nothing here depends on `settings`.

/// A function this extension can provide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shim {
    FastcgiFinishRequest,
    LitespeedFinishRequest,
    FrankenphpFinishRequest,
    FpmGetStatus,
    ApacheRequestHeaders,
    Getallheaders,
    /// php-fpm's status page (`pm.status_path`), written by a script.
    FpmStatusPage,
}

/// `fpm_compat.functions` (parsed by `settings`): which shims the extension
/// may register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionsSetting {
    All,
    Only(Vec<Shim>),
}

impl FunctionsSetting {
    pub fn allows(&self, shim: Shim) -> bool {
        match self {
            FunctionsSetting::All => true,
            FunctionsSetting::Only(list) => list.contains(&shim),
        }
    }
}

/// What kind of function a shim is, which decides where it may be provided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShimKind {
    Finish,
    Status,
    StatusPage,
    RequestHeaders,
}

impl Shim {
    pub const ALL: [Shim; 7] = [
        Shim::FastcgiFinishRequest,
        Shim::LitespeedFinishRequest,
        Shim::FrankenphpFinishRequest,
        Shim::FpmGetStatus,
        Shim::ApacheRequestHeaders,
        Shim::Getallheaders,
        Shim::FpmStatusPage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Shim::FastcgiFinishRequest => "fastcgi_finish_request",
            Shim::LitespeedFinishRequest => "litespeed_finish_request",
            Shim::FrankenphpFinishRequest => "frankenphp_finish_request",
            Shim::FpmGetStatus => "fpm_get_status",
            Shim::ApacheRequestHeaders => "apache_request_headers",
            Shim::Getallheaders => "getallheaders",
            Shim::FpmStatusPage => "fpm_status_page",
        }
    }

    /// Case-insensitive, as PHP function names are.
    pub fn from_name(name: &str) -> Option<Shim> {
        Shim::ALL.into_iter().find(|s| s.name().eq_ignore_ascii_case(name))
    }

    pub fn kind(self) -> ShimKind {
        match self {
            Shim::FastcgiFinishRequest | Shim::LitespeedFinishRequest | Shim::FrankenphpFinishRequest => {
                ShimKind::Finish
            }
            Shim::FpmGetStatus => ShimKind::Status,
            Shim::FpmStatusPage => ShimKind::StatusPage,
            Shim::ApacheRequestHeaders | Shim::Getallheaders => ShimKind::RequestHeaders,
        }
    }
}

/// What the extension does about one shim on this SAPI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The SAPI (or an earlier extension) has it; ours stays out of the way.
    Native,
    /// The SAPI registers it after extensions load (`php -S`).
    NativeLater,
    /// We register it.
    Ours,
    /// `fpm_compat.functions` leaves it out.
    Off,
    /// Not offered on this SAPI: request headers come from the web server,
    /// and a web SAPI without them is one we cannot read them from.
    NotOffered,
}

impl Decision {
    pub fn describe(&self) -> &'static str {
        match self {
            Decision::Native => "native (provided by the SAPI)",
            Decision::NativeLater => "native (the SAPI registers it after extensions)",
            Decision::Ours => "provided by fpm_compat",
            Decision::Off => "off (fpm_compat.functions)",
            Decision::NotOffered => "not offered on this SAPI",
        }
    }
}

/// SAPIs without a web server behind them, where request headers are read
/// from `$_SERVER` as the Composer polyfill does.
const HEADERLESS_SAPIS: [&str; 3] = ["cli", "embed", "phpdbg"];

/// Decides, for every shim, what to do on the SAPI named `sapi`.
///
/// `exists` says whether a function is already registered; `registered_later`
/// lists the SAPI's `additional_functions`.
pub fn decide(
    sapi: &str,
    exists: &dyn Fn(&str) -> bool,
    registered_later: &[String],
    setting: &FunctionsSetting,
) -> Vec<(Shim, Decision)> {
    Shim::ALL
        .into_iter()
        .map(|shim| {
            let name = shim.name();
            let decision = if exists(name) {
                Decision::Native
            } else if registered_later.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                Decision::NativeLater
            } else if shim.kind() == ShimKind::RequestHeaders && !HEADERLESS_SAPIS.contains(&sapi) {
                Decision::NotOffered
            } else if shim.kind() == ShimKind::StatusPage && exists(Shim::FpmGetStatus.name()) {
                // FPM itself: its pm.status_path serves the page.
                Decision::NotOffered
            } else if !setting.allows(shim) {
                Decision::Off
            } else {
                Decision::Ours
            };
            (shim, decision)
        })
        .collect()
}

/// The names to put in our function table.
pub fn to_register(decisions: &[(Shim, Decision)]) -> Vec<Shim> {
    decisions.iter().filter(|(_, d)| *d == Decision::Ours).map(|(s, _)| *s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[Shim]) -> Vec<&'static str> {
        list.iter().map(|s| s.name()).collect()
    }

    fn cli_server_later() -> Vec<String> {
        ["cli_set_process_title", "cli_get_process_title", "apache_request_headers", "apache_response_headers", "getallheaders"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn cli_gets_everything() {
        let d = decide("cli", &|_| false, &[], &FunctionsSetting::All);
        assert_eq!(to_register(&d), Shim::ALL.to_vec());
    }

    #[test]
    fn fpm_keeps_its_native_finish_and_headers() {
        let native = ["fastcgi_finish_request", "fpm_get_status", "apache_request_headers", "getallheaders"];
        let d = decide("fpm-fcgi", &|n| native.contains(&n), &[], &FunctionsSetting::All);
        assert_eq!(names(&to_register(&d)), ["litespeed_finish_request", "frankenphp_finish_request"]);
        assert!(d.contains(&(Shim::FpmStatusPage, Decision::NotOffered)), "FPM serves its own page");
        assert!(d.contains(&(Shim::FastcgiFinishRequest, Decision::Native)));
    }

    #[test]
    fn cli_server_never_takes_its_later_names() {
        let d = decide("cli-server", &|_| false, &cli_server_later(), &FunctionsSetting::All);
        let reg = names(&to_register(&d));
        assert!(!reg.contains(&"getallheaders") && !reg.contains(&"apache_request_headers"), "{reg:?}");
        assert!(reg.contains(&"fastcgi_finish_request"));
        assert!(d.contains(&(Shim::Getallheaders, Decision::NativeLater)));
    }

    #[test]
    fn later_names_are_matched_case_insensitively() {
        let later = vec!["GetAllHeaders".to_string()];
        let d = decide("cli", &|_| false, &later, &FunctionsSetting::All);
        assert!(!to_register(&d).contains(&Shim::Getallheaders));
    }

    #[test]
    fn web_sapi_without_header_functions_gets_none_of_ours() {
        let d = decide("apache2handler", &|n| n == "getallheaders", &[], &FunctionsSetting::All);
        assert!(d.contains(&(Shim::Getallheaders, Decision::Native)));
        assert!(d.contains(&(Shim::ApacheRequestHeaders, Decision::NotOffered)));
        let d = decide("some-new-sapi", &|_| false, &[], &FunctionsSetting::All);
        assert!(!to_register(&d).iter().any(|s| s.kind() == ShimKind::RequestHeaders));
    }

    #[test]
    fn setting_selects_and_none_registers_nothing() {
        let only = FunctionsSetting::Only(vec![Shim::Getallheaders]);
        let d = decide("cli", &|_| false, &[], &only);
        assert_eq!(to_register(&d), vec![Shim::Getallheaders]);
        assert!(d.contains(&(Shim::FastcgiFinishRequest, Decision::Off)));
        let none = FunctionsSetting::Only(vec![]);
        assert!(to_register(&decide("embed", &|_| false, &[], &none)).is_empty());
    }

    #[test]
    fn a_native_name_is_never_registered_whatever_the_setting() {
        for sapi in ["cli", "cli-server", "cgi-fcgi", "apache2handler", "fpm-fcgi", "litespeed", "embed", "phpdbg"] {
            for native in Shim::ALL {
                let d = decide(sapi, &|n| n == native.name(), &[], &FunctionsSetting::All);
                assert!(!to_register(&d).contains(&native), "{sapi} {native:?}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for s in Shim::ALL {
            assert_eq!(Shim::from_name(s.name()), Some(s));
            assert_eq!(Shim::from_name(&s.name().to_uppercase()), Some(s));
        }
        assert_eq!(Shim::from_name("strlen"), None);
    }
}
