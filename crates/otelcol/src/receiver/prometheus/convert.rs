//! One batch of samples (a scrape, or what a relabel step passed on) into OTLP metrics, following the
//! collector-contrib Prometheus receiver's transaction as Alloy runs it (metadata on, suffixes kept):
//!
//! * a resource per `job` and `instance` (`service.name`, `service.instance.id`, `server.address` and
//!   `net.host.name` for a host that is not loopback, `server.port` and `net.host.port`); samples without
//!   both labels are refused; `target_info` adds its labels to the resource, `otel_scope_info` to the scope;
//! * a scope per `otel_scope_name`/`otel_scope_version` (else `otelcol/prometheusreceiver` and ingot's
//!   version);
//! * a metric per family: the batch's metadata, else the scraping target's metadata that travels with the
//!   batch, gives the type (as the scrape's metadata store does for Alloy), also for names with `_total`, `_bucket`, `_sum`, `_count`, `_created`, `_info` trimmed; without
//!   metadata a series is a gauge; counters are cumulative monotonic sums, histograms and summaries are
//!   rebuilt from their series (bucket counts de-cumulated over the sorted bounds), `_created` is the start
//!   time; a staleness marker becomes a point flagged "no recorded value";
//! * attributes are the labels but `__name__`, `job`, `instance`, `__scheme__`, `__metrics_path__`, the
//!   scope labels and `le`/`quantile`; empty values are left out.
//!
//! The scrape's discovered `__scheme__` does not reach ingot's samples, so `url.scheme` and `http.scheme`
//! are not set (Alloy sets them from the target).

use std::collections::HashMap;

use ingot_otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use ingot_otlp::proto::metrics::v1::{
    metric, summary_data_point::ValueAtQuantile, AggregationTemporality, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint,
};
use ingot_otlp::proto::resource::v1::Resource;
use ingot_otlp::Metrics;
use ingot_prom::labels::Labels;
use ingot_prom::sample::{is_stale_nan, Batch};
use ingot_prom::MetricType;

const SCOPE_NAME: &str = "otelcol/prometheusreceiver";
const SCOPE_VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));
const TRIMMABLE: [&str; 6] = ["_bucket", "_count", "_sum", "_total", "_info", "_created"];

fn s(v: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(any_value::Value::StringValue(v.to_string())),
    })
}

fn put(attrs: &mut Vec<KeyValue>, k: &str, v: &str) {
    match attrs.iter_mut().find(|kv| kv.key == k) {
        Some(kv) => kv.value = s(v),
        None => attrs.push(KeyValue {
            key: k.into(),
            value: s(v),
        }),
    }
}

fn normalize(name: &str) -> &str {
    for suffix in TRIMMABLE {
        if name.len() > suffix.len() && name.ends_with(suffix) {
            return &name[..name.len() - suffix.len()];
        }
    }
    name
}

/// Which OTLP shape a family takes, and whether a sum is monotonic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Gauge,
    Sum(bool),
    Histogram,
    Summary,
}

fn shape(kind: MetricType) -> Shape {
    match kind {
        MetricType::Counter => Shape::Sum(true),
        MetricType::Histogram | MetricType::GaugeHistogram => Shape::Histogram,
        MetricType::Summary => Shape::Summary,
        MetricType::Info | MetricType::Stateset => Shape::Sum(false),
        _ => Shape::Gauge,
    }
}

/// The collector's `UnitWordToUCUM` for the common words.
fn ucum(unit: &str) -> String {
    let main = |w: &str| -> String {
        match w {
            "days" => "d",
            "hours" => "h",
            "minutes" => "min",
            "seconds" => "s",
            "milliseconds" => "ms",
            "microseconds" => "us",
            "nanoseconds" => "ns",
            "bytes" => "By",
            "kibibytes" => "KiBy",
            "mebibytes" => "MiBy",
            "gibibytes" => "GiBy",
            "tibibytes" => "TiBy",
            "kilobytes" => "KBy",
            "megabytes" => "MBy",
            "gigabytes" => "GBy",
            "terabytes" => "TBy",
            "meters" => "m",
            "volts" => "V",
            "amperes" => "A",
            "joules" => "J",
            "watts" => "W",
            "grams" => "g",
            "celsius" => "Cel",
            "hertz" => "Hz",
            "percent" => "%",
            "ratio" => "1",
            other => other,
        }
        .to_string()
    };
    match unit.split_once("_per_") {
        Some((a, b)) => {
            let per = match b {
                "second" => "s",
                "minute" => "m",
                "hour" => "h",
                "day" => "d",
                "week" => "w",
                "month" => "mo",
                "year" => "y",
                other => other,
            };
            format!("{}/{per}", main(a))
        }
        None => main(unit),
    }
}

#[derive(Default)]
struct Group {
    labels: Vec<(String, String)>,
    ts_ms: i64,
    value: f64,
    sum: Option<f64>,
    count: Option<f64>,
    created_s: f64,
    points: Vec<(f64, f64)>,
}

struct Family {
    name: String,
    shape: Shape,
    help: String,
    unit: String,
    kind: MetricType,
    groups: Vec<Group>,
    index: HashMap<Vec<u8>, usize>,
}

#[derive(Default)]
struct ScopeOut {
    scope: InstrumentationScope,
    families: Vec<Family>,
    index: HashMap<String, usize>,
}

struct ResourceOut {
    attrs: Vec<KeyValue>,
    scopes: Vec<ScopeOut>,
    index: HashMap<(String, String, String), usize>,
}

fn internal(name: &str) -> Option<(MetricType, &'static str, &'static str)> {
    Some(match name {
        "up" => (MetricType::Gauge, "The scraping was successful", ""),
        "scrape_duration_seconds" => (MetricType::Gauge, "Duration of the scrape", "seconds"),
        "scrape_samples_scraped" => (
            MetricType::Gauge,
            "The number of samples the target exposed",
            "",
        ),
        "scrape_series_added" => (
            MetricType::Gauge,
            "The approximate number of new series in this scrape",
            "",
        ),
        "scrape_samples_post_metric_relabeling" => (
            MetricType::Gauge,
            "The number of samples remaining after metric relabeling was applied",
            "",
        ),
        _ => return None,
    })
}

fn resource(job: &str, instance: &str) -> Vec<KeyValue> {
    let (host, port) = match instance.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => {
            (h.trim_start_matches('[').trim_end_matches(']'), p)
        }
        _ => (instance, ""),
    };
    let discernible = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => !ip.is_loopback() && !ip.is_unspecified(),
        Err(_) => host != "localhost",
    };
    let mut a = Vec::new();
    put(&mut a, "service.name", job);
    if discernible {
        put(&mut a, "net.host.name", host);
        put(&mut a, "server.address", host);
    }
    put(&mut a, "service.instance.id", instance);
    put(&mut a, "net.host.port", port);
    put(&mut a, "server.port", port);
    a
}

const NOT_USEFUL: [&str; 8] = [
    "__name__",
    "instance",
    "__scheme__",
    "__metrics_path__",
    "job",
    "otel_scope_name",
    "otel_scope_version",
    "otel_scope_schema_url",
];

/// Converts a batch; the second value lists why samples were left out.
pub fn convert(batch: &Batch) -> (Metrics, Vec<String>) {
    let metadata: HashMap<&str, (MetricType, &str, &str)> = batch
        .metadata
        .iter()
        .map(|m| {
            (
                m.metric_family.as_str(),
                (m.kind, m.help.as_str(), m.unit.as_str()),
            )
        })
        .collect();
    // Metadata appended with the batch first, then the scraping target's (Alloy's metadata store).
    let find = |name: &str| -> Option<(MetricType, &str, &str)> {
        metadata.get(name).copied().or_else(|| {
            let m = batch.target_metadata.as_ref()?.get(name)?;
            Some((m.kind, m.help.as_str(), m.unit.as_str()))
        })
    };
    let lookup = |name: &str| -> (String, MetricType, String, String) {
        if let Some((k, h, u)) = internal(name) {
            return (name.into(), k, h.into(), u.into());
        }
        if let Some((k, h, u)) = find(name) {
            return (name.into(), k, h.to_string(), u.to_string());
        }
        let n = normalize(name);
        if let Some((k, h, u)) = find(n) {
            let family = if k == MetricType::Counter { name } else { n };
            return (family.into(), k, h.to_string(), u.to_string());
        }
        (
            name.into(),
            MetricType::Unknown,
            String::new(),
            String::new(),
        )
    };
    let mut resources: Vec<ResourceOut> = Vec::new();
    let mut rindex: HashMap<(String, String), usize> = HashMap::new();
    let mut errors = Vec::new();
    for sample in &batch.samples {
        let l: &Labels = &sample.labels;
        let (job, instance) = (l.get("job").unwrap_or(""), l.get("instance").unwrap_or(""));
        if job.is_empty() || instance.is_empty() {
            errors.push("job or instance cannot be found from labels".to_string());
            continue;
        }
        let ri = *rindex
            .entry((job.into(), instance.into()))
            .or_insert_with(|| {
                resources.push(ResourceOut {
                    attrs: resource(job, instance),
                    scopes: Vec::new(),
                    index: HashMap::new(),
                });
                resources.len() - 1
            });
        let r = &mut resources[ri];
        let name = l.metric_name();
        if name == "target_info" {
            for (k, v) in l.iter() {
                if !["job", "instance", "__name__"].contains(&k) {
                    put(&mut r.attrs, k, v);
                }
            }
            continue;
        }
        let scope_key = (
            l.get("otel_scope_name").unwrap_or("").to_string(),
            l.get("otel_scope_version").unwrap_or("").to_string(),
            l.get("otel_scope_schema_url").unwrap_or("").to_string(),
        );
        let si = *r.index.entry(scope_key.clone()).or_insert_with(|| {
            let scope =
                if scope_key.0.is_empty() && scope_key.1.is_empty() && scope_key.2.is_empty() {
                    InstrumentationScope {
                        name: SCOPE_NAME.into(),
                        version: SCOPE_VERSION.into(),
                        ..Default::default()
                    }
                } else {
                    InstrumentationScope {
                        name: scope_key.0.clone(),
                        version: scope_key.1.clone(),
                        ..Default::default()
                    }
                };
            r.scopes.push(ScopeOut {
                scope,
                ..Default::default()
            });
            r.scopes.len() - 1
        });
        let sc = &mut r.scopes[si];
        if name == "otel_scope_info" {
            for (k, v) in l.iter() {
                if ![
                    "job",
                    "instance",
                    "__name__",
                    "otel_scope_name",
                    "otel_scope_version",
                    "otel_scope_schema_url",
                ]
                .contains(&k)
                {
                    put(&mut sc.scope.attributes, k, v);
                }
            }
            continue;
        }
        let (family, kind, help, unit) = lookup(name);
        let fi = *sc.index.entry(family.clone()).or_insert_with(|| {
            sc.families.push(Family {
                name: family.clone(),
                shape: shape(kind),
                help,
                unit,
                kind,
                groups: Vec::new(),
                index: HashMap::new(),
            });
            sc.families.len() - 1
        });
        let f = &mut sc.families[fi];
        let boundary_label = match f.shape {
            Shape::Histogram => Some("le"),
            Shape::Summary => Some("quantile"),
            _ => None,
        };
        let mut key = Vec::new();
        let mut attrs = Vec::new();
        for (k, v) in l.iter() {
            if k == "__name__" || Some(k) == boundary_label {
                continue;
            }
            key.extend_from_slice(k.as_bytes());
            key.push(0xff);
            key.extend_from_slice(v.as_bytes());
            key.push(0xff);
            if !NOT_USEFUL.contains(&k) && !v.is_empty() {
                attrs.push((k.to_string(), v.to_string()));
            }
        }
        let gi = *f.index.entry(key).or_insert_with(|| {
            f.groups.push(Group {
                labels: attrs,
                ts_ms: sample.timestamp_ms,
                ..Default::default()
            });
            f.groups.len() - 1
        });
        let g = &mut f.groups[gi];
        if g.ts_ms != sample.timestamp_ms {
            errors.push(format!(
                "inconsistent timestamps on metric points for metric {name}"
            ));
            continue;
        }
        let v = sample.value;
        let created = name.len() > family.len() && name == format!("{family}_created")
            || name == format!("{}_created", normalize(&family));
        match f.shape {
            Shape::Histogram | Shape::Summary => {
                if name.ends_with("_sum") {
                    g.sum = Some(v);
                } else if name.ends_with("_count") {
                    g.count = Some(v);
                } else if created {
                    g.created_s = v;
                } else {
                    let label = boundary_label.unwrap_or("le");
                    match l
                        .get(label)
                        .filter(|b| !b.is_empty())
                        .map(|b| b.parse::<f64>())
                    {
                        Some(Ok(b)) => g.points.push((b, v)),
                        Some(Err(_)) => errors.push(format!("{name}: invalid {label} label")),
                        None => errors.push(format!(
                            "'{label}' label on {} metric is missing or empty",
                            if label == "le" {
                                "histogram"
                            } else {
                                "summary"
                            }
                        )),
                    }
                }
            }
            Shape::Sum(_) if created => g.created_s = v,
            _ => g.value = v,
        }
    }
    let mut out = Metrics::default();
    for r in resources {
        let mut rm = ResourceMetrics {
            resource: Some(Resource {
                attributes: r.attrs,
                ..Default::default()
            }),
            ..Default::default()
        };
        for sc in r.scopes {
            let metrics: Vec<Metric> = sc.families.into_iter().filter_map(family_metric).collect();
            if !metrics.is_empty() {
                rm.scope_metrics.push(ScopeMetrics {
                    scope: Some(sc.scope),
                    metrics,
                    ..Default::default()
                });
            }
        }
        if !rm.scope_metrics.is_empty() {
            out.resource_metrics.push(rm);
        }
    }
    (out, errors)
}

fn kv(labels: Vec<(String, String)>) -> Vec<KeyValue> {
    labels
        .into_iter()
        .map(|(k, v)| KeyValue {
            key: k,
            value: s(&v),
        })
        .collect()
}

fn start_ns(created_s: f64) -> u64 {
    if created_s > 0.0 {
        (created_s * 1e9) as u64
    } else {
        0
    }
}

fn family_metric(f: Family) -> Option<Metric> {
    let cumulative = AggregationTemporality::Cumulative as i32;
    let data = match f.shape {
        Shape::Gauge | Shape::Sum(_) => {
            let points: Vec<NumberDataPoint> = f
                .groups
                .into_iter()
                .map(|g| NumberDataPoint {
                    attributes: kv(g.labels),
                    start_time_unix_nano: if matches!(f.shape, Shape::Sum(_)) {
                        start_ns(g.created_s)
                    } else {
                        0
                    },
                    time_unix_nano: (g.ts_ms * 1_000_000) as u64,
                    flags: u32::from(is_stale_nan(g.value)),
                    value: (!is_stale_nan(g.value)).then_some(
                        ingot_otlp::proto::metrics::v1::number_data_point::Value::AsDouble(g.value),
                    ),
                    ..Default::default()
                })
                .collect();
            if points.is_empty() {
                return None;
            }
            match f.shape {
                Shape::Sum(monotonic) => metric::Data::Sum(Sum {
                    data_points: points,
                    aggregation_temporality: cumulative,
                    is_monotonic: monotonic,
                }),
                _ => metric::Data::Gauge(Gauge {
                    data_points: points,
                }),
            }
        }
        Shape::Histogram => {
            let mut points = Vec::new();
            for mut g in f.groups {
                let Some(count) = g.count else { continue };
                g.points.sort_by(|a, b| a.0.total_cmp(&b.0));
                let stale = g.sum.is_some_and(is_stale_nan) || is_stale_nan(count);
                let mut n = g.points.len() + 1;
                if n > 1 && g.points[n - 2].0 == f64::INFINITY {
                    n -= 1;
                }
                let bounds: Vec<f64> = g.points[..n - 1].iter().map(|p| p.0).collect();
                let mut counts = Vec::with_capacity(n);
                for i in 0..n - 1 {
                    let c = if stale {
                        0.0
                    } else if i == 0 {
                        g.points[0].1
                    } else {
                        g.points[i].1 - g.points[i - 1].1
                    };
                    counts.push(c as u64);
                }
                let last = if stale {
                    0.0
                } else if n > 1 {
                    count - g.points[n - 2].1
                } else {
                    count
                };
                counts.push(last as u64);
                points.push(HistogramDataPoint {
                    attributes: kv(g.labels),
                    start_time_unix_nano: start_ns(g.created_s),
                    time_unix_nano: (g.ts_ms * 1_000_000) as u64,
                    count: if stale { 0 } else { count as u64 },
                    sum: if stale { None } else { g.sum },
                    bucket_counts: counts,
                    explicit_bounds: bounds,
                    flags: u32::from(stale),
                    ..Default::default()
                });
            }
            if points.is_empty() {
                return None;
            }
            metric::Data::Histogram(Histogram {
                data_points: points,
                aggregation_temporality: cumulative,
            })
        }
        Shape::Summary => {
            let mut points = Vec::new();
            for mut g in f.groups {
                let Some(count) = g.count else { continue };
                g.points.sort_by(|a, b| a.0.total_cmp(&b.0));
                let stale = g.sum.is_some_and(is_stale_nan) || is_stale_nan(count);
                points.push(SummaryDataPoint {
                    attributes: kv(g.labels),
                    start_time_unix_nano: start_ns(g.created_s),
                    time_unix_nano: (g.ts_ms * 1_000_000) as u64,
                    count: if stale { 0 } else { count as u64 },
                    sum: if stale { 0.0 } else { g.sum.unwrap_or(0.0) },
                    quantile_values: g
                        .points
                        .iter()
                        .map(|(q, v)| ValueAtQuantile {
                            quantile: *q,
                            value: if stale { 0.0 } else { *v },
                        })
                        .collect(),
                    flags: u32::from(stale),
                })
            }
            if points.is_empty() {
                return None;
            }
            metric::Data::Summary(Summary {
                data_points: points,
            })
        }
    };
    Some(Metric {
        name: f.name,
        description: f.help,
        unit: ucum(&f.unit),
        metadata: vec![KeyValue {
            key: "prometheus.type".into(),
            value: s(f.kind.as_str()),
        }],
        data: Some(data),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingot_prom::sample::{Metadata, Sample, TargetMetadata};

    fn sample(pairs: &[(&str, &str)], v: f64) -> Sample {
        Sample {
            labels: Labels::from_pairs(pairs),
            timestamp_ms: 1000,
            value: v,
            exemplar: None,
        }
    }

    #[test]
    fn a_scrape_becomes_resources_families_and_points() {
        fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
            let t = [("job", "node"), ("instance", "10.0.0.1:9100")];
            t.iter().chain(extra).copied().collect()
        }
        let batch = Batch {
            samples: vec![
                sample(
                    &with(&[("__name__", "http_requests_total"), ("code", "200")]),
                    7.0,
                ),
                sample(
                    &with(&[("__name__", "latency_seconds_bucket"), ("le", "0.5")]),
                    2.0,
                ),
                sample(
                    &with(&[("__name__", "latency_seconds_bucket"), ("le", "1")]),
                    5.0,
                ),
                sample(
                    &with(&[("__name__", "latency_seconds_bucket"), ("le", "+Inf")]),
                    6.0,
                ),
                sample(&with(&[("__name__", "latency_seconds_sum")]), 3.5),
                sample(&with(&[("__name__", "latency_seconds_count")]), 6.0),
                sample(&with(&[("__name__", "temperature")]), 21.5),
                sample(&with(&[("__name__", "target_info"), ("region", "eu")]), 1.0),
                sample(&[("__name__", "orphan")], 1.0),
            ],
            metadata: vec![
                Metadata {
                    metric_family: "http_requests_total".into(),
                    kind: MetricType::Counter,
                    help: "Requests.".into(),
                    unit: String::new(),
                },
                Metadata {
                    metric_family: "latency_seconds".into(),
                    kind: MetricType::Histogram,
                    help: String::new(),
                    unit: "seconds".into(),
                },
            ],
            target_metadata: None,
        };
        let (m, errors) = convert(&batch);
        // The same metadata as the scraping target's (what prometheus.scrape sends) gives the same
        // metrics; without it every family would be a gauge.
        let from_target = Batch {
            metadata: Vec::new(),
            target_metadata: Some(std::sync::Arc::new(TargetMetadata::new(
                batch.metadata.clone(),
            ))),
            ..batch.clone()
        };
        assert_eq!(convert(&from_target).0, m);
        let without = Batch {
            metadata: Vec::new(),
            ..batch.clone()
        };
        assert_ne!(convert(&without).0, m);
        assert_eq!(
            errors,
            vec!["job or instance cannot be found from labels".to_string()]
        );
        let rm = &m.resource_metrics[0];
        let attrs: Vec<(&str, String)> = rm
            .resource
            .as_ref()
            .unwrap()
            .attributes
            .iter()
            .map(|kv| {
                (
                    kv.key.as_str(),
                    crate::exporter::prometheus::convert::as_string(kv.value.as_ref().unwrap()),
                )
            })
            .collect();
        assert!(
            attrs.contains(&("service.name", "node".into()))
                && attrs.contains(&("server.address", "10.0.0.1".into()))
                && attrs.contains(&("region", "eu".into())),
            "{attrs:?}"
        );
        let metrics = &rm.scope_metrics[0].metrics;
        assert_eq!(rm.scope_metrics[0].scope.as_ref().unwrap().name, SCOPE_NAME);
        let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            ["http_requests_total", "latency_seconds", "temperature"]
        );
        let Some(metric::Data::Sum(sum)) = &metrics[0].data else {
            panic!()
        };
        assert!(sum.is_monotonic && sum.data_points[0].attributes[0].key == "code");
        let Some(metric::Data::Histogram(h)) = &metrics[1].data else {
            panic!()
        };
        let p = &h.data_points[0];
        assert_eq!(
            (
                p.explicit_bounds.clone(),
                p.bucket_counts.clone(),
                p.count,
                p.sum
            ),
            (vec![0.5, 1.0], vec![2, 3, 1], 6, Some(3.5))
        );
        assert_eq!(metrics[1].unit, "s");
        assert!(matches!(&metrics[2].data, Some(metric::Data::Gauge(_))));
    }
}
