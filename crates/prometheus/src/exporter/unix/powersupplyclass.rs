//! node_exporter's `powersupplyclass` collector: `/sys/class/power_supply/<supply>`.

use std::path::PathBuf;

use ingot_hostfs::power_supply;
use ingot_prom::exposition::{FamilySet, MetricType};
use regex::Regex;

use super::config::required_regex;
use super::exporter::NO_DATA;
use super::{Collector, ConfigError, UnixConfig};

/// sysfs attribute → metric name (after `node_power_supply_`) and what node_exporter divides
/// by: µA, µV, µW, µWh and µAh become base units; tenths of °C become °C.
const METRICS: &[(&str, &str, f64)] = &[
    ("authentic", "authentic", 1.0),
    ("calibrate", "calibrate", 1.0),
    ("capacity", "capacity", 1.0),
    ("capacity_alert_max", "capacity_alert_max", 1.0),
    ("capacity_alert_min", "capacity_alert_min", 1.0),
    ("cycle_count", "cyclecount", 1.0),
    ("online", "online", 1.0),
    ("present", "present", 1.0),
    ("time_to_empty_now", "time_to_empty_seconds", 1.0),
    ("time_to_full_now", "time_to_full_seconds", 1.0),
    ("current_boot", "current_boot", 1e6),
    ("current_max", "current_max", 1e6),
    ("current_now", "current_ampere", 1e6),
    ("energy_empty", "energy_empty", 1e6),
    ("energy_empty_design", "energy_empty_design", 1e6),
    ("energy_full", "energy_full", 1e6),
    ("energy_full_design", "energy_full_design", 1e6),
    ("energy_now", "energy_watthour", 1e6),
    ("voltage_boot", "voltage_boot", 1e6),
    ("voltage_max", "voltage_max", 1e6),
    ("voltage_max_design", "voltage_max_design", 1e6),
    ("voltage_min", "voltage_min", 1e6),
    ("voltage_min_design", "voltage_min_design", 1e6),
    ("voltage_now", "voltage_volt", 1e6),
    ("voltage_ocv", "voltage_ocv", 1e6),
    ("charge_control_limit", "charge_control_limit", 1e6),
    ("charge_control_limit_max", "charge_control_limit_max", 1e6),
    ("charge_counter", "charge_counter", 1e6),
    ("charge_empty", "charge_empty", 1e6),
    ("charge_empty_design", "charge_empty_design", 1e6),
    ("charge_full", "charge_full", 1e6),
    ("charge_full_design", "charge_full_design", 1e6),
    ("charge_now", "charge_ampere", 1e6),
    ("charge_term_current", "charge_term_current", 1e6),
    ("constant_charge_current", "constant_charge_current", 1e6),
    (
        "constant_charge_current_max",
        "constant_charge_current_max",
        1e6,
    ),
    ("constant_charge_voltage", "constant_charge_voltage", 1e6),
    (
        "constant_charge_voltage_max",
        "constant_charge_voltage_max",
        1e6,
    ),
    ("precharge_current", "precharge_current", 1e6),
    ("input_current_limit", "input_current_limit", 1e6),
    ("power_now", "power_watt", 1e6),
    ("temp", "temp_celsius", 10.0),
    ("temp_alert_max", "temp_alert_max_celsius", 10.0),
    ("temp_alert_min", "temp_alert_min_celsius", 10.0),
    ("temp_ambient", "temp_ambient_celsius", 10.0),
    ("temp_ambient_max", "temp_ambient_max_celsius", 10.0),
    ("temp_ambient_min", "temp_ambient_min_celsius", 10.0),
    ("temp_max", "temp_max_celsius", 10.0),
    ("temp_min", "temp_min_celsius", 10.0),
];

/// Labels of `node_power_supply_info`, each present only when its value is not empty.
const INFO_LABELS: &[(&str, &str)] = &[
    ("capacity_level", "capacity_level"),
    ("charge_type", "charge_type"),
    ("health", "health"),
    ("manufacturer", "manufacturer"),
    ("model_name", "model_name"),
    ("serial_number", "serial_number"),
    ("status", "status"),
    ("technology", "technology"),
    ("type", "type"),
    ("usb_type", "usb_type"),
    ("scope", "scope"),
];

pub(super) struct PowerSupplyClassCollector {
    class_dir: PathBuf,
    ignored: Regex,
    name: String,
    help: String,
    buf: Vec<u8>,
}

impl PowerSupplyClassCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<PowerSupplyClassCollector, ConfigError> {
        Ok(PowerSupplyClassCollector {
            class_dir: config.sysfs_path.join("class/power_supply"),
            ignored: required_regex(
                "powersupply.ignored_supplies",
                &config.powersupply.ignored_supplies,
            )?,
            name: String::new(),
            help: String::new(),
            buf: Vec::new(),
        })
    }
}

impl Collector for PowerSupplyClassCollector {
    fn name(&self) -> &'static str {
        "powersupplyclass"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let supplies = match power_supply::power_supplies(&self.class_dir, &mut self.buf) {
            Ok(s) => s,
            Err(e) if e.is_not_found() => return Err(NO_DATA.into()),
            Err(e) => {
                return Err(format!(
                    "could not get power_supply class info: error obtaining power_supply class info: {e}"
                ))
            }
        };
        for supply in supplies.iter().filter(|s| !self.ignored.is_match(&s.name)) {
            for &(attr, metric, divisor) in METRICS {
                let Some(v) = supply.int(attr) else { continue };
                self.name.clear();
                self.name.push_str("node_power_supply_");
                self.name.push_str(metric);
                self.help.clear();
                self.help.push_str(metric);
                self.help
                    .push_str(" value of /sys/class/power_supply/<power_supply>.");
                let value = v as f64 / divisor;
                out.family_with(&self.name, &self.help, MetricType::Gauge, &["power_supply"])
                    .push(&[&supply.name], value);
            }
            let mut labels: Vec<(&str, &str)> = vec![("power_supply", supply.name.as_str())];
            for &(attr, label) in INFO_LABELS {
                let value = supply.string(attr);
                if !value.is_empty() {
                    labels.push((label, value));
                }
            }
            out.ragged_family(
                "node_power_supply_info",
                "info of /sys/class/power_supply/<power_supply>.",
                MetricType::Gauge,
            )
            .push_labeled(&labels, 1.0);
        }
        Ok(())
    }
}
