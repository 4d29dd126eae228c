//! Fetching one scrape body: over HTTP with the configured client, or in memory from a component at
//! the agent's memory address. Both enforce the body size limit on uncompressed bytes and report
//! failures in Prometheus' words.

use std::time::Duration;

use ingot_runtime::component::MemoryHttp;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::args::{Auth, HttpClientArgs};

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

/// Builds the scrape client: TLS, redirects and proxies from the arguments.
pub fn build_client(args: &HttpClientArgs) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .gzip(true)
        .redirect(if args.follow_redirects {
            reqwest::redirect::Policy::limited(10)
        } else {
            reqwest::redirect::Policy::none()
        });
    if let Some(url) = &args.proxy_url {
        let mut proxy = reqwest::Proxy::all(url).map_err(|e| format!("invalid proxy_url: {e}"))?;
        if let Some(np) = &args.no_proxy {
            proxy = proxy.no_proxy(reqwest::NoProxy::from_string(np));
        }
        b = b.proxy(proxy);
    } else if !args.proxy_from_environment {
        b = b.no_proxy();
    }
    let tls = &args.tls;
    let read = |what: &str, path: &str| {
        std::fs::read(path).map_err(|e| format!("unable to read {what} {path}: {e}"))
    };
    let ca = match (&tls.ca_pem, &tls.ca_file) {
        (Some(p), _) => Some(p.as_bytes().to_vec()),
        (None, Some(f)) => Some(read("CA cert", f)?),
        _ => None,
    };
    if let Some(pem) = ca {
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("unable to use specified CA cert: {e}"))?;
        if certs.is_empty() {
            return Err("unable to use specified CA cert: no certificates found".into());
        }
        // As Go's tls.Config with RootCAs set: the given CA replaces the built-in roots.
        b = b.tls_built_in_root_certs(false);
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    let cert = match (&tls.cert_pem, &tls.cert_file) {
        (Some(p), _) => Some(p.as_bytes().to_vec()),
        (None, Some(f)) => Some(read("client cert file", f)?),
        _ => None,
    };
    let key = match (&tls.key_pem, &tls.key_file) {
        (Some(p), _) => Some(p.expose().as_bytes().to_vec()),
        (None, Some(f)) => Some(read("client key file", f)?),
        _ => None,
    };
    if let (Some(mut cert), Some(key)) = (cert, key) {
        cert.push(b'\n');
        cert.extend_from_slice(&key);
        let id = reqwest::Identity::from_pem(&cert)
            .map_err(|e| format!("unable to use specified client cert and key: {e}"))?;
        b = b.identity(id);
    }
    if tls.insecure_skip_verify {
        b = b.danger_accept_invalid_certs(true);
    }
    match tls.min_version.as_deref() {
        Some("TLS12") => b = b.min_tls_version(reqwest::tls::Version::TLS_1_2),
        Some("TLS13") => b = b.min_tls_version(reqwest::tls::Version::TLS_1_3),
        _ => {}
    }
    b.build()
        .map_err(|e| format!("unable to build the HTTP client: {e}"))
}

/// The request headers of every scrape of one target (credentials are read per scrape, since files
/// can change under a running agent).
pub fn request_headers(
    args: &HttpClientArgs,
    accept: &str,
    compression: bool,
    timeout: Duration,
) -> Result<Vec<(String, String)>, String> {
    let mut h = vec![
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
    ];
    match &args.auth {
        Auth::None => {}
        Auth::Basic(b) => {
            let password = match (&b.password, &b.password_file) {
                (_, Some(f)) if !f.is_empty() => std::fs::read_to_string(f)
                    .map_err(|e| format!("unable to read basic auth password file {f}: {e}"))?
                    .trim()
                    .to_string(),
                (Some(p), _) => p.expose().to_string(),
                _ => String::new(),
            };
            let token = base64(format!("{}:{}", b.username, password).as_bytes());
            h.push(("Authorization".to_string(), format!("Basic {token}")));
        }
        Auth::Authorization(a) => {
            let kind = if a.kind.is_empty() { "Bearer" } else { &a.kind };
            let creds = match (&a.credentials, &a.credentials_file) {
                (_, Some(f)) if !f.is_empty() => std::fs::read_to_string(f)
                    .map_err(|e| format!("unable to read authorization credentials file {f}: {e}"))?
                    .trim()
                    .to_string(),
                (Some(c), _) => c.expose().to_string(),
                _ => String::new(),
            };
            h.push(("Authorization".to_string(), format!("{kind} {creds}")));
        }
    }
    for (name, values) in &args.http_headers {
        for v in values {
            h.push((name.clone(), v.expose().to_string()));
        }
    }
    Ok(h)
}

/// Seconds as Go's `strconv.FormatFloat(s, 'f', -1, 64)`: `10`, `0.5`.
pub fn format_seconds(d: Duration) -> String {
    ingot_gocompat::strconv::format_float(d.as_secs_f64(), 'f', -1)
}

fn base64(input: &[u8]) -> String {
    ingot_gocompat::base64::Encoding::Std.encode_to_string(input)
}

fn status_text(code: u16) -> String {
    match reqwest::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{code} {reason}"),
        None => format!("{code} status code {code}"),
    }
}

/// The innermost cause of a reqwest error, which is the part that says what happened; a
/// certificate failure on the way is worded as Go's crypto/tls words it.
fn root_cause(e: &reqwest::Error) -> String {
    let mut cause: &(dyn std::error::Error + 'static) = e;
    loop {
        if let Some(words) = certificate_failure(cause) {
            return words;
        }
        match cause.source() {
            Some(next) => cause = next,
            None => return cause.to_string(),
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

/// GET `url` over HTTP.
pub async fn fetch_http(
    client: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
    timeout: Duration,
    body_limit: u64,
) -> Result<Fetched, FetchError> {
    let get_err = |what: String| FetchError::new(format!("Get \"{url}\": {what}"));
    let mut map = HeaderMap::new();
    for (n, v) in headers {
        let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(n.as_bytes()),
            HeaderValue::from_str(v),
        ) else {
            return Err(FetchError::new(format!("invalid header {n}")));
        };
        map.append(n, v);
    }
    let work = async {
        let mut resp = client
            .get(url)
            .headers(map)
            .send()
            .await
            .map_err(|e| get_err(root_cause(&e)))?;
        if resp.status().as_u16() != 200 {
            return Err(FetchError::new(format!(
                "server returned HTTP status {}",
                status_text(resp.status().as_u16())
            )));
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut body = Vec::new();
        loop {
            let chunk = resp.chunk().await.map_err(|e| get_err(root_cause(&e)))?;
            let Some(chunk) = chunk else { break };
            body.extend_from_slice(&chunk);
            if body_limit > 0 && body.len() as u64 >= body_limit {
                return Err(FetchError {
                    message: "body size limit exceeded".into(),
                    body_size: -1,
                });
            }
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
    let memory = memory.clone();
    let work = tokio::task::spawn_blocking(move || memory.get(&path, query.as_deref(), &headers));
    let resp = match tokio::time::timeout(timeout, work).await {
        Err(_) => {
            return Err(FetchError::new(format!(
                "Get \"{url}\": context deadline exceeded"
            )))
        }
        Ok(Err(e)) => return Err(FetchError::new(format!("Get \"{url}\": {e}"))),
        Ok(Ok(None)) => {
            return Err(FetchError::new("server returned HTTP status 404 Not Found"));
        }
        Ok(Ok(Some(r))) => r,
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
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
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

    #[test]
    fn credential_files_are_read_per_request_and_trimmed_of_white_space() {
        // Prometheus' FileSecret trims both ends: an editor's trailing newline or a CRLF file must
        // not end up in the Authorization header.
        let dir = std::env::temp_dir().join(format!("ingot-cred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let password = dir.join("password");
        std::fs::write(&password, " s3cret\r\n").unwrap();
        let args = HttpClientArgs {
            auth: Auth::Basic(ingot_common::http_client::BasicAuth {
                username: "user".into(),
                password: None,
                password_file: Some(password.display().to_string()),
            }),
            tls: Default::default(),
            follow_redirects: true,
            enable_http2: true,
            proxy_url: None,
            no_proxy: None,
            proxy_from_environment: false,
            http_headers: Default::default(),
        };
        let header = |args: &HttpClientArgs| {
            request_headers(args, "text/plain", true, Duration::from_secs(10))
                .unwrap()
                .into_iter()
                .find(|(n, _)| n == "Authorization")
                .map(|(_, v)| v)
        };
        assert_eq!(
            header(&args).as_deref(),
            Some(format!("Basic {}", base64(b"user:s3cret")).as_str())
        );
        std::fs::write(&password, "rotated\n").unwrap();
        assert_eq!(
            header(&args).as_deref(),
            Some(format!("Basic {}", base64(b"user:rotated")).as_str())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
