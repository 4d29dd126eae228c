//! The rustls client configuration of a `tls_config` block, as Prometheus' `NewTLSConfig` builds Go's:
//! the given CA replaces the system roots, a client certificate and key, `insecure_skip_verify`,
//! `min_version`, and ALPN `h2` when HTTP/2 is enabled. `server_name` is applied per connection.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::Credential;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    pub ca_pem: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub cert_pem: Option<String>,
    pub cert_file: Option<PathBuf>,
    pub key_pem: Option<Credential>,
    pub key_file: Option<PathBuf>,
    /// The name sent in SNI and verified in the server's certificate instead of the URL's host.
    pub server_name: Option<String>,
    pub insecure_skip_verify: bool,
    /// `TLS10`, `TLS11`, `TLS12` or `TLS13`; rustls speaks 1.2 and 1.3 only, which meets 1.0 and 1.1.
    pub min_version: Option<String>,
}

impl TlsSettings {
    /// The name to present and verify, checked once.
    pub(crate) fn server_name(&self) -> Result<Option<ServerName<'static>>, String> {
        match self.server_name.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(n) => ServerName::try_from(n.to_string()).map(Some).map_err(|_| {
                format!("tls_config server_name {n:?} is not a valid DNS name or IP address")
            }),
        }
    }
}

/// Checks `server_name` without building anything (for configuration-time errors).
pub fn check_server_name(t: &TlsSettings) -> Result<(), String> {
    t.server_name().map(|_| ())
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub(crate) fn client_config(t: &TlsSettings, http2: bool) -> Result<Arc<ClientConfig>, String> {
    let read = |what: &str, path: &PathBuf| {
        std::fs::read(path).map_err(|e| format!("unable to read {what} {}: {e}", path.display()))
    };
    let ca = match (&t.ca_pem, &t.ca_file) {
        (Some(p), _) => Some(p.as_bytes().to_vec()),
        (None, Some(f)) => Some(read("CA cert", f)?),
        _ => None,
    };
    let mut roots = RootCertStore::empty();
    if let Some(pem) = ca {
        // As Go's tls.Config with RootCAs set: the given CA replaces the system's roots.
        let mut n = 0;
        for c in CertificateDer::pem_slice_iter(&pem) {
            let c = c.map_err(|e| format!("unable to use specified CA cert: {e}"))?;
            roots
                .add(c)
                .map_err(|e| format!("unable to use specified CA cert: {e}"))?;
            n += 1;
        }
        if n == 0 {
            return Err("unable to use specified CA cert: no certificates found".into());
        }
    } else {
        // The system's roots, as Go finds them (SSL_CERT_FILE and SSL_CERT_DIR honoured).
        let found = rustls_native_certs::load_native_certs();
        for c in found.certs {
            let _ = roots.add(c);
        }
    }
    let versions: &[&rustls::SupportedProtocolVersion] = match t.min_version.as_deref() {
        Some("TLS13") => &[&rustls::version::TLS13],
        None | Some("" | "TLS10" | "TLS11" | "TLS12") => {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        }
        Some(other) => return Err(format!("unknown TLS version: {other}")),
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(|e| format!("TLS setup: {e}"))?;
    let builder = if t.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider())))
    } else {
        builder.with_root_certificates(roots)
    };
    let cert = match (&t.cert_pem, &t.cert_file) {
        (Some(p), _) => Some(p.as_bytes().to_vec()),
        (None, Some(f)) => Some(read("client cert file", f)?),
        _ => None,
    };
    let key = match (&t.key_pem, &t.key_file) {
        (Some(p), _) => Some(p.0.as_bytes().to_vec()),
        (None, Some(f)) => Some(read("client key file", f)?),
        _ => None,
    };
    let mut config = match (cert, key) {
        (Some(cert), Some(key)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("unable to use specified client cert: {e}"))?;
            // A parse failure's message could quote key material: keep it generic.
            let key = PrivateKeyDer::from_pem_slice(&key).map_err(|_| {
                "unable to use specified client key: no valid private key in PEM".to_string()
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("unable to use specified client cert and key: {e}"))?
        }
        _ => builder.with_no_client_auth(),
    };
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        Vec::new()
    };
    Ok(Arc::new(config))
}

/// `insecure_skip_verify`: any certificate and name are accepted; handshake signatures are still checked.
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
