//! Alloy's arguments for `prometheus.remote_write` (`internal/component/prometheus/remotewrite/types.go`
//! and the shared HTTP client blocks), with Alloy's defaults and validation messages.

use std::collections::BTreeMap;
use std::time::Duration;

use ingot_prom::relabel::Rule;
use ingot_prom::remote_write::client::{
    Auth, ClientConfig, Credential, CredentialSource, TlsSettings, RESERVED_HEADERS,
};
use ingot_prom::remote_write::Protocol;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

pub use ingot_common::http_client::{Authorization, BasicAuth, TlsConfig};
use ingot_syntax::value::Secret;

use ingot_common::relabel::RuleBlock;

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub external_labels: BTreeMap<String, String>,
    pub endpoints: Vec<Endpoint>,
    pub wal: WalOptions,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub name: String,
    pub url: String,
    pub remote_timeout: Duration,
    pub headers: BTreeMap<String, String>,
    pub send_exemplars: bool,
    pub send_native_histograms: bool,
    pub protobuf_message: Protocol,
    pub http: HttpClient,
    pub queue: QueueOptions,
    pub metadata: MetadataOptions,
    /// The `write_relabel_config` rules, applied in order to each series (external labels included)
    /// before it is sent to this endpoint.
    pub write_relabel: Vec<Rule>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpClient {
    pub basic_auth: Option<BasicAuth>,
    pub authorization: Option<Authorization>,
    pub bearer_token: Option<Secret>,
    pub bearer_token_file: Option<String>,
    pub tls: TlsConfig,
    pub follow_redirects: bool,
    pub enable_http2: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct QueueOptions {
    pub capacity: usize,
    pub max_shards: usize,
    pub min_shards: usize,
    pub max_samples_per_send: usize,
    pub batch_send_deadline: Duration,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    pub retry_on_http_429: bool,
    pub sample_age_limit: Duration,
}

impl Default for QueueOptions {
    fn default() -> QueueOptions {
        QueueOptions {
            capacity: 10000,
            max_shards: 50,
            min_shards: 1,
            max_samples_per_send: 2000,
            batch_send_deadline: Duration::from_secs(5),
            min_backoff: Duration::from_millis(30),
            max_backoff: Duration::from_secs(5),
            retry_on_http_429: true,
            sample_age_limit: Duration::ZERO,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MetadataOptions {
    pub send: bool,
    pub send_interval: Duration,
    pub max_samples_per_send: usize,
}

impl Default for MetadataOptions {
    fn default() -> MetadataOptions {
        MetadataOptions {
            send: true,
            send_interval: Duration::from_secs(60),
            max_samples_per_send: 2000,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct WalOptions {
    pub truncate_frequency: Duration,
    pub min_keepalive_time: Duration,
    pub max_keepalive_time: Duration,
}

impl Default for WalOptions {
    fn default() -> WalOptions {
        WalOptions {
            truncate_frequency: Duration::from_secs(2 * 3600),
            min_keepalive_time: Duration::from_secs(5 * 60),
            max_keepalive_time: Duration::from_secs(8 * 3600),
        }
    }
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Arguments {
            external_labels: d.optional_or("external_labels", BTreeMap::new())?,
            endpoints: d.blocks("endpoint")?,
            wal: d.block("wal")?.unwrap_or_default(),
        })
    }
}

impl Decode for WalOptions {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = WalOptions::default();
        let w = WalOptions {
            truncate_frequency: d.optional_or("truncate_frequency", def.truncate_frequency)?,
            min_keepalive_time: d.optional_or("min_keepalive_time", def.min_keepalive_time)?,
            max_keepalive_time: d.optional_or("max_keepalive_time", def.max_keepalive_time)?,
        };
        if w.truncate_frequency.is_zero() {
            return Err(d.error_at_attr("truncate_frequency", "truncate_frequency must not be 0"));
        }
        if w.max_keepalive_time <= w.min_keepalive_time {
            return Err(d.error("min_keepalive_time must be smaller than max_keepalive_time"));
        }
        Ok(w)
    }
}

impl Decode for QueueOptions {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = QueueOptions::default();
        let q = QueueOptions {
            capacity: d.optional_or("capacity", def.capacity)?,
            max_shards: d.optional_or("max_shards", def.max_shards)?,
            min_shards: d.optional_or("min_shards", def.min_shards)?,
            max_samples_per_send: d
                .optional_or("max_samples_per_send", def.max_samples_per_send)?,
            batch_send_deadline: d.optional_or("batch_send_deadline", def.batch_send_deadline)?,
            min_backoff: d.optional_or("min_backoff", def.min_backoff)?,
            max_backoff: d.optional_or("max_backoff", def.max_backoff)?,
            retry_on_http_429: d.optional_or("retry_on_http_429", def.retry_on_http_429)?,
            sample_age_limit: d.optional_or("sample_age_limit", def.sample_age_limit)?,
        };
        // Prometheus' own checks (config.go): a zero here would stall the queue.
        if q.max_samples_per_send == 0 {
            return Err(d.error_at_attr(
                "max_samples_per_send",
                "max_samples_per_send must be greater than 0",
            ));
        }
        if q.capacity == 0 {
            return Err(d.error_at_attr("capacity", "capacity must be greater than 0"));
        }
        if q.min_shards == 0 || q.max_shards < q.min_shards {
            return Err(d.error("min_shards must be at least 1 and at most max_shards"));
        }
        Ok(q)
    }
}

impl Decode for MetadataOptions {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = MetadataOptions::default();
        Ok(MetadataOptions {
            send: d.optional_or("send", def.send)?,
            send_interval: d.optional_or("send_interval", def.send_interval)?,
            max_samples_per_send: d
                .optional_or("max_samples_per_send", def.max_samples_per_send)?,
        })
    }
}

/// Blocks of Alloy's endpoint that ingot does not implement: refused with a clear message rather than
/// silently ignored.
const UNSUPPORTED_ENDPOINT_BLOCKS: &[&str] = &["oauth2", "sigv4", "azuread", "google_iam"];
const UNSUPPORTED_ENDPOINT_ATTRS: &[&str] = &[
    "proxy_url",
    "no_proxy",
    "proxy_from_environment",
    "proxy_connect_header",
    "http_headers",
];

impl Decode for Endpoint {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let url: String = d.required("url")?;
        let name: String = d.optional_or("name", String::new())?;
        let protobuf_message: String =
            d.optional_or("protobuf_message", Protocol::V1_NAME.to_string())?;
        let Some(protocol) = Protocol::from_message_name(&protobuf_message) else {
            return Err(d.error_at_attr(
                "protobuf_message",
                format!(
                    "invalid protobuf_message {protobuf_message:?} for endpoint {name:?}: must be {:?} or {:?}",
                    Protocol::V1_NAME,
                    Protocol::V2_NAME
                ),
            ));
        };
        let headers: BTreeMap<String, String> = d.optional_or("headers", BTreeMap::new())?;
        for h in headers.keys() {
            if RESERVED_HEADERS.contains(&h.to_ascii_lowercase().as_str()) {
                return Err(d.error_at_attr(
                    "headers",
                    format!("{h} is a reserved header. It must not be changed"),
                ));
            }
        }
        let http = HttpClient {
            basic_auth: d.block("basic_auth")?,
            authorization: d.block("authorization")?,
            bearer_token: d.optional("bearer_token")?,
            bearer_token_file: d.optional("bearer_token_file")?,
            tls: d.block("tls_config")?.unwrap_or_default(),
            follow_redirects: d.optional_or("follow_redirects", true)?,
            enable_http2: d.optional_or("enable_http2", false)?,
        };
        let auth_count = [
            http.basic_auth.is_some(),
            http.authorization.is_some(),
            http.bearer_token
                .as_ref()
                .is_some_and(|t| !t.expose().is_empty()),
            http.bearer_token_file
                .as_deref()
                .is_some_and(|f| !f.is_empty()),
        ]
        .into_iter()
        .filter(|&b| b)
        .count();
        if auth_count > 1 {
            return Err(d.error(
                "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured",
            ));
        }
        let write_relabel: Vec<Rule> = d
            .blocks::<RuleBlock>("write_relabel_config")?
            .into_iter()
            .map(|b| b.0)
            .collect();
        for b in UNSUPPORTED_ENDPOINT_BLOCKS {
            let given: Option<BTreeMap<String, ingot_syntax::value::Value>> = d.block(b)?;
            if given.is_some() {
                return Err(d.error(format!(
                    "endpoint block {b:?} is not supported by ingot yet"
                )));
            }
        }
        for a in UNSUPPORTED_ENDPOINT_ATTRS {
            if d.has(a) {
                return Err(d.error_at_attr(
                    a,
                    format!("endpoint attribute {a:?} is not supported by ingot yet"),
                ));
            }
        }
        let e = Endpoint {
            name,
            url,
            remote_timeout: d.optional_or("remote_timeout", Duration::from_secs(30))?,
            headers,
            send_exemplars: d.optional_or("send_exemplars", true)?,
            send_native_histograms: d.optional_or("send_native_histograms", false)?,
            protobuf_message: protocol,
            http,
            queue: d.block("queue_config")?.unwrap_or_default(),
            metadata: d.block("metadata_config")?.unwrap_or_default(),
            write_relabel,
        };
        let _: bool = d.optional_or("round_robin_dns", false)?;
        // The URL is checked here, without IO, so that `ingot validate` reports it.
        if let Err(err) = e.client_config() {
            return Err(d.error_at_attr("url", err));
        }
        Ok(e)
    }
}

impl Endpoint {
    /// The HTTP client settings (files named by `*_file` are read when the client is built or per request).
    pub fn client_config(&self) -> Result<ClientConfig, String> {
        let parsed = url_scheme(&self.url)
            .ok_or_else(|| format!("cannot parse remote_write url {:?}", self.url))?;
        if parsed != "http" && parsed != "https" {
            return Err(format!(
                "unsupported scheme {parsed:?} for URL {:?}",
                self.url
            ));
        }
        let mut c = ClientConfig::new(self.url.clone());
        c.timeout = self.remote_timeout;
        c.headers = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        c.follow_redirects = self.http.follow_redirects;
        let secret = |s: &Secret| CredentialSource::Inline(Credential(s.expose().to_string()));
        c.auth = if let Some(b) = &self.http.basic_auth {
            Auth::Basic {
                username: b.username.clone(),
                password: match (&b.password, &b.password_file) {
                    (_, Some(f)) if !f.is_empty() => Some(CredentialSource::File(f.into())),
                    (Some(p), _) => Some(secret(p)),
                    _ => None,
                },
            }
        } else if let Some(a) = &self.http.authorization {
            Auth::Authorization {
                kind: a.kind.clone(),
                credentials: match (&a.credentials, &a.credentials_file) {
                    (_, Some(f)) if !f.is_empty() => Some(CredentialSource::File(f.into())),
                    (Some(p), _) => Some(secret(p)),
                    _ => None,
                },
            }
        } else if let Some(t) = self
            .http
            .bearer_token
            .as_ref()
            .filter(|t| !t.expose().is_empty())
        {
            Auth::Authorization {
                kind: "Bearer".into(),
                credentials: Some(secret(t)),
            }
        } else if let Some(f) = self
            .http
            .bearer_token_file
            .as_ref()
            .filter(|f| !f.is_empty())
        {
            Auth::Authorization {
                kind: "Bearer".into(),
                credentials: Some(CredentialSource::File(f.into())),
            }
        } else {
            Auth::None
        };
        let t = &self.http.tls;
        c.tls = TlsSettings {
            ca_pem: t.ca_pem.clone().filter(|s| !s.is_empty()),
            ca_file: t.ca_file.clone().filter(|s| !s.is_empty()).map(Into::into),
            cert_pem: t.cert_pem.clone().filter(|s| !s.is_empty()),
            cert_file: t
                .cert_file
                .clone()
                .filter(|s| !s.is_empty())
                .map(Into::into),
            key_pem: t
                .key_pem
                .as_ref()
                .filter(|k| !k.expose().is_empty())
                .map(|k| Credential(k.expose().to_string())),
            key_file: t.key_file.clone().filter(|s| !s.is_empty()).map(Into::into),
            insecure_skip_verify: t.insecure_skip_verify,
            min_version: t.min_version.clone(),
        };
        Ok(c)
    }

    /// What names this endpoint in metrics, logs and its position file: `name`, or a hash of the URL as
    /// Prometheus does when no name is given.
    pub fn id(&self) -> String {
        if !self.name.is_empty() {
            return self.name.clone();
        }
        format!(
            "{:012x}",
            xxhash_rust::xxh64::xxh64(self.url.as_bytes(), 0) >> 16
        )
    }
}

fn url_scheme(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    (!scheme.is_empty()
        && !rest.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+'))
    .then_some(scheme)
}
