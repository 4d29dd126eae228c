//! node_exporter's `bcache` collector: `/sys/fs/bcache/<uuid>` cache sets, their backing devices
//! (`bdev*`) and cache devices (`cache*`).

use std::path::PathBuf;

use ingot_hostfs::bcache::{self, CacheSet, PeriodStats};
use ingot_prom::exposition::{FamilySet, MetricType};

use super::{Collector, UnixConfig};

use MetricType::{Counter, Gauge};

pub(super) struct BcacheCollector {
    dir: PathBuf,
    priority_stats: bool,
    name: String,
    buf: Vec<u8>,
}

impl BcacheCollector {
    pub(super) fn new(config: &UnixConfig) -> BcacheCollector {
        BcacheCollector {
            dir: config.sysfs_path.join("fs/bcache"),
            priority_stats: config.bcache.priority_stats,
            name: String::new(),
            buf: Vec::new(),
        }
    }

    /// One sample of `node_bcache_<metric>`; `at` is the label names and their values.
    fn push(
        &mut self,
        out: &mut FamilySet,
        metric: &str,
        help: &str,
        kind: MetricType,
        at: (&[&str], &[&str]),
        v: f64,
    ) {
        let (labels, values) = at;
        self.name.clear();
        self.name.push_str("node_bcache_");
        self.name.push_str(metric);
        out.family_with(&self.name, help, kind, labels)
            .push(values, v);
    }

    fn push_set(&mut self, out: &mut FamilySet, s: &CacheSet) {
        let labels = ["uuid"];
        let values = [s.uuid.as_str()];
        for (metric, help, kind, v) in [
            ("average_key_size_sectors", "Average data per key in the btree (sectors).", Gauge, s.average_key_size as f64),
            ("btree_cache_size_bytes", "Amount of memory currently used by the btree cache.", Gauge, s.btree_cache_size as f64),
            ("cache_available_percent", "Percentage of cache device without dirty data, usable for writeback (may contain clean cached data).", Gauge, s.cache_available_percent as f64),
            ("congested", "Congestion.", Gauge, s.congested as f64),
            ("root_usage_percent", "Percentage of the root btree node in use (tree depth increases if too high).", Gauge, s.root_usage_percent as f64),
            ("tree_depth", "Depth of the btree.", Gauge, s.tree_depth as f64),
            ("active_journal_entries", "Number of journal entries that are newer than the index.", Gauge, s.active_journal_entries as f64),
            ("btree_nodes", "Total nodes in the btree.", Gauge, s.btree_nodes as f64),
            // procfs reads the `_us` file into a field it calls nanoseconds; node_exporter scales
            // by 1e-9 accordingly.
            ("btree_read_average_duration_seconds", "Average btree read duration.", Gauge, s.btree_read_average_duration as f64 * 1e-9),
            ("cache_read_races_total", "Counts instances where while data was being read from the cache, the bucket was reused and invalidated - i.e. where the pointer was stale after the read completed.", Counter, s.cache_read_races as f64),
        ] {
            self.push(out, metric, help, kind, (&labels, &values), v);
        }
        let labels = ["uuid", "backing_device"];
        for bdev in &s.bdevs {
            let values = [s.uuid.as_str(), bdev.name.as_str()];
            let w = &bdev.writeback_rate_debug;
            for (metric, help, v) in [
                (
                    "dirty_data_bytes",
                    "Amount of dirty data for this backing device in the cache.",
                    bdev.dirty_data as f64,
                ),
                (
                    "dirty_target_bytes",
                    "Current dirty data target threshold for this backing device in bytes.",
                    w.target as f64,
                ),
                (
                    "writeback_rate",
                    "Current writeback rate for this backing device in bytes.",
                    w.rate as f64,
                ),
                (
                    "writeback_rate_proportional_term",
                    "Current result of proportional controller, part of writeback rate",
                    w.proportional as f64,
                ),
                (
                    "writeback_rate_integral_term",
                    "Current result of integral controller, part of writeback rate",
                    w.integral as f64,
                ),
                (
                    "writeback_change",
                    "Last writeback rate change step for this backing device.",
                    w.change as f64,
                ),
            ] {
                self.push(out, metric, help, Gauge, (&labels, &values), v);
            }
            let t: &PeriodStats = &bdev.total;
            for (metric, help, v) in [
                ("bypassed_bytes_total", "Amount of IO (both reads and writes) that has bypassed the cache.", t.bypassed),
                ("cache_hits_total", "Hits counted per individual IO as bcache sees them.", t.cache_hits),
                ("cache_misses_total", "Misses counted per individual IO as bcache sees them.", t.cache_misses),
                ("cache_bypass_hits_total", "Hits for IO intended to skip the cache.", t.cache_bypass_hits),
                ("cache_bypass_misses_total", "Misses for IO intended to skip the cache.", t.cache_bypass_misses),
                ("cache_miss_collisions_total", "Instances where data insertion from cache miss raced with write (data already present).", t.cache_miss_collisions),
            ] {
                self.push(out, metric, help, Counter, (&labels, &values), v as f64);
            }
            // As node_exporter: readaheads only once there are some.
            if t.cache_readaheads != 0 {
                self.push(
                    out,
                    "cache_readaheads_total",
                    "Count of times readahead occurred.",
                    Counter,
                    (&labels, &values),
                    t.cache_readaheads as f64,
                );
            }
        }
        let labels = ["uuid", "cache_device"];
        for cache in &s.caches {
            let values = [s.uuid.as_str(), cache.name.as_str()];
            self.push(
                out,
                "io_errors",
                "Number of errors that have occurred, decayed by io_error_halflife.",
                Gauge,
                (&labels, &values),
                cache.io_errors as f64,
            );
            self.push(
                out,
                "metadata_written_bytes_total",
                "Sum of all non data writes (btree writes and all other metadata).",
                Counter,
                (&labels, &values),
                cache.metadata_written as f64,
            );
            self.push(
                out,
                "written_bytes_total",
                "Sum of all data that has been written to the cache.",
                Counter,
                (&labels, &values),
                cache.written as f64,
            );
            if let Some((unused, metadata)) = cache.priority {
                self.push(
                    out,
                    "priority_stats_unused_percent",
                    "The percentage of the cache that doesn't contain any data.",
                    Gauge,
                    (&labels, &values),
                    unused as f64,
                );
                self.push(
                    out,
                    "priority_stats_metadata_percent",
                    "Bcache's metadata overhead.",
                    Gauge,
                    (&labels, &values),
                    metadata as f64,
                );
            }
        }
    }
}

impl Collector for BcacheCollector {
    fn name(&self) -> &'static str {
        "bcache"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        // No bcache: no cache sets, and success (node_exporter has no "no data" case here).
        let sets = bcache::cache_sets(&self.dir, self.priority_stats, &mut self.buf)
            .map_err(|e| format!("failed to retrieve bcache stats: {e}"))?;
        for s in &sets {
            self.push_set(out, s);
        }
        Ok(())
    }
}
