//! node_exporter's `network_route` collector: the unicast routes of every routing table and family,
//! read over netlink, as `node_network_route_info` and a count per device.

use std::net::IpAddr;

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, IntText};

const ROUTE_INFO: Desc = Desc::new(
    "node_network_route_info",
    "network routing table information",
    MetricType::Gauge,
    &["device", "src", "dest", "gw", "priority", "proto", "weight"],
);
const ROUTES: Desc = Desc::new(
    "node_network_routes",
    "network routes by interface",
    MetricType::Gauge,
    &["device"],
);

/// `RTN_UNICAST` (node_exporter compares with `RTA_DST`, also 1).
const UNICAST: u8 = 1;

pub(super) struct NetworkRouteCollector;

/// Go's `net.IP.String()` (an IPv4-mapped IPv6 address prints as IPv4).
fn go_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or_else(|| v6.to_string(), |v4| v4.to_string()),
        v4 => v4.to_string(),
    }
}

fn protocol(p: u8) -> &'static str {
    match p {
        0 => "unspec",
        1 => "redirect",
        2 => "kernel",
        3 => "boot",
        4 => "static",
        8 => "gated",
        9 => "ra",
        10 => "mrt",
        11 => "zebra",
        12 => "bird",
        13 => "dnrouted",
        14 => "xorp",
        15 => "ntk",
        16 => "dhcp",
        17 => "mrouted",
        42 => "babel",
        186 => "bgp",
        187 => "isis",
        188 => "ospf",
        189 => "rip",
        192 => "eigrp",
        _ => "unknown",
    }
}

/// node_exporter's `networkRouteIPWithPrefixToString`.
fn destination(ip: Option<IpAddr>, len: u8) -> String {
    if len == 0 {
        return "default".to_owned();
    }
    match ip {
        Some(ip) => format!("{}/{len}", go_ip(ip)),
        // Go prints a nil IP in a network as "<nil>".
        None => format!("<nil>/{len}"),
    }
}

impl Collector for NetworkRouteCollector {
    fn name(&self) -> &'static str {
        "network_route"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let text = |e: std::io::Error| ingot_hostfs::errno::go_error_text(&e);
        let links =
            ingot_hostfs::rtnl::links().map_err(|e| format!("couldn't get links: {}", text(e)))?;
        let routes = ingot_hostfs::rtnl::routes()
            .map_err(|e| format!("couldn't get routes: {}", text(e)))?;
        let name = |index: u32| {
            links
                .iter()
                .find(|(i, _)| *i == index)
                .map_or("", |(_, n)| n.as_str())
        };
        let mut per_device: Vec<(String, u64)> = Vec::new();
        let mut count = |device: &str| match per_device.iter_mut().find(|(d, _)| d == device) {
            Some((_, n)) => *n += 1,
            None => per_device.push((device.to_owned(), 1)),
        };
        for r in routes.iter().filter(|r| r.kind == UNICAST) {
            let src = r.src.map(go_ip).unwrap_or_default();
            let dest = destination(r.dst, r.dst_len);
            let priority = IntText::new(i64::from(r.priority));
            let proto = protocol(r.protocol);
            if r.multipath.is_empty() {
                let device = name(r.out_interface);
                let gw = r.gateway.map(go_ip).unwrap_or_default();
                out.push(
                    &ROUTE_INFO,
                    &[device, &src, &dest, &gw, priority.as_str(), proto, ""],
                    1.0,
                );
                count(device);
            } else {
                for hop in &r.multipath {
                    let device = name(hop.interface);
                    let gw = hop.gateway.map(go_ip).unwrap_or_default();
                    let weight = IntText::new(i64::from(hop.hops) + 1);
                    out.push(
                        &ROUTE_INFO,
                        &[
                            device,
                            &src,
                            &dest,
                            &gw,
                            priority.as_str(),
                            proto,
                            weight.as_str(),
                        ],
                        1.0,
                    );
                    count(device);
                }
            }
        }
        for (device, n) in &per_device {
            out.push(&ROUTES, &[device], *n as f64);
        }
        Ok(())
    }
}
