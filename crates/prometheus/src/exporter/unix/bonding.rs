//! node_exporter's `bonding` collector: configured and active slaves of each bonding master.

use std::path::PathBuf;

use ingot_hostfs::bonding;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::exporter::NO_DATA;
use super::{Collector, UnixConfig};

const SLAVES: Desc = Desc::new(
    "node_bonding_slaves",
    "Number of configured slaves per bonding interface.",
    MetricType::Gauge,
    &["master"],
);
const ACTIVE: Desc = Desc::new(
    "node_bonding_active",
    "Number of active slaves per bonding interface.",
    MetricType::Gauge,
    &["master"],
);

pub(super) struct BondingCollector {
    class_net: PathBuf,
    buf: Vec<u8>,
}

impl BondingCollector {
    pub(super) fn new(config: &UnixConfig) -> BondingCollector {
        BondingCollector {
            class_net: config.sysfs_path.join("class/net"),
            buf: Vec::new(),
        }
    }
}

impl Collector for BondingCollector {
    fn name(&self) -> &'static str {
        "bonding"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let bonds = match bonding::bonds(&self.class_net, &mut self.buf) {
            Ok(b) => b,
            // No bonding driver (no bonding_masters), or a slave gone meanwhile.
            Err(e) if e.is_not_found() => return Err(NO_DATA.into()),
            Err(e) => return Err(e.to_string()),
        };
        for b in &bonds {
            out.push(&SLAVES, &[&b.master], b.slaves as f64);
            out.push(&ACTIVE, &[&b.master], b.active as f64);
        }
        Ok(())
    }
}
