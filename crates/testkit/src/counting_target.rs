//! A scrape target whose exposition changes on every request: request `n` (from 1) serves the value `n` for
//! each of its [`SERIES`] series, so that every scrape can be recognised wherever its samples end up.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Series per scrape (`counting_target_scrape{i="0"}` ...); all carry the scrape's number as their value.
pub const SERIES: usize = 20;
pub const METRIC: &str = "counting_target_scrape";

/// The target, on a free port of 127.0.0.1; it remembers when each response had been written in full.
pub struct CountingTarget {
    pub addr: SocketAddr,
    served: Arc<Mutex<Vec<(u64, Instant)>>>,
}

impl CountingTarget {
    pub fn start() -> CountingTarget {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let served = Arc::new(Mutex::new(Vec::new()));
        let next = Arc::new(AtomicUsize::new(1));
        let log = served.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                let next = next.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &next, &log);
                });
            }
        });
        CountingTarget { addr, served }
    }

    /// Scrape numbers whose response was complete before `before`.
    pub fn served_before(&self, before: Instant) -> BTreeSet<u64> {
        self.served
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, t)| *t < before)
            .map(|(n, _)| *n)
            .collect()
    }

    /// When each response so far had been written, in order.
    pub fn served_times(&self) -> Vec<Instant> {
        self.served
            .lock()
            .unwrap()
            .iter()
            .map(|(_, t)| *t)
            .collect()
    }

    /// Responses written so far.
    pub fn count(&self) -> usize {
        self.served.lock().unwrap().len()
    }
}

fn serve(
    stream: TcpStream,
    next: &AtomicUsize,
    log: &Mutex<Vec<(u64, Instant)>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h == "\r\n" {
                break;
            }
        }
        let n = next.fetch_add(1, Ordering::SeqCst) as u64;
        let mut body = format!("# HELP {METRIC} The scrape's number.\n# TYPE {METRIC} counter\n");
        for i in 0..SERIES {
            body.push_str(&format!("{METRIC}{{i=\"{i}\"}} {n}\n"));
        }
        (&stream).write_all(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )?;
        log.lock().unwrap().push((n, Instant::now()));
    }
}
