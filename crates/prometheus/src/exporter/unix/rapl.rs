//! node_exporter's `rapl` collector: Intel RAPL energy counters of `/sys/class/powercap`, one
//! family per zone name (Alloy leaves node_exporter's `--collector.rapl.enable-zone-label` off).

use std::path::PathBuf;

use ingot_hostfs::powercap;
use ingot_prom::exposition::{FamilySet, MetricType};

use super::exporter::NO_DATA;
use super::{Collector, IntText, UnixConfig};

pub(super) struct RaplCollector {
    class_dir: PathBuf,
    name: String,
    help: String,
    buf: Vec<u8>,
}

impl RaplCollector {
    pub(super) fn new(config: &UnixConfig) -> RaplCollector {
        RaplCollector {
            class_dir: config.sysfs_path.join("class/powercap"),
            name: String::new(),
            help: String::new(),
            buf: Vec::new(),
        }
    }
}

/// node_exporter's `SanitizeMetricName`: every run of characters other than `[0-9A-Za-z_]`, with
/// the underscores around it, becomes one `_`.
pub(super) fn sanitize_metric_name(name: &str, out: &mut String) {
    let bytes = name.as_bytes();
    let valid = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < bytes.len() {
        // Find the next invalid run; underscores directly before it join it.
        let Some(bad) = bytes[i..].iter().position(|&c| !valid(c)).map(|p| p + i) else {
            out.push_str(&name[i..]);
            break;
        };
        let mut start = bad;
        while start > i && bytes[start - 1] == b'_' {
            start -= 1;
        }
        let mut end = bad;
        while end < bytes.len() && !valid(bytes[end]) {
            end += 1;
        }
        while end < bytes.len() && bytes[end] == b'_' {
            end += 1;
        }
        out.push_str(&name[i..start]);
        out.push('_');
        i = end;
    }
}

impl Collector for RaplCollector {
    fn name(&self) -> &'static str {
        "rapl"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let zones = match powercap::rapl_zones(&self.class_dir, &mut self.buf) {
            Ok(z) => z,
            Err(e) if e.is_not_found() || e.is_permission() => return Err(NO_DATA.into()),
            Err(e) => return Err(format!("failed to retrieve rapl stats: {e}")),
        };
        for zone in &zones {
            let microjoules = match powercap::energy_microjoules(zone, &mut self.buf) {
                Ok(v) => v,
                Err(e) if e.is_permission() => return Err(NO_DATA.into()),
                Err(e) => return Err(e.to_string()),
            };
            self.name.clear();
            self.name.push_str("node_rapl_");
            sanitize_metric_name(&zone.name, &mut self.name);
            self.name.push_str("_joules_total");
            self.help.clear();
            self.help.push_str("Current RAPL ");
            self.help.push_str(&zone.name);
            self.help.push_str(" value in joules");
            let index = IntText::new(zone.index);
            out.family_with(
                &self.name,
                &self.help,
                MetricType::Counter,
                &["index", "path"],
            )
            .push(
                &[index.as_str(), &zone.path.display().to_string()],
                microjoules as f64 / 1_000_000.0,
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_as_node_exporter() {
        let s = |n: &str| {
            let mut out = String::new();
            sanitize_metric_name(n, &mut out);
            out
        };
        assert_eq!(s("package"), "package");
        assert_eq!(s("dram-x"), "dram_x");
        assert_eq!(s("a__-__b"), "a_b");
        assert_eq!(s("a.b.c"), "a_b_c");
        assert_eq!(s("-a-"), "_a_");
        assert_eq!(s("a_b"), "a_b");
    }
}
