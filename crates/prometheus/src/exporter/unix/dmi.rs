//! node_exporter's `dmi` collector: `node_dmi_info` from `/sys/class/dmi/id`, read once (the
//! values do not change until the next boot).

use std::path::PathBuf;

use ingot_hostfs::dmi;
use ingot_prom::exposition::{FamilySet, MetricType};

use super::exporter::NO_DATA;
use super::{Collector, UnixConfig};

const NAME: &str = "node_dmi_info";
const HELP: &str = "A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, bios_version, board_asset_tag, board_name, board_serial, board_vendor, board_version, chassis_asset_tag, chassis_serial, chassis_vendor, chassis_version, product_family, product_name, product_serial, product_sku, product_uuid, product_version, system_vendor if provided by DMI.";

pub(super) struct DmiCollector {
    dir: PathBuf,
    /// Read on the first gather that succeeds (node_exporter reads them when it starts; a
    /// component's build reads nothing, so ingot waits for the first scrape).
    labels: Option<Vec<(&'static str, String)>>,
}

impl DmiCollector {
    pub(super) fn new(config: &UnixConfig) -> DmiCollector {
        DmiCollector {
            dir: config.sysfs_path.join("class/dmi/id"),
            labels: None,
        }
    }
}

impl Collector for DmiCollector {
    fn name(&self) -> &'static str {
        "dmi"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        if self.labels.is_none() {
            let labels = match dmi::dmi_labels(&self.dir, &mut Vec::new()) {
                Ok(labels) => labels,
                // No DMI on this platform (ARM boards, some VMs): nothing to report, for good.
                Err(e) if e.is_not_found() => Vec::new(),
                Err(e) => {
                    return Err(format!(
                        "failed to read Desktop Management Interface (DMI) information: {e}"
                    ))
                }
            };
            self.labels = Some(
                labels
                    .into_iter()
                    .map(|(l, v)| (l, ingot_hostfs::sysfs::to_valid_utf8(v.as_bytes())))
                    .collect(),
            );
        }
        let labels = self.labels.as_deref().unwrap_or_default();
        if labels.is_empty() {
            return Err(NO_DATA.into());
        }
        let names: Vec<&str> = labels.iter().map(|(l, _)| *l).collect();
        let values: Vec<&str> = labels.iter().map(|(_, v)| v.as_str()).collect();
        out.family_with(NAME, HELP, MetricType::Gauge, &names)
            .push(&values, 1.0);
        Ok(())
    }
}
