//! OTLP/JSON (the OTLP specification's JSON encoding, the protobuf JSON mapping with OTLP's exceptions):
//! trace and span ids are hex strings (not base64), enums are integers, 64-bit integers are decimal
//! strings (numbers are accepted too), field names are lowerCamelCase (the proto names are accepted too)
//! and unknown fields are ignored. [`decode`] reads a request; [`encode`] writes one.

use base64::Engine;
use serde_json::{Map, Value};

use crate::data::{Data, Logs, Metrics, Signal, Traces};
use crate::proto::common::v1::{
    any_value, AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList,
};
use crate::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::proto::metrics::v1::{
    exemplar, exponential_histogram_data_point, metric, number_data_point, summary_data_point,
    Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint,
};
use crate::proto::resource::v1::Resource;
use crate::proto::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};

/// Decodes an OTLP/JSON request of `signal`. The error names the field where decoding stopped.
pub fn decode(signal: Signal, bytes: &[u8]) -> Result<Data, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
    let mut p = Path(Vec::new());
    let obj = p.object(&v)?;
    Ok(match signal {
        Signal::Traces => Data::Traces(Traces {
            resource_spans: p.list(obj, "resourceSpans", "resource_spans", resource_spans)?,
        }),
        Signal::Metrics => Data::Metrics(Metrics {
            resource_metrics: p.list(
                obj,
                "resourceMetrics",
                "resource_metrics",
                resource_metrics,
            )?,
        }),
        Signal::Logs => Data::Logs(Logs {
            resource_logs: p.list(obj, "resourceLogs", "resource_logs", resource_logs)?,
        }),
    })
}

/// Where the decoder is, for errors: `resourceSpans[0].scopeSpans[1].spans[2].traceId`.
struct Path(Vec<String>);

type Obj = Map<String, Value>;

impl Path {
    fn err(&self, msg: impl std::fmt::Display) -> String {
        if self.0.is_empty() {
            return msg.to_string();
        }
        let mut s = String::new();
        for part in &self.0 {
            if !s.is_empty() && !part.starts_with('[') {
                s.push('.');
            }
            s.push_str(part);
        }
        format!("{s}: {msg}")
    }

    fn object<'v>(&self, v: &'v Value) -> Result<&'v Obj, String> {
        v.as_object()
            .ok_or_else(|| self.err(format!("expected an object, got {}", kind(v))))
    }

    /// The field under its JSON name or its proto name; `null` counts as absent.
    fn field<'v>(obj: &'v Obj, camel: &str, snake: &str) -> Option<&'v Value> {
        obj.get(camel)
            .or_else(|| obj.get(snake))
            .filter(|v| !v.is_null())
    }

    fn with<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Path) -> Result<T, String>,
    ) -> Result<T, String> {
        self.0.push(name.to_string());
        let r = f(self);
        self.0.pop();
        r
    }

    fn list<T>(
        &mut self,
        obj: &Obj,
        camel: &str,
        snake: &str,
        each: fn(&mut Path, &Obj) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        let Some(v) = Self::field(obj, camel, snake) else {
            return Ok(Vec::new());
        };
        self.with(camel, |p| {
            let arr = v
                .as_array()
                .ok_or_else(|| p.err(format!("expected an array, got {}", kind(v))))?;
            let mut out = Vec::with_capacity(arr.len());
            for (i, item) in arr.iter().enumerate() {
                out.push(p.with(&format!("[{i}]"), |p| {
                    let o = p.object(item)?;
                    each(p, o)
                })?);
            }
            Ok(out)
        })
    }

    fn message<T>(
        &mut self,
        obj: &Obj,
        camel: &str,
        snake: &str,
        each: fn(&mut Path, &Obj) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        let Some(v) = Self::field(obj, camel, snake) else {
            return Ok(None);
        };
        self.with(camel, |p| {
            let o = p.object(v)?;
            each(p, o).map(Some)
        })
    }

    fn string(&mut self, obj: &Obj, camel: &str, snake: &str) -> Result<String, String> {
        match Self::field(obj, camel, snake) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(self.with(camel, |p| {
                Ok(p.err(format!("expected a string, got {}", kind(v))))
            })?),
        }
    }

    fn bool(&mut self, obj: &Obj, camel: &str, snake: &str) -> Result<bool, String> {
        match Self::field(obj, camel, snake) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.with(camel, |p| {
                Ok(p.err(format!("expected true or false, got {}", kind(v))))
            })?),
        }
    }

    /// A 64-bit unsigned integer: a decimal string or a number.
    fn u64(&mut self, obj: &Obj, camel: &str, snake: &str) -> Result<u64, String> {
        match Self::field(obj, camel, snake) {
            None => Ok(0),
            Some(v) => self.with(camel, |p| uint(p, v)),
        }
    }

    fn i64(&mut self, obj: &Obj, camel: &str, snake: &str) -> Result<i64, String> {
        match Self::field(obj, camel, snake) {
            None => Ok(0),
            Some(v) => self.with(camel, |p| int(p, v)),
        }
    }

    fn u32(&mut self, obj: &Obj, camel: &str, snake: &str) -> Result<u32, String> {
        let n = self.u64(obj, camel, snake)?;
        u32::try_from(n).map_err(|_| {
            self.with(camel, |p| {
                Ok(p.err(format!("{n} is out of range for uint32")))
            })
            .unwrap_or_default()
        })
    }

    fn i32(&mut self, obj: &Obj, camel: &str, snake: &str) -> Result<i32, String> {
        let n = self.i64(obj, camel, snake)?;
        i32::try_from(n).map_err(|_| {
            self.with(camel, |p| {
                Ok(p.err(format!("{n} is out of range for int32")))
            })
            .unwrap_or_default()
        })
    }

    fn f64(&mut self, obj: &Obj, camel: &str, snake: &str) -> Result<f64, String> {
        match Self::field(obj, camel, snake) {
            None => Ok(0.0),
            Some(v) => self.with(camel, |p| float(p, v)),
        }
    }

    fn opt_f64(&mut self, obj: &Obj, camel: &str, snake: &str) -> Result<Option<f64>, String> {
        match Self::field(obj, camel, snake) {
            None => Ok(None),
            Some(v) => self.with(camel, |p| float(p, v)).map(Some),
        }
    }

    /// A trace or span id: hex digits of the given length in bytes; empty is no id.
    fn id(&mut self, obj: &Obj, camel: &str, snake: &str, len: usize) -> Result<Vec<u8>, String> {
        let s = self.string(obj, camel, snake)?;
        if s.is_empty() {
            return Ok(Vec::new());
        }
        let bytes = hex_decode(&s);
        match bytes {
            Some(b) if b.len() == len => Ok(b),
            _ => Err(self.with(camel, |p| {
                Ok(p.err(format!("expected {} hex digits, got {s:?}", len * 2)))
            })?),
        }
    }

    fn u64_list(&mut self, obj: &Obj, camel: &str, snake: &str) -> Result<Vec<u64>, String> {
        let Some(v) = Self::field(obj, camel, snake) else {
            return Ok(Vec::new());
        };
        self.with(camel, |p| {
            let arr = v
                .as_array()
                .ok_or_else(|| p.err(format!("expected an array, got {}", kind(v))))?;
            arr.iter()
                .enumerate()
                .map(|(i, x)| p.with(&format!("[{i}]"), |p| uint(p, x)))
                .collect()
        })
    }

    fn f64_list(&mut self, obj: &Obj, camel: &str, snake: &str) -> Result<Vec<f64>, String> {
        let Some(v) = Self::field(obj, camel, snake) else {
            return Ok(Vec::new());
        };
        self.with(camel, |p| {
            let arr = v
                .as_array()
                .ok_or_else(|| p.err(format!("expected an array, got {}", kind(v))))?;
            arr.iter()
                .enumerate()
                .map(|(i, x)| p.with(&format!("[{i}]"), |p| float(p, x)))
                .collect()
        })
    }

    fn strings(&mut self, obj: &Obj, camel: &str, snake: &str) -> Result<Vec<String>, String> {
        let Some(v) = Self::field(obj, camel, snake) else {
            return Ok(Vec::new());
        };
        self.with(camel, |p| {
            let arr = v
                .as_array()
                .ok_or_else(|| p.err(format!("expected an array, got {}", kind(v))))?;
            arr.iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| p.err(format!("expected a string, got {}", kind(x))))
                })
                .collect()
        })
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn uint(p: &Path, v: &Value) -> Result<u64, String> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| p.err(format!("expected an unsigned integer, got {n}"))),
        Value::String(s) => s
            .parse::<u64>()
            .map_err(|_| p.err(format!("expected an unsigned integer, got {s:?}"))),
        other => Err(p.err(format!("expected an unsigned integer, got {}", kind(other)))),
    }
}

fn int(p: &Path, v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| p.err(format!("expected an integer, got {n}"))),
        Value::String(s) => s
            .parse::<i64>()
            .map_err(|_| p.err(format!("expected an integer, got {s:?}"))),
        other => Err(p.err(format!("expected an integer, got {}", kind(other)))),
    }
}

fn float(p: &Path, v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| p.err(format!("expected a number, got {n}"))),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => s
                .parse::<f64>()
                .map_err(|_| p.err(format!("expected a number, got {s:?}"))),
        },
        other => Err(p.err(format!("expected a number, got {}", kind(other)))),
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks(2)
        .map(|c| Some(digit(c[0])? << 4 | digit(c[1])?))
        .collect()
}

fn hex_encode(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(D[(x >> 4) as usize] as char);
        s.push(D[(x & 15) as usize] as char);
    }
    s
}

fn resource(p: &mut Path, o: &Obj) -> Result<Resource, String> {
    Ok(Resource {
        attributes: p.list(o, "attributes", "attributes", key_value)?,
        dropped_attributes_count: p.u32(o, "droppedAttributesCount", "dropped_attributes_count")?,
        entity_refs: p.list(o, "entityRefs", "entity_refs", entity_ref)?,
    })
}

fn entity_ref(p: &mut Path, o: &Obj) -> Result<EntityRef, String> {
    Ok(EntityRef {
        schema_url: p.string(o, "schemaUrl", "schema_url")?,
        r#type: p.string(o, "type", "type")?,
        id_keys: p.strings(o, "idKeys", "id_keys")?,
        description_keys: p.strings(o, "descriptionKeys", "description_keys")?,
    })
}

fn scope(p: &mut Path, o: &Obj) -> Result<InstrumentationScope, String> {
    Ok(InstrumentationScope {
        name: p.string(o, "name", "name")?,
        version: p.string(o, "version", "version")?,
        attributes: p.list(o, "attributes", "attributes", key_value)?,
        dropped_attributes_count: p.u32(o, "droppedAttributesCount", "dropped_attributes_count")?,
    })
}

fn key_value(p: &mut Path, o: &Obj) -> Result<KeyValue, String> {
    Ok(KeyValue {
        key: p.string(o, "key", "key")?,
        value: p.message(o, "value", "value", any_value)?,
    })
}

fn any_value(p: &mut Path, o: &Obj) -> Result<AnyValue, String> {
    use any_value::Value as V;
    let value = if let Some(v) = Path::field(o, "stringValue", "string_value") {
        let _ = v;
        Some(V::StringValue(p.string(
            o,
            "stringValue",
            "string_value",
        )?))
    } else if Path::field(o, "boolValue", "bool_value").is_some() {
        Some(V::BoolValue(p.bool(o, "boolValue", "bool_value")?))
    } else if Path::field(o, "intValue", "int_value").is_some() {
        Some(V::IntValue(p.i64(o, "intValue", "int_value")?))
    } else if Path::field(o, "doubleValue", "double_value").is_some() {
        Some(V::DoubleValue(p.f64(o, "doubleValue", "double_value")?))
    } else if Path::field(o, "arrayValue", "array_value").is_some() {
        p.message(o, "arrayValue", "array_value", |p, o| {
            Ok(ArrayValue {
                values: p.list(o, "values", "values", any_value)?,
            })
        })?
        .map(V::ArrayValue)
    } else if Path::field(o, "kvlistValue", "kvlist_value").is_some() {
        p.message(o, "kvlistValue", "kvlist_value", |p, o| {
            Ok(KeyValueList {
                values: p.list(o, "values", "values", key_value)?,
            })
        })?
        .map(V::KvlistValue)
    } else if Path::field(o, "bytesValue", "bytes_value").is_some() {
        let s = p.string(o, "bytesValue", "bytes_value")?;
        let b = base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(s.as_bytes()))
            .map_err(|e| {
                p.with("bytesValue", |p| Ok(p.err(format!("invalid base64: {e}"))))
                    .unwrap_or_default()
            })?;
        Some(V::BytesValue(b))
    } else {
        None
    };
    Ok(AnyValue { value })
}

fn resource_spans(p: &mut Path, o: &Obj) -> Result<ResourceSpans, String> {
    Ok(ResourceSpans {
        resource: p.message(o, "resource", "resource", resource)?,
        scope_spans: p.list(o, "scopeSpans", "scope_spans", scope_spans)?,
        schema_url: p.string(o, "schemaUrl", "schema_url")?,
    })
}

fn scope_spans(p: &mut Path, o: &Obj) -> Result<ScopeSpans, String> {
    Ok(ScopeSpans {
        scope: p.message(o, "scope", "scope", scope)?,
        spans: p.list(o, "spans", "spans", span)?,
        schema_url: p.string(o, "schemaUrl", "schema_url")?,
    })
}

fn span(p: &mut Path, o: &Obj) -> Result<Span, String> {
    Ok(Span {
        trace_id: p.id(o, "traceId", "trace_id", 16)?,
        span_id: p.id(o, "spanId", "span_id", 8)?,
        trace_state: p.string(o, "traceState", "trace_state")?,
        parent_span_id: p.id(o, "parentSpanId", "parent_span_id", 8)?,
        flags: p.u32(o, "flags", "flags")?,
        name: p.string(o, "name", "name")?,
        kind: p.i32(o, "kind", "kind")?,
        start_time_unix_nano: p.u64(o, "startTimeUnixNano", "start_time_unix_nano")?,
        end_time_unix_nano: p.u64(o, "endTimeUnixNano", "end_time_unix_nano")?,
        attributes: p.list(o, "attributes", "attributes", key_value)?,
        dropped_attributes_count: p.u32(o, "droppedAttributesCount", "dropped_attributes_count")?,
        events: p.list(o, "events", "events", |p, o| {
            Ok(span::Event {
                time_unix_nano: p.u64(o, "timeUnixNano", "time_unix_nano")?,
                name: p.string(o, "name", "name")?,
                attributes: p.list(o, "attributes", "attributes", key_value)?,
                dropped_attributes_count: p.u32(
                    o,
                    "droppedAttributesCount",
                    "dropped_attributes_count",
                )?,
            })
        })?,
        dropped_events_count: p.u32(o, "droppedEventsCount", "dropped_events_count")?,
        links: p.list(o, "links", "links", |p, o| {
            Ok(span::Link {
                trace_id: p.id(o, "traceId", "trace_id", 16)?,
                span_id: p.id(o, "spanId", "span_id", 8)?,
                trace_state: p.string(o, "traceState", "trace_state")?,
                attributes: p.list(o, "attributes", "attributes", key_value)?,
                dropped_attributes_count: p.u32(
                    o,
                    "droppedAttributesCount",
                    "dropped_attributes_count",
                )?,
                flags: p.u32(o, "flags", "flags")?,
            })
        })?,
        dropped_links_count: p.u32(o, "droppedLinksCount", "dropped_links_count")?,
        status: p.message(o, "status", "status", |p, o| {
            Ok(Status {
                message: p.string(o, "message", "message")?,
                code: p.i32(o, "code", "code")?,
            })
        })?,
    })
}

fn resource_logs(p: &mut Path, o: &Obj) -> Result<ResourceLogs, String> {
    Ok(ResourceLogs {
        resource: p.message(o, "resource", "resource", resource)?,
        scope_logs: p.list(o, "scopeLogs", "scope_logs", |p, o| {
            Ok(ScopeLogs {
                scope: p.message(o, "scope", "scope", scope)?,
                log_records: p.list(o, "logRecords", "log_records", log_record)?,
                schema_url: p.string(o, "schemaUrl", "schema_url")?,
            })
        })?,
        schema_url: p.string(o, "schemaUrl", "schema_url")?,
    })
}

fn log_record(p: &mut Path, o: &Obj) -> Result<LogRecord, String> {
    Ok(LogRecord {
        time_unix_nano: p.u64(o, "timeUnixNano", "time_unix_nano")?,
        observed_time_unix_nano: p.u64(o, "observedTimeUnixNano", "observed_time_unix_nano")?,
        severity_number: p.i32(o, "severityNumber", "severity_number")?,
        severity_text: p.string(o, "severityText", "severity_text")?,
        body: p.message(o, "body", "body", any_value)?,
        attributes: p.list(o, "attributes", "attributes", key_value)?,
        dropped_attributes_count: p.u32(o, "droppedAttributesCount", "dropped_attributes_count")?,
        flags: p.u32(o, "flags", "flags")?,
        trace_id: p.id(o, "traceId", "trace_id", 16)?,
        span_id: p.id(o, "spanId", "span_id", 8)?,
        event_name: p.string(o, "eventName", "event_name")?,
    })
}

fn resource_metrics(p: &mut Path, o: &Obj) -> Result<ResourceMetrics, String> {
    Ok(ResourceMetrics {
        resource: p.message(o, "resource", "resource", resource)?,
        scope_metrics: p.list(o, "scopeMetrics", "scope_metrics", |p, o| {
            Ok(ScopeMetrics {
                scope: p.message(o, "scope", "scope", scope)?,
                metrics: p.list(o, "metrics", "metrics", metric)?,
                schema_url: p.string(o, "schemaUrl", "schema_url")?,
            })
        })?,
        schema_url: p.string(o, "schemaUrl", "schema_url")?,
    })
}

fn metric(p: &mut Path, o: &Obj) -> Result<Metric, String> {
    use metric::Data as D;
    let data = if let Some(g) = p.message(o, "gauge", "gauge", |p, o| {
        Ok(Gauge {
            data_points: p.list(o, "dataPoints", "data_points", number_point)?,
        })
    })? {
        Some(D::Gauge(g))
    } else if let Some(s) = p.message(o, "sum", "sum", |p, o| {
        Ok(Sum {
            data_points: p.list(o, "dataPoints", "data_points", number_point)?,
            aggregation_temporality: p.i32(
                o,
                "aggregationTemporality",
                "aggregation_temporality",
            )?,
            is_monotonic: p.bool(o, "isMonotonic", "is_monotonic")?,
        })
    })? {
        Some(D::Sum(s))
    } else if let Some(h) = p.message(o, "histogram", "histogram", |p, o| {
        Ok(Histogram {
            data_points: p.list(o, "dataPoints", "data_points", histogram_point)?,
            aggregation_temporality: p.i32(
                o,
                "aggregationTemporality",
                "aggregation_temporality",
            )?,
        })
    })? {
        Some(D::Histogram(h))
    } else if let Some(h) = p.message(
        o,
        "exponentialHistogram",
        "exponential_histogram",
        |p, o| {
            Ok(ExponentialHistogram {
                data_points: p.list(o, "dataPoints", "data_points", exp_point)?,
                aggregation_temporality: p.i32(
                    o,
                    "aggregationTemporality",
                    "aggregation_temporality",
                )?,
            })
        },
    )? {
        Some(D::ExponentialHistogram(h))
    } else {
        p.message(o, "summary", "summary", |p, o| {
            Ok(Summary {
                data_points: p.list(o, "dataPoints", "data_points", summary_point)?,
            })
        })?
        .map(D::Summary)
    };
    Ok(Metric {
        name: p.string(o, "name", "name")?,
        description: p.string(o, "description", "description")?,
        unit: p.string(o, "unit", "unit")?,
        metadata: p.list(o, "metadata", "metadata", key_value)?,
        data,
    })
}

fn number_point(p: &mut Path, o: &Obj) -> Result<NumberDataPoint, String> {
    let value = if Path::field(o, "asDouble", "as_double").is_some() {
        Some(number_data_point::Value::AsDouble(p.f64(
            o,
            "asDouble",
            "as_double",
        )?))
    } else if Path::field(o, "asInt", "as_int").is_some() {
        Some(number_data_point::Value::AsInt(
            p.i64(o, "asInt", "as_int")?,
        ))
    } else {
        None
    };
    Ok(NumberDataPoint {
        attributes: p.list(o, "attributes", "attributes", key_value)?,
        start_time_unix_nano: p.u64(o, "startTimeUnixNano", "start_time_unix_nano")?,
        time_unix_nano: p.u64(o, "timeUnixNano", "time_unix_nano")?,
        exemplars: p.list(o, "exemplars", "exemplars", exemplar)?,
        flags: p.u32(o, "flags", "flags")?,
        value,
    })
}

fn exemplar(p: &mut Path, o: &Obj) -> Result<Exemplar, String> {
    let value = if Path::field(o, "asDouble", "as_double").is_some() {
        Some(exemplar::Value::AsDouble(p.f64(
            o,
            "asDouble",
            "as_double",
        )?))
    } else if Path::field(o, "asInt", "as_int").is_some() {
        Some(exemplar::Value::AsInt(p.i64(o, "asInt", "as_int")?))
    } else {
        None
    };
    Ok(Exemplar {
        filtered_attributes: p.list(o, "filteredAttributes", "filtered_attributes", key_value)?,
        time_unix_nano: p.u64(o, "timeUnixNano", "time_unix_nano")?,
        span_id: p.id(o, "spanId", "span_id", 8)?,
        trace_id: p.id(o, "traceId", "trace_id", 16)?,
        value,
    })
}

fn histogram_point(p: &mut Path, o: &Obj) -> Result<HistogramDataPoint, String> {
    Ok(HistogramDataPoint {
        attributes: p.list(o, "attributes", "attributes", key_value)?,
        start_time_unix_nano: p.u64(o, "startTimeUnixNano", "start_time_unix_nano")?,
        time_unix_nano: p.u64(o, "timeUnixNano", "time_unix_nano")?,
        count: p.u64(o, "count", "count")?,
        sum: p.opt_f64(o, "sum", "sum")?,
        bucket_counts: p.u64_list(o, "bucketCounts", "bucket_counts")?,
        explicit_bounds: p.f64_list(o, "explicitBounds", "explicit_bounds")?,
        exemplars: p.list(o, "exemplars", "exemplars", exemplar)?,
        flags: p.u32(o, "flags", "flags")?,
        min: p.opt_f64(o, "min", "min")?,
        max: p.opt_f64(o, "max", "max")?,
    })
}

fn buckets(p: &mut Path, o: &Obj) -> Result<exponential_histogram_data_point::Buckets, String> {
    Ok(exponential_histogram_data_point::Buckets {
        offset: p.i32(o, "offset", "offset")?,
        bucket_counts: p.u64_list(o, "bucketCounts", "bucket_counts")?,
    })
}

fn exp_point(p: &mut Path, o: &Obj) -> Result<ExponentialHistogramDataPoint, String> {
    Ok(ExponentialHistogramDataPoint {
        attributes: p.list(o, "attributes", "attributes", key_value)?,
        start_time_unix_nano: p.u64(o, "startTimeUnixNano", "start_time_unix_nano")?,
        time_unix_nano: p.u64(o, "timeUnixNano", "time_unix_nano")?,
        count: p.u64(o, "count", "count")?,
        sum: p.opt_f64(o, "sum", "sum")?,
        scale: p.i32(o, "scale", "scale")?,
        zero_count: p.u64(o, "zeroCount", "zero_count")?,
        positive: p.message(o, "positive", "positive", buckets)?,
        negative: p.message(o, "negative", "negative", buckets)?,
        flags: p.u32(o, "flags", "flags")?,
        exemplars: p.list(o, "exemplars", "exemplars", exemplar)?,
        min: p.opt_f64(o, "min", "min")?,
        max: p.opt_f64(o, "max", "max")?,
        zero_threshold: p.f64(o, "zeroThreshold", "zero_threshold")?,
    })
}

fn summary_point(p: &mut Path, o: &Obj) -> Result<SummaryDataPoint, String> {
    Ok(SummaryDataPoint {
        attributes: p.list(o, "attributes", "attributes", key_value)?,
        start_time_unix_nano: p.u64(o, "startTimeUnixNano", "start_time_unix_nano")?,
        time_unix_nano: p.u64(o, "timeUnixNano", "time_unix_nano")?,
        count: p.u64(o, "count", "count")?,
        sum: p.f64(o, "sum", "sum")?,
        quantile_values: p.list(o, "quantileValues", "quantile_values", |p, o| {
            Ok(summary_data_point::ValueAtQuantile {
                quantile: p.f64(o, "quantile", "quantile")?,
                value: p.f64(o, "value", "value")?,
            })
        })?,
        flags: p.u32(o, "flags", "flags")?,
    })
}

// ---- encoding ----

/// Encodes a request as OTLP/JSON (fields at their default values are left out, as protobuf's JSON
/// mapping does).
pub fn encode(data: &Data) -> Vec<u8> {
    let v = match data {
        Data::Traces(t) => obj([(
            "resourceSpans",
            list(&t.resource_spans, |r| {
                obj([
                    ("resource", opt(&r.resource, enc_resource)),
                    (
                        "scopeSpans",
                        list(&r.scope_spans, |s| {
                            obj([
                                ("scope", opt(&s.scope, enc_scope)),
                                ("spans", list(&s.spans, enc_span)),
                                ("schemaUrl", st(&s.schema_url)),
                            ])
                        }),
                    ),
                    ("schemaUrl", st(&r.schema_url)),
                ])
            }),
        )]),
        Data::Metrics(m) => obj([(
            "resourceMetrics",
            list(&m.resource_metrics, |r| {
                obj([
                    ("resource", opt(&r.resource, enc_resource)),
                    (
                        "scopeMetrics",
                        list(&r.scope_metrics, |s| {
                            obj([
                                ("scope", opt(&s.scope, enc_scope)),
                                ("metrics", list(&s.metrics, enc_metric)),
                                ("schemaUrl", st(&s.schema_url)),
                            ])
                        }),
                    ),
                    ("schemaUrl", st(&r.schema_url)),
                ])
            }),
        )]),
        Data::Logs(l) => obj([(
            "resourceLogs",
            list(&l.resource_logs, |r| {
                obj([
                    ("resource", opt(&r.resource, enc_resource)),
                    (
                        "scopeLogs",
                        list(&r.scope_logs, |s| {
                            obj([
                                ("scope", opt(&s.scope, enc_scope)),
                                ("logRecords", list(&s.log_records, enc_log)),
                                ("schemaUrl", st(&s.schema_url)),
                            ])
                        }),
                    ),
                    ("schemaUrl", st(&r.schema_url)),
                ])
            }),
        )]),
    };
    serde_json::to_vec(&v).unwrap_or_default()
}

fn obj<const N: usize>(fields: [(&str, Value); N]) -> Value {
    let mut m = Map::new();
    for (k, v) in fields {
        let empty = match &v {
            Value::Null => true,
            Value::Array(a) => a.is_empty(),
            _ => false,
        };
        if !empty {
            m.insert(k.to_string(), v);
        }
    }
    Value::Object(m)
}

fn list<T>(items: &[T], f: impl Fn(&T) -> Value) -> Value {
    Value::Array(items.iter().map(f).collect())
}

fn opt<T>(v: &Option<T>, f: impl Fn(&T) -> Value) -> Value {
    v.as_ref().map_or(Value::Null, f)
}

fn st(s: &str) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        Value::String(s.to_string())
    }
}

fn id(b: &[u8]) -> Value {
    if b.is_empty() {
        Value::Null
    } else {
        Value::String(hex_encode(b))
    }
}

fn u64s(n: u64) -> Value {
    if n == 0 {
        Value::Null
    } else {
        Value::String(n.to_string())
    }
}

fn num<T: Into<serde_json::Number> + Default + PartialEq>(n: T) -> Value {
    if n == T::default() {
        Value::Null
    } else {
        Value::Number(n.into())
    }
}

fn dbl(f: f64) -> Value {
    if f.is_nan() {
        Value::String("NaN".into())
    } else if f.is_infinite() {
        Value::String(if f > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

fn nonzero_dbl(f: f64) -> Value {
    if f == 0.0 {
        Value::Null
    } else {
        dbl(f)
    }
}

fn boolean(b: bool) -> Value {
    if b {
        Value::Bool(true)
    } else {
        Value::Null
    }
}

fn enc_resource(r: &Resource) -> Value {
    obj([
        ("attributes", list(&r.attributes, enc_kv)),
        ("droppedAttributesCount", num(r.dropped_attributes_count)),
        (
            "entityRefs",
            list(&r.entity_refs, |e| {
                obj([
                    ("schemaUrl", st(&e.schema_url)),
                    ("type", st(&e.r#type)),
                    (
                        "idKeys",
                        Value::Array(e.id_keys.iter().map(|k| Value::String(k.clone())).collect()),
                    ),
                    (
                        "descriptionKeys",
                        Value::Array(
                            e.description_keys
                                .iter()
                                .map(|k| Value::String(k.clone()))
                                .collect(),
                        ),
                    ),
                ])
            }),
        ),
    ])
}

fn enc_scope(s: &InstrumentationScope) -> Value {
    obj([
        ("name", st(&s.name)),
        ("version", st(&s.version)),
        ("attributes", list(&s.attributes, enc_kv)),
        ("droppedAttributesCount", num(s.dropped_attributes_count)),
    ])
}

fn enc_kv(kv: &KeyValue) -> Value {
    obj([
        ("key", Value::String(kv.key.clone())),
        ("value", opt(&kv.value, enc_any)),
    ])
}

fn enc_any(v: &AnyValue) -> Value {
    use any_value::Value as V;
    match &v.value {
        None => Value::Object(Map::new()),
        Some(V::StringValue(s)) => obj([("stringValue", Value::String(s.clone()))]),
        Some(V::BoolValue(b)) => obj([("boolValue", Value::Bool(*b))]),
        Some(V::IntValue(i)) => obj([("intValue", Value::String(i.to_string()))]),
        Some(V::DoubleValue(d)) => obj([("doubleValue", dbl(*d))]),
        Some(V::ArrayValue(a)) => {
            obj([("arrayValue", obj([("values", list(&a.values, enc_any))]))])
        }
        Some(V::KvlistValue(l)) => {
            obj([("kvlistValue", obj([("values", list(&l.values, enc_kv))]))])
        }
        Some(V::BytesValue(b)) => obj([(
            "bytesValue",
            Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
        )]),
    }
}

fn enc_span(s: &Span) -> Value {
    obj([
        ("traceId", id(&s.trace_id)),
        ("spanId", id(&s.span_id)),
        ("traceState", st(&s.trace_state)),
        ("parentSpanId", id(&s.parent_span_id)),
        ("flags", num(s.flags)),
        ("name", st(&s.name)),
        ("kind", num(s.kind)),
        ("startTimeUnixNano", u64s(s.start_time_unix_nano)),
        ("endTimeUnixNano", u64s(s.end_time_unix_nano)),
        ("attributes", list(&s.attributes, enc_kv)),
        ("droppedAttributesCount", num(s.dropped_attributes_count)),
        (
            "events",
            list(&s.events, |e| {
                obj([
                    ("timeUnixNano", u64s(e.time_unix_nano)),
                    ("name", st(&e.name)),
                    ("attributes", list(&e.attributes, enc_kv)),
                    ("droppedAttributesCount", num(e.dropped_attributes_count)),
                ])
            }),
        ),
        ("droppedEventsCount", num(s.dropped_events_count)),
        (
            "links",
            list(&s.links, |l| {
                obj([
                    ("traceId", id(&l.trace_id)),
                    ("spanId", id(&l.span_id)),
                    ("traceState", st(&l.trace_state)),
                    ("attributes", list(&l.attributes, enc_kv)),
                    ("droppedAttributesCount", num(l.dropped_attributes_count)),
                    ("flags", num(l.flags)),
                ])
            }),
        ),
        ("droppedLinksCount", num(s.dropped_links_count)),
        (
            "status",
            opt(&s.status, |st_| {
                obj([("message", st(&st_.message)), ("code", num(st_.code))])
            }),
        ),
    ])
}

fn enc_log(l: &LogRecord) -> Value {
    obj([
        ("timeUnixNano", u64s(l.time_unix_nano)),
        ("observedTimeUnixNano", u64s(l.observed_time_unix_nano)),
        ("severityNumber", num(l.severity_number)),
        ("severityText", st(&l.severity_text)),
        ("body", opt(&l.body, enc_any)),
        ("attributes", list(&l.attributes, enc_kv)),
        ("droppedAttributesCount", num(l.dropped_attributes_count)),
        ("flags", num(l.flags)),
        ("traceId", id(&l.trace_id)),
        ("spanId", id(&l.span_id)),
        ("eventName", st(&l.event_name)),
    ])
}

fn enc_exemplar(e: &Exemplar) -> Value {
    let (k, v) = match e.value {
        Some(exemplar::Value::AsDouble(d)) => ("asDouble", dbl(d)),
        Some(exemplar::Value::AsInt(i)) => ("asInt", Value::String(i.to_string())),
        None => ("asDouble", Value::Null),
    };
    obj([
        ("filteredAttributes", list(&e.filtered_attributes, enc_kv)),
        ("timeUnixNano", u64s(e.time_unix_nano)),
        ("spanId", id(&e.span_id)),
        ("traceId", id(&e.trace_id)),
        (k, v),
    ])
}

fn enc_number(p: &NumberDataPoint) -> Value {
    let (k, v) = match p.value {
        Some(number_data_point::Value::AsDouble(d)) => ("asDouble", dbl(d)),
        Some(number_data_point::Value::AsInt(i)) => ("asInt", Value::String(i.to_string())),
        None => ("asDouble", Value::Null),
    };
    obj([
        ("attributes", list(&p.attributes, enc_kv)),
        ("startTimeUnixNano", u64s(p.start_time_unix_nano)),
        ("timeUnixNano", u64s(p.time_unix_nano)),
        (k, v),
        ("exemplars", list(&p.exemplars, enc_exemplar)),
        ("flags", num(p.flags)),
    ])
}

fn u64_list(v: &[u64]) -> Value {
    Value::Array(v.iter().map(|n| Value::String(n.to_string())).collect())
}

fn enc_buckets(b: &exponential_histogram_data_point::Buckets) -> Value {
    obj([
        ("offset", num(b.offset)),
        ("bucketCounts", u64_list(&b.bucket_counts)),
    ])
}

fn enc_metric(m: &Metric) -> Value {
    use metric::Data as D;
    let (k, v) = match &m.data {
        Some(D::Gauge(g)) => (
            "gauge",
            obj([("dataPoints", list(&g.data_points, enc_number))]),
        ),
        Some(D::Sum(s)) => (
            "sum",
            obj([
                ("dataPoints", list(&s.data_points, enc_number)),
                ("aggregationTemporality", num(s.aggregation_temporality)),
                ("isMonotonic", boolean(s.is_monotonic)),
            ]),
        ),
        Some(D::Histogram(h)) => (
            "histogram",
            obj([
                (
                    "dataPoints",
                    list(&h.data_points, |p| {
                        obj([
                            ("attributes", list(&p.attributes, enc_kv)),
                            ("startTimeUnixNano", u64s(p.start_time_unix_nano)),
                            ("timeUnixNano", u64s(p.time_unix_nano)),
                            ("count", u64s(p.count)),
                            ("sum", p.sum.map_or(Value::Null, dbl)),
                            ("bucketCounts", u64_list(&p.bucket_counts)),
                            (
                                "explicitBounds",
                                Value::Array(p.explicit_bounds.iter().map(|b| dbl(*b)).collect()),
                            ),
                            ("exemplars", list(&p.exemplars, enc_exemplar)),
                            ("flags", num(p.flags)),
                            ("min", p.min.map_or(Value::Null, dbl)),
                            ("max", p.max.map_or(Value::Null, dbl)),
                        ])
                    }),
                ),
                ("aggregationTemporality", num(h.aggregation_temporality)),
            ]),
        ),
        Some(D::ExponentialHistogram(h)) => (
            "exponentialHistogram",
            obj([
                (
                    "dataPoints",
                    list(&h.data_points, |p| {
                        obj([
                            ("attributes", list(&p.attributes, enc_kv)),
                            ("startTimeUnixNano", u64s(p.start_time_unix_nano)),
                            ("timeUnixNano", u64s(p.time_unix_nano)),
                            ("count", u64s(p.count)),
                            ("sum", p.sum.map_or(Value::Null, dbl)),
                            ("scale", num(p.scale)),
                            ("zeroCount", u64s(p.zero_count)),
                            ("positive", opt(&p.positive, enc_buckets)),
                            ("negative", opt(&p.negative, enc_buckets)),
                            ("flags", num(p.flags)),
                            ("exemplars", list(&p.exemplars, enc_exemplar)),
                            ("min", p.min.map_or(Value::Null, dbl)),
                            ("max", p.max.map_or(Value::Null, dbl)),
                            ("zeroThreshold", nonzero_dbl(p.zero_threshold)),
                        ])
                    }),
                ),
                ("aggregationTemporality", num(h.aggregation_temporality)),
            ]),
        ),
        Some(D::Summary(s)) => (
            "summary",
            obj([(
                "dataPoints",
                list(&s.data_points, |p| {
                    obj([
                        ("attributes", list(&p.attributes, enc_kv)),
                        ("startTimeUnixNano", u64s(p.start_time_unix_nano)),
                        ("timeUnixNano", u64s(p.time_unix_nano)),
                        ("count", u64s(p.count)),
                        ("sum", nonzero_dbl(p.sum)),
                        (
                            "quantileValues",
                            list(&p.quantile_values, |q| {
                                obj([
                                    ("quantile", nonzero_dbl(q.quantile)),
                                    ("value", nonzero_dbl(q.value)),
                                ])
                            }),
                        ),
                        ("flags", num(p.flags)),
                    ])
                }),
            )]),
        ),
        None => ("gauge", Value::Null),
    };
    obj([
        ("name", st(&m.name)),
        ("description", st(&m.description)),
        ("unit", st(&m.unit)),
        ("metadata", list(&m.metadata, enc_kv)),
        (k, v),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn decodes_the_spec_example_with_hex_ids_and_string_int64s() {
        let body = br#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},
          "scopeSpans":[{"scope":{"name":"my.library","version":"1.0.0"},"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C",
          "spanId":"EEE19B7EC3C1B174","parentSpanId":"EEE19B7EC3C1B173","name":"I'm a server span","startTimeUnixNano":"1544712660000000000",
          "endTimeUnixNano":1544712661000000000,"kind":2,"attributes":[{"key":"n","value":{"intValue":"-7"}},
          {"key":"b","value":{"bytesValue":"aGk="}}],"status":{"code":1},"unknownField":true}]}]}]}"#;
        let Data::Traces(t) = decode(Signal::Traces, body).unwrap() else {
            panic!()
        };
        let s = &t.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(s.trace_id[0], 0x5b);
        assert_eq!(s.span_id.len(), 8);
        assert_eq!(s.start_time_unix_nano, 1544712660000000000);
        assert_eq!(s.end_time_unix_nano, 1544712661000000000);
        assert_eq!(s.kind, 2);
        assert_eq!(
            s.attributes[0].value.as_ref().unwrap().value,
            Some(any_value::Value::IntValue(-7))
        );
        assert_eq!(
            s.attributes[1].value.as_ref().unwrap().value,
            Some(any_value::Value::BytesValue(b"hi".to_vec()))
        );
        // Round trip through the encoder.
        let again = decode(Signal::Traces, &encode(&Data::Traces(t.clone()))).unwrap();
        assert_eq!(again, Data::Traces(t));
    }

    #[test]
    fn errors_name_the_field() {
        let e = decode(
            Signal::Traces,
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            e,
            "resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 32 hex digits, got \"zz\""
        );
        let e = decode(Signal::Logs, b"{\"resourceLogs\": 3}").unwrap_err();
        assert_eq!(e, "resourceLogs: expected an array, got a number");
        assert!(decode(Signal::Metrics, b"{not json")
            .unwrap_err()
            .starts_with("invalid JSON"));
    }

    #[test]
    fn metrics_round_trip() {
        let body = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[
          {"name":"g","gauge":{"dataPoints":[{"asDouble":1.5,"timeUnixNano":"10"},{"asInt":"3"}]}},
          {"name":"s","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{"asDouble":"NaN"}]}},
          {"name":"h","histogram":{"dataPoints":[{"count":"3","sum":2,"bucketCounts":["1","2"],"explicitBounds":[1]}]}},
          {"name":"e","exponentialHistogram":{"dataPoints":[{"scale":-1,"positive":{"offset":2,"bucketCounts":[1]}}]}},
          {"name":"q","summary":{"dataPoints":[{"quantileValues":[{"quantile":0.5,"value":1}]}]}}]}]}]}"#;
        let d = decode(Signal::Metrics, body).unwrap();
        assert_eq!(d.items(), 6);
        let again = decode(Signal::Metrics, &encode(&d)).unwrap();
        assert_eq!(format!("{again:?}"), format!("{d:?}"));
    }
}
