//! OTLP metrics into Prometheus samples, as Alloy's `otelcol.exporter.prometheus` converts them (the
//! OpenTelemetry metrics data model's rules): gauges and cumulative sums as gauges or counters (delta sums
//! are dropped), cumulative histograms as `_bucket` (cumulative counts, `le` formatted as Go does), `_sum`
//! and `_count`, summaries as quantiles, `_sum` and `_count`; `job` and `instance` from `service.name`,
//! `service.namespace` and `service.instance.id`; `target_info` with the other resource attributes;
//! `otel_scope_name` and `otel_scope_version` labels; exemplars with `trace_id` and `span_id`. A point
//! older than the last one written for its series is skipped. Exponential histograms need native
//! histograms, which ingot's remote-write path does not carry yet: they are dropped and counted.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use ingot_gocompat::strconv::format_float;
use ingot_otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use ingot_otlp::proto::metrics::v1::{
    metric, number_data_point, AggregationTemporality, Exemplar as OtlpExemplar, Metric,
};
use ingot_otlp::Metrics;
use ingot_prom::labels::{Labels, LabelsBuilder};
use ingot_prom::sample::{stale_nan, Batch, Exemplar, Metadata, Sample};
use ingot_prom::MetricType;

use super::names::{label_name, metric_name, Kind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    pub include_target_info: bool,
    pub include_scope_info: bool,
    pub include_scope_labels: bool,
    pub add_metric_suffixes: bool,
    pub resource_to_telemetry_conversion: bool,
    pub honor_metadata: bool,
    pub keep_identifying_resource_attributes: bool,
}

/// What a conversion left out, by reason.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    pub delta: usize,
    pub exponential_histograms: usize,
    pub out_of_order: usize,
}

struct Series {
    last_ms: i64,
    seen: Instant,
}

#[derive(Default)]
pub struct Converter {
    series: Mutex<HashMap<Box<[u8]>, Series>>,
}

/// pdata's `Value.AsString`.
pub fn as_string(v: &AnyValue) -> String {
    use any_value::Value as V;
    match &v.value {
        None => String::new(),
        Some(V::StringValue(s)) => s.clone(),
        Some(V::BoolValue(b)) => b.to_string(),
        Some(V::IntValue(i)) => i.to_string(),
        Some(V::DoubleValue(f)) => format_float(*f, 'f', -1),
        Some(V::BytesValue(b)) => base64::engine::general_purpose::STANDARD.encode(b),
        Some(V::ArrayValue(_)) | Some(V::KvlistValue(_)) => plain_json(v).to_string(),
    }
}

/// A value as plain JSON (pdata's `AsRaw`): maps as objects, slices as arrays.
fn plain_json(v: &AnyValue) -> serde_json::Value {
    use any_value::Value as V;
    use serde_json::Value as J;
    match &v.value {
        None => J::Null,
        Some(V::StringValue(s)) => J::String(s.clone()),
        Some(V::BoolValue(b)) => J::Bool(*b),
        Some(V::IntValue(i)) => J::from(*i),
        Some(V::DoubleValue(f)) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Some(V::BytesValue(b)) => J::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Some(V::ArrayValue(a)) => J::Array(a.values.iter().map(plain_json).collect()),
        Some(V::KvlistValue(l)) => J::Object(
            l.values
                .iter()
                .map(|kv| {
                    (
                        kv.key.clone(),
                        kv.value.as_ref().map_or(J::Null, plain_json),
                    )
                })
                .collect(),
        ),
    }
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
}

struct Resource {
    job: String,
    instance: String,
}

struct Out<'a> {
    opts: Options,
    now_ms: i64,
    batch: Batch,
    dropped: Dropped,
    series: &'a mut HashMap<Box<[u8]>, Series>,
    now: Instant,
}

impl Out<'_> {
    /// Writes one sample unless it is older than its series' last.
    fn write(&mut self, labels: Labels, ts_ms: i64, value: f64, exemplar: Option<Exemplar>) {
        let key: Box<[u8]> = labels.as_bytes().into();
        match self.series.get_mut(&key) {
            Some(s) if ts_ms < s.last_ms => {
                self.dropped.out_of_order += 1;
                s.seen = self.now;
                return;
            }
            Some(s) => {
                s.last_ms = ts_ms;
                s.seen = self.now;
            }
            None => {
                self.series.insert(
                    key,
                    Series {
                        last_ms: ts_ms,
                        seen: self.now,
                    },
                );
            }
        }
        self.batch.samples.push(Sample {
            labels,
            timestamp_ms: ts_ms,
            value,
            exemplar: exemplar.map(Box::new),
        });
    }

    fn metadata(&mut self, family: &str, kind: MetricType, help: &str, unit: &str) {
        if self.opts.honor_metadata {
            self.batch.metadata.push(Metadata {
                metric_family: family.to_string(),
                kind,
                help: help.to_string(),
                unit: unit.to_string(),
            });
        }
    }
}

fn set(b: &mut LabelsBuilder, name: &str, value: &str) {
    b.set(name, value);
}

/// A point's labels: name, job, instance, `extra` (`le`, `quantile`), the scope's labels and the point's
/// attributes (which win over all but the name, as in Alloy).
fn point_labels(
    name: &str,
    res: &Resource,
    scope: &InstrumentationScope,
    attrs: &[KeyValue],
    extra: Option<(&str, &str)>,
    opts: &Options,
) -> Labels {
    let mut b = LabelsBuilder::new();
    set(&mut b, "__name__", name);
    set(&mut b, "job", &res.job);
    set(&mut b, "instance", &res.instance);
    if let Some((k, v)) = extra {
        set(&mut b, k, v);
    }
    if opts.include_scope_labels {
        set(&mut b, "otel_scope_name", &scope.name);
        set(&mut b, "otel_scope_version", &scope.version);
    }
    for kv in attrs {
        let v = kv.value.as_ref().map(as_string).unwrap_or_default();
        set(&mut b, &label_name(&kv.key), &v);
    }
    b.labels()
}

fn exemplar(e: &OtlpExemplar) -> Exemplar {
    let mut b = LabelsBuilder::new();
    for kv in &e.filtered_attributes {
        let v = kv.value.as_ref().map(as_string).unwrap_or_default();
        set(&mut b, &label_name(&kv.key), &v);
    }
    let hex = |id: &[u8]| id.iter().map(|x| format!("{x:02x}")).collect::<String>();
    if !e.trace_id.is_empty() {
        set(&mut b, "trace_id", &hex(&e.trace_id));
    }
    if !e.span_id.is_empty() {
        set(&mut b, "span_id", &hex(&e.span_id));
    }
    use ingot_otlp::proto::metrics::v1::exemplar::Value as EV;
    let value = match e.value {
        Some(EV::AsDouble(d)) => d,
        Some(EV::AsInt(i)) => i as f64,
        None => 0.0,
    };
    Exemplar {
        labels: b.labels(),
        value,
        timestamp_ms: Some((e.time_unix_nano / 1_000_000) as i64),
    }
}

fn ms(ns: u64) -> i64 {
    (ns / 1_000_000) as i64
}

/// The value, or a staleness marker when the point says it has none (flag `NO_RECORDED_VALUE`).
fn value_or_stale(flags: u32, v: f64) -> f64 {
    if flags & 1 == 1 {
        stale_nan()
    } else {
        v
    }
}

fn with_resource(attrs: &[KeyValue], resource: &[KeyValue], opts: &Options) -> Vec<KeyValue> {
    let mut all = attrs.to_vec();
    if opts.resource_to_telemetry_conversion {
        for kv in resource {
            match all.iter_mut().find(|a| a.key == kv.key) {
                Some(a) => a.value = kv.value.clone(),
                None => all.push(kv.clone()),
            }
        }
    }
    all
}

impl Converter {
    /// Converts a request; `now` stamps `target_info` and `otel_scope_info`.
    pub fn convert(&self, m: &Metrics, opts: Options, now_ms: i64) -> (Batch, Dropped) {
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Out {
            opts,
            now_ms,
            batch: Batch::default(),
            dropped: Dropped::default(),
            series: &mut series,
            now: Instant::now(),
        };
        for rm in &m.resource_metrics {
            let rattrs: &[KeyValue] = rm.resource.as_ref().map_or(&[], |r| &r.attributes);
            let job = match (
                attr(rattrs, "service.name"),
                attr(rattrs, "service.namespace"),
            ) {
                (Some(n), Some(ns)) => format!("{}/{}", as_string(ns), as_string(n)),
                (Some(n), None) => as_string(n),
                _ => String::new(),
            };
            let instance = attr(rattrs, "service.instance.id")
                .map(as_string)
                .unwrap_or_default();
            let res = Resource { job, instance };
            if opts.include_target_info {
                let mut b = LabelsBuilder::new();
                set(&mut b, "__name__", "target_info");
                set(&mut b, "job", &res.job);
                set(&mut b, "instance", &res.instance);
                for kv in rattrs {
                    if !opts.keep_identifying_resource_attributes
                        && ["service.name", "service.namespace", "service.instance.id"]
                            .contains(&kv.key.as_str())
                    {
                        continue;
                    }
                    let v = kv.value.as_ref().map(as_string).unwrap_or_default();
                    set(&mut b, &label_name(&kv.key), &v);
                }
                out.write(b.labels(), now_ms, 1.0, None);
                out.metadata("target_info", MetricType::Gauge, "Target metadata", "");
            }
            for sm in &rm.scope_metrics {
                let scope = sm.scope.clone().unwrap_or_default();
                if opts.include_scope_info {
                    let mut b = LabelsBuilder::new();
                    set(&mut b, "__name__", "otel_scope_info");
                    set(&mut b, "job", &res.job);
                    set(&mut b, "instance", &res.instance);
                    set(&mut b, "otel_scope_name", &scope.name);
                    set(&mut b, "otel_scope_version", &scope.version);
                    for kv in &scope.attributes {
                        let v = kv.value.as_ref().map(as_string).unwrap_or_default();
                        set(&mut b, &label_name(&kv.key), &v);
                    }
                    out.write(b.labels(), now_ms, 1.0, None);
                    out.metadata("otel_scope_info", MetricType::Gauge, "", "");
                }
                for metric in &sm.metrics {
                    convert_metric(&mut out, &res, &scope, metric, rattrs);
                }
            }
        }
        let _ = out.now_ms;
        (out.batch, out.dropped)
    }

    /// Forgets series not written since `older_than` ago (Alloy's `gc_frequency`).
    pub fn gc(&self, older_than: Duration) -> usize {
        let mut s = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let before = s.len();
        s.retain(|_, v| v.seen.elapsed() < older_than);
        before - s.len()
    }

    pub fn active_series(&self) -> usize {
        self.series.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

fn convert_metric(
    out: &mut Out<'_>,
    res: &Resource,
    scope: &InstrumentationScope,
    m: &Metric,
    rattrs: &[KeyValue],
) {
    let opts = out.opts;
    let cumulative = AggregationTemporality::Cumulative as i32;
    match &m.data {
        Some(metric::Data::Gauge(g)) => {
            let name = metric_name(&m.name, &m.unit, Kind::Gauge, opts.add_metric_suffixes);
            for p in &g.data_points {
                let attrs = with_resource(&p.attributes, rattrs, &opts);
                let labels = point_labels(&name, res, scope, &attrs, None, &opts);
                out.write(
                    labels,
                    ms(p.time_unix_nano),
                    value_or_stale(p.flags, number(&p.value)),
                    None,
                );
            }
            out.metadata(&name, MetricType::Gauge, &m.description, &m.unit);
        }
        Some(metric::Data::Sum(s)) => {
            let (kind, ptype) = match (s.aggregation_temporality == cumulative, s.is_monotonic) {
                (true, true) => (Kind::MonotonicSum, MetricType::Counter),
                (true, false) => (Kind::Other, MetricType::Gauge),
                _ => {
                    out.dropped.delta += s.data_points.len();
                    return;
                }
            };
            let name = metric_name(&m.name, &m.unit, kind, opts.add_metric_suffixes);
            for p in &s.data_points {
                let attrs = with_resource(&p.attributes, rattrs, &opts);
                let labels = point_labels(&name, res, scope, &attrs, None, &opts);
                let ex = if ptype == MetricType::Counter {
                    p.exemplars.last().map(exemplar)
                } else {
                    None
                };
                out.write(
                    labels,
                    ms(p.time_unix_nano),
                    value_or_stale(p.flags, number(&p.value)),
                    ex,
                );
            }
            out.metadata(&name, ptype, &m.description, &m.unit);
        }
        Some(metric::Data::Histogram(h)) => {
            if h.aggregation_temporality != cumulative {
                out.dropped.delta += h.data_points.len();
                return;
            }
            let name = metric_name(&m.name, &m.unit, Kind::Other, opts.add_metric_suffixes);
            for p in &h.data_points {
                let attrs = with_resource(&p.attributes, rattrs, &opts);
                let ts = ms(p.time_unix_nano);
                let v = |x: f64| value_or_stale(p.flags, x);
                if let Some(sum) = p.sum {
                    let l = point_labels(&format!("{name}_sum"), res, scope, &attrs, None, &opts);
                    out.write(l, ts, v(sum), None);
                }
                let l = point_labels(&format!("{name}_count"), res, scope, &attrs, None, &opts);
                out.write(l, ts, v(p.count as f64), None);
                // Cumulative counts over the bounds in ascending order, as Prometheus expects.
                let n = p.explicit_bounds.len().min(p.bucket_counts.len());
                let mut order: Vec<usize> = (0..n).collect();
                order.sort_by(|&a, &b| p.explicit_bounds[a].total_cmp(&p.explicit_bounds[b]));
                let mut cumulative_counts = vec![0u64; n];
                let mut acc = 0u64;
                for &i in &order {
                    acc += p.bucket_counts[i];
                    cumulative_counts[i] = acc;
                }
                let mut exemplars: Vec<&OtlpExemplar> = p.exemplars.iter().collect();
                exemplars.sort_by(|a, b| ex_value(a).total_cmp(&ex_value(b)));
                let mut next_ex = 0;
                let bucket_name = format!("{name}_bucket");
                for (&bound, &count) in p.explicit_bounds[..n].iter().zip(&cumulative_counts) {
                    let le = format_float(bound, 'f', -1);
                    let mut ex = None;
                    while next_ex < exemplars.len() && ex_value(exemplars[next_ex]) < bound {
                        ex = Some(exemplar(exemplars[next_ex]));
                        next_ex += 1;
                    }
                    let l =
                        point_labels(&bucket_name, res, scope, &attrs, Some(("le", &le)), &opts);
                    out.write(l, ts, v(count as f64), ex);
                }
                let ex = exemplars[next_ex..].last().map(|e| exemplar(e));
                let l = point_labels(
                    &bucket_name,
                    res,
                    scope,
                    &attrs,
                    Some(("le", "+Inf")),
                    &opts,
                );
                out.write(l, ts, v(p.count as f64), ex);
            }
            out.metadata(&name, MetricType::Histogram, &m.description, &m.unit);
        }
        Some(metric::Data::Summary(s)) => {
            let name = metric_name(&m.name, &m.unit, Kind::Other, opts.add_metric_suffixes);
            for p in &s.data_points {
                let attrs = with_resource(&p.attributes, rattrs, &opts);
                let ts = ms(p.time_unix_nano);
                let v = |x: f64| value_or_stale(p.flags, x);
                let l = point_labels(&format!("{name}_sum"), res, scope, &attrs, None, &opts);
                out.write(l, ts, v(p.sum), None);
                let l = point_labels(&format!("{name}_count"), res, scope, &attrs, None, &opts);
                out.write(l, ts, v(p.count as f64), None);
                for q in &p.quantile_values {
                    let qs = format_float(q.quantile, 'f', -1);
                    let l = point_labels(&name, res, scope, &attrs, Some(("quantile", &qs)), &opts);
                    out.write(l, ts, v(q.value), None);
                }
            }
            out.metadata(&name, MetricType::Summary, &m.description, &m.unit);
        }
        Some(metric::Data::ExponentialHistogram(h)) => {
            out.dropped.exponential_histograms += h.data_points.len();
        }
        None => {}
    }
}

fn ex_value(e: &OtlpExemplar) -> f64 {
    use ingot_otlp::proto::metrics::v1::exemplar::Value as EV;
    match e.value {
        Some(EV::AsDouble(d)) => d,
        Some(EV::AsInt(i)) => i as f64,
        None => 0.0,
    }
}

fn number(v: &Option<number_data_point::Value>) -> f64 {
    match v {
        Some(number_data_point::Value::AsDouble(d)) => *d,
        Some(number_data_point::Value::AsInt(i)) => *i as f64,
        None => 0.0,
    }
}
