//! node_exporter's `mdadm` collector: software RAID arrays from `/proc/mdstat`, and their disk
//! counts from sysfs (`/sys/block/md*/md`). Without the md driver there is no data.

use std::io;

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, UnixConfig, NO_DATA};

const STATE: Desc = Desc::new(
    "node_md_state",
    "Indicates the state of md-device.",
    MetricType::Gauge,
    &["device", "state"],
);
const DISKS: Desc = Desc::new(
    "node_md_disks",
    "Number of active/failed/spare disks of device.",
    MetricType::Gauge,
    &["device", "state"],
);
const DISKS_REQUIRED: Desc = Desc::new(
    "node_md_disks_required",
    "Total number of disks of device.",
    MetricType::Gauge,
    &["device"],
);
const BLOCKS: Desc = Desc::new(
    "node_md_blocks",
    "Total number of blocks on device.",
    MetricType::Gauge,
    &["device"],
);
const BLOCKS_SYNCED: Desc = Desc::new(
    "node_md_blocks_synced",
    "Number of blocks synced on device.",
    MetricType::Gauge,
    &["device"],
);
const RAID_DISKS: Desc = Desc::new(
    "node_md_raid_disks",
    "Number of raid disks on device.",
    MetricType::Gauge,
    &["device"],
);
const DEGRADED: Desc = Desc::new(
    "node_md_degraded",
    "Number of degraded disks on device.",
    MetricType::Gauge,
    &["device"],
);

/// The `state` label for each activity state /proc/mdstat can give.
const STATES: [(&str, &str); 5] = [
    ("active", "active"),
    ("inactive", "inactive"),
    ("recovering", "recovering"),
    ("resync", "resyncing"),
    ("check", "checking"),
];

pub(super) struct MdadmCollector {
    mdstat: std::path::PathBuf,
    sysfs: std::path::PathBuf,
    buf: Vec<u8>,
}

impl MdadmCollector {
    pub(super) fn new(config: &UnixConfig) -> MdadmCollector {
        MdadmCollector {
            mdstat: config.procfs_path.join("mdstat"),
            sysfs: config.sysfs_path.clone(),
            buf: Vec::new(),
        }
    }
}

impl Collector for MdadmCollector {
    fn name(&self) -> &'static str {
        "mdadm"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        match ingot_hostfs::read::read_into(&self.mdstat, &mut self.buf) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(NO_DATA.into()),
            Err(e) => {
                return Err(format!(
                    "error parsing mdstatus: {}",
                    super::open_error(&self.mdstat, &e)
                ))
            }
        }
        let arrays =
            ingot_hostfs::mdstat::parse(&String::from_utf8_lossy(&self.buf)).map_err(|e| {
                format!(
                    "error parsing mdstatus: error parsing file: Cannot parse {}: {e}",
                    self.mdstat.display()
                )
            })?;
        for md in &arrays {
            let device = md.name.as_str();
            out.push(&DISKS_REQUIRED, &[device], md.disks_total as f64);
            out.push(&DISKS, &[device, "active"], md.disks_active as f64);
            out.push(&DISKS, &[device, "failed"], md.disks_failed as f64);
            out.push(&DISKS, &[device, "spare"], md.disks_spare as f64);
            for (label, state) in STATES {
                let on = if md.activity_state == state { 1.0 } else { 0.0 };
                out.push(&STATE, &[device, label], on);
            }
            out.push(&BLOCKS, &[device], md.blocks_total as f64);
            out.push(&BLOCKS_SYNCED, &[device], md.blocks_synced as f64);
        }
        let raids = match ingot_hostfs::mdstat::mdraids(&self.sysfs) {
            Ok(raids) => raids,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(NO_DATA.into()),
            Err(e) => return Err(format!("error parsing mdraids: {e}")),
        };
        for md in &raids {
            if let Some(disks) = md.disks {
                out.push(&RAID_DISKS, &[&md.device], disks as f64);
            }
            out.push(&DEGRADED, &[&md.device], md.degraded as f64);
        }
        Ok(())
    }
}
