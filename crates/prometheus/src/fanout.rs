//! What Alloy's fanout (`internal/component/prometheus/fanout.go`) counts for each component that sends
//! samples on (`prometheus.scrape`, `prometheus.relabel`): the samples some receiver took, and how long
//! each batch took to go through the receivers downstream.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use ingot_prom::exposition::{Desc, Histogram, MetricType};
use ingot_prom::sample::{fan_out, AppendError, Batch, Receiver};
use ingot_runtime::component::DebugMetric;

/// Alloy's buckets for `prometheus_fanout_latency`.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

static LATENCY: Desc = Desc::new(
    "prometheus_fanout_latency",
    "Write latency for sending to direct and indirect components",
    MetricType::Histogram,
    &[],
);
static FORWARDED: Desc = Desc::new(
    "prometheus_forwarded_samples_total",
    "Total number of samples sent to downstream components.",
    MetricType::Counter,
    &[],
);

pub struct FanoutMetrics {
    forwarded: AtomicU64,
    latency: Mutex<Histogram>,
}

impl Default for FanoutMetrics {
    fn default() -> FanoutMetrics {
        FanoutMetrics {
            forwarded: AtomicU64::new(0),
            latency: Mutex::new(Histogram::new(LATENCY_BUCKETS)),
        }
    }
}

impl FanoutMetrics {
    /// [`fan_out`], counted: a batch with samples is timed through every receiver, and its samples
    /// count as forwarded when at least one receiver took them.
    pub fn send(&self, receivers: &[Receiver], batch: &Batch) -> Vec<(String, AppendError)> {
        if batch.samples.is_empty() {
            return fan_out(receivers, batch);
        }
        let started = Instant::now();
        let errors = fan_out(receivers, batch);
        let took = started.elapsed();
        self.latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .observe(took.as_secs_f64());
        if errors.len() < receivers.len() {
            self.forwarded
                .fetch_add(batch.samples.len() as u64, Ordering::Relaxed);
        }
        errors
    }

    pub fn debug_metrics(&self, out: &mut Vec<DebugMetric>) {
        let none: [&str; 0] = [];
        out.push(DebugMetric::new(
            &FORWARDED,
            none,
            self.forwarded.load(Ordering::Relaxed) as f64,
        ));
        let latency = self
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .value();
        out.push(DebugMetric::histogram(&LATENCY, none, latency));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingot_prom::exposition::MetricValue;
    use ingot_prom::labels::Labels;
    use ingot_prom::sample::{Appender, Sample};
    use std::sync::Arc;

    struct Refuse;
    impl Appender for Refuse {
        fn append(&self, _: &Batch) -> Result<(), AppendError> {
            Err(AppendError("no".into()))
        }
    }
    struct Take;
    impl Appender for Take {
        fn append(&self, _: &Batch) -> Result<(), AppendError> {
            Ok(())
        }
    }

    fn batch(n: usize) -> Batch {
        Batch {
            samples: (0..n)
                .map(|i| Sample {
                    labels: Labels::from_pairs(&[("i", &i.to_string())]),
                    timestamp_ms: 0,
                    value: 1.0,
                    exemplar: None,
                })
                .collect(),
            metadata: Vec::new(),
            target_metadata: None,
        }
    }

    #[test]
    fn counts_what_some_receiver_took_and_times_each_batch() {
        let m = FanoutMetrics::default();
        let refuse = Receiver::new("refuse", Arc::new(Refuse));
        let take = Receiver::new("take", Arc::new(Take));
        assert_eq!(m.send(std::slice::from_ref(&refuse), &batch(3)).len(), 1);
        assert_eq!(m.send(&[refuse, take], &batch(2)).len(), 1);
        m.send(&[], &batch(0));
        let mut out = Vec::new();
        m.debug_metrics(&mut out);
        assert_eq!(out[0].scalar(), Some(2.0));
        let MetricValue::Histogram(h) = &out[1].value else {
            panic!("{:?}", out[1]);
        };
        assert_eq!(h.count, 2);
    }
}
