//! `/sys/class/nvme`: NVMe controllers and their namespaces, as prometheus/procfs 0.21's
//! `NVMeClass` reads them.

use std::path::Path;

use crate::sysfs::{self, SysError};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NvmeNamespace {
    /// `M` of a `nvme<N>n<M>` directory.
    pub id: String,
    pub used_blocks: u64,
    pub size_blocks: u64,
    pub logical_block_size: u64,
    /// The `ana_state` file, or `unknown` without one.
    pub ana_state: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NvmeDevice {
    pub name: String,
    pub serial: String,
    pub model: String,
    pub state: String,
    pub firmware_revision: String,
    pub controller_id: String,
    pub namespaces: Vec<NvmeNamespace>,
}

/// The `M` of an entry name holding `nvme<N>n<M>` (procfs' unanchored `nvme\d+n(\d+)`).
fn namespace_id(name: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(pos) = name[from..].find("nvme") {
        let start = from + pos + 4;
        let rest = &name[start..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with('n') {
            let id = &rest[digits + 1..];
            let id_len = id.bytes().take_while(u8::is_ascii_digit).count();
            if id_len > 0 {
                return Some(&id[..id_len]);
            }
        }
        from = from + pos + 1;
    }
    None
}

/// Every controller of `<sysfs>/class/nvme`, sorted by name. Any of the five controller files or
/// a namespace's `nuse`, `size` or `queue/logical_block_size` that cannot be read fails the class;
/// numbers that do not parse count as 0, as in procfs.
pub fn nvme_class(class_dir: &Path, buf: &mut Vec<u8>) -> Result<Vec<NvmeDevice>, SysError> {
    let entries = sysfs::read_dir(class_dir).map_err(|e| {
        e.context(format!(
            "failed to list NVMe devices at {:?}",
            class_dir.display().to_string()
        ))
    })?;
    let mut devices = Vec::with_capacity(entries.len());
    for entry in entries {
        let dir = class_dir.join(&entry.name);
        let mut device = NvmeDevice {
            name: entry.name.clone(),
            ..NvmeDevice::default()
        };
        for (file, slot) in [
            ("firmware_rev", &mut device.firmware_revision),
            ("model", &mut device.model),
            ("serial", &mut device.serial),
            ("state", &mut device.state),
            ("cntlid", &mut device.controller_id),
        ] {
            let path = dir.join(file);
            *slot = sysfs::read_value(&path, buf).map_err(|e| {
                e.context(format!(
                    "failed to read file {:?}",
                    path.display().to_string()
                ))
            })?;
        }
        let listing = sysfs::read_dir(&dir).map_err(|e| {
            e.context(format!(
                "failed to list NVMe namespaces at {:?}",
                dir.display().to_string()
            ))
        })?;
        for ns in listing {
            let Some(id) = namespace_id(&ns.name) else {
                continue;
            };
            let ns_dir = dir.join(&ns.name);
            let mut namespace = NvmeNamespace {
                id: id.to_owned(),
                ana_state: "unknown".to_owned(),
                ..NvmeNamespace::default()
            };
            for file in ["nuse", "size", "queue/logical_block_size"] {
                let path = ns_dir.join(file);
                let value = sysfs::read_value(&path, buf).map_err(|e| {
                    e.context(format!(
                        "failed to read file {:?}",
                        path.display().to_string()
                    ))
                })?;
                let n = crate::num::parse_u64_dec(&value).unwrap_or(0);
                match file {
                    "nuse" => namespace.used_blocks = n,
                    "size" => namespace.size_blocks = n,
                    _ => namespace.logical_block_size = n,
                }
            }
            if let Ok(state) = sysfs::read_value(&ns_dir.join("ana_state"), buf) {
                namespace.ana_state = state;
            }
            device.namespaces.push(namespace);
        }
        devices.push(device);
    }
    Ok(devices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_names() {
        assert_eq!(namespace_id("nvme0n1"), Some("1"));
        assert_eq!(namespace_id("nvme10n23"), Some("23"));
        assert_eq!(namespace_id("nvme0c0n1"), None);
        assert_eq!(namespace_id("ng0n1"), None);
        assert_eq!(namespace_id("xnvme1n2p1"), Some("2"));
        assert_eq!(namespace_id("power"), None);
    }

    #[test]
    fn reads_a_controller() {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("nvme0");
        std::fs::create_dir_all(c.join("nvme0n1/queue")).unwrap();
        for (f, v) in [
            ("firmware_rev", "1B2QEXP7"),
            ("model", "Samsung SSD"),
            ("serial", "S6"),
            ("state", "live"),
            ("cntlid", "1997"),
        ] {
            std::fs::write(c.join(f), format!("{v}\n")).unwrap();
        }
        std::fs::write(c.join("nvme0n1/nuse"), "10\n").unwrap();
        std::fs::write(c.join("nvme0n1/size"), "x\n").unwrap();
        std::fs::write(c.join("nvme0n1/queue/logical_block_size"), "4096\n").unwrap();
        let devices = nvme_class(dir.path(), &mut Vec::new()).unwrap();
        assert_eq!(devices[0].controller_id, "1997");
        let ns = &devices[0].namespaces[0];
        assert_eq!(
            (ns.id.as_str(), ns.used_blocks, ns.size_blocks),
            ("1", 10, 0)
        );
        assert_eq!(ns.ana_state, "unknown");
        std::fs::remove_file(c.join("cntlid")).unwrap();
        assert!(nvme_class(dir.path(), &mut Vec::new())
            .unwrap_err()
            .is_not_found());
    }
}
