//! node_exporter's `netdev` collector, reading `/proc/net/dev` as Alloy configures it
//! (Alloy turns node_exporter's netlink source off), so 16 counters per interface and no
//! `receive_nohandler`.

use std::net::IpAddr;

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::config::{optional_regex, DeviceFilter};
use super::{open_error, Collector, ConfigError, UnixConfig};

macro_rules! stat {
    ($key:literal) => {
        Desc::new(
            concat!("node_network_", $key, "_total"),
            concat!("Network device statistic ", $key, "."),
            MetricType::Counter,
            &["device"],
        )
    };
}

/// Families of the 16 `/proc/net/dev` columns, in column order, under node_exporter's
/// "legacy" names (`errs`, `drop`, `colls`: the kernel's own column titles).
const STATS: [Desc; 16] = [
    stat!("receive_bytes"),
    stat!("receive_packets"),
    stat!("receive_errs"),
    stat!("receive_drop"),
    stat!("receive_fifo"),
    stat!("receive_frame"),
    stat!("receive_compressed"),
    stat!("receive_multicast"),
    stat!("transmit_bytes"),
    stat!("transmit_packets"),
    stat!("transmit_errs"),
    stat!("transmit_drop"),
    stat!("transmit_fifo"),
    stat!("transmit_colls"),
    stat!("transmit_carrier"),
    stat!("transmit_compressed"),
];

const ADDRESS_INFO: Desc = Desc::new(
    "node_network_address_info",
    "node network address by device",
    MetricType::Gauge,
    &["device", "address", "netmask", "scope"],
);

pub(super) struct NetdevCollector {
    file: KeptFile,
    filter: DeviceFilter,
    address_info: bool,
    buf: Vec<u8>,
}

impl NetdevCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<NetdevCollector, ConfigError> {
        let netdev = &config.netdev;
        if !netdev.device_exclude.is_empty() && !netdev.device_include.is_empty() {
            return Err(ConfigError(
                "device-exclude & device-include are mutually exclusive".to_owned(),
            ));
        }
        Ok(NetdevCollector {
            file: KeptFile::new(config.procfs_path.join("net/dev")),
            filter: DeviceFilter::new(
                optional_regex("netdev.device_exclude", &netdev.device_exclude)?,
                optional_regex("netdev.device_include", &netdev.device_include)?,
            ),
            address_info: netdev.address_info,
            buf: Vec::new(),
        })
    }
}

impl Collector for NetdevCollector {
    fn name(&self) -> &'static str {
        "netdev"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let wrap = |cause: String| {
            format!("couldn't get netstats: failed to parse /proc/net/dev: {cause}")
        };
        self.file
            .read_into(&mut self.buf)
            .map_err(|e| wrap(open_error(self.file.path(), &e)))?;
        let text = String::from_utf8_lossy(&self.buf);
        let filter = &self.filter;
        ingot_hostfs::netdev::for_each(&text, |dev| {
            if filter.ignored(dev.name) {
                return;
            }
            for (desc, value) in STATS.iter().zip(dev.counters) {
                out.push(desc, &[dev.name], value as f64);
            }
        })
        .map_err(|e| wrap(e.to_string()))?;

        if self.address_info {
            let addresses = ingot_hostfs::sys::interface_addresses().map_err(|e| {
                format!(
                    "could not get network interfaces: {}",
                    ingot_hostfs::errno::go_error_text(&e)
                )
            })?;
            for a in addresses {
                if self.filter.ignored(&a.interface) {
                    continue;
                }
                // Go prints an IPv4-mapped IPv6 address as plain IPv4 and judges it as one.
                let ip = match a.address {
                    IpAddr::V6(v6) => v6
                        .to_ipv4_mapped()
                        .map(IpAddr::V4)
                        .unwrap_or(IpAddr::V6(v6)),
                    v4 => v4,
                };
                let address = ip.to_string();
                let netmask = super::IntText::new(i64::from(a.prefix_len));
                out.push(
                    &ADDRESS_INFO,
                    &[&a.interface, &address, netmask.as_str(), scope(ip)],
                    1.0,
                );
            }
        }
        Ok(())
    }
}

/// node_exporter's `scope()`, with Go's `net.IP` predicates.
fn scope(ip: IpAddr) -> &'static str {
    let link_local_multicast = match ip {
        IpAddr::V4(v4) => v4.octets()[..3] == [224, 0, 0],
        IpAddr::V6(v6) => v6.octets()[0] == 0xff && v6.octets()[1] & 0x0f == 0x02,
    };
    let link_local_unicast = match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
    };
    if ip.is_loopback() || link_local_unicast || link_local_multicast {
        return "link-local";
    }
    if let IpAddr::V6(v6) = ip {
        if v6.octets()[0] == 0xff && v6.octets()[1] & 0x0f == 0x01 {
            return "interface-local";
        }
    }
    let broadcast = matches!(ip, IpAddr::V4(v4) if v4.is_broadcast());
    if !broadcast && !ip.is_unspecified() && !ip.is_multicast() {
        return "global";
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_like_go() {
        let s = |a: &str| scope(a.parse().unwrap());
        assert_eq!(s("127.0.0.1"), "link-local");
        assert_eq!(s("::1"), "link-local");
        assert_eq!(s("fe80::1"), "link-local");
        assert_eq!(s("169.254.1.1"), "link-local");
        assert_eq!(s("224.0.0.251"), "link-local");
        assert_eq!(s("ff01::1"), "interface-local");
        assert_eq!(s("10.1.2.3"), "global");
        assert_eq!(s("2001:db8::1"), "global");
        assert_eq!(s("239.1.1.1"), "");
        assert_eq!(s("0.0.0.0"), "");
        assert_eq!(s("255.255.255.255"), "");
    }

    #[test]
    fn include_and_exclude_are_exclusive() {
        let mut config = UnixConfig::default();
        config.netdev.device_include = "^lo$".into();
        config.netdev.device_exclude = "^eth".into();
        let err = NetdevCollector::new(&config).err().unwrap();
        assert_eq!(
            err.0,
            "device-exclude & device-include are mutually exclusive"
        );
    }
}
