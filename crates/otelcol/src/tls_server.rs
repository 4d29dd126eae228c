//! TLS for the receivers' HTTP listener: a rustls server configuration from a `tls` block, and a
//! listener that hands `ingot_http::serve` connections after their handshake (each handshake in its own
//! task, bounded in time, so that a slow client never holds up the others).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::config::tls::TlsServer;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_PENDING_HANDSHAKES: usize = 1024;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls configuration of a server `tls` block (files read now).
pub fn server_config(t: &TlsServer, alpn: &[&[u8]]) -> Result<Arc<rustls::ServerConfig>, String> {
    let (cert, key) = t
        .setting
        .identity()?
        .ok_or("a server's tls block needs a certificate and key")?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("failed to load TLS config: reading the certificate: {e}"))?;
    let key = PrivateKeyDer::from_pem_slice(&key)
        .map_err(|e| format!("failed to load TLS config: reading the key: {e}"))?;
    let versions: &[&rustls::SupportedProtocolVersion] = match t.setting.min_version.as_str() {
        "1.3" => &[&rustls::version::TLS13],
        _ => &[&rustls::version::TLS12, &rustls::version::TLS13],
    };
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(|e| e.to_string())?;
    let builder = if t.client_ca_file.is_empty() {
        builder.with_no_client_auth()
    } else {
        let pem = std::fs::read(&t.client_ca_file).map_err(|e| {
            format!(
                "failed to load TLS config: reading client_ca_file {}: {e}",
                t.client_ca_file
            )
        })?;
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(&pem) {
            let c = c.map_err(|e| format!("reading client_ca_file: {e}"))?;
            roots
                .add(c)
                .map_err(|e| format!("reading client_ca_file: {e}"))?;
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider(),
        )
        .build()
        .map_err(|e| format!("client_ca_file: {e}"))?;
        builder.with_client_cert_verifier(verifier)
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("failed to load TLS config: {e}"))?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

pub fn acceptor(t: &TlsServer) -> Result<TlsAcceptor, String> {
    Ok(TlsAcceptor::from(server_config(t, &[b"http/1.1"])?))
}

pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> TlsListener {
        TlsListener {
            tcp,
            acceptor,
            handshakes: JoinSet::new(),
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, SocketAddr) {
        loop {
            tokio::select! {
                r = self.tcp.accept() => match r {
                    Ok((stream, addr)) => {
                        if self.handshakes.len() >= MAX_PENDING_HANDSHAKES {
                            continue;
                        }
                        let acceptor = self.acceptor.clone();
                        self.handshakes.spawn(async move {
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                                Ok(Ok(s)) => Some((s, addr)),
                                _ => None,
                            }
                        });
                    }
                    Err(e) => {
                        if !matches!(e.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset) {
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                },
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    if let Ok(Some(conn)) = done {
                        return conn;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}
