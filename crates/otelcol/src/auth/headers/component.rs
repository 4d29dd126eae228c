//! The running `otelcol.auth.headers` and its arguments (Alloy's `auth/headers/headers.go`: `header`
//! blocks with `key`, one of `value` / `from_context` / `from_attribute`, and `action`, default
//! `upsert`). `from_context` and `from_attribute` read request metadata, which ingot does not carry down
//! the pipeline: they are refused at load.

use std::sync::{Arc, RwLock};

use ingot_runtime::component::{ComponentType, Context, Stability};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::{OptionalSecret, Value};

use crate::auth::{Authenticator, Handler};
use crate::config::{debug_metrics, Warnings};

pub const NAME: &str = "otelcol.auth.headers";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Insert,
    Update,
    Upsert,
    Delete,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HeaderRule {
    pub key: String,
    pub value: Option<OptionalSecret>,
    pub action: Action,
}

impl Decode for HeaderRule {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let key: String = d.required("key")?;
        let value: Option<OptionalSecret> = d.optional("value")?;
        let from_context: Option<String> = d.optional("from_context")?;
        let from_attribute: Option<String> = d.optional("from_attribute")?;
        let action: String = d.optional_or("action", "upsert".to_string())?;
        let action = match action.to_ascii_lowercase().as_str() {
            "insert" => Action::Insert,
            "update" => Action::Update,
            "upsert" => Action::Upsert,
            "delete" => Action::Delete,
            _ => {
                return Err(d.error_at_attr(
                    "action",
                    format!("action is set to an invalid value of {action:?}"),
                ))
            }
        };
        if key.is_empty() {
            return Err(d.error("key must be set to a non-empty string"));
        }
        if http::HeaderName::from_bytes(key.as_bytes()).is_err() {
            return Err(d.error_at_attr("key", format!("invalid header name {key:?}")));
        }
        let sources =
            value.is_some() as u8 + from_context.is_some() as u8 + from_attribute.is_some() as u8;
        if action != Action::Delete {
            if sources == 0 {
                return Err(
                    d.error("one of value, from_context, or from_attribute must be provided")
                );
            }
            if sources > 1 {
                return Err(
                    d.error("only one of value, from_context, or from_attribute may be provided")
                );
            }
        }
        if from_context.is_some() || from_attribute.is_some() {
            return Err(d.error("from_context and from_attribute are not supported by ingot: it does not carry request metadata or auth attributes down the pipeline; use value"));
        }
        Ok(HeaderRule { key, value, action })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub headers: Vec<HeaderRule>,
    pub warnings: Warnings,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let headers = d.blocks("header")?;
        debug_metrics(d, &mut warnings)?;
        Ok(Arguments { headers, warnings })
    }
}

/// Applies `rules` to a request's headers (case-insensitive names).
pub fn apply(rules: &[HeaderRule], headers: &mut Vec<(String, String)>) {
    for r in rules {
        let pos = headers
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(&r.key));
        let value = r.value.as_ref().map(|v| v.expose().to_string());
        match (r.action, pos, value) {
            (Action::Delete, _, _) => headers.retain(|(k, _)| !k.eq_ignore_ascii_case(&r.key)),
            (Action::Insert, None, Some(v)) | (Action::Upsert, None, Some(v)) => {
                headers.push((r.key.clone(), v))
            }
            (Action::Update, Some(i), Some(v)) | (Action::Upsert, Some(i), Some(v)) => {
                headers[i].1 = v
            }
            _ => {}
        }
    }
}

struct Headers(RwLock<Arguments>);

impl Authenticator for Headers {
    fn client_headers(&self) -> Result<Vec<(String, String)>, String> {
        // The rules need the request's other headers: the caller applies them (see `rules`).
        Ok(Vec::new())
    }

    fn check(&self, _: &http::HeaderMap) -> Result<(), String> {
        Err("otelcol.auth.headers does not support server authentication".into())
    }

    fn rules(&self) -> Vec<HeaderRule> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .headers
            .clone()
    }
}

pub struct Component {
    state: Arc<Headers>,
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        for w in &args.warnings {
            tracing::warn!(component = %ctx.id, "{w}");
        }
        let state = Arc::new(Headers(RwLock::new(args)));
        let handler = Handler::new(&ctx.id, true, false, state.clone());
        ctx.exports
            .init(Value::object([("handler", Value::from(handler))]));
        ctx.health.healthy("started component");
        Ok(Component { state })
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        *self.state.0.write().unwrap_or_else(|e| e.into_inner()) = args;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_apply_as_the_collector_does() {
        let rule = |key: &str, v: Option<&str>, action| HeaderRule {
            key: key.into(),
            value: v.map(OptionalSecret::plain),
            action,
        };
        let mut h = vec![
            ("X-A".to_string(), "1".to_string()),
            ("x-d".into(), "x".into()),
        ];
        apply(
            &[
                rule("x-a", Some("2"), Action::Insert),
                rule("x-b", Some("3"), Action::Insert),
                rule("x-c", Some("4"), Action::Update),
                rule("X-A", Some("5"), Action::Upsert),
                rule("X-D", None, Action::Delete),
            ],
            &mut h,
        );
        assert_eq!(
            h,
            vec![
                ("X-A".to_string(), "5".to_string()),
                ("x-b".into(), "3".into())
            ]
        );
    }
}
