//! The running `otelcol.exporter.debug`: a consumer that writes and counts, never refuses.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use ingot_common::receiver::OtelConsumer;
use ingot_otlp::{Consume, ConsumeError, Consumer, Data, Token};
use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_syntax::value::Value;

use super::args::{Arguments, Output, Verbosity};
use super::text;
use crate::metrics::{otel_id, ExporterCounts};

pub const NAME: &str = "otelcol.exporter.debug";

struct Debug {
    id: String,
    otel_id: String,
    args: RwLock<Arguments>,
    counts: ExporterCounts,
    /// The sampler's window: the second it started and the messages logged in it.
    window: Mutex<(Instant, u64)>,
    dropped_by_sampling: AtomicU64,
}

impl Debug {
    /// The collector's zap sampler: per second, the first `initial` messages, then every `thereafter`th.
    fn sampled(&self, args: &Arguments) -> bool {
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if w.0.elapsed().as_secs() >= 1 {
            *w = (Instant::now(), 0);
        }
        w.1 += 1;
        let n = w.1;
        if n <= args.sampling_initial {
            return true;
        }
        args.sampling_thereafter > 0
            && (n - args.sampling_initial).is_multiple_of(args.sampling_thereafter)
    }

    fn write(&self, args: &Arguments, data: &Data) {
        let (msg, counts) = match data {
            Data::Traces(t) => (
                "Traces",
                format!(
                    "resource spans={} spans={}",
                    t.resource_spans.len(),
                    data.items()
                ),
            ),
            Data::Metrics(m) => (
                "Metrics",
                format!(
                    "resource metrics={} metrics={} data points={}",
                    m.resource_metrics.len(),
                    m.resource_metrics
                        .iter()
                        .flat_map(|r| &r.scope_metrics)
                        .map(|s| s.metrics.len())
                        .sum::<usize>(),
                    data.items()
                ),
            ),
            Data::Logs(l) => (
                "Logs",
                format!(
                    "resource logs={} log records={}",
                    l.resource_logs.len(),
                    data.items()
                ),
            ),
        };
        let body = match args.verbosity {
            Verbosity::Basic => String::new(),
            Verbosity::Normal => text::lines(data).join("\n"),
            Verbosity::Detailed => text::detailed(data),
        };
        match args.output {
            Output::Log => {
                if body.is_empty() {
                    tracing::info!(component = %self.id, "{msg} {counts}");
                } else {
                    tracing::info!(component = %self.id, "{msg} {counts}\n{}", body.trim_end());
                }
            }
            Output::Stdout => println!("{msg}\t{counts}\n{body}"),
            Output::Stderr => eprintln!("{msg}\t{counts}\n{body}"),
        }
    }
}

impl Consume for Debug {
    fn consume(&self, data: &Data, _: Option<&Token>) -> Result<(), ConsumeError> {
        let args = self.args.read().unwrap_or_else(|e| e.into_inner()).clone();
        if self.sampled(&args) {
            self.write(&args, data);
        } else {
            self.dropped_by_sampling.fetch_add(1, Ordering::Relaxed);
        }
        self.counts.sent.add(data.signal(), data.items());
        Ok(())
    }
}

pub struct Component {
    state: Arc<Debug>,
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        for w in &args.warnings {
            tracing::warn!(component = %ctx.id, "{w}");
        }
        let state = Arc::new(Debug {
            id: ctx.id.clone(),
            otel_id: otel_id("debug", &ctx.id),
            args: RwLock::new(args),
            counts: ExporterCounts::default(),
            window: Mutex::new((Instant::now(), 0)),
            dropped_by_sampling: AtomicU64::new(0),
        });
        let input = Consumer::new(ctx.id.clone(), state.clone());
        ctx.exports
            .init(Value::object([("input", Value::from(OtelConsumer(input)))]));
        ctx.health.healthy("started component");
        Ok(Component { state })
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        for w in &args.warnings {
            tracing::warn!(component = %self.state.id, "{w}");
        }
        *self.state.args.write().unwrap_or_else(|e| e.into_inner()) = args;
        Ok(())
    }

    fn debug_info(&self) -> Option<Value> {
        Some(Value::object([(
            "messages_skipped_by_sampling",
            Value::uint(self.state.dropped_by_sampling.load(Ordering::Relaxed)),
        )]))
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let mut out = Vec::new();
        self.state.counts.samples(&self.state.otel_id, &mut out);
        out
    }
}
