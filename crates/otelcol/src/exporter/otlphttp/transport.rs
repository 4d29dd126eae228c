//! OTLP/HTTP out on ingot's HTTP client, with the collector's `otlphttpexporter` rules: 2xx is sent (a
//! partial success in the body is read), 429, 502, 503 and 504 are retried (429 and 503 after
//! `Retry-After`, seconds or an HTTP date, when given), any other status is permanent; the error names the
//! URL, the status and the server's `google.rpc.Status` message.

use bytes::Bytes;
use http::Method;
use ingot_otlp::{json, Data, Signal};
use prost::Message;

use super::args::{Arguments, Encoding};
use crate::config::client::Compression;
use crate::exporter::sender::{Outcome, SendFuture, Transport};
use crate::grpc::codec::ExportResponse;

/// The most of a response body read.
const MAX_RESPONSE: usize = 64 << 10;

pub struct Http {
    client: ingot_httpclient::Client,
    urls: [String; 3],
    encoding: Encoding,
    compression: Compression,
    compression_level: Option<i32>,
    headers: Vec<(String, String)>,
    auth: Option<crate::auth::Handler>,
}

/// `<endpoint>/v1/<signal>` as the collector composes it.
fn signal_url(endpoint: &str, signal: Signal) -> String {
    let path = format!("v1/{}", signal.as_str());
    if endpoint.ends_with('/') {
        format!("{endpoint}{path}")
    } else {
        format!("{endpoint}/{path}")
    }
}

impl Http {
    pub fn new(args: &Arguments, user_agent: &str) -> Result<Http, String> {
        let c = &args.client;
        let settings = ingot_httpclient::Settings {
            tls: c.tls.http_settings()?,
            proxy: ingot_httpclient::ProxySettings {
                url: (!c.proxy_url.is_empty()).then(|| c.proxy_url.clone()),
                ..Default::default()
            },
            user_agent: user_agent.to_string(),
            ..Default::default()
        };
        let client = ingot_httpclient::Client::new(settings)?;
        let url = |explicit: &str, signal: Signal| {
            if explicit.is_empty() {
                signal_url(&c.endpoint, signal)
            } else {
                explicit.to_string()
            }
        };
        Ok(Http {
            client,
            urls: [
                url(&args.traces_endpoint, Signal::Traces),
                url(&args.metrics_endpoint, Signal::Metrics),
                url(&args.logs_endpoint, Signal::Logs),
            ],
            encoding: args.encoding,
            compression: c.compression,
            compression_level: c.compression_level,
            headers: c.headers.clone(),
            auth: c.auth.clone(),
        })
    }

    async fn export(&self, signal: Signal, body: &Bytes) -> Outcome {
        let url = &self.urls[signal.index()];
        let (payload, content_type) = match self.encoding {
            Encoding::Proto => (body.to_vec(), "application/x-protobuf"),
            Encoding::Json => match Data::decode_proto(signal, body) {
                Ok(d) => (json::encode(&d), "application/json"),
                Err(e) => {
                    return Outcome::Permanent(format!("re-encoding the request as JSON: {e}"))
                }
            },
        };
        let mut headers = self.headers.clone();
        if let Some(auth) = &self.auth {
            if let Err(e) = auth.apply(&mut headers) {
                return Outcome::Retry {
                    after: None,
                    error: format!("getting credentials: {e}"),
                };
            }
        }
        headers.retain(|(k, _)| {
            !k.eq_ignore_ascii_case("content-type") && !k.eq_ignore_ascii_case("content-encoding")
        });
        headers.push(("Content-Type".into(), content_type.into()));
        let payload = match self.compression.encoding() {
            Some(enc) => {
                headers.push(("Content-Encoding".into(), enc.into()));
                self.compression.compress(&payload, self.compression_level)
            }
            None => payload,
        };
        let resp = match self
            .client
            .send(Method::POST, url, headers, Bytes::from(payload))
            .await
        {
            Ok(r) => r,
            Err(e) => {
                return Outcome::Retry {
                    after: None,
                    error: format!("failed to make an HTTP request: Post {url:?}: {e}"),
                }
            }
        };
        let status = resp.status;
        let retry_after = resp.header("retry-after").map(str::to_string);
        let is_json = resp
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json"));
        let body = resp.bytes(MAX_RESPONSE).await.unwrap_or_default();
        classify(url, status, retry_after.as_deref(), is_json, &body)
    }
}

/// What a response means for the request.
pub fn classify(
    url: &str,
    status: u16,
    retry_after: Option<&str>,
    is_json: bool,
    body: &[u8],
) -> Outcome {
    if (200..300).contains(&status) {
        let partial = if is_json {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("partialSuccess").cloned())
                .map(|p| {
                    let rejected = ["rejectedSpans", "rejectedDataPoints", "rejectedLogRecords"]
                        .iter()
                        .find_map(|k| p.get(*k))
                        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or(v.as_u64()))
                        .unwrap_or(0);
                    let msg = p
                        .get("errorMessage")
                        .and_then(|m| m.as_str())
                        .unwrap_or_default()
                        .to_string();
                    (rejected, msg)
                })
        } else {
            ExportResponse::decode(body)
                .ok()
                .and_then(|r| r.partial_success)
                .map(|p| (p.rejected.max(0) as u64, p.error_message))
        };
        let (rejected, message) = partial.unwrap_or_default();
        return Outcome::Sent { rejected, message };
    }
    let message = if is_json {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
    } else {
        crate::grpc::status::Status::decode(body)
            .ok()
            .map(|s| s.message)
            .filter(|m| !m.is_empty())
    };
    let error = match message {
        Some(m) => format!(
            "error exporting items, request to {url} responded with HTTP Status Code {status}, Message={m}"
        ),
        None => format!(
            "error exporting items, request to {url} responded with HTTP Status Code {status}"
        ),
    };
    if !matches!(status, 429 | 502 | 503 | 504) {
        return Outcome::Permanent(error);
    }
    let after = if matches!(status, 429 | 503) {
        retry_after.and_then(parse_retry_after)
    } else {
        None
    };
    Outcome::Retry { after, error }
}

/// `Retry-After`: delay-seconds or an HTTP date.
fn parse_retry_after(v: &str) -> Option<std::time::Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<i64>() {
        return Some(std::time::Duration::from_secs(secs.max(0) as u64));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

impl Transport for Http {
    fn send<'a>(&'a self, signal: Signal, body: &'a Bytes) -> SendFuture<'a> {
        Box::pin(self.export(signal, body))
    }

    fn endpoint(&self, signal: Signal) -> String {
        self.urls[signal.index()].clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn urls_as_the_collector_composes_them() {
        assert_eq!(
            signal_url("http://x:4318", Signal::Traces),
            "http://x:4318/v1/traces"
        );
        assert_eq!(
            signal_url("http://x:4318/otlp/", Signal::Logs),
            "http://x:4318/otlp/v1/logs"
        );
    }

    #[test]
    fn statuses_and_retry_hints() {
        let u = "http://x/v1/traces";
        assert!(matches!(
            classify(u, 200, None, false, b""),
            Outcome::Sent { rejected: 0, .. }
        ));
        assert_eq!(
            classify(u, 503, Some("7"), false, b""),
            Outcome::Retry {
                after: Some(Duration::from_secs(7)),
                error: "error exporting items, request to http://x/v1/traces responded with HTTP Status Code 503".into()
            }
        );
        assert!(matches!(
            classify(u, 502, Some("7"), false, b""),
            Outcome::Retry { after: None, .. }
        ));
        assert!(
            matches!(classify(u, 400, None, true, br#"{"code":3,"message":"bad"}"#), Outcome::Permanent(m) if m.ends_with("Message=bad"))
        );
        let body = br#"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}}"#;
        assert_eq!(
            classify(u, 200, None, true, body),
            Outcome::Sent {
                rejected: 2,
                message: "too old".into()
            }
        );
    }
}
