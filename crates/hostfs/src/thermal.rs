//! `/sys/class/thermal`: thermal zones and cooling devices, as prometheus/procfs 0.21 reads them.

use std::path::Path;

use crate::sysfs::{self, SysError};

/// One `thermal_zone<N>` directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThermalZone {
    /// `N` of `thermal_zone<N>`.
    pub name: String,
    /// The `type` file ("" if it cannot be read).
    pub zone_type: String,
    /// The `temp` file, millidegrees Celsius (0 if it cannot be read or parsed).
    pub temp: i64,
}

/// The zones of `<sysfs>/class/thermal`, sorted by directory name. As in procfs 0.21, a zone
/// whose files cannot be read is still listed, with an empty type or a temperature of 0 (procfs
/// keeps those errors aside and node_exporter does not look at them).
pub fn thermal_zones(class_dir: &Path, buf: &mut Vec<u8>) -> Vec<ThermalZone> {
    sysfs::glob(class_dir, |n| sysfs::prefix_then_digit(n, "thermal_zone"))
        .into_iter()
        .map(|dir_name| {
            let dir = class_dir.join(&dir_name);
            let zone_type = sysfs::read_value(&dir.join("type"), buf).unwrap_or_default();
            let temp = sysfs::read_raw_value(&dir.join("temp"), buf)
                .ok()
                .and_then(|v| sysfs::parse_int_text(v).ok())
                .unwrap_or(0);
            ThermalZone {
                name: dir_name["thermal_zone".len()..].to_owned(),
                zone_type,
                temp,
            }
        })
        .collect()
}

/// One `cooling_device<N>` directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoolingDevice {
    pub name: String,
    pub device_type: String,
    pub max_state: i64,
    /// May be -1 (intel_powerclamp).
    pub cur_state: i64,
}

/// The cooling devices of `<sysfs>/class/thermal`, sorted. A device whose files are missing,
/// unreadable for permission, unsupported or EINVAL is skipped (procfs' `canIgnoreError`); any
/// other failure fails the whole list.
pub fn cooling_devices(
    class_dir: &Path,
    buf: &mut Vec<u8>,
) -> Result<Vec<CoolingDevice>, SysError> {
    let mut devices = Vec::new();
    for dir_name in sysfs::glob(class_dir, |n| sysfs::prefix_then_digit(n, "cooling_device")) {
        let dir = class_dir.join(&dir_name);
        let device = (|| {
            let device_type = sysfs::read_value(&dir.join("type"), buf)?;
            let state = |file: &str, buf: &mut Vec<u8>| {
                let raw = sysfs::read_raw_value(&dir.join(file), buf)?;
                sysfs::parse_int_text(raw)
            };
            let max_state = state("max_state", buf)?;
            let cur_state = state("cur_state", buf)?;
            Ok::<_, SysError>(CoolingDevice {
                name: dir_name["cooling_device".len()..].to_owned(),
                device_type,
                max_state,
                cur_state,
            })
        })();
        match device {
            Ok(device) => devices.push(device),
            Err(e) if e.is_ignorable_attribute() => continue,
            Err(e) => return Err(e.context(dir.display())),
        }
    }
    Ok(devices)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, content: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    #[test]
    fn zones_and_cooling_devices() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "thermal_zone10/type", "x86_pkg_temp\n");
        write(root, "thermal_zone10/temp", "45000\n");
        write(root, "thermal_zone2/type", "acpitz\n");
        write(root, "thermal_zone2/temp", "garbage\n");
        write(root, "cooling_device0/type", "Processor\n");
        write(root, "cooling_device0/max_state", "3\n");
        write(root, "cooling_device0/cur_state", "-1\n");
        write(root, "cooling_device1/type", "Fan\n");
        let mut buf = Vec::new();
        let zones = thermal_zones(root, &mut buf);
        assert_eq!(zones.len(), 2);
        assert_eq!((zones[0].name.as_str(), zones[0].temp), ("10", 45000));
        assert_eq!((zones[1].zone_type.as_str(), zones[1].temp), ("acpitz", 0));
        let devices = cooling_devices(root, &mut buf).unwrap();
        // cooling_device1 has no max_state: skipped.
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].cur_state, -1);
        write(root, "cooling_device1/max_state", "many\n");
        write(root, "cooling_device1/cur_state", "0\n");
        let err = cooling_devices(root, &mut buf).unwrap_err();
        assert!(
            err.to_string()
                .contains("cooling_device1: strconv.ParseInt"),
            "{err}"
        );
    }
}
