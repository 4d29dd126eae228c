//! The running `loki.echo`: each entry becomes one info line, `msg="received log entry"` with the line,
//! its timestamp, its labels and its structured metadata as Alloy's `ConsumeEntry` logs them.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use ingot_common::receiver::LogsReceiver;
use ingot_logs::{AppendError, Entry, LogsAppender};
use ingot_runtime::component::{ComponentType, Context, Stability};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

pub const NAME: &str = "loki.echo";

/// `loki.echo` takes no arguments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Arguments;

impl Decode for Arguments {
    fn decode(_: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Arguments)
    }
}

struct Echo {
    id: String,
}

/// Structured metadata as Loki's `LabelsAdapter` marshals it to JSON: an object of name to value.
pub fn structured_metadata_json(pairs: &[(String, String)]) -> String {
    let object: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::Value::Object(object).to_string()
}

/// A timestamp as Go's slog text handler writes a `time.Time` value: RFC 3339 with milliseconds (UTC).
pub fn slog_time(ns: i64) -> String {
    let t = if ns >= 0 {
        UNIX_EPOCH + Duration::from_nanos(ns as u64)
    } else {
        UNIX_EPOCH - Duration::from_nanos(ns.unsigned_abs())
    };
    humantime::format_rfc3339_millis(t).to_string()
}

impl LogsAppender for Echo {
    fn append(&self, entries: &[Entry]) -> Result<(), AppendError> {
        for e in entries {
            tracing::info!(
                component = %self.id,
                entry = %e.line,
                entry_timestamp = %slog_time(e.timestamp_ns),
                labels = %e.labels,
                structured_metadata = %structured_metadata_json(&e.structured_metadata),
                "received log entry"
            );
        }
        Ok(())
    }
}

pub struct Component;

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, _args: Arguments) -> Result<Component, String> {
        let receiver =
            ingot_logs::LogsReceiver::new(ctx.id.clone(), Arc::new(Echo { id: ctx.id.clone() }));
        ctx.exports.init(Value::object([(
            "receiver",
            Value::from(LogsReceiver(receiver)),
        )]));
        ctx.health.healthy("started component");
        Ok(Component)
    }

    fn update(&self, _args: Arguments) -> Result<(), String> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_as_alloy_writes_them() {
        assert_eq!(
            structured_metadata_json(&[("trace_id".into(), "a\"b".into())]),
            r#"{"trace_id":"a\"b"}"#
        );
        assert_eq!(structured_metadata_json(&[]), "{}");
        assert_eq!(
            slog_time(1_700_000_000_123_456_789),
            "2023-11-14T22:13:20.123Z"
        );
    }
}
