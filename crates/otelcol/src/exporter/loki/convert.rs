//! Log records into Loki entries (the collector-contrib's `pkg/translator/loki` `LogToLokiEntry`, which
//! Alloy calls with every default label on).
//!
//! Labels: `exporter="OTLP"`; `job` from `service.namespace`/`service.name`; `instance` from
//! `service.instance.id`; `level` from the severity number (added to the record and promoted); then the
//! resource attributes the `loki.resource.labels` hint names (on the resource, then on the record), the
//! record attributes `loki.attribute.labels` names, and those `loki.tenant` names. A hint is a
//! comma-separated string or a list; a name may reach into a map (`a.b`). Promoted attributes and the
//! hints leave the record. Label names are then normalized as Prometheus label names.
//!
//! Line: `loki.format` (resource first, then record) `json` (the default: body, ids, severity, flags,
//! attributes, resources and scope as Go's `encoding/json` writes them), `logfmt` or `raw` (the body as a
//! string).

use std::collections::BTreeMap;

use base64::Engine;
use ingot_otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use ingot_otlp::proto::logs::v1::LogRecord;
use ingot_otlp::Logs;

use super::gojson::{self, J};
use crate::exporter::prometheus::convert::as_string;
use crate::exporter::prometheus::names::label_name;

const HINT_ATTRIBUTES: &str = "loki.attribute.labels";
const HINT_RESOURCES: &str = "loki.resource.labels";
const HINT_TENANT: &str = "loki.tenant";
const HINT_FORMAT: &str = "loki.format";

/// One converted record.
#[derive(Debug, PartialEq)]
pub struct Converted {
    pub labels: Vec<(String, String)>,
    pub timestamp_ns: i64,
    pub line: String,
}

fn get<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
}

fn put_str(attrs: &mut Vec<KeyValue>, key: &str, v: String) {
    let value = Some(AnyValue {
        value: Some(any_value::Value::StringValue(v)),
    });
    match attrs.iter_mut().find(|kv| kv.key == key) {
        Some(kv) => kv.value = value,
        None => attrs.push(KeyValue {
            key: key.into(),
            value,
        }),
    }
}

/// plog's `SeverityNumber` names, as the translator's level map spells them.
fn level(n: i32) -> Option<&'static str> {
    const NAMES: [&str; 24] = [
        "TRACE", "TRACE2", "TRACE3", "TRACE4", "DEBUG", "DEBUG2", "DEBUG3", "DEBUG4", "INFO",
        "INFO2", "INFO3", "INFO4", "WARN", "WARN2", "WARN3", "WARN4", "ERROR", "ERROR2", "ERROR3",
        "ERROR4", "FATAL", "FATAL2", "FATAL3", "FATAL4",
    ];
    usize::try_from(n - 1)
        .ok()
        .and_then(|i| NAMES.get(i).copied())
}

fn add_level(r: &mut Vec<KeyValue>, severity: i32) {
    let Some(lvl) = level(severity) else { return };
    match get(r, HINT_ATTRIBUTES).and_then(|v| v.value.clone()) {
        Some(any_value::Value::ArrayValue(mut a)) => {
            a.values.push(AnyValue {
                value: Some(any_value::Value::StringValue("level".into())),
            });
            if let Some(kv) = r.iter_mut().find(|kv| kv.key == HINT_ATTRIBUTES) {
                kv.value = Some(AnyValue {
                    value: Some(any_value::Value::ArrayValue(a)),
                });
            }
        }
        Some(any_value::Value::StringValue(s)) => put_str(r, HINT_ATTRIBUTES, format!("{s},level")),
        Some(_) => {}
        None => put_str(r, HINT_ATTRIBUTES, "level".into()),
    }
    if get(r, "level").is_none() {
        put_str(r, "level", lvl.into());
    }
}

fn names(hint: &AnyValue) -> Vec<String> {
    match &hint.value {
        Some(any_value::Value::StringValue(s)) => s.split(',').map(str::to_string).collect(),
        Some(any_value::Value::ArrayValue(a)) => a.values.iter().map(as_string).collect(),
        _ => vec![as_string(hint)],
    }
}

fn nested<'a>(attrs: &'a [KeyValue], name: &str) -> Option<&'a AnyValue> {
    let (left, right) = name.split_once('.').unwrap_or((name, ""));
    let v = get(attrs, left)?;
    if right.is_empty() {
        return Some(v);
    }
    match &v.value {
        Some(any_value::Value::KvlistValue(l)) => nested(&l.values, right),
        _ => None,
    }
}

fn select(attrs: &[KeyValue], hint: &AnyValue, out: &mut BTreeMap<String, String>) {
    for n in names(hint) {
        let n = n.trim();
        if let Some(v) = get(attrs, n).or_else(|| nested(attrs, n)) {
            out.insert(n.to_string(), as_string(v));
        }
    }
}

fn labels(log: &[KeyValue], res: &[KeyValue]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    out.insert("exporter".to_string(), "OTLP".to_string());
    if let Some(name) = get(res, "service.name") {
        let job = match get(res, "service.namespace") {
            Some(ns) => format!("{}/{}", as_string(ns), as_string(name)),
            None => as_string(name),
        };
        out.insert("job".into(), job);
    }
    if let Some(i) = get(res, "service.instance.id") {
        out.insert("instance".into(), as_string(i));
    }
    if let Some(h) = get(res, HINT_RESOURCES) {
        select(res, h, &mut out);
    }
    if let Some(h) = get(log, HINT_RESOURCES) {
        select(res, h, &mut out);
    }
    if let Some(h) = get(log, HINT_ATTRIBUTES) {
        select(log, h, &mut out);
    }
    match get(res, HINT_TENANT) {
        Some(h) => select(res, h, &mut out),
        None => {
            if let Some(h) = get(log, HINT_TENANT) {
                select(log, h, &mut out);
            }
        }
    }
    out
}

fn remove_promoted(attrs: &mut Vec<KeyValue>, labels: &BTreeMap<String, String>) {
    attrs.retain(|kv| {
        ![HINT_ATTRIBUTES, HINT_RESOURCES, HINT_TENANT, HINT_FORMAT].contains(&kv.key.as_str())
            && !labels.contains_key(&kv.key)
    });
}

/// pdata's `AsRaw` as JSON; `None` when Go's encoder would fail (NaN, infinities).
fn raw(v: &AnyValue) -> Option<J> {
    use any_value::Value as V;
    Some(match &v.value {
        None => J::Null,
        Some(V::StringValue(s)) => J::Str(s.clone()),
        Some(V::BoolValue(b)) => J::Bool(*b),
        Some(V::IntValue(i)) => J::Int(*i),
        Some(V::DoubleValue(f)) if !f.is_finite() => return None,
        Some(V::DoubleValue(f)) => J::Float(*f),
        Some(V::BytesValue(b)) => J::Str(base64::engine::general_purpose::STANDARD.encode(b)),
        Some(V::ArrayValue(a)) => J::Array(a.values.iter().map(raw).collect::<Option<_>>()?),
        Some(V::KvlistValue(l)) => J::Object(map(&l.values)?),
    })
}

fn map(attrs: &[KeyValue]) -> Option<Vec<(String, J)>> {
    // A repeated key keeps its last value, as pdata's map would.
    let mut m: BTreeMap<&str, J> = BTreeMap::new();
    for kv in attrs {
        m.insert(&kv.key, kv.value.as_ref().map_or(Some(J::Null), raw)?);
    }
    Some(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn id_or_empty(b: &[u8]) -> String {
    if b.iter().all(|&x| x == 0) {
        String::new()
    } else {
        hex(b)
    }
}

/// The translator's `Encode`: the record as a JSON object, empty fields left out.
fn json_line(
    r: &LogRecord,
    attrs: &[KeyValue],
    res: &[KeyValue],
    scope: &InstrumentationScope,
) -> Result<String, String> {
    let nan = || "json: unsupported value: NaN or infinity".to_string();
    let mut out = String::from("{");
    let mut first = true;
    let mut field = |out: &mut String, name: &str, v: &J| {
        if !first {
            out.push(',');
        }
        first = false;
        gojson::string(out, name);
        out.push(':');
        gojson::write(out, v);
    };
    if let Some(body) = &r.body {
        if body.value.is_some() {
            let mut b = String::new();
            gojson::write(&mut b, &raw(body).ok_or_else(nan)?);
            field(&mut out, "body", &J::Raw(b));
        }
    }
    let trace = id_or_empty(&r.trace_id);
    if !trace.is_empty() {
        field(&mut out, "traceid", &J::Str(trace));
    }
    let span = id_or_empty(&r.span_id);
    if !span.is_empty() {
        field(&mut out, "spanid", &J::Str(span));
    }
    if !r.severity_text.is_empty() {
        field(&mut out, "severity", &J::Str(r.severity_text.clone()));
    }
    if r.flags != 0 {
        field(&mut out, "flags", &J::Uint(u64::from(r.flags)));
    }
    if !attrs.is_empty() {
        field(
            &mut out,
            "attributes",
            &J::Object(map(attrs).ok_or_else(nan)?),
        );
    }
    if !res.is_empty() {
        field(&mut out, "resources", &J::Object(map(res).ok_or_else(nan)?));
    }
    if !scope.name.is_empty() {
        let mut s = vec![("name".to_string(), J::Str(scope.name.clone()))];
        if !scope.version.is_empty() {
            s.push(("version".into(), J::Str(scope.version.clone())));
        }
        // Struct order, not sorted: name then version (sorting gives the same order).
        field(&mut out, "instrumentation_scope", &J::Object(s));
    }
    out.push('}');
    Ok(out)
}

/// A logfmt value as go-logfmt writes it: quoted when it has a space, `=`, `"`, or is empty.
fn logfmt_value(v: &str) -> String {
    if !v.is_empty()
        && !v
            .chars()
            .any(|c| c <= ' ' || c == '=' || c == '"' || c == '\u{7f}')
    {
        return v.to_string();
    }
    let mut s = String::new();
    gojson::string(&mut s, v);
    s
}

fn logfmt_scalar(v: &AnyValue) -> Option<String> {
    use any_value::Value as V;
    match &v.value {
        None => None,
        Some(V::DoubleValue(f)) => Some(ingot_gocompat::strconv::format_float(*f, 'g', -1)),
        _ => Some(as_string(v)),
    }
}

fn keyvals(key: &str, v: &AnyValue, out: &mut Vec<(String, Option<String>)>) {
    use any_value::Value as V;
    let prefix = if key.is_empty() {
        String::new()
    } else {
        format!("{key}_")
    };
    match &v.value {
        None => {}
        Some(V::KvlistValue(l)) => {
            for kv in &l.values {
                if let Some(v) = &kv.value {
                    keyvals(&format!("{prefix}{}", kv.key), v, out);
                }
            }
        }
        Some(V::ArrayValue(a)) => {
            for (i, v) in a.values.iter().enumerate() {
                keyvals(&format!("{prefix}{i}"), v, out);
            }
        }
        _ => out.push((key.to_string(), logfmt_scalar(v))),
    }
}

/// A string body read as logfmt pairs (`key=value`, `key="quoted"`, a bare `key`), or `None`.
fn parse_logfmt(s: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    let mut it = s.chars().peekable();
    loop {
        while it.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            it.next();
        }
        let Some(&c) = it.peek() else { break };
        if c == '=' || c == '"' {
            return None;
        }
        let mut key = String::new();
        while let Some(&c) = it.peek() {
            if c == ' ' || c == '=' || c == '\t' {
                break;
            }
            if c == '"' || (c as u32) < 0x20 {
                return None;
            }
            key.push(c);
            it.next();
        }
        if it.peek() != Some(&'=') {
            out.push((key, None));
            continue;
        }
        it.next();
        let mut value = String::new();
        if it.peek() == Some(&'"') {
            it.next();
            let mut closed = false;
            while let Some(c) = it.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match it.next()? {
                        'n' => value.push('\n'),
                        't' => value.push('\t'),
                        'r' => value.push('\r'),
                        other => value.push(other),
                    },
                    c => value.push(c),
                }
            }
            if !closed {
                return None;
            }
        } else {
            while let Some(&c) = it.peek() {
                if c == ' ' || c == '\t' {
                    break;
                }
                if c == '"' || c == '=' {
                    return None;
                }
                value.push(c);
                it.next();
            }
        }
        out.push((key, Some(value)));
    }
    Some(out)
}

/// The translator's `EncodeLogfmt`.
fn logfmt_line(
    r: &LogRecord,
    attrs: &[KeyValue],
    res: &[KeyValue],
    scope: &InstrumentationScope,
) -> String {
    let mut kv: Vec<(String, Option<String>)> = Vec::new();
    if let Some(body) = &r.body {
        match &body.value {
            Some(any_value::Value::StringValue(s)) => match parse_logfmt(s) {
                Some(pairs) => kv = pairs,
                None => kv.push(("msg".into(), Some(s.clone()))),
            },
            Some(any_value::Value::KvlistValue(_)) => keyvals("", body, &mut kv),
            Some(any_value::Value::ArrayValue(_)) => keyvals("body", body, &mut kv),
            Some(_) => kv.push(("msg".into(), logfmt_scalar(body))),
            None => {}
        }
    }
    let mut replace = |k: &str, v: String| match kv.iter_mut().find(|(key, _)| key == k) {
        Some(e) => e.1 = Some(v),
        None => kv.push((k.to_string(), Some(v))),
    };
    let trace = id_or_empty(&r.trace_id);
    if !trace.is_empty() {
        replace("traceID", trace);
    }
    let span = id_or_empty(&r.span_id);
    if !span.is_empty() {
        replace("spanID", span);
    }
    if !r.severity_text.is_empty() {
        replace("severity", r.severity_text.clone());
    }
    if r.flags != 0 {
        replace("flags", r.flags.to_string());
    }
    for a in attrs {
        if let Some(v) = &a.value {
            keyvals(&format!("attribute_{}", a.key), v, &mut kv);
        }
    }
    for a in res {
        if let Some(v) = &a.value {
            keyvals(&format!("resource_{}", a.key), v, &mut kv);
        }
    }
    if !scope.name.is_empty() {
        kv.push((
            "instrumentation_scope_name".into(),
            Some(scope.name.clone()),
        ));
        if !scope.version.is_empty() {
            kv.push((
                "instrumentation_scope_version".into(),
                Some(scope.version.clone()),
            ));
        }
    }
    kv.iter()
        .map(|(k, v)| format!("{k}={}", v.as_deref().map(logfmt_value).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Converts every record; a record that cannot be converted is reported and left out.
pub fn convert(logs: &Logs, now_ns: i64) -> (Vec<Converted>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for rl in &logs.resource_logs {
        let resource: &[KeyValue] = rl.resource.as_ref().map_or(&[], |r| &r.attributes);
        for sl in &rl.scope_logs {
            let scope = sl.scope.clone().unwrap_or_default();
            for r in &sl.log_records {
                let mut attrs = r.attributes.clone();
                let mut res = resource.to_vec();
                add_level(&mut attrs, r.severity_number);
                let format = get(&res, HINT_FORMAT)
                    .or_else(|| get(&attrs, HINT_FORMAT))
                    .map(as_string)
                    .unwrap_or_else(|| "json".into());
                let merged = labels(&attrs, &res);
                remove_promoted(&mut attrs, &merged);
                remove_promoted(&mut res, &merged);
                let line = match format.as_str() {
                    "json" => json_line(r, &attrs, &res, &scope),
                    "logfmt" => Ok(logfmt_line(r, &attrs, &res, &scope)),
                    "raw" => Ok(r.body.as_ref().map(as_string).unwrap_or_default()),
                    other => Err(format!(
                        "invalid format {other}. Expected one of: json, logfmt, raw"
                    )),
                };
                let line = match line {
                    Ok(l) => l,
                    Err(e) => {
                        errors.push(format!("failed to convert, dropping log: {e}"));
                        continue;
                    }
                };
                let timestamp_ns = if r.time_unix_nano != 0 {
                    r.time_unix_nano as i64
                } else if r.observed_time_unix_nano != 0 {
                    r.observed_time_unix_nano as i64
                } else {
                    now_ns
                };
                let mut labels: Vec<(String, String)> = merged
                    .into_iter()
                    .map(|(k, v)| (label_name(&k), v))
                    .collect();
                labels.sort();
                labels.dedup_by(|a, b| a.0 == b.0);
                out.push(Converted {
                    labels,
                    timestamp_ns,
                    line,
                });
            }
        }
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingot_otlp::proto::logs::v1::{ResourceLogs, ScopeLogs};
    use ingot_otlp::proto::resource::v1::Resource;

    fn s(v: &str) -> Option<AnyValue> {
        Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        })
    }

    fn kv(k: &str, v: Option<AnyValue>) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: v,
        }
    }

    #[test]
    fn labels_hints_level_and_the_json_line() {
        let logs = Logs {
            resource_logs: vec![ResourceLogs {
                resource: Some(Resource {
                    attributes: vec![
                        kv("service.name", s("shop")),
                        kv("service.namespace", s("eu")),
                        kv("host.name", s("web1")),
                        kv(HINT_RESOURCES, s("host.name")),
                    ],
                    ..Default::default()
                }),
                scope_logs: vec![ScopeLogs {
                    scope: Some(InstrumentationScope {
                        name: "app".into(),
                        ..Default::default()
                    }),
                    log_records: vec![LogRecord {
                        time_unix_nano: 1_700_000_000_000_000_001,
                        severity_number: 13,
                        severity_text: "Warning".into(),
                        body: s("disk <90%> full & \"hot\""),
                        attributes: vec![
                            kv("user", s("ann")),
                            kv(
                                "code",
                                Some(AnyValue {
                                    value: Some(any_value::Value::DoubleValue(0.5)),
                                }),
                            ),
                        ],
                        trace_id: vec![0xab; 16],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let (out, errors) = convert(&logs, 0);
        assert!(errors.is_empty());
        let c = &out[0];
        assert_eq!(
            c.labels,
            vec![
                ("exporter".to_string(), "OTLP".to_string()),
                ("host_name".into(), "web1".into()),
                ("job".into(), "eu/shop".into()),
                ("level".into(), "WARN".into()),
            ]
        );
        assert_eq!(c.timestamp_ns, 1_700_000_000_000_000_001);
        assert_eq!(
            c.line,
            r#"{"body":"disk \u003c90%\u003e full \u0026 \"hot\"","traceid":"abababababababababababababababab","severity":"Warning","attributes":{"code":0.5,"user":"ann"},"resources":{"service.name":"shop","service.namespace":"eu"},"instrumentation_scope":{"name":"app"}}"#
        );
    }
}
