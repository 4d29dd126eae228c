//! The HTTP side of Remote Write: one POST per batch with the headers the spec requires, the answer sorted
//! into "done", "retry later" and "dropped", and the retry loop with exponential backoff.

use std::fmt;
use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

/// Which message an endpoint is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `prometheus.WriteRequest`
    V1,
    /// `io.prometheus.write.v2.Request`
    V2,
}

impl Protocol {
    pub const V1_NAME: &'static str = "prometheus.WriteRequest";
    pub const V2_NAME: &'static str = "io.prometheus.write.v2.Request";

    pub fn from_message_name(name: &str) -> Option<Protocol> {
        match name {
            Self::V1_NAME => Some(Protocol::V1),
            Self::V2_NAME => Some(Protocol::V2),
            _ => None,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Protocol::V1 => "application/x-protobuf",
            Protocol::V2 => "application/x-protobuf;proto=io.prometheus.write.v2.Request",
        }
    }

    fn version_header(self) -> &'static str {
        match self {
            Protocol::V1 => "0.1.0",
            Protocol::V2 => "2.0.0",
        }
    }
}

/// Headers the sender owns; a user's `headers` may not set them (Prometheus refuses them too).
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
    "retry-attempt",
    "x-prometheus-remote-write-version",
    "x-prometheus-remote-read-version",
];

pub const USER_AGENT: &str = concat!("ingot/", env!("CARGO_PKG_VERSION"), " (linux)");

pub use ingot_httpclient::{Auth, Credential, CredentialSource, TlsSettings};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    pub url: String,
    pub timeout: Duration,
    /// The endpoint's `headers`: set before SigV4 signs (so signed), as Prometheus injects them.
    pub headers: Vec<(String, String)>,
    /// TLS, proxies, HTTP/2, redirects, credentials and `http_headers` (`user_agent` is set from
    /// [`ClientConfig::user_agent`]).
    pub http: ingot_httpclient::Settings,
    /// `sigv4`: credentials and region are resolved when the client is built.
    pub sigv4: Option<ingot_httpclient::SigV4Config>,
    pub user_agent: String,
}

impl ClientConfig {
    pub fn new(url: impl Into<String>) -> ClientConfig {
        ClientConfig {
            url: url.into(),
            timeout: Duration::from_secs(30),
            headers: Vec::new(),
            http: ingot_httpclient::Settings {
                // Alloy's remote-write default since Prometheus 3.4.
                enable_http2: false,
                ..Default::default()
            },
            sigv4: None,
            user_agent: USER_AGENT.to_string(),
        }
    }
}

/// Why a request did not succeed, sorted by what the sender must do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Transport errors, 5xx, and 429 when retrying on it: send the same data again after a pause.
    Retryable {
        status: Option<u16>,
        retry_after: Option<Duration>,
        message: String,
    },
    /// Any other non-2xx: the receiver refused the data; sending it again would fail the same way.
    Rejected { status: u16, message: String },
    /// 415 to an RW 2.0 request, or a 2xx without the RW 2.0 "written" headers (a 1.x receiver that
    /// silently decoded an empty message): fall back to RW 1.0.
    UnsupportedProtocol { status: u16 },
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Retryable {
                status: Some(s),
                message,
                ..
            } => write!(f, "server returned HTTP status {s}: {message}"),
            SendError::Retryable {
                status: None,
                message,
                ..
            } => write!(f, "{message}"),
            SendError::Rejected { status, message } => {
                write!(f, "server returned HTTP status {status}: {message}")
            }
            SendError::UnsupportedProtocol { status } => write!(
                f,
                "server returned HTTP status {status} to a Remote Write 2.0 request (not supported)"
            ),
        }
    }
}

impl SendError {
    /// Whether the refusal is about some of the samples rather than the request: a 400 or 409 whose body
    /// speaks of samples (Prometheus' "out of bounds", "out of order sample", "duplicate sample for
    /// timestamp", "too old sample"; Mimir's and Thanos' wordings), or a 413. Sending the halves apart then
    /// gets the rest delivered; a 400 about the request itself (a body that does not decode, a wrong
    /// content type) would fail the same way for every part, so it is not split.
    pub fn refuses_some_samples(&self) -> bool {
        let SendError::Rejected { status, message } = self else {
            return false;
        };
        match status {
            413 => true,
            400 | 409 => {
                let m = message.to_ascii_lowercase();
                [
                    "sample",
                    "out of bounds",
                    "out of order",
                    "too old",
                    "too far",
                    "timestamp",
                    "duplicate",
                ]
                .iter()
                .any(|w| m.contains(w))
            }
            _ => false,
        }
    }
}

/// The counts an RW 2.0 receiver reports (`X-Prometheus-Remote-Write-*-Written`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub samples: Option<i64>,
    pub histograms: Option<i64>,
    pub exemplars: Option<i64>,
}

/// One remote write endpoint's HTTP client.
pub struct Client {
    http: ingot_httpclient::Client,
    config: ClientConfig,
    retry_on_429: bool,
}

impl Client {
    pub fn new(config: ClientConfig, retry_on_429: bool) -> Result<Client, String> {
        let url = url::Url::parse(&config.url).map_err(|e| {
            format!(
                "cannot parse remote_write url {:?}: {e}",
                ingot_gocompat::url::redacted(&config.url)
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "unsupported scheme {:?} for URL {:?}",
                url.scheme(),
                config.url
            ));
        }
        let mut settings = config.http.clone();
        settings.user_agent = config.user_agent.clone();
        if let Some(sig) = &config.sigv4 {
            settings.auth = ingot_httpclient::Auth::SigV4(sig.resolve(&|k| std::env::var(k).ok())?);
        }
        let http = ingot_httpclient::Client::new(settings)?;
        Ok(Client {
            http,
            config,
            retry_on_429,
        })
    }

    pub fn url(&self) -> &str {
        &self.config.url
    }

    /// Sends one compressed request body. `attempt` is 0 for the first try (retries carry
    /// `Retry-Attempt`).
    pub async fn send(
        &self,
        body: Vec<u8>,
        protocol: Protocol,
        attempt: u32,
    ) -> Result<Written, SendError> {
        let mut headers = vec![
            ("Content-Encoding".to_string(), "snappy".to_string()),
            (
                "Content-Type".to_string(),
                protocol.content_type().to_string(),
            ),
            (
                "X-Prometheus-Remote-Write-Version".to_string(),
                protocol.version_header().to_string(),
            ),
        ];
        for (name, value) in &self.config.headers {
            headers.push((name.clone(), value.clone()));
        }
        if attempt > 0 {
            headers.push(("Retry-Attempt".to_string(), attempt.to_string()));
        }
        let sent = tokio::time::timeout(
            self.config.timeout,
            self.http.send(
                ingot_httpclient::Method::POST,
                &self.config.url,
                headers,
                body.into(),
            ),
        )
        .await;
        let response = match sent {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                return Err(SendError::Retryable {
                    status: None,
                    retry_after: None,
                    message: format!("Post {:?}: {e}", strip_password(&self.config.url)),
                })
            }
            Err(_) => {
                return Err(SendError::Retryable {
                    status: None,
                    retry_after: None,
                    message: format!(
                        "Post {:?}: context deadline exceeded",
                        strip_password(&self.config.url)
                    ),
                })
            }
        };
        let status = response.status;
        let header = |name: &str| response.header(name).map(str::to_string);
        let written = Written {
            samples: header("X-Prometheus-Remote-Write-Samples-Written")
                .and_then(|v| v.parse().ok()),
            histograms: header("X-Prometheus-Remote-Write-Histograms-Written")
                .and_then(|v| v.parse().ok()),
            exemplars: header("X-Prometheus-Remote-Write-Exemplars-Written")
                .and_then(|v| v.parse().ok()),
        };
        let retry_after =
            header("Retry-After").and_then(|v| parse_retry_after(&v, SystemTime::now()));
        if (200..300).contains(&status) {
            if protocol == Protocol::V2
                && written.samples.is_none()
                && written.histograms.is_none()
                && written.exemplars.is_none()
            {
                return Err(SendError::UnsupportedProtocol { status });
            }
            return Ok(written);
        }
        if status == 415 && protocol == Protocol::V2 {
            return Err(SendError::UnsupportedProtocol { status });
        }
        let message = read_message(response).await;
        Err(classify(status, self.retry_on_429, retry_after, message))
    }
}

/// Sorts a non-2xx status into retry or drop, following the spec: 5xx are retried, 429 only when asked,
/// every other status is final.
pub fn classify(
    status: u16,
    retry_on_429: bool,
    retry_after: Option<Duration>,
    message: String,
) -> SendError {
    if status >= 500 || (status == 429 && retry_on_429) {
        SendError::Retryable {
            status: Some(status),
            retry_after,
            message,
        }
    } else {
        SendError::Rejected { status, message }
    }
}

/// The first 1024 bytes of the body, as the receiver wrote them (the spec says to log it as-is).
async fn read_message(response: ingot_httpclient::Response) -> String {
    let body = response.bytes(1024).await.unwrap_or_default();
    String::from_utf8_lossy(&body).trim_end().to_string()
}

/// The URL as Go's HTTP client names it in errors (`stripPassword` in net/http): a password as `***`.
fn strip_password(url: &str) -> String {
    ingot_gocompat::url::redacted(url).replacen(":xxxxx@", ":***@", 1)
}

/// `Retry-After` as seconds or as an HTTP date; `None` when absent, unparsable or not in the future.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return (secs > 0).then(|| Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    at.duration_since(now).ok().filter(|d| !d.is_zero())
}

/// Exponential backoff between `min` and `max`, doubling after every failed try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub min: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The pause after `retries` failed tries (0 = the first failure), or the server's `Retry-After` when it
    /// asks for longer.
    pub fn delay(&self, retries: u32, retry_after: Option<Duration>) -> Duration {
        let factor = 1u32.checked_shl(retries.min(31)).unwrap_or(u32::MAX);
        let d = self.min.saturating_mul(factor).min(self.max).max(self.min);
        match retry_after {
            Some(ra) if ra > d => ra,
            _ => d,
        }
    }
}

/// What [`send_with_retries`] ended with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent(Written),
    /// The receiver refused the data for good (a 4xx other than 429).
    Rejected(SendError),
    /// Shutdown (or the flush deadline) came first; the data was not acknowledged.
    Cancelled,
}

/// Called around each try, for metrics and health.
pub trait RetryObserver {
    /// A try got an answer (or a transport error) after `took`; tries cut short by cancellation are not
    /// reported. Prometheus' `sent_batch_duration_seconds` observes each try.
    fn tried(&mut self, _took: Duration) {}
    fn retrying(&mut self, _error: &SendError, _delay: Duration) {}
    fn fell_back_to_v1(&mut self, _error: &SendError) {}
}

impl RetryObserver for () {}

/// Sends a batch until it is acknowledged or refused for good, pausing between tries; RW 2.0 falls back to
/// 1.0 when the receiver does not speak it (`protocol` is updated so later batches go straight to 1.0).
/// `encode` builds the compressed body for a protocol.
pub async fn send_with_retries(
    client: &Client,
    protocol: &mut Protocol,
    mut encode: impl FnMut(Protocol) -> Vec<u8>,
    backoff: Backoff,
    cancel: &CancellationToken,
    observer: &mut (dyn RetryObserver + Send),
) -> Outcome {
    let mut attempt = 0u32;
    let mut retries = 0u32;
    loop {
        if cancel.is_cancelled() {
            return Outcome::Cancelled;
        }
        let body = encode(*protocol);
        let started = std::time::Instant::now();
        let result = tokio::select! {
            r = client.send(body, *protocol, attempt) => r,
            _ = cancel.cancelled() => return Outcome::Cancelled,
        };
        observer.tried(started.elapsed());
        attempt += 1;
        match result {
            Ok(w) => return Outcome::Sent(w),
            Err(e @ SendError::UnsupportedProtocol { .. }) if *protocol == Protocol::V2 => {
                observer.fell_back_to_v1(&e);
                *protocol = Protocol::V1;
            }
            Err(e @ SendError::Retryable { .. }) => {
                let retry_after = match &e {
                    SendError::Retryable { retry_after, .. } => *retry_after,
                    _ => None,
                };
                let delay = backoff.delay(retries, retry_after);
                retries += 1;
                observer.retrying(&e, delay);
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = cancel.cancelled() => return Outcome::Cancelled,
                }
            }
            Err(e) => return Outcome::Rejected(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_naming_samples_are_told_from_refusals_of_the_request() {
        let r = |status, m: &str| SendError::Rejected {
            status,
            message: m.into(),
        };
        assert!(r(400, "out of bounds").refuses_some_samples());
        assert!(r(400, "out of order sample").refuses_some_samples());
        assert!(r(400, "duplicate sample for timestamp").refuses_some_samples());
        assert!(r(409, "conflict: out of bounds").refuses_some_samples());
        assert!(r(413, "").refuses_some_samples());
        assert!(!r(400, "snappy: corrupt input").refuses_some_samples());
        assert!(!r(404, "out of bounds").refuses_some_samples());
        assert!(!r(401, "").refuses_some_samples());
        let retry = SendError::Retryable {
            status: Some(500),
            retry_after: None,
            message: "sample".into(),
        };
        assert!(!retry.refuses_some_samples());
    }

    #[test]
    fn statuses_sort_into_retry_and_drop() {
        let c = |s, r| classify(s, r, None, String::new());
        assert!(matches!(c(500, false), SendError::Retryable { .. }));
        assert!(matches!(c(503, true), SendError::Retryable { .. }));
        assert!(matches!(c(429, true), SendError::Retryable { .. }));
        assert!(matches!(c(429, false), SendError::Rejected { .. }));
        assert!(matches!(c(400, true), SendError::Rejected { .. }));
        assert!(matches!(c(404, true), SendError::Rejected { .. }));
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("0", now), None);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&earlier, now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_doubles_up_to_max_and_yields_to_a_longer_retry_after() {
        let b = Backoff {
            min: Duration::from_millis(30),
            max: Duration::from_secs(5),
        };
        assert_eq!(b.delay(0, None), Duration::from_millis(30));
        assert_eq!(b.delay(1, None), Duration::from_millis(60));
        assert_eq!(b.delay(3, None), Duration::from_millis(240));
        assert_eq!(b.delay(20, None), Duration::from_secs(5));
        assert_eq!(b.delay(40, None), Duration::from_secs(5));
        assert_eq!(
            b.delay(0, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            b.delay(20, Some(Duration::from_secs(1))),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn credentials_do_not_print() {
        let a = Auth::Basic {
            username: "u".into(),
            password: Some(CredentialSource::Inline(Credential("hunter2".into()))),
        };
        let mut c = ClientConfig::new("http://127.0.0.1:1/");
        c.http.auth = a.clone();
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{a:?}").contains("hunter2"));
    }
}
