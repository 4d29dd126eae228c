//! Fetching the stub_status page: a plain HTTP/1.1 GET over a `std::net::TcpStream`, so that the local
//! address the agent connected from is known (it is what nginx's `allow`/`deny` rules judged when they
//! answered 403), and failures worded with what to change.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::args::ScrapeUri;
use super::stub_status::{parse_stub_status, StubStatus};

/// A stub_status page is a few hundred bytes; anything much larger is not one, and reading it all would let a
/// misconfigured URL cost memory on every scrape.
const MAX_BODY: usize = 64 * 1024;

/// Why a scrape failed, with what a person needs to fix it.
#[derive(Debug)]
pub enum ScrapeError {
    Resolve {
        uri: String,
        error: String,
    },
    Connect {
        uri: String,
        addr: SocketAddr,
        error: io::Error,
    },
    Io {
        uri: String,
        error: String,
    },
    Status {
        uri: String,
        status: u16,
        reason: String,
        local: SocketAddr,
    },
    NotStubStatus {
        uri: String,
        problem: String,
        excerpt: String,
    },
}

impl std::fmt::Display for ScrapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScrapeError::Resolve { uri, error } => write!(
                f,
                "GET {uri}: cannot resolve the host ({error}); check the host name in scrape_uri"
            ),
            ScrapeError::Connect { uri, addr, error } => match error.kind() {
                io::ErrorKind::ConnectionRefused => write!(
                    f,
                    "GET {uri}: connection to {addr} refused: nginx is not listening there; \
                     check that nginx runs and that a server block listens on {addr} with the stub_status location"
                ),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => write!(
                    f,
                    "GET {uri}: no answer from {addr} within the timeout: a firewall may drop the packets, \
                     or nothing listens at that address"
                ),
                _ => write!(f, "GET {uri}: cannot connect to {addr}: {error}"),
            },
            ScrapeError::Io { uri, error } => write!(f, "GET {uri}: {error}"),
            ScrapeError::Status {
                uri,
                status: 403,
                reason,
                local,
            } => write!(
                f,
                "GET {uri}: HTTP 403 {reason}: nginx refused this agent's address: ingot connected from {local}; \
                 add \"allow {ip};\" before \"deny all;\" in the location with stub_status and reload nginx",
                ip = local.ip()
            ),
            ScrapeError::Status {
                uri,
                status: 404,
                reason,
                ..
            } => write!(
                f,
                "GET {uri}: HTTP 404 {reason}: no page at this path; scrape_uri must name the location \
                 that has \"stub_status;\" in nginx.conf"
            ),
            ScrapeError::Status {
                uri,
                status,
                reason,
                ..
            } => write!(
                f,
                "GET {uri}: HTTP {status} {reason}: expected 200 from the stub_status location"
            ),
            ScrapeError::NotStubStatus {
                uri,
                problem,
                excerpt,
            } => write!(
                f,
                "GET {uri}: HTTP 200 but the page is not nginx stub_status output ({problem}; it begins {excerpt:?}); \
                 point scrape_uri at the location that has \"stub_status;\""
            ),
        }
    }
}

/// One fetched response.
struct Response {
    status: u16,
    reason: String,
    body: Vec<u8>,
    local: SocketAddr,
}

/// Fetches `uri` and parses the stub_status page, all within `timeout`.
pub fn scrape(uri: &ScrapeUri, timeout: Duration) -> Result<StubStatus, ScrapeError> {
    let response = fetch(uri, timeout)?;
    if response.status != 200 {
        return Err(ScrapeError::Status {
            uri: uri.uri.clone(),
            status: response.status,
            reason: response.reason,
            local: response.local,
        });
    }
    let text = String::from_utf8_lossy(&response.body);
    parse_stub_status(&text).map_err(|problem| ScrapeError::NotStubStatus {
        uri: uri.uri.clone(),
        problem,
        excerpt: text.chars().take(60).collect(),
    })
}

fn fetch(uri: &ScrapeUri, timeout: Duration) -> Result<Response, ScrapeError> {
    let deadline = Instant::now() + timeout;
    let io_err = |e: io::Error| ScrapeError::Io {
        uri: uri.uri.clone(),
        error: match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                format!("no complete answer within {timeout:?}")
            }
            _ => e.to_string(),
        },
    };
    let addrs: Vec<SocketAddr> = (uri.host.as_str(), uri.port)
        .to_socket_addrs()
        .map_err(|e| ScrapeError::Resolve {
            uri: uri.uri.clone(),
            error: e.to_string(),
        })?
        .collect();
    let mut last_error = None;
    let mut stream = None;
    for addr in &addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(addr, left) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_error = Some((*addr, e)),
        }
    }
    let mut stream = match (stream, last_error) {
        (Some(s), _) => s,
        (None, Some((addr, error))) => {
            return Err(ScrapeError::Connect {
                uri: uri.uri.clone(),
                addr,
                error,
            })
        }
        (None, None) => {
            return Err(ScrapeError::Resolve {
                uri: uri.uri.clone(),
                error: "no address".into(),
            })
        }
    };
    let local = stream.local_addr().map_err(io_err)?;
    let left = |d: Instant| {
        let l = d.saturating_duration_since(Instant::now());
        Some(l.max(Duration::from_millis(1)))
    };
    stream.set_write_timeout(left(deadline)).map_err(io_err)?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ingot/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        uri.path,
        uri.authority,
        env!("CARGO_PKG_VERSION")
    );
    stream.write_all(request.as_bytes()).map_err(io_err)?;
    let mut raw = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    loop {
        if Instant::now() >= deadline {
            return Err(io_err(io::ErrorKind::TimedOut.into()));
        }
        stream.set_read_timeout(left(deadline)).map_err(io_err)?;
        let n = stream.read(&mut buf).map_err(io_err)?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(done) = complete_response(&raw) {
            raw.truncate(done);
            break;
        }
        if raw.len() > MAX_BODY + 16 * 1024 {
            break;
        }
    }
    parse_response(&raw, local).ok_or_else(|| ScrapeError::Io {
        uri: uri.uri.clone(),
        error: "the answer is not an HTTP response".into(),
    })
}

fn header_end(raw: &[u8]) -> Option<usize> {
    raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The length of a whole response when `raw` holds one that says how long it is, so the read can stop
/// without waiting for the server to close.
fn complete_response(raw: &[u8]) -> Option<usize> {
    let end = header_end(raw)?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let len: usize = header_value(head, "content-length")?.parse().ok()?;
    (raw.len() >= end + len).then_some(end + len)
}

fn parse_response(raw: &[u8], local: SocketAddr) -> Option<Response> {
    let end = header_end(raw)?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let status_line = head.lines().next()?;
    let mut parts = status_line.splitn(3, ' ');
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let status: u16 = parts.next()?.parse().ok()?;
    let reason = parts.next().unwrap_or("").trim().to_string();
    let mut body = raw[end..].to_vec();
    if header_value(head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body);
    } else if let Some(len) = header_value(head, "content-length").and_then(|v| v.parse().ok()) {
        body.truncate(len);
    }
    body.truncate(MAX_BODY);
    Some(Response {
        status,
        reason,
        body,
        local,
    })
}

fn dechunk(mut s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = s.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&s[..eol]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            break;
        };
        let start = eol + 2;
        if size == 0 || s.len() < start + size {
            break;
        }
        out.extend_from_slice(&s[start..start + size]);
        s = &s[(start + size).min(s.len())..];
        s = s.strip_prefix(b"\r\n").unwrap_or(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_with_length_chunks_or_close() {
        let local: SocketAddr = "127.0.0.1:5555".parse().unwrap();
        let r = parse_response(
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nabcdef",
            local,
        )
        .unwrap();
        assert_eq!(
            (r.status, r.reason.as_str(), &r.body[..]),
            (403, "Forbidden", &b"abc"[..])
        );
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            local,
        )
        .unwrap();
        assert_eq!(&r.body[..], b"abcde");
        assert!(parse_response(b"garbage\r\n\r\n", local).is_none());
        assert_eq!(
            complete_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            Some(40)
        );
    }

    #[test]
    fn a_403_names_the_local_address_and_the_allow_line() {
        let e = ScrapeError::Status {
            uri: "http://10.0.0.5/stub_status".into(),
            status: 403,
            reason: "Forbidden".into(),
            local: "10.0.0.9:41234".parse().unwrap(),
        };
        let msg = e.to_string();
        assert!(msg.contains("HTTP 403"), "{msg}");
        assert!(msg.contains("ingot connected from 10.0.0.9:41234"), "{msg}");
        assert!(msg.contains("allow 10.0.0.9;"), "{msg}");
    }
}
