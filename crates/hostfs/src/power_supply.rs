//! `/sys/class/power_supply/<supply>`, as prometheus/procfs 0.21's `PowerSupplyClass` reads it.

use std::path::Path;

use crate::sysfs::{self, EntryKind, SysError};

/// The numeric attributes procfs knows (each parsed with `strconv.ParseInt(s, 0, 64)`; a value
/// that does not parse fails the whole class, as in procfs).
pub const INT_ATTRIBUTES: &[&str] = &[
    "authentic",
    "calibrate",
    "capacity",
    "capacity_alert_max",
    "capacity_alert_min",
    "charge_avg",
    "charge_control_limit",
    "charge_control_limit_max",
    "charge_counter",
    "charge_empty",
    "charge_empty_design",
    "charge_full",
    "charge_full_design",
    "charge_now",
    "charge_term_current",
    "constant_charge_current",
    "constant_charge_current_max",
    "constant_charge_voltage",
    "constant_charge_voltage_max",
    "current_avg",
    "current_boot",
    "current_max",
    "current_now",
    "cycle_count",
    "energy_avg",
    "energy_empty",
    "energy_empty_design",
    "energy_full",
    "energy_full_design",
    "energy_now",
    "input_current_limit",
    "online",
    "power_avg",
    "power_now",
    "precharge_current",
    "present",
    "temp",
    "temp_alert_max",
    "temp_alert_min",
    "temp_ambient",
    "temp_ambient_max",
    "temp_ambient_min",
    "temp_max",
    "temp_min",
    "time_to_empty_avg",
    "time_to_empty_now",
    "time_to_full_avg",
    "time_to_full_now",
    "voltage_avg",
    "voltage_boot",
    "voltage_max",
    "voltage_max_design",
    "voltage_min",
    "voltage_min_design",
    "voltage_now",
    "voltage_ocv",
];

/// The text attributes procfs knows.
pub const STRING_ATTRIBUTES: &[&str] = &[
    "capacity_level",
    "charge_type",
    "health",
    "manufacturer",
    "model_name",
    "scope",
    "serial_number",
    "status",
    "technology",
    "type",
    "usb_type",
];

/// One power supply: the attributes present among [`INT_ATTRIBUTES`] and [`STRING_ATTRIBUTES`],
/// in file-name order. Text values are whitespace-trimmed and made valid UTF-8.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PowerSupply {
    pub name: String,
    pub ints: Vec<(&'static str, i64)>,
    pub strings: Vec<(&'static str, String)>,
}

impl PowerSupply {
    pub fn int(&self, attr: &str) -> Option<i64> {
        self.ints.iter().find(|(a, _)| *a == attr).map(|(_, v)| *v)
    }

    pub fn string(&self, attr: &str) -> &str {
        self.strings
            .iter()
            .find(|(a, _)| *a == attr)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Every supply of `<sysfs>/class/power_supply`, sorted by name. Only regular files are read;
/// a file that is missing, unsupported (EOPNOTSUPP, ENODEV) or EINVAL is skipped; any other read
/// failure, or a numeric attribute that does not parse, fails the whole class.
pub fn power_supplies(class_dir: &Path, buf: &mut Vec<u8>) -> Result<Vec<PowerSupply>, SysError> {
    let mut supplies = Vec::new();
    for entry in sysfs::read_dir(class_dir)? {
        let dir = class_dir.join(&entry.name);
        let mut supply = PowerSupply {
            name: entry.name,
            ..PowerSupply::default()
        };
        for file in sysfs::read_dir(&dir)? {
            if file.kind != EntryKind::File {
                continue;
            }
            let int_attr = INT_ATTRIBUTES.iter().find(|a| **a == file.name);
            let string_attr = STRING_ATTRIBUTES.iter().find(|a| **a == file.name);
            if int_attr.is_none() && string_attr.is_none() {
                continue;
            }
            let path = dir.join(&file.name);
            let value = match sysfs::read_value(&path, buf) {
                Ok(v) => v,
                Err(e)
                    if e.is_not_found()
                        || matches!(
                            e.errno(),
                            Some(libc::EOPNOTSUPP) | Some(libc::ENODEV) | Some(libc::EINVAL)
                        ) =>
                {
                    continue
                }
                Err(e) => {
                    return Err(e.context(format!(
                        "failed to read file {:?}",
                        path.display().to_string()
                    )))
                }
            };
            if let Some(attr) = int_attr {
                let v = sysfs::parse_int_base0(&value).ok_or_else(|| {
                    SysError::msg(format!(
                        "strconv.ParseInt: parsing {value:?}: invalid syntax"
                    ))
                })?;
                supply.ints.push((attr, v));
            } else if let Some(attr) = string_attr {
                supply.strings.push((attr, value));
            }
        }
        supplies.push(supply);
    }
    Ok(supplies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_supplies() {
        let dir = tempfile::tempdir().unwrap();
        let class = dir.path();
        std::fs::create_dir_all(class.join("BAT0/power")).unwrap();
        std::fs::write(class.join("BAT0/capacity"), "81\n").unwrap();
        std::fs::write(class.join("BAT0/status"), "Discharging\n").unwrap();
        std::fs::write(class.join("BAT0/uevent"), "POWER_SUPPLY_NAME=BAT0\n").unwrap();
        std::fs::create_dir_all(class.join("AC")).unwrap();
        std::fs::write(class.join("AC/online"), "0\n").unwrap();
        let mut buf = Vec::new();
        let supplies = power_supplies(class, &mut buf).unwrap();
        assert_eq!(supplies.len(), 2);
        assert_eq!(supplies[0].name, "AC");
        assert_eq!(supplies[0].int("online"), Some(0));
        assert_eq!(supplies[1].int("capacity"), Some(81));
        assert_eq!(supplies[1].string("status"), "Discharging");
        assert_eq!(supplies[1].string("health"), "");
        std::fs::write(class.join("AC/online"), "unknown\n").unwrap();
        assert!(power_supplies(class, &mut buf).is_err());
        assert!(power_supplies(&class.join("none"), &mut buf)
            .unwrap_err()
            .is_not_found());
    }
}
