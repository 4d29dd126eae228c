//! The running `otelcol.processor.memory_limiter`: a consumer that passes data on while the process's
//! resident memory is below the soft limit and refuses it (retryably) above, and a task that measures
//! memory every `check_interval` and logs each change of state once.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use ingot_common::receiver::OtelConsumer;
use ingot_otlp::{Consume, ConsumeError, Consumer, Data, Fanout, Token};
use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_syntax::value::Value;

use super::args::Arguments;
use super::usage;
use crate::conditions::ConditionLog;
use crate::metrics::{otel_id, ProcessorCounts};

pub const NAME: &str = "otelcol.processor.memory_limiter";

/// The collector's error text.
const REFUSED: &str = "data refused due to high memory usage";

struct Limiter {
    id: String,
    fanout: Fanout,
    refusing: AtomicBool,
    /// `(hard, soft)` limits in bytes.
    limits: RwLock<(u64, u64)>,
    check_interval: RwLock<Duration>,
    resident: AtomicU64,
    counts: ProcessorCounts,
    conditions: ConditionLog,
}

impl Limiter {
    fn check(&self) {
        let Some(rss) = usage::resident() else { return };
        self.resident.store(rss, Ordering::Relaxed);
        let (hard, soft) = *self.limits.read().unwrap_or_else(|e| e.into_inner());
        if rss > hard {
            usage::release();
        }
        let above = rss > soft;
        let was = self.refusing.swap(above, Ordering::Relaxed);
        if above && !was {
            tracing::warn!(component = %self.id, resident_mib = rss >> 20, soft_limit_mib = soft >> 20,
                "Memory usage is above soft limit. Refusing data.");
        } else if !above && was {
            tracing::info!(component = %self.id, resident_mib = rss >> 20, soft_limit_mib = soft >> 20,
                "Memory usage back within limits. Resuming normal operation.");
        }
    }
}

impl Consume for Limiter {
    fn consume(&self, data: &Data, token: Option<&Token>) -> Result<(), ConsumeError> {
        self.pass(Cow::Borrowed(data), token).map_err(|(e, _)| e)
    }

    fn consume_owned(&self, data: Data, token: Option<&Token>) -> Result<(), (ConsumeError, Data)> {
        self.pass(Cow::Owned(data), token)
            .map_err(|(e, d)| (e, d.into_owned()))
    }
}

impl Limiter {
    /// Passes the request on unchanged (handed over when it was handed over to the limiter), or refuses
    /// it above the limit.
    fn pass<'a>(
        &self,
        data: Cow<'a, Data>,
        token: Option<&Token>,
    ) -> Result<(), (ConsumeError, Cow<'a, Data>)> {
        let (signal, items) = (data.signal(), data.items());
        if self.refusing.load(Ordering::Relaxed) {
            self.counts.refused.add(signal, items);
            return Err((ConsumeError::Overloaded(REFUSED.into()), data));
        }
        let sent = match data {
            Cow::Borrowed(d) => self
                .fanout
                .send(d, token)
                .map_err(|e| (e, Cow::Borrowed(d))),
            Cow::Owned(d) => self
                .fanout
                .send_owned(d, token)
                .map_err(|(e, d)| (e, Cow::Owned(d))),
        };
        match sent {
            Ok(refusals) => {
                self.counts.accepted.add(signal, items);
                for (consumer, why) in refusals {
                    self.conditions.fail(
                        &self.id,
                        &format!("{consumer} refused data: {why}"),
                        items,
                    );
                }
                Ok(())
            }
            Err(e) => {
                self.counts.refused.add(signal, items);
                Err(e)
            }
        }
    }
}

pub struct Component {
    ctx: Context,
    otel_id: String,
    limiter: Arc<Limiter>,
}

fn limits(args: &Arguments) -> Result<(u64, u64), String> {
    usage::thresholds(args.limits, usage::available(std::path::Path::new("/")))
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
        let (hard, soft) = limits(&args)?;
        tracing::info!(component = %ctx.id, limit_mib = hard >> 20, spike_limit_mib = (hard - soft) >> 20, "Memory limiter configured");
        let limiter = Arc::new(Limiter {
            id: ctx.id.clone(),
            fanout: Fanout::new(args.output.clone()),
            refusing: AtomicBool::new(false),
            limits: RwLock::new((hard, soft)),
            check_interval: RwLock::new(args.check_interval),
            resident: AtomicU64::new(0),
            counts: ProcessorCounts::default(),
            conditions: ConditionLog::default(),
        });
        crate::livedebug::observe(&limiter.fanout, &ctx.live_debugging);
        let input = Consumer::new(ctx.id.clone(), limiter.clone());
        ctx.exports
            .init(Value::object([("input", Value::from(OtelConsumer(input)))]));
        ctx.health.healthy("started component");
        Ok(Component {
            otel_id: otel_id("memory_limiter", &ctx.id),
            ctx,
            limiter,
        })
    }

    fn start(self: &Arc<Self>) {
        let limiter = self.limiter.clone();
        let shutdown = self.ctx.shutdown.clone();
        limiter.check();
        self.ctx.tasks.spawn(async move {
            let mut last = tokio::time::Instant::now();
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = shutdown.cancelled() => break,
                }
                let every = *limiter
                    .check_interval
                    .read()
                    .unwrap_or_else(|e| e.into_inner());
                if last.elapsed() >= every {
                    last = tokio::time::Instant::now();
                    limiter.check();
                }
                if limiter.fanout.has_pending() {
                    for (consumer, why) in limiter.fanout.retry_pending().0 {
                        limiter.conditions.fail(
                            &limiter.id,
                            &format!("{consumer} refused data: {why}"),
                            0,
                        );
                    }
                }
            }
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        let l = limits(&args)?;
        *self
            .limiter
            .limits
            .write()
            .unwrap_or_else(|e| e.into_inner()) = l;
        *self
            .limiter
            .check_interval
            .write()
            .unwrap_or_else(|e| e.into_inner()) = args.check_interval;
        self.limiter.fanout.set_outputs(args.output);
        Ok(())
    }

    fn debug_info(&self) -> Option<Value> {
        let (hard, soft) = *self
            .limiter
            .limits
            .read()
            .unwrap_or_else(|e| e.into_inner());
        Some(Value::object([
            (
                "resident_bytes",
                Value::uint(self.limiter.resident.load(Ordering::Relaxed)),
            ),
            ("limit_bytes", Value::uint(hard)),
            ("soft_limit_bytes", Value::uint(soft)),
            (
                "refusing",
                Value::Bool(self.limiter.refusing.load(Ordering::Relaxed)),
            ),
        ]))
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let mut out = Vec::new();
        self.limiter.counts.samples(&self.otel_id, &mut out);
        out
    }
}
