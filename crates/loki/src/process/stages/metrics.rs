//! `stage.metrics`: counters, gauges and histograms from the entries, served on the component's `/metrics`
//! (and the agent's, with `component_id`) as `<prefix><name>` (prefix `loki_process_custom_` by default),
//! one series per label set of the entries (labels starting `__` left out).
//!
//! - `metric.counter`: `action = "inc"` or `"add"` (the value of `source`, default the metric's name);
//!   `match_all` counts every entry (`count_entry_bytes` adds the line's length instead); `value` counts only
//!   entries whose source has that text.
//! - `metric.gauge`: `set`, `inc`, `dec`, `add`, `sub`.
//! - `metric.histogram`: observes the source's value into `buckets`.
//!
//! Values are numbers, or text read as Go's `ParseFloat`, then as a Go duration in seconds (`"1.5ms"`).
//! A series not updated for `max_idle_duration` (default 5m, at least 1s) is removed after the next
//! scrape shows it. Negative amounts for a counter are skipped (Alloy stops with a panic).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ingot_prom::exposition::{Desc, HistogramValue, MetricType, MetricValue};
use ingot_runtime::component::DebugMetric;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::metrics::Metrics;
use crate::process::pipeline::{labels_fingerprint, PEntry, Stage};
use crate::process::value::{get_string, Value};

const DEFAULT_PREFIX: &str = "loki_process_custom_";

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Counter {
        action: CounterAction,
        match_all: bool,
        count_entry_bytes: bool,
    },
    Gauge(GaugeAction),
    Histogram(Vec<f64>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CounterAction {
    Inc,
    Add,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GaugeAction {
    Set,
    Inc,
    Dec,
    Add,
    Sub,
}

/// One `metric.*` block.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricConfig {
    pub name: String,
    pub full_name: String,
    pub description: String,
    pub source: String,
    pub max_idle: Duration,
    pub value: String,
    pub kind: Kind,
}

fn is_metric_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_alphabetic() || b == b'_' || b == b':' || (b.is_ascii_digit() && i > 0)
        })
}

fn decode_metric(d: &mut BodyDecoder<'_, '_>, which: &str) -> Result<MetricConfig, Failed> {
    let name: String = d.required("name")?;
    let description: String = d.optional_or("description", String::new())?;
    let source: String = d.optional_or("source", String::new())?;
    let prefix: String = d.optional_or("prefix", String::new())?;
    let max_idle: Duration = d.optional_or("max_idle_duration", Duration::from_secs(300))?;
    let value: String = d.optional_or("value", String::new())?;
    let kind = match which {
        "counter" => {
            let action: String = d.required("action")?;
            let match_all: bool = d.optional_or("match_all", false)?;
            let count_entry_bytes: bool = d.optional_or("count_entry_bytes", false)?;
            let action = match action.as_str() {
                "inc" => CounterAction::Inc,
                "add" => CounterAction::Add,
                _ => {
                    return Err(d.error_at_attr(
                        "action",
                        "the 'action' counter field must be either 'inc' or 'add'",
                    ))
                }
            };
            if match_all && !value.is_empty() {
                return Err(d.error(
                    "a 'counter' metric supports either 'match_all' or a 'value', but not both",
                ));
            }
            if count_entry_bytes && (!match_all || action != CounterAction::Add) {
                return Err(d.error("the 'count_entry_bytes' counter field must be specified along with match_all set to true or action set to 'add'"));
            }
            Kind::Counter {
                action,
                match_all,
                count_entry_bytes,
            }
        }
        "gauge" => {
            let action: String = d.required("action")?;
            Kind::Gauge(match action.as_str() {
                "set" => GaugeAction::Set,
                "inc" => GaugeAction::Inc,
                "dec" => GaugeAction::Dec,
                "add" => GaugeAction::Add,
                "sub" => GaugeAction::Sub,
                _ => {
                    return Err(d.error_at_attr(
                        "action",
                        "the 'action' gauge field must be one of the following values: [set, inc, dec, add, sub]",
                    ))
                }
            })
        }
        _ => {
            let buckets: Vec<f64> = d.required("buckets")?;
            for w in buckets.windows(2) {
                if w[0] >= w[1] {
                    return Err(d.error_at_attr(
                        "buckets",
                        format!(
                            "histogram buckets must be in increasing order: {:.6} >= {:.6}",
                            w[0], w[1]
                        ),
                    ));
                }
            }
            Kind::Histogram(if buckets.is_empty() {
                // client_golang's DefBuckets.
                vec![
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ]
            } else {
                buckets
            })
        }
    };
    if max_idle < Duration::from_secs(1) {
        return Err(d.error_at_attr(
            "max_idle_duration",
            "max_idle_duration must be greater or equal than 1s",
        ));
    }
    let full_name = format!(
        "{}{name}",
        if prefix.is_empty() {
            DEFAULT_PREFIX
        } else {
            &prefix
        }
    );
    if !is_metric_name(&full_name) {
        // client_golang would fail every scrape of the registry with such a name.
        return Err(d.error_at_attr("name", format!("{full_name:?} is not a valid metric name")));
    }
    Ok(MetricConfig {
        source: if source.is_empty() {
            name.clone()
        } else {
            source
        },
        name,
        full_name,
        description,
        max_idle,
        value,
        kind,
    })
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub metrics: Vec<MetricConfig>,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let metrics = d.enum_blocks(
            &["metric.counter", "metric.gauge", "metric.histogram"],
            |name, d| decode_metric(d, name.trim_start_matches("metric.")),
        )?;
        Ok(Config { metrics })
    }
}

/// One series: its labels, value and when it last changed (Unix seconds).
struct Series {
    labels: Vec<(String, String)>,
    value: SeriesValue,
    last_mod: i64,
}

enum SeriesValue {
    Scalar(f64),
    Histogram {
        counts: Vec<u64>,
        sum: f64,
        count: u64,
    },
}

/// One metric's series, shared by the stage (which updates it) and the component's `/metrics`.
pub struct Store {
    cfg: MetricConfig,
    series: Mutex<HashMap<u128, Series>>,
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Descriptions made at run time (a name with the label names its series have), made `'static` once and
/// reused; at most [`MAX_DESCS`] of them, past which new label sets are left out of `/metrics`.
fn intern_desc(
    name: &str,
    help: &str,
    kind: MetricType,
    labels: &[String],
) -> Option<&'static Desc> {
    type Key = (String, String, u8, Vec<String>);
    static DESCS: OnceLock<Mutex<HashMap<Key, &'static Desc>>> = OnceLock::new();
    let key: Key = (
        name.to_string(),
        help.to_string(),
        kind as u8,
        labels.to_vec(),
    );
    let mut map = DESCS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(d) = map.get(&key) {
        return Some(d);
    }
    if map.len() >= MAX_DESCS {
        return None;
    }
    let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    let names: Vec<&'static str> = labels.iter().map(|l| leak(l)).collect();
    let desc: &'static Desc = Box::leak(Box::new(Desc::new(
        leak(name),
        leak(help),
        kind,
        Box::leak(names.into_boxed_slice()),
    )));
    map.insert(key, desc);
    Some(desc)
}

/// How many distinct metric descriptions the process keeps.
const MAX_DESCS: usize = 10_000;

impl Store {
    fn update(
        &self,
        labels: &crate::process::pipeline::LabelMap,
        f: impl FnOnce(&mut SeriesValue),
    ) {
        let key = labels_fingerprint(labels);
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let s = series.entry(key).or_insert_with(|| Series {
            // Alloy leaves out names Prometheus reserves; component_id and component_path are ingot's own.
            labels: labels
                .iter()
                .filter(|(n, _)| {
                    !n.is_empty()
                        && !n.starts_with("__")
                        && *n != "component_id"
                        && *n != "component_path"
                })
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            value: match &self.cfg.kind {
                Kind::Histogram(b) => SeriesValue::Histogram {
                    counts: vec![0; b.len()],
                    sum: 0.0,
                    count: 0,
                },
                _ => SeriesValue::Scalar(0.0),
            },
            last_mod: 0,
        });
        f(&mut s.value);
        s.last_mod = now_secs();
    }

    /// The series as samples (label sets of one metric may differ: each sample carries the union of the
    /// names, absent ones empty, which Prometheus reads as absent), then the expired ones removed.
    pub fn collect(&self, out: &mut Vec<DebugMetric>) {
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let mut names: Vec<String> = series
            .values()
            .flat_map(|s| s.labels.iter().map(|(n, _)| n.clone()))
            .collect();
        names.sort();
        names.dedup();
        let kind = match self.cfg.kind {
            Kind::Counter { .. } => MetricType::Counter,
            Kind::Gauge(_) => MetricType::Gauge,
            Kind::Histogram(_) => MetricType::Histogram,
        };
        if let Some(desc) = intern_desc(&self.cfg.full_name, &self.cfg.description, kind, &names) {
            for s in series.values() {
                let values: Vec<String> = names
                    .iter()
                    .map(|n| {
                        s.labels
                            .iter()
                            .find(|(k, _)| k == n)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    })
                    .collect();
                let value = match (&s.value, &self.cfg.kind) {
                    (SeriesValue::Scalar(v), _) => MetricValue::Scalar(*v),
                    (SeriesValue::Histogram { counts, sum, count }, Kind::Histogram(bounds)) => {
                        let mut cum = 0;
                        MetricValue::Histogram(HistogramValue {
                            buckets: bounds
                                .iter()
                                .zip(counts)
                                .map(|(b, c)| {
                                    cum += c;
                                    (*b, cum)
                                })
                                .collect(),
                            sum: *sum,
                            count: *count,
                        })
                    }
                    _ => continue,
                };
                out.push(DebugMetric::with_value(desc, values, value));
            }
        } else {
            tracing::warn!(metric = %self.cfg.full_name, "left out of /metrics: too many distinct label sets among custom metrics");
        }
        let now = now_secs();
        let max = self.cfg.max_idle.as_secs() as i64;
        series.retain(|_, s| now - s.last_mod < max);
    }
}

/// Alloy's `getFloat`: numbers as they are, bools as 1 and 0, text by `ParseFloat` or as a Go duration in
/// seconds.
pub fn get_float(v: Option<&Value>) -> Result<f64, String> {
    match v {
        Some(Value::Num(f)) => Ok(*f),
        Some(Value::Bool(b)) => Ok(if *b { 1.0 } else { 0.0 }),
        Some(Value::Str(s)) => ingot_gocompat::strconv::parse_float(s)
            .or_else(|_| ingot_gocompat::time::parse_duration(s).map(|n| n as f64 / 1e9)),
        Some(Value::Null) | None => Err("can't convert <nil> to float64".to_string()),
    }
}

impl Config {
    pub fn build(&self, metrics: &Arc<Metrics>) -> MetricsStage {
        let stores: Vec<Arc<Store>> = self
            .metrics
            .iter()
            .map(|cfg| {
                Arc::new(Store {
                    cfg: cfg.clone(),
                    series: Mutex::new(HashMap::new()),
                })
            })
            .collect();
        for s in &stores {
            metrics.add_custom(s);
        }
        MetricsStage { stores }
    }
}

pub struct MetricsStage {
    stores: Vec<Arc<Store>>,
}

impl MetricsStage {
    fn record(store: &Store, e: &PEntry, v: Option<&Value>) {
        let cfg = &store.cfg;
        if !cfg.value.is_empty() {
            match v.map(get_string) {
                Some(Ok(s)) if s == cfg.value => {}
                _ => return,
            }
        }
        match &cfg.kind {
            Kind::Counter { action, .. } => match action {
                CounterAction::Inc => store.update(&e.labels, |s| {
                    if let SeriesValue::Scalar(x) = s {
                        *x += 1.0;
                    }
                }),
                CounterAction::Add => match get_float(v) {
                    Ok(f) if f < 0.0 => {
                        tracing::debug!(stage = "metrics", metric = %cfg.name, "counter cannot decrease in value: {f}");
                    }
                    Ok(f) => store.update(&e.labels, |s| {
                        if let SeriesValue::Scalar(x) = s {
                            *x += f;
                        }
                    }),
                    Err(err) => {
                        tracing::debug!(stage = "metrics", metric = %cfg.name, "failed to convert extracted value to positive float: {err}")
                    }
                },
            },
            Kind::Gauge(action) => {
                let amount = match action {
                    GaugeAction::Inc => Ok(1.0),
                    GaugeAction::Dec => Ok(-1.0),
                    _ => get_float(v),
                };
                let f = match amount {
                    Ok(f) => f,
                    Err(err) => {
                        tracing::debug!(stage = "metrics", metric = %cfg.name, "failed to convert extracted value to positive float: {err}");
                        return;
                    }
                };
                store.update(&e.labels, |s| {
                    if let SeriesValue::Scalar(x) = s {
                        match action {
                            GaugeAction::Set => *x = f,
                            GaugeAction::Sub => *x -= f,
                            _ => *x += f,
                        }
                    }
                });
            }
            Kind::Histogram(bounds) => match get_float(v) {
                Ok(f) => store.update(&e.labels, |s| {
                    if let SeriesValue::Histogram { counts, sum, count } = s {
                        if let Some(i) = bounds.iter().position(|b| f <= *b) {
                            counts[i] += 1;
                        }
                        *sum += f;
                        *count += 1;
                    }
                }),
                Err(err) => {
                    tracing::debug!(stage = "metrics", metric = %cfg.name, "failed to convert extracted value to float: {err}")
                }
            },
        }
    }
}

impl Stage for MetricsStage {
    fn process(&mut self, e: PEntry, out: &mut Vec<PEntry>) {
        for store in &self.stores {
            match &store.cfg.kind {
                Kind::Counter {
                    match_all: true,
                    count_entry_bytes,
                    ..
                } => {
                    let bytes = Value::Num(e.line.len() as f64);
                    Self::record(store, &e, count_entry_bytes.then_some(&bytes));
                }
                _ => {
                    if let Some(v) = e.extracted.get(&store.cfg.source) {
                        Self::record(store, &e, Some(v));
                    }
                }
            }
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    // Alloy's metric_test.go: counters by value and match_all, gauges, histograms; labels per stream.
    #[test]
    fn counts_observes_and_serves() {
        let (mut p, m) = pipeline(
            r#"
            stage.json { expressions = { level = "", size = "", dur = "" } }
            stage.metrics {
                metric.counter {
                    name = "errors"
                    source = "level"
                    value = "error"
                    action = "inc"
                }
                metric.counter {
                    name = "lines"
                    match_all = true
                    action = "inc"
                }
                metric.counter {
                    name = "bytes"
                    match_all = true
                    count_entry_bytes = true
                    action = "add"
                    prefix = "my_"
                }
                metric.gauge {
                    name = "size"
                    action = "set"
                }
                metric.histogram {
                    name = "dur"
                    buckets = [0.001, 0.01, 1]
                    description = "durations"
                }
            }"#,
        );
        let mut out = Vec::new();
        for line in [
            r#"{"level":"error","size":5,"dur":"1.5ms"}"#,
            r#"{"level":"info","size":"7","dur":0.0005}"#,
            r#"{"level":"error","dur":"x"}"#,
        ] {
            p.run(entry(&[("app", "a"), ("__hidden", "h")], line), &mut out);
        }
        p.run(entry(&[("app", "b")], r#"{"level":"error"}"#), &mut out);
        let mut metrics = Vec::new();
        m.debug_metrics(&mut metrics);
        let find = |name: &str, app: &str| {
            metrics
                .iter()
                .find(|d| d.name() == name && d.labels().any(|(n, v)| n == "app" && v == app))
                .unwrap_or_else(|| panic!("{name} {app}: {metrics:?}"))
        };
        assert_eq!(find("loki_process_custom_errors", "a").value, 2.0.into());
        assert_eq!(find("loki_process_custom_errors", "b").value, 1.0.into());
        assert_eq!(find("loki_process_custom_lines", "a").value, 3.0.into());
        let bytes: f64 = [
            r#"{"level":"error","size":5,"dur":"1.5ms"}"#,
            r#"{"level":"info","size":"7","dur":0.0005}"#,
            r#"{"level":"error","dur":"x"}"#,
        ]
        .iter()
        .map(|l| l.len() as f64)
        .sum();
        assert_eq!(find("my_bytes", "a").value, bytes.into());
        assert_eq!(find("loki_process_custom_size", "a").value, 7.0.into());
        match &find("loki_process_custom_dur", "a").value {
            ingot_prom::exposition::MetricValue::Histogram(h) => {
                assert_eq!(h.count, 2);
                assert_eq!(h.buckets, vec![(0.001, 1), (0.01, 2), (1.0, 2)]);
                assert!((h.sum - 0.002).abs() < 1e-12);
            }
            other => panic!("{other:?}"),
        }
        assert!(metrics
            .iter()
            .all(|d| d.labels().all(|(n, _)| !n.starts_with("__"))));
    }

    #[test]
    fn idle_series_expire_after_a_scrape() {
        let (mut p, m) = pipeline(
            "stage.metrics {\nmetric.counter {\nname = \"c\"\nmatch_all = true\naction = \"inc\"\nmax_idle_duration = \"1s\"\n}\n}",
        );
        let mut out = Vec::new();
        p.run(entry(&[], "x"), &mut out);
        let mut metrics = Vec::new();
        m.debug_metrics(&mut metrics);
        assert_eq!(metrics.len(), 1);
        std::thread::sleep(std::time::Duration::from_millis(2100));
        metrics.clear();
        m.debug_metrics(&mut metrics);
        // Shown once more, then gone.
        assert_eq!(metrics.len(), 1);
        metrics.clear();
        m.debug_metrics(&mut metrics);
        assert!(metrics.is_empty());
    }

    #[test]
    fn floats_as_alloy_reads_them() {
        assert_eq!(super::get_float(Some(&Value::from("0.5ms"))), Ok(0.0005));
        assert_eq!(super::get_float(Some(&Value::from("10h"))), Ok(36000.0));
        assert_eq!(super::get_float(Some(&Value::from("1e3"))), Ok(1000.0));
        assert_eq!(super::get_float(Some(&Value::Bool(true))), Ok(1.0));
        assert!(super::get_float(Some(&Value::from("x"))).is_err());
        assert!(super::get_float(None).is_err());
    }

    #[test]
    fn errors() {
        let m = |body: &str| error(&format!("stage.metrics {{\n{body}\n}}"));
        assert!(m("metric.counter {\nname = \"a\"\naction = \"x\"\n}")
            .contains("the 'action' counter field must be either 'inc' or 'add'"));
        assert!(m(
            "metric.counter {\nname = \"a\"\naction = \"inc\"\nmatch_all = true\nvalue = \"v\"\n}"
        )
        .contains("supports either 'match_all' or a 'value', but not both"));
        assert!(
            m("metric.counter {\nname = \"a\"\naction = \"inc\"\ncount_entry_bytes = true\n}")
                .contains(
                    "'count_entry_bytes' counter field must be specified along with match_all"
                )
        );
        assert!(m("metric.gauge {\nname = \"a\"\naction = \"x\"\n}")
            .contains("[set, inc, dec, add, sub]"));
        assert!(m("metric.histogram {\nname = \"a\"\nbuckets = [1, 1]\n}")
            .contains("histogram buckets must be in increasing order"));
        assert!(m(
            "metric.gauge {\nname = \"a\"\naction = \"set\"\nmax_idle_duration = \"500ms\"\n}"
        )
        .contains("max_idle_duration must be greater or equal than 1s"));
        assert!(m("metric.gauge {\nname = \"a-b\"\naction = \"set\"\n}")
            .contains("is not a valid metric name"));
        assert!(m("metric.counter {\nname = \"a\"\n}").contains("action"));
    }
}
