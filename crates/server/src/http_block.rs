//! The `http` config block: TLS and basic authentication for the HTTP server, decoded and checked as Alloy
//! checks them.
//!
//! Certificates, keys and client CAs are read and parsed while the block is decoded, so that a missing or
//! broken file is a diagnostic at its attribute and a reload that would break TLS is rejected before
//! anything changes. Certificate and key files are also watched at every handshake (Alloy reads them at
//! every handshake), so a certificate renewed on disk is served without a reload.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use ingot_runtime::config_block::ConfigBlock;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Secret;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{
    ring as provider, CryptoProvider, SupportedKxGroup, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{
    DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme,
    SupportedCipherSuite, SupportedProtocolVersion,
};

/// The `http` block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpConfig {
    pub tls: Option<TlsConfig>,
    pub auth: Option<AuthConfig>,
}

impl ConfigBlock for HttpConfig {
    const NAME: &'static str = "http";
}

impl Decode for HttpConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let auth = d.block("auth")?;
        let tls = d.block("tls")?;
        Ok(HttpConfig { tls, auth })
    }
}

/// `auth { basic { … } filter { … } }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthConfig {
    pub basic: Option<BasicAuth>,
    pub filter: AuthFilter,
}

/// `auth > basic`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasicAuth {
    pub username: String,
    pub password: Secret,
}

/// `auth > filter`: which paths (by prefix of the decoded path) authentication applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthFilter {
    pub paths: Vec<String>,
    pub authenticate_matching_paths: bool,
}

impl AuthFilter {
    /// What Alloy does without a `filter` block: its filter is then the zero value (no paths, and
    /// `authenticate_matching_paths` false), which authenticates every path. The `true` default applies only
    /// to a `filter` block that is present.
    fn absent() -> AuthFilter {
        AuthFilter {
            paths: Vec::new(),
            authenticate_matching_paths: false,
        }
    }
}

impl AuthConfig {
    /// The credentials a request to `path` must present, if any.
    pub fn required_for(&self, path: &str) -> Option<&BasicAuth> {
        let basic = self.basic.as_ref()?;
        let matches = self
            .filter
            .paths
            .iter()
            .any(|p| path.starts_with(p.as_str()));
        (matches == self.filter.authenticate_matching_paths).then_some(basic)
    }
}

impl Decode for AuthConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let basic = d.block("basic")?;
        let filter = d.block("filter")?.unwrap_or_else(AuthFilter::absent);
        Ok(AuthConfig { basic, filter })
    }
}

impl Decode for BasicAuth {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(BasicAuth {
            username: d.required("username")?,
            password: d.required("password")?,
        })
    }
}

impl Decode for AuthFilter {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(AuthFilter {
            paths: d.optional_or("paths", Vec::new())?,
            authenticate_matching_paths: d.optional_or("authenticate_matching_paths", true)?,
        })
    }
}

/// Alloy's `client_auth_type` values (Go's `tls.ClientAuthType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuthType {
    NoClientCert,
    RequestClientCert,
    RequireAnyClientCert,
    VerifyClientCertIfGiven,
    RequireAndVerifyClientCert,
}

impl ClientAuthType {
    fn parse(name: &str) -> Option<ClientAuthType> {
        Some(match name {
            "NoClientCert" => ClientAuthType::NoClientCert,
            "RequestClientCert" => ClientAuthType::RequestClientCert,
            "RequireAnyClientCert" => ClientAuthType::RequireAnyClientCert,
            "VerifyClientCertIfGiven" => ClientAuthType::VerifyClientCertIfGiven,
            "RequireAndVerifyClientCert" => ClientAuthType::RequireAndVerifyClientCert,
            _ => return None,
        })
    }

    fn verifies(self) -> bool {
        matches!(
            self,
            ClientAuthType::VerifyClientCertIfGiven | ClientAuthType::RequireAndVerifyClientCert
        )
    }
}

/// Alloy's TLS version names, ordered oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum TlsVersion {
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl TlsVersion {
    fn parse(name: &str) -> Option<TlsVersion> {
        Some(match name {
            "TLS10" => TlsVersion::Tls10,
            "TLS11" => TlsVersion::Tls11,
            "TLS12" => TlsVersion::Tls12,
            "TLS13" => TlsVersion::Tls13,
            _ => return None,
        })
    }
}

/// The `tls` block, ready to serve: new connections take [`TlsConfig::server_config`].
#[derive(Clone)]
pub struct TlsConfig {
    server_config: Arc<ServerConfig>,
    client_auth: ClientAuthType,
    cert: CertSource,
}

impl TlsConfig {
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.server_config.clone()
    }

    pub fn client_auth(&self) -> ClientAuthType {
        self.client_auth
    }
}

/// Every decode reads the files again and builds a new configuration, so two decodes are never equal: a
/// reload always hands new connections the freshly read certificates.
impl PartialEq for TlsConfig {
    fn eq(&self, other: &TlsConfig) -> bool {
        Arc::ptr_eq(&self.server_config, &other.server_config)
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("cert", &self.cert)
            .field("client_auth", &self.client_auth)
            .finish_non_exhaustive()
    }
}

/// Where a PEM document comes from. The key's inline PEM is a [`Secret`], so Debug never shows it.
#[derive(Clone, Debug)]
enum Pem {
    Inline(Secret),
    File(PathBuf),
}

impl Pem {
    fn read(&self) -> Result<Vec<u8>, String> {
        match self {
            Pem::Inline(s) => Ok(s.expose().as_bytes().to_vec()),
            Pem::File(path) => {
                std::fs::read(path).map_err(|e| format!("failed to read {}: {e}", path.display()))
            }
        }
    }

    fn stamp(&self) -> Option<FileStamp> {
        match self {
            Pem::Inline(_) => None,
            Pem::File(path) => std::fs::metadata(path)
                .ok()
                .map(|m| (m.modified().ok(), m.len())),
        }
    }
}

type FileStamp = (Option<SystemTime>, u64);

/// The certificate's and the key's file stamps (`None` for inline PEM).
type Stamps = (Option<FileStamp>, Option<FileStamp>);

#[derive(Clone, Debug)]
struct CertSource {
    cert: Pem,
    key: Pem,
}

impl CertSource {
    fn stamps(&self) -> Stamps {
        (self.cert.stamp(), self.key.stamp())
    }
}

/// Why loading the certificate or key failed, and which of the two to blame.
enum LoadError {
    Cert(String),
    Key(String),
}

fn load_certified_key(
    source: &CertSource,
    crypto: &CryptoProvider,
) -> Result<CertifiedKey, LoadError> {
    let cert_pem = source.cert.read().map_err(LoadError::Cert)?;
    let chain = parse_certs(&cert_pem).map_err(LoadError::Cert)?;
    let key_pem = source.key.read().map_err(LoadError::Key)?;
    let key =
        PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| LoadError::Key(key_pem_error(&e)))?;
    CertifiedKey::from_der(chain, key, crypto).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => {
            LoadError::Key("the private key does not match the certificate's public key".into())
        }
        // Never the key's bytes: rustls reports only the kind of failure.
        other => LoadError::Key(format!("unusable private key: {other}")),
    })
}

fn parse_certs(pem_bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem_bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("invalid PEM: {e}"))?;
    if certs.is_empty() {
        return Err("no PEM-encoded certificate found".into());
    }
    Ok(certs)
}

/// The parser's own messages can quote lines of the input; for a key they are replaced by ones that cannot.
fn key_pem_error(e: &pem::Error) -> String {
    match e {
        pem::Error::NoItemsFound => {
            "no PEM-encoded private key (PKCS#1, PKCS#8 or SEC1) found".into()
        }
        pem::Error::MissingSectionEnd { .. } => "invalid PEM: a section has no END line".into(),
        pem::Error::Base64Decode(_) => "invalid PEM: a section is not valid base64".into(),
        _ => "invalid PEM".into(),
    }
}

/// Serves the certificate and key, reloading them when their files change on disk. A change that does not
/// load (a certificate renewed before its key, a half-written file) keeps the previous pair and is logged
/// once per change.
struct CertResolver {
    source: CertSource,
    crypto: Arc<CryptoProvider>,
    current: RwLock<(Arc<CertifiedKey>, Stamps)>,
}

impl fmt::Debug for CertResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertResolver")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let (key, stamps) = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let now = self.source.stamps();
        if now == stamps || (now.0.is_none() && now.1.is_none()) {
            return Some(key);
        }
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if current.1 == now {
            return Some(current.0.clone());
        }
        current.1 = now;
        match load_certified_key(&self.source, &self.crypto) {
            Ok(loaded) => {
                tracing::info!("loaded the renewed TLS certificate for the HTTP server");
                current.0 = Arc::new(loaded);
            }
            Err(LoadError::Cert(msg) | LoadError::Key(msg)) => {
                tracing::warn!("the TLS certificate or key changed on disk but cannot be used, serving the previous one: {msg}");
            }
        }
        Some(current.0.clone())
    }
}

/// `RequestClientCert` and `RequireAnyClientCert`: a client certificate is asked for but not validated, as
/// in Go; the handshake signature is still checked, so the client holds the certificate's key.
#[derive(Debug)]
struct UnverifiedClientCert {
    mandatory: bool,
    hints: Vec<DistinguishedName>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for UnverifiedClientCert {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Go's cipher suite names, mapped to rustls' suites. Names Go knows but rustls does not implement (CBC
/// and static-RSA suites) map to `None`.
fn cipher_suite(name: &str) -> Option<Option<SupportedCipherSuite>> {
    use provider::cipher_suite as cs;
    Some(match name {
        "TLS_AES_128_GCM_SHA256" => Some(cs::TLS13_AES_128_GCM_SHA256),
        "TLS_AES_256_GCM_SHA384" => Some(cs::TLS13_AES_256_GCM_SHA384),
        "TLS_CHACHA20_POLY1305_SHA256" => Some(cs::TLS13_CHACHA20_POLY1305_SHA256),
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" => {
            Some(cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
        }
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" => {
            Some(cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)
        }
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
        | "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305" => {
            Some(cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256)
        }
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" => Some(cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" => Some(cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" | "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305" => {
            Some(cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256)
        }
        "TLS_RSA_WITH_AES_128_CBC_SHA"
        | "TLS_RSA_WITH_AES_256_CBC_SHA"
        | "TLS_RSA_WITH_AES_128_GCM_SHA256"
        | "TLS_RSA_WITH_AES_256_GCM_SHA384"
        | "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"
        | "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"
        | "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"
        | "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" => None,
        _ => return None,
    })
}

/// Go's curve names; `CurveP521` is known but not implemented by rustls' ring provider.
fn curve(name: &str) -> Option<Option<&'static dyn SupportedKxGroup>> {
    use provider::kx_group;
    Some(match name {
        "X25519" => Some(kx_group::X25519),
        "CurveP256" => Some(kx_group::SECP256R1),
        "CurveP384" => Some(kx_group::SECP384R1),
        "CurveP521" => None,
        _ => return None,
    })
}

/// `windows_certificate_filter` reads the Windows certificate store, which ingot (Linux only) cannot.
struct WindowsCertificateFilter;

impl Decode for WindowsCertificateFilter {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Err(d.error("the windows_certificate_filter block is only available on Windows"))
    }
}

impl Decode for TlsConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let cert_pem: String = d.optional_or("cert_pem", String::new())?;
        let cert_file: String = d.optional_or("cert_file", String::new())?;
        let key_pem: Secret = d.optional_or("key_pem", Secret::default())?;
        let key_file: String = d.optional_or("key_file", String::new())?;
        let client_ca_pem: String = d.optional_or("client_ca_pem", String::new())?;
        let client_ca_file: String = d.optional_or("client_ca_file", String::new())?;
        let client_auth_name: Option<String> = d.optional("client_auth_type")?;
        let cipher_names: Vec<String> = d.optional_or("cipher_suites", Vec::new())?;
        let curve_names: Vec<String> = d.optional_or("curve_preferences", Vec::new())?;
        let min_name: Option<String> = d.optional("min_version")?;
        let max_name: Option<String> = d.optional("max_version")?;
        if d.block::<WindowsCertificateFilter>("windows_certificate_filter")?
            .is_some()
        {
            return Err(Failed);
        }

        // Alloy's checks, in Alloy's order and words.
        if !client_ca_pem.is_empty() && !client_ca_file.is_empty() {
            return Err(d.error_at_attr(
                "client_ca_file",
                "cannot specify both client_ca_pem and client_ca_file",
            ));
        }
        if !cert_pem.is_empty() && !cert_file.is_empty() {
            return Err(d.error_at_attr("cert_file", "cannot specify both cert_pem and cert_file"));
        }
        if !key_pem.expose().is_empty() && !key_file.is_empty() {
            return Err(d.error_at_attr("key_file", "cannot specify both key_pem and key_file"));
        }
        if cert_pem.is_empty() && cert_file.is_empty() {
            return Err(d.error("must specify either cert_pem or cert_file"));
        }
        if key_pem.expose().is_empty() && key_file.is_empty() {
            return Err(d.error("must specify either key_pem or key_file"));
        }
        let client_auth = match &client_auth_name {
            None => ClientAuthType::NoClientCert,
            Some(name) => match ClientAuthType::parse(name) {
                Some(t) => t,
                None => {
                    return Err(d.error_at_attr(
                        "client_auth_type",
                        format!("unknown client auth type {name:?}"),
                    ))
                }
            },
        };
        let using_client_ca = !client_ca_pem.is_empty() || !client_ca_file.is_empty();
        if using_client_ca && client_auth == ClientAuthType::NoClientCert {
            let attr = if client_ca_pem.is_empty() {
                "client_ca_file"
            } else {
                "client_ca_pem"
            };
            return Err(d.error_at_attr(
                attr,
                "cannot specify client_ca_pem or client_ca_file when client_auth_type is NoClientCert",
            ));
        }
        if client_auth.verifies() && !using_client_ca {
            // Go falls back to the system's CA pool here; ingot does not trust it for client certificates.
            return Err(d.error_at_attr(
                "client_auth_type",
                format!(
                    "client_auth_type {client_auth:?} needs client_ca_pem or client_ca_file to verify client certificates against"
                ),
            ));
        }

        let versions = tls_versions(d, min_name.as_deref(), max_name.as_deref())?;
        let crypto = Arc::new(crypto_provider(d, &cipher_names, &curve_names)?);

        let cert_attr = if cert_pem.is_empty() {
            "cert_file"
        } else {
            "cert_pem"
        };
        let key_attr = if key_pem.expose().is_empty() {
            "key_file"
        } else {
            "key_pem"
        };
        let source = CertSource {
            cert: if cert_pem.is_empty() {
                Pem::File(cert_file.into())
            } else {
                Pem::Inline(Secret::new(cert_pem))
            },
            key: if key_pem.expose().is_empty() {
                Pem::File(key_file.into())
            } else {
                Pem::Inline(key_pem)
            },
        };
        let stamps = source.stamps();
        let certified = match load_certified_key(&source, &crypto) {
            Ok(k) => k,
            Err(LoadError::Cert(msg)) => return Err(d.error_at_attr(cert_attr, msg)),
            Err(LoadError::Key(msg)) => return Err(d.error_at_attr(key_attr, msg)),
        };

        let verifier: Option<Arc<dyn ClientCertVerifier>> =
            if client_auth == ClientAuthType::NoClientCert {
                None
            } else {
                let ca_attr = if client_ca_pem.is_empty() {
                    "client_ca_file"
                } else {
                    "client_ca_pem"
                };
                let ca_source = if !client_ca_pem.is_empty() {
                    Some(Pem::Inline(Secret::new(client_ca_pem)))
                } else if !client_ca_file.is_empty() {
                    Some(Pem::File(client_ca_file.into()))
                } else {
                    None
                };
                let mut roots = RootCertStore::empty();
                if let Some(ca) = ca_source {
                    let certs = ca.read().and_then(|b| parse_certs(&b));
                    let certs = match certs {
                        Ok(c) => c,
                        Err(msg) => return Err(d.error_at_attr(ca_attr, msg)),
                    };
                    for cert in certs {
                        if let Err(e) = roots.add(cert) {
                            return Err(
                                d.error_at_attr(ca_attr, format!("invalid CA certificate: {e}"))
                            );
                        }
                    }
                }
                Some(match client_auth {
                    ClientAuthType::RequestClientCert | ClientAuthType::RequireAnyClientCert => {
                        Arc::new(UnverifiedClientCert {
                            mandatory: client_auth == ClientAuthType::RequireAnyClientCert,
                            hints: roots.subjects(),
                            algorithms: crypto.signature_verification_algorithms,
                        })
                    }
                    _ => {
                        let builder = WebPkiClientVerifier::builder_with_provider(
                            Arc::new(roots),
                            crypto.clone(),
                        );
                        let builder = if client_auth == ClientAuthType::VerifyClientCertIfGiven {
                            builder.allow_unauthenticated()
                        } else {
                            builder
                        };
                        match builder.build() {
                            Ok(v) => v,
                            Err(e) => {
                                return Err(d.error_at_attr(
                                    ca_attr,
                                    format!("cannot verify client certificates: {e}"),
                                ))
                            }
                        }
                    }
                })
            };

        let builder = match ServerConfig::builder_with_provider(crypto.clone())
            .with_protocol_versions(&versions)
        {
            Ok(b) => b,
            Err(e) => return Err(d.error(format!("invalid TLS settings: {e}"))),
        };
        let builder = match verifier {
            Some(v) => builder.with_client_cert_verifier(v),
            None => builder.with_no_client_auth(),
        };
        let resolver = CertResolver {
            source: source.clone(),
            crypto,
            current: RwLock::new((Arc::new(certified), stamps)),
        };
        let mut config = builder.with_cert_resolver(Arc::new(resolver));
        // The server speaks HTTP/1.1 only; announcing it lets ALPN-using clients settle on it.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsConfig {
            server_config: Arc::new(config),
            client_auth,
            cert: source,
        })
    }
}

fn tls_versions(
    d: &mut BodyDecoder<'_, '_>,
    min_name: Option<&str>,
    max_name: Option<&str>,
) -> Result<Vec<&'static SupportedProtocolVersion>, Failed> {
    let mut parse = |attr: &str, name: Option<&str>, default: TlsVersion| match name {
        None => Ok(default),
        Some(n) => TlsVersion::parse(n)
            .ok_or_else(|| d.error_at_attr(attr, format!("unknown TLS version {n:?}"))),
    };
    // Go's server defaults: TLS 1.2 to TLS 1.3.
    let min = parse("min_version", min_name, TlsVersion::Tls12)?;
    let max = parse("max_version", max_name, TlsVersion::Tls13)?;
    if max < TlsVersion::Tls12 {
        return Err(d.error_at_attr(
            "max_version",
            "ingot supports TLS12 and TLS13 only; max_version must be TLS12 or TLS13",
        ));
    }
    if min > max {
        return Err(d.error_at_attr(
            "min_version",
            format!(
                "min_version {} is newer than max_version {}",
                min_name.unwrap_or("TLS12"),
                max_name.unwrap_or("TLS13")
            ),
        ));
    }
    // TLS10 and TLS11 as a minimum allow TLS12 and TLS13 as well, which is all ingot speaks.
    let mut out: Vec<&'static SupportedProtocolVersion> = Vec::new();
    if max >= TlsVersion::Tls13 {
        out.push(&rustls::version::TLS13);
    }
    if min <= TlsVersion::Tls12 {
        out.push(&rustls::version::TLS12);
    }
    Ok(out)
}

fn crypto_provider(
    d: &mut BodyDecoder<'_, '_>,
    cipher_names: &[String],
    curve_names: &[String],
) -> Result<CryptoProvider, Failed> {
    let mut crypto = provider::default_provider();
    if !cipher_names.is_empty() {
        let mut tls12 = Vec::new();
        for name in cipher_names {
            match cipher_suite(name) {
                None => return Err(d.error_at_attr("cipher_suites", format!("unknown cipher {name:?}"))),
                Some(None) => tracing::warn!(
                    "cipher suite {name} is not implemented by ingot (CBC and static-RSA suites are not); it is left out"
                ),
                Some(Some(suite)) if suite.version() == &rustls::version::TLS12 => {
                    if !tls12.contains(&suite) {
                        tls12.push(suite);
                    }
                }
                // As in Go, the list configures TLS 1.2; TLS 1.3 always offers all of its suites.
                Some(Some(_)) => {}
            }
        }
        if tls12.is_empty() {
            // Go does the same with a list of TLS 1.3 names only; with a max_version of TLS12 the
            // configuration has no suite at all and is rejected below.
            tracing::warn!("cipher_suites leaves no TLS 1.2 suite that ingot implements: only TLS 1.3 clients can connect");
        }
        let mut suites: Vec<SupportedCipherSuite> = crypto
            .cipher_suites
            .iter()
            .copied()
            .filter(|s| s.version() == &rustls::version::TLS13)
            .collect();
        suites.extend(tls12);
        crypto.cipher_suites = suites;
    }
    if !curve_names.is_empty() {
        let mut groups: Vec<&'static dyn SupportedKxGroup> = Vec::new();
        for name in curve_names {
            match curve(name) {
                None => {
                    return Err(
                        d.error_at_attr("curve_preferences", format!("unknown curve {name:?}"))
                    )
                }
                Some(None) => {
                    tracing::warn!("curve {name} is not implemented by ingot; it is left out")
                }
                Some(Some(g)) => {
                    if !groups.iter().any(|x| x.name() == g.name()) {
                        groups.push(g);
                    }
                }
            }
        }
        if groups.is_empty() {
            return Err(d.error_at_attr(
                "curve_preferences",
                "none of the listed curves is implemented by ingot; list X25519, CurveP256 or CurveP384",
            ));
        }
        crypto.kx_groups = groups;
    }
    Ok(crypto)
}
