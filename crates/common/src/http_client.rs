//! The HTTP client blocks shared by components that talk HTTP (`prometheus.scrape`,
//! `prometheus.remote_write`): Alloy's `HTTPClientConfig` (`basic_auth`, `authorization`, `oauth2`,
//! `bearer_token(_file)`, `tls_config`, the proxy arguments, `follow_redirects`, `enable_http2`,
//! `http_headers`), decoded and checked as Alloy's `internal/component/common/config` checks them, and
//! turned into the settings of [`ingot_httpclient`].

use std::collections::BTreeMap;

use ingot_httpclient::{Credential, CredentialSource};
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
        if let Some(n) = t.server_name.as_deref().filter(|n| !n.is_empty()) {
            if rustls_name_ok(n).is_err() {
                return Err(d.error_at_attr(
                    "server_name",
                    format!("tls_config server_name {n:?} is not a valid DNS name or IP address"),
                ));
            }
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

fn rustls_name_ok(n: &str) -> Result<(), ()> {
    let settings = ingot_httpclient::TlsSettings {
        server_name: Some(n.to_string()),
        ..Default::default()
    };
    // Builds nothing: only checks the name.
    ingot_httpclient::tls::check_server_name(&settings).map_err(|_| ())
}

impl TlsConfig {
    pub fn settings(&self) -> ingot_httpclient::TlsSettings {
        let s = |o: &Option<String>| o.clone().filter(|v| !v.is_empty());
        ingot_httpclient::TlsSettings {
            ca_pem: s(&self.ca_pem),
            ca_file: s(&self.ca_file).map(Into::into),
            cert_pem: s(&self.cert_pem),
            cert_file: s(&self.cert_file).map(Into::into),
            key_pem: self
                .key_pem
                .as_ref()
                .filter(|k| !k.expose().is_empty())
                .map(|k| Credential(k.expose().to_string())),
            key_file: s(&self.key_file).map(Into::into),
            server_name: s(&self.server_name),
            insecure_skip_verify: self.insecure_skip_verify,
            min_version: s(&self.min_version),
        }
    }
}

/// `proxy_url`, `no_proxy`, `proxy_from_environment`, `proxy_connect_header` (squashed into the block that
/// has them), with Prometheus' checks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProxyConfig {
    pub proxy_url: Option<String>,
    pub no_proxy: Option<String>,
    pub proxy_from_environment: bool,
    pub proxy_connect_header: BTreeMap<String, Vec<Secret>>,
}

impl ProxyConfig {
    pub fn decode_squashed(d: &mut BodyDecoder<'_, '_>) -> Result<ProxyConfig, Failed> {
        let proxy_url: Option<String> =
            d.optional::<String>("proxy_url")?.filter(|s| !s.is_empty());
        let no_proxy: Option<String> = d.optional::<String>("no_proxy")?.filter(|s| !s.is_empty());
        let proxy_from_environment = d.optional_or("proxy_from_environment", false)?;
        let proxy_connect_header: BTreeMap<String, Vec<Secret>> =
            d.optional_or("proxy_connect_header", BTreeMap::new())?;
        if let Some(u) = &proxy_url {
            if let Err(e) = ingot_httpclient::proxy::parse_proxy(u) {
                return Err(d.error_at_attr("proxy_url", e));
            }
        }
        if !proxy_connect_header.is_empty() && !proxy_from_environment && proxy_url.is_none() {
            return Err(d.error("if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured"));
        }
        if proxy_from_environment && proxy_url.is_some() {
            return Err(d.error(
                "if proxy_from_environment is configured, proxy_url must not be configured",
            ));
        }
        if proxy_from_environment && no_proxy.is_some() {
            return Err(d.error(
                "if proxy_from_environment is configured, no_proxy must not be configured",
            ));
        }
        if proxy_url.is_none() && no_proxy.is_some() {
            return Err(d.error("if no_proxy is configured, proxy_url must also be configured"));
        }
        for name in proxy_connect_header.keys() {
            if http_header_name_invalid(name) {
                return Err(d.error_at_attr(
                    "proxy_connect_header",
                    format!("invalid header name {name:?}"),
                ));
            }
        }
        Ok(ProxyConfig {
            proxy_url,
            no_proxy,
            proxy_from_environment,
            proxy_connect_header,
        })
    }

    pub fn settings(&self) -> ingot_httpclient::ProxySettings {
        ingot_httpclient::ProxySettings {
            url: self.proxy_url.clone(),
            no_proxy: self.no_proxy.clone(),
            from_environment: self.proxy_from_environment,
            connect_headers: flatten(&self.proxy_connect_header),
        }
    }
}

fn http_header_name_invalid(name: &str) -> bool {
    name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn flatten(h: &BTreeMap<String, Vec<Secret>>) -> Vec<(String, Credential)> {
    h.iter()
        .flat_map(|(n, vs)| {
            vs.iter()
                .map(move |v| (n.clone(), Credential(v.expose().to_string())))
        })
        .collect()
}

/// The `oauth2` block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OAuth2Config {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub client_secret_file: Option<String>,
    pub scopes: Vec<String>,
    pub token_url: String,
    pub endpoint_params: BTreeMap<String, String>,
    pub proxy: ProxyConfig,
    pub tls: Option<TlsConfig>,
}

impl Decode for OAuth2Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let o = OAuth2Config {
            client_id: d.optional_or("client_id", String::new())?,
            client_secret: d
                .optional::<Secret>("client_secret")?
                .filter(|s| !s.expose().is_empty()),
            client_secret_file: d
                .optional::<String>("client_secret_file")?
                .filter(|s| !s.is_empty()),
            scopes: d.optional_or("scopes", Vec::new())?,
            token_url: d.optional_or("token_url", String::new())?,
            endpoint_params: d.optional_or("endpoint_params", BTreeMap::new())?,
            proxy: ProxyConfig::decode_squashed(d)?,
            tls: d.block("tls_config")?,
        };
        if o.client_id.is_empty() {
            return Err(d.error("oauth2 client_id must be configured"));
        }
        if o.client_secret.is_none() && o.client_secret_file.is_none() {
            return Err(
                d.error("either oauth2 client_secret or client_secret_file must be configured")
            );
        }
        if o.token_url.is_empty() {
            return Err(d.error("oauth2 token_url must be configured"));
        }
        if o.client_secret.is_some() && o.client_secret_file.is_some() {
            return Err(d.error(
                "at most one of oauth2 client_secret & client_secret_file must be configured",
            ));
        }
        match url::Url::parse(&o.token_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => {
                return Err(d.error_at_attr(
                    "token_url",
                    format!(
                        "oauth2 token_url {:?} is not an http or https URL",
                        o.token_url
                    ),
                ))
            }
        }
        Ok(o)
    }
}

/// Which credentials a client sends.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ClientAuth {
    #[default]
    None,
    Basic(BasicAuth),
    /// `authorization`, or `bearer_token`/`bearer_token_file` turned into it (as Alloy's `Validate` does).
    Authorization(Authorization),
    OAuth2(Box<OAuth2Config>),
}

/// Alloy's `HTTPClientConfig`, squashed into the component's or endpoint's body.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpClientConfig {
    pub auth: ClientAuth,
    pub tls: TlsConfig,
    pub proxy: ProxyConfig,
    pub follow_redirects: bool,
    pub enable_http2: bool,
    pub http_headers: BTreeMap<String, Vec<Secret>>,
}

impl Default for HttpClientConfig {
    /// Alloy's `DefaultHTTPClientConfig` (remote-write endpoints then turn `enable_http2` off).
    fn default() -> HttpClientConfig {
        HttpClientConfig {
            auth: ClientAuth::None,
            tls: TlsConfig::default(),
            proxy: ProxyConfig::default(),
            follow_redirects: true,
            enable_http2: true,
            http_headers: BTreeMap::new(),
        }
    }
}

/// Headers Prometheus' `config.Headers` refuses to let a config set (it manages them itself).
pub const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "host",
    "content-encoding",
    "content-length",
    "content-type",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "www-authenticate",
    "accept-encoding",
    "x-prometheus-remote-write-version",
    "x-prometheus-remote-read-version",
    "x-prometheus-scrape-timeout-seconds",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

impl HttpClientConfig {
    /// Decodes the squashed arguments and blocks; `enable_http2` defaults to `http2_default` (Alloy:
    /// `true` for scrapes, `false` for remote-write endpoints since Prometheus 3.4).
    pub fn decode_squashed(
        d: &mut BodyDecoder<'_, '_>,
        http2_default: bool,
    ) -> Result<HttpClientConfig, Failed> {
        let basic: Option<BasicAuth> = d.block("basic_auth")?;
        let authorization: Option<Authorization> = d.block("authorization")?;
        let oauth2: Option<OAuth2Config> = d.block("oauth2")?;
        let bearer_token: Option<Secret> = d
            .optional::<Secret>("bearer_token")?
            .filter(|t| !t.expose().is_empty());
        let bearer_token_file: Option<String> = d
            .optional::<String>("bearer_token_file")?
            .filter(|t| !t.is_empty());
        let count = [
            basic.is_some(),
            authorization.is_some(),
            oauth2.is_some(),
            bearer_token.is_some(),
            bearer_token_file.is_some(),
        ]
        .into_iter()
        .filter(|x| *x)
        .count();
        if count > 1 {
            return Err(d.error("at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured"));
        }
        let auth = if let Some(b) = basic {
            ClientAuth::Basic(b)
        } else if let Some(a) = authorization {
            ClientAuth::Authorization(a)
        } else if let Some(o) = oauth2 {
            ClientAuth::OAuth2(Box::new(o))
        } else if let Some(t) = bearer_token {
            ClientAuth::Authorization(Authorization {
                kind: "Bearer".into(),
                credentials: Some(t),
                credentials_file: None,
            })
        } else if let Some(f) = bearer_token_file {
            ClientAuth::Authorization(Authorization {
                kind: "Bearer".into(),
                credentials: None,
                credentials_file: Some(f),
            })
        } else {
            ClientAuth::None
        };
        let tls = d.block("tls_config")?.unwrap_or_default();
        let proxy = ProxyConfig::decode_squashed(d)?;
        let follow_redirects = d.optional_or("follow_redirects", true)?;
        let enable_http2 = d.optional_or("enable_http2", http2_default)?;
        let http_headers: BTreeMap<String, Vec<Secret>> =
            d.optional_or("http_headers", BTreeMap::new())?;
        for name in http_headers.keys() {
            let lower = name.to_ascii_lowercase();
            if RESERVED_HEADERS.contains(&lower.as_str()) {
                return Err(d.error_at_attr(
                    "http_headers",
                    format!(
                        "setting header {} is not allowed",
                        ingot_syntax::value::go_quote(name)
                    ),
                ));
            }
            if http_header_name_invalid(name) {
                return Err(
                    d.error_at_attr("http_headers", format!("invalid header name {name:?}"))
                );
            }
        }
        Ok(HttpClientConfig {
            auth,
            tls,
            proxy,
            follow_redirects,
            enable_http2,
            http_headers,
        })
    }

    /// The client settings; files named by `*_file` are read when the client is built (TLS) or at each
    /// request (credentials), never here.
    pub fn settings(&self, user_agent: &str) -> ingot_httpclient::Settings {
        let secret = |s: &Secret| CredentialSource::Inline(Credential(s.expose().to_string()));
        let source = |inline: &Option<Secret>, file: &Option<String>| match (inline, file) {
            (_, Some(f)) if !f.is_empty() => Some(CredentialSource::File(f.into())),
            (Some(p), _) if !p.expose().is_empty() => Some(secret(p)),
            _ => None,
        };
        let auth = match &self.auth {
            ClientAuth::None => ingot_httpclient::Auth::None,
            ClientAuth::Basic(b) => ingot_httpclient::Auth::Basic {
                username: b.username.clone(),
                password: source(&b.password, &b.password_file),
            },
            ClientAuth::Authorization(a) => ingot_httpclient::Auth::Authorization {
                kind: a.kind.clone(),
                credentials: source(&a.credentials, &a.credentials_file),
            },
            ClientAuth::OAuth2(o) => {
                ingot_httpclient::Auth::OAuth2(ingot_httpclient::OAuth2Settings {
                    client_id: o.client_id.clone(),
                    client_secret: source(&o.client_secret, &o.client_secret_file),
                    scopes: o.scopes.clone(),
                    token_url: o.token_url.clone(),
                    endpoint_params: o.endpoint_params.clone(),
                    client: Box::new(ingot_httpclient::Settings {
                        tls: o.tls.as_ref().map(TlsConfig::settings).unwrap_or_default(),
                        proxy: o.proxy.settings(),
                        // x/oauth2's token requests go over Go's default transport settings: HTTP/1.1
                        // unless the server offers more, redirects followed.
                        enable_http2: false,
                        follow_redirects: true,
                        user_agent: user_agent.to_string(),
                        auth: ingot_httpclient::Auth::None,
                        http_headers: Vec::new(),
                    }),
                })
            }
        };
        ingot_httpclient::Settings {
            tls: self.tls.settings(),
            proxy: self.proxy.settings(),
            enable_http2: self.enable_http2,
            follow_redirects: self.follow_redirects,
            user_agent: user_agent.to_string(),
            auth,
            http_headers: flatten(&self.http_headers),
        }
    }
}
