//! `/sys/devices/system/clocksource/clocksource*/`.

use std::io;
use std::path::Path;

use crate::read::read_sys_value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockSource {
    /// The directory's suffix (`0` for `clocksource0`).
    pub name: String,
    pub available: Vec<String>,
    pub current: String,
}

/// Names of the `clocksource[0-9]*` entries of `dir` (normally
/// `<sysfs>/devices/system/clocksource`), in the lexical order of Go's `filepath.Glob`, so
/// `clocksource10` sorts before `clocksource2`. A missing directory has none.
pub fn glob_names(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(names),
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
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Every clocksource under `<sysfs>/devices/system/clocksource`, in glob order.
pub fn read_all(sysfs: &Path) -> io::Result<Vec<ClockSource>> {
    let dir = sysfs.join("devices/system/clocksource");
    glob_names(&dir)?
        .into_iter()
        .map(|entry| {
            let path = dir.join(&entry);
            let available = read_sys_value(&path.join("available_clocksource"))?;
            let current = read_sys_value(&path.join("current_clocksource"))?;
            Ok(ClockSource {
                name: entry.strip_prefix("clocksource").unwrap_or("").to_owned(),
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
