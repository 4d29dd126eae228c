//! node_exporter's `ipvs` collector: IP Virtual Server totals (`/proc/net/ip_vs_stats`) and backend
//! connections and weights (`/proc/net/ip_vs`), summed over the backends that share the configured
//! `backend_labels`. Without IPVS there is no data.

use std::io;
use std::net::IpAddr;

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{FamilySet, MetricType};

use super::config::IPVS_BACKEND_LABELS;
use super::{open_error, Collector, ConfigError, IntText, UnixConfig, NO_DATA};

const TOTALS: [(&str, &str); 5] = [
    (
        "node_ipvs_connections_total",
        "The total number of connections made.",
    ),
    (
        "node_ipvs_incoming_packets_total",
        "The total number of incoming packets.",
    ),
    (
        "node_ipvs_outgoing_packets_total",
        "The total number of outgoing packets.",
    ),
    (
        "node_ipvs_incoming_bytes_total",
        "The total amount of incoming data.",
    ),
    (
        "node_ipvs_outgoing_bytes_total",
        "The total amount of outgoing data.",
    ),
];

const ACTIVE: (&str, &str) = (
    "node_ipvs_backend_connections_active",
    "The current active connections by local and remote address.",
);
const INACTIVE: (&str, &str) = (
    "node_ipvs_backend_connections_inactive",
    "The current inactive connections by local and remote address.",
);
const WEIGHT: (&str, &str) = (
    "node_ipvs_backend_weight",
    "The current backend weight by local and remote address.",
);

pub(super) struct IpvsCollector {
    stats: KeptFile,
    backends: KeptFile,
    /// The configured labels, in node_exporter's order.
    labels: Vec<&'static str>,
    buf: Vec<u8>,
}

/// node_exporter's `parseIpvsLabels`: the known labels in their canonical order; an unknown one is
/// a configuration error. An empty list (Alloy's `backend_labels = []`) means all of them.
fn parse_labels(labels: &[String]) -> Result<Vec<&'static str>, ConfigError> {
    if labels.iter().all(|l| l.is_empty()) {
        return Ok(IPVS_BACKEND_LABELS.to_vec());
    }
    let mut unknown: Vec<&str> = labels
        .iter()
        .map(String::as_str)
        .filter(|l| !l.is_empty() && !IPVS_BACKEND_LABELS.contains(l))
        .collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        unknown.dedup();
        return Err(ConfigError(format!(
            "unknown IPVS backend labels: {:?}",
            unknown.join(", ")
        )));
    }
    Ok(IPVS_BACKEND_LABELS
        .iter()
        .copied()
        .filter(|l| labels.iter().any(|c| c == l))
        .collect())
}

/// Go's `net.IP.String()`: an IPv4-mapped IPv6 address prints as IPv4.
fn go_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        v4 => v4.to_string(),
    }
}

impl IpvsCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<IpvsCollector, ConfigError> {
        Ok(IpvsCollector {
            stats: KeptFile::new(config.procfs_path.join("net/ip_vs_stats")),
            backends: KeptFile::new(config.procfs_path.join("net/ip_vs")),
            labels: parse_labels(&config.ipvs.backend_labels)?,
            buf: Vec::new(),
        })
    }
}

impl Collector for IpvsCollector {
    fn name(&self) -> &'static str {
        "ipvs"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        match self.stats.read_into(&mut self.buf) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(NO_DATA.into()),
            Err(e) => {
                return Err(format!(
                    "could not get IPVS stats: {}",
                    open_error(self.stats.path(), &e)
                ))
            }
        }
        let totals = ingot_hostfs::ipvs::stats(&String::from_utf8_lossy(&self.buf))
            .map_err(|e| format!("could not get IPVS stats: {e}"))?;
        for ((name, help), v) in TOTALS.iter().zip(totals) {
            out.family_with(name, help, MetricType::Counter, &[])
                .push(&[], v as f64);
        }
        self.backends.read_into(&mut self.buf).map_err(|e| {
            format!(
                "could not get backend status: {}",
                open_error(self.backends.path(), &e)
            )
        })?;
        let text = String::from_utf8_lossy(&self.buf);
        let backends = ingot_hostfs::ipvs::backends(&text)
            .map_err(|e| format!("could not get backend status: {e}"))?;
        // Sums per label values (node_exporter keys them by the values joined with '-').
        let mut sums: Vec<(Vec<String>, [u64; 3])> = Vec::new();
        for b in &backends {
            let values: Vec<String> = self
                .labels
                .iter()
                .map(|label| match *label {
                    "local_address" => b.local_address.map(go_ip).unwrap_or_default(),
                    "local_port" => IntText::new(i64::from(b.local_port)).as_str().to_owned(),
                    "remote_address" => b
                        .remote_address
                        .map(go_ip)
                        .unwrap_or_else(|| "<nil>".to_owned()),
                    "remote_port" => IntText::new(i64::from(b.remote_port)).as_str().to_owned(),
                    "proto" => b.proto.to_owned(),
                    _ => b.local_mark.to_owned(),
                })
                .collect();
            let key = values.join("-");
            match sums.iter_mut().find(|(v, _)| v.join("-") == key) {
                Some((v, sum)) => {
                    *v = values;
                    sum[0] += b.active;
                    sum[1] += b.inactive;
                    sum[2] += b.weight;
                }
                None => sums.push((values, [b.active, b.inactive, b.weight])),
            }
        }
        for (values, sum) in &sums {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            for ((name, help), v) in [ACTIVE, INACTIVE, WEIGHT].iter().zip(sum) {
                out.family_with(name, help, MetricType::Gauge, &self.labels)
                    .push(&values, *v as f64);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_keep_node_exporters_order() {
        let l = |v: &[&str]| parse_labels(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(l(&[]).unwrap(), IPVS_BACKEND_LABELS);
        assert_eq!(
            l(&["proto", "local_port"]).unwrap(),
            ["local_port", "proto"]
        );
        assert_eq!(
            l(&["bogus", "proto", "other"]).unwrap_err().0,
            "unknown IPVS backend labels: \"bogus, other\""
        );
    }
}
