//! `prometheus.remote_write`'s own metrics, declared once: `/metrics` serves them (through
//! [`Component::debug_metrics`](ingot_runtime::component::ComponentType::debug_metrics)) and the
//! component's debug info reads the same numbers through the same readers.
//!
//! The names Alloy serves come with Prometheus' (v3.12, what Alloy 1.18 builds with) and Alloy's WAL's
//! help; the rest are ingot's own, for what its WAL does differently.

use std::sync::atomic::{AtomicU64, Ordering};

use ingot_prom::exposition::{Desc, MetricType};
use ingot_runtime::component::DebugMetric;
use ingot_wal::Stats;

use super::queue::EndpointMetrics;

use MetricType::{Counter, Gauge, Histogram};

/// Prometheus' buckets for `sent_batch_duration_seconds`: `prometheus.DefBuckets` and 25, 60, 120, 300.
pub const SENT_BATCH_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 60.0, 120.0, 300.0,
];

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
        "Total number of samples sent to remote storage.",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.samples_total),
};
pub static SAMPLES_FAILED: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_samples_failed_total",
        "Total number of samples which failed on send to remote storage, non-recoverable errors.",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.samples_failed_total),
};
pub static SAMPLES_RETRIED: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_samples_retried_total",
        "Total number of samples which failed on send to remote storage but were retried because the send error was recoverable.",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.samples_retried_total),
};
pub static SAMPLES_PENDING: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_samples_pending",
        "The number of samples pending in the queues shards to be sent to the remote storage.",
        Gauge,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| m.samples_pending.load(Ordering::Relaxed) as f64,
};
pub static SHARDS: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_shards",
        "The number of shards used for parallel sending to the remote storage.",
        Gauge,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.shards),
};
static SHARDS_MIN: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_shards_min",
        "The minimum number of shards that the queue is allowed to run.",
        Gauge,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.shards_min),
};
static SHARDS_MAX: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_shards_max",
        "The maximum number of shards that the queue is allowed to run.",
        Gauge,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.shards_max),
};
static HIGHEST_SENT_TIMESTAMP: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
        "Highest timestamp successfully sent by this queue, in seconds since epoch. Initialized to 0 when no data has been sent yet.",
        Gauge,
        ENDPOINT,
    ),
    extra_label_values: &[],
    // Whole seconds, as Prometheus sets it (`highest / 1000` of milliseconds).
    read: |m| m.highest_sent_timestamp_ms.load(Ordering::Relaxed).div_euclid(1000) as f64,
};
/// A histogram: read by [`endpoint_metrics`] from [`EndpointMetrics::sent_batch_duration`].
pub static SENT_BATCH_DURATION: Desc = Desc::new(
    "prometheus_remote_storage_sent_batch_duration_seconds",
    "Duration of send calls to the remote storage.",
    Histogram,
    ENDPOINT,
);
static BYTES: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_bytes_total",
        "The total number of bytes of data (not metadata) sent by the queue after compression. Note that when exemplars over remote write is enabled the exemplars included in a remote write request count towards this metric.",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.sent_bytes_total),
};
static METADATA_BYTES: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_metadata_bytes_total",
        "The total number of bytes of metadata sent by the queue after compression.",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.metadata_bytes_total),
};
static METADATA_SENT: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_metadata_total",
        "Total number of metadata entries sent to remote storage.",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.metadata_total),
};
static METADATA_FAILED: EndpointMetric = EndpointMetric {
    desc: Desc::new(
        "prometheus_remote_storage_metadata_failed_total",
        "Total number of metadata entries which failed on send to remote storage, non-recoverable errors.",
        Counter,
        ENDPOINT,
    ),
    extra_label_values: &[],
    read: |m| load(&m.metadata_failed_total),
};
const SAMPLES_DROPPED: Desc = Desc::new(
    "prometheus_remote_storage_samples_dropped_total",
    "Total number of samples which were dropped after being read from the WAL before being sent via remote write, either via relabelling, due to being too old or unintentionally because of an unknown reference ID.",
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

/// Every scalar endpoint metric, in the order they are reported.
pub static ENDPOINT_METRICS: [&EndpointMetric; 14] = [
    &SAMPLES_SENT,
    &SAMPLES_FAILED,
    &SAMPLES_RETRIED,
    &SAMPLES_PENDING,
    &SHARDS,
    &SHARDS_MIN,
    &SHARDS_MAX,
    &HIGHEST_SENT_TIMESTAMP,
    &BYTES,
    &METADATA_BYTES,
    &METADATA_SENT,
    &METADATA_FAILED,
    &SAMPLES_TOO_OLD,
    &SAMPLES_RELABEL_DROPPED,
];

/// Appends every metric of the endpoint `remote_name` at `url`: the scalars, then the send-duration
/// histogram.
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
    let durations = m
        .sent_batch_duration
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .value();
    out.push(DebugMetric::histogram(
        &SENT_BATCH_DURATION,
        [remote_name, url],
        durations,
    ));
}

/// Of the component as a whole, not of an endpoint (Prometheus keeps it in its remote storage, outside
/// any queue): the newest sample timestamp appended, in whole seconds.
pub static HIGHEST_TIMESTAMP: Desc = Desc::new(
    "prometheus_remote_storage_highest_timestamp_in_seconds",
    "Highest timestamp that has come into the remote storage via the Appender interface, in seconds since epoch. Initialized to 0 when no data has been received yet. Deprecated, check prometheus_remote_storage_queue_highest_timestamp_seconds which is more accurate.",
    Gauge,
    &[],
);

/// Alloy's WAL (`internal/static/metrics/wal`): samples appended, and the series it tracks.
pub static WAL_SAMPLES_APPENDED: Desc = Desc::new(
    "prometheus_remote_write_wal_samples_appended_total",
    "Total number of samples appended to the WAL",
    Counter,
    &[],
);
pub static WAL_ACTIVE_SERIES: Desc = Desc::new(
    "prometheus_remote_write_wal_storage_active_series",
    "Current number of active series being tracked by the WAL storage",
    Gauge,
    &[],
);
pub static WAL_CREATED_SERIES: Desc = Desc::new(
    "prometheus_remote_write_wal_storage_created_series_total",
    "Total number of created series appended to the WAL",
    Counter,
    &[],
);
pub static WAL_REMOVED_SERIES: Desc = Desc::new(
    "prometheus_remote_write_wal_storage_removed_series_total",
    "Total number of created series removed from the WAL",
    Counter,
    &[],
);

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
        "Total number of WAL corruptions.",
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
            &m.shards_min,
            &m.shards_max,
            &m.sent_bytes_total,
            &m.metadata_bytes_total,
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
        m.sent_batch_duration.lock().unwrap().observe(0.2);
        m.sent_batch_duration.lock().unwrap().observe(400.0);
        let mut out = Vec::new();
        endpoint_metrics(&m, "e", "http://x", &mut out);
        let histogram = out.pop().unwrap();
        assert_eq!(
            histogram.name(),
            "prometheus_remote_storage_sent_batch_duration_seconds"
        );
        let ingot_prom::exposition::MetricValue::Histogram(h) = &histogram.value else {
            panic!("not a histogram: {histogram:?}");
        };
        assert_eq!((h.count, h.sum), (2, 400.2));
        assert_eq!(h.buckets.len(), SENT_BATCH_BUCKETS.len());
        assert_eq!(h.buckets[5], (0.25, 1));
        assert_eq!(h.buckets[14], (300.0, 1));
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
                ("prometheus_remote_storage_shards_min", None, 5e6),
                ("prometheus_remote_storage_shards_max", None, 6e6),
                (
                    "prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
                    None,
                    1.0
                ),
                ("prometheus_remote_storage_bytes_total", None, 7e6),
                ("prometheus_remote_storage_metadata_bytes_total", None, 8e6),
                ("prometheus_remote_storage_metadata_total", None, 9e6),
                ("prometheus_remote_storage_metadata_failed_total", None, 1e7),
                (
                    "prometheus_remote_storage_samples_dropped_total",
                    Some("too_old"),
                    1.1e7
                ),
                (
                    "prometheus_remote_storage_samples_dropped_total",
                    Some("dropped_series"),
                    1.2e7
                ),
            ]
        );
        assert!(out
            .iter()
            .all(|d| d.label("remote_name") == Some("e") && d.label("url") == Some("http://x")));
    }
}
