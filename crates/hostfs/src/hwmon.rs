//! `/sys/class/hwmon`: chips, their names as node_exporter derives them, and their sensor files
//! (`<type><n>_<property>`), following node_exporter 1.12's `hwmon_linux.go`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::sysfs::{self, SysError};

/// The sensor types node_exporter reads; other files of a chip directory are ignored.
pub const SENSOR_TYPES: &[&str] = &[
    "vrm",
    "beep_enable",
    "update_interval",
    "in",
    "cpu",
    "fan",
    "pwm",
    "temp",
    "curr",
    "power",
    "energy",
    "humidity",
    "intrusion",
    "freq",
];

/// node_exporter's `cleanMetricName`: lower case, every character other than `[a-z0-9:_]`
/// replaced by `_`, and `_` trimmed from both ends.
pub fn clean_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == ':' || c == '_' {
            out.push(c);
        } else {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_owned()
    }
}

/// A sensor file name split as node_exporter's `^(?P<type>[^0-9]+)(?P<id>[0-9]*)?(_(?P<property>.+))?$`
/// splits it (RE2's leftmost-first choice: the longest type, then the longest number, that leave a
/// valid rest). `None` when the name does not match or the number overflows Go's `int`.
pub fn explode_sensor_filename(name: &str) -> Option<(&str, i64, &str)> {
    let bytes = name.as_bytes();
    let first_digit = bytes
        .iter()
        .position(u8::is_ascii_digit)
        .unwrap_or(bytes.len());
    for type_len in (1..=first_digit).rev() {
        let digits = bytes[type_len..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        for id_len in (0..=digits).rev() {
            let rest = &name[type_len + id_len..];
            let property = if rest.is_empty() {
                ""
            } else if rest.len() > 1 && rest.starts_with('_') && !rest.contains('\n') {
                &rest[1..]
            } else {
                continue;
            };
            let id = &name[type_len..type_len + id_len];
            let num = if id.is_empty() {
                0
            } else {
                crate::num::parse_i64_dec(id)?
            };
            return Some((&name[..type_len], num, property));
        }
    }
    None
}

/// One hwmon directory of `/sys/class/hwmon`, before filtering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chip {
    /// `<sysfs>/class/hwmon/<entry>`.
    pub dir: PathBuf,
    /// node_exporter's `hwmonName`: `<bus>_<device>` from the `device` link, else the `name`
    /// file, else the directory's own name; cleaned.
    pub base_name: String,
    /// The `name` file, trimmed ("" when absent).
    pub name_file: String,
}

/// The chips of `<sysfs>/class/hwmon`, in directory order, with the `chip` label node_exporter
/// gives each (`base_name`, made unique with the `name` file or the directory's name when several
/// chips share a device). Entries that are not directories, or that cannot be named, are skipped.
pub fn chips(class_dir: &Path) -> Result<Vec<(Chip, String)>, SysError> {
    let mut buf = Vec::new();
    let mut chips = Vec::new();
    for entry in sysfs::read_dir(class_dir)? {
        let dir = class_dir.join(&entry.name);
        // Lstat, then Stat through a symlink: only directories count.
        if !std::fs::metadata(&dir).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let Some(base_name) = chip_base_name(&dir, &mut buf) else {
            continue;
        };
        let name_file = sysfs::read_file(&dir.join("name"), &mut buf)
            .map(|b| String::from_utf8_lossy(b).trim().to_owned())
            .unwrap_or_default();
        chips.push(Chip {
            dir,
            base_name,
            name_file,
        });
    }
    let count = |f: &dyn Fn(&Chip) -> bool| chips.iter().filter(|c| f(c)).count();
    let labelled = chips
        .iter()
        .map(|chip| {
            let mut name = chip.base_name.clone();
            if count(&|c| c.base_name == chip.base_name) > 1 {
                let mut suffix = clean_name(&chip.name_file);
                let same_name_file =
                    count(&|c| c.base_name == chip.base_name && c.name_file == chip.name_file);
                if suffix.is_empty() || same_name_file > 1 {
                    suffix = clean_name(sysfs::base_name(&chip.dir));
                }
                name.push('_');
                name.push_str(&suffix);
            }
            name
        })
        .collect::<Vec<_>>();
    Ok(chips.into_iter().zip(labelled).collect())
}

fn chip_base_name(dir: &Path, buf: &mut Vec<u8>) -> Option<String> {
    if let Ok(device) = sysfs::eval_symlinks(&dir.join("device")) {
        let dev_name = clean_name(sysfs::base_name(&device));
        let dev_type = clean_name(device.parent().map(sysfs::base_name).unwrap_or(""));
        if !dev_type.is_empty() && !dev_name.is_empty() {
            return Some(format!("{dev_type}_{dev_name}"));
        }
        if !dev_name.is_empty() {
            return Some(dev_name);
        }
    }
    if let Ok(raw) = sysfs::read_file(&dir.join("name"), buf) {
        let name = clean_name(&String::from_utf8_lossy(raw));
        if !name.is_empty() {
            return Some(name);
        }
    }
    let real = sysfs::eval_symlinks(dir).ok()?;
    let name = clean_name(sysfs::base_name(&real));
    (!name.is_empty()).then_some(name)
}

/// node_exporter's `hwmonHumanReadableChipName`: the cleaned `name` file, if there is one.
pub fn human_readable_name(dir: &Path, buf: &mut Vec<u8>) -> Option<String> {
    let raw = sysfs::read_file(&dir.join("name"), buf).ok()?;
    let name = clean_name(&String::from_utf8_lossy(raw));
    (!name.is_empty()).then_some(name)
}

/// Sensor files of one chip: sensor (`<type><n>`, e.g. `temp1`) → property (`input`, `max`, "" for
/// a file without one) → the file's content with newlines trimmed (not other white space), read
/// with a single 128-byte `read` as node_exporter does. Files that cannot be read are left out.
pub type SensorData = BTreeMap<String, BTreeMap<String, String>>;

/// Reads the sensor files of `dir` into `data` (node_exporter's `collectSensorData`). Fails only
/// if the directory cannot be listed.
pub fn collect_sensor_data(
    dir: &Path,
    data: &mut SensorData,
    buf: &mut Vec<u8>,
) -> Result<(), SysError> {
    for entry in sysfs::read_dir(dir)? {
        let Some((sensor_type, num, property)) = explode_sensor_filename(&entry.name) else {
            continue;
        };
        if !SENSOR_TYPES.contains(&sensor_type) {
            continue;
        }
        let path = dir.join(&entry.name);
        let Ok(raw) = read_once(&path, buf) else {
            continue;
        };
        let value = String::from_utf8_lossy(trim_newlines(raw)).into_owned();
        data.entry(format!("{sensor_type}{num}"))
            .or_default()
            .insert(property.to_owned(), value);
    }
    Ok(())
}

/// node_exporter's `sysReadFile`: one `read` of at most 128 bytes, untrimmed.
fn read_once<'b>(path: &Path, buf: &'b mut Vec<u8>) -> std::io::Result<&'b [u8]> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    buf.clear();
    buf.resize(128, 0);
    let n = loop {
        match file.read(buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    Ok(&buf[..n])
}

fn trim_newlines(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c != b'\n').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b'\n').map_or(start, |i| i + 1);
    &b[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_split_as_node_exporters_regex() {
        assert_eq!(
            explode_sensor_filename("temp1_input"),
            Some(("temp", 1, "input"))
        );
        assert_eq!(explode_sensor_filename("in0_min"), Some(("in", 0, "min")));
        assert_eq!(
            explode_sensor_filename("pwm1_auto_point1_pwm"),
            Some(("pwm", 1, "auto_point1_pwm"))
        );
        assert_eq!(
            explode_sensor_filename("update_interval"),
            Some(("update_interval", 0, ""))
        );
        assert_eq!(explode_sensor_filename("pwm2"), Some(("pwm", 2, "")));
        // The type gives back its `_` so that the rest can be a property.
        assert_eq!(explode_sensor_filename("temp_1x"), Some(("temp", 0, "1x")));
        assert_eq!(explode_sensor_filename("temp1x"), None);
        assert_eq!(explode_sensor_filename("1temp"), None);
        assert_eq!(explode_sensor_filename("temp1_"), None);
        assert_eq!(
            explode_sensor_filename("temp99999999999999999999_input"),
            None
        );
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("platform"), "platform");
        assert_eq!(clean_name("applesmc.768"), "applesmc_768");
        assert_eq!(clean_name("nct6779\n"), "nct6779");
        assert_eq!(clean_name("__Hello World__"), "hello_world");
        assert_eq!(clean_name("ÄB"), "b");
        assert_eq!(clean_name("a b"), "a_b");
    }

    #[test]
    fn sensor_data_of_a_chip() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("temp1_input"), "41000\n").unwrap();
        std::fs::write(d.join("temp1_label"), " Core 0\n").unwrap();
        std::fs::write(d.join("name"), "coretemp\n").unwrap();
        std::fs::write(d.join("update_interval"), "1000\n").unwrap();
        std::fs::create_dir(d.join("power")).unwrap();
        let mut data = SensorData::new();
        collect_sensor_data(d, &mut data, &mut Vec::new()).unwrap();
        assert_eq!(data["temp1"]["input"], "41000");
        assert_eq!(data["temp1"]["label"], " Core 0");
        assert_eq!(data["update_interval0"][""], "1000");
        // `power` is a directory: reading it fails, and it is left out.
        assert!(!data.contains_key("power0"));
        assert!(!data.contains_key("name0"));
        assert_eq!(
            human_readable_name(d, &mut Vec::new()).as_deref(),
            Some("coretemp")
        );
    }

    #[test]
    fn chips_sharing_a_device_get_distinct_names() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let device = root.join("devices/platform/asus-nb-wmi");
        std::fs::create_dir_all(&device).unwrap();
        let class = root.join("class/hwmon");
        std::fs::create_dir_all(&class).unwrap();
        for (n, name) in [(3, "asus"), (4, "asus_wmi"), (5, "asus_wmi")] {
            let chip = root.join(format!("devices/platform/asus-nb-wmi/hwmon/hwmon{n}"));
            std::fs::create_dir_all(&chip).unwrap();
            std::os::unix::fs::symlink(&device, chip.join("device")).unwrap();
            std::fs::write(chip.join("name"), format!("{name}\n")).unwrap();
            std::os::unix::fs::symlink(&chip, class.join(format!("hwmon{n}"))).unwrap();
        }
        let solo = class.join("hwmon9");
        std::fs::create_dir(&solo).unwrap();
        std::fs::write(class.join("not-a-chip"), "").unwrap();
        let chips = chips(&class).unwrap();
        let labels: Vec<&str> = chips.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "platform_asus_nb_wmi_asus",
                "platform_asus_nb_wmi_hwmon4",
                "platform_asus_nb_wmi_hwmon5",
                "hwmon9"
            ]
        );
        assert!(super::chips(&root.join("missing"))
            .unwrap_err()
            .is_not_found());
    }
}
