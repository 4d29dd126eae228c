//! The HTTP client blocks shared by components that talk HTTP (`prometheus.scrape`,
//! `prometheus.remote_write`): `basic_auth`, `authorization` and `tls_config`, decoded and checked as Alloy's
//! `internal/component/common/config` checks them.

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Secret;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BasicAuth {
    pub username: String,
    pub password: Option<Secret>,
    pub password_file: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Authorization {
    pub kind: String,
    pub credentials: Option<Secret>,
    pub credentials_file: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TlsConfig {
    pub ca_pem: Option<String>,
    pub ca_file: Option<String>,
    pub cert_pem: Option<String>,
    pub cert_file: Option<String>,
    pub key_pem: Option<Secret>,
    pub key_file: Option<String>,
    pub server_name: Option<String>,
    pub insecure_skip_verify: bool,
    pub min_version: Option<String>,
}

impl Decode for BasicAuth {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let b = BasicAuth {
            username: d.optional_or("username", String::new())?,
            password: d.optional("password")?,
            password_file: d.optional("password_file")?,
        };
        if b.password.as_ref().is_some_and(|p| !p.expose().is_empty()) && b.password_file.is_some()
        {
            return Err(
                d.error("at most one of basic_auth password & password_file must be configured")
            );
        }
        Ok(b)
    }
}

impl Decode for Authorization {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut a = Authorization {
            kind: d.optional_or("type", String::new())?,
            credentials: d.optional("credentials")?,
            credentials_file: d.optional("credentials_file")?,
        };
        if a.credentials
            .as_ref()
            .is_some_and(|c| !c.expose().is_empty())
            && a.credentials_file.is_some()
        {
            return Err(d.error(
                "at most one of authorization credentials & credentials_file must be configured",
            ));
        }
        a.kind = a.kind.trim().to_string();
        if a.kind.is_empty() {
            a.kind = "Bearer".into();
        }
        if a.kind.eq_ignore_ascii_case("basic") {
            return Err(d.error_at_attr(
                "type",
                "authorization type cannot be set to \"basic\", use \"basic_auth\" block instead",
            ));
        }
        Ok(a)
    }
}

impl Decode for TlsConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let t = TlsConfig {
            ca_pem: d.optional("ca_pem")?,
            ca_file: d.optional("ca_file")?,
            cert_pem: d.optional("cert_pem")?,
            cert_file: d.optional("cert_file")?,
            key_pem: d.optional("key_pem")?,
            key_file: d.optional("key_file")?,
            server_name: d.optional("server_name")?,
            insecure_skip_verify: d.optional_or("insecure_skip_verify", false)?,
            min_version: d.optional("min_version")?,
        };
        let set = |o: &Option<String>| o.as_deref().is_some_and(|s| !s.is_empty());
        let key_set = t.key_pem.as_ref().is_some_and(|k| !k.expose().is_empty());
        if set(&t.ca_pem) && set(&t.ca_file) {
            return Err(d.error("at most one of ca_pem and ca_file must be configured"));
        }
        if set(&t.cert_pem) && set(&t.cert_file) {
            return Err(d.error("at most one of cert_pem and cert_file must be configured"));
        }
        if key_set && set(&t.key_file) {
            return Err(d.error("at most one of key_pem and key_file must be configured"));
        }
        let cert = set(&t.cert_pem) || set(&t.cert_file);
        let key = key_set || set(&t.key_file);
        if cert && !key {
            return Err(d.error(
                "exactly one of key_pem or key_file must be configured when a client certificate is configured",
            ));
        }
        if key && !cert {
            return Err(d.error(
                "exactly one of cert_pem or cert_file must be configured when a client key is configured",
            ));
        }
        if set(&t.server_name) {
            // rustls takes the server name from the URL; overriding it is not wired yet, and ignoring it would
            // verify against another name than the user asked for.
            return Err(d.error_at_attr(
                "server_name",
                "tls_config server_name is not supported by ingot yet",
            ));
        }
        // rustls speaks TLS 1.2 and 1.3 only, so a minimum of 1.0 or 1.1 is met by what it offers.
        if let Some(v) = t.min_version.as_deref() {
            if !matches!(v, "" | "TLS10" | "TLS11" | "TLS12" | "TLS13") {
                return Err(d.error_at_attr("min_version", format!("unknown TLS version: {v}")));
            }
        }
        Ok(t)
    }
}
