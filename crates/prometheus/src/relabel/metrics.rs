//! `prometheus.relabel`'s own metrics, under Alloy's names: counters without the `_total` suffix, as
//! Alloy declares them (`internal/component/prometheus/relabel/relabel.go`).

use std::sync::atomic::{AtomicU64, Ordering};

use ingot_prom::exposition::{Desc, MetricType};
use ingot_runtime::component::DebugMetric;

use MetricType::{Counter, Gauge};

static PROCESSED: Desc = Desc::new(
    "alloy_prometheus_relabel_metrics_processed",
    "Total number of metrics processed",
    Counter,
    &[],
);
static WRITTEN: Desc = Desc::new(
    "alloy_prometheus_relabel_metrics_written",
    "Total number of metrics written",
    Counter,
    &[],
);
static CACHE_MISSES: Desc = Desc::new(
    "alloy_prometheus_relabel_cache_misses",
    "Total number of cache misses",
    Counter,
    &[],
);
static CACHE_HITS: Desc = Desc::new(
    "alloy_prometheus_relabel_cache_hits",
    "Total number of cache hits",
    Counter,
    &[],
);
static CACHE_DELETES: Desc = Desc::new(
    "alloy_prometheus_relabel_cache_deletes",
    "Total number of cache deletes",
    Counter,
    &[],
);
static CACHE_TTL_EVICTIONS: Desc = Desc::new(
    "alloy_prometheus_relabel_cache_ttl_evictions",
    "Number of relabel cache entries removed by the periodic TTL scan. Always 0 when cache_ttl is unset.",
    Counter,
    &[],
);
static CACHE_SIZE: Desc = Desc::new(
    "alloy_prometheus_relabel_cache_size",
    "Total size of relabel cache.",
    Gauge,
    &[],
);

/// Counted once per batch by the appender, read without its lock.
#[derive(Default)]
pub struct Counters {
    pub processed: AtomicU64,
    pub written: AtomicU64,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub deletes: AtomicU64,
    pub ttl_evictions: AtomicU64,
    /// Entries in the cache after the last batch (the cache itself sits behind the appender's lock).
    pub cache_size: AtomicU64,
}

impl Counters {
    pub fn debug_metrics(&self, out: &mut Vec<DebugMetric>) {
        let none: [&str; 0] = [];
        for (desc, value) in [
            (&PROCESSED, &self.processed),
            (&WRITTEN, &self.written),
            (&CACHE_MISSES, &self.misses),
            (&CACHE_HITS, &self.hits),
            (&CACHE_DELETES, &self.deletes),
            (&CACHE_TTL_EVICTIONS, &self.ttl_evictions),
            (&CACHE_SIZE, &self.cache_size),
        ] {
            out.push(DebugMetric::new(
                desc,
                none,
                value.load(Ordering::Relaxed) as f64,
            ));
        }
    }
}
