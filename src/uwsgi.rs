//! uWSGI's PHP plugin: how it is recognised and how a response is ended
//! there (pure decisions; the calls are in `ffi::uwsgi`, the steps in
//! `finish::uwsgi`).
//!
//! uWSGI ends a response by closing the request's connection through its
//! protocol's own close (`uwsgi_disconnect()`, core/io.c). Most protocols
//! close the socket; `--http11-socket` keeps it for the client's next
//! request, so there the response must carry its own length, and the kept
//! connection is half-closed so a client reading to end-of-file is done too.

/// uWSGI's PHP plugin calls its SAPI this (`sapi_module.pretty_name`);
/// `--php-sapi-name` renames only `sapi_module.name`.
pub const PRETTY_NAME: &str = "uWSGI/php";

/// Whether PHP runs inside uWSGI's PHP plugin: its pretty name, and the
/// `uwsgi` binary's functions the finish calls are in the process. The SAPI
/// name alone says nothing (`--php-sapi-name apache` is allowed).
pub fn is_uwsgi(pretty_name: Option<&str>, functions_present: bool) -> bool {
    pretty_name == Some(PRETTY_NAME) && functions_present
}

/// What the request's protocol does with the connection in
/// `uwsgi_disconnect()`: told by which of uWSGI's close functions its
/// socket has (`struct uwsgi_socket.proto_close`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtoClose {
    /// `uwsgi_proto_base_close` (`--http-socket`, `--socket`, `--scgi-socket`, the
    /// `--http` router's uwsgi connection), `_ssl_close`, `_fastcgi_close`
    /// (writes the FastCGI end record first): the socket is closed.
    Closes,
    /// `uwsgi_proto_http11_close` (`--http11-socket`): kept open for the
    /// client's next request unless the request was HTTP/1.0 or failed.
    MayKeepAlive,
}

/// uWSGI's close functions, by address, as this process has them.
#[derive(Debug, Clone, Copy, Default)]
pub struct CloseFunctions {
    pub closing: [usize; 3],
    pub http11: usize,
}

impl CloseFunctions {
    /// Which close `proto_close` is; None for one we do not know (persistent
    /// uwsgi, ZeroMQ, a plugin's own, or a layout that does not match).
    pub fn classify(&self, proto_close: usize) -> Option<ProtoClose> {
        if proto_close == 0 {
            None
        } else if proto_close == self.http11 {
            Some(ProtoClose::MayKeepAlive)
        } else if self.closing.contains(&proto_close) {
            Some(ProtoClose::Closes)
        } else {
            None
        }
    }
}

/// How the response is ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// The common core, the stored headers written, `uwsgi_disconnect()`;
    /// `frame` first: the response announces its length and
    /// `Connection: close` (a kept-alive connection); `half_close`: a
    /// connection the protocol kept open is half-closed afterwards.
    Disconnect(Disconnect),
    /// The request cannot be used, the headers are unsent: Content-Length
    /// framing, as on any SAPI without a way to end a response.
    FrameOnly,
    /// The request cannot be used and the headers went out: nothing can end
    /// the response early.
    Refuse,
}

/// How a validated request is ended through uWSGI (see [`Plan::Disconnect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disconnect {
    pub frame: bool,
    pub half_close: bool,
}

/// The end of a request that validated, whose close is `close`.
pub fn disconnect(close: ProtoClose, headers_sent: bool) -> Disconnect {
    match close {
        ProtoClose::Closes => Disconnect { frame: false, half_close: false },
        ProtoClose::MayKeepAlive => Disconnect { frame: !headers_sent, half_close: true },
    }
}

/// The plan for a request whose close is `close` (None: the request did not
/// validate).
pub fn plan(close: Option<ProtoClose>, headers_sent: bool) -> Plan {
    match close {
        Some(close) => Plan::Disconnect(disconnect(close, headers_sent)),
        None if headers_sent => Plan::Refuse,
        None => Plan::FrameOnly,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FUNCTIONS: CloseFunctions = CloseFunctions { closing: [0x100, 0x200, 0x300], http11: 0x400 };

    #[test]
    fn recognised_by_pretty_name_and_functions_not_sapi_name() {
        assert!(is_uwsgi(Some("uWSGI/php"), true));
        assert!(!is_uwsgi(Some("uWSGI/php"), false), "no uwsgi functions: some other host");
        assert!(!is_uwsgi(Some("Apache 2.0 Handler"), true));
        assert!(!is_uwsgi(None, true));
    }

    #[test]
    fn close_functions_classified_by_address() {
        assert_eq!(FUNCTIONS.classify(0x200), Some(ProtoClose::Closes));
        assert_eq!(FUNCTIONS.classify(0x400), Some(ProtoClose::MayKeepAlive));
        assert_eq!(FUNCTIONS.classify(0x500), None);
        assert_eq!(FUNCTIONS.classify(0), None);
        // Functions missing from the process (address 0) never match a null pointer.
        let missing = CloseFunctions { closing: [0x100, 0, 0], http11: 0 };
        assert_eq!(missing.classify(0), None);
    }

    #[test]
    fn kept_alive_connections_are_framed_while_headers_are_unsent() {
        assert_eq!(plan(Some(ProtoClose::MayKeepAlive), false), Plan::Disconnect(Disconnect { frame: true, half_close: true }));
        assert_eq!(plan(Some(ProtoClose::MayKeepAlive), true), Plan::Disconnect(Disconnect { frame: false, half_close: true }));
    }

    #[test]
    fn closing_protocols_just_disconnect_whatever_was_sent() {
        for sent in [false, true] {
            assert_eq!(plan(Some(ProtoClose::Closes), sent), Plan::Disconnect(Disconnect { frame: false, half_close: false }));
        }
    }

    #[test]
    fn unusable_request_falls_back_to_framing_then_refuses() {
        assert_eq!(plan(None, false), Plan::FrameOnly);
        assert_eq!(plan(None, true), Plan::Refuse);
    }
}
