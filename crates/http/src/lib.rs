//! Serving HTTP/1.1 with the limits Go's `net/http` server gives Alloy's listeners, so that clients that
//! connect and then say nothing, drip their headers or bodies, or never leave cannot hold the agent's
//! connections, threads or file descriptors:
//!
//! - `conn_limit`: at most this many connections at once; the next is accepted when one closes (Go's
//!   `netutil.LimitListener`), so the rest wait in the kernel's backlog.
//! - `read_timeout`: the headers of each request, and then its body, must arrive within it (Go's
//!   `ReadTimeout`, which covers the whole request).
//! - `write_timeout`: the handler must answer within it, counted from the end of the headers (Go's
//!   `WriteTimeout`); past it the client gets 503 naming the limit.
//! - `idle_timeout`: a kept-alive connection with no request in flight is closed after it (Go's
//!   `IdleTimeout`).
//!
//! Every limit is optional (`None`, or `0` connections, means none).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;

/// The limits of one server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Limits {
    /// Connections served at once; 0 is no limit.
    pub conn_limit: usize,
    pub read_timeout: Option<Duration>,
    pub write_timeout: Option<Duration>,
    pub idle_timeout: Option<Duration>,
}

impl Limits {
    /// Alloy's defaults for a component's HTTP server (`internal/component/common/net`): no connection
    /// limit, 30 s to read, 30 s to write, 120 s idle.
    pub const ALLOY_COMPONENT: Limits = Limits {
        conn_limit: 0,
        read_timeout: Some(Duration::from_secs(30)),
        write_timeout: Some(Duration::from_secs(30)),
        idle_timeout: Some(Duration::from_secs(120)),
    };
}

/// A component's HTTP server block as Alloy's `internal/component/common/net` has it: where to listen and
/// the limits to serve with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listen {
    /// `""` listens on every interface, as in Alloy.
    pub listen_address: String,
    pub listen_port: u16,
    /// `conn_limit` and the `server_*_timeout`s.
    pub limits: Limits,
}

impl Listen {
    /// Every interface on `port`, with Alloy's component limits.
    pub fn on_port(port: u16) -> Listen {
        Listen {
            listen_address: String::new(),
            listen_port: port,
            limits: Limits::ALLOY_COMPONENT,
        }
    }

    /// The socket address to bind: Go's `net.Listen("tcp", ":8080")` for an empty address.
    pub fn bind_addr(&self) -> String {
        let host = if self.listen_address.is_empty() {
            "0.0.0.0"
        } else {
            self.listen_address.as_str()
        };
        if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{}", self.listen_port)
        } else {
            format!("{host}:{}", self.listen_port)
        }
    }

    /// Binds [`Listen::bind_addr`] with [`bind_std`]. Errors start with `what` (Alloy's words for the
    /// component's server).
    pub fn bind(&self, what: &str) -> Result<(std::net::TcpListener, String), String> {
        let addr = self.bind_addr();
        bind_std(&addr).map_err(|e| format!("{what}: listening on {addr}: {e}"))
    }
}

/// Binds `addr` non-blocking (for tokio) and says where it listens. A reload that moves a listener may
/// race the old one's release of the port, so a port in use is tried again for a second.
pub fn bind_std(addr: &str) -> io::Result<(std::net::TcpListener, String)> {
    let mut tries = 0;
    loop {
        match std::net::TcpListener::bind(addr) {
            Ok(l) => {
                l.set_nonblocking(true)?;
                let local = l
                    .local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_else(|_| addr.to_string());
                return Ok((l, local));
            }
            Err(e) if e.kind() == io::ErrorKind::AddrInUse && tries < 9 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Serves `router` on the connections `listener` accepts until `shutdown`, within `limits`; open
/// connections finish their request in flight and close.
pub async fn serve<L>(
    mut listener: L,
    router: axum::Router,
    limits: Limits,
    shutdown: CancellationToken,
) where
    L: axum::serve::Listener,
{
    let slots =
        (limits.conn_limit > 0).then(|| Arc::new(tokio::sync::Semaphore::new(limits.conn_limit)));
    let connections = tokio_util::task::TaskTracker::new();
    loop {
        let permit = match &slots {
            Some(s) => tokio::select! {
                p = s.clone().acquire_owned() => p.ok(),
                _ = shutdown.cancelled() => break,
            },
            None => None,
        };
        let (io, _addr) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.cancelled() => break,
        };
        let router = router.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            serve_connection(io, router, limits, shutdown).await;
            drop(permit);
        });
    }
    connections.close();
    connections.wait().await;
}

async fn serve_connection<I>(
    io: I,
    router: axum::Router,
    limits: Limits,
    shutdown: CancellationToken,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let busy = Arc::new(AtomicUsize::new(0));
    let io = IdleIo::new(io, limits.idle_timeout, busy.clone());
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let router = router.clone();
        let busy = busy.clone();
        async move {
            let _in_flight = InFlight::new(busy);
            let started = Instant::now();
            let request = request.map(|body| {
                Body::new(TimedBody {
                    inner: body,
                    deadline: limits
                        .read_timeout
                        .map(|t| Box::pin(tokio::time::sleep_until(started + t))),
                })
            });
            let call = tower_service::Service::call(&mut router.clone(), request);
            let response = match limits.write_timeout {
                Some(limit) => match tokio::time::timeout(limit, call).await {
                    Ok(r) => r,
                    Err(_) => Ok(too_slow(limit)),
                },
                None => call.await,
            };
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new());
    if let Some(t) = limits.read_timeout {
        builder.header_read_timeout(t);
    }
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!("HTTP connection ended: {e}");
            }
        }
        _ = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

fn too_slow(limit: Duration) -> Response {
    (
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        format!("the request was not answered within the server's write timeout of {limit:?}\n"),
    )
        .into_response()
}

/// Counts a request in flight on its connection while alive.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(busy: Arc<AtomicUsize>) -> InFlight {
        busy.fetch_add(1, Ordering::AcqRel);
        InFlight(busy)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A request body that fails once the request's read deadline passes, so a dripped body cannot hold its
/// handler for ever.
struct TimedBody {
    inner: Incoming,
    deadline: Option<Pin<Box<Sleep>>>,
}

impl http_body::Body for TimedBody {
    type Data = hyper::body::Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(io::Error::other)));
        }
        if let Some(deadline) = self.deadline.as_mut() {
            if deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the request body did not arrive within the server's read timeout",
                ))));
            }
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A connection that reads as closed once it has been idle (no bytes either way, no request in flight)
/// for the idle timeout.
struct IdleIo<I> {
    inner: I,
    idle: Option<Duration>,
    busy: Arc<AtomicUsize>,
    last_activity: Instant,
    timer: Pin<Box<Sleep>>,
}

impl<I> IdleIo<I> {
    fn new(inner: I, idle: Option<Duration>, busy: Arc<AtomicUsize>) -> IdleIo<I> {
        let now = Instant::now();
        IdleIo {
            inner,
            idle,
            busy,
            last_activity: now,
            timer: Box::pin(tokio::time::sleep_until(
                now + idle.unwrap_or(Duration::ZERO),
            )),
        }
    }

    /// Whether the idle timeout has passed, arming the timer to wake this task when it will.
    fn idle_expired(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(idle) = self.idle else {
            return false;
        };
        if self.busy.load(Ordering::Acquire) > 0 {
            self.last_activity = Instant::now();
            return false;
        }
        let deadline = self.last_activity + idle;
        if self.timer.deadline() != deadline {
            self.timer.as_mut().reset(deadline);
        }
        self.timer.as_mut().poll(cx).is_ready()
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for IdleIo<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.last_activity = Instant::now();
                }
                Poll::Ready(r)
            }
            // Idle too long: end of stream, which closes the connection.
            Poll::Pending if self.idle_expired(cx) => Poll::Ready(Ok(())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for IdleIo<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let n = ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?;
        self.last_activity = Instant::now();
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    async fn start(limits: Limits) -> (std::net::SocketAddr, CancellationToken) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = axum::Router::new()
            .route(
                "/echo",
                post(|body: axum::body::Bytes| async move { format!("{}", body.len()) }),
            )
            .route(
                "/slow",
                post(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            );
        let stop = CancellationToken::new();
        tokio::spawn(serve(listener, router, limits, stop.clone()));
        (addr, stop)
    }

    /// Reads until the peer closes or `within` passes; whether it closed, and what it sent.
    async fn read_until_closed(s: &mut TcpStream, within: Duration) -> (bool, String) {
        let mut out = Vec::new();
        let closed = tokio::time::timeout(within, s.read_to_end(&mut out))
            .await
            .is_ok();
        (closed, String::from_utf8_lossy(&out).into_owned())
    }

    const SHORT: Limits = Limits {
        conn_limit: 2,
        read_timeout: Some(Duration::from_millis(300)),
        write_timeout: Some(Duration::from_millis(300)),
        idle_timeout: Some(Duration::from_millis(300)),
    };

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn idle_connections_and_dripped_headers_are_closed() {
        let (addr, _stop) = start(SHORT).await;
        // Says nothing.
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let (closed, _) = read_until_closed(&mut silent, Duration::from_secs(3)).await;
        assert!(closed, "a silent connection stays open");
        // Drips its headers.
        let mut drip = TcpStream::connect(addr).await.unwrap();
        drip.write_all(b"POST /echo HTTP/1.1\r\n").await.unwrap();
        let (closed, _) = read_until_closed(&mut drip, Duration::from_secs(3)).await;
        assert!(closed, "dripped headers keep the connection");
        // Kept alive after a request, then idle.
        let mut kept = TcpStream::connect(addr).await.unwrap();
        kept.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
            .await
            .unwrap();
        let (closed, text) = read_until_closed(&mut kept, Duration::from_secs(3)).await;
        assert!(closed && text.starts_with("HTTP/1.1 200"), "{text}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dripped_body_and_a_slow_handler_are_bounded() {
        let (addr, _stop) = start(SHORT).await;
        let mut drip = TcpStream::connect(addr).await.unwrap();
        drip.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
            .await
            .unwrap();
        let (closed, text) = read_until_closed(&mut drip, Duration::from_secs(3)).await;
        assert!(closed, "a dripped body holds the connection: {text}");
        assert!(!text.contains("HTTP/1.1 200"), "{text}");
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            .await
            .unwrap();
        let (_, text) = read_until_closed(&mut slow, Duration::from_secs(3)).await;
        assert!(
            text.starts_with("HTTP/1.1 503") && text.contains("write timeout"),
            "{text}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_connection_limit_holds_the_next_client_until_one_leaves() {
        let limits = Limits {
            idle_timeout: Some(Duration::from_secs(30)),
            read_timeout: Some(Duration::from_secs(30)),
            ..SHORT
        };
        let (addr, _stop) = start(limits).await;
        let a = TcpStream::connect(addr).await.unwrap();
        let _b = TcpStream::connect(addr).await.unwrap();
        // Let the server accept both.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\na",
        )
        .await
        .unwrap();
        let mut first = [0u8; 1];
        let waited = tokio::time::timeout(Duration::from_millis(500), c.read(&mut first)).await;
        assert!(waited.is_err(), "a third connection was served at once");
        drop(a);
        let (_, text) = read_until_closed(&mut c, Duration::from_secs(3)).await;
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    }
}
