//! `loki.write`'s metrics: Alloy's names, labels, help texts and buckets
//! (`internal/component/common/loki/client/metrics.go`), plus the WAL's own.

use std::collections::BTreeMap;
use std::sync::Mutex;

use ingot_prom::exposition::{Desc, Histogram, MetricType};
use ingot_runtime::component::DebugMetric;

use MetricType::{Counter, Gauge};

/// Why entries were dropped: Alloy's reasons, then ingot's own.
pub const REASON_GENERIC: usize = 0;
pub const REASON_RATE_LIMITED: usize = 1;
pub const REASON_STREAM_LIMITED: usize = 2;
pub const REASON_LINE_TOO_LONG: usize = 3;
pub const REASON_QUEUE_IS_FULL: usize = 4;
/// Undelivered entries in WAL segments older than `wal.max_segment_age`, removed to bound the disk.
pub const REASON_WAL_SEGMENT_EXPIRED: usize = 5;
pub const REASONS: [&str; 6] = [
    "ingester_error",
    "rate_limited",
    "stream_limited",
    "line_too_long",
    "queue_is_full",
    "wal_segment_expired",
];

const HT: &[&str] = &["host", "tenant"];
const HTR: &[&str] = &["host", "tenant", "reason"];

static SENT_BYTES: Desc = Desc::new(
    "loki_write_sent_bytes_total",
    "Number of bytes sent.",
    Counter,
    HT,
);
static DROPPED_BYTES: Desc = Desc::new(
    "loki_write_dropped_bytes_total",
    "Number of bytes dropped because failed to be sent to the ingester after all retries.",
    Counter,
    HTR,
);
static SENT_ENTRIES: Desc = Desc::new(
    "loki_write_sent_entries_total",
    "Number of log entries sent to the ingester.",
    Counter,
    HT,
);
static DROPPED_ENTRIES: Desc = Desc::new(
    "loki_write_dropped_entries_total",
    "Number of log entries dropped because failed to be sent to the ingester after all retries.",
    Counter,
    HTR,
);
static BATCH_RETRIES: Desc = Desc::new(
    "loki_write_batch_retries_total",
    "Number of times batches has had to be retried.",
    Counter,
    HT,
);
static ENTRY_LATENCY: Desc = Desc::new(
    "loki_write_entry_propagation_latency_seconds",
    "Write latency for entries",
    MetricType::Histogram,
    HT,
);
static REQUEST_SIZE: Desc = Desc::new(
    "loki_write_request_size_bytes",
    "Number of bytes for requests.",
    MetricType::Histogram,
    HT,
);
static REQUEST_DURATION: Desc = Desc::new(
    "loki_write_request_duration_seconds",
    "Duration of send requests.",
    MetricType::Histogram,
    &["status_code", "host", "tenant"],
);

const LATENCY_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0];
const KIB: f64 = 1024.0;
const MIB: f64 = 1024.0 * KIB;
const SIZE_BUCKETS: &[f64] = &[
    KIB,
    4.0 * KIB,
    16.0 * KIB,
    64.0 * KIB,
    256.0 * KIB,
    512.0 * KIB,
    MIB,
    2.0 * MIB,
    4.0 * MIB,
    8.0 * MIB,
    16.0 * MIB,
    20.0 * MIB,
];
/// client_golang's `DefBuckets`.
const DEF_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

// ingot's own.
static ENTRIES_PENDING: Desc = Desc::new(
    "loki_write_entries_pending",
    "Entries read from the WAL for an endpoint and not yet sent or dropped.",
    Gauge,
    &["endpoint"],
);
pub static WAL_SEGMENTS: Desc = Desc::new(
    "loki_write_wal_segments",
    "Segments in the WAL.",
    Gauge,
    &[],
);
pub static WAL_BYTES: Desc = Desc::new(
    "loki_write_wal_storage_size_bytes",
    "Bytes the WAL takes on disk.",
    Gauge,
    &[],
);
pub static WAL_CORRUPTIONS: Desc = Desc::new(
    "loki_write_wal_corruptions_total",
    "Damaged WAL records found and repaired when the WAL was opened.",
    Counter,
    &[],
);
pub static WAL_QUEUE_BYTES: Desc = Desc::new(
    "loki_write_wal_queue_bytes",
    "Bytes of accepted entries waiting to be written to the WAL.",
    Gauge,
    &[],
);
pub static WAL_ENTRIES_LOST: Desc = Desc::new(
    "loki_write_wal_entries_lost_total",
    "Entries accepted whose WAL write then failed (a full or failing disk).",
    Counter,
    &[],
);
pub static WAL_ENTRIES_REFUSED: Desc = Desc::new(
    "loki_write_wal_entries_refused_total",
    "Entries refused as Full because the WAL's queue was at its bound (the senders keep them and offer them again).",
    Counter,
    &[],
);

struct TenantMetrics {
    sent_bytes: u64,
    sent_entries: u64,
    dropped_bytes: [u64; REASONS.len()],
    dropped_entries: [u64; REASONS.len()],
    batch_retries: u64,
    entry_latency: Histogram,
    request_size: Histogram,
    request_duration: BTreeMap<i32, Histogram>,
}

impl TenantMetrics {
    fn new() -> TenantMetrics {
        TenantMetrics {
            sent_bytes: 0,
            sent_entries: 0,
            dropped_bytes: [0; REASONS.len()],
            dropped_entries: [0; REASONS.len()],
            batch_retries: 0,
            entry_latency: Histogram::new(LATENCY_BUCKETS),
            request_size: Histogram::new(SIZE_BUCKETS),
            request_duration: BTreeMap::new(),
        }
    }
}

/// The component's counters, by `(host, tenant)`: endpoints with the same host share them, as Alloy's
/// registry shares the series.
#[derive(Default)]
pub struct Metrics {
    by: Mutex<BTreeMap<(String, String), TenantMetrics>>,
}

impl Metrics {
    fn with<T>(&self, host: &str, tenant: &str, f: impl FnOnce(&mut TenantMetrics) -> T) -> T {
        let mut by = self.by.lock().unwrap_or_else(|e| e.into_inner());
        let key = (host.to_string(), tenant.to_string());
        f(by.entry(key).or_insert_with(TenantMetrics::new))
    }

    /// Makes the tenant's counters exist at zero (Alloy's `initBatchMetrics`).
    pub fn touch(&self, host: &str, tenant: &str) {
        self.with(host, tenant, |_| ());
    }

    pub fn sent(&self, host: &str, tenant: &str, entries: u64, bytes: u64) {
        self.with(host, tenant, |m| {
            m.sent_entries += entries;
            m.sent_bytes += bytes;
        });
    }

    pub fn dropped(&self, host: &str, tenant: &str, reason: usize, entries: u64, bytes: u64) {
        self.with(host, tenant, |m| {
            m.dropped_entries[reason] += entries;
            m.dropped_bytes[reason] += bytes;
        });
    }

    pub fn retried(&self, host: &str, tenant: &str) {
        self.with(host, tenant, |m| m.batch_retries += 1);
    }

    pub fn request(&self, host: &str, tenant: &str, status_code: i32, seconds: f64) {
        self.with(host, tenant, |m| {
            m.request_duration
                .entry(status_code)
                .or_insert_with(|| Histogram::new(DEF_BUCKETS))
                .observe(seconds);
        });
    }

    pub fn request_size(&self, host: &str, tenant: &str, bytes: u64) {
        self.with(host, tenant, |m| m.request_size.observe(bytes as f64));
    }

    /// Observes each entry's time from creation to now (entries created in the future are skipped).
    pub fn latencies(&self, host: &str, tenant: &str, created_us: &[i64], now_us: i64) {
        self.with(host, tenant, |m| {
            for &c in created_us {
                if c != 0 && c <= now_us {
                    m.entry_latency.observe((now_us - c) as f64 / 1e6);
                }
            }
        });
    }

    /// Totals across tenants and hosts: `(sent, dropped)` entries.
    pub fn totals(&self) -> (u64, u64) {
        let by = self.by.lock().unwrap_or_else(|e| e.into_inner());
        by.values().fold((0, 0), |(s, d), m| {
            (
                s + m.sent_entries,
                d + m.dropped_entries.iter().sum::<u64>(),
            )
        })
    }

    /// Dropped entries by reason for one host, summed over tenants.
    pub fn dropped_by_reason(&self, host: &str) -> Vec<(&'static str, u64)> {
        let by = self.by.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = [0u64; REASONS.len()];
        for ((h, _), m) in by.iter() {
            if h == host {
                for (o, d) in out.iter_mut().zip(m.dropped_entries) {
                    *o += d;
                }
            }
        }
        REASONS.iter().copied().zip(out).collect()
    }

    pub fn collect(&self, out: &mut Vec<DebugMetric>) {
        let by = self.by.lock().unwrap_or_else(|e| e.into_inner());
        for ((host, tenant), m) in by.iter() {
            let ht = [host.as_str(), tenant.as_str()];
            out.push(DebugMetric::new(&SENT_BYTES, ht, m.sent_bytes as f64));
            out.push(DebugMetric::new(&SENT_ENTRIES, ht, m.sent_entries as f64));
            out.push(DebugMetric::new(&BATCH_RETRIES, ht, m.batch_retries as f64));
            for (i, reason) in REASONS.iter().enumerate() {
                let htr = [host.as_str(), tenant.as_str(), reason];
                out.push(DebugMetric::new(
                    &DROPPED_BYTES,
                    htr,
                    m.dropped_bytes[i] as f64,
                ));
                out.push(DebugMetric::new(
                    &DROPPED_ENTRIES,
                    htr,
                    m.dropped_entries[i] as f64,
                ));
            }
            out.push(DebugMetric::histogram(
                &ENTRY_LATENCY,
                ht,
                m.entry_latency.value(),
            ));
            out.push(DebugMetric::histogram(
                &REQUEST_SIZE,
                ht,
                m.request_size.value(),
            ));
            for (code, h) in &m.request_duration {
                out.push(DebugMetric::histogram(
                    &REQUEST_DURATION,
                    [code.to_string(), host.clone(), tenant.clone()],
                    h.value(),
                ));
            }
        }
    }
}

pub fn pending(endpoint: &str, n: i64, out: &mut Vec<DebugMetric>) {
    out.push(DebugMetric::new(&ENTRIES_PENDING, [endpoint], n as f64));
}
