//! Alloy's arguments for `prometheus.remote_write` (`internal/component/prometheus/remotewrite/types.go`
//! and the shared HTTP client blocks), with Alloy's defaults and validation messages.

use std::collections::BTreeMap;
use std::time::Duration;

use ingot_prom::relabel::Rule;
use ingot_prom::remote_write::client::{ClientConfig, Credential, RESERVED_HEADERS};
use ingot_prom::remote_write::Protocol;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

pub use ingot_common::http_client::{
    Authorization, BasicAuth, ClientAuth, HttpClientConfig, TlsConfig,
};
use ingot_syntax::value::Secret;

use ingot_common::relabel::RuleBlock;

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub external_labels: BTreeMap<String, String>,
    pub endpoints: Vec<Endpoint>,
    pub wal: WalOptions,
    /// Settings accepted without effect, each naming itself and why (logged, and shown in health).
    pub warnings: Vec<String>,
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
    pub sigv4: Option<SigV4Block>,
    /// Settings of this endpoint accepted without effect (see [`Arguments::warnings`]).
    pub warnings: Vec<String>,
}

pub type HttpClient = HttpClientConfig;

/// The `sigv4` block. `role_arn` (and `external_id` with it) is refused: assuming a role needs AWS STS,
/// which ingot does not call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SigV4Block {
    pub region: String,
    pub access_key: String,
    pub secret_key: Option<Secret>,
    pub profile: String,
    pub service_name: String,
    pub use_fips_sts_endpoint: bool,
}

impl Decode for SigV4Block {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let b = SigV4Block {
            region: d.optional_or("region", String::new())?,
            access_key: d.optional_or("access_key", String::new())?,
            secret_key: d
                .optional::<Secret>("secret_key")?
                .filter(|s| !s.expose().is_empty()),
            profile: d.optional_or("profile", String::new())?,
            service_name: d.optional_or("service_name", String::new())?,
            use_fips_sts_endpoint: d.optional_or("use_fips_sts_endpoint", false)?,
        };
        let role_arn: String = d.optional_or("role_arn", String::new())?;
        let external_id: String = d.optional_or("external_id", String::new())?;
        if b.access_key.is_empty() != b.secret_key.is_none() {
            return Err(d.error("must provide an AWS SigV4 access key and secret key if credentials are specified in the SigV4 config"));
        }
        if !external_id.is_empty() && role_arn.is_empty() {
            return Err(
                d.error_at_attr("external_id", "external_id can only be used with role_arn")
            );
        }
        if !role_arn.is_empty() {
            return Err(d.error_at_attr(
                "role_arn",
                "sigv4 role_arn is not supported by ingot: assuming a role needs AWS STS, which ingot does not call; give the role's credentials with access_key and secret_key, the AWS_* environment variables or a profile instead",
            ));
        }
        Ok(b)
    }
}

impl SigV4Block {
    pub fn config(&self) -> ingot_httpclient::SigV4Config {
        ingot_httpclient::SigV4Config {
            region: self.region.clone(),
            access_key: self.access_key.clone(),
            secret_key: self
                .secret_key
                .as_ref()
                .map(|s| Credential(s.expose().to_string())),
            profile: self.profile.clone(),
            service_name: self.service_name.clone(),
        }
    }
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
    /// `max_shards` was written in the config (it then gets a warning: ingot does not reshard).
    pub max_shards_given: bool,
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
            max_shards_given: false,
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
    /// Arguments written in the config that ingot cannot honour (warned about by name).
    pub given_without_effect: Vec<&'static str>,
}

impl Default for WalOptions {
    fn default() -> WalOptions {
        WalOptions {
            truncate_frequency: Duration::from_secs(2 * 3600),
            min_keepalive_time: Duration::from_secs(5 * 60),
            max_keepalive_time: Duration::from_secs(8 * 3600),
            given_without_effect: Vec::new(),
        }
    }
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let external_labels = d.optional_or("external_labels", BTreeMap::new())?;
        let endpoints: Vec<Endpoint> = d.blocks("endpoint")?;
        let mut warnings: Vec<String> = Vec::new();
        let wal: WalOptions = d.block("wal")?.unwrap_or_default();
        for name in &wal.given_without_effect {
            if let Some((_, why)) = WAL_WITHOUT_EFFECT.iter().find(|(n, _)| n == name) {
                warnings.push(format!("wal.{name} has no effect: {why}"));
            }
        }
        for e in &endpoints {
            for w in &e.warnings {
                warnings.push(format!("endpoint {:?}: {w}", e.id()));
            }
        }
        Ok(Arguments {
            external_labels,
            endpoints,
            wal,
            warnings,
        })
    }
}

/// `wal` arguments ingot accepts, checks as Alloy does, and cannot honour.
const WAL_WITHOUT_EFFECT: &[(&str, &str)] = &[
    ("truncate_frequency", "ingot removes WAL segments as soon as every endpoint has delivered them (checked every few seconds), not on a truncation schedule"),
    ("min_keepalive_time", "ingot removes delivered WAL segments at once; it keeps no delivered data for a minimum time"),
];

impl Decode for WalOptions {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = WalOptions::default();
        let given_without_effect: Vec<&'static str> = WAL_WITHOUT_EFFECT
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| d.has(n))
            .collect();
        let w = WalOptions {
            given_without_effect,
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
        let max_shards_given = d.has("max_shards");
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
            max_shards_given: false,
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
        Ok(QueueOptions {
            max_shards_given,
            ..q
        })
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

/// Authentication blocks of Alloy's endpoint that ingot does not implement: refused by name, since sending
/// without the credentials they give would only fail at the receiver.
const UNSUPPORTED_ENDPOINT_BLOCKS: &[(&str, &str)] = &[
    (
        "azuread",
        "Azure AD tokens come from Azure's identity services, which ingot does not call",
    ),
    (
        "google_iam",
        "Google IAM tokens come from Google's OAuth libraries, which ingot does not have",
    ),
];

/// A block refused as a whole: its contents are not looked at.
struct Refused;

impl Decode for Refused {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        d.skip_rest();
        Ok(Refused)
    }
}

impl Decode for Endpoint {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let url: String = d.required("url")?;
        let name: String = d.optional_or("name", String::new())?;
        let protobuf_message: String =
            d.optional_or("protobuf_message", Protocol::V1_NAME.to_string())?;
        let headers: BTreeMap<String, String> = d.optional_or("headers", BTreeMap::new())?;
        for h in headers.keys() {
            if RESERVED_HEADERS.contains(&h.to_ascii_lowercase().as_str()) {
                return Err(d.error_at_attr(
                    "headers",
                    format!("{h} is a reserved header. It must not be changed"),
                ));
            }
        }
        // Alloy's endpoint default since Prometheus 3.4: HTTP/1.1 only unless asked.
        let http = HttpClientConfig::decode_squashed(d, false)?;
        let sigv4: Option<SigV4Block> = d.block("sigv4")?;
        let mut others = Vec::new();
        for (b, why) in UNSUPPORTED_ENDPOINT_BLOCKS {
            let given: Option<Refused> = d.block(b)?;
            if given.is_some() {
                others.push((*b, *why));
            }
        }
        let auth_methods = usize::from(sigv4.is_some())
            + others.len()
            + usize::from(http.auth != ClientAuth::None);
        if auth_methods > 1 {
            return Err(d.error(
                "at most one of sigv4, azuread, google_iam, basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
            ));
        }
        if let Some((b, why)) = others.first() {
            return Err(d.error(format!(
                "endpoint block {b:?} is not supported by ingot: {why}"
            )));
        }
        let write_relabel: Vec<Rule> = d
            .blocks::<RuleBlock>("write_relabel_config")?
            .into_iter()
            .map(|b| b.0)
            .collect();
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
        let round_robin_dns: bool = d.optional_or("round_robin_dns", false)?;
        let mut e = Endpoint {
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
            sigv4,
            warnings: Vec::new(),
        };
        if e.send_native_histograms {
            e.warnings.push("send_native_histograms has no effect: no native histograms reach ingot's remote_write (prometheus.scrape refuses scrape_native_histograms)".into());
        }
        if round_robin_dns {
            e.warnings.push("round_robin_dns has no effect: ingot connects to the endpoint's addresses in the resolver's order and keeps using the first that answers".into());
        }
        if e.queue.max_shards_given {
            e.warnings.push("queue_config.max_shards has no effect: ingot runs min_shards shards and does not reshard".into());
        }
        if e.sigv4.as_ref().is_some_and(|s| s.use_fips_sts_endpoint) {
            e.warnings.push("sigv4.use_fips_sts_endpoint has no effect: it concerns the STS endpoint used with role_arn, which ingot does not support".into());
        }
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
        c.http = self
            .http
            .settings(ingot_prom::remote_write::client::USER_AGENT);
        c.sigv4 = self.sigv4.as_ref().map(SigV4Block::config);
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
