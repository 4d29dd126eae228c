//! Small pieces the benchmarks share: their knobs from the environment, and the request head reader of the
//! plain-socket receivers they run in-process (kept alive, so one connection carries many requests).

use std::io::{BufRead, BufReader};
use std::net::TcpStream;

/// An integer knob from the environment (`INGOT_BENCH_*`), or `default`.
pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What a receiver needs of a request head.
pub struct RequestHead {
    pub path: String,
    pub content_length: usize,
    /// The client waits for `100 Continue` before it sends the body (libcurl does for large bodies).
    pub expect_continue: bool,
}

/// Reads a request head; `None` at the end of the connection.
pub fn read_request_head(reader: &mut BufReader<TcpStream>) -> Option<RequestHead> {
    let mut first = String::new();
    if reader.read_line(&mut first).ok()? == 0 {
        return None;
    }
    let mut head = RequestHead {
        path: first.split_whitespace().nth(1).unwrap_or("").to_string(),
        content_length: 0,
        expect_continue: false,
    };
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        if h == "\r\n" {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            if n.eq_ignore_ascii_case("content-length") {
                head.content_length = v.trim().parse().unwrap_or(0);
            } else if n.eq_ignore_ascii_case("expect") {
                head.expect_continue = v.trim().eq_ignore_ascii_case("100-continue");
            }
        }
    }
    Some(head)
}
