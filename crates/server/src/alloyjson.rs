//! Alloy's JSON encoding of values and bodies (`alloyjson`), as the web API serves them. Secrets render as
//! `(secret)` and nothing else: their text never leaves the process through the API; nor does a password
//! written in a URL.

use std::time::{SystemTime, UNIX_EPOCH};

use ingot_runtime::controller::ComponentInfo;
use ingot_runtime::eval::BodyItem;
use ingot_syntax::value::{Number, Value};
use serde_json::{json, Map, Value as Json};

pub fn value_json(value: &Value) -> Json {
    match value {
        Value::Null => json!({"type": "null"}),
        Value::Number(n) => {
            let v = match *n {
                Number::Int(i) => Json::from(i),
                Number::Uint(u) => Json::from(u),
                Number::Float(f) => serde_json::Number::from_f64(f)
                    .map(Json::Number)
                    .unwrap_or(Json::Null),
            };
            json!({"type": "number", "value": v})
        }
        // A URL with a password (in arguments, exports or debug info) shows it as `xxxxx`, as Go's
        // `URL.Redacted` does.
        Value::String(s) if s.contains("://") && s.contains('@') => {
            json!({"type": "string", "value": ingot_gocompat::url::redacted(s)})
        }
        Value::String(s) => json!({"type": "string", "value": &**s}),
        Value::Bool(b) => json!({"type": "bool", "value": b}),
        Value::Array(items) => {
            json!({"type": "array", "value": items.iter().map(value_json).collect::<Vec<_>>()})
        }
        Value::Object(fields) => {
            // Object keys come sorted (the object is a BTreeMap), as Alloy sorts them.
            let fields: Vec<Json> = fields
                .iter()
                .map(|(k, v)| json!({"key": k, "value": value_json(v)}))
                .collect();
            json!({"type": "object", "value": fields})
        }
        Value::Function(_) => json!({"type": "function", "value": value.describe()}),
        Value::Capsule(c) => {
            json!({"type": "capsule", "value": format!("capsule({:?})", c.type_name())})
        }
        Value::Secret(_) => json!({"type": "capsule", "value": "(secret)"}),
        Value::OptionalSecret(s) => {
            if s.is_secret {
                json!({"type": "capsule", "value": "(secret)"})
            } else {
                json!({"type": "string", "value": s.expose()})
            }
        }
    }
}

fn body_json(items: &[BodyItem]) -> Json {
    Json::Array(
        items
            .iter()
            .map(|item| match item {
                BodyItem::Attr { name, value } => {
                    json!({"name": name, "type": "attr", "value": value_json(value)})
                }
                BodyItem::Block { name, label, body } => {
                    let mut m = Map::new();
                    m.insert("name".into(), json!(name));
                    m.insert("type".into(), json!("block"));
                    if let Some(label) = label {
                        m.insert("label".into(), json!(label));
                    }
                    m.insert("body".into(), body_json(body));
                    Json::Object(m)
                }
            })
            .collect(),
    )
}

/// An object value as a body of attributes (exports and debug info are shown this way). A field without a
/// value (`null`) is left out, as Alloy's encoder leaves out optional fields at their zero value.
fn value_body_json(value: &Value) -> Json {
    match value {
        Value::Object(fields) => Json::Array(
            fields
                .iter()
                .filter(|(_, v)| !matches!(v, Value::Null))
                .map(|(k, v)| json!({"name": k, "type": "attr", "value": value_json(v)}))
                .collect(),
        ),
        Value::Null => Json::Array(Vec::new()),
        other => Json::Array(vec![
            json!({"name": "value", "type": "attr", "value": value_json(other)}),
        ]),
    }
}

/// Go's RFC3339Nano: UTC, fractional seconds without trailing zeros.
pub fn rfc3339_nano(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let base =
        humantime::format_rfc3339_seconds(UNIX_EPOCH + std::time::Duration::from_secs(d.as_secs()))
            .to_string();
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        return base;
    }
    let frac = format!("{nanos:09}");
    format!(
        "{}.{}Z",
        base.trim_end_matches('Z'),
        frac.trim_end_matches('0')
    )
}

pub fn component_json(info: &ComponentInfo) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), json!(info.name));
    m.insert("type".into(), json!("block"));
    m.insert("localID".into(), json!(info.id));
    m.insert("moduleID".into(), json!(""));
    if let Some(label) = &info.label {
        m.insert("label".into(), json!(label));
    }
    m.insert("referencesTo".into(), json!(info.references_to));
    m.insert("referencedBy".into(), json!(info.referenced_by));
    m.insert("dataFlowEdgesTo".into(), json!(info.data_flow_edges_to));
    m.insert(
        "health".into(),
        json!({
            "state": info.health.state.as_str(),
            "message": info.health.message,
            "updatedTime": rfc3339_nano(info.health.updated),
        }),
    );
    m.insert("original".into(), json!(""));
    m.insert("arguments".into(), body_json(&info.arguments));
    m.insert("exports".into(), value_body_json(&info.exports));
    m.insert(
        "debugInfo".into(),
        info.debug_info
            .as_ref()
            .map(value_body_json)
            .unwrap_or_else(|| json!([])),
    );
    m.insert("liveDebuggingEnabled".into(), json!(false));
    Json::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_nano_trims_trailing_zeros_like_go() {
        let t = UNIX_EPOCH + std::time::Duration::new(1_700_000_000, 120_000_000);
        assert_eq!(rfc3339_nano(t), "2023-11-14T22:13:20.12Z");
        assert_eq!(
            rfc3339_nano(UNIX_EPOCH + std::time::Duration::from_secs(1)),
            "1970-01-01T00:00:01Z"
        );
    }

    #[test]
    fn fields_without_a_value_are_left_out_of_a_body() {
        let v = Value::object([("a", Value::int(1)), ("b", Value::Null)]);
        assert_eq!(
            value_body_json(&v).to_string(),
            r#"[{"name":"a","type":"attr","value":{"type":"number","value":1}}]"#
        );
    }

    #[test]
    fn secrets_never_show_their_text() {
        let v = Value::Secret(ingot_syntax::value::Secret::new("hunter2"));
        assert_eq!(
            value_json(&v).to_string(),
            r#"{"type":"capsule","value":"(secret)"}"#
        );
    }
}
