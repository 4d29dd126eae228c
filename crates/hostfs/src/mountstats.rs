//! `/proc/<pid>/mountstats`: per-mount statistics, of which NFS mounts carry byte, event,
//! transport and per-operation counters. Parsed as procfs's `parseMountStats`.

use crate::ParseError;

/// An NFS transport (`xprt:` line), the counters node_exporter reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transport {
    pub protocol: String,
    pub bind: u64,
    pub connect: u64,
    pub idle_time_seconds: u64,
    pub sends: u64,
    pub receives: u64,
    pub bad_transaction_ids: u64,
    pub cumulative_backlog: u64,
    pub maximum_rpc_slots_used: u64,
    pub cumulative_sending_queue: u64,
    pub cumulative_pending_queue: u64,
}

/// One `per-op statistics` row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operation {
    pub name: String,
    pub requests: u64,
    pub transmissions: u64,
    pub major_timeouts: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub queue_ms: u64,
    pub response_ms: u64,
    pub request_ms: u64,
}

/// An NFS mount's statistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NfsStats {
    pub age_seconds: f64,
    /// `bytes:` — read, write, direct read, direct write, read total, write total, read pages,
    /// write pages.
    pub bytes: [u64; 8],
    /// `events:`, the 27 counters in the kernel's order.
    pub events: [u64; 27],
    pub transports: Vec<Transport>,
    pub operations: Vec<Operation>,
}

/// A `device ... mounted on ... with fstype ...` entry; `nfs` is set for NFS mounts with statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct Mount {
    pub device: String,
    pub mount_point: String,
    pub fs_type: String,
    pub nfs: Option<NfsStats>,
}

fn bad(what: &str, fields: &[&str]) -> ParseError {
    ParseError::new(format!("{what}: {fields:?}"))
}

fn numbers(fields: &[&str]) -> Result<Vec<u64>, ParseError> {
    fields
        .iter()
        .map(|f| {
            crate::num::parse_u64_dec(f).ok_or_else(|| {
                ParseError::new(format!("strconv.ParseUint: parsing {f:?}: invalid syntax"))
            })
        })
        .collect()
}

/// Go's `time.ParseDuration(s + "s")` for the plain decimal numbers `age:` holds, in seconds.
fn age(s: &str) -> Result<f64, ParseError> {
    let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let v = if ok { crate::num::parse_f64(s) } else { None };
    v.ok_or_else(|| ParseError::new(format!("time: invalid duration \"{s}s\"")))
}

fn transport(fields: &[&str], version: &str) -> Result<Transport, ParseError> {
    let protocol = fields[0];
    let ss = &fields[1..];
    let expected = match (version, protocol) {
        ("1.0", "tcp") => 10,
        ("1.0", "udp") => 7,
        ("1.1", "tcp") => 13,
        ("1.1", "udp") => 10,
        ("1.1", "rdma") => 20,
        ("1.0" | "1.1", _) => {
            return Err(bad(
                &format!("invalid NFS protocol {protocol:?} in stats {version} statement"),
                ss,
            ))
        }
        _ => {
            return Err(ParseError::new(format!(
                "Unrecognized NFS transport stats version: {version:?}, protocol: {protocol}"
            )))
        }
    };
    let fits = if protocol == "rdma" {
        ss.len() >= expected
    } else {
        ss.len() == expected
    };
    if !fits {
        return Err(bad(
            &format!("invalid NFS transport stats {version} statement"),
            ss,
        ));
    }
    let mut ns = numbers(ss)?;
    ns.resize(31.max(ns.len()), 0);
    // UDP has no connect, connect-idle and idle times: procfs shifts the rest by three.
    if protocol == "udp" {
        let tail: Vec<u64> = ns[2..].to_vec();
        ns.truncate(2);
        ns.extend_from_slice(&[0, 0, 0]);
        ns.extend(tail);
    }
    Ok(Transport {
        protocol: protocol.to_owned(),
        bind: ns[1],
        connect: ns[2],
        idle_time_seconds: ns[4],
        sends: ns[5],
        receives: ns[6],
        bad_transaction_ids: ns[7],
        cumulative_backlog: ns[9],
        maximum_rpc_slots_used: ns[10],
        cumulative_sending_queue: ns[11],
        cumulative_pending_queue: ns[12],
    })
}

/// procfs's `parseMountStats`.
pub fn parse(text: &str) -> Result<Vec<Mount>, ParseError> {
    let mut lines = text.lines();
    let mut mounts = Vec::new();
    while let Some(line) = lines.next() {
        let ss: Vec<&str> = line.split_ascii_whitespace().collect();
        if ss.first() != Some(&"device") {
            continue;
        }
        if ss.len() < 8
            || ss[2] != "mounted"
            || ss[3] != "on"
            || ss[5] != "with"
            || ss[6] != "fstype"
        {
            return Err(bad("Invalid device", &ss));
        }
        let mut mount = Mount {
            device: ss[1].to_owned(),
            mount_point: ss[4].to_owned(),
            fs_type: ss[7].to_owned(),
            nfs: None,
        };
        if ss.len() > 8 {
            if mount.fs_type != "nfs" && mount.fs_type != "nfs4" {
                return Err(ParseError::new(format!(
                    "Cannot parse MountStats for {:?}",
                    mount.fs_type
                )));
            }
            let version = ss[8].strip_prefix("statvers=").unwrap_or(ss[8]);
            let mut stats = NfsStats {
                age_seconds: 0.0,
                bytes: [0; 8],
                events: [0; 27],
                transports: Vec::new(),
                operations: Vec::new(),
            };
            // The mount's lines up to `per-op statistics` (or a blank line).
            for line in lines.by_ref() {
                let f: Vec<&str> = line.split_ascii_whitespace().collect();
                let Some(&key) = f.first() else { break };
                match key {
                    "opts:" | "age:" | "bytes:" | "events:" if f.len() < 2 => {
                        return Err(bad("Incomplete information for NFS stats", &f));
                    }
                    "age:" => stats.age_seconds = age(f[1])?,
                    "bytes:" => {
                        let n = numbers(&f[1..])?;
                        if n.len() != 8 {
                            return Err(bad("Invalid NFS bytes stats", &f[1..]));
                        }
                        stats.bytes.copy_from_slice(&n);
                    }
                    "events:" => {
                        if f.len() - 1 != 27 {
                            return Err(bad("invalid NFS events stats", &f[1..]));
                        }
                        stats.events.copy_from_slice(&numbers(&f[1..])?);
                    }
                    "xprt:" => {
                        if f.len() < 3 {
                            return Err(bad("Incomplete information for NFS transport stats", &f));
                        }
                        stats.transports.push(transport(&f[1..], version)?);
                    }
                    _ => {}
                }
                if key == "per-op" {
                    break;
                }
            }
            // Per-operation rows, up to a blank line.
            for line in lines.by_ref() {
                let f: Vec<&str> = line.split_ascii_whitespace().collect();
                if f.is_empty() {
                    break;
                }
                if f.len() < 9 {
                    return Err(bad("invalid NFS per-operations stats", &f));
                }
                let n = numbers(&f[1..])?;
                stats.operations.push(Operation {
                    name: f[0].strip_suffix(':').unwrap_or(f[0]).to_owned(),
                    requests: n[0],
                    transmissions: n[1],
                    major_timeouts: n[2],
                    bytes_sent: n[3],
                    bytes_received: n[4],
                    queue_ms: n[5],
                    response_ms: n[6],
                    request_ms: n[7],
                });
            }
            mount.nfs = Some(stats);
        }
        mounts.push(mount);
    }
    Ok(mounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfs_mounts() {
        let text = "device rootfs mounted on / with fstype rootfs\n\
device 192.168.1.1:/srv/test mounted on /mnt/nfs/test with fstype nfs4 statvers=1.1\n\
\topts:\trw,vers=4.0\n\tage:\t13968\n\
\tevents:\t52 226 0 0 1 13 398 0 0 331 0 47 0 0 77 0 0 77 0 0 0 0 0 0 0 0 0\n\
\tbytes:\t1207640230 0 0 0 1210214218 0 295483 0\n\
\txprt:\ttcp 832 0 1 0 11 6428 6428 0 12154 0 24 26 5726\n\
\tper-op statistics\n\t        NULL: 0 0 0 0 0 0 0 0\n\t        READ: 1298 1298 0 207680 1210292152 6 79386 79407\n\n\
device 192.168.1.1:/srv/test mounted on /mnt/nfs/test-dupe with fstype nfs statvers=1.1\n\
\tage:\t1\n\txprt:\tudp 832 0 6428 6428 0 12154 0 24 26 5726\n\tper-op statistics\n";
        let m = parse(text).unwrap();
        assert_eq!(m.len(), 3);
        assert!(m[0].nfs.is_none());
        let nfs = m[1].nfs.as_ref().unwrap();
        assert_eq!(nfs.age_seconds, 13968.0);
        assert_eq!(nfs.bytes[0], 1207640230);
        assert_eq!(nfs.events[1], 226);
        assert_eq!((nfs.transports[0].bind, nfs.transports[0].connect), (0, 1));
        assert_eq!(nfs.transports[0].idle_time_seconds, 11);
        assert_eq!(nfs.transports[0].cumulative_pending_queue, 5726);
        assert_eq!(nfs.operations[1].name, "READ");
        assert_eq!(nfs.operations[1].request_ms, 79407);
        let udp = &m[2].nfs.as_ref().unwrap().transports[0];
        assert_eq!((udp.bind, udp.connect, udp.sends), (0, 0, 6428));
        assert_eq!(udp.cumulative_pending_queue, 5726);
        assert!(parse("device x mounted on /y with fstype ext4 statvers=1.1\n").is_err());
        assert!(parse("device x mounted\n").is_err());
    }
}
