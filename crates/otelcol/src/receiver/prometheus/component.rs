//! The running `otelcol.receiver.prometheus` and its arguments (the `output` block, `debug_metrics`). Each
//! appended batch is converted (`convert.rs`) and passed on; when the consumers are full the batch is
//! refused with the reason (the sender counts it), as Alloy's appender returns the pipeline's error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ingot_common::receiver::MetricsReceiver;
use ingot_otlp::{Data, Signal};
use ingot_prom::sample::{AppendError, Appender, Batch, Receiver};
use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

use super::convert::convert;
use crate::conditions::ConditionLog;
use crate::config::{debug_metrics, output_block, Warnings};
use crate::metrics::{otel_id, ReceiverCounts};
use crate::processor::passthrough::PassThrough;

pub const NAME: &str = "otelcol.receiver.prometheus";

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub output: ingot_otlp::Outputs,
    pub warnings: Warnings,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let output = output_block(d)?;
        debug_metrics(d, &mut warnings)?;
        Ok(Arguments { output, warnings })
    }
}

struct State {
    id: String,
    out: Arc<PassThrough>,
    counts: ReceiverCounts,
    dropped: AtomicU64,
    conditions: ConditionLog,
}

impl Appender for State {
    fn append(&self, batch: &Batch) -> Result<(), AppendError> {
        if batch.samples.is_empty() {
            return Ok(());
        }
        let (metrics, errors) = convert(batch);
        if let Some(e) = errors.first() {
            self.dropped
                .fetch_add(errors.len() as u64, Ordering::Relaxed);
            self.conditions
                .fail(&self.id, &format!("samples left out: {e}"), errors.len());
        }
        let data = Data::Metrics(metrics);
        let points = data.items();
        if points == 0 {
            return Ok(());
        }
        match self.out.send(&data, None) {
            Ok(()) => {
                self.counts.accepted.add(Signal::Metrics, points);
                Ok(())
            }
            Err(e) => {
                self.counts.refused.add(Signal::Metrics, points);
                Err(AppendError(format!("{}: {e}", self.id)))
            }
        }
    }
}

pub struct Component {
    ctx: Context,
    otel_id: String,
    state: Arc<State>,
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;
    const LIVE_DEBUGGING: bool = true;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        for w in &args.warnings {
            tracing::warn!(component = %ctx.id, "{w}");
        }
        let state = Arc::new(State {
            id: ctx.id.clone(),
            out: PassThrough::new(&ctx.id, args.output),
            counts: ReceiverCounts::default(),
            dropped: AtomicU64::new(0),
            conditions: ConditionLog::default(),
        });
        crate::livedebug::observe(&state.out.fanout, &ctx.live_debugging);
        let receiver = Receiver::new(ctx.id.clone(), state.clone() as Arc<dyn Appender>);
        ctx.exports.init(Value::object([(
            "receiver",
            Value::from(MetricsReceiver(receiver)),
        )]));
        ctx.health.healthy("started component");
        Ok(Component {
            otel_id: otel_id("prometheus", &ctx.id),
            ctx,
            state,
        })
    }

    fn start(self: &Arc<Self>) {
        self.state.out.start(&self.ctx);
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        self.state.out.fanout.set_outputs(args.output);
        Ok(())
    }

    fn debug_info(&self) -> Option<Value> {
        Some(Value::object([(
            "samples_left_out",
            Value::uint(self.state.dropped.load(Ordering::Relaxed)),
        )]))
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let mut out = Vec::new();
        self.state.counts.samples(&self.otel_id, "http", &mut out);
        out
    }
}
