//! node_exporter's `drbd` collector (off by default): DRBD 8's `/proc/drbd`, read word by word as
//! `key:value` pairs; `<minor>:` starts a device (`drbd<minor>`).

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig, NO_DATA};

macro_rules! device {
    ($name:literal, $help:literal, $kind:ident) => {
        Desc::new(
            concat!("node_drbd_", $name),
            $help,
            MetricType::$kind,
            &["device"],
        )
    };
}

/// Numeric fields, their families and multipliers (the kernel counts these in KiB).
const NUMERIC: [(&str, Desc, f64); 12] = [
    (
        "ns",
        device!(
            "network_sent_bytes_total",
            "Total number of bytes sent via the network.",
            Counter
        ),
        1024.0,
    ),
    (
        "nr",
        device!(
            "network_received_bytes_total",
            "Total number of bytes received via the network.",
            Counter
        ),
        1.0,
    ),
    (
        "dw",
        device!(
            "disk_written_bytes_total",
            "Net data written on local hard disk; in bytes.",
            Counter
        ),
        1024.0,
    ),
    (
        "dr",
        device!(
            "disk_read_bytes_total",
            "Net data read from local hard disk; in bytes.",
            Counter
        ),
        1024.0,
    ),
    (
        "al",
        device!(
            "activitylog_writes_total",
            "Number of updates of the activity log area of the meta data.",
            Counter
        ),
        1.0,
    ),
    (
        "bm",
        device!(
            "bitmap_writes_total",
            "Number of updates of the bitmap area of the meta data.",
            Counter
        ),
        1.0,
    ),
    (
        "lo",
        device!(
            "local_pending",
            "Number of open requests to the local I/O sub-system.",
            Gauge
        ),
        1.0,
    ),
    (
        "pe",
        device!(
            "remote_pending",
            "Number of requests sent to the peer, but that have not yet been answered by the latter.",
            Gauge
        ),
        1.0,
    ),
    (
        "ua",
        device!(
            "remote_unacknowledged",
            "Number of requests received by the peer via the network connection, but that have not yet been answered.",
            Gauge
        ),
        1.0,
    ),
    (
        "ap",
        device!(
            "application_pending",
            "Number of block I/O requests forwarded to DRBD, but not yet answered by DRBD.",
            Gauge
        ),
        1.0,
    ),
    (
        "ep",
        device!(
            "epochs",
            "Number of Epochs currently on the fly.",
            Gauge
        ),
        1.0,
    ),
    (
        "oos",
        device!(
            "out_of_sync_bytes",
            "Amount of data known to be out of sync; in bytes.",
            Gauge
        ),
        1024.0,
    ),
];

/// `local/remote` pairs: 1 for the side in the good state.
const PAIRS: [(&str, Desc, &str); 2] = [
    (
        "ro",
        Desc::new(
            "node_drbd_node_role_is_primary",
            "Whether the role of the node is in the primary state.",
            MetricType::Gauge,
            &["device", "node"],
        ),
        "Primary",
    ),
    (
        "ds",
        Desc::new(
            "node_drbd_disk_state_is_up_to_date",
            "Whether the disk of the node is up to date.",
            MetricType::Gauge,
            &["device", "node"],
        ),
        "UpToDate",
    ),
];

const CONNECTED: Desc = device!("connected", "Whether DRBD is connected to the peer.", Gauge);

pub(super) struct DrbdCollector {
    file: KeptFile,
    buf: Vec<u8>,
}

impl DrbdCollector {
    pub(super) fn new(config: &UnixConfig) -> DrbdCollector {
        DrbdCollector {
            file: KeptFile::new(config.procfs_path.join("drbd")),
            buf: Vec::new(),
        }
    }
}

/// Reports every pair of `text` as node_exporter does, in file order; stops at a bad number (with
/// what came before it reported, as there).
fn collect(text: &str, path: &std::path::Path, out: &mut FamilySet) -> Result<(), String> {
    let mut device = String::from("unknown");
    for word in text.split_whitespace() {
        let mut kv = word.split(':');
        let (Some(key), Some(value), None) = (kv.next(), kv.next(), kv.next()) else {
            continue;
        };
        if value.is_empty() {
            if let Some(minor) = ingot_hostfs::num::parse_u64_dec(key) {
                device = format!("drbd{minor}");
                continue;
            }
        }
        if let Some((_, desc, multiplier)) = NUMERIC.iter().find(|(k, _, _)| *k == key) {
            let v = ingot_gocompat::strconv::parse_float(value)?;
            out.push(desc, &[&device], v * multiplier);
        } else if let Some((_, desc, ok)) = PAIRS.iter().find(|(k, _, _)| *k == key) {
            // node_exporter indexes the second half unchecked (a value without `/` panics it).
            let Some((local, remote)) = value.split_once('/') else {
                return Err(format!(
                    "{}: {device}: {key}:{value} is not a local/remote pair",
                    path.display()
                ));
            };
            let remote = remote.split('/').next().unwrap_or(remote);
            let state = |v: &str| if v == *ok { 1.0 } else { 0.0 };
            out.push(desc, &[&device, "local"], state(local));
            out.push(desc, &[&device, "remote"], state(remote));
        } else if key == "cs" {
            let connected = if value == "Connected" { 1.0 } else { 0.0 };
            out.push(&CONNECTED, &[&device], connected);
        }
    }
    Ok(())
}

impl Collector for DrbdCollector {
    fn name(&self) -> &'static str {
        "drbd"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        match self.file.read_into(&mut self.buf) {
            Ok(()) => {}
            // No DRBD module loaded: nothing to collect (node_exporter's ErrNoData).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(NO_DATA.into()),
            Err(e) => return Err(open_error(self.file.path(), &e)),
        }
        let text = String::from_utf8_lossy(&self.buf);
        collect(&text, self.file.path(), out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str) -> (String, Result<(), String>) {
        let mut out = FamilySet::new();
        let r = collect(text, std::path::Path::new("/proc/drbd"), &mut out);
        (out.encode_to_string(), r)
    }

    #[test]
    fn devices_pairs_and_bad_values() {
        let (body, r) = render(
            "version: 8.4.3 (api:1/proto:86-101)\n 0: cs:StandAlone ro:Secondary/Unknown ds:Diskless/DUnknown\n    ns:1 oos:2\n 7: cs:Connected ro:Primary/Secondary/x\n",
        );
        assert_eq!(r, Ok(()));
        for line in [
            "node_drbd_connected{device=\"drbd0\"} 0",
            "node_drbd_connected{device=\"drbd7\"} 1",
            "node_drbd_network_sent_bytes_total{device=\"drbd0\"} 1024",
            "node_drbd_out_of_sync_bytes{device=\"drbd0\"} 2048",
            "node_drbd_node_role_is_primary{device=\"drbd0\",node=\"local\"} 0",
            "node_drbd_node_role_is_primary{device=\"drbd7\",node=\"local\"} 1",
            "node_drbd_node_role_is_primary{device=\"drbd7\",node=\"remote\"} 0",
        ] {
            assert!(body.contains(line), "{line} in\n{body}");
        }
        let (body, r) = render(" 1: ns:5 nr:x dw:1\n");
        assert_eq!(
            r.unwrap_err(),
            "strconv.ParseFloat: parsing \"x\": invalid syntax"
        );
        assert!(body.contains("node_drbd_network_sent_bytes_total{device=\"drbd1\"} 5120"));
        assert!(!body.contains("disk_written"));
        let (_, r) = render(" 1: ro:Primary\n");
        assert_eq!(
            r.unwrap_err(),
            "/proc/drbd: drbd1: ro:Primary is not a local/remote pair"
        );
    }
}
