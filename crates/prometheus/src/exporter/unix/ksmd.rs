//! node_exporter's `ksmd` collector: kernel same-page merging, `/sys/kernel/mm/ksm/*`.

use std::io;

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, LazyDir, UnixConfig};

macro_rules! ksm {
    ($name:literal, $help:literal, $kind:ident) => {
        Desc::new(concat!("node_ksmd_", $name), $help, MetricType::$kind, &[])
    };
}

/// Each file and its family; `sleep_millisecs` is reported in seconds.
const FILES: [(&str, Desc); 10] = [
    (
        "full_scans",
        ksm!(
            "full_scans_total",
            "How many times all mergeable areas have been scanned.",
            Counter
        ),
    ),
    (
        "general_profit",
        ksm!(
            "general_profit_bytes",
            "How effective is KSM. ksm_saved_pages * sizeof(page) - (all_rmap_items) * sizeof(rmap_item)",
            Gauge
        ),
    ),
    (
        "merge_across_nodes",
        ksm!(
            "merge_across_nodes",
            "Specifies if pages from different NUMA nodes can be merged.",
            Gauge
        ),
    ),
    (
        "pages_shared",
        ksm!("pages_shared", "How many shared pages are being used.", Gauge),
    ),
    (
        "pages_sharing",
        ksm!(
            "pages_sharing",
            "How many more sites are sharing them i.e. how much saved.",
            Gauge
        ),
    ),
    (
        "pages_to_scan",
        ksm!(
            "pages_to_scan",
            "How many pages to scan before ksmd goes to sleep.",
            Gauge
        ),
    ),
    (
        "pages_unshared",
        ksm!(
            "pages_unshared",
            "How many pages unique but repeatedly checked for merging.",
            Gauge
        ),
    ),
    (
        "pages_volatile",
        ksm!(
            "pages_volatile",
            "How many pages changing too fast to be placed in a tree.",
            Gauge
        ),
    ),
    (
        "run",
        ksm!("run", "The status of ksmd. stopped = 0, running = 1", Gauge),
    ),
    (
        "sleep_millisecs",
        ksm!(
            "sleep_seconds",
            "How many seconds ksmd should sleep before next scan.",
            Gauge
        ),
    ),
];

pub(super) struct KsmdCollector {
    dir: LazyDir,
    path: std::path::PathBuf,
    buf: Vec<u8>,
}

impl KsmdCollector {
    pub(super) fn new(config: &UnixConfig) -> KsmdCollector {
        let path = config.sysfs_path.join("kernel/mm/ksm");
        KsmdCollector {
            dir: LazyDir::new(path.clone()),
            path,
            buf: Vec::new(),
        }
    }
}

impl Collector for KsmdCollector {
    fn name(&self) -> &'static str {
        "ksmd"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        for (file, desc) in &FILES {
            let v = match self.dir.read_u64(file, "", &mut self.buf) {
                Ok(v) => v,
                // A kernel without this file (or without KSM): skipped.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    return Err(format!(
                        "strconv.ParseUint: parsing {:?}: invalid syntax",
                        String::from_utf8_lossy(&self.buf).trim()
                    ))
                }
                Err(e) => return Err(super::open_error(&self.path.join(file), &e)),
            };
            let v = if *file == "sleep_millisecs" {
                v as f64 / 1000.0
            } else {
                v as f64
            };
            out.push(desc, &[], v);
        }
        Ok(())
    }
}
