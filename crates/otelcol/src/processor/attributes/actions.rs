//! The `action` block and what each action does to one attribute list (the collector-contrib's
//! `attraction` package: `hash` is SHA-256 in hex, `extract` sets one attribute per named group).

use ingot_otlp::proto::common::v1::{any_value, AnyValue, ArrayValue, KeyValue};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::{Number, Value};
use sha2::{Digest, Sha256};

#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Value(AnyValue),
    FromAttribute(String),
}

#[derive(Clone, Debug)]
pub enum Action {
    Insert(String, Source),
    Update(String, Source),
    Upsert(String, Source),
    Delete(Option<String>, Option<regex::Regex>),
    Hash(Option<String>, Option<regex::Regex>),
    Extract(String, regex::Regex),
    Convert(String, Conversion),
}

impl PartialEq for Action {
    fn eq(&self, other: &Action) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conversion {
    Int,
    Double,
    String,
}

/// A config value as an attribute value (numbers keep their kind).
pub fn any_from(v: &Value) -> Option<AnyValue> {
    use any_value::Value as V;
    let value = match v {
        Value::String(s) => V::StringValue(s.to_string()),
        Value::Bool(b) => V::BoolValue(*b),
        Value::Number(n) => match *n {
            Number::Float(f) => V::DoubleValue(f),
            Number::Int(i) => V::IntValue(i),
            Number::Uint(u) => match i64::try_from(u) {
                Ok(i) => V::IntValue(i),
                Err(_) => V::DoubleValue(u as f64),
            },
        },
        Value::Array(items) => V::ArrayValue(ArrayValue {
            values: items.iter().map(any_from).collect::<Option<Vec<_>>>()?,
        }),
        _ => return None,
    };
    Some(AnyValue { value: Some(value) })
}

fn anchored(d: &mut BodyDecoder<'_, '_>, pattern: &str) -> Result<regex::Regex, Failed> {
    regex::Regex::new(pattern)
        .map_err(|e| d.error_at_attr("pattern", format!("error parsing regexp {pattern:?}: {e}")))
}

impl Decode for Action {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let key: String = d.optional_or("key", String::new())?;
        let value: Option<Value> = d.optional("value")?;
        let pattern: String = d.optional_or("pattern", String::new())?;
        let from_attribute: String = d.optional_or("from_attribute", String::new())?;
        let from_context: String = d.optional_or("from_context", String::new())?;
        let converted_type: String = d.optional_or("converted_type", String::new())?;
        let action: String = d.required("action")?;
        let action = action.to_ascii_lowercase();
        if !from_context.is_empty() {
            return Err(d.error_at_attr("from_context", "from_context is not supported by ingot: it does not carry request metadata down the pipeline"));
        }
        match action.as_str() {
            "delete" | "hash" => {
                if key.is_empty() && pattern.is_empty() {
                    return Err(d.error(format!("the action {action} requires at least the key argument or the pattern argument to be set")));
                }
            }
            _ => {
                if key.is_empty() {
                    return Err(d.error(format!(
                        "the action {action} requires the key argument to be set"
                    )));
                }
            }
        }
        let source = |d: &mut BodyDecoder<'_, '_>| -> Result<Source, Failed> {
            match (&value, from_attribute.is_empty()) {
                (Some(v), true) => any_from(v).map(Source::Value).ok_or_else(|| {
                    d.error_at_attr("value", format!("unsupported value type {} for an attribute", v.type_name()))
                }),
                (None, false) => Ok(Source::FromAttribute(from_attribute.clone())),
                (None, true) => Err(d.error(format!("error creating AttrProc due to missing required field \"value\", \"from_attribute\" or \"from_context\" for action \"{action}\" at the {key:?} key"))),
                (Some(_), false) => Err(d.error(format!("error creating AttrProc due to multiple value sources being set for action \"{action}\" at the {key:?} key"))),
            }
        };
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Ok(match action.as_str() {
            "insert" => Action::Insert(key.clone(), source(d)?),
            "update" => Action::Update(key.clone(), source(d)?),
            "upsert" => Action::Upsert(key.clone(), source(d)?),
            "delete" => Action::Delete(opt(&key), match opt(&pattern) { Some(p) => Some(anchored(d, &p)?), None => None }),
            "hash" => Action::Hash(opt(&key), match opt(&pattern) { Some(p) => Some(anchored(d, &p)?), None => None }),
            "extract" => {
                if pattern.is_empty() {
                    return Err(d.error(format!("error creating AttrProc due to missing required field \"pattern\" for action \"extract\" at the {key:?} key")));
                }
                let re = anchored(d, &pattern)?;
                if re.capture_names().skip(1).any(|n| n.is_none()) || re.captures_len() < 2 {
                    return Err(d.error(format!("error creating AttrProc. Field \"pattern\" contains no named matcher groups or has unnamed ones at the {key:?} key")));
                }
                Action::Extract(key, re)
            }
            "convert" => Action::Convert(
                key.clone(),
                match converted_type.as_str() {
                    "int" => Conversion::Int,
                    "double" => Conversion::Double,
                    "string" => Conversion::String,
                    other => return Err(d.error(format!("error creating AttrProc due to invalid converted_type {other:?} at the {key:?} key: expected int, double or string"))),
                },
            ),
            other => return Err(d.error_at_attr("action", format!("error creating AttrProc due to unsupported action {other:?} at the {key:?} key"))),
        })
    }
}

fn find<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
}

fn set(attrs: &mut Vec<KeyValue>, key: &str, value: AnyValue) {
    match attrs.iter_mut().find(|kv| kv.key == key) {
        Some(kv) => kv.value = Some(value),
        None => attrs.push(KeyValue {
            key: key.to_string(),
            value: Some(value),
        }),
    }
}

fn resolve(attrs: &[KeyValue], source: &Source) -> Option<AnyValue> {
    match source {
        Source::Value(v) => Some(v.clone()),
        Source::FromAttribute(k) => find(attrs, k).cloned(),
    }
}

/// The hash of a value: SHA-256 over its bytes (strings as UTF-8, integers and doubles big-endian, bools
/// as one byte), in lowercase hex.
pub fn hash(v: &AnyValue) -> Option<String> {
    use any_value::Value as V;
    let bytes: Vec<u8> = match v.value.as_ref()? {
        V::StringValue(s) => s.as_bytes().to_vec(),
        V::BoolValue(b) => vec![u8::from(*b)],
        V::IntValue(i) => i.to_be_bytes().to_vec(),
        V::DoubleValue(f) => f.to_bits().to_be_bytes().to_vec(),
        V::BytesValue(b) => b.clone(),
        V::ArrayValue(_) | V::KvlistValue(_) => return None,
    };
    let digest = Sha256::digest(&bytes);
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

fn convert(v: &AnyValue, to: Conversion) -> Option<AnyValue> {
    use any_value::Value as V;
    let out = match (v.value.as_ref()?, to) {
        (V::IntValue(_), Conversion::Int)
        | (V::DoubleValue(_), Conversion::Double)
        | (V::StringValue(_), Conversion::String) => return None,
        (V::StringValue(s), Conversion::Int) => V::IntValue(s.trim().parse().ok()?),
        (V::DoubleValue(f), Conversion::Int) => V::IntValue(*f as i64),
        (V::BoolValue(b), Conversion::Int) => V::IntValue(i64::from(*b)),
        (V::StringValue(s), Conversion::Double) => V::DoubleValue(s.trim().parse().ok()?),
        (V::IntValue(i), Conversion::Double) => V::DoubleValue(*i as f64),
        (V::BoolValue(b), Conversion::Double) => V::DoubleValue(if *b { 1.0 } else { 0.0 }),
        (_, Conversion::String) => V::StringValue(crate::exporter::debug::text::any(v)),
        _ => return None,
    };
    Some(AnyValue { value: Some(out) })
}

/// Applies `actions` in order to one attribute list.
pub fn apply(actions: &[Action], attrs: &mut Vec<KeyValue>) {
    for a in actions {
        match a {
            Action::Insert(k, s) => {
                if find(attrs, k).is_none() {
                    if let Some(v) = resolve(attrs, s) {
                        attrs.push(KeyValue {
                            key: k.clone(),
                            value: Some(v),
                        });
                    }
                }
            }
            Action::Update(k, s) => {
                if find(attrs, k).is_some() {
                    if let Some(v) = resolve(attrs, s) {
                        set(attrs, k, v);
                    }
                }
            }
            Action::Upsert(k, s) => {
                if let Some(v) = resolve(attrs, s) {
                    set(attrs, k, v);
                }
            }
            Action::Delete(k, p) => attrs.retain(|kv| {
                !(k.as_deref() == Some(kv.key.as_str())
                    || p.as_ref().is_some_and(|p| p.is_match(&kv.key)))
            }),
            Action::Hash(k, p) => {
                for kv in attrs.iter_mut() {
                    if k.as_deref() == Some(kv.key.as_str())
                        || p.as_ref().is_some_and(|p| p.is_match(&kv.key))
                    {
                        if let Some(h) = kv.value.as_ref().and_then(hash) {
                            kv.value = Some(AnyValue {
                                value: Some(any_value::Value::StringValue(h)),
                            });
                        }
                    }
                }
            }
            Action::Extract(k, re) => {
                let Some(any_value::Value::StringValue(s)) =
                    find(attrs, k).and_then(|v| v.value.clone())
                else {
                    continue;
                };
                if let Some(c) = re.captures(&s) {
                    for name in re.capture_names().flatten() {
                        if let Some(m) = c.name(name) {
                            set(
                                attrs,
                                name,
                                AnyValue {
                                    value: Some(any_value::Value::StringValue(
                                        m.as_str().to_string(),
                                    )),
                                },
                            );
                        }
                    }
                }
            }
            Action::Convert(k, to) => {
                if let Some(v) = find(attrs, k).and_then(|v| convert(v, *to)) {
                    set(attrs, k, v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AnyValue {
        AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }
    }

    fn kv(k: &str, v: AnyValue) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: Some(v),
        }
    }

    #[test]
    fn actions_in_order() {
        let mut attrs = vec![
            kv("db.password", s("hunter2")),
            kv("http.url", s("/users/42/orders")),
            kv("n", s("7")),
        ];
        apply(
            &[
                Action::Insert("env".into(), Source::Value(s("prod"))),
                Action::Insert("n".into(), Source::Value(s("no"))),
                Action::Update("missing".into(), Source::Value(s("x"))),
                Action::Upsert("copy".into(), Source::FromAttribute("env".into())),
                Action::Hash(Some("db.password".into()), None),
                Action::Extract(
                    "http.url".into(),
                    regex::Regex::new(r"^/users/(?P<user>\d+)/(?P<what>\w+)$").unwrap(),
                ),
                Action::Convert("n".into(), Conversion::Int),
                Action::Delete(None, Some(regex::Regex::new("^http").unwrap())),
            ],
            &mut attrs,
        );
        let keys: Vec<&str> = attrs.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["db.password", "n", "env", "copy", "user", "what"]);
        assert_eq!(
            attrs[0].value,
            Some(s(
                "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7"
            ))
        );
        assert_eq!(
            attrs[1].value,
            Some(AnyValue {
                value: Some(any_value::Value::IntValue(7))
            })
        );
        assert_eq!(attrs[3].value, Some(s("prod")));
        assert_eq!(attrs[4].value, Some(s("42")));
    }
}
