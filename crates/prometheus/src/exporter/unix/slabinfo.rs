//! node_exporter's `slabinfo` collector: the kernel's slab caches, `/proc/slabinfo` (readable by
//! root only).

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig};

macro_rules! slab {
    ($name:literal, $help:literal) => {
        Desc::new(
            concat!("node_slabinfo_", $name),
            $help,
            MetricType::Gauge,
            &["slab"],
        )
    };
}

const ACTIVE: Desc = slab!(
    "active_objects",
    "The number of objects that are currently active (i.e., in use)."
);
const OBJECTS: Desc = slab!(
    "objects",
    "The total number of allocated objects (i.e., objects that are both in use and not in use)."
);
const SIZE: Desc = slab!(
    "object_size_bytes",
    "The size of objects in this slab, in bytes."
);
const PER_SLAB: Desc = slab!(
    "objects_per_slab",
    "The number of objects stored in each slab."
);
const PAGES: Desc = slab!(
    "pages_per_slab",
    "The number of pages allocated for each slab."
);

pub(super) struct SlabinfoCollector {
    file: KeptFile,
    buf: Vec<u8>,
}

impl SlabinfoCollector {
    pub(super) fn new(config: &UnixConfig) -> SlabinfoCollector {
        SlabinfoCollector {
            file: KeptFile::new(config.procfs_path.join("slabinfo")),
            buf: Vec::new(),
        }
    }
}

impl Collector for SlabinfoCollector {
    fn name(&self) -> &'static str {
        "slabinfo"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.file.read_into(&mut self.buf).map_err(|e| {
            format!(
                "couldn't get slabinfo: {}",
                open_error(self.file.path(), &e)
            )
        })?;
        let text = String::from_utf8_lossy(&self.buf);
        // node_exporter's default filters (include `.*`, no exclude) keep every cache.
        let slabs = ingot_hostfs::slabinfo::parse(&text)
            .map_err(|e| format!("couldn't get slabinfo: error parsing file: {e}"))?;
        for s in &slabs {
            out.push(&ACTIVE, &[s.name], s.active_objects as f64);
            out.push(&OBJECTS, &[s.name], s.objects as f64);
            out.push(&SIZE, &[s.name], s.object_size as f64);
            out.push(&PER_SLAB, &[s.name], s.objects_per_slab as f64);
            out.push(&PAGES, &[s.name], s.pages_per_slab as f64);
        }
        Ok(())
    }
}
