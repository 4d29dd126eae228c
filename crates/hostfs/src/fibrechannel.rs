//! `/sys/class/fc_host/<host>`: Fibre Channel host adapters, as prometheus/procfs 0.21 reads them.

use std::path::Path;

use crate::sysfs::{self, EntryKind, SysError};

/// The `statistics/` counters node_exporter reports, by file name.
pub const COUNTERS: &[&str] = &[
    "dumped_frames",
    "error_frames",
    "fcp_packet_aborts",
    "invalid_crc_count",
    "invalid_tx_word_count",
    "link_failure_count",
    "loss_of_signal_count",
    "loss_of_sync_count",
    "nos_count",
    "rx_frames",
    "rx_words",
    "seconds_since_last_reset",
    "tx_frames",
    "tx_words",
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FcHost {
    pub name: String,
    pub speed: Option<String>,
    pub port_state: Option<String>,
    pub port_type: Option<String>,
    pub symbolic_name: Option<String>,
    pub node_name: Option<String>,
    /// Without the `0x` prefix, as procfs strips it.
    pub port_id: Option<String>,
    pub port_name: Option<String>,
    pub fabric_name: Option<String>,
    pub dev_loss_tmo: Option<String>,
    pub supported_classes: Option<String>,
    pub supported_speeds: Option<String>,
    /// `(file, value)` of the [`COUNTERS`] present; values are `strconv.ParseUint(s, 0, 64)`.
    pub counters: Vec<(&'static str, u64)>,
}

impl FcHost {
    pub fn counter(&self, file: &str) -> Option<u64> {
        self.counters
            .iter()
            .find(|(f, _)| *f == file)
            .map(|(_, v)| *v)
    }
}

/// Every host of `<sysfs>/class/fc_host`, sorted. Missing attributes are `None`; other read
/// failures and counters that do not parse fail the class.
pub fn fc_hosts(class_dir: &Path, buf: &mut Vec<u8>) -> Result<Vec<FcHost>, SysError> {
    let mut hosts = Vec::new();
    for entry in sysfs::read_dir(class_dir)? {
        let dir = class_dir.join(&entry.name);
        let mut host = FcHost {
            name: entry.name.clone(),
            ..FcHost::default()
        };
        for (file, strip) in [
            ("speed", false),
            ("port_state", false),
            ("port_type", false),
            ("node_name", true),
            ("port_id", true),
            ("port_name", true),
            ("fabric_name", true),
            ("dev_loss_tmo", false),
            ("symbolic_name", false),
            ("supported_classes", false),
            ("supported_speeds", false),
        ] {
            let path = dir.join(file);
            let mut value = match sysfs::read_value(&path, buf) {
                Ok(v) => v,
                Err(e) if e.is_not_found_unwrapped() => continue,
                Err(e) => {
                    return Err(e.context(format!(
                        "failed to read file {:?}",
                        path.display().to_string()
                    )))
                }
            };
            if strip && value.len() > 2 {
                value.drain(..2);
            }
            let slot = match file {
                "speed" => &mut host.speed,
                "port_state" => &mut host.port_state,
                "port_type" => &mut host.port_type,
                "node_name" => &mut host.node_name,
                "port_id" => &mut host.port_id,
                "port_name" => &mut host.port_name,
                "fabric_name" => &mut host.fabric_name,
                "dev_loss_tmo" => &mut host.dev_loss_tmo,
                "symbolic_name" => &mut host.symbolic_name,
                "supported_classes" => &mut host.supported_classes,
                _ => &mut host.supported_speeds,
            };
            *slot = Some(value);
        }
        let stats = dir.join("statistics");
        let files = match sysfs::read_dir(&stats) {
            Ok(f) => f,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(e),
        };
        for file in files {
            if file.kind != EntryKind::File || file.name == "reset_statistics" {
                continue;
            }
            let Some(&counter) = COUNTERS.iter().find(|c| **c == file.name) else {
                continue;
            };
            let path = stats.join(&file.name);
            let value = match sysfs::read_value(&path, buf) {
                Ok(v) => v,
                Err(e)
                    if e.is_not_found()
                        || matches!(e.errno(), Some(libc::EOPNOTSUPP) | Some(libc::EINVAL)) =>
                {
                    continue
                }
                Err(e) => {
                    return Err(e.context(format!(
                        "failed to read file {:?}",
                        path.display().to_string()
                    )))
                }
            };
            let v = sysfs::parse_uint_base0(&value).ok_or_else(|| {
                SysError::msg(format!(
                    "strconv.ParseUint: parsing {value:?}: invalid syntax"
                ))
            })?;
            host.counters.push((counter, v));
        }
        hosts.push(host);
    }
    Ok(hosts)
}
