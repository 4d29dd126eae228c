//! node_exporter's `nvme` collector: `/sys/class/nvme` controllers and namespaces.

use std::path::PathBuf;

use ingot_hostfs::nvme;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::exporter::NO_DATA;
use super::{Collector, UnixConfig};

const INFO: Desc = Desc::new(
    "node_nvme_info",
    "Non-numeric data from /sys/class/nvme/<device>, value is always 1.",
    MetricType::Gauge,
    &[
        "device",
        "firmware_revision",
        "model",
        "serial",
        "state",
        "cntlid",
    ],
);
const NAMESPACE_INFO: Desc = Desc::new(
    "node_nvme_namespace_info",
    "Information about NVMe namespaces. Value is always 1",
    MetricType::Gauge,
    &["device", "nsid", "ana_state"],
);
const CAPACITY: Desc = Desc::new(
    "node_nvme_namespace_capacity_bytes",
    "Capacity of the NVMe namespace in bytes. Computed as namespace_size * namespace_logical_block_size",
    MetricType::Gauge,
    &["device", "nsid"],
);
const SIZE: Desc = Desc::new(
    "node_nvme_namespace_size_bytes",
    "Size of the NVMe namespace in bytes. Available in /sys/class/nvme/<device>/<namespace>/size",
    MetricType::Gauge,
    &["device", "nsid"],
);
const USED: Desc = Desc::new(
    "node_nvme_namespace_used_bytes",
    "Used space of the NVMe namespace in bytes. Available in /sys/class/nvme/<device>/<namespace>/nuse",
    MetricType::Gauge,
    &["device", "nsid"],
);
const BLOCK_SIZE: Desc = Desc::new(
    "node_nvme_namespace_logical_block_size_bytes",
    "Logical block size of the NVMe namespace in bytes. Usually 4Kb. Available in /sys/class/nvme/<device>/<namespace>/queue/logical_block_size",
    MetricType::Gauge,
    &["device", "nsid"],
);

pub(super) struct NvmeCollector {
    class_dir: PathBuf,
    buf: Vec<u8>,
}

impl NvmeCollector {
    pub(super) fn new(config: &UnixConfig) -> NvmeCollector {
        NvmeCollector {
            class_dir: config.sysfs_path.join("class/nvme"),
            buf: Vec::new(),
        }
    }
}

impl Collector for NvmeCollector {
    fn name(&self) -> &'static str {
        "nvme"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let devices = match nvme::nvme_class(&self.class_dir, &mut self.buf) {
            Ok(d) => d,
            // node_exporter: a missing file anywhere (no NVMe, or a controller going away) is
            // "no data".
            Err(e) if e.is_not_found() => return Err(NO_DATA.into()),
            Err(e) => return Err(format!("error obtaining NVMe class info: {e}")),
        };
        for d in &devices {
            out.push(
                &INFO,
                &[
                    &d.name,
                    &d.firmware_revision,
                    &d.model,
                    &d.serial,
                    &d.state,
                    &d.controller_id,
                ],
                1.0,
            );
            for ns in &d.namespaces {
                let labels = [d.name.as_str(), ns.id.as_str()];
                out.push(&NAMESPACE_INFO, &[&d.name, &ns.id, &ns.ana_state], 1.0);
                // procfs multiplies in u64 (wrapping, as Go does).
                let size = ns.size_blocks.wrapping_mul(ns.logical_block_size) as f64;
                let used = ns.used_blocks.wrapping_mul(ns.logical_block_size) as f64;
                out.push(&CAPACITY, &labels, size);
                out.push(&SIZE, &labels, size);
                out.push(&USED, &labels, used);
                out.push(&BLOCK_SIZE, &labels, ns.logical_block_size as f64);
            }
        }
        Ok(())
    }
}
