//! node_exporter's `zoneinfo` collector: `/proc/zoneinfo`, per node and zone.

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig};

macro_rules! zone {
    ($name:literal, $help:literal, $kind:ident) => {
        Desc::new(
            concat!("node_zoneinfo_", $name),
            $help,
            MetricType::$kind,
            &["node", "zone"],
        )
    };
}

/// The family of each of `ingot_hostfs::zoneinfo::FIELDS`, by position.
const DESCS: [Desc; 34] = [
    zone!(
        "nr_free_pages",
        "Total number of free pages in the zone",
        Gauge
    ),
    zone!("min_pages", "Zone watermark pages_min", Gauge),
    zone!("low_pages", "Zone watermark pages_low", Gauge),
    zone!("high_pages", "Zone watermark pages_high", Gauge),
    zone!("scanned_pages", "Pages scanned since last reclaim", Gauge),
    zone!(
        "spanned_pages",
        "Total pages spanned by the zone, including holes",
        Gauge
    ),
    zone!(
        "present_pages",
        "Physical pages existing within the zone",
        Gauge
    ),
    zone!(
        "managed_pages",
        "Present pages managed by the buddy system",
        Gauge
    ),
    zone!(
        "nr_active_anon_pages",
        "Number of anonymous pages recently more used",
        Gauge
    ),
    zone!(
        "nr_inactive_anon_pages",
        "Number of anonymous pages recently less used",
        Gauge
    ),
    zone!(
        "nr_isolated_anon_pages",
        "Temporary isolated pages from anon lru",
        Gauge
    ),
    zone!(
        "nr_anon_pages",
        "Number of anonymous pages currently used by the system",
        Gauge
    ),
    zone!(
        "nr_anon_transparent_hugepages",
        "Number of anonymous transparent huge pages currently used by the system",
        Gauge
    ),
    zone!(
        "nr_active_file_pages",
        "Number of active pages with file-backing",
        Gauge
    ),
    zone!(
        "nr_inactive_file_pages",
        "Number of inactive pages with file-backing",
        Gauge
    ),
    zone!(
        "nr_isolated_file_pages",
        "Temporary isolated pages from file lru",
        Gauge
    ),
    zone!("nr_file_pages", "Number of file pages", Gauge),
    zone!(
        "nr_slab_reclaimable_pages",
        "Number of reclaimable slab pages",
        Gauge
    ),
    zone!(
        "nr_slab_unreclaimable_pages",
        "Number of unreclaimable slab pages",
        Gauge
    ),
    zone!(
        "nr_mlock_stack_pages",
        "mlock()ed pages found and moved off LRU",
        Gauge
    ),
    zone!("nr_kernel_stacks", "Number of kernel stacks", Gauge),
    zone!("nr_mapped_pages", "Number of mapped pages", Gauge),
    zone!("nr_dirty_pages", "Number of dirty pages", Gauge),
    zone!("nr_writeback_pages", "Number of writeback pages", Gauge),
    zone!("nr_unevictable_pages", "Number of unevictable pages", Gauge),
    zone!(
        "nr_shmem_pages",
        "Number of shmem pages (included tmpfs/GEM pages)",
        Gauge
    ),
    zone!("nr_dirtied_total", "Page dirtyings since bootup", Counter),
    zone!("nr_written_total", "Page writings since bootup", Counter),
    zone!("numa_hit_total", "Allocated in intended node", Counter),
    zone!("numa_miss_total", "Allocated in non intended node", Counter),
    zone!(
        "numa_foreign_total",
        "Was intended here, hit elsewhere",
        Counter
    ),
    zone!(
        "numa_interleave_total",
        "Interleaver preferred this zone",
        Counter
    ),
    zone!("numa_local_total", "Allocation from local node", Counter),
    zone!("numa_other_total", "Allocation from other node", Counter),
];

pub(super) struct ZoneinfoCollector {
    file: KeptFile,
    buf: Vec<u8>,
    name: String,
    help: String,
}

impl ZoneinfoCollector {
    pub(super) fn new(config: &UnixConfig) -> ZoneinfoCollector {
        ZoneinfoCollector {
            file: KeptFile::new(config.procfs_path.join("zoneinfo")),
            buf: Vec::new(),
            name: String::new(),
            help: String::new(),
        }
    }
}

impl Collector for ZoneinfoCollector {
    fn name(&self) -> &'static str {
        "zoneinfo"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.file.read_into(&mut self.buf).map_err(|e| {
            format!(
                "couldn't get zoneinfo: error reading file: error reading zoneinfo {:?}: {}",
                self.file.path().display().to_string(),
                open_error(self.file.path(), &e)
            )
        })?;
        let zones = ingot_hostfs::zoneinfo::parse(&String::from_utf8_lossy(&self.buf));
        for zone in &zones {
            let labels = [zone.node.as_str(), zone.zone.as_str()];
            for &(i, v) in &zone.values {
                out.push(&DESCS[i], &labels, v as f64);
            }
            for (i, v) in zone.protection.iter().enumerate() {
                use std::fmt::Write;
                self.name.clear();
                self.help.clear();
                let _ = write!(self.name, "node_zoneinfo_protection_{i}");
                let _ = write!(self.help, "Protection array {i}. field");
                out.family_with(&self.name, &self.help, MetricType::Gauge, &["node", "zone"])
                    .push(&labels, *v as f64);
            }
        }
        Ok(())
    }
}
