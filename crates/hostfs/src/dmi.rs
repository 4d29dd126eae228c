//! `/sys/class/dmi/id`: the firmware's DMI (SMBIOS) strings, as prometheus/procfs 0.21 reads them.

use std::path::Path;

use crate::sysfs::{self, EntryKind, SysError};

/// DMI files and the label node_exporter's `node_dmi_info` gives each (`chassis_type` is read by
/// procfs but not reported).
pub const FIELDS: &[(&str, &str)] = &[
    ("bios_date", "bios_date"),
    ("bios_release", "bios_release"),
    ("bios_vendor", "bios_vendor"),
    ("bios_version", "bios_version"),
    ("board_asset_tag", "board_asset_tag"),
    ("board_name", "board_name"),
    ("board_serial", "board_serial"),
    ("board_vendor", "board_vendor"),
    ("board_version", "board_version"),
    ("chassis_asset_tag", "chassis_asset_tag"),
    ("chassis_serial", "chassis_serial"),
    ("chassis_vendor", "chassis_vendor"),
    ("chassis_version", "chassis_version"),
    ("product_family", "product_family"),
    ("product_name", "product_name"),
    ("product_serial", "product_serial"),
    ("product_sku", "product_sku"),
    ("product_uuid", "product_uuid"),
    ("product_version", "product_version"),
    ("sys_vendor", "system_vendor"),
];

/// `(label, value)` for each DMI file present and readable, in [`FIELDS`] order. Files readable by
/// root only (serial numbers, UUID) are left out for other users; any other read failure fails.
pub fn dmi_labels(dir: &Path, buf: &mut Vec<u8>) -> Result<Vec<(&'static str, String)>, SysError> {
    let entries = sysfs::read_dir(dir).map_err(|e| {
        e.context(format!(
            "failed to read directory {:?}",
            dir.display().to_string()
        ))
    })?;
    let mut found = Vec::new();
    for entry in entries {
        if entry.kind != EntryKind::File || entry.name == "modalias" || entry.name == "uevent" {
            continue;
        }
        let path = dir.join(&entry.name);
        let value = match sysfs::read_value(&path, buf) {
            Ok(v) => v,
            Err(e) if e.is_permission() => continue,
            Err(e) => {
                return Err(e.context(format!(
                    "failed to read file {:?}",
                    path.display().to_string()
                )))
            }
        };
        if let Some(&(_, label)) = FIELDS.iter().find(|(f, _)| *f == entry.name) {
            found.push((label, value));
        }
    }
    found.sort_by_key(|(label, _)| FIELDS.iter().position(|(_, l)| l == label));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_known_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("sys_vendor"), "Dell Inc.\n").unwrap();
        std::fs::write(d.join("bios_date"), "04/12/2021\n").unwrap();
        std::fs::write(d.join("chassis_type"), "23\n").unwrap();
        std::fs::write(d.join("modalias"), "dmi:bvn\n").unwrap();
        std::fs::write(d.join("chassis_version"), "\n").unwrap();
        std::fs::create_dir(d.join("power")).unwrap();
        let labels = dmi_labels(d, &mut Vec::new()).unwrap();
        assert_eq!(
            labels,
            [
                ("bios_date", "04/12/2021".to_owned()),
                ("chassis_version", String::new()),
                ("system_vendor", "Dell Inc.".to_owned())
            ]
        );
        assert!(dmi_labels(&d.join("none"), &mut Vec::new())
            .unwrap_err()
            .is_not_found());
    }
}
