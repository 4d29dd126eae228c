//! Making a connection as Go's `http.Transport` does: directly, or through an HTTP proxy (absolute-form
//! requests for `http`, a `CONNECT` tunnel with `proxy_connect_header` for `https`), then TLS with the
//! configured server name and ALPN.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::proxy::{Proxy, ProxySelector};

pub(crate) struct ConnectorInner {
    pub proxy: ProxySelector,
    pub tls: Arc<rustls::ClientConfig>,
    pub server_name: Option<ServerName<'static>>,
    /// `proxy_connect_header`, sent on CONNECT only.
    pub connect_headers: Vec<(String, String)>,
    pub user_agent: String,
}

#[derive(Clone)]
pub(crate) struct Connector(pub Arc<ConnectorInner>);

pub(crate) enum Conn {
    Plain {
        io: TokioIo<TcpStream>,
        proxied: bool,
    },
    Tls {
        io: Box<TokioIo<tokio_rustls::client::TlsStream<TcpStream>>>,
        h2: bool,
    },
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        match self {
            Conn::Plain { proxied, .. } => Connected::new().proxy(*proxied),
            Conn::Tls { h2, .. } => {
                let c = Connected::new();
                if *h2 {
                    c.negotiated_h2()
                } else {
                    c
                }
            }
        }
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_read(cx, buf),
            Conn::Tls { io, .. } => Pin::new(io.as_mut()).poll_read(cx, buf),
        }
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_write(cx, buf),
            Conn::Tls { io, .. } => Pin::new(io.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_flush(cx),
            Conn::Tls { io, .. } => Pin::new(io.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_shutdown(cx),
            Conn::Tls { io, .. } => Pin::new(io.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_write_vectored(cx, bufs),
            Conn::Tls { io, .. } => Pin::new(io.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Plain { io, .. } => io.is_write_vectored(),
            Conn::Tls { io, .. } => io.is_write_vectored(),
        }
    }
}

/// `host` of a URI without IPv6 brackets, and its port (or the scheme's).
pub(crate) fn host_port(uri: &Uri) -> io::Result<(String, u16)> {
    let host = uri
        .host()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no host in URL"))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    });
    Ok((host, port))
}

fn join(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Go's words for a failed dial: `dial tcp 127.0.0.1:1: connect: connection refused`.
async fn dial(host: &str, port: u16) -> io::Result<TcpStream> {
    let addr = join(host, port);
    let addrs: Vec<std::net::SocketAddr> = match tokio::net::lookup_host((host, port)).await {
        Ok(a) => a.collect(),
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("dial tcp: lookup {host}: {}", go_errno(&e)),
            ))
        }
    };
    let mut last = None;
    for a in addrs {
        match TcpStream::connect(a).await {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some((a, e)),
        }
    }
    Err(match last {
        Some((a, e)) => {
            io::Error::new(e.kind(), format!("dial tcp {a}: connect: {}", go_errno(&e)))
        }
        None => io::Error::new(
            io::ErrorKind::NotFound,
            format!("dial tcp: lookup {addr}: no such host"),
        ),
    })
}

/// An OS error as Go's `syscall.Errno` prints it (`connection refused`), not Rust's
/// (`Connection refused (os error 111)`).
fn go_errno(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".into(),
        io::ErrorKind::ConnectionReset => "connection reset by peer".into(),
        io::ErrorKind::TimedOut => "i/o timeout".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => {
                    let mut t = s[..i].to_string();
                    if let Some(f) = t.get_mut(0..1) {
                        f.make_ascii_lowercase();
                    }
                    t
                }
                None => s,
            }
        }
    }
}

impl ConnectorInner {
    async fn connect(self: Arc<Self>, uri: Uri) -> io::Result<Conn> {
        let (host, port) = host_port(&uri)?;
        let https = uri.scheme_str() == Some("https");
        let proxy = self
            .proxy
            .proxy_for(if https { "https" } else { "http" }, &host, port)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?
            .cloned();
        let tcp = match &proxy {
            None => dial(&host, port).await?,
            Some(p) => dial(&p.host, p.port)
                .await
                .map_err(|e| io::Error::new(e.kind(), format!("proxyconnect tcp: {e}")))?,
        };
        if !https {
            return Ok(Conn::Plain {
                io: TokioIo::new(tcp),
                proxied: proxy.is_some(),
            });
        }
        let mut tcp = tcp;
        if let Some(p) = &proxy {
            self.tunnel(&mut tcp, p, &host, port).await?;
        }
        let name = match &self.server_name {
            Some(n) => n.clone(),
            None => ServerName::try_from(host.clone()).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("invalid server name {host:?}"),
                )
            })?,
        };
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await?;
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        Ok(Conn::Tls {
            io: Box::new(TokioIo::new(tls)),
            h2,
        })
    }

    /// `CONNECT host:port` with the proxy's credentials and `proxy_connect_header`; anything but 200 fails.
    async fn tunnel(
        &self,
        tcp: &mut TcpStream,
        p: &Proxy,
        host: &str,
        port: u16,
    ) -> io::Result<()> {
        let target = join(host, port);
        let mut req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
        let mut has_auth = false;
        let mut has_ua = false;
        for (n, v) in &self.connect_headers {
            has_auth |= n.eq_ignore_ascii_case("proxy-authorization");
            has_ua |= n.eq_ignore_ascii_case("user-agent");
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        if !has_ua && !self.user_agent.is_empty() {
            req.push_str(&format!("User-Agent: {}\r\n", self.user_agent));
        }
        if let (false, Some(a)) = (has_auth, &p.authorization) {
            req.push_str(&format!("Proxy-Authorization: {a}\r\n"));
        }
        req.push_str("\r\n");
        tcp.write_all(req.as_bytes()).await?;
        // The reply's head, byte by byte so nothing of the tunnel that follows is consumed.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() > 16 * 1024 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("proxy {:?} sent an oversized reply to CONNECT", p),
                ));
            }
            let b = tcp.read_u8().await.map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("proxy {p:?} closed the connection during CONNECT: {e}"),
                )
            })?;
            head.push(b);
        }
        let text = String::from_utf8_lossy(&head);
        let status_line = text.lines().next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let _version = parts.next();
        let code = parts.next().unwrap_or_default();
        if code != "200" {
            let status = status_line.split_once(' ').map_or(status_line, |(_, s)| s);
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("proxy {p:?} refused CONNECT {target}: {status}"),
            ));
        }
        Ok(())
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = Conn;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Conn>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        Box::pin(self.0.clone().connect(uri))
    }
}
