//! node_exporter's `tcpstat` collector: TCP sockets by state and their queued bytes, from the
//! kernel's `sock_diag` netlink interface (IPv4, and IPv6 when `/proc/net/tcp6` exists).

use ingot_hostfs::inet_diag::TcpStats;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, UnixConfig};

const STATES: Desc = Desc::new(
    "node_tcp_connection_states",
    "Number of connection states.",
    MetricType::Gauge,
    &["state"],
);

/// node_exporter's names for the kernel's states by number; its numbering continues with its two
/// queue totals, so a socket in state 12 or 13 would count there, as it does upstream.
const NAMES: [&str; 14] = [
    "unknown",
    "established",
    "syn_sent",
    "syn_recv",
    "fin_wait1",
    "fin_wait2",
    "time_wait",
    "close",
    "close_wait",
    "last_ack",
    "listen",
    "closing",
    "rx_queued_bytes",
    "tx_queued_bytes",
];

pub(super) struct TcpstatCollector {
    tcp6: std::path::PathBuf,
}

impl TcpstatCollector {
    pub(super) fn new(config: &UnixConfig) -> TcpstatCollector {
        TcpstatCollector {
            tcp6: config.procfs_path.join("net/tcp6"),
        }
    }
}

fn stats(family: i32, what: &str) -> Result<TcpStats, String> {
    ingot_hostfs::inet_diag::tcp_stats(family as u8).map_err(|e| {
        format!(
            "couldn't get {what}: {}",
            ingot_hostfs::errno::go_error_text(&e)
        )
    })
}

impl Collector for TcpstatCollector {
    fn name(&self) -> &'static str {
        "tcpstat"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        const AF_INET: i32 = 2;
        const AF_INET6: i32 = 10;
        let mut total = stats(AF_INET, "tcpstats")?;
        if self.tcp6.exists() {
            let v6 = stats(AF_INET6, "tcp6stats")?;
            for (a, b) in total.states.iter_mut().zip(v6.states) {
                *a += b;
            }
            total.other += v6.other;
            total.rx_queued += v6.rx_queued;
            total.tx_queued += v6.tx_queued;
            total.sockets += v6.sockets;
        }
        // node_exporter's map holds a state once a socket had it, and the queue totals once any
        // socket answered (they are states 12 and 13 of its numbering).
        let mut values = [0f64; 16];
        let mut present = [false; 16];
        for (state, &n) in total.states.iter().enumerate() {
            if n > 0 {
                values[state] += n as f64;
                present[state] = true;
            }
        }
        if total.sockets > 0 {
            values[12] += total.rx_queued as f64;
            values[13] += total.tx_queued as f64;
            present[12] = true;
            present[13] = true;
        }
        for (state, (v, p)) in values.into_iter().zip(present).enumerate() {
            if p {
                out.push(&STATES, &[NAMES.get(state).unwrap_or(&"unknown")], v);
            }
        }
        if total.other > 0 {
            out.push(&STATES, &["unknown"], total.other as f64);
        }
        Ok(())
    }
}
