//! node_exporter's `nfs` collector: the NFS client's statistics, `/proc/net/rpc/nfs`. Without the
//! NFS client there is no data.

use std::io;

use ingot_hostfs::nfs::{V2_PROCEDURES, V3_PROCEDURES, V4_CLIENT_OPERATIONS};
use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig, NO_DATA};

const PACKETS: Desc = Desc::new(
    "node_nfs_packets_total",
    "Total NFSd network packets (sent+received) by protocol type.",
    MetricType::Counter,
    &["protocol"],
);
const CONNECTIONS: Desc = Desc::new(
    "node_nfs_connections_total",
    "Total number of NFSd TCP connections.",
    MetricType::Counter,
    &[],
);
const RPCS: Desc = Desc::new(
    "node_nfs_rpcs_total",
    "Total number of RPCs performed.",
    MetricType::Counter,
    &[],
);
const RETRANSMISSIONS: Desc = Desc::new(
    "node_nfs_rpc_retransmissions_total",
    "Number of RPC transmissions performed.",
    MetricType::Counter,
    &[],
);
const AUTH_REFRESHES: Desc = Desc::new(
    "node_nfs_rpc_authentication_refreshes_total",
    "Number of RPC authentication refreshes performed.",
    MetricType::Counter,
    &[],
);
const REQUESTS: Desc = Desc::new(
    "node_nfs_requests_total",
    "Number of NFS procedures invoked.",
    MetricType::Counter,
    &["proto", "method"],
);

pub(super) struct NfsCollector {
    file: KeptFile,
    buf: Vec<u8>,
}

impl NfsCollector {
    pub(super) fn new(config: &UnixConfig) -> NfsCollector {
        NfsCollector {
            file: KeptFile::new(config.procfs_path.join("net/rpc/nfs")),
            buf: Vec::new(),
        }
    }
}

impl Collector for NfsCollector {
    fn name(&self) -> &'static str {
        "nfs"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        match self.file.read_into(&mut self.buf) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(NO_DATA.into()),
            Err(e) => {
                return Err(format!(
                    "failed to retrieve nfs stats: {}",
                    open_error(self.file.path(), &e)
                ))
            }
        }
        let s = ingot_hostfs::nfs::parse_client(&String::from_utf8_lossy(&self.buf))
            .map_err(|e| format!("failed to retrieve nfs stats: {e}"))?;
        out.push(&PACKETS, &["udp"], s.network[1] as f64);
        out.push(&PACKETS, &["tcp"], s.network[2] as f64);
        out.push(&CONNECTIONS, &[], s.network[3] as f64);
        out.push(&RPCS, &[], s.rpc[0] as f64);
        out.push(&RETRANSMISSIONS, &[], s.rpc[1] as f64);
        out.push(&AUTH_REFRESHES, &[], s.rpc[2] as f64);
        let requests = out.family(&REQUESTS);
        for (names, values, proto) in [
            (&V2_PROCEDURES[..], &s.v2[..], "2"),
            (&V3_PROCEDURES[..], &s.v3[..], "3"),
            (&V4_CLIENT_OPERATIONS[..], &s.v4[..], "4"),
        ] {
            for (method, v) in names.iter().zip(values) {
                requests.push(&[proto, method], *v as f64);
            }
        }
        Ok(())
    }
}
