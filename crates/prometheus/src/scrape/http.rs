//! Fetching one scrape body: over HTTP with the configured client, or in memory from a component at
//! the agent's memory address. Both enforce the body size limit on uncompressed bytes and report
//! failures in Prometheus' words.

use std::time::Duration;

use std::io::Write;

use ingot_httpclient::{Client, Method};
use ingot_runtime::component::MemoryHttp;

use super::args::HttpClientArgs;

pub const USER_AGENT: &str = concat!("ingot/", env!("CARGO_PKG_VERSION"));

/// A fetched body.
pub struct Fetched {
    pub body: Vec<u8>,
    pub content_type: String,
}

/// Why a fetch failed, and the body size to report (`-1` when over the limit).
pub struct FetchError {
    pub message: String,
    pub body_size: i64,
}

impl FetchError {
    fn new(message: impl Into<String>) -> FetchError {
        FetchError {
            message: message.into(),
            body_size: 0,
        }
    }
}

/// Builds the scrape client: TLS, proxies, HTTP/2, redirects and credentials from the arguments.
pub fn build_client(args: &HttpClientArgs) -> Result<Client, String> {
    Client::new(args.settings(USER_AGENT))
}

/// The request headers of every scrape of one target (credentials are added by the client at each
/// request, reading files anew, since they can change under a running agent).
pub fn request_headers(
    accept: &str,
    compression: bool,
    timeout: Duration,
) -> Vec<(String, String)> {
    vec![
        ("Accept".to_string(), accept.to_string()),
        (
            "Accept-Encoding".to_string(),
            if compression { "gzip" } else { "identity" }.to_string(),
        ),
        ("User-Agent".to_string(), USER_AGENT.to_string()),
        (
            "X-Prometheus-Scrape-Timeout-Seconds".to_string(),
            format_seconds(timeout),
        ),
    ]
}

/// Seconds as Go's `strconv.FormatFloat(s, 'f', -1, 64)`: `10`, `0.5`.
pub fn format_seconds(d: Duration) -> String {
    ingot_gocompat::strconv::format_float(d.as_secs_f64(), 'f', -1)
}

fn status_text(code: u16) -> String {
    ingot_httpclient::status_text(code)
}

/// What a failed request says, with a certificate failure on the way worded as Go's crypto/tls
/// words it.
fn root_cause(e: &ingot_httpclient::Error) -> String {
    let mut cause: &(dyn std::error::Error + 'static) = e;
    loop {
        if let Some(words) = certificate_failure(cause) {
            return words;
        }
        match cause.source() {
            Some(next) => cause = next,
            None => return e.to_string(),
        }
    }
}

/// A rustls certificate error (bare, or inside the `io::Error`s hyper carries it in, which hide it
/// from `source()`) in Go's words.
fn certificate_failure(mut e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let tls = loop {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            break tls;
        }
        e = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    };
    let rustls::Error::InvalidCertificate(cert) = tls else {
        return None;
    };
    Some(format!(
        "tls: failed to verify certificate: x509: {}",
        go_x509_words(cert)?
    ))
}

/// Go's `x509` messages, which Prometheus and Alloy users search for and alert on; rustls names the
/// same failures by enum variant (`invalid peer certificate: UnknownIssuer`). `None` for failures
/// without a close Go counterpart, which keep rustls' text.
fn go_x509_words(cert: &rustls::CertificateError) -> Option<String> {
    use rustls::pki_types::{ServerName, UnixTime};
    use rustls::CertificateError as E;
    let rfc3339 = |t: &UnixTime| {
        humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.as_secs()),
        )
        .to_string()
    };
    const VALIDITY: &str = "certificate has expired or is not yet valid";
    Some(match cert {
        E::UnknownIssuer => "certificate signed by unknown authority".to_string(),
        E::Expired | E::NotValidYet => VALIDITY.to_string(),
        E::ExpiredContext { time, not_after } => format!(
            "{VALIDITY}: current time {} is after {}",
            rfc3339(time),
            rfc3339(not_after)
        ),
        E::NotValidYetContext { time, not_before } => format!(
            "{VALIDITY}: current time {} is before {}",
            rfc3339(time),
            rfc3339(not_before)
        ),
        E::NotValidForNameContext {
            expected,
            presented,
        } => {
            let host = expected.to_str();
            let for_ip = matches!(expected, ServerName::IpAddress(_));
            // webpki lists the names as `DnsName("a")` and `IpAddress(1.2.3.4)`; Go lists the
            // kind being checked.
            let names: Vec<&str> = presented
                .iter()
                .filter_map(|p| {
                    if for_ip {
                        p.strip_prefix("IpAddress(")?.strip_suffix(')')
                    } else {
                        p.strip_prefix("DnsName(\"")?.strip_suffix("\")")
                    }
                })
                .collect();
            match (names.is_empty(), for_ip) {
                (true, true) => format!(
                    "cannot validate certificate for {host} because it doesn't contain any IP SANs"
                ),
                (true, false) => {
                    format!("certificate is not valid for any names, but wanted to match {host}")
                }
                (false, _) => format!("certificate is valid for {}, not {host}", names.join(", ")),
            }
        }
        _ => return None,
    })
}

/// GET `url` over HTTP; a gzip body is decompressed as it arrives, and the limit applies to what it
/// decompresses to.
pub async fn fetch_http(
    client: &Client,
    url: &str,
    headers: &[(String, String)],
    timeout: Duration,
    body_limit: u64,
) -> Result<Fetched, FetchError> {
    let get_err = |what: String| FetchError::new(format!("Get \"{url}\": {what}"));
    let work = async {
        let mut resp = client
            .send(Method::GET, url, headers.to_vec(), Default::default())
            .await
            .map_err(|e| get_err(root_cause(&e)))?;
        if resp.status != 200 {
            return Err(FetchError::new(format!(
                "server returned HTTP status {}",
                status_text(resp.status)
            )));
        }
        let content_type = resp.header("content-type").unwrap_or("").to_string();
        let gzip = resp
            .header("content-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
        let over = || FetchError {
            message: "body size limit exceeded".into(),
            body_size: -1,
        };
        let mut plain = Vec::new();
        let mut gz = gzip.then(|| flate2::write::GzDecoder::new(Vec::new()));
        loop {
            let chunk = resp.chunk().await.map_err(|e| get_err(root_cause(&e)))?;
            let Some(chunk) = chunk else { break };
            let len = match &mut gz {
                Some(d) => {
                    d.write_all(&chunk)
                        .map_err(|e| FetchError::new(format!("gzip: {e}")))?;
                    d.get_ref().len()
                }
                None => {
                    plain.extend_from_slice(&chunk);
                    plain.len()
                }
            };
            if body_limit > 0 && len as u64 >= body_limit {
                return Err(over());
            }
        }
        let body = match gz {
            Some(d) => d
                .finish()
                .map_err(|e| FetchError::new(format!("gzip: {e}")))?,
            None => plain,
        };
        if body_limit > 0 && body.len() as u64 >= body_limit {
            return Err(over());
        }
        Ok(Fetched { body, content_type })
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(get_err("context deadline exceeded".into())),
    }
}

/// GET `path?query` from the component serving it, in memory.
pub async fn fetch_memory(
    memory: &MemoryHttp,
    url: &str,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    timeout: Duration,
    body_limit: u64,
) -> Result<Fetched, FetchError> {
    let work = memory.get(&path, query.as_deref(), &headers);
    let resp = match tokio::time::timeout(timeout, work).await {
        Err(_) => {
            return Err(FetchError::new(format!(
                "Get \"{url}\": context deadline exceeded"
            )))
        }
        Ok(None) => {
            return Err(FetchError::new("server returned HTTP status 404 Not Found"));
        }
        Ok(Some(r)) => r,
    };
    if resp.status != 200 {
        return Err(FetchError::new(format!(
            "server returned HTTP status {}",
            status_text(resp.status)
        )));
    }
    if body_limit > 0 && resp.body.len() as u64 >= body_limit {
        return Err(FetchError {
            message: "body size limit exceeded".into(),
            body_size: -1,
        });
    }
    Ok(Fetched {
        body: resp.body,
        content_type: resp.content_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_seconds() {
        assert_eq!(format_seconds(Duration::from_secs(10)), "10");
        assert_eq!(format_seconds(Duration::from_millis(2500)), "2.5");
        assert_eq!(status_text(500), "500 Internal Server Error");
    }

    #[test]
    fn certificate_failures_read_as_go_reports_them() {
        use rustls::pki_types::{ServerName, UnixTime};
        use rustls::CertificateError as E;
        let words = |e: E| go_x509_words(&e).unwrap();
        assert_eq!(
            words(E::UnknownIssuer),
            "certificate signed by unknown authority"
        );
        assert_eq!(
            words(E::ExpiredContext {
                time: UnixTime::since_unix_epoch(Duration::from_secs(1_764_000_000)),
                not_after: UnixTime::since_unix_epoch(Duration::from_secs(1_609_459_200)),
            }),
            "certificate has expired or is not yet valid: current time 2025-11-24T16:00:00Z is after 2021-01-01T00:00:00Z"
        );
        let for_name = |host: &str, presented: &[&str]| {
            words(E::NotValidForNameContext {
                expected: ServerName::try_from(host.to_string()).unwrap(),
                presented: presented.iter().map(|p| p.to_string()).collect(),
            })
        };
        let presented = [
            r#"DnsName("a.example")"#,
            r#"DnsName("b.example")"#,
            "IpAddress(10.0.0.1)",
        ];
        assert_eq!(
            for_name("c.example", &presented),
            "certificate is valid for a.example, b.example, not c.example"
        );
        assert_eq!(
            for_name("10.0.0.2", &presented),
            "certificate is valid for 10.0.0.1, not 10.0.0.2"
        );
        assert_eq!(
            for_name("10.0.0.2", &presented[..2]),
            "cannot validate certificate for 10.0.0.2 because it doesn't contain any IP SANs"
        );
        assert_eq!(go_x509_words(&E::BadSignature), None);
    }
}
