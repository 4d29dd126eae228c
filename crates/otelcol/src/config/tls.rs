//! The `tls` blocks (Alloy's `config_tls.go`): what a server presents and asks of clients, what a client
//! trusts and presents. Certificates and keys named by file are read when the server or client is built.
//! What rustls (or tonic's use of it) cannot honour is refused: a TLS setting ignored would be a security
//! setting silently ignored.

use std::path::PathBuf;
use std::time::Duration;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Secret;

use super::Warnings;

/// The settings both sides share (Alloy's `TLSSetting`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TlsSetting {
    pub ca_pem: String,
    pub ca_file: String,
    pub cert_pem: String,
    pub cert_file: String,
    pub key_pem: Option<Secret>,
    pub key_file: String,
    pub min_version: String,
    pub max_version: String,
    pub include_system_ca_certs_pool: bool,
}

impl TlsSetting {
    fn decode_squashed(
        d: &mut BodyDecoder<'_, '_>,
        warnings: &mut Warnings,
    ) -> Result<TlsSetting, Failed> {
        let t = TlsSetting {
            ca_pem: d.optional_or("ca_pem", String::new())?,
            ca_file: d.optional_or("ca_file", String::new())?,
            cert_pem: d.optional_or("cert_pem", String::new())?,
            cert_file: d.optional_or("cert_file", String::new())?,
            key_pem: d
                .optional::<Secret>("key_pem")?
                .filter(|k| !k.expose().is_empty()),
            key_file: d.optional_or("key_file", String::new())?,
            min_version: d.optional_or("min_version", String::new())?,
            max_version: d.optional_or("max_version", String::new())?,
            include_system_ca_certs_pool: d.optional_or("include_system_ca_certs_pool", false)?,
        };
        if let Some(r) = d.optional::<Duration>("reload_interval")? {
            if !r.is_zero() {
                warnings.push("tls.reload_interval has no effect: ingot reads the certificate files when the component is built or updated (reload the configuration to pick up new files)".into());
            }
        }
        let suites: Vec<String> = d.optional_or("cipher_suites", Vec::new())?;
        if !suites.is_empty() {
            return Err(d.error_at_attr("cipher_suites", "tls.cipher_suites is not supported by ingot: it uses rustls' safe defaults (TLS 1.2 ECDHE suites with AES-GCM or ChaCha20-Poly1305, and TLS 1.3); remove the attribute"));
        }
        let curves: Vec<String> = d.optional_or("curve_preferences", Vec::new())?;
        if !curves.is_empty() {
            return Err(d.error_at_attr("curve_preferences", "tls.curve_preferences is not supported by ingot: it uses rustls' defaults (X25519, P-256, P-384); remove the attribute"));
        }
        let tpm: Option<Tpm> = d.block("tpm")?;
        if tpm.is_some_and(|t| t.enabled) {
            return Err(
                d.error("tls.tpm is not supported by ingot: keys must be PEM files or values")
            );
        }
        for (name, v) in [
            ("min_version", &t.min_version),
            ("max_version", &t.max_version),
        ] {
            if !["", "1.0", "1.1", "1.2", "1.3"].contains(&v.as_str()) {
                return Err(d.error_at_attr(
                    name,
                    format!("invalid TLS {name} {v:?}: expected 1.0, 1.1, 1.2 or 1.3"),
                ));
            }
            if ["1.0", "1.1"].contains(&v.as_str()) {
                return Err(d.error_at_attr(name, format!("TLS {v} is not supported by ingot (rustls speaks TLS 1.2 and 1.3): use 1.2 or 1.3")));
            }
        }
        if t.max_version == "1.2" {
            return Err(d.error_at_attr("max_version", "tls.max_version = \"1.2\" is not supported by ingot: it always offers TLS 1.3 beside 1.2; remove the attribute"));
        }
        if !t.ca_pem.is_empty() && !t.ca_file.is_empty() {
            return Err(d.error("at most one of ca_pem and ca_file must be configured"));
        }
        if !t.cert_pem.is_empty() && !t.cert_file.is_empty() {
            return Err(d.error("at most one of cert_pem and cert_file must be configured"));
        }
        if t.key_pem.is_some() && !t.key_file.is_empty() {
            return Err(d.error("at most one of key_pem and key_file must be configured"));
        }
        let cert = !t.cert_pem.is_empty() || !t.cert_file.is_empty();
        let key = t.key_pem.is_some() || !t.key_file.is_empty();
        if cert != key {
            return Err(d.error(if cert {
                "provide both certificate and key, or neither: the key is missing"
            } else {
                "provide both certificate and key, or neither: the certificate is missing"
            }));
        }
        Ok(t)
    }

    pub fn has_cert(&self) -> bool {
        !self.cert_pem.is_empty() || !self.cert_file.is_empty()
    }

    fn read(pem: &str, file: &str, what: &str) -> Result<Option<Vec<u8>>, String> {
        if !pem.is_empty() {
            return Ok(Some(pem.as_bytes().to_vec()));
        }
        if file.is_empty() {
            return Ok(None);
        }
        std::fs::read(file)
            .map(Some)
            .map_err(|e| format!("failed to load TLS config: failed to load {what} {file}: {e}"))
    }

    /// The CA certificates (PEM), if any.
    pub fn ca(&self) -> Result<Option<Vec<u8>>, String> {
        Self::read(&self.ca_pem, &self.ca_file, "CA")
    }

    /// The certificate and key (PEM), if any.
    pub fn identity(&self) -> Result<Option<Identity>, String> {
        let cert = Self::read(&self.cert_pem, &self.cert_file, "TLS cert")?;
        let key = match &self.key_pem {
            Some(k) => Some(k.expose().as_bytes().to_vec()),
            None => Self::read("", &self.key_file, "TLS key")?,
        };
        Ok(cert.zip(key))
    }
}

struct Tpm {
    enabled: bool,
}

impl Decode for Tpm {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let enabled = d.optional_or("enabled", false)?;
        let _: Option<String> = d.optional("path")?;
        let _: Option<Secret> = d.optional("owner_auth")?;
        let _: Option<Secret> = d.optional("auth")?;
        Ok(Tpm { enabled })
    }
}

/// A certificate chain and its key, PEM.
pub type Identity = (Vec<u8>, Vec<u8>);

/// A server's `tls` block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TlsServer {
    pub setting: TlsSetting,
    /// Clients must present a certificate signed by these CAs.
    pub client_ca_file: String,
    pub warnings: Warnings,
}

impl Decode for TlsServer {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let setting = TlsSetting::decode_squashed(d, &mut warnings)?;
        let client_ca_file = d.optional_or("client_ca_file", String::new())?;
        if !setting.has_cert() {
            return Err(d.error("a server's tls block needs a certificate and key (cert_file and key_file, or cert_pem and key_pem)"));
        }
        Ok(TlsServer {
            setting,
            client_ca_file,
            warnings,
        })
    }
}

/// A client's `tls` block. Absent, it is Alloy's default: TLS on, verified against the system's roots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TlsClient {
    pub setting: TlsSetting,
    /// Plain text (gRPC): no TLS at all.
    pub insecure: bool,
    pub insecure_skip_verify: bool,
    pub server_name: String,
    pub warnings: Warnings,
}

impl Decode for TlsClient {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let setting = TlsSetting::decode_squashed(d, &mut warnings)?;
        Ok(TlsClient {
            setting,
            insecure: d.optional_or("insecure", false)?,
            insecure_skip_verify: d.optional_or("insecure_skip_verify", false)?,
            server_name: d.optional_or("server_name", String::new())?,
            warnings,
        })
    }
}

impl TlsClient {
    /// The settings of ingot's HTTP client.
    pub fn http_settings(&self) -> Result<ingot_httpclient::TlsSettings, String> {
        let s = &self.setting;
        let nonempty = |v: &str| (!v.is_empty()).then(|| v.to_string());
        Ok(ingot_httpclient::TlsSettings {
            ca_pem: nonempty(&s.ca_pem),
            ca_file: nonempty(&s.ca_file).map(PathBuf::from),
            cert_pem: nonempty(&s.cert_pem),
            cert_file: nonempty(&s.cert_file).map(PathBuf::from),
            key_pem: s
                .key_pem
                .as_ref()
                .map(|k| ingot_httpclient::Credential(k.expose().to_string())),
            key_file: nonempty(&s.key_file).map(PathBuf::from),
            server_name: nonempty(&self.server_name),
            insecure_skip_verify: self.insecure_skip_verify,
            min_version: nonempty(&s.min_version).map(|v| format!("TLS{}", v.replace('.', ""))),
        })
    }
}
