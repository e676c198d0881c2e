//! php-fpm's status page (`pm.status_path`), written from a [`Pool`]: the
//! text, `?html`, `?xml`, `?json` and `?openmetrics` formats, with `?full`
//! for the per-worker part, byte for byte as `fpm_status_handle_request()`
//! (php-src `sapi/fpm/fpm/fpm_status.c`, PHP 8.2) prints them, so the
//! monitoring agents that scrape FPM read this page unchanged.
//!
//! What FPM escapes is escaped here the same way and nothing more: only the
//! request URI and query string (HTML/XML entities, or a JSON string);
//! the pool name, user and script go out as they are, as in FPM.

use super::{counts, fields, Pool, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Html,
    Xml,
    Json,
    OpenMetrics,
}

/// The format and `full` flag a query string asks for, as FPM decides from
/// `$_GET`: a key present (any value) selects; html before xml before json
/// before openmetrics, else text.
pub fn choose(query: &[u8]) -> (Format, bool) {
    let keys: Vec<Vec<u8>> = query
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| url_decode(p.split(|&b| b == b'=').next().unwrap_or_default()))
        .collect();
    let has = |k: &str| keys.iter().any(|x| x == k.as_bytes());
    let format = if has("html") {
        Format::Html
    } else if has("xml") {
        Format::Xml
    } else if has("json") {
        Format::Json
    } else if has("openmetrics") {
        Format::OpenMetrics
    } else {
        Format::Text
    };
    (format, has("full"))
}

fn url_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain",
            Format::Html => "text/html",
            Format::Xml => "text/xml",
            Format::Json => "application/json",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// The headers FPM sends with the page, besides Content-Type.
pub const HEADERS: [&str; 2] =
    ["Expires: Thu, 01 Jan 1970 00:00:00 GMT", "Cache-Control: no-cache, no-store, must-revalidate, max-age=0"];

/// The pool's lines of the text and HTML pages, FPM's labels and order.
fn summary(name: &str, start: &str, since: i64, accepted: u64, c: &super::Counts, peak: Option<u64>) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("pool", name.to_string()),
        ("process manager", "static".into()),
        ("start time", start.to_string()),
        ("start since", since.to_string()),
        ("accepted conn", accepted.to_string()),
        ("listen queue", "0".into()),
        ("max listen queue", "0".into()),
        ("listen queue len", "0".into()),
        ("idle processes", c.idle.to_string()),
        ("active processes", c.active.to_string()),
        ("total processes", (c.idle + c.active).to_string()),
        ("max active processes", c.max_active.to_string()),
        ("max children reached", "0".into()),
        ("slow requests", "0".into()),
    ];
    // php-fpm 8.4+ adds the pool's memory peak after the slow requests.
    rows.extend(peak.map(|p| ("memory peak", p.to_string())));
    rows
}

/// The page. `local_time` formats a Unix time as FPM's text and HTML pages
/// do (`strftime("%d/%b/%Y:%H:%M:%S %z", localtime(t))`).
pub fn render(pool: &Pool, format: Format, full: bool, local_time: &dyn Fn(i64) -> String) -> Vec<u8> {
    let c = counts(pool);
    let time = |t: i64| match format {
        Format::Text | Format::Html => local_time(t),
        _ => t.to_string(),
    };
    let since = pool.now_epoch.saturating_sub(pool.start_epoch);
    let total = c.idle + c.active;
    let (name, pm, accepted) = (String::from_utf8_lossy(pool.name.as_bytes()), "static", pool.accepted);
    let start = time(pool.start_epoch);
    let peak = pool.layout.memory_peak.then_some(pool.memory_peak);
    let mut out = String::new();
    match format {
        Format::Html => {
            out += "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\n\
                <html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n\
                <head><title>PHP-FPM Status Page</title></head>\n<body>\n<table>\n";
            for (k, v) in summary(&name, &start, since, accepted, &c, peak) {
                out += &format!("<tr><th>{k}</th><td>{v}</td></tr>\n");
            }
            out += "</table>\n";
        }
        Format::Xml => {
            out += &format!("<?xml version=\"1.0\" ?>\n<status>\n<pool>{name}</pool>\n<process-manager>{pm}</process-manager>\n<start-time>{start}</start-time>\n<start-since>{since}</start-since>\n<accepted-conn>{accepted}</accepted-conn>\n<listen-queue>0</listen-queue>\n<max-listen-queue>0</max-listen-queue>\n<listen-queue-len>0</listen-queue-len>\n<idle-processes>{}</idle-processes>\n<active-processes>{}</active-processes>\n<total-processes>{total}</total-processes>\n<max-active-processes>{}</max-active-processes>\n<max-children-reached>0</max-children-reached>\n<slow-requests>0</slow-requests>\n", c.idle, c.active, c.max_active);
            if let Some(p) = peak {
                out += &format!("<memory-peak>{p}</memory-peak>\n");
            }
        }
        Format::Json => {
            out += &format!("{{\"pool\":\"{name}\",\"process manager\":\"{pm}\",\"start time\":{start},\"start since\":{since},\"accepted conn\":{accepted},\"listen queue\":0,\"max listen queue\":0,\"listen queue len\":0,\"idle processes\":{},\"active processes\":{},\"total processes\":{total},\"max active processes\":{},\"max children reached\":0,\"slow requests\":0", c.idle, c.active, c.max_active);
            if let Some(p) = peak {
                out += &format!(",\"memory peak\":{p}");
            }
        }
        Format::OpenMetrics => {
            out += &format!("# HELP phpfpm_up Could pool {name} using a {pm} PM on PHP-FPM be reached?\n\
# TYPE phpfpm_up gauge\nphpfpm_up 1\n\
# HELP phpfpm_start_since The number of seconds since FPM has started.\n# TYPE phpfpm_start_since counter\nphpfpm_start_since {since}\n\
# HELP phpfpm_accepted_connections The number of requests accepted by the pool.\n# TYPE phpfpm_accepted_connections counter\nphpfpm_accepted_connections {accepted}\n\
# HELP phpfpm_listen_queue The number of requests in the queue of pending connections.\n# TYPE phpfpm_listen_queue gauge\nphpfpm_listen_queue 0\n\
# HELP phpfpm_max_listen_queue The maximum number of requests in the queue of pending connections since FPM has started.\n# TYPE phpfpm_max_listen_queue counter\nphpfpm_max_listen_queue 0\n\
# TYPE phpfpm_listen_queue_length gauge\n# HELP phpfpm_listen_queue_length The size of the socket queue of pending connections.\nphpfpm_listen_queue_length 0\n\
# HELP phpfpm_idle_processes The number of idle processes.\n# TYPE phpfpm_idle_processes gauge\nphpfpm_idle_processes {}\n\
# HELP phpfpm_active_processes The number of active processes.\n# TYPE phpfpm_active_processes gauge\nphpfpm_active_processes {}\n\
# HELP phpfpm_total_processes The number of idle + active processes.\n# TYPE phpfpm_total_processes gauge\nphpfpm_total_processes {total}\n\
# HELP phpfpm_max_active_processes The maximum number of active processes since FPM has started.\n# TYPE phpfpm_max_active_processes counter\nphpfpm_max_active_processes {}\n\
# HELP phpfpm_max_children_reached The number of times, the process limit has been reached, when pm tries to start more children (works only for pm 'dynamic' and 'ondemand').\n# TYPE phpfpm_max_children_reached counter\nphpfpm_max_children_reached 0\n\
# HELP phpfpm_slow_requests The number of requests that exceeded your 'request_slowlog_timeout' value.\n# TYPE phpfpm_slow_requests counter\nphpfpm_slow_requests 0\n", c.idle, c.active, c.max_active);
            if let Some(p) = peak {
                out += &format!("# HELP phpfpm_memory_peak The memory usage peak since FPM has started.\n# TYPE phpfpm_memory_peak gauge\nphpfpm_memory_peak {p}\n");
            }
            out += "# EOF\n";
            // FPM's full part of this format is empty.
            return out.into_bytes();
        }
        Format::Text => {
            for (k, v) in summary(&name, &start, since, accepted, &c, peak) {
                out += &format!("{:<22}{v}\n", format!("{k}:"));
            }
        }
    }
    let mut out = out.into_bytes();
    if !full {
        out.extend_from_slice(match format {
            Format::Html => b"</body></html>".as_slice(),
            Format::Xml => b"</status>",
            Format::Json => b"}",
            _ => b"",
        });
        return out;
    }
    out.extend_from_slice(match format {
        Format::Html => b"<table border=\"1\">\n<tr><th>pid</th><th>state</th><th>start time</th><th>start since</th><th>requests</th><th>request duration</th><th>request method</th><th>request uri</th><th>content length</th><th>user</th><th>script</th><th>last request cpu</th><th>last request memory</th></tr>\n".as_slice(),
        Format::Xml => b"<processes>\n",
        Format::Json => b", \"processes\":[",
        _ => b"",
    });
    let all = fields(pool);
    let procs = match all.iter().find(|(k, _)| *k == "procs") {
        Some((_, Value::List(procs))) => procs.clone(),
        _ => Vec::new(),
    };
    for (i, proc) in procs.iter().enumerate() {
        if i > 0 && format == Format::Json {
            out.push(b',');
        }
        let get = |k: &str| proc.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone());
        let int = |k: &str| match get(k) {
            Some(Value::Int(n)) => n,
            _ => 0,
        };
        let bytes = |k: &str| match get(k) {
            Some(Value::Str(b)) => b.into_owned(),
            _ => Vec::new(),
        };
        let cpu = match get("last-request-cpu") {
            Some(Value::Float(x)) => x,
            _ => 0.0,
        };
        let (uri, query) = (bytes("request-uri"), bytes("query-string"));
        let encode = |s: &[u8]| match format {
            Format::Html | Format::Xml => html_escape(s),
            Format::Json => json_escape(s),
            _ => s.to_vec(),
        };
        let mut uri_part = if uri.is_empty() { b"-".to_vec() } else { encode(&uri) };
        if !query.is_empty() {
            uri_part.push(b'?');
            uri_part.extend(encode(&query));
        }
        let values: Vec<Vec<u8>> = vec![
            int("pid").to_string().into_bytes(),
            bytes("state"),
            time(int("start-time")).into_bytes(),
            int("start-since").to_string().into_bytes(),
            int("requests").to_string().into_bytes(),
            int("request-duration").to_string().into_bytes(),
            bytes("request-method"),
            uri_part,
            int("request-length").to_string().into_bytes(),
            bytes("user"),
            bytes("script"),
            format!("{cpu:.2}").into_bytes(),
            int("last-request-memory").to_string().into_bytes(),
        ];
        const NAMES: [&str; 13] = [
            "pid", "state", "start time", "start since", "requests", "request duration", "request method",
            "request uri", "content length", "user", "script", "last request cpu", "last request memory",
        ];
        match format {
            Format::Html => {
                out.extend_from_slice(b"<tr>");
                for v in &values {
                    out.extend_from_slice(b"<td>");
                    out.extend_from_slice(v);
                    out.extend_from_slice(b"</td>");
                }
                out.extend_from_slice(b"</tr>\n");
            }
            Format::Xml => {
                out.extend_from_slice(b"<process>");
                for (name, v) in NAMES.iter().zip(&values) {
                    let tag = name.replace(' ', "-");
                    out.extend_from_slice(format!("<{tag}>").as_bytes());
                    out.extend_from_slice(v);
                    out.extend_from_slice(format!("</{tag}>").as_bytes());
                }
                out.extend_from_slice(b"</process>\n");
            }
            Format::Json => {
                out.push(b'{');
                for (j, (name, v)) in NAMES.iter().zip(&values).enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    // Strings are quoted, numbers (times included) are not.
                    let quoted = matches!(j, 1 | 6 | 7 | 9 | 10);
                    out.extend_from_slice(format!("\"{name}\":").as_bytes());
                    if quoted {
                        out.push(b'"');
                    }
                    out.extend_from_slice(v);
                    if quoted {
                        out.push(b'"');
                    }
                }
                out.push(b'}');
            }
            _ => {
                out.extend_from_slice(b"\n************************\n");
                for (name, v) in NAMES.iter().zip(&values) {
                    let label = if *name == "request uri" { "request URI" } else { name };
                    out.extend_from_slice(format!("{:<22}", format!("{label}:")).as_bytes());
                    out.extend_from_slice(v);
                    out.push(b'\n');
                }
            }
        }
    }
    out.extend_from_slice(match format {
        Format::Html => b"</table></body></html>".as_slice(),
        Format::Xml => b"</processes>\n</status>",
        Format::Json => b"]}",
        _ => b"",
    });
    out
}

/// `php_escape_html_entities_ex(s, all=1, ENT_DISALLOWED | ENT_HTML_DOC_XML1
/// | ENT_COMPAT, UTF-8, double_encode=1)`: XML 1.0 has only the basic
/// entities (`'` stays under ENT_COMPAT), code points XML forbids become
/// U+FFFD, and invalid UTF-8 makes PHP return an empty string.
pub fn html_escape(s: &[u8]) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(s) else { return Vec::new() };
    let mut out = String::with_capacity(s.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out.into_bytes()
}

/// `php_json_encode_string(s, PHP_JSON_INVALID_UTF8_IGNORE)` without its
/// quotes: `/` escaped, non-ASCII as `\uXXXX` (lower-case hex, surrogate
/// pairs above U+FFFF), invalid bytes dropped.
pub fn json_escape(s: &[u8]) -> Vec<u8> {
    let mut out = String::with_capacity(s.len());
    for chunk in s.utf8_chunks() {
        for ch in chunk.valid().chars() {
            match ch {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '/' => out.push_str("\\/"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{FpmLayout, LastRequest, RequestInfo, State, Worker};

    fn pool() -> Pool {
        let w = |pid, state, requests| Worker {
            pid,
            start_epoch: 1_700_000_000,
            requests,
            state,
            request_duration_us: 1234,
            request: RequestInfo {
                method: Some(b"GET".to_vec()),
                uri: Some(b"/s.php".to_vec()),
                query_string: Some(b"a=<1>&b=\"/\"".to_vec()),
                content_length: 0,
                auth_user: None,
                script: Some(b"/srv/s.php".to_vec()),
            },
            last: (state == State::Idle).then_some(LastRequest { cpu_percent: 12.345, memory: 2_097_152 }),
        };
        Pool {
            name: "cli-server".into(),
            start_epoch: 1_700_000_000,
            now_epoch: 1_700_000_010,
            accepted: 9,
            max_active: 2,
            memory_peak: 0,
            workers: vec![w(11, State::Running, 5), w(12, State::Idle, 4)],
            layout: FpmLayout::of_php8(2),
        }
    }

    fn page(q: &str) -> String {
        let (format, full) = choose(q.as_bytes());
        String::from_utf8(render(&pool(), format, full, &|t| format!("T{t}"))).unwrap()
    }

    #[test]
    fn format_from_the_query_as_fpm_chooses() {
        assert_eq!(choose(b""), (Format::Text, false));
        assert_eq!(choose(b"full"), (Format::Text, true));
        assert_eq!(choose(b"json&full"), (Format::Json, true));
        assert_eq!(choose(b"xml=1&html"), (Format::Html, false));
        assert_eq!(choose(b"openmetrics&json"), (Format::Json, false));
        assert_eq!(choose(b"%6Ason"), (Format::Json, false));
        assert_eq!(choose(b"jsonx"), (Format::Text, false));
    }

    #[test]
    fn text_page() {
        assert_eq!(
            page(""),
            "pool:                 cli-server\nprocess manager:      static\nstart time:           T1700000000\n\
start since:          10\naccepted conn:        9\nlisten queue:         0\nmax listen queue:     0\n\
listen queue len:     0\nidle processes:       1\nactive processes:     1\ntotal processes:      2\n\
max active processes: 2\nmax children reached: 0\nslow requests:        0\n"
        );
        let full = page("full");
        assert!(full.contains("\n************************\npid:                  12\nstate:                Idle\n"), "{full}");
        assert!(full.contains("request URI:          /s.php?a=<1>&b=\"/\"\n"), "{full}");
        assert!(full.contains("last request cpu:     12.35\nlast request memory:  2097152\n"), "{full}");
        assert!(full.contains("last request cpu:     0.00\nlast request memory:  0\n"), "the busy one");
    }

    #[test]
    fn json_page_escapes_uri_and_query_only() {
        let json = page("json&full");
        assert!(json.starts_with("{\"pool\":\"cli-server\",\"process manager\":\"static\",\"start time\":1700000000,"), "{json}");
        assert!(json.contains("\"request uri\":\"\\/s.php?a=<1>&b=\\\"\\/\\\"\""), "{json}");
        assert!(json.ends_with("\"last request memory\":2097152}]}"), "{json}");
        assert!(page("json").ends_with("\"slow requests\":0}"));
    }

    #[test]
    fn xml_and_html_escape_entities() {
        let xml = page("xml&full");
        assert!(xml.contains("<request-uri>/s.php?a=&lt;1&gt;&amp;b=&quot;/&quot;</request-uri>"), "{xml}");
        assert!(xml.ends_with("</processes>\n</status>"));
        assert!(page("html").ends_with("</table>\n</body></html>"));
        assert!(page("html&full").contains("<td>T1700000000</td>"));
    }

    #[test]
    fn memory_peak_after_slow_requests_from_php_8_4() {
        let mut p = pool();
        p.layout = FpmLayout::of_php8(4);
        p.memory_peak = 4_194_304;
        let page = |q: &str| {
            let (format, full) = choose(q.as_bytes());
            String::from_utf8(render(&p, format, full, &|t| format!("T{t}"))).unwrap()
        };
        assert!(page("").ends_with("slow requests:        0\nmemory peak:          4194304\n"));
        assert!(page("json").ends_with("\"slow requests\":0,\"memory peak\":4194304}"));
        assert!(page("xml").contains("<slow-requests>0</slow-requests>\n<memory-peak>4194304</memory-peak>\n</status>"));
        assert!(page("html").contains("<tr><th>memory peak</th><td>4194304</td></tr>\n</table>"));
        assert!(page("openmetrics").ends_with("phpfpm_slow_requests 0\n# HELP phpfpm_memory_peak The memory usage peak since FPM has started.\n# TYPE phpfpm_memory_peak gauge\nphpfpm_memory_peak 4194304\n# EOF\n"));
        assert!(!self::tests::page("").contains("memory peak"), "not before 8.4");
    }

    #[test]
    fn openmetrics_has_no_process_part() {
        assert_eq!(page("openmetrics"), page("openmetrics&full"));
        assert!(page("openmetrics").ends_with("phpfpm_slow_requests 0\n# EOF\n"));
    }

    #[test]
    fn escapes_as_php() {
        assert_eq!(html_escape(b"a'b\x01"), "a'b\u{fffd}".as_bytes());
        assert_eq!(html_escape(b"\xff"), b"");
        assert_eq!(json_escape("é\u{1F600}\x7f".as_bytes()), b"\\u00e9\\ud83d\\ude00\x7f");
        assert_eq!(json_escape(b"a\xffb"), b"ab");
    }
}
