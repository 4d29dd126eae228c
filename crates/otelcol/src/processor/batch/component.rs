//! The running `otelcol.processor.batch`: its [`Batcher`] as the `input` export, and a timer task that
//! sends batches whose timeout is up and offers held ones again. When the component stops, what it holds
//! is sent (for up to [`DRAIN`]); anything the consumers still refuse then is logged with its count.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use ingot_common::receiver::OtelConsumer;
use ingot_otlp::Consumer;
use ingot_runtime::component::{
    ComponentType, Context, DebugMetric, Desc, HistogramValue, MetricType, Stability,
};
use ingot_syntax::value::Value;
use tokio::time::Instant;

use super::args::Arguments;
use super::batcher::{Batcher, Settings};
use crate::metrics::otel_id;

pub const NAME: &str = "otelcol.processor.batch";

/// How long a stopping processor keeps offering what it holds.
pub const DRAIN: Duration = Duration::from_secs(5);

static SEND_SIZE: Desc = Desc::new(
    "otelcol_processor_batch_batch_send_size",
    "Number of units in the batch",
    MetricType::Histogram,
    &["processor"],
);
static SEND_SIZE_BYTES: Desc = Desc::new(
    "otelcol_processor_batch_batch_send_size_bytes",
    "Number of bytes in batch that was sent. Only available on detailed level.",
    MetricType::Histogram,
    &["processor"],
);
static SIZE_TRIGGER: Desc = Desc::new(
    "otelcol_processor_batch_batch_size_trigger_send_total",
    "Number of times the batch was sent due to a size trigger",
    MetricType::Counter,
    &["processor"],
);
static TIMEOUT_TRIGGER: Desc = Desc::new(
    "otelcol_processor_batch_timeout_trigger_send_total",
    "Number of times the batch was sent due to a timeout trigger",
    MetricType::Counter,
    &["processor"],
);
static CARDINALITY: Desc = Desc::new(
    "otelcol_processor_batch_metadata_cardinality",
    "Number of distinct metadata value combinations being processed",
    MetricType::Gauge,
    &["processor"],
);

fn settings(args: &Arguments) -> Settings {
    Settings {
        timeout: args.timeout,
        send_batch_size: args.send_batch_size as usize,
        send_batch_max_size: args.send_batch_max_size as usize,
    }
}

pub struct Component {
    ctx: Context,
    otel_id: String,
    batcher: Arc<Batcher>,
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
        let batcher = Arc::new(Batcher::new(&ctx.id, settings(&args), args.output.clone()));
        crate::livedebug::observe(&batcher.fanout, &ctx.live_debugging);
        let input = Consumer::new(ctx.id.clone(), batcher.clone());
        ctx.exports
            .init(Value::object([("input", Value::from(OtelConsumer(input)))]));
        ctx.health.healthy("started component");
        Ok(Component {
            otel_id: otel_id("batch", &ctx.id),
            ctx,
            batcher,
        })
    }

    fn start(self: &Arc<Self>) {
        let batcher = self.batcher.clone();
        let shutdown = self.ctx.shutdown.clone();
        let id = self.ctx.id.clone();
        self.ctx.tasks.spawn(async move {
            let far = || Instant::now() + Duration::from_secs(3600);
            let mut next = far();
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(next) => {}
                    _ = batcher.wake.notified() => {}
                    _ = shutdown.cancelled() => break,
                }
                next = batcher.tick(Instant::now(), false).unwrap_or_else(far);
            }
            let until = Instant::now() + DRAIN;
            loop {
                let now = Instant::now();
                batcher.tick(now, true);
                let waiting = batcher.waiting();
                if waiting.iter().all(|&n| n == 0) {
                    break;
                }
                if now >= until {
                    tracing::warn!(
                        component = %id,
                        spans = waiting[0],
                        metric_points = waiting[1],
                        log_records = waiting[2],
                        "stopping with batches the consumers did not take within {}: they are dropped",
                        ingot_gocompat::time::format_std_duration(DRAIN)
                    );
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        for w in &args.warnings {
            tracing::warn!(component = %self.ctx.id, "{w}");
        }
        self.batcher.update(settings(&args), args.output);
        Ok(())
    }

    fn debug_info(&self) -> Option<Value> {
        let w = self.batcher.waiting();
        Some(Value::object([
            ("spans_waiting", Value::uint(w[0] as u64)),
            ("metric_points_waiting", Value::uint(w[1] as u64)),
            ("log_records_waiting", Value::uint(w[2] as u64)),
            (
                "items_dropped_refused_by_consumers",
                Value::uint(self.batcher.stats.refused.load(Ordering::Relaxed)),
            ),
        ]))
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let s = &self.batcher.stats;
        let label = [self.otel_id.clone()];
        let hist = |h: &std::sync::Mutex<ingot_prom::exposition::Histogram>| {
            let h = h.lock().unwrap_or_else(|e| e.into_inner());
            HistogramValue {
                buckets: h.cumulative().collect(),
                sum: h.sum(),
                count: h.count(),
            }
        };
        vec![
            DebugMetric::histogram(&SEND_SIZE, label.clone(), hist(&s.send_size)),
            DebugMetric::histogram(&SEND_SIZE_BYTES, label.clone(), hist(&s.send_bytes)),
            DebugMetric::new(
                &SIZE_TRIGGER,
                label.clone(),
                s.size_trigger.load(Ordering::Relaxed) as f64,
            ),
            DebugMetric::new(
                &TIMEOUT_TRIGGER,
                label.clone(),
                s.timeout_trigger.load(Ordering::Relaxed) as f64,
            ),
            DebugMetric::new(&CARDINALITY, label, 1.0),
        ]
    }
}
