//! Data source names: parsed once, with every name a person or a label may see built without the password.
//!
//! Both libpq forms are accepted (`postgresql://user:pass@host:port/db?sslmode=disable` and
//! `host=… port=… user=… password=…`). The password lives only in the connection config and in the list
//! of strings [`redact`] removes from any text that leaves the exporter.

use std::str::FromStr;

use ingot_syntax::value::Secret;
use tokio_postgres::config::{Host, SslMode};

/// One server to scrape.
#[derive(Clone)]
pub struct DataSource {
    pub config: tokio_postgres::Config,
    /// `host:port`, postgres_exporter's `server` label (`localhost:5432` when unset).
    pub server: String,
    /// `postgresql://user@host:port/db`: how health and logs name the server.
    pub display: String,
    /// Strings that must never be shown: the password, and the raw DSN that contains it.
    secrets: Vec<String>,
    /// Whether the DSN names a port (the client fills in 5432 either way; Alloy's `instance` does not).
    port_given: bool,
}

impl std::fmt::Debug for DataSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display)
    }
}

impl DataSource {
    pub fn parse(dsn: &Secret) -> Result<DataSource, String> {
        let raw = dsn.expose().trim();
        let secrets = secrets_of(raw);
        let mut config = tokio_postgres::Config::from_str(raw).map_err(|e| {
            redact(
                &format!("invalid data source name {}: {e}", sketch(raw)),
                &secrets,
            )
        })?;
        if config.get_ssl_mode() == SslMode::Require {
            return Err(format!(
                "data source {}: sslmode=require needs TLS, which ingot's postgres exporter does not have; \
                 use sslmode=disable or prefer (prefer falls back to plain text)",
                sketch(raw)
            ));
        }
        if config.get_application_name().is_none() {
            config.application_name("ingot");
        }
        let host = config.get_hosts().first().map(|h| match h {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        });
        let port = config.get_ports().first().copied();
        let server = format!(
            "{}:{}",
            host.clone().unwrap_or_else(|| "localhost".into()),
            port.unwrap_or(5432)
        );
        let user = config
            .get_user()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        let db = config.get_dbname().unwrap_or_default();
        let display = redact(&format!("postgresql://{user}{server}/{db}"), &secrets);
        Ok(DataSource {
            config,
            server,
            display,
            secrets,
            port_given: port_given(raw),
        })
    }

    /// Alloy's `instance` for a single DSN: `postgresql://host:port/dbname`, `localhost:5432` when no host
    /// is given, and only the host when a host but no port is given.
    pub fn instance_key(&self) -> String {
        let host = self.config.get_hosts().first().map(|h| match h {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        });
        let port = self.config.get_ports().first().filter(|_| self.port_given);
        let hostport = match (host, port) {
            (None, _) => "localhost:5432".to_string(),
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h,
        };
        let db = self.config.get_dbname().unwrap_or_default();
        redact(&format!("postgresql://{hostport}/{db}"), &self.secrets)
    }

    /// `text` with every secret of this source replaced.
    pub fn redact(&self, text: &str) -> String {
        redact(text, &self.secrets)
    }

    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }
}

fn port_given(raw: &str) -> bool {
    let url = raw
        .strip_prefix("postgresql://")
        .or_else(|| raw.strip_prefix("postgres://"));
    match url {
        Some(rest) => {
            let (authority, query) = match rest.find(['/', '?']) {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let after_brackets = hosts.rsplit_once(']').map_or(hosts, |(_, p)| p);
            after_brackets.contains(':')
                || query.split(['?', '&']).any(|kv| kv.starts_with("port="))
        }
        None => raw.split_whitespace().any(|kv| kv.starts_with("port=")),
    }
}

/// The password as written in either form (and URL-decoded), plus the DSN itself.
fn secrets_of(raw: &str) -> Vec<String> {
    let mut out = vec![raw.to_string()];
    if let Ok(config) = tokio_postgres::Config::from_str(raw) {
        if let Some(p) = config.get_password() {
            out.push(String::from_utf8_lossy(p).into_owned());
        }
    }
    // The raw (still percent-encoded) URL password, in case an error quotes the URL's text.
    if let Some(rest) = raw
        .strip_prefix("postgresql://")
        .or_else(|| raw.strip_prefix("postgres://"))
    {
        let userinfo = rest.split(['/', '?']).next().unwrap_or("");
        if let Some((creds, _)) = userinfo.rsplit_once('@') {
            if let Some((_, pass)) = creds.split_once(':') {
                out.push(pass.to_string());
            }
        }
    }
    out.retain(|s| !s.is_empty());
    // Longest first, so that the DSN goes before the password it contains.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// Replaces every secret in `text` with `****`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "****");
        }
    }
    out
}

/// A DSN shown in a parse error: its scheme and host part, never its credentials.
fn sketch(raw: &str) -> String {
    if let Some((scheme, rest)) = raw.split_once("://") {
        let after_at = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
        let host = after_at.split(['/', '?']).next().unwrap_or("");
        format!("{scheme}://{host}/…")
    } else {
        let keys: Vec<&str> = raw
            .split_whitespace()
            .filter_map(|kv| kv.split_once('=').map(|(k, _)| k))
            .collect();
        format!("with keys [{}]", keys.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(s: &str) -> DataSource {
        DataSource::parse(&Secret::new(s)).unwrap()
    }

    #[test]
    fn url_form_names_the_server_without_the_password() {
        let d = ds("postgresql://alice:s3cr%40t@db.example:6543/app?sslmode=disable");
        assert_eq!(d.server, "db.example:6543");
        assert_eq!(d.display, "postgresql://alice@db.example:6543/app");
        assert_eq!(d.instance_key(), "postgresql://db.example:6543/app");
        assert!(d.secrets().contains(&"s3cr@t".to_string()));
        assert!(d.secrets().contains(&"s3cr%40t".to_string()));
        assert_eq!(d.redact("bad s3cr@t and s3cr%40t"), "bad **** and ****");
        assert!(!format!("{d:?}").contains("s3cr"));
    }

    #[test]
    fn keyword_form_and_defaults() {
        let d = ds("host=/run/pg port=5433 user=bob password='p w' dbname=x");
        assert_eq!(d.server, "/run/pg:5433");
        assert_eq!(d.redact("p w!"), "****!");
        let d = ds("postgresql:///db");
        assert_eq!(d.server, "localhost:5432");
        assert_eq!(d.instance_key(), "postgresql://localhost:5432/db");
        let d = ds("postgresql://u@h/db");
        assert_eq!(d.instance_key(), "postgresql://h/db");
    }

    #[test]
    fn errors_never_carry_the_password() {
        let err =
            DataSource::parse(&Secret::new("postgresql://u:hunter2@h:notaport/db")).unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        let err =
            DataSource::parse(&Secret::new("host=h password=hunter2 sslmode=require")).unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("sslmode=require"), "{err}");
    }
}
