//! node_exporter's `nfsd` collector: the NFS server's statistics, `/proc/net/rpc/nfsd`. Without the
//! NFS server there is no data.

use std::io;

use ingot_hostfs::nfs::{V2_PROCEDURES, V3_PROCEDURES, V4_SERVER_OPERATIONS};
use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig, NO_DATA};

macro_rules! nfsd {
    ($name:literal, $help:literal, $kind:ident) => {
        Desc::new(concat!("node_nfsd_", $name), $help, MetricType::$kind, &[])
    };
}

const REPLY_HITS: Desc = nfsd!(
    "reply_cache_hits_total",
    "Total number of NFSd Reply Cache hits (client lost server response).",
    Counter
);
const REPLY_MISSES: Desc = nfsd!(
    "reply_cache_misses_total",
    "Total number of NFSd Reply Cache an operation that requires caching (idempotent).",
    Counter
);
const REPLY_NOCACHE: Desc = nfsd!(
    "reply_cache_nocache_total",
    "Total number of NFSd Reply Cache non-idempotent operations (rename/delete/…).",
    Counter
);
const STALE: Desc = nfsd!(
    "file_handles_stale_total",
    "Total number of NFSd stale file handles",
    Counter
);
const READ: Desc = nfsd!("disk_bytes_read_total", "Total NFSd bytes read.", Counter);
const WRITTEN: Desc = nfsd!(
    "disk_bytes_written_total",
    "Total NFSd bytes written.",
    Counter
);
const THREADS: Desc = nfsd!(
    "server_threads",
    "Total number of NFSd kernel threads that are running.",
    Gauge
);
const RA_SIZE: Desc = nfsd!(
    "read_ahead_cache_size_blocks",
    "How large the read ahead cache is in blocks.",
    Gauge
);
const RA_NOT_FOUND: Desc = nfsd!(
    "read_ahead_cache_not_found_total",
    "Total number of NFSd read ahead cache not found.",
    Counter
);
const PACKETS: Desc = Desc::new(
    "node_nfsd_packets_total",
    "Total NFSd network packets (sent+received) by protocol type.",
    MetricType::Counter,
    &["proto"],
);
const CONNECTIONS: Desc = nfsd!(
    "connections_total",
    "Total number of NFSd TCP connections.",
    Counter
);
const RPC_ERRORS: Desc = Desc::new(
    "node_nfsd_rpc_errors_total",
    "Total number of NFSd RPC errors by error type.",
    MetricType::Counter,
    &["error"],
);
const RPCS: Desc = nfsd!("server_rpcs_total", "Total number of NFSd RPCs.", Counter);
const REQUESTS: Desc = Desc::new(
    "node_nfsd_requests_total",
    "Total number NFSd Requests by method and protocol.",
    MetricType::Counter,
    &["proto", "method"],
);

pub(super) struct NfsdCollector {
    file: KeptFile,
    buf: Vec<u8>,
}

impl NfsdCollector {
    pub(super) fn new(config: &UnixConfig) -> NfsdCollector {
        NfsdCollector {
            file: KeptFile::new(config.procfs_path.join("net/rpc/nfsd")),
            buf: Vec::new(),
        }
    }
}

impl Collector for NfsdCollector {
    fn name(&self) -> &'static str {
        "nfsd"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        match self.file.read_into(&mut self.buf) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(NO_DATA.into()),
            Err(e) => {
                return Err(format!(
                    "failed to retrieve nfsd stats: {}",
                    open_error(self.file.path(), &e)
                ))
            }
        }
        let s = ingot_hostfs::nfs::parse_server(&String::from_utf8_lossy(&self.buf))
            .map_err(|e| format!("failed to retrieve nfsd stats: {e}"))?;
        out.push(&REPLY_HITS, &[], s.reply_cache[0] as f64);
        out.push(&REPLY_MISSES, &[], s.reply_cache[1] as f64);
        out.push(&REPLY_NOCACHE, &[], s.reply_cache[2] as f64);
        out.push(&STALE, &[], s.stale_file_handles as f64);
        out.push(&READ, &[], s.io[0] as f64);
        out.push(&WRITTEN, &[], s.io[1] as f64);
        out.push(&THREADS, &[], s.threads as f64);
        out.push(&RA_SIZE, &[], s.read_ahead[0] as f64);
        out.push(&RA_NOT_FOUND, &[], s.read_ahead[1] as f64);
        out.push(&PACKETS, &["udp"], s.network[1] as f64);
        out.push(&PACKETS, &["tcp"], s.network[2] as f64);
        out.push(&CONNECTIONS, &[], s.network[3] as f64);
        out.push(&RPC_ERRORS, &["fmt"], s.rpc[2] as f64);
        out.push(&RPC_ERRORS, &["auth"], s.rpc[3] as f64);
        out.push(&RPC_ERRORS, &["cInt"], s.rpc[4] as f64);
        out.push(&RPCS, &[], s.rpc[0] as f64);
        let requests = out.family(&REQUESTS);
        // node_exporter reports every procedure but Null.
        for (names, values, proto) in [
            (&V2_PROCEDURES[1..], &s.v2[1..], "2"),
            (&V3_PROCEDURES[1..], &s.v3[1..], "3"),
        ] {
            for (method, v) in names.iter().zip(values) {
                requests.push(&[proto, method], *v as f64);
            }
        }
        for &(i, method) in &V4_SERVER_OPERATIONS {
            requests.push(&["4", method], s.v4_ops[i] as f64);
        }
        requests.push(&["4", "WdelegGetattr"], s.wdeleg_getattr as f64);
        Ok(())
    }
}
