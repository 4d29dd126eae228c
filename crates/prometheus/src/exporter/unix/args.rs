//! `prometheus.exporter.unix`'s arguments and blocks, with Alloy's defaults (which differ from
//! node_exporter's in places).

use std::collections::BTreeMap;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

use super::{
    CpuConfig, DiskConfig, FilesystemConfig, NetdevConfig, SystemdConfig, UnixConfig,
    IMPLEMENTED_COLLECTORS,
};

/// Blocks Alloy accepts for collectors ingot does not implement. They configure nothing that runs (enabling
/// such a collector is refused), so they are accepted and left alone.
const BLOCKS_OF_OTHER_COLLECTORS: &[&str] = &[
    "arp",
    "bcache",
    "ethtool",
    "hwmon",
    "ipvs",
    "ntp",
    "netclass",
    "netstat",
    "perf",
    "powersupply",
    "runit",
    "supervisord",
    "sysctl",
    "tapestats",
    "textfile",
    "vmstat",
];

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub config: UnixConfig,
    /// As Alloy: wraps the endpoint in client_golang's handler instrumentation, adding
    /// `promhttp_metric_handler_requests_in_flight` and `promhttp_metric_handler_requests_total`.
    /// (Alloy registers no Go or process collectors for it.)
    pub include_exporter_metrics: bool,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let defaults = UnixConfig::default();
        let config = UnixConfig {
            set_collectors: d.optional_or("set_collectors", Vec::new())?,
            enable_collectors: d.optional_or("enable_collectors", Vec::new())?,
            disable_collectors: d.optional_or("disable_collectors", Vec::new())?,
            procfs_path: d
                .optional_or::<String>("procfs_path", "/proc".into())?
                .into(),
            sysfs_path: d.optional_or::<String>("sysfs_path", "/sys".into())?.into(),
            rootfs_path: d.optional_or::<String>("rootfs_path", "/".into())?.into(),
            udev_data_path: d
                .optional_or::<String>("udev_data_path", "/run/udev/data".into())?
                .into(),
            cpu: d.block("cpu")?.unwrap_or(defaults.cpu),
            disk: d.block("disk")?.unwrap_or(defaults.disk),
            filesystem: d.block("filesystem")?.unwrap_or(defaults.filesystem),
            netdev: d.block("netdev")?.unwrap_or(defaults.netdev),
            systemd: d.block("systemd")?.unwrap_or(defaults.systemd),
        };
        let include_exporter_metrics = d.optional_or("include_exporter_metrics", false)?;
        for name in BLOCKS_OF_OTHER_COLLECTORS {
            let _: Option<BTreeMap<String, Value>> = d.block(name)?;
        }
        let unsupported = config.collector_selection().unsupported;
        if !unsupported.is_empty() {
            let attr = ["set_collectors", "enable_collectors"]
                .into_iter()
                .find(|a| d.has(a))
                .unwrap_or("set_collectors");
            let names = unsupported
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            let plural = if unsupported.len() > 1 { "s" } else { "" };
            return Err(d.error_at_attr(
                attr,
                format!(
                    "collector{plural} {names} not supported by ingot yet; supported collectors: {}",
                    IMPLEMENTED_COLLECTORS.join(", ")
                ),
            ));
        }
        Ok(Arguments {
            config,
            include_exporter_metrics,
        })
    }
}

impl Decode for CpuConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = CpuConfig::default();
        Ok(CpuConfig {
            guest: d.optional_or("guest", def.guest)?,
            info: d.optional_or("info", def.info)?,
            flags_include: d.optional_or("flags_include", def.flags_include)?,
            bugs_include: d.optional_or("bugs_include", def.bugs_include)?,
        })
    }
}

impl Decode for DiskConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = DiskConfig::default();
        Ok(DiskConfig {
            device_exclude: d.optional_or("device_exclude", def.device_exclude)?,
            device_include: d.optional_or("device_include", def.device_include)?,
        })
    }
}

impl Decode for FilesystemConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = FilesystemConfig::default();
        Ok(FilesystemConfig {
            fs_types_exclude: d.optional_or("fs_types_exclude", def.fs_types_exclude)?,
            mount_points_exclude: d
                .optional_or("mount_points_exclude", def.mount_points_exclude)?,
            mount_timeout: d.optional_or("mount_timeout", def.mount_timeout)?,
        })
    }
}

impl Decode for NetdevConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = NetdevConfig::default();
        Ok(NetdevConfig {
            address_info: d.optional_or("address_info", def.address_info)?,
            device_exclude: d.optional_or("device_exclude", def.device_exclude)?,
            device_include: d.optional_or("device_include", def.device_include)?,
        })
    }
}

impl Decode for SystemdConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = SystemdConfig::default();
        Ok(SystemdConfig {
            enable_restarts: d.optional_or("enable_restarts", def.enable_restarts)?,
            start_time: d.optional_or("start_time", def.start_time)?,
            task_metrics: d.optional_or("task_metrics", def.task_metrics)?,
            unit_exclude: d.optional_or("unit_exclude", def.unit_exclude)?,
            unit_include: d.optional_or("unit_include", def.unit_include)?,
        })
    }
}
