//! The debug exporter's text: a line per item (`normal`) and a full dump (`detailed`) in the layout of the
//! collector's `otlptext` marshaler.

use std::fmt::Write;

use ingot_otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use ingot_otlp::proto::metrics::v1::{metric, number_data_point};
use ingot_otlp::{Data, Logs, Metrics, Traces};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn any(v: &AnyValue) -> String {
    use any_value::Value as V;
    match &v.value {
        None => String::new(),
        Some(V::StringValue(s)) => s.clone(),
        Some(V::BoolValue(b)) => b.to_string(),
        Some(V::IntValue(i)) => i.to_string(),
        Some(V::DoubleValue(d)) => d.to_string(),
        Some(V::BytesValue(b)) => hex(b),
        Some(V::ArrayValue(a)) => format!(
            "[{}]",
            a.values.iter().map(any).collect::<Vec<_>>().join(",")
        ),
        Some(V::KvlistValue(l)) => format!(
            "{{{}}}",
            l.values
                .iter()
                .map(|kv| format!(
                    "{}:{}",
                    kv.key,
                    kv.value.as_ref().map(any).unwrap_or_default()
                ))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

fn kind(v: &AnyValue) -> &'static str {
    use any_value::Value as V;
    match &v.value {
        None => "Empty",
        Some(V::StringValue(_)) => "Str",
        Some(V::BoolValue(_)) => "Bool",
        Some(V::IntValue(_)) => "Int",
        Some(V::DoubleValue(_)) => "Double",
        Some(V::BytesValue(_)) => "Bytes",
        Some(V::ArrayValue(_)) => "Slice",
        Some(V::KvlistValue(_)) => "Map",
    }
}

fn attrs(out: &mut String, indent: &str, title: &str, kvs: &[KeyValue]) {
    if kvs.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}{title}:");
    for kv in kvs {
        let v = kv.value.clone().unwrap_or_default();
        let _ = writeln!(out, "{indent}     -> {}: {}({})", kv.key, kind(&v), any(&v));
    }
}

/// One line per span, data point or record (`normal`).
pub fn lines(data: &Data) -> Vec<String> {
    let mut out = Vec::new();
    match data {
        Data::Traces(t) => {
            for s in t
                .resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .flat_map(|s| &s.spans)
            {
                out.push(format!(
                    "{} {} {}",
                    s.name,
                    hex(&s.trace_id),
                    hex(&s.span_id)
                ));
            }
        }
        Data::Metrics(m) => {
            for m in m
                .resource_metrics
                .iter()
                .flat_map(|r| &r.scope_metrics)
                .flat_map(|s| &s.metrics)
            {
                out.push(format!(
                    "{} ({} data points)",
                    m.name,
                    ingot_otlp::data::metric_points(m)
                ));
            }
        }
        Data::Logs(l) => {
            for r in l
                .resource_logs
                .iter()
                .flat_map(|r| &r.scope_logs)
                .flat_map(|s| &s.log_records)
            {
                out.push(r.body.as_ref().map(any).unwrap_or_default());
            }
        }
    }
    out
}

/// Everything (`detailed`).
pub fn detailed(data: &Data) -> String {
    match data {
        Data::Traces(t) => traces(t),
        Data::Metrics(m) => metrics(m),
        Data::Logs(l) => logs(l),
    }
}

fn traces(t: &Traces) -> String {
    let mut o = String::new();
    for (i, r) in t.resource_spans.iter().enumerate() {
        let _ = writeln!(o, "ResourceSpans #{i}");
        let _ = writeln!(o, "Resource SchemaURL: {}", r.schema_url);
        if let Some(res) = &r.resource {
            attrs(&mut o, "", "Resource attributes", &res.attributes);
        }
        for (j, s) in r.scope_spans.iter().enumerate() {
            let _ = writeln!(o, "ScopeSpans #{j}");
            let _ = writeln!(o, "ScopeSpans SchemaURL: {}", s.schema_url);
            let scope = s.scope.clone().unwrap_or_default();
            let _ = writeln!(o, "InstrumentationScope {} {}", scope.name, scope.version);
            for (k, sp) in s.spans.iter().enumerate() {
                let _ = writeln!(o, "Span #{k}");
                let _ = writeln!(o, "    Trace ID       : {}", hex(&sp.trace_id));
                let _ = writeln!(o, "    Parent ID      : {}", hex(&sp.parent_span_id));
                let _ = writeln!(o, "    ID             : {}", hex(&sp.span_id));
                let _ = writeln!(o, "    Name           : {}", sp.name);
                let _ = writeln!(o, "    Kind           : {}", sp.kind);
                let _ = writeln!(o, "    Start time     : {}", sp.start_time_unix_nano);
                let _ = writeln!(o, "    End time       : {}", sp.end_time_unix_nano);
                let status = sp.status.clone().unwrap_or_default();
                let _ = writeln!(o, "    Status code    : {}", status.code);
                let _ = writeln!(o, "    Status message : {}", status.message);
                attrs(&mut o, "", "Attributes", &sp.attributes);
            }
        }
    }
    o
}

fn metrics(m: &Metrics) -> String {
    let mut o = String::new();
    for (i, r) in m.resource_metrics.iter().enumerate() {
        let _ = writeln!(o, "ResourceMetrics #{i}");
        if let Some(res) = &r.resource {
            attrs(&mut o, "", "Resource attributes", &res.attributes);
        }
        for (j, s) in r.scope_metrics.iter().enumerate() {
            let _ = writeln!(o, "ScopeMetrics #{j}");
            let scope = s.scope.clone().unwrap_or_default();
            let _ = writeln!(o, "InstrumentationScope {} {}", scope.name, scope.version);
            for (k, mt) in s.metrics.iter().enumerate() {
                let _ = writeln!(o, "Metric #{k}");
                let _ = writeln!(o, "Descriptor:");
                let _ = writeln!(o, "     -> Name: {}", mt.name);
                let _ = writeln!(o, "     -> Description: {}", mt.description);
                let _ = writeln!(o, "     -> Unit: {}", mt.unit);
                let points: Vec<(Vec<KeyValue>, String)> = match &mt.data {
                    Some(metric::Data::Gauge(g)) => g
                        .data_points
                        .iter()
                        .map(|p| (p.attributes.clone(), number(&p.value)))
                        .collect(),
                    Some(metric::Data::Sum(s)) => s
                        .data_points
                        .iter()
                        .map(|p| (p.attributes.clone(), number(&p.value)))
                        .collect(),
                    Some(metric::Data::Histogram(h)) => h
                        .data_points
                        .iter()
                        .map(|p| {
                            (
                                p.attributes.clone(),
                                format!("Count: {} Sum: {}", p.count, p.sum.unwrap_or(0.0)),
                            )
                        })
                        .collect(),
                    Some(metric::Data::ExponentialHistogram(h)) => h
                        .data_points
                        .iter()
                        .map(|p| {
                            (
                                p.attributes.clone(),
                                format!("Count: {} Sum: {}", p.count, p.sum.unwrap_or(0.0)),
                            )
                        })
                        .collect(),
                    Some(metric::Data::Summary(s)) => s
                        .data_points
                        .iter()
                        .map(|p| {
                            (
                                p.attributes.clone(),
                                format!("Count: {} Sum: {}", p.count, p.sum),
                            )
                        })
                        .collect(),
                    None => Vec::new(),
                };
                for (n, (a, v)) in points.iter().enumerate() {
                    let _ = writeln!(o, "NumberDataPoints #{n}");
                    attrs(&mut o, "", "Data point attributes", a);
                    let _ = writeln!(o, "Value: {v}");
                }
            }
        }
    }
    o
}

fn number(v: &Option<number_data_point::Value>) -> String {
    match v {
        Some(number_data_point::Value::AsDouble(d)) => format!("{d:.6}"),
        Some(number_data_point::Value::AsInt(i)) => i.to_string(),
        None => String::new(),
    }
}

fn logs(l: &Logs) -> String {
    let mut o = String::new();
    for (i, r) in l.resource_logs.iter().enumerate() {
        let _ = writeln!(o, "ResourceLog #{i}");
        if let Some(res) = &r.resource {
            attrs(&mut o, "", "Resource attributes", &res.attributes);
        }
        for (j, s) in r.scope_logs.iter().enumerate() {
            let _ = writeln!(o, "ScopeLogs #{j}");
            let scope = s.scope.clone().unwrap_or_default();
            let _ = writeln!(o, "InstrumentationScope {} {}", scope.name, scope.version);
            for (k, rec) in s.log_records.iter().enumerate() {
                let _ = writeln!(o, "LogRecord #{k}");
                let _ = writeln!(o, "ObservedTimestamp: {}", rec.observed_time_unix_nano);
                let _ = writeln!(o, "Timestamp: {}", rec.time_unix_nano);
                let _ = writeln!(o, "SeverityText: {}", rec.severity_text);
                let _ = writeln!(o, "SeverityNumber: {}", rec.severity_number);
                let body = rec.body.clone().unwrap_or_default();
                let _ = writeln!(o, "Body: {}({})", kind(&body), any(&body));
                attrs(&mut o, "", "Attributes", &rec.attributes);
                let _ = writeln!(o, "Trace ID: {}", hex(&rec.trace_id));
                let _ = writeln!(o, "Span ID: {}", hex(&rec.span_id));
                let _ = writeln!(o, "Flags: {}", rec.flags);
            }
        }
    }
    o
}
