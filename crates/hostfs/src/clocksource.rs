//! `/sys/devices/system/clocksource/clocksource*/`.

use std::io;
use std::path::{Path, PathBuf};

use crate::read::read_sys_value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockSource {
    /// The directory's suffix (`0` for `clocksource0`).
    pub name: String,
    pub available: Vec<String>,
    pub current: String,
}

/// Every `clocksource[0-9]*` directory under `<sysfs>/devices/system/clocksource`, in the
/// lexical order of Go's `filepath.Glob` (so `clocksource10` sorts before `clocksource2`).
pub fn read_all(sysfs: &Path) -> io::Result<Vec<ClockSource>> {
    let dir = sysfs.join("devices/system/clocksource");
    let mut paths: Vec<PathBuf> = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        // Glob reports no match, not an error, for a missing directory.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name
            .strip_prefix("clocksource")
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        {
            paths.push(entry.path());
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("clocksource"))
                .unwrap_or("")
                .to_owned();
            let available = read_sys_value(&path.join("available_clocksource"))?;
            let current = read_sys_value(&path.join("current_clocksource"))?;
            Ok(ClockSource {
                name,
                available: available.split_whitespace().map(str::to_owned).collect(),
                current,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_in_glob_order() {
        let dir = tempfile::tempdir().unwrap();
        for (n, cur) in [
            ("clocksource0", "tsc"),
            ("clocksource10", "hpet"),
            ("clocksource2", "kvm"),
        ] {
            let d = dir.path().join("devices/system/clocksource").join(n);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("available_clocksource"), "tsc hpet acpi_pm \n").unwrap();
            std::fs::write(d.join("current_clocksource"), format!("{cur}\n")).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("devices/system/clocksource/clocksourcex"))
            .unwrap();
        let got = read_all(dir.path()).unwrap();
        let names: Vec<_> = got
            .iter()
            .map(|c| (c.name.as_str(), c.current.as_str()))
            .collect();
        assert_eq!(names, [("0", "tsc"), ("10", "hpet"), ("2", "kvm")]);
        assert_eq!(got[0].available, ["tsc", "hpet", "acpi_pm"]);
        assert!(read_all(&dir.path().join("nope")).unwrap().is_empty());
    }
}
