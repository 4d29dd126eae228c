//! node_exporter's `cgroups` collector: the cgroup v1 controllers of `/proc/cgroups`.

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig};

const CGROUPS: Desc = Desc::new(
    "node_cgroups_cgroups",
    "Current cgroup number of the subsystem.",
    MetricType::Gauge,
    &["subsys_name"],
);
// node_exporter gives both families the same help.
const ENABLED: Desc = Desc::new(
    "node_cgroups_enabled",
    "Current cgroup number of the subsystem.",
    MetricType::Gauge,
    &["subsys_name"],
);

pub(super) struct CgroupsCollector {
    file: KeptFile,
    buf: Vec<u8>,
}

impl CgroupsCollector {
    pub(super) fn new(config: &UnixConfig) -> CgroupsCollector {
        CgroupsCollector {
            file: KeptFile::new(config.procfs_path.join("cgroups")),
            buf: Vec::new(),
        }
    }
}

impl Collector for CgroupsCollector {
    fn name(&self) -> &'static str {
        "cgroups"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.file
            .read_into(&mut self.buf)
            .map_err(|e| open_error(self.file.path(), &e))?;
        let text = String::from_utf8_lossy(&self.buf);
        let summary = ingot_hostfs::buddyinfo::cgroups(&text)
            .map_err(|e| format!("error parsing file: {e}"))?;
        for (name, cgroups, enabled) in summary {
            out.push(&CGROUPS, &[name], cgroups as f64);
            out.push(&ENABLED, &[name], enabled as f64);
        }
        Ok(())
    }
}
