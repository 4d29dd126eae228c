//! `prometheus.exporter.unix`'s arguments and blocks, with Alloy's defaults (which differ from
//! node_exporter's in places).

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use super::{
    ArpConfig, BcacheConfig, CpuConfig, DiskConfig, EthtoolConfig, FilesystemConfig, HwmonConfig,
    IpvsConfig, NetclassConfig, NetdevConfig, NetstatConfig, NtpConfig, PerfConfig,
    PowersupplyConfig, RunitConfig, SupervisordConfig, SysctlConfig, SystemdConfig,
    TapestatsConfig, TextfileConfig, UnixConfig, VmstatConfig, IMPLEMENTED_COLLECTORS,
};

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub config: UnixConfig,
    /// As Alloy: wraps the endpoint in client_golang's handler instrumentation, adding
    /// `promhttp_metric_handler_requests_in_flight` and `promhttp_metric_handler_requests_total`.
    /// (Alloy registers no Go or process collectors for it.)
    pub include_exporter_metrics: bool,
    /// What the arguments ask for that ingot cannot do (collectors it lacks, blocks for them): said in the
    /// log and the health message, never silently dropped.
    pub notes: Vec<String>,
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
            arp: d.block("arp")?.unwrap_or(defaults.arp),
            bcache: d.block("bcache")?.unwrap_or(defaults.bcache),
            cpu: d.block("cpu")?.unwrap_or(defaults.cpu),
            disk: d.block("disk")?.unwrap_or(defaults.disk),
            ethtool: d.block("ethtool")?.unwrap_or(defaults.ethtool),
            filesystem: d.block("filesystem")?.unwrap_or(defaults.filesystem),
            hwmon: d.block("hwmon")?.unwrap_or(defaults.hwmon),
            ipvs: d.block("ipvs")?.unwrap_or(defaults.ipvs),
            netclass: d.block("netclass")?.unwrap_or(defaults.netclass),
            netdev: d.block("netdev")?.unwrap_or(defaults.netdev),
            netstat: d.block("netstat")?.unwrap_or(defaults.netstat),
            ntp: d.block("ntp")?.unwrap_or(defaults.ntp),
            perf: d.block("perf")?.unwrap_or(defaults.perf),
            powersupply: d.block("powersupply")?.unwrap_or(defaults.powersupply),
            runit: d.block("runit")?.unwrap_or(defaults.runit),
            supervisord: d.block("supervisord")?.unwrap_or(defaults.supervisord),
            sysctl: d.block("sysctl")?.unwrap_or(defaults.sysctl),
            systemd: d.block("systemd")?.unwrap_or(defaults.systemd),
            tapestats: d.block("tapestats")?.unwrap_or(defaults.tapestats),
            textfile: d.block("textfile")?.unwrap_or(defaults.textfile),
            vmstat: d.block("vmstat")?.unwrap_or(defaults.vmstat),
            ..defaults
        };
        let include_exporter_metrics = d.optional_or("include_exporter_metrics", false)?;
        let mut notes = Vec::new();
        notes.extend(super::perf::unknown_profilers(&config.perf));
        let selection = config.collector_selection();
        if !selection.unknown.is_empty() {
            let attr = ["set_collectors", "enable_collectors"]
                .into_iter()
                .find(|a| d.has(a))
                .unwrap_or("set_collectors");
            let names = selection
                .unknown
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            let plural = if selection.unknown.len() > 1 { "s" } else { "" };
            return Err(d.error_at_attr(
                attr,
                format!(
                    "unknown collector{plural} {names}: neither Alloy nor node_exporter has such a collector (ingot implements {})",
                    IMPLEMENTED_COLLECTORS.join(", ")
                ),
            ));
        }
        if !selection.not_on_linux.is_empty() {
            notes.push(format!(
                "collectors {} do not exist on Linux (Alloy skips them too)",
                selection.not_on_linux.join(", ")
            ));
        }
        Ok(Arguments {
            config,
            include_exporter_metrics,
            notes,
        })
    }
}

impl Decode for ArpConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = ArpConfig::default();
        Ok(ArpConfig {
            device_exclude: d.optional_or("device_exclude", def.device_exclude)?,
            device_include: d.optional_or("device_include", def.device_include)?,
            netlink: d.optional_or("netlink", def.netlink)?,
        })
    }
}

impl Decode for IpvsConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let labels: Vec<String> = d.optional_or("backend_labels", Vec::new())?;
        // As Alloy passes it: an empty list leaves node_exporter's default, every label.
        let config = if labels.is_empty() {
            IpvsConfig::default()
        } else {
            IpvsConfig {
                backend_labels: labels,
            }
        };
        if let Some(bad) = config
            .backend_labels
            .iter()
            .find(|l| !l.is_empty() && !super::IPVS_BACKEND_LABELS.contains(&l.as_str()))
        {
            return Err(d.error_at_attr(
                "backend_labels",
                format!(
                    "unknown IPVS backend label {bad:?} (known: {})",
                    super::IPVS_BACKEND_LABELS.join(", ")
                ),
            ));
        }
        Ok(config)
    }
}

impl Decode for NetstatConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(NetstatConfig {
            fields: d.optional_or("fields", NetstatConfig::default().fields)?,
        })
    }
}

impl Decode for SysctlConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(SysctlConfig {
            include: d.optional_or("include", Vec::new())?,
            include_info: d.optional_or("include_info", Vec::new())?,
        })
    }
}

impl Decode for TextfileConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(TextfileConfig {
            directory: d.optional_or("directory", String::new())?,
        })
    }
}

impl Decode for VmstatConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(VmstatConfig {
            fields: d.optional_or("fields", VmstatConfig::default().fields)?,
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

impl Decode for BcacheConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(BcacheConfig {
            priority_stats: d.optional_or("priority_stats", false)?,
        })
    }
}

impl Decode for EthtoolConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = EthtoolConfig::default();
        Ok(EthtoolConfig {
            device_exclude: d.optional_or("device_exclude", def.device_exclude)?,
            device_include: d.optional_or("device_include", def.device_include)?,
            metrics_include: d.optional_or("metrics_include", def.metrics_include)?,
        })
    }
}

impl Decode for HwmonConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = HwmonConfig::default();
        Ok(HwmonConfig {
            chip_exclude: d.optional_or("chip_exclude", def.chip_exclude)?,
            chip_include: d.optional_or("chip_include", def.chip_include)?,
        })
    }
}

impl Decode for NetclassConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = NetclassConfig::default();
        Ok(NetclassConfig {
            ignore_invalid_speed_device: d.optional_or(
                "ignore_invalid_speed_device",
                def.ignore_invalid_speed_device,
            )?,
            ignored_devices: d.optional_or("ignored_devices", def.ignored_devices)?,
        })
    }
}

impl Decode for PerfConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(PerfConfig {
            cpus: d.optional_or("cpus", String::new())?,
            tracepoint: d.optional_or("tracepoint", Vec::new())?,
            disable_hardware_profilers: d.optional_or("disable_hardware_profilers", false)?,
            disable_software_profilers: d.optional_or("disable_software_profilers", false)?,
            disable_cache_profilers: d.optional_or("disable_cache_profilers", false)?,
            hardware_profilers: d.optional_or("hardware_profilers", Vec::new())?,
            software_profilers: d.optional_or("software_profilers", Vec::new())?,
            cache_profilers: d.optional_or("cache_profilers", Vec::new())?,
        })
    }
}

impl Decode for PowersupplyConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = PowersupplyConfig::default();
        Ok(PowersupplyConfig {
            ignored_supplies: d.optional_or("ignored_supplies", def.ignored_supplies)?,
        })
    }
}

impl Decode for TapestatsConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = TapestatsConfig::default();
        Ok(TapestatsConfig {
            ignored_devices: d.optional_or("ignored_devices", def.ignored_devices)?,
        })
    }
}

impl Decode for NtpConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = NtpConfig::default();
        Ok(NtpConfig {
            server: d.optional_or("server", def.server)?,
            server_is_local: d.optional_or("server_is_local", def.server_is_local)?,
            protocol_version: d.optional_or("protocol_version", def.protocol_version)?,
            ip_ttl: d.optional_or("ip_ttl", def.ip_ttl)?,
            max_distance: d.optional_or("max_distance", def.max_distance)?,
            local_offset_tolerance: d
                .optional_or("local_offset_tolerance", def.local_offset_tolerance)?,
        })
    }
}

impl Decode for RunitConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(RunitConfig {
            service_dir: d.optional_or("service_dir", RunitConfig::default().service_dir)?,
        })
    }
}

impl Decode for SupervisordConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(SupervisordConfig {
            url: d.optional_or("url", SupervisordConfig::default().url)?,
        })
    }
}
