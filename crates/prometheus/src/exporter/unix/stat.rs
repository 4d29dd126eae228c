//! node_exporter's `stat` collector: the system-wide counters of `/proc/stat`.

use ingot_hostfs::read::KeptFile;
use ingot_hostfs::stat::SOFTIRQ_VECTORS;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig};

const INTR: Desc = Desc::new(
    "node_intr_total",
    "Total number of interrupts serviced.",
    MetricType::Counter,
    &[],
);
const CTXT: Desc = Desc::new(
    "node_context_switches_total",
    "Total number of context switches.",
    MetricType::Counter,
    &[],
);
const FORKS: Desc = Desc::new(
    "node_forks_total",
    "Total number of forks.",
    MetricType::Counter,
    &[],
);
const BTIME: Desc = Desc::new(
    "node_boot_time_seconds",
    "Node boot time, in unixtime.",
    MetricType::Gauge,
    &[],
);
const RUNNING: Desc = Desc::new(
    "node_procs_running",
    "Number of processes in runnable state.",
    MetricType::Gauge,
    &[],
);
const BLOCKED: Desc = Desc::new(
    "node_procs_blocked",
    "Number of processes blocked waiting for I/O to complete.",
    MetricType::Gauge,
    &[],
);
const SOFTIRQS: Desc = Desc::new(
    "node_softirqs_total",
    "Number of softirq calls.",
    MetricType::Counter,
    &["vector"],
);

pub(super) struct StatCollector {
    file: KeptFile,
    softirq: bool,
    buf: Vec<u8>,
}

impl StatCollector {
    pub(super) fn new(config: &UnixConfig) -> StatCollector {
        StatCollector {
            file: KeptFile::new(config.procfs_path.join("stat")),
            softirq: config.stat.softirq,
            buf: Vec::new(),
        }
    }
}

impl Collector for StatCollector {
    fn name(&self) -> &'static str {
        "stat"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.file
            .read_into(&mut self.buf)
            .map_err(|e| open_error(self.file.path(), &e))?;
        let text = std::str::from_utf8(&self.buf).map_err(|e| e.to_string())?;
        let s = ingot_hostfs::stat::summary(text)
            .map_err(|e| format!("error parsing file: {}: {e}", self.file.path().display()))?;
        out.push(&INTR, &[], s.intr as f64);
        out.push(&CTXT, &[], s.ctxt as f64);
        out.push(&FORKS, &[], s.processes as f64);
        out.push(&BTIME, &[], s.boot_time as f64);
        out.push(&RUNNING, &[], s.procs_running as f64);
        out.push(&BLOCKED, &[], s.procs_blocked as f64);
        if self.softirq {
            for (vector, count) in SOFTIRQ_VECTORS.iter().zip(s.softirq) {
                out.push(&SOFTIRQS, &[vector], count as f64);
            }
        }
        Ok(())
    }
}
