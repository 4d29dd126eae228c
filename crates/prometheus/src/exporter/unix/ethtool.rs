//! node_exporter's `ethtool` collector: each interface's driver statistics, driver information
//! and link modes, through the `SIOCETHTOOL` ioctl (see `ingot_hostfs::ethtool`).

use std::collections::HashMap;
use std::path::PathBuf;

use ingot_hostfs::ethtool::{Ethtool, LinkSettings};
use ingot_hostfs::netclass;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};
use regex::Regex;

use super::config::{optional_regex, required_regex, DeviceFilter};
use super::exporter::NO_DATA;
use super::files::sanitize_metric_name;
use super::{Collector, ConfigError, UnixConfig};

const INFO: Desc = Desc::new(
    "node_ethtool_info",
    "A metric with a constant '1' value labeled by bus_info, device, driver, expansion_rom_version, firmware_version, version.",
    MetricType::Gauge,
    &["bus_info", "device", "driver", "expansion_rom_version", "firmware_version", "version"],
);

/// node_exporter's fixed descriptions, by key: driver statistics of these names get them (with
/// their own names, such as `node_ethtool_received_bytes_total`), as do the link information
/// families.
const ENTRIES: &[(&str, Desc)] = &[
    (
        "rx_bytes",
        Desc::new(
            "node_ethtool_received_bytes_total",
            "Network interface bytes received",
            MetricType::Unknown,
            &["device"],
        ),
    ),
    (
        "rx_dropped",
        Desc::new(
            "node_ethtool_received_dropped_total",
            "Number of received frames dropped",
            MetricType::Unknown,
            &["device"],
        ),
    ),
    (
        "rx_errors",
        Desc::new(
            "node_ethtool_received_errors_total",
            "Number of received frames with errors",
            MetricType::Unknown,
            &["device"],
        ),
    ),
    (
        "rx_packets",
        Desc::new(
            "node_ethtool_received_packets_total",
            "Network interface packets received",
            MetricType::Unknown,
            &["device"],
        ),
    ),
    (
        "tx_bytes",
        Desc::new(
            "node_ethtool_transmitted_bytes_total",
            "Network interface bytes sent",
            MetricType::Unknown,
            &["device"],
        ),
    ),
    (
        "tx_errors",
        Desc::new(
            "node_ethtool_transmitted_errors_total",
            "Number of sent frames with errors",
            MetricType::Unknown,
            &["device"],
        ),
    ),
    (
        "tx_packets",
        Desc::new(
            "node_ethtool_transmitted_packets_total",
            "Network interface packets sent",
            MetricType::Unknown,
            &["device"],
        ),
    ),
    (
        "supported_port",
        Desc::new(
            "node_network_supported_port_info",
            "Type of ports or PHYs supported by network device",
            MetricType::Gauge,
            &["device", "type"],
        ),
    ),
    (
        "supported_speed",
        Desc::new(
            "node_network_supported_speed_bytes",
            "Combination of speeds and features supported by network device",
            MetricType::Gauge,
            &["device", "duplex", "mode"],
        ),
    ),
    (
        "supported_autonegotiate",
        Desc::new(
            "node_network_autonegotiate_supported",
            "If this port device supports autonegotiate",
            MetricType::Gauge,
            &["device"],
        ),
    ),
    (
        "supported_pause",
        Desc::new(
            "node_network_pause_supported",
            "If this port device supports pause frames",
            MetricType::Gauge,
            &["device"],
        ),
    ),
    (
        "supported_asymmetricpause",
        Desc::new(
            "node_network_asymmetricpause_supported",
            "If this port device supports asymmetric pause frames",
            MetricType::Gauge,
            &["device"],
        ),
    ),
    (
        "advertised_speed",
        Desc::new(
            "node_network_advertised_speed_bytes",
            "Combination of speeds and features offered by network device",
            MetricType::Gauge,
            &["device", "duplex", "mode"],
        ),
    ),
    (
        "advertised_autonegotiate",
        Desc::new(
            "node_network_autonegotiate_advertised",
            "If this port device offers autonegotiate",
            MetricType::Gauge,
            &["device"],
        ),
    ),
    (
        "advertised_pause",
        Desc::new(
            "node_network_pause_advertised",
            "If this port device offers pause capability",
            MetricType::Gauge,
            &["device"],
        ),
    ),
    (
        "advertised_asymmetricpause",
        Desc::new(
            "node_network_asymmetricpause_advertised",
            "If this port device offers asymmetric pause capability",
            MetricType::Gauge,
            &["device"],
        ),
    ),
    (
        "autonegotiate",
        Desc::new(
            "node_network_autonegotiate",
            "If this port is using autonegotiate",
            MetricType::Gauge,
            &["device"],
        ),
    ),
];

fn entry(key: &str) -> Option<&'static Desc> {
    ENTRIES.iter().find(|(k, _)| *k == key).map(|(_, d)| d)
}

/// `ETHTOOL_LINK_MODE_*_BIT` numbers node_exporter reports. node_exporter tests them against the
/// legacy 32-bit masks, so modes numbered 32 and up (25G and faster, 2.5GBASE-T, ...) never show;
/// the list keeps only those that can.
const SPEEDS: &[(u32, u32, &str, &str)] = &[
    (0, 10, "half", "T"),
    (1, 10, "full", "T"),
    (2, 100, "half", "T"),
    (3, 100, "full", "T"),
    (4, 1000, "half", "T"),
    (5, 1000, "full", "T"),
    (12, 10000, "full", "T"),
    (17, 1000, "full", "KX"),
    (18, 10000, "full", "KX4"),
    (19, 10000, "full", "KR"),
    (20, 10000, "full", "R_FEC"),
    (21, 20000, "full", "MLD2"),
    (22, 20000, "full", "KR2"),
    (23, 40000, "full", "KR4"),
    (24, 40000, "full", "CR4"),
    (25, 40000, "full", "SR4"),
    (26, 40000, "full", "LR4"),
    (27, 56000, "full", "KR4"),
    (28, 56000, "full", "CR4"),
    (29, 56000, "full", "SR4"),
    (30, 56000, "full", "LR4"),
    (31, 25000, "full", "CR"),
];
const PORTS: &[(u32, &str)] = &[
    (7, "TP"),
    (8, "AUI"),
    (9, "MII"),
    (10, "FIBRE"),
    (11, "BNC"),
    (16, "Backplane"),
];
const AUTONEG_BIT: u32 = 6;
const PAUSE_BIT: u32 = 13;
const ASYM_PAUSE_BIT: u32 = 14;

fn bit(mask: u32, n: u32) -> bool {
    mask & (1 << n) != 0
}

pub(super) struct EthtoolCollector {
    class_net: PathBuf,
    filter: DeviceFilter,
    metrics: Regex,
    received: Regex,
    transmitted: Regex,
    /// Opened on the first gather (building a component opens nothing).
    ethtool: Option<Ethtool>,
    /// The last failure of each request per device, so that a persistent one is logged once.
    last_failures: HashMap<(String, &'static str), String>,
    name: String,
    help: String,
}

impl EthtoolCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<EthtoolCollector, ConfigError> {
        let c = &config.ethtool;
        Ok(EthtoolCollector {
            class_net: config.sysfs_path.join("class/net"),
            filter: DeviceFilter::new(
                optional_regex("ethtool.device_exclude", &c.device_exclude)?,
                optional_regex("ethtool.device_include", &c.device_include)?,
            ),
            metrics: required_regex("ethtool.metrics_include", &c.metrics_include)?,
            received: Regex::new("(^|_)rx(_|$)").expect("valid"),
            transmitted: Regex::new("(^|_)tx(_|$)").expect("valid"),
            ethtool: None,
            last_failures: HashMap::new(),
            name: String::new(),
            help: String::new(),
        })
    }

    /// node_exporter logs these and carries on (EOPNOTSUPP only at debug level): a device without
    /// a driver answer simply has no such samples. Logged once per device, request and error.
    fn note_failure(&mut self, device: &str, what: &'static str, err: &std::io::Error) {
        let text = ingot_hostfs::errno::go_error_text(err);
        if ingot_hostfs::errno::is_not_supported(err) {
            tracing::debug!(device, "ethtool {what} error: {text}");
            return;
        }
        let key = (device.to_owned(), what);
        if self.last_failures.get(&key) != Some(&text) {
            tracing::warn!(device, "ethtool {what} error: {text}");
            self.last_failures.insert(key, text);
        }
    }

    fn speeds(out: &mut FamilySet, prefix: &str, device: &str, modes: u32) {
        let desc = entry(&format!("{prefix}_speed")).expect("fixed entry");
        for &(n, speed, duplex, phy) in SPEEDS {
            if bit(modes, n) {
                let mode = format!("{speed}base{phy}");
                // In bytes per second, as netclass' speeds.
                out.push(
                    desc,
                    &[device, duplex, &mode],
                    f64::from(speed) * (1_000_000.0 / 8.0),
                );
            }
        }
    }

    fn capabilities(out: &mut FamilySet, prefix: &str, device: &str, modes: u32) {
        for (what, n) in [
            ("autonegotiate", AUTONEG_BIT),
            ("pause", PAUSE_BIT),
            ("asymmetricpause", ASYM_PAUSE_BIT),
        ] {
            let desc = entry(&format!("{prefix}_{what}")).expect("fixed entry");
            out.push(desc, &[device], if bit(modes, n) { 1.0 } else { 0.0 });
        }
    }

    fn link(out: &mut FamilySet, device: &str, link: &LinkSettings) {
        Self::speeds(out, "supported", device, link.supported);
        let ports = entry("supported_port").expect("fixed entry");
        for &(n, name) in PORTS {
            if bit(link.supported, n) {
                out.push(ports, &[device, name], 1.0);
            }
        }
        Self::capabilities(out, "supported", device, link.supported);
        Self::speeds(out, "advertised", device, link.advertising);
        Self::capabilities(out, "advertised", device, link.advertising);
        let autoneg = entry("autonegotiate").expect("fixed entry");
        out.push(autoneg, &[device], f64::from(link.autoneg));
    }

    /// node_exporter's `buildEthtoolFQName`: lower case, leading `_` trimmed, `rx`/`tx` words
    /// spelled out.
    fn fq_name(&self, metric: &str) -> String {
        let mut sanitized = String::with_capacity(metric.len());
        sanitize_metric_name(metric, &mut sanitized);
        let lower = sanitized.to_lowercase();
        let trimmed = lower.trim_start_matches('_');
        let received = self.received.replace_all(trimmed, "${1}received${2}");
        let transmitted = self
            .transmitted
            .replace_all(&received, "${1}transmitted${2}");
        format!("node_ethtool_{transmitted}")
    }

    fn driver_stats(&mut self, out: &mut FamilySet, device: &str, stats: Vec<(String, u64)>) {
        // safchain/ethtool returns a map: a name the driver repeats keeps its last value.
        let mut by_name: HashMap<String, u64> = HashMap::with_capacity(stats.len());
        for (name, value) in stats {
            by_name.insert(name, value);
        }
        // Sanitizing can give two statistics one name: node_exporter then drops both.
        let mut by_fq: HashMap<String, Option<(String, u64)>> = HashMap::new();
        for (stat, value) in by_name {
            let mut metric = String::with_capacity(stat.len());
            sanitize_metric_name(&stat, &mut metric);
            if !self.metrics.is_match(&metric) {
                continue;
            }
            let fq = self.fq_name(&metric);
            by_fq
                .entry(fq)
                .and_modify(|slot| *slot = None)
                .or_insert(Some((metric, value)));
        }
        for (fq, stat) in by_fq {
            let Some((metric, value)) = stat else {
                continue;
            };
            if let Some(desc) = entry(&metric) {
                out.push(desc, &[device], value as f64);
                continue;
            }
            self.name.clear();
            self.name.push_str(&fq);
            self.help.clear();
            self.help.push_str("Network interface ");
            self.help.push_str(&metric);
            out.family_with(&self.name, &self.help, MetricType::Unknown, &["device"])
                .push(&[device], value as f64);
        }
    }
}

impl Collector for EthtoolCollector {
    fn name(&self) -> &'static str {
        "ethtool"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let devices = match netclass::devices(&self.class_net) {
            Ok(d) => d.into_iter().map(|d| d.name).collect::<Vec<_>>(),
            Err(e) if e.is_not_found() || e.is_permission() => return Err(NO_DATA.into()),
            Err(e) => return Err(format!("could not get net class info: {e}")),
        };
        if devices.is_empty() {
            return Err("no network devices found".into());
        }
        if self.ethtool.is_none() {
            let e = Ethtool::new().map_err(|e| {
                format!(
                    "failed to initialize ethtool library: {}",
                    ingot_hostfs::errno::go_error_text(&e)
                )
            })?;
            self.ethtool = Some(e);
        }
        for device in devices {
            if self.filter.ignored(&device) {
                continue;
            }
            let ethtool = self.ethtool.as_mut().expect("opened above");
            match ethtool.link_settings(&device) {
                Ok(link) => Self::link(out, &device, &link),
                Err(e) => self.note_failure(&device, "link info", &e),
            }
            let ethtool = self.ethtool.as_mut().expect("opened above");
            match ethtool.driver_info(&device) {
                Ok(i) => out.push(
                    &INFO,
                    &[
                        &i.bus_info,
                        &device,
                        &i.driver,
                        &i.erom_version,
                        &i.fw_version,
                        &i.version,
                    ],
                    1.0,
                ),
                Err(e) => self.note_failure(&device, "driver info", &e),
            }
            let ethtool = self.ethtool.as_mut().expect("opened above");
            match ethtool.stats(&device) {
                Ok(stats) => self.driver_stats(out, &device, stats),
                Err(e) => self.note_failure(&device, "stats", &e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_node_exporter() {
        let c = EthtoolCollector::new(&UnixConfig::default()).unwrap();
        assert_eq!(
            c.fq_name("rx_queue_0_packets"),
            "node_ethtool_received_queue_0_packets"
        );
        assert_eq!(c.fq_name("tx0_kicks"), "node_ethtool_tx0_kicks");
        assert_eq!(
            c.fq_name("port.rx_bytes"),
            "node_ethtool_port_received_bytes"
        );
        assert_eq!(c.fq_name("rx_rx"), "node_ethtool_received_rx");
        assert_eq!(c.fq_name("_TX"), "node_ethtool_transmitted");
        assert_eq!(c.fq_name("rx-csum_err"), "node_ethtool_received_csum_err");
    }

    #[test]
    fn statistics_clashing_after_sanitizing_are_dropped() {
        let mut c = EthtoolCollector::new(&UnixConfig::default()).unwrap();
        let mut out = FamilySet::new();
        c.driver_stats(
            &mut out,
            "eth0",
            vec![
                ("rx_bytes".into(), 10),
                ("tx-errors".into(), 1),
                ("tx.errors".into(), 2),
                ("rx_queue_0_drops".into(), 3),
                ("rx_queue_0_drops".into(), 4),
            ],
        );
        let text = out.encode_to_string();
        assert!(text.contains("# HELP node_ethtool_received_bytes_total Network interface bytes received\n# TYPE node_ethtool_received_bytes_total untyped\nnode_ethtool_received_bytes_total{device=\"eth0\"} 10\n"), "{text}");
        assert!(!text.contains("transmitted_errors"), "{text}");
        assert!(text.contains("# HELP node_ethtool_received_queue_0_drops Network interface rx_queue_0_drops\n# TYPE node_ethtool_received_queue_0_drops untyped\nnode_ethtool_received_queue_0_drops{device=\"eth0\"} 4\n"), "{text}");
    }

    #[test]
    fn link_modes_below_bit_32_only() {
        let mut out = FamilySet::new();
        let link = LinkSettings {
            supported: (1 << 5) | (1 << 3) | (1 << 7) | (1 << 6) | (1 << 13),
            advertising: 1 << 5,
            autoneg: 1,
        };
        EthtoolCollector::link(&mut out, "eth0", &link);
        let text = out.encode_to_string();
        for line in [
            "node_network_supported_speed_bytes{device=\"eth0\",duplex=\"full\",mode=\"1000baseT\"} 1.25e+08\n",
            "node_network_supported_speed_bytes{device=\"eth0\",duplex=\"full\",mode=\"100baseT\"} 1.25e+07\n",
            "node_network_supported_port_info{device=\"eth0\",type=\"TP\"} 1\n",
            "node_network_autonegotiate_supported{device=\"eth0\"} 1\n",
            "node_network_pause_supported{device=\"eth0\"} 1\n",
            "node_network_asymmetricpause_supported{device=\"eth0\"} 0\n",
            "node_network_autonegotiate_advertised{device=\"eth0\"} 0\n",
            "node_network_autonegotiate{device=\"eth0\"} 1\n",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
    }
}
