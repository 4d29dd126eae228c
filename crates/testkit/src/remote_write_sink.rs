//! A Remote Write receiver for fault tests: a small blocking HTTP/1.1 server on 127.0.0.1 that records every
//! request (headers and the raw, still compressed body) and answers what the test scripts (500, 429 with
//! `Retry-After`, 400, ...). It can go down (connections refused) and come back on the same port.
//!
//! It knows nothing of protobuf: tests decode the bodies with the code they trust for that.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as received.
#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    /// Names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status the sink answered.
    pub status: u16,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the sink answers.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn with_body(mut self, body: &str) -> Reply {
        self.body = body.into();
        self
    }
}

type Responder = Box<dyn FnMut(&Request) -> Reply + Send>;

struct State {
    requests: Vec<Request>,
    responder: Responder,
}

pub struct RemoteWriteSink {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    running: Option<Arc<AtomicBool>>,
}

impl RemoteWriteSink {
    /// Starts on a free port, answering 204 to everything.
    pub fn start() -> RemoteWriteSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the sink");
        let addr = listener.local_addr().unwrap();
        let mut sink = RemoteWriteSink {
            addr,
            state: Arc::new(Mutex::new(State {
                requests: Vec::new(),
                responder: Box::new(|_| Reply::status(204)),
            })),
            running: None,
        };
        sink.serve(listener);
        sink
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}/api/v1/write", self.addr)
    }

    /// Replaces what the sink answers; the closure sees each request before it is recorded.
    pub fn respond_with(&self, f: impl FnMut(&Request) -> Reply + Send + 'static) {
        self.state.lock().unwrap().responder = Box::new(f);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Stops listening and closes open connections: senders get "connection refused".
    pub fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.store(false, Ordering::SeqCst);
            // Wakes the accept loop so it sees the flag and drops the listener.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && TcpStream::connect(self.addr).is_ok() {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Listens again on the same port.
    pub fn restart(&mut self) {
        assert!(self.running.is_none(), "the sink is already running");
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(self.addr) {
                Ok(l) => break l,
                Err(e) if Instant::now() > deadline => panic!("rebinding {}: {e}", self.addr),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        self.serve(listener);
    }

    fn serve(&mut self, listener: TcpListener) {
        let running = Arc::new(AtomicBool::new(true));
        self.running = Some(running.clone());
        let state = self.state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if !running.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let state = state.clone();
                let running = running.clone();
                std::thread::spawn(move || handle(conn, &state, &running));
            }
        });
    }
}

impl Drop for RemoteWriteSink {
    fn drop(&mut self) {
        self.stop();
    }
}

fn handle(conn: TcpStream, state: &Mutex<State>, running: &AtomicBool) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(100)));
    let mut writer = match conn.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(conn);
    loop {
        // Waits for the next request line, noticing a stop between requests.
        let mut line = String::new();
        loop {
            if !running.load(Ordering::SeqCst) {
                return;
            }
            match reader.read_line(&mut line) {
                Ok(0) => return,
                Ok(_) => break,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue
                }
                Err(_) => return,
            }
        }
        // A request that arrives on a kept-alive connection after `stop` is not served: down is down.
        if !running.load(Ordering::SeqCst) {
            return;
        }
        let _ = reader
            .get_ref()
            .set_read_timeout(Some(Duration::from_secs(10)));
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let _ = reader
            .get_ref()
            .set_read_timeout(Some(Duration::from_millis(100)));
        let mut request = Request {
            path,
            headers,
            body,
            status: 0,
        };
        let reply = {
            let mut st = state.lock().unwrap();
            let reply = (st.responder)(&request);
            request.status = reply.status;
            st.requests.push(request);
            reply
        };
        let mut head = format!(
            "HTTP/1.1 {} Sink\r\nContent-Length: {}\r\n",
            reply.status,
            reply.body.len()
        );
        for (n, v) in &reply.headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if writer.write_all(head.as_bytes()).is_err()
            || writer.write_all(reply.body.as_bytes()).is_err()
        {
            return;
        }
    }
}
