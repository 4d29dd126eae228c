//! The running `prometheus.relabel`: an appender that relabels each batch through the cache and forwards
//! what is kept.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ingot_prom::relabel::{process_with, NameScheme, RelabelCache, Scratch};
use ingot_prom::sample::{is_stale_nan, release, AppendError, Appender, Batch, Receiver, Sample};
use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_runtime::livedebugging::{DataType, Publisher};
use ingot_syntax::value::Value;
use tokio_util::sync::CancellationToken;

use super::args::Arguments;
use super::metrics::Counters;
use crate::fanout::FanoutMetrics;

use ingot_common::receiver::MetricsReceiver;
use ingot_common::relabel::Rules;
pub const NAME: &str = "prometheus.relabel";

struct Inner {
    id: String,
    shutdown: CancellationToken,
    state: Mutex<State>,
    counters: Counters,
    fanout: FanoutMetrics,
    debug: Publisher,
}

struct State {
    rules: Rules,
    receivers: Vec<Receiver>,
    cache: RelabelCache,
    scratch: Scratch,
}

impl Appender for Inner {
    fn append(&self, batch: &Batch) -> Result<(), AppendError> {
        if self.shutdown.is_cancelled() {
            return Err(AppendError(format!("{} has exited", self.id)));
        }
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let State {
            rules,
            receivers,
            cache,
            scratch,
        } = &mut *state;
        let (hits, misses) = cache.hits_and_misses();
        let expired = cache.expired();
        let mut deletes = 0;
        let mut out = Vec::with_capacity(batch.samples.len());
        // Each series before and after, for a live debugging stream (only while one watches).
        let mut watched = Vec::new();
        let watching = self.debug.active();
        cache.start_batch();
        for s in &batch.samples {
            let relabeled = cache.get_or_compute(&s.labels, now, |labels| {
                let mut lb = labels.to_builder();
                process_with(&rules.0, &mut lb, scratch, NameScheme::Legacy)
                    .then(|| lb.labels())
                    .filter(|l| !l.is_empty())
            });
            if is_stale_nan(s.value) {
                // The series ended: forget it, after letting the marker through.
                cache.remove(&s.labels);
                deletes += 1;
            }
            if watching {
                watched.push((s.labels.clone(), relabeled.clone()));
            }
            if let Some(labels) = relabeled {
                out.push(Sample {
                    labels,
                    timestamp_ms: s.timestamp_ms,
                    value: s.value,
                    exemplar: s.exemplar.clone(),
                });
            }
        }
        let (hits_after, misses_after) = cache.hits_and_misses();
        let expired_after = cache.expired();
        let cache_size = cache.len() as u64;
        let receivers = receivers.clone();
        drop(state);
        // Counted once per batch, not per sample.
        let c = &self.counters;
        c.processed
            .fetch_add(batch.samples.len() as u64, Ordering::Relaxed);
        c.hits.fetch_add(hits_after - hits, Ordering::Relaxed);
        c.misses.fetch_add(misses_after - misses, Ordering::Relaxed);
        c.deletes.fetch_add(deletes, Ordering::Relaxed);
        c.written.fetch_add(out.len() as u64, Ordering::Relaxed);
        c.ttl_evictions
            .fetch_add(expired_after - expired, Ordering::Relaxed);
        c.cache_size.store(cache_size, Ordering::Relaxed);
        for (before, after) in &watched {
            // As Alloy's: a dropped series counts 0 and shows as `{}`.
            let count = u64::from(after.is_some());
            self.debug
                .publish(DataType::PrometheusMetric, count, || match after {
                    Some(after) => format!("{before} => {after}"),
                    None => format!("{before} => {{}}"),
                });
        }
        if out.is_empty() && batch.metadata.is_empty() {
            return Ok(());
        }
        let mut next = Batch {
            samples: out,
            metadata: batch.metadata.clone(),
            target_metadata: batch.target_metadata.clone(),
        };
        let errors = self.fanout.send(&receivers, &next);
        release(&mut next.samples);
        match errors.first() {
            None => Ok(()),
            Some((name, e)) => Err(AppendError(format!("{name}: {e}"))),
        }
    }
}

pub struct Component {
    ctx: Context,
    inner: Arc<Inner>,
    receiver: Receiver,
}

impl Component {
    fn exports(&self, rules: &Rules) -> Value {
        Value::object([
            (
                "receiver",
                Value::from(MetricsReceiver(self.receiver.clone())),
            ),
            ("rules", rules.to_value()),
        ])
    }
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;
    const LIVE_DEBUGGING: bool = true;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let inner = Arc::new(Inner {
            id: ctx.id.clone(),
            shutdown: ctx.shutdown.clone(),
            counters: Counters::default(),
            fanout: FanoutMetrics::default(),
            debug: ctx.live_debugging.clone(),
            state: Mutex::new(State {
                receivers: args.forward_to.iter().map(|r| r.0.clone()).collect(),
                cache: RelabelCache::new(args.cache_limit()),
                rules: args.rules.clone(),
                scratch: Scratch::default(),
            }),
        });
        let receiver = Receiver::new(ctx.id.clone(), inner.clone());
        let c = Component {
            ctx,
            inner,
            receiver,
        };
        c.ctx.exports.init(c.exports(&args.rules));
        c.ctx.health.healthy("started component");
        Ok(c)
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        {
            let mut s = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
            s.receivers = args.forward_to.iter().map(|r| r.0.clone()).collect();
            s.cache = RelabelCache::new(args.cache_limit());
            s.rules = args.rules.clone();
            self.inner.counters.cache_size.store(0, Ordering::Relaxed);
        }
        self.ctx.exports.publish(self.exports(&args.rules));
        Ok(())
    }

    fn debug_info(&self) -> Option<Value> {
        let c = &self.inner.counters;
        let n = |a: &AtomicU64| Value::uint(a.load(Ordering::Relaxed));
        Some(Value::object([
            ("prometheus_relabel_metrics_processed", n(&c.processed)),
            ("prometheus_relabel_metrics_written", n(&c.written)),
            ("prometheus_relabel_cache_hits", n(&c.hits)),
            ("prometheus_relabel_cache_misses", n(&c.misses)),
            ("prometheus_relabel_cache_deletes", n(&c.deletes)),
            ("prometheus_relabel_cache_size", n(&c.cache_size)),
        ]))
    }

    /// Alloy's `alloy_prometheus_relabel_*` and its fanout's metrics; read without the appender's
    /// lock, so an in-memory scrape of the agent's metrics never waits on a batch being relabelled.
    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let mut out = Vec::with_capacity(9);
        self.inner.counters.debug_metrics(&mut out);
        self.inner.fanout.debug_metrics(&mut out);
        out
    }
}
