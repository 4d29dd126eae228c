//! node_exporter's `arp` collector: ARP entries per device, from `/proc/net/arp` (Alloy's default,
//! `netlink = false`) or from the kernel's neighbour table over netlink (`netlink = true`, which
//! leaves out entries that need no resolution, `NUD_NOARP`).

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::config::{optional_regex, DeviceFilter};
use super::{open_error, Collector, ConfigError, UnixConfig};

const ENTRIES: Desc = Desc::new(
    "node_arp_entries",
    "ARP entries by device",
    MetricType::Gauge,
    &["device"],
);

pub(super) struct ArpCollector {
    path: std::path::PathBuf,
    netlink: bool,
    filter: DeviceFilter,
    buf: Vec<u8>,
    counts: Vec<(String, u32)>,
}

impl ArpCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<ArpCollector, ConfigError> {
        let arp = &config.arp;
        Ok(ArpCollector {
            path: config.procfs_path.join("net/arp"),
            netlink: arp.netlink,
            filter: DeviceFilter::new(
                optional_regex("arp.device_exclude", &arp.device_exclude)?,
                optional_regex("arp.device_include", &arp.device_include)?,
            ),
            buf: Vec::new(),
            counts: Vec::new(),
        })
    }
}

impl Collector for ArpCollector {
    fn name(&self) -> &'static str {
        "arp"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        for (_, n) in &mut self.counts {
            *n = 0;
        }
        let counts = &mut self.counts;
        let mut count = |device: &str| match counts.iter_mut().find(|(d, _)| d == device) {
            Some((_, n)) => *n += 1,
            None => counts.push((device.to_owned(), 1)),
        };
        if self.netlink {
            ingot_hostfs::rtnl::for_each_arp_entry(count).map_err(|e| {
                format!(
                    "could not get ARP entries: {}",
                    ingot_hostfs::errno::go_error_text(&e)
                )
            })?;
        } else {
            ingot_hostfs::read::read_into(&self.path, &mut self.buf).map_err(|e| {
                format!(
                    "could not get ARP entries: error reading file: error reading arp {}: {}",
                    self.path.display(),
                    open_error(&self.path, &e)
                )
            })?;
            let text = String::from_utf8_lossy(&self.buf);
            ingot_hostfs::arp::for_each_entry(&text, &mut count)
                .map_err(|e| format!("could not get ARP entries: error parsing file: {e}"))?;
        }
        self.counts.retain(|(_, n)| *n > 0);
        for (device, n) in &self.counts {
            if !self.filter.ignored(device) {
                out.push(&ENTRIES, &[device], f64::from(*n));
            }
        }
        Ok(())
    }
}
