//! node_exporter's `selinux` collector: whether SELinux is enabled and its configured and current
//! enforcement modes. Like node_exporter (through go-selinux), it reads the host's own selinuxfs and
//! `/etc/selinux/config`, not the configured procfs or root paths.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::Collector;

const CONFIG_MODE: Desc = Desc::new(
    "node_selinux_config_mode",
    "Configured SELinux enforcement mode",
    MetricType::Gauge,
    &[],
);
const CURRENT_MODE: Desc = Desc::new(
    "node_selinux_current_mode",
    "Current SELinux enforcement mode",
    MetricType::Gauge,
    &[],
);
const ENABLED: Desc = Desc::new(
    "node_selinux_enabled",
    "SELinux is enabled, 1 is true, 0 is false",
    MetricType::Gauge,
    &[],
);

/// go-selinux decides once per process whether SELinux is enabled; so does this collector.
pub(super) struct SelinuxCollector {
    enabled: Option<bool>,
}

impl SelinuxCollector {
    pub(super) fn new() -> SelinuxCollector {
        SelinuxCollector { enabled: None }
    }
}

impl Collector for SelinuxCollector {
    fn name(&self) -> &'static str {
        "selinux"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        if self.enabled == Some(false) {
            out.push(&ENABLED, &[], 0.0);
            return Ok(());
        }
        let state = ingot_hostfs::selinux::state();
        if !*self.enabled.get_or_insert(state.enabled) {
            out.push(&ENABLED, &[], 0.0);
            return Ok(());
        }
        out.push(&ENABLED, &[], 1.0);
        out.push(&CONFIG_MODE, &[], state.config_mode as f64);
        out.push(&CURRENT_MODE, &[], state.current_mode as f64);
        Ok(())
    }
}
