//! node_exporter's `drm` collector: AMD GPUs (`amdgpu`) of `/sys/class/drm/card*`.

use std::path::PathBuf;

use ingot_hostfs::drm;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, UnixConfig};

const CARD_INFO: Desc = Desc::new(
    "node_drm_card_info",
    "Card information",
    MetricType::Gauge,
    &[
        "card",
        "memory_vendor",
        "power_performance_level",
        "unique_id",
        "vendor",
    ],
);

macro_rules! card {
    ($name:literal, $help:literal) => {
        Desc::new(
            concat!("node_drm_", $name),
            $help,
            MetricType::Gauge,
            &["card"],
        )
    };
}

const GPU_BUSY: Desc = card!("gpu_busy_percent", "How busy the GPU is as a percentage.");
const GTT_SIZE: Desc = card!(
    "memory_gtt_size_bytes",
    "The size of the graphics translation table (GTT) block in bytes."
);
const GTT_USED: Desc = card!(
    "memory_gtt_used_bytes",
    "The used amount of the graphics translation table (GTT) block in bytes."
);
const VIS_VRAM_SIZE: Desc = card!(
    "memory_vis_vram_size_bytes",
    "The size of visible VRAM in bytes."
);
const VIS_VRAM_USED: Desc = card!(
    "memory_vis_vram_used_bytes",
    "The used amount of visible VRAM in bytes."
);
const VRAM_SIZE: Desc = card!("memory_vram_size_bytes", "The size of VRAM in bytes.");
const VRAM_USED: Desc = card!(
    "memory_vram_used_bytes",
    "The used amount of VRAM in bytes."
);

pub(super) struct DrmCollector {
    class_dir: PathBuf,
    buf: Vec<u8>,
}

impl DrmCollector {
    pub(super) fn new(config: &UnixConfig) -> DrmCollector {
        DrmCollector {
            class_dir: config.sysfs_path.join("class/drm"),
            buf: Vec::new(),
        }
    }
}

impl Collector for DrmCollector {
    fn name(&self) -> &'static str {
        "drm"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        // node_exporter reports AMD cards only; no card (or no `drm` class) is a success.
        let cards = drm::amdgpu_cards(&self.class_dir, &mut self.buf).map_err(|e| e.to_string())?;
        for c in &cards {
            out.push(
                &CARD_INFO,
                &[
                    &c.name,
                    &c.memory_vram_vendor,
                    &c.power_dpm_force_performance_level,
                    &c.unique_id,
                    "amd",
                ],
                1.0,
            );
            let card = [c.name.as_str()];
            out.push(&GPU_BUSY, &card, c.gpu_busy_percent as f64);
            out.push(&GTT_SIZE, &card, c.memory_gtt_size as f64);
            out.push(&GTT_USED, &card, c.memory_gtt_used as f64);
            out.push(&VRAM_SIZE, &card, c.memory_vram_size as f64);
            out.push(&VRAM_USED, &card, c.memory_vram_used as f64);
            out.push(&VIS_VRAM_SIZE, &card, c.memory_visible_vram_size as f64);
            out.push(&VIS_VRAM_USED, &card, c.memory_visible_vram_used as f64);
        }
        Ok(())
    }
}
