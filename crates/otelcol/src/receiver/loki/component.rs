//! The running `otelcol.receiver.loki` and its arguments (the `output` block). A batch of entries
//! becomes one logs request (one record per entry, in order); the sender's receipt token travels with it,
//! and a full pipeline answers the sender `Full` (it keeps the entries and offers them again).

use std::sync::Arc;
use std::time::Duration;

use ingot_common::receiver::LogsReceiver;
use ingot_logs::{AppendError, Entry, LogsAppender};
use ingot_otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use ingot_otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use ingot_otlp::{ConsumeError, Data, Logs, Outputs, Token};
use ingot_runtime::component::{ComponentType, Context, Stability};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

use crate::config::output_block;
use crate::processor::passthrough::PassThrough;

pub const NAME: &str = "otelcol.receiver.loki";

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub output: Outputs,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Arguments {
            output: output_block(d)?,
        })
    }
}

fn s(v: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(any_value::Value::StringValue(v.to_string())),
    })
}

/// One entry as a log record (Alloy's `convertLokiEntryToPlog`, labels in name order).
pub fn record(e: &Entry, observed_ns: u64) -> LogRecord {
    let mut attributes = Vec::new();
    if let Some(f) = e.labels.get("filename") {
        attributes.push(KeyValue {
            key: "log.file.path".into(),
            value: s(f),
        });
        let base = f.trim_end_matches('/').rsplit('/').next().unwrap_or(f);
        attributes.push(KeyValue {
            key: "log.file.name".into(),
            value: s(base),
        });
    }
    let names: Vec<&str> = e.labels.iter().map(|(n, _)| n).collect();
    if !names.is_empty() {
        attributes.push(KeyValue {
            key: "loki.attribute.labels".into(),
            value: s(&names.join(",")),
        });
    }
    for (n, v) in e.labels.iter() {
        match attributes.iter_mut().find(|kv| kv.key == n) {
            Some(kv) => kv.value = s(v),
            None => attributes.push(KeyValue {
                key: n.to_string(),
                value: s(v),
            }),
        }
    }
    for (n, v) in &e.structured_metadata {
        match attributes.iter_mut().find(|kv| &kv.key == n) {
            Some(kv) => kv.value = s(v),
            None => attributes.push(KeyValue {
                key: n.clone(),
                value: s(v),
            }),
        }
    }
    LogRecord {
        time_unix_nano: if e.timestamp_ns > 0 {
            e.timestamp_ns as u64
        } else {
            observed_ns
        },
        observed_time_unix_nano: observed_ns,
        body: s(&e.line),
        attributes,
        ..Default::default()
    }
}

struct Appender {
    out: Arc<PassThrough>,
}

impl Appender {
    fn send(&self, entries: &[Entry], token: Option<&Token>) -> Result<(), AppendError> {
        if entries.is_empty() {
            return Ok(());
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let data = Data::Logs(Logs {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: entries.iter().map(|e| record(e, now)).collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        });
        self.out.send(&data, token).map_err(|e| match e {
            ConsumeError::Full {
                retry_after,
                reason,
            } => AppendError::Full {
                retry_after,
                reason,
            },
            ConsumeError::Overloaded(reason) => AppendError::Full {
                retry_after: Duration::from_millis(500),
                reason,
            },
            ConsumeError::Refused(reason) => AppendError::Refused(reason),
        })
    }
}

impl LogsAppender for Appender {
    fn append(&self, entries: &[Entry]) -> Result<(), AppendError> {
        self.send(entries, None)
    }

    fn append_with(&self, entries: &[Entry], token: &Token) -> Result<(), AppendError> {
        self.send(entries, Some(token))
    }
}

pub struct Component {
    ctx: Context,
    out: Arc<PassThrough>,
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;
    const LIVE_DEBUGGING: bool = true;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let out = PassThrough::new(&ctx.id, args.output);
        crate::livedebug::observe(&out.fanout, &ctx.live_debugging);
        let receiver = ingot_logs::LogsReceiver::new(
            ctx.id.clone(),
            Arc::new(Appender { out: out.clone() }) as Arc<dyn LogsAppender>,
        );
        ctx.exports.init(Value::object([(
            "receiver",
            Value::from(LogsReceiver(receiver)),
        )]));
        ctx.health.healthy("started component");
        Ok(Component { ctx, out })
    }

    fn start(self: &Arc<Self>) {
        self.out.start(&self.ctx);
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        self.out.fanout.set_outputs(args.output);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingot_prom::labels::Labels;

    #[test]
    fn an_entry_as_alloy_converts_it() {
        let mut e = Entry::new(
            Labels::from_pairs(&[("job", "varlogs"), ("filename", "/var/log/app/x.log")]),
            42,
            "hello",
        );
        e.structured_metadata
            .push(("trace_id".into(), "abc".into()));
        let r = record(&e, 7);
        let attrs: Vec<(String, String)> = r
            .attributes
            .iter()
            .map(|kv| {
                (
                    kv.key.clone(),
                    crate::exporter::prometheus::convert::as_string(kv.value.as_ref().unwrap()),
                )
            })
            .collect();
        assert_eq!(
            attrs,
            vec![
                (
                    "log.file.path".to_string(),
                    "/var/log/app/x.log".to_string()
                ),
                ("log.file.name".into(), "x.log".into()),
                ("loki.attribute.labels".into(), "filename,job".into()),
                ("filename".into(), "/var/log/app/x.log".into()),
                ("job".into(), "varlogs".into()),
                ("trace_id".into(), "abc".into()),
            ]
        );
        assert_eq!((r.time_unix_nano, r.observed_time_unix_nano), (42, 7));
    }
}
