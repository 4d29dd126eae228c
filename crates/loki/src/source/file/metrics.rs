//! `loki.source.file`'s own metrics, Alloy's names and help texts: per path, the offset read, the file's
//! size and the lines read; the number of files being read.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use ingot_prom::exposition::{Desc, MetricType};
use ingot_runtime::component::DebugMetric;

static READ_BYTES: Desc = Desc::new(
    "loki_source_file_read_bytes_total",
    "Number of bytes read.",
    MetricType::Gauge,
    &["path"],
);
static FILE_BYTES: Desc = Desc::new(
    "loki_source_file_file_bytes_total",
    "Number of bytes total.",
    MetricType::Gauge,
    &["path"],
);
static READ_LINES: Desc = Desc::new(
    "loki_source_file_read_lines_total",
    "Number of lines read.",
    MetricType::Counter,
    &["path"],
);
static FILES_ACTIVE: Desc = Desc::new(
    "loki_source_file_files_active_total",
    "Number of active files.",
    MetricType::Gauge,
    &[],
);

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PathMetrics {
    /// The offset read (the position).
    pub read_bytes: u64,
    pub file_bytes: u64,
    pub read_lines: u64,
}

/// Shared between the reading thread (which writes) and `/metrics` (which reads).
#[derive(Default)]
pub struct Metrics {
    paths: Mutex<BTreeMap<String, PathMetrics>>,
    active: AtomicI64,
}

impl Metrics {
    pub fn update(&self, path: &str, f: impl FnOnce(&mut PathMetrics)) {
        let mut paths = self.paths.lock().unwrap_or_else(|e| e.into_inner());
        match paths.get_mut(path) {
            Some(m) => f(m),
            None => f(paths.entry(path.to_string()).or_default()),
        }
    }

    /// A file no longer read: its series go, as Alloy deletes them.
    pub fn remove(&self, path: &str) {
        self.paths
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(path);
    }

    pub fn set_active(&self, n: usize) {
        self.active.store(n as i64, Ordering::Relaxed);
    }

    pub fn collect(&self) -> Vec<DebugMetric> {
        let paths = self.paths.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::with_capacity(paths.len() * 3 + 1);
        for (p, m) in paths.iter() {
            out.push(DebugMetric::new(
                &READ_BYTES,
                [p.as_str()],
                m.read_bytes as f64,
            ));
        }
        for (p, m) in paths.iter() {
            out.push(DebugMetric::new(
                &FILE_BYTES,
                [p.as_str()],
                m.file_bytes as f64,
            ));
        }
        for (p, m) in paths.iter() {
            out.push(DebugMetric::new(
                &READ_LINES,
                [p.as_str()],
                m.read_lines as f64,
            ));
        }
        out.push(DebugMetric::new(
            &FILES_ACTIVE,
            [""; 0],
            self.active.load(Ordering::Relaxed) as f64,
        ));
        out
    }
}
