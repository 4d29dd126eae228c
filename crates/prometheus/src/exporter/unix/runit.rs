//! node_exporter's `runit` collector (deprecated upstream, still in Alloy's schema): the state runsv
//! records for each service of the `runit` block's `service_dir`, read as prometheus-community/go-runit
//! reads it.

use std::io::Read;
use std::path::PathBuf;

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig};

const LABELS: &[&str] = &["service", "supervisor"];
const STATE: Desc = Desc::new(
    "node_service_state",
    "State of runit service.",
    MetricType::Gauge,
    LABELS,
);
const DESIRED: Desc = Desc::new(
    "node_service_desired_state",
    "Desired state of runit service.",
    MetricType::Gauge,
    LABELS,
);
const NORMAL: Desc = Desc::new(
    "node_service_normal_state",
    "Normal state of runit service.",
    MetricType::Gauge,
    LABELS,
);
const TIMESTAMP: Desc = Desc::new(
    "node_service_state_last_change_timestamp_seconds",
    "Unix timestamp of the last runit service state change.",
    MetricType::Gauge,
    LABELS,
);

/// runsv writes TAI64 labels: seconds since 1970 plus 2^62 (and the 10 s TAI offset go-runit keeps).
const TAI_OFFSET: i64 = 4_611_686_018_427_387_914;

pub(super) struct RunitCollector {
    dir: PathBuf,
}

impl RunitCollector {
    pub(super) fn new(config: &UnixConfig) -> RunitCollector {
        let dir = &config.runit.service_dir;
        RunitCollector {
            // go-runit's default when the directory is empty.
            dir: PathBuf::from(if dir.is_empty() { "/etc/service" } else { dir }),
        }
    }
}

/// What `supervise/status` holds (the first 20 bytes; a shorter file leaves zeros, as go-runit's
/// single read does).
struct Status {
    state: u8,
    want_up: bool,
    timestamp: i64,
}

fn parse_status(raw: &[u8; 20]) -> Status {
    let tai = raw[..8].iter().fold(0i64, |acc, &b| {
        acc.wrapping_shl(8).wrapping_add(i64::from(b))
    });
    Status {
        state: raw[19],
        want_up: raw[17] == b'u',
        timestamp: tai.wrapping_sub(TAI_OFFSET),
    }
}

impl Collector for RunitCollector {
    fn name(&self) -> &'static str {
        "runit"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let entries = std::fs::read_dir(&self.dir).map_err(|e| open_error(&self.dir, &e))?;
        // Services are the directories and symbolic links, by name as Go's os.ReadDir sorts them.
        let mut services: Vec<String> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| open_error(&self.dir, &e))?;
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() || kind.is_symlink() {
                services.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        services.sort_unstable();
        for name in &services {
            let supervise = self.dir.join(name).join("supervise");
            // A service runsv does not run has no status: left out, as upstream does (at debug level).
            let mut raw = [0u8; 20];
            let read =
                std::fs::File::open(supervise.join("status")).and_then(|mut f| f.read(&mut raw));
            if !matches!(read, Ok(n) if n > 0) {
                continue;
            }
            let status = parse_status(&raw);
            // go-runit looks for `down` under supervise/, not beside it: a service is "normally
            // up" unless that file exists.
            let normally_up = std::fs::metadata(supervise.join("down")).is_err();
            let labels = [name.as_str(), "runit"];
            out.push(&STATE, &labels, f64::from(status.state));
            out.push(&DESIRED, &labels, if status.want_up { 1.0 } else { 0.0 });
            out.push(&TIMESTAMP, &labels, status.timestamp as f64);
            out.push(&NORMAL, &labels, if normally_up { 1.0 } else { 0.0 });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_bytes_as_go_runit_reads_them() {
        let mut raw = [0u8; 20];
        // TAI64 of 1700000000: 2^62 + 10 + 1700000000.
        raw[..8].copy_from_slice(&(TAI_OFFSET + 1_700_000_000).to_be_bytes());
        raw[12..16].copy_from_slice(&4242u32.to_le_bytes());
        raw[17] = b'u';
        raw[19] = 1;
        let s = parse_status(&raw);
        assert_eq!(s.timestamp, 1_700_000_000);
        assert!(s.want_up);
        assert_eq!(s.state, 1);
        raw[17] = b'd';
        assert!(!parse_status(&raw).want_up);
    }

    #[test]
    fn missing_directory_fails_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let config = UnixConfig {
            runit: super::super::RunitConfig {
                service_dir: dir.path().join("none").display().to_string(),
            },
            ..UnixConfig::default()
        };
        let err = RunitCollector::new(&config)
            .update(&mut FamilySet::new())
            .unwrap_err();
        assert!(
            err.starts_with("open ") && err.ends_with("/none: no such file or directory"),
            "{err}"
        );
    }
}
