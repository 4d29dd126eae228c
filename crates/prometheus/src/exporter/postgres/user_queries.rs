//! postgres_exporter's "user queries" (`custom_queries_config_path`, its `queries.yaml`), as v0.20's
//! `exporter/queries.go`, `namespace.go` and `makeDescMap` turn them into metrics.
//!
//! The file is a map of metric prefix to `{query, master, cache_seconds, runonserver, metrics}`, where
//! `metrics` lists `{column: {usage, description}}`. Every row of the query's result gives, for each
//! column, `<prefix>_<column>` (`<prefix>_<column>_milliseconds` for `DURATION`) with the `LABEL`
//! columns and the server's `server="host:port"` as labels and the `description` as HELP; a column the
//! file does not list becomes an untyped `Unknown metric from <prefix>` family when its value is a number.
//!
//! Values convert as lib/pq hands them to postgres_exporter: integers, floats and booleans by their
//! type, `date`/`time`/`timestamp[tz]` as Unix seconds, NULL as NaN, anything else parsed from its text.
//! The column types come from preparing the query; a query that cannot be prepared (several statements)
//! is read as text.
//!
//! Where this differs from v0.20, on purpose: the file is read when the component is built or updated and a
//! bad file is a configuration error (upstream logs it and sets `pg_exporter_user_queries_load_error 1`); a
//! missing `query`, an unknown `usage`, a metric or label name Prometheus does not accept, a `LABEL` column
//! named `server` and a `LABEL` column absent from the result are errors (upstream skips the query, drops
//! the column silently, or panics); a failed query is not cached for `cache_seconds`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_prom::exposition::go_float::format_go_float;
use ingot_prom::exposition::{FamilySet, HistogramValue, MetricType};
use sha2::{Digest, Sha256};
use tokio_postgres::types::Type;
use tokio_postgres::{Client, SimpleQueryMessage};
use yaml_rust2::Yaml;

/// How a column becomes a metric (`usage` in the file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    Discard,
    Label,
    Counter,
    Gauge,
    MappedMetric,
    Duration,
    Histogram,
}

impl Usage {
    const NAMES: [(&'static str, Usage); 7] = [
        ("DISCARD", Usage::Discard),
        ("LABEL", Usage::Label),
        ("COUNTER", Usage::Counter),
        ("GAUGE", Usage::Gauge),
        ("MAPPEDMETRIC", Usage::MappedMetric),
        ("DURATION", Usage::Duration),
        ("HISTOGRAM", Usage::Histogram),
    ];

    fn parse(s: &str) -> Option<Usage> {
        Usage::NAMES.iter().find(|(n, _)| *n == s).map(|(_, u)| *u)
    }
}

/// What the scrape does with one column of the result.
#[derive(Clone, Debug, PartialEq)]
enum ColumnUse {
    /// `DISCARD`, `LABEL`, `MAPPEDMETRIC` (v0.20 drops the `metric_mapping` of user queries, so such a
    /// column never has a value) and the `_bucket`/`_sum`/`_count` columns of a `HISTOGRAM`.
    Skip,
    Metric {
        name: String,
        help: Arc<str>,
        kind: MetricKind,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MetricKind {
    Counter,
    Gauge,
    Duration,
    Histogram,
}

/// One entry of the file.
#[derive(Clone, Debug)]
pub struct UserQuery {
    /// The metric prefix (the entry's key).
    pub name: String,
    pub query: String,
    /// Only on the data sources given in the configuration; all of them are, as ingot does not discover
    /// databases.
    pub master: bool,
    pub cache_seconds: u64,
    /// The `LABEL` columns, sorted, then `server`.
    label_names: Vec<String>,
    columns: HashMap<String, ColumnUse>,
    unknown_help: Arc<str>,
}

/// The parsed file.
#[derive(Clone, Debug)]
pub struct UserQueries {
    pub path: String,
    /// The file's sha256, lowercase hex: the `hashsum` label of `pg_exporter_user_queries_load_error`.
    pub hashsum: String,
    /// Sorted by prefix.
    pub queries: Vec<UserQuery>,
}

impl UserQueries {
    /// Reads and checks the file; the error names the file and the problem.
    pub fn load(path: &str) -> Result<UserQueries, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("reading {path}: {e}"))?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| format!("{path}: the file is not UTF-8: {e}"))?;
        let queries = parse(text).map_err(|e| format!("{path}: {e}"))?;
        let hashsum = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(UserQueries {
            path: path.to_string(),
            hashsum,
            queries,
        })
    }

    /// Whether the file defines this prefix (it then replaces the built-in query of that name).
    pub fn defines(&self, prefix: &str) -> bool {
        self.queries.iter().any(|q| q.name == prefix)
    }
}

fn is_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with("__")
}

fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// yaml.v2 (YAML 1.1) booleans.
fn yaml_bool(y: &Yaml) -> Option<bool> {
    match y {
        Yaml::Boolean(b) => Some(*b),
        Yaml::Null => Some(false),
        Yaml::String(s) => match s.as_str() {
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
                Some(true)
            }
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False"
            | "FALSE" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Parses the file's text.
pub fn parse(text: &str) -> Result<Vec<UserQuery>, String> {
    let docs = yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| {
        let at = e.marker();
        format!("line {} column {}: {}", at.line(), at.col() + 1, e.info())
    })?;
    let Some(doc) = docs.first() else {
        return Ok(Vec::new());
    };
    if doc.is_null() {
        return Ok(Vec::new());
    }
    let Yaml::Hash(top) = doc else {
        return Err("expected a map of metric prefix to query".into());
    };
    let mut out = Vec::new();
    for (key, spec) in top {
        let name = scalar(key).ok_or("a metric prefix must be a string")?;
        out.push(parse_query(&name, spec).map_err(|e| format!("{name}: {e}"))?);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn parse_query(name: &str, spec: &Yaml) -> Result<UserQuery, String> {
    let Yaml::Hash(spec) = spec else {
        return Err("expected a map with query and metrics".into());
    };
    let mut query = String::new();
    let mut master = false;
    let mut cache_seconds = 0;
    // (column, usage, description) in file order; a column listed twice keeps its last entry.
    let mut listed: Vec<(String, Usage, String)> = Vec::new();
    for (k, v) in spec {
        match k.as_str() {
            Some("query") => {
                query = match v {
                    Yaml::Null => String::new(),
                    _ => scalar(v).ok_or("query must be a string")?,
                }
            }
            Some("master") => {
                master = yaml_bool(v).ok_or("master must be true or false")?;
            }
            Some("cache_seconds") => {
                cache_seconds = match v {
                    Yaml::Null => 0,
                    Yaml::Integer(i) if *i >= 0 => *i as u64,
                    _ => return Err("cache_seconds must be a whole number of seconds".into()),
                }
            }
            Some("metrics") => {
                let items = match v {
                    Yaml::Null => continue,
                    Yaml::Array(items) => items,
                    _ => {
                        return Err(
                            "metrics must be a list of {column: {usage, description}}".into()
                        )
                    }
                };
                for (i, item) in items.iter().enumerate() {
                    let Yaml::Hash(columns) = item else {
                        return Err(format!(
                            "metrics[{i}]: expected a map of column name to {{usage, description}}"
                        ));
                    };
                    for (col, opts) in columns {
                        let col = scalar(col).ok_or_else(|| {
                            format!("metrics[{i}]: a column name must be a string")
                        })?;
                        let (usage, description) =
                            parse_column(opts).map_err(|e| format!("metrics[{i}].{col}: {e}"))?;
                        listed.retain(|(c, _, _)| *c != col);
                        listed.push((col, usage, description));
                    }
                }
            }
            // `runonserver` is read but never used by v0.20; other keys are ignored, as yaml.v2 does.
            _ => {}
        }
    }
    if query.trim().is_empty() {
        return Err("query is missing or empty".into());
    }
    let mut label_names: Vec<String> = Vec::new();
    for (col, usage, _) in &listed {
        if *usage != Usage::Label {
            continue;
        }
        if col == "server" {
            return Err(
                "column server cannot be a LABEL: every metric already has the server label".into(),
            );
        }
        if !is_label_name(col) {
            return Err(format!(
                "column {col:?} cannot be a LABEL: not a valid label name"
            ));
        }
        label_names.push(col.clone());
    }
    label_names.sort();
    label_names.push("server".to_string());
    let mut columns = HashMap::new();
    for (col, usage, description) in listed {
        let help: Arc<str> = description.into();
        let metric = |suffix: &str, kind: MetricKind| -> Result<ColumnUse, String> {
            let metric = format!("{name}_{col}{suffix}");
            if !is_metric_name(&metric) {
                return Err(format!("{metric:?} is not a valid metric name"));
            }
            Ok(ColumnUse::Metric {
                name: metric,
                help: help.clone(),
                kind,
            })
        };
        let column_use = match usage {
            Usage::Discard | Usage::Label => ColumnUse::Skip,
            Usage::MappedMetric => {
                tracing::warn!(
                    "custom query {name}: column {col} is MAPPEDMETRIC, which postgres_exporter v0.20 never \
                     fills for custom queries (it drops metric_mapping); ingot does the same"
                );
                ColumnUse::Skip
            }
            Usage::Counter => metric("", MetricKind::Counter)?,
            Usage::Gauge => metric("", MetricKind::Gauge)?,
            Usage::Duration => metric("_milliseconds", MetricKind::Duration)?,
            Usage::Histogram => {
                for part in ["_bucket", "_sum", "_count"] {
                    columns.insert(format!("{col}{part}"), ColumnUse::Skip);
                }
                metric("", MetricKind::Histogram)?
            }
        };
        columns.insert(col, column_use);
    }
    Ok(UserQuery {
        name: name.to_string(),
        query,
        master,
        cache_seconds,
        label_names,
        columns,
        unknown_help: format!("Unknown metric from {name}").into(),
    })
}

fn parse_column(opts: &Yaml) -> Result<(Usage, String), String> {
    let Yaml::Hash(opts) = opts else {
        return Err("expected a map with usage and description".into());
    };
    let mut usage = None;
    let mut description = String::new();
    for (k, v) in opts {
        match k.as_str() {
            Some("usage") => {
                let s = scalar(v).unwrap_or_default();
                usage = Some(Usage::parse(&s).ok_or_else(|| {
                    let known = Usage::NAMES.map(|(n, _)| n).join(", ");
                    format!("unknown usage {s:?}; expected one of {known}")
                })?);
            }
            Some("description") => {
                description = match v {
                    Yaml::Null => String::new(),
                    _ => scalar(v).ok_or("description must be a string")?,
                }
            }
            // `metric_mapping` and `pg_version` are dropped by v0.20 for user queries.
            _ => {}
        }
    }
    let usage = usage.ok_or_else(|| {
        let known = Usage::NAMES.map(|(n, _)| n).join(", ");
        format!("usage is missing; expected one of {known}")
    })?;
    Ok((usage, description))
}

/// One metric a query produced (kept for `cache_seconds`).
#[derive(Clone, Debug)]
pub struct Emitted {
    name: String,
    help: Arc<str>,
    kind: Option<MetricType>,
    /// Values for the query's label names.
    labels: Vec<String>,
    value: f64,
    histogram: Option<HistogramValue>,
}

/// The families the exporter writes after the queries have run.
const RESERVED: &[&str] = &[
    "pg_up",
    "pg_static",
    "pg_exporter_last_scrape_duration_seconds",
    "pg_exporter_scrapes_total",
    "pg_exporter_last_scrape_error",
    "pg_exporter_user_queries_load_error",
    "pg_scrape_collector_duration_seconds",
    "pg_scrape_collector_success",
];

/// Per data source and query: the cache and what was last logged.
#[derive(Debug, Default)]
pub struct QueryState {
    cached: Option<(Instant, Vec<Emitted>)>,
    /// The last failure, logged once until it changes or the query succeeds.
    last_error: Option<String>,
    notes_logged: bool,
}

/// Runs every query on one data source and adds its metrics. Returns the failures, one per failed query,
/// as `custom query <prefix> failed: <the server's message>`.
pub async fn scrape(
    client: &Client,
    queries: &UserQueries,
    states: &mut [QueryState],
    server: &str,
    shown: &str,
    families: &mut FamilySet,
) -> Vec<String> {
    let mut failures = Vec::new();
    let now = Instant::now();
    for (q, state) in queries.queries.iter().zip(states.iter_mut()) {
        let fresh = match &state.cached {
            Some((at, _)) => {
                now.duration_since(*at) <= Duration::from_secs(q.cache_seconds)
                    && q.cache_seconds > 0
            }
            None => false,
        };
        if !fresh {
            match run(client, q, server).await {
                Ok((emitted, notes)) => {
                    if state.last_error.take().is_some() {
                        tracing::info!(query = %q.name, server = %shown, "custom query succeeds again");
                    }
                    if !notes.is_empty() && !state.notes_logged {
                        state.notes_logged = true;
                        tracing::warn!(
                            query = %q.name,
                            server = %shown,
                            "custom query: some values were left out (logged once): {}",
                            notes.join("; ")
                        );
                    }
                    state.cached = Some((now, emitted));
                }
                Err(e) => {
                    let problem = format!("custom query {} failed: {e}", q.name);
                    if state.last_error.as_deref() != Some(problem.as_str()) {
                        tracing::warn!(server = %shown, "{problem}");
                        state.last_error = Some(problem.clone());
                    }
                    state.cached = None;
                    failures.push(problem);
                    continue;
                }
            }
        }
        if let Some((_, emitted)) = &state.cached {
            let label_names: Vec<&str> = q.label_names.iter().map(String::as_str).collect();
            let mut sorted = label_names.clone();
            sorted.sort_unstable();
            for e in emitted {
                // A name the exporter uses itself, or one another query gives other labels, would make an
                // exposition Prometheus rejects (client_golang fails such a gather): that sample is left out.
                let clash = RESERVED.contains(&e.name.as_str())
                    || families.get(&e.name).is_some_and(|f| {
                        f.kind().is_histogram() != e.histogram.is_some()
                            || !f.label_names().iter().eq(sorted.iter())
                    });
                if clash {
                    if !state.notes_logged {
                        state.notes_logged = true;
                        tracing::warn!(
                            query = %q.name,
                            server = %shown,
                            "custom query: metric {} is left out: another family of that name exists \
                             (logged once)",
                            e.name
                        );
                    }
                    continue;
                }
                let labels: Vec<&str> = e.labels.iter().map(String::as_str).collect();
                match (&e.histogram, e.kind) {
                    (Some(h), _) => families
                        .family_with(&e.name, &e.help, MetricType::Histogram, &label_names)
                        .push_histogram(&labels, h.buckets.iter().copied(), h.sum, h.count),
                    (None, Some(kind)) => families
                        .family_with(&e.name, &e.help, kind, &label_names)
                        .push(&labels, e.value),
                    (None, None) => {}
                }
            }
        }
    }
    failures
}

/// A value as lib/pq hands it to postgres_exporter.
#[derive(Debug, Clone, PartialEq)]
enum Cell<'a> {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    /// `time.Time`, as its Unix seconds.
    Time(i64),
    /// `string` or `[]byte`.
    Text(std::borrow::Cow<'a, str>),
}

fn cell<'a>(text: Option<&'a str>, ty: Option<&Type>) -> Cell<'a> {
    let Some(text) = text else {
        return Cell::Null;
    };
    let typed = match ty {
        Some(t) if *t == Type::INT2 || *t == Type::INT4 || *t == Type::INT8 => {
            text.parse().ok().map(Cell::Int)
        }
        Some(t) if *t == Type::FLOAT8 => go_parse_float(text).map(Cell::Float),
        Some(t) if *t == Type::FLOAT4 => text
            .parse::<f32>()
            .ok()
            .filter(|f| f.is_finite() || !text.bytes().any(|b| b.is_ascii_digit()))
            .map(|f| Cell::Float(f64::from(f))),
        Some(t) if *t == Type::BOOL => Some(Cell::Bool(text == "t")),
        Some(t) if *t == Type::DATE || *t == Type::TIMESTAMP || *t == Type::TIMESTAMPTZ => {
            parse_timestamp(text).map(Cell::Time)
        }
        Some(t) if *t == Type::TIME || *t == Type::TIMETZ => parse_time(text).map(Cell::Time),
        Some(t) if *t == Type::BYTEA => text.strip_prefix("\\x").and_then(|hex| {
            let bytes: Option<Vec<u8>> = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
                .collect();
            bytes.map(|b| Cell::Text(String::from_utf8_lossy(&b).into_owned().into()))
        }),
        _ => None,
    };
    typed.unwrap_or(Cell::Text(text.into()))
}

/// `dbToFloat64`.
fn to_float(c: &Cell<'_>) -> Option<f64> {
    match c {
        Cell::Null => Some(f64::NAN),
        Cell::Int(i) => Some(*i as f64),
        Cell::Float(f) => Some(*f),
        Cell::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Cell::Time(t) => Some(*t as f64),
        Cell::Text(s) => go_parse_float(s),
    }
}

/// `dbToUint64`.
fn to_uint(c: &Cell<'_>) -> Option<u64> {
    match c {
        Cell::Null => Some(0),
        Cell::Int(i) => Some(*i as u64),
        Cell::Float(f) => Some(*f as u64),
        Cell::Bool(b) => Some(u64::from(*b)),
        Cell::Time(t) => Some(*t as u64),
        Cell::Text(s) => {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        }
    }
}

/// `dbToString`.
fn to_label(c: &Cell<'_>) -> String {
    match c {
        Cell::Null => String::new(),
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) => format_go_float(*f),
        Cell::Bool(b) => b.to_string(),
        Cell::Time(t) => t.to_string(),
        Cell::Text(s) => s.to_string(),
    }
}

/// Go's `strconv.ParseFloat(s, 64)`: an out-of-range value is an error there.
pub fn go_parse_float(s: &str) -> Option<f64> {
    ingot_prom::text_parse::go_parse_float(s.as_bytes()).ok()
}

/// Go's `time.ParseDuration`, in nanoseconds.
pub fn go_parse_duration(s: &str) -> Option<i64> {
    ingot_gocompat::time::parse_duration(s).ok()
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `HH:MM:SS[.frac]` then an optional `±HH[:MM[:SS]]` offset: seconds of the day minus the offset.
fn parse_clock(s: &str) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let h: i64 = s[0..2].parse().ok()?;
    let m: i64 = s[3..5].parse().ok()?;
    let sec: i64 = s[6..8].parse().ok()?;
    let mut rest = &s[8..];
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        rest = &r[n..];
    }
    let mut secs = h * 3600 + m * 60 + sec;
    if let Some(sign) = rest.chars().next().filter(|c| *c == '+' || *c == '-') {
        let end = rest.find(' ').unwrap_or(rest.len());
        let mut offset = 0;
        for (i, part) in rest[1..end].split(':').enumerate() {
            let v: i64 = part.parse().ok()?;
            offset += v * [3600, 60, 1].get(i)?;
        }
        secs -= if sign == '-' { -offset } else { offset };
        rest = &rest[end..];
    }
    Some((secs, rest))
}

/// lib/pq's `ParseTimestamp` for ISO output: `date`, `timestamp` (taken as UTC) and `timestamptz`.
fn parse_timestamp(s: &str) -> Option<i64> {
    let dash = s.get(1..)?.find('-')? + 1;
    let year: i64 = s[..dash].parse().ok()?;
    let b = s.as_bytes();
    if b.len() < dash + 6 || b[dash + 3] != b'-' {
        return None;
    }
    let month: i64 = s[dash + 1..dash + 3].parse().ok()?;
    let day: i64 = s[dash + 4..dash + 6].parse().ok()?;
    let mut rest = &s[dash + 6..];
    let mut secs = 0;
    if let Some(r) = rest.strip_prefix(' ').filter(|r| !r.starts_with("BC")) {
        let (s, r) = parse_clock(r)?;
        secs = s;
        rest = r;
    }
    let year = match rest {
        "" => year,
        " BC" => 1 - year,
        _ => return None,
    };
    Some(days_from_civil(year, month, day) * 86_400 + secs)
}

/// lib/pq's `time`/`timetz`: a time on 0000-01-01.
fn parse_time(s: &str) -> Option<i64> {
    let (secs, rest) = parse_clock(s)?;
    rest.is_empty()
        .then(|| days_from_civil(0, 1, 1) * 86_400 + secs)
}

/// A one-dimensional array's elements, as `pq.Float64Array`/`pq.Int64Array` scan them.
fn parse_array<T>(c: &Cell<'_>, elem: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
    let s = match c {
        Cell::Null => return Ok(Vec::new()),
        Cell::Text(s) => s,
        other => return Err(format!("cannot convert {other:?} to an array")),
    };
    let inner = s
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .ok_or_else(|| format!("{s:?} is not an array"))?;
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    if inner.starts_with('{') {
        return Err(format!("{s:?} has more than one dimension"));
    }
    let mut out = Vec::new();
    for raw in inner.split(',') {
        if raw == "NULL" {
            return Err(format!("{s:?}: cannot convert NULL"));
        }
        let v = raw.trim_matches('"');
        out.push(elem(v).ok_or_else(|| format!("{s:?}: cannot parse {v:?}"))?);
    }
    Ok(out)
}

type RunResult = Result<(Vec<Emitted>, Vec<String>), String>;

/// Runs one query: its metrics and the values left out, or why it failed (the server's message).
async fn run(client: &Client, q: &UserQuery, server: &str) -> RunResult {
    // The result's types: lib/pq converts by type, the simple protocol only gives text.
    let types: Option<Vec<(String, Type)>> = match client.prepare(&q.query).await {
        Ok(st) => Some(
            st.columns()
                .iter()
                .map(|c| (c.name().to_string(), c.type_().clone()))
                .collect(),
        ),
        Err(_) => None,
    };
    let messages = client
        .simple_query(&q.query)
        .await
        .map_err(|e| super::exporter::describe(&e))?;
    let mut columns: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for m in messages {
        match m {
            SimpleQueryMessage::RowDescription(cols) if columns.is_none() => {
                columns = Some(cols.iter().map(|c| c.name().to_string()).collect());
            }
            SimpleQueryMessage::Row(r) => {
                if columns.is_none() {
                    columns = Some(r.columns().iter().map(|c| c.name().to_string()).collect());
                }
                rows.push(r);
            }
            // The first result set with columns is the one read, as lib/pq does.
            SimpleQueryMessage::CommandComplete(_) if columns.is_some() => break,
            _ => {}
        }
    }
    let columns = columns.unwrap_or_default();
    let types: Option<Vec<Type>> = types
        .filter(|t| t.len() == columns.len() && t.iter().zip(&columns).all(|((n, _), c)| n == c))
        .map(|t| t.into_iter().map(|(_, ty)| ty).collect());
    let index: HashMap<&str, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let label_index: Vec<usize> = q.label_names[..q.label_names.len() - 1]
        .iter()
        .map(|l| {
            index.get(l.as_str()).copied().ok_or_else(|| {
                format!("column {l:?} is declared as LABEL but the query does not return it")
            })
        })
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for row in &rows {
        let cells: Vec<Cell<'_>> = (0..columns.len())
            .map(|i| {
                let text = row.try_get(i).ok().flatten();
                cell(text, types.as_ref().map(|t| &t[i]))
            })
            .collect();
        let mut labels: Vec<String> = label_index.iter().map(|&i| to_label(&cells[i])).collect();
        labels.push(server.to_string());
        for (i, col) in columns.iter().enumerate() {
            let c = &cells[i];
            let (name, help, kind) = match q.columns.get(col.as_str()) {
                Some(ColumnUse::Skip) => continue,
                Some(ColumnUse::Metric { name, help, kind }) => (name.clone(), help.clone(), *kind),
                None => {
                    let name = format!("{}_{col}", q.name);
                    if !is_metric_name(&name) {
                        notes.push(format!("column {col}: {name:?} is not a valid metric name"));
                        continue;
                    }
                    let Some(value) = to_float(c) else {
                        notes.push(format!("column {col}: not a number ({})", to_label(c)));
                        continue;
                    };
                    out.push(Emitted {
                        name,
                        help: q.unknown_help.clone(),
                        kind: Some(MetricType::Unknown),
                        labels: labels.clone(),
                        value,
                        histogram: None,
                    });
                    continue;
                }
            };
            let (kind, value, histogram) = match kind {
                MetricKind::Counter | MetricKind::Gauge => {
                    let Some(v) = to_float(c) else {
                        notes.push(format!("column {col}: not a number ({})", to_label(c)));
                        continue;
                    };
                    let t = if kind == MetricKind::Counter {
                        MetricType::Counter
                    } else {
                        MetricType::Gauge
                    };
                    (t, v, None)
                }
                MetricKind::Duration => {
                    let parsed = match c {
                        Cell::Text(s) if s != "-1" => go_parse_duration(s),
                        _ => None,
                    };
                    let Some(ns) = parsed else {
                        notes.push(format!("column {col}: not a duration ({})", to_label(c)));
                        continue;
                    };
                    (MetricType::Gauge, (ns / 1_000_000) as f64, None)
                }
                MetricKind::Histogram => {
                    let h = histogram_value(col, &cells, &index, &mut notes)
                        .map_err(|e| format!("column {col}: {e}"))?;
                    let Some(h) = h else { continue };
                    (MetricType::Histogram, 0.0, Some(h))
                }
            };
            out.push(Emitted {
                name,
                help,
                kind: Some(kind),
                labels: labels.clone(),
                value,
                histogram,
            });
        }
    }
    Ok((out, notes))
}

/// A `HISTOGRAM` column: its bounds, `<col>_bucket`, `<col>_sum` and `<col>_count`. Unreadable arrays fail
/// the query (as upstream); a missing or unreadable sum or count only leaves the sample out.
fn histogram_value(
    col: &str,
    cells: &[Cell<'_>],
    index: &HashMap<&str, usize>,
    notes: &mut Vec<String>,
) -> Result<Option<HistogramValue>, String> {
    let bounds = parse_array(&cells[index[col]], go_parse_float)?;
    let Some(&bi) = index.get(format!("{col}_bucket").as_str()) else {
        notes.push(format!("missing column {col}_bucket"));
        return Ok(None);
    };
    let counts = parse_array(&cells[bi], |s| s.parse::<i64>().ok())?;
    let sum = index
        .get(format!("{col}_sum").as_str())
        .and_then(|&i| to_float(&cells[i]));
    let count = index
        .get(format!("{col}_count").as_str())
        .and_then(|&i| to_uint(&cells[i]));
    let (Some(sum), Some(count)) = (sum, count) else {
        notes.push(format!(
            "column {col}: missing or unreadable {col}_sum or {col}_count"
        ));
        return Ok(None);
    };
    let mut buckets: Vec<(f64, u64)> = Vec::new();
    for (bound, c) in bounds.into_iter().zip(counts) {
        buckets.retain(|(b, _)| *b != bound);
        buckets.push((bound, c as u64));
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(Some(HistogramValue {
        buckets,
        sum,
        count,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_file_format() {
        let qs = parse(
            "pg_orders:\n  query: SELECT status, count(*) AS n FROM orders GROUP BY status\n  \
             master: yes\n  cache_seconds: 30\n  metrics:\n    - status:\n        usage: LABEL\n        \
             description: Order status\n    - n:\n        usage: GAUGE\n        description: Orders\n",
        )
        .unwrap();
        assert_eq!(qs.len(), 1);
        let q = &qs[0];
        assert_eq!(q.name, "pg_orders");
        assert!(q.master);
        assert_eq!(q.cache_seconds, 30);
        assert_eq!(q.label_names, ["status", "server"]);
        assert_eq!(
            q.columns["n"],
            ColumnUse::Metric {
                name: "pg_orders_n".into(),
                help: "Orders".into(),
                kind: MetricKind::Gauge
            }
        );
        assert_eq!(q.columns["status"], ColumnUse::Skip);
    }

    #[test]
    fn refuses_what_cannot_work() {
        let err = |text: &str| parse(text).unwrap_err();
        assert_eq!(
            err("a:\n  b: 1\n c: 2\n"),
            "line 3 column 3: while parsing a block mapping, did not find expected key"
        );
        assert_eq!(
            err("pg_x:\n  query: SELECT 1 AS n\n  metrics:\n    - n:\n        usage: GAUGES\n"),
            "pg_x: metrics[0].n: unknown usage \"GAUGES\"; expected one of DISCARD, LABEL, COUNTER, \
             GAUGE, MAPPEDMETRIC, DURATION, HISTOGRAM"
        );
        assert_eq!(
            err("pg_x:\n  metrics: []\n"),
            "pg_x: query is missing or empty"
        );
        assert!(
            err("pg_x:\n  query: q\n  metrics:\n    - server:\n        usage: LABEL\n")
                .contains("server")
        );
        assert!(
            err("pg-x:\n  query: q\n  metrics:\n    - n:\n        usage: GAUGE\n")
                .contains("not a valid metric name")
        );
        assert!(err("- a\n").contains("expected a map"));
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn converts_values_as_lib_pq() {
        assert_eq!(to_float(&cell(Some("t"), Some(&Type::BOOL))), Some(1.0));
        assert_eq!(to_label(&cell(Some("f"), Some(&Type::BOOL))), "false");
        assert_eq!(to_label(&cell(Some("1e+06"), Some(&Type::FLOAT8))), "1e+06");
        assert_eq!(
            to_label(&cell(Some("1000000"), Some(&Type::FLOAT8))),
            "1e+06"
        );
        assert_eq!(
            to_label(&cell(Some("0.1"), Some(&Type::FLOAT4))),
            "0.10000000149011612"
        );
        assert_eq!(
            to_label(&cell(Some("12.50"), Some(&Type::NUMERIC))),
            "12.50"
        );
        assert_eq!(
            to_float(&cell(Some("12.50"), Some(&Type::NUMERIC))),
            Some(12.5)
        );
        assert!(to_float(&cell(None, Some(&Type::INT4))).unwrap().is_nan());
        assert_eq!(to_float(&cell(Some("abc"), Some(&Type::TEXT))), None);
        assert_eq!(
            to_float(&cell(
                Some("2024-01-02 03:04:05.678+02"),
                Some(&Type::TIMESTAMPTZ)
            )),
            Some(1_704_157_445.0)
        );
        assert_eq!(
            to_float(&cell(Some("2024-01-02 03:04:05"), Some(&Type::TIMESTAMP))),
            Some(1_704_164_645.0)
        );
        assert_eq!(
            to_float(&cell(Some("1970-01-02"), Some(&Type::DATE))),
            Some(86_400.0)
        );
        assert_eq!(
            to_float(&cell(Some("infinity"), Some(&Type::TIMESTAMPTZ))),
            Some(f64::INFINITY)
        );
        assert_eq!(go_parse_float("1e400"), None);
        assert_eq!(go_parse_float("-Inf"), Some(f64::NEG_INFINITY));
    }

    #[test]
    fn durations_as_go() {
        assert_eq!(go_parse_duration("1h2m3.5s"), Some(3_723_500_000_000));
        assert_eq!(go_parse_duration("-1.5ms"), Some(-1_500_000));
        assert_eq!(go_parse_duration("0"), Some(0));
        assert_eq!(go_parse_duration("300µs"), Some(300_000));
        assert_eq!(go_parse_duration("00:00:01"), None);
        assert_eq!(go_parse_duration("5"), None);
        assert_eq!(go_parse_duration(""), None);
    }

    #[test]
    fn histograms_encode_as_client_golang() {
        let mut families = FamilySet::new();
        families
            .family_with("pg_z", "Z", MetricType::Gauge, &[])
            .push(&[], 3.0);
        families
            .family_with(
                "pg_h_latency",
                "Latency",
                MetricType::Histogram,
                &["server", "kind"],
            )
            .push_value(
                &["s:5432", "a"],
                &HistogramValue {
                    buckets: vec![(0.5, 1), (1.0, 3)],
                    sum: 2.5,
                    count: 4,
                }
                .into(),
            );
        families
            .family_with("pg_a", "A", MetricType::Gauge, &[])
            .push(&[], 2.0);
        let mut out = Vec::new();
        families.encode(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "# HELP pg_a A\n# TYPE pg_a gauge\npg_a 2\n\
             # HELP pg_h_latency Latency\n# TYPE pg_h_latency histogram\n\
             pg_h_latency_bucket{kind=\"a\",server=\"s:5432\",le=\"0.5\"} 1\n\
             pg_h_latency_bucket{kind=\"a\",server=\"s:5432\",le=\"1\"} 3\n\
             pg_h_latency_bucket{kind=\"a\",server=\"s:5432\",le=\"+Inf\"} 4\n\
             pg_h_latency_sum{kind=\"a\",server=\"s:5432\"} 2.5\n\
             pg_h_latency_count{kind=\"a\",server=\"s:5432\"} 4\n\
             # HELP pg_z Z\n# TYPE pg_z gauge\npg_z 3\n"
        );
    }
}
