//! One endpoint's HTTP side: a push request with Loki's headers, its answer sorted into "accepted",
//! "try again" (5xx, 429 when `retry_on_http_429`, no answer at all) and "refused" (every other status).

use std::time::{Duration, SystemTime};

use ingot_prom::remote_write::client::{parse_retry_after, USER_AGENT};

use super::args::Endpoint;

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// 2xx.
    Accepted { status: u16 },
    /// Send it again after a pause (`retry_after` when the endpoint asked for one).
    Retry {
        /// `None` when no answer came (connection refused, timeout).
        status: Option<u16>,
        retry_after: Option<Duration>,
        message: String,
    },
    /// The endpoint refused the batch for good; `rate_limited` is a 429 with `retry_on_http_429 = false`.
    Refused {
        status: u16,
        message: String,
        rate_limited: bool,
    },
}

impl Answer {
    /// The status as Alloy's `status_code` label has it (`-1` when no answer came).
    pub fn status_code(&self) -> i32 {
        match self {
            Answer::Accepted { status } | Answer::Refused { status, .. } => i32::from(*status),
            Answer::Retry { status, .. } => status.map_or(-1, i32::from),
        }
    }
}

pub struct Client {
    http: ingot_httpclient::Client,
    url: String,
    /// The URL as it may be shown (its password as `xxxxx`).
    shown_url: String,
    timeout: Duration,
    headers: Vec<(String, String)>,
    retry_on_429: bool,
}

/// The headers the client sets itself; a `headers` entry with one of these names is skipped, as Alloy
/// skips a custom header whose key is already set.
const OWN_HEADERS: &[&str] = &[
    "user-agent",
    "content-type",
    "content-encoding",
    "x-scope-orgid",
];

impl Client {
    pub fn new(e: &Endpoint) -> Result<Client, String> {
        e.check_url()?;
        let settings = e.http.settings(USER_AGENT);
        let http = ingot_httpclient::Client::new(settings)?;
        let mut headers = Vec::new();
        for (k, v) in &e.headers {
            if OWN_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
                tracing::warn!(url = %ingot_gocompat::url::redacted(&e.url), key = %k,
                    "custom header key already exists, skipping");
                continue;
            }
            headers.push((k.clone(), v.clone()));
        }
        Ok(Client {
            http,
            url: e.url.clone(),
            shown_url: ingot_gocompat::url::redacted(&e.url),
            timeout: e.remote_timeout,
            headers,
            retry_on_429: e.retry_on_http_429,
        })
    }

    /// Sends one snappy-compressed `PushRequest` for `tenant` (`""` sends no `X-Scope-OrgID`).
    pub async fn push(&self, tenant: &str, body: Vec<u8>) -> Answer {
        let mut headers = vec![
            (
                "Content-Type".to_string(),
                "application/x-protobuf".to_string(),
            ),
            ("Content-Encoding".to_string(), "snappy".to_string()),
        ];
        if !tenant.is_empty() {
            headers.push(("X-Scope-OrgID".to_string(), tenant.to_string()));
        }
        headers.extend(self.headers.iter().cloned());
        let sent = tokio::time::timeout(
            self.timeout,
            self.http.send(
                ingot_httpclient::Method::POST,
                &self.url,
                headers,
                body.into(),
            ),
        )
        .await;
        let response = match sent {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                return Answer::Retry {
                    status: None,
                    retry_after: None,
                    message: format!("Post {:?}: {e}", go_client_url(&self.shown_url)),
                }
            }
            Err(_) => {
                return Answer::Retry {
                    status: None,
                    retry_after: None,
                    message: format!(
                        "Post {:?}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                        go_client_url(&self.shown_url)
                    ),
                }
            }
        };
        let status = response.status;
        if (200..300).contains(&status) {
            // Read what is left so that the connection can be reused.
            let _ = response.bytes(64 << 10).await;
            return Answer::Accepted { status };
        }
        let retry_after = response
            .header("Retry-After")
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let body = response.bytes(1024).await.unwrap_or_default();
        // Alloy keeps the first line of the first 1024 bytes.
        let text = String::from_utf8_lossy(&body);
        let line = text.lines().next().unwrap_or("");
        let message = format!(
            "server returned HTTP status {} ({status}): {line}",
            ingot_httpclient::status_text(status)
        );
        if status >= 500 || (status == 429 && self.retry_on_429) {
            Answer::Retry {
                status: Some(status),
                retry_after,
                message,
            }
        } else {
            Answer::Refused {
                status,
                message,
                rate_limited: status == 429,
            }
        }
    }

    pub fn shown_url(&self) -> &str {
        &self.shown_url
    }
}

/// The URL as Go's HTTP client names it in errors (`stripPassword` in net/http): a password as `***`.
fn go_client_url(shown: &str) -> String {
    shown.replacen(":xxxxx@", ":***@", 1)
}
