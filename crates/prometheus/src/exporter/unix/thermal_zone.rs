//! node_exporter's `thermal_zone` collector: `/sys/class/thermal/thermal_zone*` temperatures and
//! `cooling_device*` states.

use std::path::PathBuf;

use ingot_hostfs::thermal;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, UnixConfig};

const ZONE_TEMP: Desc = Desc::new(
    "node_thermal_zone_temp",
    "Zone temperature in Celsius",
    MetricType::Gauge,
    &["zone", "type"],
);
const COOLING_CUR: Desc = Desc::new(
    "node_cooling_device_cur_state",
    "Current throttle state of the cooling device",
    MetricType::Gauge,
    &["name", "type"],
);
const COOLING_MAX: Desc = Desc::new(
    "node_cooling_device_max_state",
    "Maximum throttle state of the cooling device",
    MetricType::Gauge,
    &["name", "type"],
);

pub(super) struct ThermalZoneCollector {
    class_dir: PathBuf,
    buf: Vec<u8>,
}

impl ThermalZoneCollector {
    pub(super) fn new(config: &UnixConfig) -> ThermalZoneCollector {
        ThermalZoneCollector {
            class_dir: config.sysfs_path.join("class/thermal"),
            buf: Vec::new(),
        }
    }
}

impl Collector for ThermalZoneCollector {
    fn name(&self) -> &'static str {
        "thermal_zone"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        // As node_exporter 1.12 (procfs 0.21): a zone whose `temp` cannot be read is reported
        // at 0 rather than failing; no zones at all is a success with no samples.
        for zone in thermal::thermal_zones(&self.class_dir, &mut self.buf) {
            out.push(
                &ZONE_TEMP,
                &[&zone.name, &zone.zone_type],
                zone.temp as f64 / 1000.0,
            );
        }
        let devices =
            thermal::cooling_devices(&self.class_dir, &mut self.buf).map_err(|e| e.to_string())?;
        for d in devices {
            let labels = [d.name.as_str(), d.device_type.as_str()];
            out.push(&COOLING_CUR, &labels, d.cur_state as f64);
            out.push(&COOLING_MAX, &labels, d.max_state as f64);
        }
        Ok(())
    }
}
