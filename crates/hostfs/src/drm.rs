//! `/sys/class/drm/card<N>`: AMD GPUs (the `amdgpu` driver) as prometheus/procfs 0.21's
//! `ClassDRMCardAMDGPUStats` reads them.

use std::path::Path;

use crate::sysfs::{self, SysError};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmdGpuCard {
    /// `card<N>`.
    pub name: String,
    pub gpu_busy_percent: u64,
    pub memory_gtt_size: u64,
    pub memory_gtt_used: u64,
    pub memory_visible_vram_size: u64,
    pub memory_visible_vram_used: u64,
    pub memory_vram_size: u64,
    pub memory_vram_used: u64,
    pub memory_vram_vendor: String,
    pub power_dpm_force_performance_level: String,
    pub unique_id: String,
}

/// The `card[0-9]` entries of `<sysfs>/class/drm` (one digit, as procfs' glob) whose
/// `device/uevent` names the `amdgpu` driver, sorted. A card whose uevent answers ENODATA is
/// skipped; other failures to read it or to resolve its `device` link fail. Optional attributes
/// that cannot be read are 0 or ""; one that reads but does not parse fails (procfs would
/// dereference nil and crash).
pub fn amdgpu_cards(class_dir: &Path, buf: &mut Vec<u8>) -> Result<Vec<AmdGpuCard>, SysError> {
    let mut cards = Vec::new();
    let names = sysfs::glob(class_dir, |n| {
        n.len() == 5 && n.starts_with("card") && n.as_bytes()[4].is_ascii_digit()
    });
    for name in names {
        let dir = class_dir.join(&name);
        let uevent = match sysfs::read_value(&dir.join("device/uevent"), buf) {
            Ok(v) => v,
            Err(e) if e.errno() == Some(libc::ENODATA) => continue,
            Err(e) => return Err(e),
        };
        if !uevent.contains("DRIVER=amdgpu") {
            continue;
        }
        sysfs::eval_symlinks(&dir.join("device"))?;
        let device = dir.join("device");
        let mut card = AmdGpuCard {
            name,
            ..AmdGpuCard::default()
        };
        for (file, slot) in [
            ("gpu_busy_percent", &mut card.gpu_busy_percent),
            ("mem_info_gtt_total", &mut card.memory_gtt_size),
            ("mem_info_gtt_used", &mut card.memory_gtt_used),
            (
                "mem_info_vis_vram_total",
                &mut card.memory_visible_vram_size,
            ),
            ("mem_info_vis_vram_used", &mut card.memory_visible_vram_used),
            ("mem_info_vram_total", &mut card.memory_vram_size),
            ("mem_info_vram_used", &mut card.memory_vram_used),
        ] {
            let path = device.join(file);
            if let Ok(v) = sysfs::read_value(&path, buf) {
                *slot = sysfs::parse_uint_base0(&v).ok_or_else(|| {
                    SysError::msg(format!(
                        "{}: strconv.ParseUint: parsing {v:?}: invalid syntax",
                        path.display()
                    ))
                })?;
            }
        }
        for (file, slot) in [
            ("mem_info_vram_vendor", &mut card.memory_vram_vendor),
            (
                "power_dpm_force_performance_level",
                &mut card.power_dpm_force_performance_level,
            ),
            ("unique_id", &mut card.unique_id),
        ] {
            if let Ok(v) = sysfs::read_value(&device.join(file), buf) {
                *slot = v;
            }
        }
        cards.push(card);
    }
    Ok(cards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_amdgpu_cards() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let w = |rel: &str, v: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, v).unwrap();
        };
        w(
            "devices/pci0000:00/0000:0c:00.0/uevent",
            "DRIVER=amdgpu\nPCI_CLASS=30000\n",
        );
        w("devices/pci0000:00/0000:0c:00.0/gpu_busy_percent", "4\n");
        w(
            "devices/pci0000:00/0000:0c:00.0/mem_info_vram_vendor",
            "samsung\n",
        );
        w("devices/pci0000:00/0000:01:00.0/uevent", "DRIVER=i915\n");
        let class = root.join("class/drm");
        std::fs::create_dir_all(&class).unwrap();
        std::fs::create_dir_all(class.join("card0")).unwrap();
        std::os::unix::fs::symlink(
            root.join("devices/pci0000:00/0000:0c:00.0"),
            class.join("card0/device"),
        )
        .unwrap();
        std::fs::create_dir_all(class.join("card1")).unwrap();
        std::os::unix::fs::symlink(
            root.join("devices/pci0000:00/0000:01:00.0"),
            class.join("card1/device"),
        )
        .unwrap();
        std::fs::create_dir_all(class.join("card0-DP-1")).unwrap();
        let cards = amdgpu_cards(&class, &mut Vec::new()).unwrap();
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].name, "card0");
        assert_eq!(cards[0].gpu_busy_percent, 4);
        assert_eq!(cards[0].memory_vram_vendor, "samsung");
        assert_eq!(cards[0].memory_vram_size, 0);
        w(
            "devices/pci0000:00/0000:0c:00.0/mem_info_vram_used",
            "lots\n",
        );
        assert!(amdgpu_cards(&class, &mut Vec::new()).is_err());
    }
}
