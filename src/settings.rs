//! The `fpm_compat.*` php.ini directives and how their values are read.
//!
//! Parsing is pure so that `cargo test` covers it without PHP. A value that
//! does not parse is never fatal: the caller warns with [`Directive::complaint`]
//! and PHP keeps the default in force.

use std::ffi::CStr;

use crate::registry::{FunctionsSetting, Shim};

/// `fpm_compat.cli_finish`: what finishing means where there is no client
/// connection (cli, phpdbg).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CliFinish {
    /// Return true and touch nothing (test runners and worker relays capture stdout).
    Keep,
    /// Flush, then point stdout/stderr at /dev/null: a pipe reader sees EOF.
    Close,
    /// Flush and fork: the caller gets its exit status 0 now, a child runs the rest.
    Detach,
}

/// `fpm_compat.after_finish`: what output written after finishing does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFinish {
    /// Dropped silently; the script runs on (LiteSpeed, FrankenPHP).
    Discard,
    /// As FPM: output that reaches the gone client aborts the connection.
    Abort,
}

/// One directive: its name, default, and the words it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    Functions,
    CliFinish,
    AfterFinish,
    Status,
    SessionClose,
    MaxDetached,
}

/// The largest `fpm_compat.max_detached` accepted.
pub const MAX_DETACHED_LIMIT: u32 = 65_535;

impl Directive {
    pub const ALL: [Directive; 6] = [
        Directive::Functions,
        Directive::CliFinish,
        Directive::AfterFinish,
        Directive::Status,
        Directive::SessionClose,
        Directive::MaxDetached,
    ];

    pub fn name(self) -> &'static str {
        self.c_name().to_str().unwrap_or_default()
    }

    pub fn default_value(self) -> &'static str {
        self.c_default().to_str().unwrap_or_default()
    }

    /// The name as PHP's INI table takes it (NUL-terminated).
    pub fn c_name(self) -> &'static CStr {
        match self {
            Directive::Functions => c"fpm_compat.functions",
            Directive::CliFinish => c"fpm_compat.cli_finish",
            Directive::AfterFinish => c"fpm_compat.after_finish",
            Directive::Status => c"fpm_compat.status",
            Directive::SessionClose => c"fpm_compat.session_close",
            Directive::MaxDetached => c"fpm_compat.max_detached",
        }
    }

    /// The default as PHP's INI table takes it (NUL-terminated).
    pub fn c_default(self) -> &'static CStr {
        match self {
            Directive::Functions => c"all",
            Directive::CliFinish => c"keep",
            Directive::AfterFinish => c"discard",
            Directive::Status | Directive::SessionClose => c"0",
            Directive::MaxDetached => c"32",
        }
    }

    /// Only php.ini / `-d` / the server config may set it (it decides what is
    /// registered when the extension loads).
    pub fn system_only(self) -> bool {
        self == Directive::Functions
    }

    fn accepted(self) -> String {
        match self {
            Directive::Functions => format!(
                "all, none, or a comma-separated list of: {}",
                Shim::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
            ),
            Directive::CliFinish => "keep, close, detach".into(),
            Directive::AfterFinish => "discard, abort".into(),
            Directive::Status | Directive::SessionClose => "0, 1 (or off, on)".into(),
            Directive::MaxDetached => format!("a whole number from 1 to {MAX_DETACHED_LIMIT}, or 0 for no bound"),
        }
    }

    /// Whether `value` is acceptable for this directive.
    /// `at_startup`: the value comes from php.ini / `-d` (the default takes
    /// its place) rather than `ini_set()` (the value in force stays).
    pub fn validate(self, value: &str, at_startup: bool) -> Result<(), String> {
        let ok = match self {
            Directive::Functions => parse_functions(value).is_ok(),
            Directive::CliFinish => parse_cli_finish(value).is_some(),
            Directive::AfterFinish => parse_after_finish(value).is_some(),
            Directive::Status | Directive::SessionClose => parse_switch(value).is_some(),
            Directive::MaxDetached => parse_max_detached(value).is_some(),
        };
        if ok {
            Ok(())
        } else {
            Err(self.complaint(value, at_startup))
        }
    }

    /// The warning for a bad value: names the directive, the value, what is
    /// accepted and what stays in force.
    pub fn complaint(self, value: &str, at_startup: bool) -> String {
        let kept = if at_startup {
            format!("using the default '{}'", self.default_value())
        } else {
            "the value is unchanged".to_string()
        };
        format!(
            "fpm_compat: invalid value '{}' for {}; accepted values: {}; {kept}",
            value.escape_debug(),
            self.name(),
            self.accepted(),
        )
    }
}

fn word(value: &str) -> String {
    value.trim().to_ascii_lowercase()
}

pub fn parse_cli_finish(value: &str) -> Option<CliFinish> {
    match word(value).as_str() {
        "keep" => Some(CliFinish::Keep),
        "close" => Some(CliFinish::Close),
        "detach" => Some(CliFinish::Detach),
        _ => None,
    }
}

pub fn parse_after_finish(value: &str) -> Option<AfterFinish> {
    match word(value).as_str() {
        "discard" => Some(AfterFinish::Discard),
        "abort" => Some(AfterFinish::Abort),
        _ => None,
    }
}

/// An on/off switch with PHP's boolean spellings. An empty value is off, as
/// `fpm_compat.status=` in php.ini means to PHP itself.
pub fn parse_switch(value: &str) -> Option<bool> {
    match word(value).as_str() {
        "1" | "on" | "yes" | "true" => Some(true),
        "0" | "off" | "no" | "false" | "none" | "" => Some(false),
        _ => None,
    }
}

/// `fpm_compat.max_detached`: how many detached children (plain CGI, cli
/// `detach`) one user may have alive at once; `None` inside means no bound.
pub fn parse_max_detached(value: &str) -> Option<Option<u32>> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match value.parse::<u32>() {
        Ok(0) => Some(None),
        Ok(n) if n <= MAX_DETACHED_LIMIT => Some(Some(n)),
        _ => None,
    }
}

/// `all`, `none` (or empty), or a comma list of shim names, in any case and
/// with spaces around the commas.
pub fn parse_functions(value: &str) -> Result<FunctionsSetting, String> {
    let value = word(value);
    match value.as_str() {
        "all" => return Ok(FunctionsSetting::All),
        "none" | "" => return Ok(FunctionsSetting::Only(Vec::new())),
        _ => {}
    }
    let mut list = Vec::new();
    for item in value.split(',').map(str::trim) {
        let shim = Shim::from_name(item).ok_or_else(|| format!("unknown function '{item}'"))?;
        if !list.contains(&shim) {
            list.push(shim);
        }
    }
    Ok(FunctionsSetting::Only(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_valid() {
        for d in Directive::ALL {
            assert_eq!(d.validate(d.default_value(), true), Ok(()), "{}", d.name());
        }
    }

    #[test]
    fn cli_finish_words() {
        assert_eq!(parse_cli_finish("keep"), Some(CliFinish::Keep));
        assert_eq!(parse_cli_finish(" Close "), Some(CliFinish::Close));
        assert_eq!(parse_cli_finish("DETACH"), Some(CliFinish::Detach));
        assert_eq!(parse_cli_finish("fork"), None);
        assert_eq!(parse_cli_finish(""), None);
    }

    #[test]
    fn after_finish_words() {
        assert_eq!(parse_after_finish("discard"), Some(AfterFinish::Discard));
        assert_eq!(parse_after_finish("Abort"), Some(AfterFinish::Abort));
        assert_eq!(parse_after_finish("drop"), None);
    }

    #[test]
    fn switches_take_php_boolean_spellings() {
        for on in ["1", "on", "On", "yes", "true", " TRUE "] {
            assert_eq!(parse_switch(on), Some(true), "{on}");
        }
        for off in ["0", "off", "no", "false", "", "none"] {
            assert_eq!(parse_switch(off), Some(false), "{off}");
        }
        for bad in ["2", "enabled", "-1", "1.0"] {
            assert_eq!(parse_switch(bad), None, "{bad}");
        }
    }

    #[test]
    fn max_detached_counts() {
        assert_eq!(parse_max_detached("32"), Some(Some(32)));
        assert_eq!(parse_max_detached(" 1 "), Some(Some(1)));
        assert_eq!(parse_max_detached("0"), Some(None));
        assert_eq!(parse_max_detached("65535"), Some(Some(MAX_DETACHED_LIMIT)));
        for bad in ["", "-1", "+3", "65536", "99999999999", "1.5", "ten", "1e3"] {
            assert_eq!(parse_max_detached(bad), None, "{bad}");
        }
        assert!(Directive::MaxDetached.complaint("x", true).contains("0 for no bound"));
    }

    #[test]
    fn functions_lists() {
        assert_eq!(parse_functions("all"), Ok(FunctionsSetting::All));
        assert_eq!(parse_functions("ALL"), Ok(FunctionsSetting::All));
        assert_eq!(parse_functions("none"), Ok(FunctionsSetting::Only(vec![])));
        assert_eq!(parse_functions(""), Ok(FunctionsSetting::Only(vec![])));
        assert_eq!(
            parse_functions("getallheaders, FastCGI_Finish_Request,getallheaders"),
            Ok(FunctionsSetting::Only(vec![Shim::Getallheaders, Shim::FastcgiFinishRequest]))
        );
        assert!(parse_functions("fastcgi_finish_request,,getallheaders").is_err());
        assert!(parse_functions("all,getallheaders").is_err());
        assert!(parse_functions("strlen").is_err());
    }

    #[test]
    fn complaint_names_directive_value_and_choices() {
        let text = Directive::CliFinish.complaint("fork", true);
        assert!(text.contains("fpm_compat.cli_finish"), "{text}");
        assert!(text.contains("'fork'"), "{text}");
        assert!(text.contains("keep, close, detach"), "{text}");
        assert!(text.contains("using the default 'keep'"), "{text}");
        assert!(Directive::CliFinish.complaint("fork", false).contains("unchanged"));
        let text = Directive::Functions.complaint("x", true);
        assert!(text.contains("fastcgi_finish_request") && text.contains("getallheaders"), "{text}");
    }
}
