//! node_exporter's `buddyinfo` collector: free memory blocks per order, `/proc/buddyinfo`.

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, IntText, UnixConfig};

const BLOCKS: Desc = Desc::new(
    "node_buddyinfo_blocks",
    "Count of free blocks according to size.",
    MetricType::Gauge,
    &["node", "zone", "size"],
);

pub(super) struct BuddyinfoCollector {
    file: KeptFile,
    buf: Vec<u8>,
}

impl BuddyinfoCollector {
    pub(super) fn new(config: &UnixConfig) -> BuddyinfoCollector {
        BuddyinfoCollector {
            file: KeptFile::new(config.procfs_path.join("buddyinfo")),
            buf: Vec::new(),
        }
    }
}

impl Collector for BuddyinfoCollector {
    fn name(&self) -> &'static str {
        "buddyinfo"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.file.read_into(&mut self.buf).map_err(|e| {
            format!(
                "couldn't get buddyinfo: {}",
                open_error(self.file.path(), &e)
            )
        })?;
        let text = String::from_utf8_lossy(&self.buf);
        let entries = ingot_hostfs::buddyinfo::parse(&text)
            .map_err(|e| format!("couldn't get buddyinfo: error parsing file: {e}"))?;
        let family = out.family(&BLOCKS);
        for entry in &entries {
            for (size, v) in entry.sizes.iter().enumerate() {
                let size = IntText::new(size as i64);
                family.push(&[entry.node, entry.zone, size.as_str()], *v);
            }
        }
        Ok(())
    }
}
