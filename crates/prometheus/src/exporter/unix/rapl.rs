//! node_exporter's `rapl` collector: Intel RAPL energy counters of `/sys/class/powercap`, one
//! family per zone name (Alloy leaves node_exporter's `--collector.rapl.enable-zone-label` off).

use std::path::PathBuf;

use ingot_hostfs::powercap;
use ingot_prom::exposition::{FamilySet, MetricType};

use super::exporter::NO_DATA;
use super::files::sanitize_metric_name;
use super::{Collector, IntText, UnixConfig};

pub(super) struct RaplCollector {
    class_dir: PathBuf,
    name: String,
    help: String,
    buf: Vec<u8>,
}

impl RaplCollector {
    pub(super) fn new(config: &UnixConfig) -> RaplCollector {
        RaplCollector {
            class_dir: config.sysfs_path.join("class/powercap"),
            name: String::new(),
            help: String::new(),
            buf: Vec::new(),
        }
    }
}

impl Collector for RaplCollector {
    fn name(&self) -> &'static str {
        "rapl"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let zones = match powercap::rapl_zones(&self.class_dir, &mut self.buf) {
            Ok(z) => z,
            Err(e) if e.is_not_found() || e.is_permission() => return Err(NO_DATA.into()),
            Err(e) => return Err(format!("failed to retrieve rapl stats: {e}")),
        };
        for zone in &zones {
            let microjoules = match powercap::energy_microjoules(zone, &mut self.buf) {
                Ok(v) => v,
                Err(e) if e.is_permission() => return Err(NO_DATA.into()),
                Err(e) => return Err(e.to_string()),
            };
            self.name.clear();
            self.name.push_str("node_rapl_");
            sanitize_metric_name(&zone.name, &mut self.name);
            self.name.push_str("_joules_total");
            self.help.clear();
            self.help.push_str("Current RAPL ");
            self.help.push_str(&zone.name);
            self.help.push_str(" value in joules");
            let index = IntText::new(zone.index);
            out.family_with(
                &self.name,
                &self.help,
                MetricType::Counter,
                &["index", "path"],
            )
            .push(
                &[index.as_str(), &zone.path.display().to_string()],
                microjoules as f64 / 1_000_000.0,
            );
        }
        Ok(())
    }
}
