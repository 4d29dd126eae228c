//! The HTTP client of `prometheus.scrape` and `prometheus.remote_write`, built from the shared HTTP client
//! blocks with the semantics of Prometheus' `common/config` (what Alloy runs):
//!
//! - proxies as Go's transport picks them ([`proxy`]), `proxy_connect_header` on CONNECT only, the proxy
//!   URL's user info as `Proxy-Authorization`;
//! - TLS with rustls: the given CA or the system's roots, client certificates, `server_name` as the SNI
//!   name and the name verified, HTTP/2 offered by ALPN when enabled (plain HTTP stays HTTP/1.1, as in Go);
//! - credentials added per request: Basic, `Authorization`, OAuth 2.0 client credentials ([`oauth2`]),
//!   AWS SigV4 ([`sigv4`]); `http_headers` appended; redirects followed up to 10 times when asked.
//!
//! Secrets are held in [`Credential`], whose `Debug` prints nothing of them.

pub mod connect;
pub mod oauth2;
pub mod proxy;
pub mod sigv4;
pub mod tls;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use url::Url;

pub use http::{HeaderMap, Method, Version};
pub use oauth2::OAuth2Settings;
pub use proxy::ProxySelector;
pub use sigv4::{SigV4, SigV4Config};
pub use tls::TlsSettings;

/// A secret that never shows in Debug output or messages.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Credential(pub String);

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(secret)")
    }
}

/// Where a credential comes from: given inline, or read from a file at each request (so that rotated
/// secrets are picked up, as Prometheus does), white space trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    Inline(Credential),
    File(PathBuf),
}

impl CredentialSource {
    pub fn read(&self) -> Result<String, String> {
        match self {
            CredentialSource::Inline(c) => Ok(c.0.clone()),
            CredentialSource::File(p) => std::fs::read_to_string(p)
                .map(|s| s.trim().to_string())
                .map_err(|e| format!("unable to read file {}: {e}", p.display())),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Auth {
    #[default]
    None,
    Basic {
        username: String,
        password: Option<CredentialSource>,
    },
    /// `Authorization: <type> <credentials>` (bearer tokens are this with type `Bearer`).
    Authorization {
        kind: String,
        credentials: Option<CredentialSource>,
    },
    OAuth2(OAuth2Settings),
    SigV4(SigV4),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxySettings {
    pub url: Option<String>,
    pub no_proxy: Option<String>,
    pub from_environment: bool,
    /// Sent to the proxy on CONNECT (https targets) only, as Go's `ProxyConnectHeader`.
    pub connect_headers: Vec<(String, Credential)>,
}

impl ProxySettings {
    pub fn selector(&self) -> Result<ProxySelector, String> {
        if self.from_environment {
            return Ok(ProxySelector::from_environment(|k| std::env::var(k).ok()));
        }
        match self.url.as_deref().filter(|u| !u.is_empty()) {
            Some(u) => ProxySelector::from_url(u, self.no_proxy.as_deref()),
            None => Ok(ProxySelector::Direct),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub tls: TlsSettings,
    pub proxy: ProxySettings,
    pub enable_http2: bool,
    pub follow_redirects: bool,
    pub user_agent: String,
    pub auth: Auth,
    /// `http_headers`: appended to every request (after SigV4 signing, so not signed, as in Prometheus).
    pub http_headers: Vec<(String, Credential)>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            tls: TlsSettings::default(),
            proxy: ProxySettings::default(),
            enable_http2: true,
            follow_redirects: true,
            user_agent: String::new(),
            auth: Auth::None,
            http_headers: Vec::new(),
        }
    }
}

/// Why a request failed. `Display` is the cause as Go would word it; `source()` leads to the
/// underlying error (a rustls certificate error sits inside the `io::Error` there).
#[derive(Debug)]
pub struct Error {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    pub(crate) fn auth(message: String) -> Error {
        Error {
            message,
            source: None,
        }
    }

    fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            source: None,
        }
    }

    fn transport(e: hyper_util::client::legacy::Error) -> Error {
        // The innermost cause says what happened ("dial tcp ...: connect: connection refused").
        let mut cause: &(dyn std::error::Error + 'static) = &e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        let message = cause.to_string();
        Error {
            message,
            source: Some(Box::new(e)),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// `200 OK`, as Go's `Response.Status`.
pub fn status_text(code: u16) -> String {
    match http::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{code} {reason}"),
        None => format!("{code} status code {code}"),
    }
}

pub struct Response {
    pub status: u16,
    pub version: Version,
    pub headers: HeaderMap,
    body: Incoming,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The next piece of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        loop {
            match self.body.frame().await {
                None => return Ok(None),
                Some(Err(e)) => {
                    return Err(Error {
                        message: e.to_string(),
                        source: Some(Box::new(e)),
                    })
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        return Ok(Some(data));
                    }
                }
            }
        }
    }

    /// Up to `limit` bytes of the body.
    pub async fn bytes(mut self, limit: usize) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        while out.len() < limit {
            match self.chunk().await? {
                Some(c) => out.extend_from_slice(&c),
                None => break,
            }
        }
        out.truncate(limit);
        Ok(out)
    }
}

struct Inner {
    hyper: HyperClient<connect::Connector, Full<Bytes>>,
    settings: Settings,
    proxy: ProxySelector,
    oauth2: Option<oauth2::TokenSource>,
}

/// One configured client; cloning shares its connections.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("settings", &self.inner.settings)
            .finish()
    }
}

const MAX_REDIRECTS: usize = 10;

impl Client {
    pub fn new(settings: Settings) -> Result<Client, String> {
        let proxy = settings.proxy.selector()?;
        let tls = tls::client_config(&settings.tls, settings.enable_http2)?;
        let server_name = settings.tls.server_name()?;
        let connector = connect::Connector(Arc::new(connect::ConnectorInner {
            proxy: proxy.clone(),
            tls,
            server_name,
            connect_headers: settings
                .proxy
                .connect_headers
                .iter()
                .map(|(n, v)| (n.clone(), v.0.clone()))
                .collect(),
            user_agent: settings.user_agent.clone(),
        }));
        let hyper = HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(connector);
        let oauth2 = match &settings.auth {
            Auth::OAuth2(o) => Some(oauth2::TokenSource::new(o.clone())?),
            _ => None,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                hyper,
                settings,
                proxy,
                oauth2,
            }),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Sends a request, following redirects when configured (as Go's client: 301, 302 and 303 turn a
    /// POST into a GET without body; 307 and 308 send it again as it was). No timeout of its own: the
    /// caller bounds the whole exchange.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: Vec<(String, String)>,
        body: Bytes,
    ) -> Result<Response, Error> {
        let mut url = Url::parse(url).map_err(|e| Error::new(format!("parse {url:?}: {e}")))?;
        let mut method = method;
        let mut body = body;
        let mut headers = headers;
        for hop in 0..=MAX_REDIRECTS {
            let resp = self
                .send_once(&method, &url, &headers, body.clone())
                .await?;
            if !self.inner.settings.follow_redirects
                || !matches!(resp.status, 301 | 302 | 303 | 307 | 308)
            {
                return Ok(resp);
            }
            let Some(location) = resp.header("location").map(str::to_string) else {
                return Ok(resp);
            };
            if hop == MAX_REDIRECTS {
                return Err(Error::new(format!(
                    "stopped after {MAX_REDIRECTS} redirects"
                )));
            }
            url = url.join(&location).map_err(|e| {
                Error::new(format!("failed to parse Location header {location:?}: {e}"))
            })?;
            if matches!(resp.status, 301..=303) && method != Method::GET && method != Method::HEAD {
                method = Method::GET;
                body = Bytes::new();
                headers.retain(|(n, _)| {
                    !n.eq_ignore_ascii_case("content-type")
                        && !n.eq_ignore_ascii_case("content-length")
                        && !n.eq_ignore_ascii_case("content-encoding")
                });
            }
        }
        Err(Error::new(format!(
            "stopped after {MAX_REDIRECTS} redirects"
        )))
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        headers: &[(String, String)],
        body: Bytes,
    ) -> Result<Response, Error> {
        let s = &self.inner.settings;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::new(format!(
                "unsupported protocol scheme {:?}",
                url.scheme()
            )));
        }
        let mut url = url.clone();
        let mut headers: Vec<(String, String)> = headers.to_vec();
        let has = |h: &[(String, String)], name: &str| {
            h.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        if !has(&headers, "user-agent") && !s.user_agent.is_empty() {
            headers.push(("User-Agent".into(), s.user_agent.clone()));
        }
        if let Auth::SigV4(sig) = &s.auth {
            url = sig.sign(
                method.as_str(),
                &url,
                &mut headers,
                &body,
                SystemTime::now(),
            );
        }
        for (n, v) in &s.http_headers {
            headers.push((n.clone(), v.0.clone()));
        }
        if !has(&headers, "authorization") {
            match &s.auth {
                Auth::None | Auth::SigV4(_) => {}
                Auth::Basic { username, password } => {
                    let password = match password {
                        Some(p) => p.read().map_err(|e| {
                            Error::auth(format!("unable to read basic auth password: {e}"))
                        })?,
                        None => String::new(),
                    };
                    let token = ingot_gocompat::base64::Encoding::Std
                        .encode_to_string(format!("{username}:{password}").as_bytes());
                    headers.push(("Authorization".into(), format!("Basic {token}")));
                }
                Auth::Authorization { kind, credentials } => {
                    let c = match credentials {
                        Some(c) => c.read().map_err(|e| {
                            Error::auth(format!("unable to read authorization credentials: {e}"))
                        })?,
                        None => String::new(),
                    };
                    headers.push(("Authorization".into(), format!("{kind} {c}")));
                }
                Auth::OAuth2(_) => {
                    if let Some(ts) = &self.inner.oauth2 {
                        let a = ts.authorization(&s.user_agent).await?;
                        headers.push(("Authorization".into(), a));
                    }
                }
            }
        }
        let host = url
            .host_str()
            .unwrap_or_default()
            .trim_matches(|c| c == '[' || c == ']');
        if url.scheme() == "http" {
            if let Ok(Some(p)) =
                self.inner
                    .proxy
                    .proxy_for("http", host, url.port_or_known_default().unwrap_or(80))
            {
                if let Some(a) = &p.authorization {
                    headers.push(("Proxy-Authorization".into(), a.clone()));
                }
            }
        }
        let mut req = http::Request::builder()
            .method(method.clone())
            .uri(url.as_str());
        for (n, v) in &headers {
            let name = http::HeaderName::from_bytes(n.as_bytes())
                .map_err(|_| Error::new(format!("invalid header name {n:?}")))?;
            // The value may be a secret: name the header only.
            let value = http::HeaderValue::from_str(v)
                .map_err(|_| Error::new(format!("invalid value for header {n:?}")))?;
            req = req.header(name, value);
        }
        let req = req
            .body(Full::new(body))
            .map_err(|e| Error::new(format!("invalid request: {e}")))?;
        let resp = self
            .inner
            .hyper
            .request(req)
            .await
            .map_err(Error::transport)?;
        let (parts, body) = resp.into_parts();
        Ok(Response {
            status: parts.status.as_u16(),
            version: parts.version,
            headers: parts.headers,
            body,
        })
    }
}
