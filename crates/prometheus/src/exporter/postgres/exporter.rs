//! The scrape: one kept connection per data source, the legacy metrics of every source (`pg_up`, `pg_static`,
//! `pg_stat_database_conflicts_*`, `pg_exporter_*`) and the collectors on the first source only, as
//! postgres_exporter v0.20 and Alloy do. Everything runs on a private current-thread runtime, so a scrape
//! is a plain blocking call wherever it comes from, and nothing runs between scrapes.
//!
//! With `disable_default_metrics` only the custom queries run (no `pg_static`, no legacy map, no
//! collectors), as Alloy and postgres_exporter do; the `pg_up` and `pg_exporter_*` families stay.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_prom::exposition::{Desc, FamilySet, MetricType};
use tokio::runtime::Runtime;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use super::collectors::{self, Kind};
use super::dsn::DataSource;
use super::user_queries::{self, QueryState, UserQueries};

/// Alloy's `collector.WithCollectionTimeout("10s")`.
pub const SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);

const UP: Desc = Desc::new(
    "pg_up",
    "Whether the last scrape of metrics from PostgreSQL was able to connect to the server (1 for yes, 0 for no).",
    MetricType::Gauge,
    &[],
);
const STATIC: Desc = Desc::new(
    "pg_static",
    "Version string as reported by postgres",
    MetricType::Unknown,
    &["version", "short_version", "server"],
);
const LAST_SCRAPE_DURATION: Desc = Desc::new(
    "pg_exporter_last_scrape_duration_seconds",
    "Duration of the last scrape of metrics from PostgreSQL.",
    MetricType::Gauge,
    &[],
);
const SCRAPES_TOTAL: Desc = Desc::new(
    "pg_exporter_scrapes_total",
    "Total number of times PostgreSQL was scraped for metrics.",
    MetricType::Counter,
    &[],
);
const LAST_SCRAPE_ERROR: Desc = Desc::new(
    "pg_exporter_last_scrape_error",
    "Whether the last scrape of metrics from PostgreSQL resulted in an error (1 for error, 0 for success).",
    MetricType::Gauge,
    &[],
);
const USER_QUERIES_LOAD_ERROR: Desc = Desc::new(
    "pg_exporter_user_queries_load_error",
    "Whether the user queries file was loaded and parsed successfully (1 for error, 0 for success).",
    MetricType::Gauge,
    &["filename", "hashsum"],
);
const COLLECTOR_DURATION: Desc = Desc::new(
    "pg_scrape_collector_duration_seconds",
    "postgres_exporter: Duration of a collector scrape.",
    MetricType::Gauge,
    &["collector"],
);
const COLLECTOR_SUCCESS: Desc = Desc::new(
    "pg_scrape_collector_success",
    "postgres_exporter: Whether a collector succeeded.",
    MetricType::Gauge,
    &["collector"],
);

/// postgres_exporter's legacy `pg_stat_database_conflicts` map: known columns and their HELP. Columns a
/// newer server adds (`confl_active_logicalslot` in 16) become untyped "Unknown metric" families, as there.
const CONFLICT_COLUMNS: &[(&str, &str)] = &[
    (
        "confl_tablespace",
        "Number of queries in this database that have been canceled due to dropped tablespaces",
    ),
    (
        "confl_lock",
        "Number of queries in this database that have been canceled due to lock timeouts",
    ),
    (
        "confl_snapshot",
        "Number of queries in this database that have been canceled due to old snapshots",
    ),
    (
        "confl_bufferpin",
        "Number of queries in this database that have been canceled due to pinned buffers",
    ),
    (
        "confl_deadlock",
        "Number of queries in this database that have been canceled due to deadlocks",
    ),
];

/// What the exporter scrapes.
#[derive(Clone, Debug)]
pub struct Settings {
    pub sources: Vec<DataSource>,
    pub collectors: Vec<Kind>,
    pub exclude_databases: Vec<String>,
    pub timeout: Duration,
    /// `pg_static` and the legacy `pg_stat_database_conflicts` map (off with `disable_default_metrics`).
    pub default_metrics: bool,
    /// The custom queries file, read when the component was built or updated.
    pub user_queries: Option<Arc<UserQueries>>,
}

/// The outcome of one scrape, in words for health.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Each failure, naming the server (password removed) and the server's own message.
    pub problems: Vec<String>,
    /// `postgresql://user@host:port/db (PostgreSQL 15.18)` for each source that answered.
    pub answered: Vec<String>,
}

struct Conn {
    client: Client,
    version_num: i32,
    version: String,
    short_version: String,
}

pub struct PostgresExporter {
    settings: Settings,
    runtime: Option<Runtime>,
    conns: Vec<Option<Conn>>,
    families: FamilySet,
    /// Per data source, per custom query.
    query_states: Vec<Vec<QueryState>>,
    /// Upstream sets `pg_exporter_user_queries_load_error` when it first loads the file, after the first
    /// connection; it stays from then on.
    queries_reported: bool,
    scrapes: u64,
}

impl Drop for PostgresExporter {
    fn drop(&mut self) {
        // The exporter may be dropped inside the agent's async code (a reload), where dropping a runtime
        // the ordinary way panics.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Outcome of one source's part of the scrape.
#[derive(Default)]
struct SourceOutcome {
    connected: bool,
    legacy_error: bool,
    problems: Vec<String>,
}

impl PostgresExporter {
    /// Prepares the exporter; nothing connects until the first scrape.
    pub fn new(settings: Settings) -> Result<PostgresExporter, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("creating the postgres exporter's runtime: {e}"))?;
        let per_source = settings
            .user_queries
            .as_ref()
            .map_or(0, |q| q.queries.len());
        Ok(PostgresExporter {
            conns: settings.sources.iter().map(|_| None).collect(),
            query_states: settings
                .sources
                .iter()
                .map(|_| (0..per_source).map(|_| QueryState::default()).collect())
                .collect(),
            queries_reported: false,
            settings,
            runtime: Some(runtime),
            families: FamilySet::new(),
            scrapes: 0,
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Scrapes every source and appends the exposition to `out`. Never fails: what went wrong is in the
    /// metrics (`pg_up`, `pg_scrape_collector_success`) and in the report.
    pub fn gather_into(&mut self, out: &mut Vec<u8>) -> Report {
        let start = Instant::now();
        self.scrapes += 1;
        self.families.clear();
        let mut report = Report::default();
        let mut connection_errors = 0;
        let mut any_error = false;
        let Some(runtime) = self.runtime.as_ref() else {
            return report;
        };
        let settings = &self.settings;
        let families = &mut self.families;
        for (i, source) in settings.sources.iter().enumerate() {
            let conn = &mut self.conns[i];
            let with_collectors = i == 0;
            let mut out = Output {
                families: &mut *families,
                query_states: &mut self.query_states[i],
            };
            let outcome = runtime.block_on(async {
                match tokio::time::timeout(
                    settings.timeout,
                    scrape_source(source, conn, with_collectors, settings, &mut out),
                )
                .await
                {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        // A query may still be running on that connection; start clean next time.
                        let connected = conn.is_some();
                        *conn = None;
                        SourceOutcome {
                            connected,
                            legacy_error: true,
                            problems: vec![format!(
                                "{}: the scrape did not finish within {:?}; the connection is dropped and \
                                 made again on the next scrape",
                                source.display, settings.timeout
                            )],
                        }
                    }
                }
            });
            if !outcome.connected {
                connection_errors += 1;
            } else {
                self.queries_reported = true;
            }
            any_error |= outcome.legacy_error || !outcome.problems.is_empty();
            if outcome.connected {
                if let Some(c) = conn.as_ref() {
                    report.answered.push(format!(
                        "{} (PostgreSQL {})",
                        source.display,
                        c.short_version.trim_end_matches(".0")
                    ));
                }
            }
            report.problems.extend(outcome.problems.iter().cloned());
        }
        let up = if connection_errors >= settings.sources.len() {
            0.0
        } else {
            1.0
        };
        families.push(&UP, &[], up);
        families.push(&LAST_SCRAPE_DURATION, &[], start.elapsed().as_secs_f64());
        families.push(&SCRAPES_TOTAL, &[], self.scrapes as f64);
        families.push(&LAST_SCRAPE_ERROR, &[], if any_error { 1.0 } else { 0.0 });
        if let Some(q) = settings
            .user_queries
            .as_ref()
            .filter(|_| self.queries_reported)
        {
            // A file that does not load is a configuration error, so this is always 0 here.
            families.push(&USER_QUERIES_LOAD_ERROR, &[&q.path, &q.hashsum], 0.0);
        }
        families.encode(out);
        report
    }
}

async fn connect(source: &DataSource) -> Result<Conn, tokio_postgres::Error> {
    let (client, connection) = source.config.connect(NoTls).await?;
    // Drives the socket; it ends when the client is dropped or the server goes away.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let (version, version_num) = server_version(&client).await?;
    Ok(Conn {
        client,
        short_version: short_version(&version),
        version,
        version_num,
    })
}

async fn server_version(client: &Client) -> Result<(String, i32), tokio_postgres::Error> {
    let messages = client
        .simple_query("SELECT version(), current_setting('server_version_num')")
        .await?;
    for m in messages {
        if let SimpleQueryMessage::Row(r) = m {
            let version = r.get(0).unwrap_or("").to_string();
            let num = r.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
            return Ok((version, num));
        }
    }
    Ok((String::new(), 0))
}

/// Makes sure `conn` holds a live connection: reconnects when there is none or it has closed, and once more
/// when the first query fails on a connection the server dropped between scrapes (a restart).
async fn ensure_connected<'c>(
    source: &DataSource,
    conn: &'c mut Option<Conn>,
) -> Result<&'c mut Conn, String> {
    let mut fresh = false;
    if !matches!(conn, Some(c) if !c.client.is_closed()) {
        *conn = None;
        let c = connect(source)
            .await
            .map_err(|e| connect_problem(source, &e))?;
        *conn = Some(c);
        fresh = true;
    }
    if !fresh {
        let c = conn.as_mut().expect("a connection was just checked");
        match server_version(&c.client).await {
            Ok((version, num)) => {
                if version != c.version {
                    c.short_version = short_version(&version);
                    c.version = version;
                }
                c.version_num = num;
            }
            Err(_) => {
                *conn = None;
                let c = connect(source)
                    .await
                    .map_err(|e| connect_problem(source, &e))?;
                *conn = Some(c);
            }
        }
    }
    Ok(conn.as_mut().expect("connected above"))
}

/// Where one data source's part of the scrape goes.
struct Output<'a> {
    families: &'a mut FamilySet,
    query_states: &'a mut [QueryState],
}

async fn scrape_source(
    source: &DataSource,
    conn: &mut Option<Conn>,
    with_collectors: bool,
    settings: &Settings,
    out: &mut Output<'_>,
) -> SourceOutcome {
    let families = &mut *out.families;
    let mut outcome = SourceOutcome::default();
    let c = match ensure_connected(source, conn).await {
        Ok(c) => c,
        Err(problem) => {
            outcome.problems.push(problem);
            if with_collectors {
                // Upstream emits nothing for the collectors here; a 0 per collector says that they ran
                // and failed, so an alert on pg_scrape_collector_success fires.
                for kind in &settings.collectors {
                    families.push(&COLLECTOR_DURATION, &[kind.name()], 0.0);
                    families.push(&COLLECTOR_SUCCESS, &[kind.name()], 0.0);
                }
            }
            return outcome;
        }
    };
    outcome.connected = true;
    let user_queries = settings.user_queries.as_deref();
    if settings.default_metrics {
        families.push(
            &STATIC,
            &[&c.version, &c.short_version, &source.server],
            1.0,
        );
        // A custom query of that name replaces the built-in one, as upstream merges the maps.
        let overridden = user_queries.is_some_and(|q| q.defines("pg_stat_database_conflicts"));
        if !overridden {
            if let Err(e) = conflicts(&c.client, &source.server, families).await {
                outcome.legacy_error = true;
                outcome.problems.push(format!(
                    "{}: reading pg_stat_database_conflicts failed: {}",
                    source.display,
                    describe(&e)
                ));
            }
        }
    }
    if with_collectors {
        let input = collectors::Input {
            client: &c.client,
            version_num: c.version_num,
            exclude_databases: &settings.exclude_databases,
        };
        for kind in &settings.collectors {
            let begin = Instant::now();
            let result = collectors::run(*kind, &input, families).await;
            families.push(
                &COLLECTOR_DURATION,
                &[kind.name()],
                begin.elapsed().as_secs_f64(),
            );
            families.push(
                &COLLECTOR_SUCCESS,
                &[kind.name()],
                if result.is_ok() { 1.0 } else { 0.0 },
            );
            if let Err(e) = result {
                outcome.problems.push(format!(
                    "{}: collector {} failed: {}",
                    source.display,
                    kind.name(),
                    describe(&e)
                ));
            }
        }
    }
    if let Some(queries) = user_queries {
        let failures = user_queries::scrape(
            &c.client,
            queries,
            out.query_states,
            &source.server,
            &source.display,
            families,
        )
        .await;
        if !failures.is_empty() {
            outcome.legacy_error = true;
        }
        for f in failures {
            outcome.problems.push(format!("{}: {f}", source.display));
        }
    }
    if c.client.is_closed() {
        *conn = None;
    }
    outcome
}

async fn conflicts(
    client: &Client,
    server: &str,
    families: &mut FamilySet,
) -> Result<(), tokio_postgres::Error> {
    let mut name = String::new();
    for m in client
        .simple_query("SELECT * FROM pg_stat_database_conflicts")
        .await?
    {
        let SimpleQueryMessage::Row(r) = m else {
            continue;
        };
        let columns = r.columns();
        let find = |n: &str| columns.iter().position(|c| c.name() == n);
        let datid = find("datid").and_then(|i| r.get(i)).unwrap_or("");
        let datname = find("datname").and_then(|i| r.get(i)).unwrap_or("");
        for (i, col) in columns.iter().enumerate() {
            let col = col.name();
            if col == "datid" || col == "datname" {
                continue;
            }
            let Some(value) = r.get(i).and_then(|v| v.parse::<f64>().ok()) else {
                continue;
            };
            name.clear();
            name.push_str("pg_stat_database_conflicts_");
            name.push_str(col);
            let (help, kind) = match CONFLICT_COLUMNS.iter().find(|(c, _)| *c == col) {
                Some((_, help)) => (*help, MetricType::Counter),
                None => (
                    "Unknown metric from pg_stat_database_conflicts",
                    MetricType::Unknown,
                ),
            };
            families
                .family_with(&name, help, kind, &["datid", "datname", "server"])
                .push(&[datid, datname, server], value);
        }
    }
    Ok(())
}

/// `15.18.0` from `PostgreSQL 15.18 (Debian …) on …`, as upstream's tolerant semver parse gives it.
pub fn short_version(version: &str) -> String {
    let number = version
        .split_once(' ')
        .map(|(_, rest)| rest)
        .unwrap_or(version);
    let digits: String = number
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut parts: Vec<u64> = digits
        .split('.')
        .filter(|p| !p.is_empty())
        .take(3)
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    if parts.is_empty() {
        return String::new();
    }
    parts.resize(3, 0);
    format!("{}.{}.{}", parts[0], parts[1], parts[2])
}

/// The server's own message for a database error, else the client's, with a hint for the common causes.
pub fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = db.message().to_string();
        if let Some(detail) = db.detail() {
            s.push_str(" (");
            s.push_str(detail);
            s.push(')');
        }
        if let Some(hint) = db.hint() {
            s.push_str("; hint: ");
            s.push_str(hint);
        }
        return s;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    "connection refused: PostgreSQL is not listening there (is it running, and are host and port right?)"
                        .to_string()
                }
                std::io::ErrorKind::NotFound => format!(
                    "{io}: no PostgreSQL socket there (is it running, and is the socket directory right?)"
                ),
                _ => format!("{e}"),
            };
        }
        source = s.source();
    }
    e.to_string()
}

/// Built from the source's display name (which never holds the password) and the server's or the
/// network's own words (which never hold it either: the password is sent, never echoed).
fn connect_problem(source: &DataSource, e: &tokio_postgres::Error) -> String {
    format!("cannot connect to {}: {}", source.display, describe(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_versions() {
        assert_eq!(
            short_version("PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu"),
            "15.18.0"
        );
        assert_eq!(short_version("PostgreSQL 17.2 on aarch64"), "17.2.0");
        assert_eq!(short_version("PostgreSQL 16beta1"), "16.0.0");
    }
}
