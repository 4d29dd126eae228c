//! `/sys/class/powercap`: Intel RAPL zones, as prometheus/procfs 0.21's `GetRaplZones` lists them.

use std::path::{Path, PathBuf};

use crate::sysfs::{self, SysError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaplZone {
    /// The `name` file, without its `-<n>` suffix (`package-0` → `package`).
    pub name: String,
    /// The suffix of the name, or the count of earlier zones of the same name.
    pub index: i64,
    pub path: PathBuf,
    pub max_microjoules: u64,
}

/// The zones of `<sysfs>/class/powercap` that have a `name` file, in directory order. Fails when
/// the directory cannot be listed or a zone's `max_energy_range_uj` cannot be read (it is
/// readable by root only on current kernels).
pub fn rapl_zones(class_dir: &Path, buf: &mut Vec<u8>) -> Result<Vec<RaplZone>, SysError> {
    let entries =
        sysfs::read_dir(class_dir).map_err(|e| e.context("unable to read class/powercap"))?;
    let mut zones = Vec::new();
    let mut used: Vec<(String, i64)> = Vec::new();
    for entry in entries {
        let path = class_dir.join(&entry.name);
        let Ok(raw) = sysfs::read_file(&path.join("name"), buf) else {
            continue;
        };
        let full_name = String::from_utf8_lossy(sysfs::trim_space(raw)).into_owned();
        let (index, name) = match full_name.split('-').collect::<Vec<_>>().as_slice() {
            [name, index] if crate::num::parse_i64_dec(index).is_some() => (
                crate::num::parse_i64_dec(index).unwrap_or(0),
                (*name).to_owned(),
            ),
            _ => {
                let count = used
                    .iter()
                    .find(|(n, _)| *n == full_name)
                    .map_or(0, |(_, c)| *c);
                (count, full_name.clone())
            }
        };
        let max_microjoules = sysfs::read_uint(&path.join("max_energy_range_uj"), buf)?;
        match used.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = index + 1,
            None => used.push((name.clone(), index + 1)),
        }
        zones.push(RaplZone {
            name,
            index,
            path,
            max_microjoules,
        });
    }
    Ok(zones)
}

/// A zone's `energy_uj` counter.
pub fn energy_microjoules(zone: &RaplZone, buf: &mut Vec<u8>) -> Result<u64, SysError> {
    sysfs::read_uint(&zone.path.join("energy_uj"), buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_and_indices() {
        let dir = tempfile::tempdir().unwrap();
        let class = dir.path();
        for (zone, name) in [
            ("intel-rapl:0", "package-0"),
            ("intel-rapl:0:0", "core"),
            ("intel-rapl:0:1", "core"),
            ("intel-rapl:1", "package-1"),
        ] {
            std::fs::create_dir(class.join(zone)).unwrap();
            std::fs::write(class.join(zone).join("name"), format!("{name}\n")).unwrap();
            std::fs::write(
                class.join(zone).join("max_energy_range_uj"),
                "262143328850\n",
            )
            .unwrap();
            std::fs::write(class.join(zone).join("energy_uj"), "240422366267\n").unwrap();
        }
        std::fs::create_dir(class.join("intel-rapl")).unwrap();
        let mut buf = Vec::new();
        let zones = rapl_zones(class, &mut buf).unwrap();
        let got: Vec<_> = zones.iter().map(|z| (z.name.as_str(), z.index)).collect();
        assert_eq!(
            got,
            [("package", 0), ("core", 0), ("core", 1), ("package", 1)]
        );
        assert_eq!(
            energy_microjoules(&zones[0], &mut buf).unwrap(),
            240422366267
        );
        let err = rapl_zones(&class.join("none"), &mut buf).unwrap_err();
        assert!(err.is_not_found());
        assert!(
            err.to_string()
                .starts_with("unable to read class/powercap: open "),
            "{err}"
        );
    }
}
