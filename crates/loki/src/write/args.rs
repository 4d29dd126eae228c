//! Alloy's arguments for `loki.write` (`internal/component/loki/write/types.go` and `write.go`, with the
//! shared HTTP client settings squashed into each `endpoint`), with Alloy's defaults and messages.

use std::collections::BTreeMap;
use std::time::Duration;

use ingot_common::http_client::HttpClientConfig;
use ingot_common::units::parse_base2_bytes;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::eval::Stability;
use sha2::Digest;

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub endpoints: Vec<Endpoint>,
    pub external_labels: BTreeMap<String, String>,
    /// Streams one batch may hold; 0 is no limit.
    pub max_streams: usize,
    pub wal: WalArguments,
    /// Settings accepted without effect, each naming itself and why (logged, and shown in health).
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub name: String,
    pub url: String,
    pub batch_wait: Duration,
    pub batch_size: u64,
    pub remote_timeout: Duration,
    pub headers: BTreeMap<String, String>,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    pub max_backoff_retries: i64,
    pub tenant_id: String,
    pub retry_on_http_429: bool,
    pub http: HttpClientConfig,
    pub queue: QueueConfig,
}

/// The `queue_config` block (experimental in Alloy: changing it needs `--stability.level=experimental`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueConfig {
    /// Bytes of entries each shard holds in memory on their way to the endpoint.
    pub capacity: u64,
    pub min_shards: usize,
    /// How long a stopping endpoint keeps sending what it holds.
    pub drain_timeout: Duration,
    pub block_on_overflow: bool,
}

impl Default for QueueConfig {
    /// Alloy's `defaultQueueConfig` (its docs say 1m for `drain_timeout`; the code says 15s).
    fn default() -> QueueConfig {
        QueueConfig {
            capacity: 10 << 20,
            min_shards: 1,
            drain_timeout: Duration::from_secs(15),
            block_on_overflow: true,
        }
    }
}

/// The `wal` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalArguments {
    pub enabled: bool,
    /// `enabled` was written (only `enabled = false` written out gets a warning).
    pub enabled_given: bool,
    /// Undelivered segments older than this are removed (as Alloy's WAL does), and their entries counted
    /// as dropped.
    pub max_segment_age: Duration,
    pub min_read_frequency: Duration,
    /// How often an endpoint looks at the WAL when no append woke it.
    pub max_read_frequency: Duration,
    pub drain_timeout: Duration,
}

impl Default for WalArguments {
    fn default() -> WalArguments {
        WalArguments {
            enabled: false,
            enabled_given: false,
            max_segment_age: Duration::from_secs(3600),
            min_read_frequency: Duration::from_millis(250),
            max_read_frequency: Duration::from_secs(1),
            drain_timeout: Duration::from_secs(15),
        }
    }
}

impl Decode for WalArguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = WalArguments::default();
        let w = WalArguments {
            enabled_given: d.has("enabled"),
            enabled: d.optional_or("enabled", def.enabled)?,
            max_segment_age: d.optional_or("max_segment_age", def.max_segment_age)?,
            min_read_frequency: d.optional_or("min_read_frequency", def.min_read_frequency)?,
            max_read_frequency: d.optional_or("max_read_frequency", def.max_read_frequency)?,
            drain_timeout: d.optional_or("drain_timeout", def.drain_timeout)?,
        };
        if w.min_read_frequency >= w.max_read_frequency {
            return Err(d.error("WAL min read frequency should be lower than max read frequency"));
        }
        Ok(w)
    }
}

fn bytes_attr(d: &mut BodyDecoder<'_, '_>, name: &str, default: u64) -> Result<u64, Failed> {
    match d.optional::<String>(name)? {
        Some(s) => parse_base2_bytes(&s).map_err(|e| d.error_at_attr(name, e)),
        None => Ok(default),
    }
}

impl Decode for QueueConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = QueueConfig::default();
        let capacity = bytes_attr(d, "capacity", def.capacity)?;
        let min_shards: i64 = d.optional_or("min_shards", def.min_shards as i64)?;
        let q = QueueConfig {
            capacity,
            // Alloy starts at least one shard whatever is asked.
            min_shards: min_shards.max(1) as usize,
            drain_timeout: d.optional_or("drain_timeout", def.drain_timeout)?,
            block_on_overflow: d.optional_or("block_on_overflow", def.block_on_overflow)?,
        };
        Ok(q)
    }
}

impl Decode for Endpoint {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let url: String = d.required("url")?;
        let name = d.optional_or("name", String::new())?;
        let batch_wait = d.optional_or("batch_wait", Duration::from_secs(1))?;
        let batch_size = bytes_attr(d, "batch_size", 1 << 20)?;
        let remote_timeout = d.optional_or("remote_timeout", Duration::from_secs(10))?;
        let headers = d.optional_or("headers", BTreeMap::new())?;
        let min_backoff = d.optional_or("min_backoff_period", Duration::from_millis(500))?;
        let max_backoff = d.optional_or("max_backoff_period", Duration::from_secs(300))?;
        let max_backoff_retries: i64 = d.optional_or("max_backoff_retries", 10)?;
        let tenant_id = d.optional_or("tenant_id", String::new())?;
        let retry_on_http_429 = d.optional_or("retry_on_http_429", true)?;
        // Alloy's `CloneDefaultHTTPClientConfig`: HTTP/2 offered, redirects followed.
        let http = HttpClientConfig::decode_squashed(d, true)?;
        let queue: Option<QueueConfig> = d.block("queue_config")?;
        let queue = queue.unwrap_or_default();
        if queue != QueueConfig::default()
            && d.evaluator().min_stability() > Stability::Experimental
        {
            return Err(
                d.error("changing queue_config requires stability.level flag to be experimental")
            );
        }
        let e = Endpoint {
            name,
            url,
            batch_wait,
            batch_size,
            remote_timeout,
            headers,
            min_backoff,
            max_backoff,
            max_backoff_retries,
            tenant_id,
            retry_on_http_429,
            http,
            queue,
        };
        // Checked here, without IO, so that `ingot validate` reports it.
        if let Err(err) = e.check_url() {
            return Err(d.error_at_attr("url", err));
        }
        Ok(e)
    }
}

impl Endpoint {
    /// The URL must be one ingot can send to (Alloy accepts any text here and fails on every send).
    pub fn check_url(&self) -> Result<(), String> {
        let parsed = url::Url::parse(&self.url).map_err(|e| {
            format!(
                "failed to parse remote url {:?}: {e}",
                ingot_gocompat::url::redacted(&self.url)
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "unsupported protocol scheme {:?} in url {:?}",
                parsed.scheme(),
                ingot_gocompat::url::redacted(&self.url)
            ));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(format!(
                "no host in url {:?}",
                ingot_gocompat::url::redacted(&self.url)
            ));
        }
        Ok(())
    }

    /// What names the endpoint in logs, health, debug info and its WAL position: `name`, or (as Alloy
    /// does when no name is given) six hex digits of a SHA-256, here of the URL and tenant.
    pub fn id(&self) -> String {
        if !self.name.is_empty() {
            return self.name.clone();
        }
        let mut h = sha2::Sha256::new();
        h.update(self.url.as_bytes());
        h.update([0]);
        h.update(self.tenant_id.as_bytes());
        let digest = h.finalize();
        digest.iter().take(3).map(|b| format!("{b:02x}")).collect()
    }

    /// The `host` label of the endpoint's metrics: Go's `URL.Host`, the authority as written without its
    /// user info (`loki:3100`, `[::1]:3100`).
    pub fn host(&self) -> String {
        let rest = self.url.split_once("://").map_or("", |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        authority.rsplit('@').next().unwrap_or("").to_string()
    }

    /// The WAL reader's memory per shard: Alloy's `capacity / batch_size` batches, at least one, each up to
    /// `batch_size` bytes.
    pub fn shard_capacity_bytes(&self) -> u64 {
        self.queue.capacity.max(self.batch_size).max(1)
    }
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let endpoints: Vec<Endpoint> = d.blocks("endpoint")?;
        let external_labels = d.optional_or("external_labels", BTreeMap::new())?;
        let max_streams: i64 = d.optional_or("max_streams", 0)?;
        let wal_block: Option<WalArguments> = d.block("wal")?;
        let mut warnings = Vec::new();
        if wal_block
            .as_ref()
            .is_some_and(|w| w.enabled_given && !w.enabled)
        {
            warnings.push("wal.enabled = false has no effect: ingot always keeps the entries loki.write accepts in its WAL until every endpoint has them".to_string());
        }
        for e in &endpoints {
            if e.max_backoff_retries != 10 && e.max_backoff_retries != 0 {
                warnings.push(format!("endpoint {:?}: max_backoff_retries has no effect: ingot keeps retrying a batch an endpoint failed with a 5xx, a 429 or a connection error until it is accepted (every max_backoff_period at most), holding it in the WAL rather than dropping it", e.id()));
            }
            if !e.queue.block_on_overflow {
                warnings.push(format!("endpoint {:?}: queue_config.block_on_overflow = false has no effect: the queue is fed from the WAL, so a full queue holds back reading, never the senders, and nothing is dropped", e.id()));
            }
        }
        let mut names: Vec<String> = endpoints.iter().map(Endpoint::id).collect();
        names.sort();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            let dup = w[0].clone();
            return Err(d.error(format!("failed to create cliens: duplicate endpoint configs are not allowed, found duplicate for name: {dup}")));
        }
        Ok(Arguments {
            endpoints,
            external_labels,
            max_streams: max_streams.max(0) as usize,
            wal: wal_block.unwrap_or_default(),
            warnings,
        })
    }
}
