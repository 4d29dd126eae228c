//! node_exporter's `netclass` collector: `/sys/class/net/<iface>` attributes (Alloy runs its
//! sysfs variant; node_exporter's netlink one is off there).

use std::path::PathBuf;

use ingot_hostfs::netclass::{self, NetClassIface};
use ingot_hostfs::sysfs::to_valid_utf8;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};
use regex::Regex;

use super::config::required_regex;
use super::exporter::NO_DATA;
use super::{Collector, ConfigError, UnixConfig};

const UP: Desc = Desc::new(
    "node_network_up",
    "Value is 1 if operstate is 'up', 0 otherwise.",
    MetricType::Gauge,
    &["device"],
);
const INFO: Desc = Desc::new(
    "node_network_info",
    "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
    MetricType::Gauge,
    &[
        "device",
        "address",
        "broadcast",
        "duplex",
        "operstate",
        "adminstate",
        "ifalias",
    ],
);

macro_rules! property {
    ($name:literal, $kind:ident) => {
        Desc::new(
            concat!("node_network_", $name),
            concat!("Network device property: ", $name),
            MetricType::$kind,
            &["device"],
        )
    };
}

const ADDRESS_ASSIGN_TYPE: Desc = property!("address_assign_type", Gauge);
const CARRIER: Desc = property!("carrier", Gauge);
const CARRIER_CHANGES: Desc = property!("carrier_changes_total", Counter);
const CARRIER_UP_CHANGES: Desc = property!("carrier_up_changes_total", Counter);
const CARRIER_DOWN_CHANGES: Desc = property!("carrier_down_changes_total", Counter);
const DEVICE_ID: Desc = property!("device_id", Gauge);
const DORMANT: Desc = property!("dormant", Gauge);
const FLAGS: Desc = property!("flags", Gauge);
const IFACE_ID: Desc = property!("iface_id", Gauge);
const IFACE_LINK: Desc = property!("iface_link", Gauge);
const IFACE_LINK_MODE: Desc = property!("iface_link_mode", Gauge);
const MTU: Desc = property!("mtu_bytes", Gauge);
const NAME_ASSIGN_TYPE: Desc = property!("name_assign_type", Gauge);
const NET_DEV_GROUP: Desc = property!("net_dev_group", Gauge);
const SPEED: Desc = property!("speed_bytes", Gauge);
const TX_QUEUE_LENGTH: Desc = property!("transmit_queue_length", Gauge);
const PROTOCOL_TYPE: Desc = property!("protocol_type", Gauge);

pub(super) struct NetclassCollector {
    class_dir: PathBuf,
    ignored: Regex,
    ignore_invalid_speed: bool,
    buf: Vec<u8>,
    kept: netclass::KeptIfaces,
}

/// At most this many descriptors of interface attributes stay open between gathers (and at most a
/// quarter of the open-files limit): 5 interfaces. Each costs the kernel a file and a page of
/// seq_file buffer; a host with more interfaces keeps the first ones and opens the rest afresh.
const KEPT_MAX: usize = 128;

impl NetclassCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<NetclassCollector, ConfigError> {
        Ok(NetclassCollector {
            class_dir: config.sysfs_path.join("class/net"),
            ignored: required_regex("netclass.ignored_devices", &config.netclass.ignored_devices)?,
            ignore_invalid_speed: config.netclass.ignore_invalid_speed_device,
            buf: Vec::new(),
            kept: netclass::KeptIfaces::new(
                ingot_hostfs::sys::open_files_limit()
                    .map_or(KEPT_MAX, |l| KEPT_MAX.min((l / 4) as usize)),
            ),
        })
    }

    fn push(&self, out: &mut FamilySet, iface: &NetClassIface) {
        let device = iface.name.as_str();
        let up = if iface.operstate == "up" { 1.0 } else { 0.0 };
        out.push(&UP, &[device], up);
        let admin = match iface.flags {
            None => "unknown",
            Some(flags) if flags & 1 == 1 => "up",
            Some(_) => "down",
        };
        let text = |s: &str| to_valid_utf8(s.as_bytes());
        out.push(
            &INFO,
            &[
                device,
                &text(&iface.address),
                &text(&iface.broadcast),
                &text(&iface.duplex),
                &text(&iface.operstate),
                admin,
                &text(&iface.ifalias),
            ],
            1.0,
        );
        // node_exporter's speed in bytes: integer arithmetic on megabits.
        let speed = iface
            .speed
            .filter(|&s| s >= 0 || !self.ignore_invalid_speed)
            .map(|s| s.wrapping_mul(1_000_000) / 8);
        for (desc, value) in [
            (&ADDRESS_ASSIGN_TYPE, iface.addr_assign_type),
            (&CARRIER, iface.carrier),
            (&CARRIER_CHANGES, iface.carrier_changes),
            (&CARRIER_UP_CHANGES, iface.carrier_up_count),
            (&CARRIER_DOWN_CHANGES, iface.carrier_down_count),
            (&DEVICE_ID, iface.dev_id),
            (&DORMANT, iface.dormant),
            (&FLAGS, iface.flags),
            (&IFACE_ID, iface.ifindex),
            (&IFACE_LINK, iface.iflink),
            (&IFACE_LINK_MODE, iface.link_mode),
            (&MTU, iface.mtu),
            (&NAME_ASSIGN_TYPE, iface.name_assign_type),
            (&NET_DEV_GROUP, iface.netdev_group),
            (&SPEED, speed),
            (&TX_QUEUE_LENGTH, iface.tx_queue_len),
            (&PROTOCOL_TYPE, iface.iface_type),
        ] {
            if let Some(v) = value {
                out.push(desc, &[device], v as f64);
            }
        }
    }
}

impl Collector for NetclassCollector {
    fn name(&self) -> &'static str {
        "netclass"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        // node_exporter reads every interface before it reports any, and a directory that is
        // missing or unreadable anywhere means "no data".
        let no_data_or = |e: ingot_hostfs::sysfs::SysError| {
            if e.is_not_found() || e.is_permission() {
                NO_DATA.to_owned()
            } else {
                format!("could not get net class info: {e}")
            }
        };
        let devices = netclass::devices(&self.class_dir).map_err(no_data_or)?;
        self.kept.retain(&devices);
        let mut ifaces = Vec::with_capacity(devices.len());
        for device in &devices {
            if self.ignored.is_match(&device.name) {
                continue;
            }
            ifaces.push(
                self.kept
                    .iface(&self.class_dir, device, &mut self.buf)
                    .map_err(no_data_or)?,
            );
        }
        for iface in &ifaces {
            self.push(out, iface);
        }
        Ok(())
    }
}
