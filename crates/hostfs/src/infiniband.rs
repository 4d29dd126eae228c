//! `/sys/class/infiniband/<device>/ports/<port>`: InfiniBand (and RoCE) ports and their counters,
//! as prometheus/procfs 0.21 reads them.

use std::path::Path;

use crate::sysfs::{self, EntryKind, SysError};

/// Files of `counters/`; the `*_data` ones count 4-byte words, which procfs turns into bytes.
pub const COUNTERS: &[&str] = &[
    "excessive_buffer_overrun_errors",
    "link_downed",
    "link_error_recovery",
    "local_link_integrity_errors",
    "multicast_rcv_packets",
    "multicast_xmit_packets",
    "port_rcv_constraint_errors",
    "port_rcv_data",
    "port_rcv_discards",
    "port_rcv_errors",
    "port_rcv_packets",
    "port_rcv_remote_physical_errors",
    "port_rcv_switch_relay_errors",
    "port_xmit_constraint_errors",
    "port_xmit_data",
    "port_xmit_discards",
    "port_xmit_packets",
    "port_xmit_wait",
    "symbol_error",
    "unicast_rcv_packets",
    "unicast_xmit_packets",
    "VL15_dropped",
];

/// Files of `counters_ext/` (the legacy 64-bit counters).
pub const COUNTERS_EXT: &[&str] = &[
    "port_multicast_rcv_packets",
    "port_multicast_xmit_packets",
    "port_rcv_data_64",
    "port_rcv_packets_64",
    "port_unicast_rcv_packets",
    "port_unicast_xmit_packets",
    "port_xmit_data_64",
    "port_xmit_packets_64",
];

/// Files of `hw_counters/` (mlx5's and others' driver counters).
pub const HW_COUNTERS: &[&str] = &[
    "duplicate_request",
    "implied_nak_seq_err",
    "lifespan",
    "local_ack_timeout_err",
    "np_cnp_sent",
    "np_ecn_marked_roce_packets",
    "out_of_buffer",
    "out_of_sequence",
    "packet_seq_err",
    "req_cqe_error",
    "req_cqe_flush_error",
    "req_remote_access_errors",
    "req_remote_invalid_request",
    "resp_cqe_error",
    "resp_cqe_flush_error",
    "resp_local_length_error",
    "resp_remote_access_errors",
    "rnr_nak_retry_err",
    "roce_adp_retrans",
    "roce_adp_retrans_to",
    "roce_slow_restart",
    "roce_slow_restart_cnps",
    "roce_slow_restart_trans",
    "rp_cnp_handled",
    "rp_cnp_ignored",
    "rx_atomic_requests",
    "rx_dct_connect",
    "rx_icrc_encapsulated",
    "rx_read_requests",
    "rx_write_requests",
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IbPort {
    pub port: u32,
    pub state_id: u32,
    pub phys_state_id: u32,
    /// Bytes per second, from `rate` (`40 Gb/sec (4X QDR)`).
    pub rate: u64,
    pub counters: Vec<(&'static str, u64)>,
    pub counters_ext: Vec<(&'static str, u64)>,
    pub hw_counters: Vec<(&'static str, u64)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IbDevice {
    pub name: String,
    pub board_id: String,
    pub firmware_version: String,
    pub hca_type: String,
    /// Sorted by port number.
    pub ports: Vec<IbPort>,
}

/// `<id>: <NAME>` of `state` and `phys_state`.
fn parse_state(s: &str) -> Result<u32, SysError> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 2 {
        return Err(SysError::msg(format!(
            "failed to split {s} into 'ID: NAME'"
        )));
    }
    let id = parts[0].trim();
    id.parse::<u32>()
        .map_err(|_| SysError::msg(format!("failed to convert {id} into uint")))
}

/// procfs' `parseRate`: the number before the first space, read as a float32 (as procfs does),
/// in Gb/s, made bytes per second.
fn parse_rate(s: &str) -> Result<u64, SysError> {
    let Some((number, _)) = s.split_once(' ') else {
        return Err(SysError::msg(format!("failed to split {s:?}")));
    };
    let number = number.trim();
    let v: f32 = number
        .parse()
        .map_err(|_| SysError::msg(format!("failed to convert {number} into uint")))?;
    Ok((f64::from(v) * 125_000_000.0) as u64)
}

/// Reads the counters of one directory that appear in `known`. Missing, permission, EOPNOTSUPP and
/// EINVAL files are skipped, as are values reading `N/A (no PMA)`; other values that do not parse
/// fail.
fn read_counters(
    dir: &Path,
    known: &[&'static str],
    out: &mut Vec<(&'static str, u64)>,
    buf: &mut Vec<u8>,
) -> Result<(), SysError> {
    for entry in sysfs::read_dir(dir)? {
        if entry.kind != EntryKind::File {
            continue;
        }
        let Some(&name) = known.iter().find(|k| **k == entry.name) else {
            continue;
        };
        let path = dir.join(&entry.name);
        let value = match sysfs::read_value(&path, buf) {
            Ok(v) => v,
            Err(e) if e.is_ignorable_attribute() => continue,
            Err(e) => {
                return Err(e.context(format!(
                    "failed to read file {:?}",
                    path.display().to_string()
                )))
            }
        };
        match sysfs::parse_uint_base0(&value) {
            Some(v) => {
                let words = matches!(
                    name,
                    "port_rcv_data" | "port_xmit_data" | "port_rcv_data_64" | "port_xmit_data_64"
                );
                out.push((name, if words { v.wrapping_mul(4) } else { v }));
            }
            None if value.contains("N/A (no PMA)") => {}
            None => {
                return Err(SysError::msg(format!(
                    "strconv.ParseUint: parsing {value:?}: invalid syntax"
                )))
            }
        }
    }
    Ok(())
}

fn read_text(path: &Path, buf: &mut Vec<u8>) -> Result<String, SysError> {
    Ok(String::from_utf8_lossy(sysfs::read_file(path, buf)?).into_owned())
}

/// Every device of `<sysfs>/class/infiniband`, sorted. Fails (with the missing file's ENOENT, which
/// node_exporter takes for "no data") when a device's `fw_ver`, a port's `link_layer`, `state`,
/// `phys_state` or `rate` cannot be read.
pub fn devices(class_dir: &Path, buf: &mut Vec<u8>) -> Result<Vec<IbDevice>, SysError> {
    let mut devices = Vec::new();
    for entry in sysfs::read_dir(class_dir)? {
        let dir = class_dir.join(&entry.name);
        let mut device = IbDevice {
            name: entry.name.clone(),
            firmware_version: sysfs::read_value(&dir.join("fw_ver"), buf)
                .map_err(|e| e.context("failed to read HCA firmware version"))?,
            ..IbDevice::default()
        };
        for file in ["board_id", "hca_type", "node_guid"] {
            let path = dir.join(file);
            let value = match sysfs::read_value(&path, buf) {
                Ok(v) => v,
                Err(e) if e.is_not_found_unwrapped() => continue,
                Err(e) => {
                    return Err(e.context(format!(
                        "failed to read file {:?}",
                        path.display().to_string()
                    )))
                }
            };
            match file {
                "board_id" => device.board_id = value,
                "hca_type" => device.hca_type = value,
                _ => {}
            }
        }
        let ports_dir = dir.join("ports");
        let ports = sysfs::read_dir(&ports_dir).map_err(|e| {
            e.context(format!(
                "failed to list InfiniBand ports at {:?}",
                ports_dir.display().to_string()
            ))
        })?;
        for p in ports {
            let number: u32 = p
                .name
                .parse()
                .map_err(|_| SysError::msg(format!("failed to convert {} into uint", p.name)))?;
            let port_dir = ports_dir.join(&p.name);
            read_text(&port_dir.join("link_layer"), buf)?;
            let state = read_text(&port_dir.join("state"), buf)?;
            let state_id = parse_state(&state).map_err(|e| {
                e.context(format!(
                    "could not parse state file in {:?}",
                    port_dir.display().to_string()
                ))
            })?;
            let phys = read_text(&port_dir.join("phys_state"), buf)?;
            let phys_state_id = parse_state(&phys).map_err(|e| {
                e.context(format!(
                    "could not parse phys_state file in {:?}",
                    port_dir.display().to_string()
                ))
            })?;
            let rate = read_text(&port_dir.join("rate"), buf)?;
            let rate = parse_rate(&rate).map_err(|e| {
                e.context(format!(
                    "could not parse rate file in {:?}",
                    port_dir.display().to_string()
                ))
            })?;
            let mut port = IbPort {
                port: number,
                state_id,
                phys_state_id,
                rate,
                ..IbPort::default()
            };
            if port_dir.join("counters").exists() {
                read_counters(
                    &port_dir.join("counters"),
                    COUNTERS,
                    &mut port.counters,
                    buf,
                )?;
                match read_counters(
                    &port_dir.join("counters_ext"),
                    COUNTERS_EXT,
                    &mut port.counters_ext,
                    buf,
                ) {
                    Err(e) if e.is_not_found_unwrapped() => {}
                    other => other?,
                }
            }
            if port_dir.join("hw_counters").exists() {
                read_counters(
                    &port_dir.join("hw_counters"),
                    HW_COUNTERS,
                    &mut port.hw_counters,
                    buf,
                )?;
            }
            device.ports.push(port);
        }
        device.ports.sort_by_key(|p| p.port);
        devices.push(device);
    }
    Ok(devices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_rates() {
        assert_eq!(parse_state("4: ACTIVE\n").unwrap(), 4);
        assert!(parse_state("ACTIVE").is_err());
        assert_eq!(parse_rate("40 Gb/sec (4X QDR)\n").unwrap(), 5_000_000_000);
        assert_eq!(parse_rate("2.5 Gb/sec (1X SDR)").unwrap(), 312_500_000);
        assert!(parse_rate("fast").is_err());
    }
}
