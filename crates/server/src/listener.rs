//! The listener the server runs on: plain TCP, or TLS when the applied configuration has an `http > tls`
//! block. The choice and the certificates are taken from the applied configuration for every new
//! connection, so a reload changes them for new connections while open ones keep what they started with
//! (as in Alloy).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use ingot_runtime::controller::Controller;

use crate::http_block::HttpConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshakes in progress beyond this are refused, so a flood of idle connections cannot grow without end.
const MAX_PENDING_HANDSHAKES: usize = 1024;

/// Go's answer to a plain HTTP request on a TLS port; Alloy's users see it the same way from ingot.
const PLAIN_HTTP_ON_TLS: &[u8] =
    b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

pub struct HttpListener {
    tcp: TcpListener,
    controller: Arc<Controller>,
    // Handshakes run in their own tasks so that a slow client never holds up the others' accepts.
    handshakes: JoinSet<Option<(Connection, SocketAddr)>>,
}

impl HttpListener {
    pub fn new(tcp: TcpListener, controller: Arc<Controller>) -> HttpListener {
        HttpListener {
            tcp,
            controller,
            handshakes: JoinSet::new(),
        }
    }
}

enum Next {
    Accepted(io::Result<(TcpStream, SocketAddr)>),
    Handshaken(Option<(Connection, SocketAddr)>),
}

impl axum::serve::Listener for HttpListener {
    type Io = Connection;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Connection, SocketAddr) {
        loop {
            let next = tokio::select! {
                r = self.tcp.accept() => Next::Accepted(r),
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    Next::Handshaken(done.ok().flatten())
                }
            };
            match next {
                Next::Handshaken(Some(conn)) => return conn,
                Next::Handshaken(None) => {}
                Next::Accepted(Ok((stream, addr))) => {
                    let Some(tls) = self.controller.config_blocks().get::<HttpConfig>().tls else {
                        return (Connection::Plain(stream), addr);
                    };
                    if self.handshakes.len() >= MAX_PENDING_HANDSHAKES {
                        tracing::warn!(%addr, "too many TLS handshakes in progress; closing the new connection");
                        continue;
                    }
                    let acceptor = TlsAcceptor::from(tls.server_config());
                    self.handshakes.spawn(handshake(acceptor, stream, addr));
                }
                Next::Accepted(Err(e)) => accept_error(e).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

async fn accept_error(e: io::Error) {
    // A connection that went away before it was accepted is the client's business; anything else (out of
    // file descriptors) would spin, so back off as Go's and axum's servers do.
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!("accepting an HTTP connection failed: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn handshake(
    acceptor: TlsAcceptor,
    stream: TcpStream,
    addr: SocketAddr,
) -> Option<(Connection, SocketAddr)> {
    let result = tokio::time::timeout(HANDSHAKE_TIMEOUT, async move {
        let mut stream = stream;
        if sent_plain_http(&stream).await {
            // Reading what has arrived of the request first keeps the close from turning into a reset
            // that would discard the answer before the client reads it.
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request).await;
            let _ = stream.write_all(PLAIN_HTTP_ON_TLS).await;
            let _ = stream.shutdown().await;
            return Err("client sent an HTTP request to an HTTPS server".to_string());
        }
        acceptor.accept(stream).await.map_err(|e| e.to_string())
    })
    .await;
    match result {
        Ok(Ok(tls)) => Some((Connection::Tls(Box::new(tls)), addr)),
        Ok(Err(e)) => {
            tracing::debug!(%addr, "TLS handshake failed: {e}");
            None
        }
        Err(_) => {
            tracing::debug!(%addr, "TLS handshake timed out");
            None
        }
    }
}

/// A TLS connection starts with a handshake record (0x16); an HTTP request starts with an upper-case method.
async fn sent_plain_http(stream: &TcpStream) -> bool {
    let mut first = [0u8; 1];
    matches!(stream.peek(&mut first).await, Ok(1) if first[0].is_ascii_uppercase())
}

/// One accepted connection, plain or TLS.
pub enum Connection {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_flush(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Connection::Plain(s) => s.is_write_vectored(),
            Connection::Tls(s) => s.is_write_vectored(),
        }
    }
}
