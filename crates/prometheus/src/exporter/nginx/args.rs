//! `prometheus.exporter.nginx`'s arguments: the stub_status URL, split once, and the timeout.

use std::time::Duration;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

/// Where the stub_status page is, split from `scrape_uri` once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScrapeUri {
    /// The URI as configured, for messages.
    pub uri: String,
    /// `host` or `host:port` as written (the `Host` header).
    pub authority: String,
    pub host: String,
    pub port: u16,
    /// Path and query (`/stub_status`).
    pub path: String,
}

impl ScrapeUri {
    /// Accepts `http://host[:port][/path]`. Other schemes are refused with the reason.
    pub fn parse(uri: &str) -> Result<ScrapeUri, String> {
        let rest = match uri.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => {
                return Err(format!(
                    "scrape_uri {uri:?}: https is not supported by ingot's nginx exporter yet; \
                     expose stub_status over http on a loopback or private address"
                ))
            }
            Some((scheme, _)) => {
                return Err(format!(
                "scrape_uri {uri:?}: unsupported scheme {scheme:?}; expected http://host:port/path"
            ))
            }
            None => {
                return Err(format!(
                    "scrape_uri {uri:?}: expected a URL such as http://127.0.0.1:8080/stub_status"
                ))
            }
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        if authority.contains('@') {
            return Err(format!(
                "scrape_uri {uri:?}: user information in the URL is not supported"
            ));
        }
        let (host, port) = split_host_port(authority)
            .ok_or_else(|| format!("scrape_uri {uri:?}: invalid host or port {authority:?}"))?;
        if host.is_empty() {
            return Err(format!("scrape_uri {uri:?}: missing host"));
        }
        Ok(ScrapeUri {
            uri: uri.to_string(),
            authority: authority.to_string(),
            host,
            port,
            path: path.split('#').next().unwrap_or("/").to_string(),
        })
    }

    /// `host:port`, the target's `instance`.
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn split_host_port(authority: &str) -> Option<(String, u16)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => 80,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_string(), port.parse().ok()?)),
        None => Some((authority.to_string(), 80)),
    }
}

/// nginx-prometheus-exporter's `--nginx.timeout` default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub scrape_uri: ScrapeUri,
    pub timeout: Duration,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let uri: String = d.required("scrape_uri")?;
        let timeout = d.optional_or("timeout", DEFAULT_TIMEOUT)?;
        let scrape_uri = match ScrapeUri::parse(&uri) {
            Ok(u) => u,
            Err(msg) => return Err(d.error_at_attr("scrape_uri", msg)),
        };
        if timeout.is_zero() {
            return Err(d.error_at_attr("timeout", "timeout must be greater than 0"));
        }
        Ok(Arguments {
            scrape_uri,
            timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrape_uri_forms() {
        let u = ScrapeUri::parse("http://127.0.0.1:8080/stub_status").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 8080, "/stub_status")
        );
        assert_eq!(u.host_port(), "127.0.0.1:8080");
        let u = ScrapeUri::parse("http://localhost").unwrap();
        assert_eq!(
            (u.host_port(), u.path.as_str()),
            ("localhost:80".into(), "/")
        );
        let u = ScrapeUri::parse("http://[::1]:81/s?x=1").unwrap();
        assert_eq!(
            (u.host_port(), u.path.as_str()),
            ("[::1]:81".into(), "/s?x=1")
        );
        assert!(ScrapeUri::parse("https://h/s")
            .unwrap_err()
            .contains("https is not supported"));
        assert!(ScrapeUri::parse("127.0.0.1:8080/stub_status").is_err());
        assert!(ScrapeUri::parse("http://h:notaport/").is_err());
    }
}
