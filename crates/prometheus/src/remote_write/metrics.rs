//! `prometheus.remote_write`'s own metrics, declared once: `/metrics` serves them (through
//! [`Component::debug_metrics`](ingot_runtime::component::ComponentType::debug_metrics)) and the
//! component's debug info reads the same numbers through the same readers.

use std::sync::atomic::{AtomicU64, Ordering};

use ingot_prom::exposition::{Desc, MetricType};
use ingot_runtime::component::DebugMetric;
use ingot_wal::Stats;

use super::queue::EndpointMetrics;

use MetricType::{Counter, Gauge};

/// Every endpoint metric is labelled with the endpoint's name and URL, in this order.
const ENDPOINT: &[&str] = &["remote_name", "url"];

/// One of an endpoint's metrics: its family, the values of the labels past [`ENDPOINT`]'s, and the
/// counter it reads.
pub struct EndpointMetric {
    pub desc: Desc,
    pub extra_label_values: &'static [&'static str],
    pub read: fn(&EndpointMetrics) -> f64,
}

impl EndpointMetric {
    pub fn read(&self, m: &EndpointMetrics) -> f64 {
        (self.read)(m)
    }
}

fn load(a: &AtomicU64) -> f64 {
    a.load(Ordering::Relaxed) as f64
}

pub static SAMPLES_SENT: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_samples_total",
        "Samples sent to remote storage.",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.samples_total),
};
pub static SAMPLES_FAILED: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_samples_failed_total",
        "Samples that failed on send and were dropped (non-recoverable errors).",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.samples_failed_total),
};
pub static SAMPLES_RETRIED: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_samples_retried_total",
        "Samples that failed on send and were retried (recoverable errors).",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.samples_retried_total),
};
pub static SAMPLES_PENDING: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_samples_pending",
        "Samples read from the WAL and not yet acknowledged.",
        Gauge,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| m.samples_pending.load(Ordering::Relaxed) as f64,
};
pub static SHARDS: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_shards",
        "Shards sending in parallel.",
        Gauge,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.shards),
};
static HIGHEST_SENT_TIMESTAMP: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
        "Newest sample timestamp successfully sent.",
        Gauge,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| m.highest_sent_timestamp_ms.load(Ordering::Relaxed) as f64 / 1000.0,
};
static SENT_BATCH_DURATION_SUM: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_sent_batch_duration_seconds_sum",
        "Time spent sending batches, retries included.",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.sent_batch_duration_micros) / 1e6,
};
static SENT_BATCH_DURATION_COUNT: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_sent_batch_duration_seconds_count",
        "Batches sent.",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.sent_batches_total),
};
static BYTES: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_bytes_total",
        "Compressed bytes of the last try of each batch.",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.sent_bytes_total),
};
static METADATA_SENT: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_metadata_total",
        "Metadata entries sent.",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.metadata_total),
};
static METADATA_FAILED: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_metadata_failed_total",
        "Metadata entries dropped on non-recoverable errors.",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.metadata_failed_total),
};
const SAMPLES_DROPPED: Desc = Desc::new(
    "prometheus_remote_storage_samples_dropped_total",
    "Samples not sent: older than sample_age_limit (too_old) or dropped by write_relabel_config (dropped_series).",
    Counter,
    &["remote_name", "url", "reason"],
);
static SAMPLES_TOO_OLD: EndpointMetric = EndpointMetric {
    desc: SAMPLES_DROPPED,
    extra_label_values: &["too_old"],
    read: |m| load(&m.samples_dropped_total),
};
static SAMPLES_RELABEL_DROPPED: EndpointMetric = EndpointMetric {
    desc: SAMPLES_DROPPED,
    extra_label_values: &["dropped_series"],
    read: |m| load(&m.samples_relabel_dropped_total),
};

/// Every endpoint metric, in the order they are reported.
pub static ENDPOINT_METRICS: [&EndpointMetric; 13] = [
    &SAMPLES_SENT,
    &SAMPLES_FAILED,
    &SAMPLES_RETRIED,
    &SAMPLES_PENDING,
    &SHARDS,
    &HIGHEST_SENT_TIMESTAMP,
    &SENT_BATCH_DURATION_SUM,
    &SENT_BATCH_DURATION_COUNT,
    &BYTES,
    &METADATA_SENT,
    &METADATA_FAILED,
    &SAMPLES_TOO_OLD,
    &SAMPLES_RELABEL_DROPPED,
];

/// Appends every metric of the endpoint `remote_name` at `url`.
pub fn endpoint_metrics(
    m: &EndpointMetrics,
    remote_name: &str,
    url: &str,
    out: &mut Vec<DebugMetric>,
) {
    for metric in ENDPOINT_METRICS {
        let labels = [remote_name, url]
            .into_iter()
            .chain(metric.extra_label_values.iter().copied());
        out.push(DebugMetric::new(&metric.desc, labels, metric.read(m)));
    }
}

/// One of the WAL's metrics, read from its [`Stats`].
pub struct WalMetric {
    pub desc: Desc,
    pub read: fn(&Stats) -> u64,
}

impl WalMetric {
    pub fn read(&self, s: &Stats) -> u64 {
        (self.read)(s)
    }
}

pub static WAL_SEGMENTS: WalMetric = WalMetric {
    desc: Desc::new(
        "prometheus_remote_write_wal_segments",
        "Segments in the WAL.",
        Gauge,
        &[],
    ),
    read: |s| s.segments.load(Ordering::Relaxed),
};
pub static WAL_BYTES: WalMetric = WalMetric {
    desc: Desc::new(
        "prometheus_remote_write_wal_storage_size_bytes",
        "Bytes the WAL takes on disk.",
        Gauge,
        &[],
    ),
    read: |s| s.bytes.load(Ordering::Relaxed),
};
pub static WAL_CORRUPTIONS: WalMetric = WalMetric {
    desc: Desc::new(
        "prometheus_remote_write_wal_corruptions_total",
        "Damaged WAL tails found and repaired.",
        Counter,
        &[],
    ),
    read: |s| s.corruptions.load(Ordering::Relaxed),
};
pub static WAL_RECORDS_REPLAYED: WalMetric = WalMetric {
    desc: Desc::new(
        "prometheus_remote_write_wal_records_replayed",
        "Records found in the WAL when it was opened.",
        Gauge,
        &[],
    ),
    read: |s| s.records_replayed.load(Ordering::Relaxed),
};
static WAL_RECORDS_APPENDED: WalMetric = WalMetric {
    desc: Desc::new(
        "prometheus_remote_write_wal_records_appended_total",
        "Records appended to the WAL.",
        Counter,
        &[],
    ),
    read: |s| s.records_written.load(Ordering::Relaxed),
};
static WAL_WRITE_FAILURES: WalMetric = WalMetric {
    desc: Desc::new(
        "prometheus_remote_write_wal_write_failures_total",
        "Appends to the WAL that failed (a full disk, IO errors).",
        Counter,
        &[],
    ),
    read: |s| s.write_failures.load(Ordering::Relaxed),
};
static WAL_SEGMENTS_REMOVED: WalMetric = WalMetric {
    desc: Desc::new(
        "prometheus_remote_write_wal_segments_removed_total",
        "Segments removed after delivery or for age.",
        Counter,
        &[],
    ),
    read: |s| s.segments_truncated.load(Ordering::Relaxed),
};

/// The WAL's metrics read from its stats, in the order they are reported.
pub static WAL_METRICS: [&WalMetric; 7] = [
    &WAL_SEGMENTS,
    &WAL_BYTES,
    &WAL_CORRUPTIONS,
    &WAL_RECORDS_REPLAYED,
    &WAL_RECORDS_APPENDED,
    &WAL_WRITE_FAILURES,
    &WAL_SEGMENTS_REMOVED,
];

/// Kept by the receiver, not the WAL.
pub static WAL_SAMPLES_LOST: Desc = Desc::new(
    "prometheus_remote_write_wal_samples_lost_total",
    "Samples that never reached the WAL: refused while the disk fell behind, or lost to a failed write.",
    Counter,
    &[],
);
/// Kept by the WAL's thread.
pub static WAL_QUEUE_BYTES: Desc = Desc::new(
    "prometheus_remote_write_wal_queue_bytes",
    "Bytes of samples waiting for the WAL's thread to write them.",
    Gauge,
    &[],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_metric_reads_its_own_counter() {
        let m = EndpointMetrics::default();
        let counters = [
            &m.samples_total,
            &m.samples_failed_total,
            &m.samples_retried_total,
            &m.shards,
            &m.sent_batches_total,
            &m.sent_batch_duration_micros,
            &m.sent_bytes_total,
            &m.metadata_total,
            &m.metadata_failed_total,
            &m.samples_dropped_total,
            &m.samples_relabel_dropped_total,
        ];
        for (i, c) in counters.iter().enumerate() {
            c.store(1_000_000 * (i as u64 + 1), Ordering::Relaxed);
        }
        m.samples_pending.store(-3, Ordering::Relaxed);
        m.highest_sent_timestamp_ms.store(1_500, Ordering::Relaxed);
        let mut out = Vec::new();
        endpoint_metrics(&m, "e", "http://x", &mut out);
        let values: Vec<(&str, Option<&str>, f64)> = out
            .iter()
            .map(|d| (d.name(), d.label("reason"), d.scalar().unwrap()))
            .collect();
        assert_eq!(
            values,
            [
                ("prometheus_remote_storage_samples_total", None, 1e6),
                ("prometheus_remote_storage_samples_failed_total", None, 2e6),
                ("prometheus_remote_storage_samples_retried_total", None, 3e6),
                ("prometheus_remote_storage_samples_pending", None, -3.0),
                ("prometheus_remote_storage_shards", None, 4e6),
                (
                    "prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
                    None,
                    1.5
                ),
                (
                    "prometheus_remote_storage_sent_batch_duration_seconds_sum",
                    None,
                    6.0
                ),
                (
                    "prometheus_remote_storage_sent_batch_duration_seconds_count",
                    None,
                    5e6
                ),
                ("prometheus_remote_storage_bytes_total", None, 7e6),
                ("prometheus_remote_storage_metadata_total", None, 8e6),
                ("prometheus_remote_storage_metadata_failed_total", None, 9e6),
                (
                    "prometheus_remote_storage_samples_dropped_total",
                    Some("too_old"),
                    1e7
                ),
                (
                    "prometheus_remote_storage_samples_dropped_total",
                    Some("dropped_series"),
                    1.1e7
                ),
            ]
        );
        assert!(out
            .iter()
            .all(|d| d.label("remote_name") == Some("e") && d.label("url") == Some("http://x")));
    }
}
