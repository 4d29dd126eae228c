//! The running `otelcol.exporter.loki` and its arguments (Alloy's `exporter/loki/loki.go`: `forward_to`,
//! required). Entries go through an `ingot-logs` fan-out with the sender's receipt token, so a client of
//! `otelcol.receiver.otlp` is answered once `loki.write` has the lines in its WAL; a receiver that is full
//! makes the request wait (`Full`), one that refuses for good is logged with its count.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ingot_common::receiver::{LogsReceiver, OtelConsumer};
use ingot_logs::{AppendError, Entry, Fanout as LogsFanout};
use ingot_otlp::{Consume, ConsumeError, Consumer, Data, Token};
use ingot_prom::labels::Labels;
use ingot_runtime::component::{ComponentType, Context, DebugMetric, Desc, MetricType, Stability};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

use super::convert::convert;
use crate::conditions::ConditionLog;

pub const NAME: &str = "otelcol.exporter.loki";

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub forward_to: Vec<LogsReceiver>,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Arguments {
            forward_to: d.required("forward_to")?,
        })
    }
}

// Alloy's converter metrics (`exporter/loki/internal/convert/metrics.go`).
static ENTRIES_TOTAL: Desc = Desc::new(
    "otelcol_exporter_loki_entries_total",
    "Total number of log entries passed through the converter",
    MetricType::Counter,
    &[],
);
static ENTRIES_FAILED: Desc = Desc::new(
    "otelcol_exporter_loki_entries_failed",
    "Total number of log entries failed to convert",
    MetricType::Counter,
    &[],
);
static ENTRIES_PROCESSED: Desc = Desc::new(
    "otelcol_exporter_loki_entries_processed",
    "Total number of log entries successfully converted",
    MetricType::Counter,
    &[],
);

struct State {
    id: String,
    fanout: LogsFanout,
    total: AtomicU64,
    failed: AtomicU64,
    processed: AtomicU64,
    conditions: ConditionLog,
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

impl Consume for State {
    fn consume(&self, data: &Data, token: Option<&Token>) -> Result<(), ConsumeError> {
        let Data::Logs(logs) = data else {
            return Err(ConsumeError::Refused(format!(
                "{} takes logs only, not {}",
                self.id,
                data.signal().as_str()
            )));
        };
        let (converted, errors) = convert(logs, now_ns());
        let entries: Vec<Entry> = converted
            .into_iter()
            .map(|c| Entry::new(Labels::from_pairs(&c.labels), c.timestamp_ns, c.line))
            .collect();
        if entries.is_empty() && errors.is_empty() {
            return Ok(());
        }
        match self.fanout.send(&entries, token) {
            Ok(refusals) => {
                let n = data.items() as u64;
                self.total.fetch_add(n, Ordering::Relaxed);
                self.failed
                    .fetch_add(errors.len() as u64, Ordering::Relaxed);
                self.processed
                    .fetch_add(entries.len() as u64, Ordering::Relaxed);
                if let Some(e) = errors.first() {
                    self.conditions.fail(&self.id, e, errors.len());
                }
                for (receiver, why) in refusals {
                    self.conditions.fail(
                        &self.id,
                        &format!("{receiver} refused entries: {why}"),
                        entries.len(),
                    );
                }
                Ok(())
            }
            Err(AppendError::Full {
                retry_after,
                reason,
            }) => Err(ConsumeError::Full {
                retry_after,
                reason,
            }),
            Err(AppendError::Refused(why)) => Err(ConsumeError::Refused(why)),
        }
    }
}

pub struct Component {
    ctx: Context,
    state: Arc<State>,
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let state = Arc::new(State {
            id: ctx.id.clone(),
            fanout: LogsFanout::new(args.forward_to.into_iter().map(|r| r.0).collect()),
            total: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            processed: AtomicU64::new(0),
            conditions: ConditionLog::default(),
        });
        let input = Consumer::new(ctx.id.clone(), state.clone());
        ctx.exports
            .init(Value::object([("input", Value::from(OtelConsumer(input)))]));
        ctx.health.healthy("started component");
        Ok(Component { ctx, state })
    }

    fn start(self: &Arc<Self>) {
        let state = self.state.clone();
        let shutdown = self.ctx.shutdown.clone();
        self.ctx.tasks.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = shutdown.cancelled() => break,
                }
                if state.fanout.has_pending() {
                    if let Ok(refusals) = state.fanout.retry_pending() {
                        for (receiver, why) in refusals {
                            state.conditions.fail(
                                &state.id,
                                &format!("{receiver} refused entries: {why}"),
                                0,
                            );
                        }
                    }
                }
            }
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        self.state
            .fanout
            .set_receivers(args.forward_to.into_iter().map(|r| r.0).collect());
        Ok(())
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let s = &self.state;
        let none: [&str; 0] = [];
        vec![
            DebugMetric::new(&ENTRIES_TOTAL, none, s.total.load(Ordering::Relaxed) as f64),
            DebugMetric::new(
                &ENTRIES_FAILED,
                none,
                s.failed.load(Ordering::Relaxed) as f64,
            ),
            DebugMetric::new(
                &ENTRIES_PROCESSED,
                none,
                s.processed.load(Ordering::Relaxed) as f64,
            ),
        ]
    }
}
