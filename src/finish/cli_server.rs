//! `php -S` (cli-server): every response is framed by the connection's
//! close (`Connection: close`, no Content-Length, no chunking), so once the
//! output is flushed, half-closing the client socket completes the response.
//! The socket is found by its peer address, `REMOTE_ADDR:REMOTE_PORT`, not
//! through the server's private structs; the read side stays open so unread
//! request bytes never turn into a reset.

use std::net::{IpAddr, SocketAddr};

use super::{end_output_and_flush, EndResponse, LaterOutput, Outcome, RequestSettings};
use crate::ffi::{os, server_vars};

pub struct CliServer;

impl EndResponse for CliServer {
    fn end_response(&self, _request: &RequestSettings) -> Outcome {
        end_output_and_flush();
        let Some(client) = client_address() else {
            return Outcome::NotEnded("cannot tell the client's address (REMOTE_ADDR, REMOTE_PORT)".into());
        };
        let socket = os::connected_sockets()
            .into_iter()
            .find(|(_, peer)| canonical(*peer) == client);
        match socket {
            Some((fd, _)) if os::shutdown_write(fd) => Outcome::Finished(LaterOutput::FailsOnItsOwn),
            _ => Outcome::NotEnded("cannot find the connection to the client (REMOTE_ADDR:REMOTE_PORT)".into()),
        }
    }
}

fn client_address() -> Option<SocketAddr> {
    let text = |name| server_vars::server_var(name).and_then(|v| String::from_utf8(v).ok());
    let ip: IpAddr = text("REMOTE_ADDR")?.trim_matches(['[', ']']).parse().ok()?;
    let port: u16 = text("REMOTE_PORT")?.parse().ok()?;
    Some(canonical(SocketAddr::new(ip, port)))
}

/// IPv4-mapped IPv6 peers (a server on `[::]`) compare as IPv4.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}
