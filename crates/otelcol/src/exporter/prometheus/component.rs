//! The running `otelcol.exporter.prometheus`: converts each metrics request and appends the samples to
//! every `forward_to` receiver. When every receiver refuses, the request is answered `Full` (its sender
//! offers it again); what the conversion leaves out (delta sums and histograms, exponential histograms,
//! out-of-order points) is counted and logged once per change.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use ingot_common::receiver::OtelConsumer;
use ingot_otlp::{Consume, ConsumeError, Consumer, Data, Signal, Token};
use ingot_prom::sample::{fan_out, Receiver};
use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_syntax::value::Value;

use super::args::Arguments;
use super::convert::Converter;
use crate::conditions::ConditionLog;
use crate::metrics::{otel_id, ExporterCounts};

pub const NAME: &str = "otelcol.exporter.prometheus";

struct State {
    id: String,
    args: RwLock<Arguments>,
    converter: Converter,
    counts: ExporterCounts,
    dropped: AtomicU64,
    conditions: ConditionLog,
}

impl Consume for State {
    fn consume(&self, data: &Data, _: Option<&Token>) -> Result<(), ConsumeError> {
        let Data::Metrics(m) = data else {
            return Err(ConsumeError::Refused(format!(
                "{} takes metrics only, not {}",
                self.id,
                data.signal().as_str()
            )));
        };
        let (options, receivers): (_, Vec<Receiver>) = {
            let a = self.args.read().unwrap_or_else(|e| e.into_inner());
            (
                a.options,
                a.forward_to.iter().map(|r| r.0.clone()).collect(),
            )
        };
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let (batch, dropped) = self.converter.convert(m, options, now_ms);
        let points = data.items();
        let left_out = dropped.delta + dropped.exponential_histograms + dropped.out_of_order;
        if left_out > 0 {
            self.dropped.fetch_add(left_out as u64, Ordering::Relaxed);
            self.conditions.fail(
                &self.id,
                &format!(
                    "data points not converted: {} delta (Prometheus takes cumulative data only), {} exponential histogram (native histograms are not supported), {} out of order",
                    dropped.delta, dropped.exponential_histograms, dropped.out_of_order
                ),
                left_out,
            );
        }
        if receivers.is_empty() || batch.is_empty() {
            self.counts.sent.add(Signal::Metrics, points);
            return Ok(());
        }
        let errors = fan_out(&receivers, &batch);
        if errors.len() == receivers.len() {
            let why = errors
                .iter()
                .map(|(n, e)| format!("{n}: {e}"))
                .collect::<Vec<_>>()
                .join("; ");
            self.counts.enqueue_failed.add(Signal::Metrics, points);
            return Err(ConsumeError::Full {
                retry_after: Duration::from_millis(500),
                reason: format!("every forward_to receiver refused the samples: {why}"),
            });
        }
        for (n, e) in errors {
            self.conditions.fail(
                &self.id,
                &format!("{n} refused samples: {e}"),
                batch.samples.len(),
            );
        }
        self.counts.sent.add(Signal::Metrics, points);
        Ok(())
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

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        for w in &args.warnings {
            tracing::warn!(component = %ctx.id, "{w}");
        }
        let state = Arc::new(State {
            id: ctx.id.clone(),
            args: RwLock::new(args),
            converter: Converter::default(),
            counts: ExporterCounts::default(),
            dropped: AtomicU64::new(0),
            conditions: ConditionLog::default(),
        });
        let input = Consumer::new(ctx.id.clone(), state.clone());
        ctx.exports
            .init(Value::object([("input", Value::from(OtelConsumer(input)))]));
        ctx.health.healthy("started component");
        Ok(Component {
            otel_id: otel_id("prometheus", &ctx.id),
            ctx,
            state,
        })
    }

    fn start(self: &Arc<Self>) {
        let state = self.state.clone();
        let shutdown = self.ctx.shutdown.clone();
        self.ctx.tasks.spawn(async move {
            loop {
                let every = state
                    .args
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .gc_frequency;
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = shutdown.cancelled() => break,
                }
                // As Alloy: series unseen for 5 minutes are forgotten, at every gc_frequency.
                state.converter.gc(Duration::from_secs(300));
            }
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        for w in &args.warnings {
            tracing::warn!(component = %self.ctx.id, "{w}");
        }
        *self.state.args.write().unwrap_or_else(|e| e.into_inner()) = args;
        Ok(())
    }

    fn debug_info(&self) -> Option<Value> {
        Some(Value::object([
            (
                "active_series",
                Value::uint(self.state.converter.active_series() as u64),
            ),
            (
                "data_points_not_converted",
                Value::uint(self.state.dropped.load(Ordering::Relaxed)),
            ),
        ]))
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let mut out = Vec::new();
        self.state.counts.samples(&self.otel_id, &mut out);
        out
    }
}
