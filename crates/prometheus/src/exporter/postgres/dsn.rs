//! Data source names: parsed once, with every name a person or a label may see built without the password.
//!
//! Both libpq forms are accepted (`postgresql://user:pass@host:port/db?sslmode=disable` and
//! `host=… port=… user=… password=…`). The password lives only in the connection config. Whatever leaves
//! the exporter (health, logs, labels) is built from the parsed fields that are not the password, never by
//! searching text for the password and replacing it: a replacement shows where the password occurs in the
//! text around it (a password `1` would turn `127.0.0.1:5432` into `****27.0.0.****:****5432`).

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
        let raw = go_userinfo(dsn.expose().trim());
        let raw = raw.as_str();
        let mut config = tokio_postgres::Config::from_str(raw).map_err(|e| {
            format!(
                "invalid data source name {}: {}",
                sketch(raw),
                parse_error_without_text(&e.to_string())
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
        let display = format!("postgresql://{user}{server}/{db}");
        Ok(DataSource {
            config,
            server,
            display,
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
        format!("postgresql://{hostport}/{db}")
    }
}

/// A URL DSN's userinfo as Go's `url.Parse` (and so postgres_exporter) reads it: up to the authority's last
/// `@`, so a password may hold `@`. tokio-postgres splits at the first, so those are percent-encoded first.
fn go_userinfo(raw: &str) -> String {
    let Some((scheme, rest)) = ["postgresql://", "postgres://"]
        .iter()
        .find_map(|s| raw.strip_prefix(s).map(|rest| (*s, rest)))
    else {
        return raw.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, hosts)) if userinfo.contains('@') => {
            format!("{scheme}{}@{hosts}{tail}", userinfo.replace('@', "%40"))
        }
        _ => raw.to_string(),
    }
}

/// A DSN parse error without text quoted from the DSN (tokio-postgres names the character it did not
/// expect, which may be one of the password's).
fn parse_error_without_text(message: &str) -> String {
    match message.find(" but got ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
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
        assert_eq!(d.config.get_password(), Some(&b"s3cr@t"[..]));
        assert!(!format!("{d:?}").contains("s3cr"));
    }

    #[test]
    fn keyword_form_and_defaults() {
        let d = ds("host=/run/pg port=5433 user=bob password='p w' dbname=x");
        assert_eq!(d.server, "/run/pg:5433");
        assert_eq!(d.config.get_password(), Some(&b"p w"[..]));
        let d = ds("postgresql:///db");
        assert_eq!(d.server, "localhost:5432");
        assert_eq!(d.instance_key(), "postgresql://localhost:5432/db");
        let d = ds("postgresql://u@h/db");
        assert_eq!(d.instance_key(), "postgresql://h/db");
    }

    /// Masking by structure: a password that also occurs in the host, the port or the words of a message
    /// shows nowhere, and nothing else is disturbed.
    #[test]
    fn names_are_built_without_the_password_whatever_it_is() {
        for password in ["1", "postgres", "authentication", "x", "5432", "127"] {
            let d = ds(&format!(
                "postgresql://postgres:{password}@127.0.0.1:5432/postgres"
            ));
            assert_eq!(d.display, "postgresql://postgres@127.0.0.1:5432/postgres");
            assert_eq!(d.instance_key(), "postgresql://127.0.0.1:5432/postgres");
            assert_eq!(d.server, "127.0.0.1:5432");
        }
    }

    /// Go's url.Parse splits userinfo at the last `@`, so postgres_exporter accepts `@` in a password.
    #[test]
    fn a_password_with_at_signs_parses_as_go_parses_it() {
        let d = ds("postgresql://alice:p@ss@w0rd@db:5432/app?sslmode=disable");
        assert_eq!(d.config.get_password(), Some(&b"p@ss@w0rd"[..]));
        assert_eq!(d.config.get_user(), Some("alice"));
        assert_eq!(d.display, "postgresql://alice@db:5432/app");
        let err = DataSource::parse(&Secret::new("host=h password=a b=c")).unwrap_err();
        assert!(!err.contains("but got"), "{err}");
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
