//! node_exporter's `cpu_vulnerabilities` collector (off by default): one
//! `node_cpu_vulnerabilities_info` series per file of `/sys/devices/system/cpu/vulnerabilities`, with
//! the state and the mitigation procfs reads from its text.

use std::io::Read;
use std::path::PathBuf;

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig};

const INFO: Desc = Desc::new(
    "node_cpu_vulnerabilities_info",
    "Details of each CPU vulnerability reported by sysfs. The value of the series is an int encoded state of the vulnerability. The same state is stored as a string in the label",
    MetricType::Gauge,
    &["codename", "state", "mitigation"],
);

pub(super) struct CpuVulnerabilitiesCollector {
    dir: PathBuf,
    buf: Vec<u8>,
}

impl CpuVulnerabilitiesCollector {
    pub(super) fn new(config: &UnixConfig) -> CpuVulnerabilitiesCollector {
        CpuVulnerabilitiesCollector {
            dir: config.sysfs_path.join("devices/system/cpu/vulnerabilities"),
            buf: Vec::new(),
        }
    }
}

/// procfs' `parseVulnerability`: the state from the text's start, in any case; for every state but
/// "not affected", the words after the first joined by single spaces are the mitigation; text in no
/// known state is "unknown" with the whole text as its mitigation.
fn parse(raw: &str) -> (&'static str, String) {
    let text = raw.trim();
    let lower = text.to_lowercase();
    let rest = || {
        text.split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    if lower.starts_with("not affected") {
        ("not affected", String::new())
    } else if lower.starts_with("vulnerable") {
        ("vulnerable", rest())
    } else if lower.starts_with("mitigation") {
        ("mitigation", rest())
    } else if lower.starts_with("unknown") {
        ("unknown", rest())
    } else {
        ("unknown", text.to_owned())
    }
}

impl Collector for CpuVulnerabilitiesCollector {
    fn name(&self) -> &'static str {
        "cpu_vulnerabilities"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        // Go's glob `vulnerabilities/*`: no directory, no series; every file read before any is reported.
        let names = ingot_hostfs::sysfs::glob(&self.dir, |_| true);
        let mut rows = Vec::with_capacity(names.len());
        for name in names {
            let path = self.dir.join(&name);
            let mut file = std::fs::File::open(&path)
                .map_err(|e| format!("failed to get vulnerabilities: {}", open_error(&path, &e)))?;
            self.buf.clear();
            file.read_to_end(&mut self.buf).map_err(|e| {
                format!(
                    "failed to get vulnerabilities: read {}: {}",
                    path.display(),
                    ingot_hostfs::errno::go_error_text(&e)
                )
            })?;
            let (state, mitigation) = parse(&String::from_utf8_lossy(&self.buf));
            rows.push((name, state, mitigation));
        }
        let family = out.family(&INFO);
        for (name, state, mitigation) in &rows {
            family.push(&[name, state, mitigation], 1.0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn states_and_mitigations_as_procfs_reads_them() {
        let p = |s| {
            let (state, m) = parse(s);
            (state, m)
        };
        assert_eq!(p("Not affected\n"), ("not affected", String::new()));
        assert_eq!(p("Vulnerable\n"), ("vulnerable", String::new()));
        assert_eq!(
            p("Vulnerable: Clear CPU buffers attempted,  no microcode; SMT vulnerable\n"),
            (
                "vulnerable",
                "Clear CPU buffers attempted, no microcode; SMT vulnerable".into()
            )
        );
        assert_eq!(p("Mitigation: PTI\n"), ("mitigation", "PTI".to_string()));
        assert_eq!(
            p("KVM: Mitigation: VMX disabled"),
            ("unknown", "KVM: Mitigation: VMX disabled".into())
        );
        assert_eq!(
            p("Unknown: No mitigations"),
            ("unknown", "No mitigations".into())
        );
    }
}
