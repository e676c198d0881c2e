//! FastCGI records, for ending a php-cgi request by hand (see finish::cgi).

const FCGI_VERSION_1: u8 = 1;
const FCGI_END_REQUEST: u8 = 3;
const FCGI_STDOUT: u8 = 6;
const FCGI_REQUEST_COMPLETE: u8 = 0;

fn record(kind: u8, id: u16, content: &[u8]) -> Vec<u8> {
    let [id_hi, id_lo] = id.to_be_bytes();
    let [len_hi, len_lo] = u16::try_from(content.len()).unwrap_or(u16::MAX).to_be_bytes();
    let mut rec = vec![FCGI_VERSION_1, kind, id_hi, id_lo, len_hi, len_lo, 0, 0];
    rec.extend_from_slice(content);
    rec
}

/// The bytes that end request `id`: an empty `FCGI_STDOUT` (end of the
/// stream), then `FCGI_END_REQUEST` with application status 0 and
/// `FCGI_REQUEST_COMPLETE`.
pub fn end_request_records(id: u16) -> Vec<u8> {
    let mut bytes = record(FCGI_STDOUT, id, &[]);
    bytes.extend(record(FCGI_END_REQUEST, id, &[0, 0, 0, 0, FCGI_REQUEST_COMPLETE, 0, 0, 0]));
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_request_records_match_the_fastcgi_spec() {
        assert_eq!(
            end_request_records(0x0102),
            [1, 6, 1, 2, 0, 0, 0, 0, 1, 3, 1, 2, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }
}
