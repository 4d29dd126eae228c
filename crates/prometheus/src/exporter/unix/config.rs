//! `prometheus.exporter.unix` arguments, with Alloy's defaults.
//!
//! Alloy maps these onto node_exporter's flags (`internal/static/integrations/node_exporter`);
//! the defaults below are Alloy's, which differ from node_exporter's command line in places
//! (the cpu guest metric is off, the diskstats and filesystem excludes are older regexes). The
//! node_exporter 1.12 values are kept beside them for reference and tests.

use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

/// Collectors this exporter implements, by node_exporter name.
pub const IMPLEMENTED_COLLECTORS: &[&str] = &[
    "arp",
    "bcache",
    "bonding",
    "btrfs",
    "buddyinfo",
    "cgroups",
    "conntrack",
    "cpu",
    "cpu_vulnerabilities",
    "cpufreq",
    "diskstats",
    "dmi",
    "drbd",
    "drm",
    "edac",
    "entropy",
    "ethtool",
    "fibrechannel",
    "filefd",
    "filesystem",
    "hwmon",
    "infiniband",
    "interrupts",
    "ipvs",
    "ksmd",
    "lnstat",
    "loadavg",
    "logind",
    "mdadm",
    "meminfo",
    "meminfo_numa",
    "mountstats",
    "netclass",
    "netdev",
    "netstat",
    "network_route",
    "nfs",
    "nfsd",
    "ntp",
    "nvme",
    "os",
    "pcidevice",
    "perf",
    "powersupplyclass",
    "pressure",
    "processes",
    "qdisc",
    "rapl",
    "runit",
    "schedstat",
    "selinux",
    "slabinfo",
    "sockstat",
    "softirqs",
    "softnet",
    "stat",
    "supervisord",
    "swap",
    "sysctl",
    "systemd",
    "tapestats",
    "tcpstat",
    "textfile",
    "thermal_zone",
    "time",
    "timex",
    "udp_queues",
    "uname",
    "vmstat",
    "watchdog",
    "wifi",
    "xfrm",
    "xfs",
    "zfs",
    "zoneinfo",
];

/// The collectors Alloy runs on Linux when `set_collectors` is empty. Alloy 1.18 starts from its own
/// table (`internal/static/integrations/node_exporter/collectors.go`) and then takes the default of
/// every collector registered in the node_exporter package it vendors (`collector.GetDefaults()`, a
/// fork of node_exporter 1.10.2): its documentation's 44 "Enabled by default" Linux and "any" rows,
/// plus `selinux` (enabled in Alloy's table, left out of its documentation) and `watchdog`
/// (registered enabled since node_exporter 1.10, absent from Alloy's table and documentation).
/// ingot runs those it implements and names the others.
pub const ALLOY_DEFAULT_COLLECTORS: &[&str] = &[
    "arp",
    "bcache",
    "bonding",
    "btrfs",
    "conntrack",
    "cpu",
    "cpufreq",
    "diskstats",
    "dmi",
    "edac",
    "entropy",
    "fibrechannel",
    "filefd",
    "filesystem",
    "hwmon",
    "infiniband",
    "ipvs",
    "loadavg",
    "mdadm",
    "meminfo",
    "netclass",
    "netdev",
    "netstat",
    "nfs",
    "nfsd",
    "nvme",
    "os",
    "powersupplyclass",
    "pressure",
    "rapl",
    "schedstat",
    "selinux",
    "sockstat",
    "softnet",
    "stat",
    "tapestats",
    "textfile",
    "thermal_zone",
    "time",
    "timex",
    "udp_queues",
    "uname",
    "vmstat",
    "watchdog",
    "xfs",
    "zfs",
];

/// Every collector name Alloy's `prometheus.exporter.unix` knows: its own table
/// (`internal/static/integrations/node_exporter/collectors.go`) and the collectors node_exporter
/// 1.10.2, which Alloy 1.18 vendors as a fork, registers on Linux (`cpu_vulnerabilities`,
/// `pcidevice`, `swap`, `watchdog`, `xfrm` are not in Alloy's table, but `enable_collectors` runs them).
/// A test holds [`IMPLEMENTED_COLLECTORS`] to be these less [`NOT_ON_LINUX`]: a name neither has is
/// one neither Alloy nor node_exporter has.
#[cfg(test)]
pub const ALLOY_KNOWN_COLLECTORS: &[&str] = &[
    "arp",
    "bcache",
    "bonding",
    "boottime",
    "btrfs",
    "buddyinfo",
    "cgroups",
    "conntrack",
    "cpu",
    "cpu_vulnerabilities",
    "cpufreq",
    "devstat",
    "diskstats",
    "dmi",
    "drbd",
    "drm",
    "edac",
    "entropy",
    "ethtool",
    "exec",
    "fibrechannel",
    "filefd",
    "filesystem",
    "hwmon",
    "infiniband",
    "interrupts",
    "ipvs",
    "ksmd",
    "lnstat",
    "loadavg",
    "logind",
    "mdadm",
    "meminfo",
    "meminfo_numa",
    "mountstats",
    "netclass",
    "netdev",
    "netisr",
    "netstat",
    "network_route",
    "nfs",
    "nfsd",
    "ntp",
    "nvme",
    "os",
    "pcidevice",
    "perf",
    "powersupplyclass",
    "pressure",
    "processes",
    "qdisc",
    "rapl",
    "runit",
    "schedstat",
    "selinux",
    "slabinfo",
    "sockstat",
    "softirqs",
    "softnet",
    "stat",
    "supervisord",
    "swap",
    "sysctl",
    "systemd",
    "tapestats",
    "tcpstat",
    "textfile",
    "thermal",
    "thermal_zone",
    "time",
    "timex",
    "udp_queues",
    "uname",
    "vmstat",
    "watchdog",
    "wifi",
    "xfrm",
    "xfs",
    "zfs",
    "zoneinfo",
];

/// Collectors of [`ALLOY_KNOWN_COLLECTORS`] that exist on other systems only (BSDs, macOS): on Linux
/// Alloy drops them from the selection, and so does ingot.
pub const NOT_ON_LINUX: &[&str] = &["boottime", "devstat", "exec", "netisr", "thermal"];

/// Alloy's default for `disk.device_exclude`.
pub const DEFAULT_DISK_DEVICE_EXCLUDE: &str = r"^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$";
/// node_exporter 1.12's `--collector.diskstats.device-exclude` default.
pub const NODE_EXPORTER_DISK_DEVICE_EXCLUDE: &str =
    r"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$";

/// Alloy's Linux default for `filesystem.mount_points_exclude`.
pub const DEFAULT_MOUNT_POINTS_EXCLUDE: &str =
    r"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+)($|/)";
/// node_exporter 1.12's `--collector.filesystem.mount-points-exclude` default.
pub const NODE_EXPORTER_MOUNT_POINTS_EXCLUDE: &str =
    r"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";

/// Alloy's Linux default for `filesystem.fs_types_exclude`.
pub const DEFAULT_FS_TYPES_EXCLUDE: &str = "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$";
/// node_exporter 1.12's `--collector.filesystem.fs-types-exclude` default (adds erofs).
pub const NODE_EXPORTER_FS_TYPES_EXCLUDE: &str = "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$";

/// Alloy's default for `netstat.fields`.
pub const DEFAULT_NETSTAT_FIELDS: &str = "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$";
/// node_exporter 1.12's `--collector.netstat.fields` default (adds `TCPOFOQueue` and `TCPRcvQDrop`).
pub const NODE_EXPORTER_NETSTAT_FIELDS: &str = "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$";
/// Alloy's (and node_exporter's) default for `vmstat.fields`.
pub const DEFAULT_VMSTAT_FIELDS: &str = "^(oom_kill|pgpg|pswp|pg.*fault).*";

/// Alloy's default for `systemd.unit_exclude` (anchored as `^(?:…)$` when used).
pub const DEFAULT_SYSTEMD_UNIT_EXCLUDE: &str = r".+\.(automount|device|mount|scope|slice)";
pub const DEFAULT_SYSTEMD_UNIT_INCLUDE: &str = ".+";

#[derive(Debug, Clone, PartialEq)]
pub struct UnixConfig {
    pub procfs_path: PathBuf,
    pub sysfs_path: PathBuf,
    pub rootfs_path: PathBuf,
    pub udev_data_path: PathBuf,
    /// Replaces the default set of collectors when not empty.
    pub set_collectors: Vec<String>,
    pub enable_collectors: Vec<String>,
    pub disable_collectors: Vec<String>,
    pub arp: ArpConfig,
    pub bcache: BcacheConfig,
    pub cpu: CpuConfig,
    pub disk: DiskConfig,
    pub ethtool: EthtoolConfig,
    pub filesystem: FilesystemConfig,
    pub hwmon: HwmonConfig,
    pub ipvs: IpvsConfig,
    pub netclass: NetclassConfig,
    pub netdev: NetdevConfig,
    pub netstat: NetstatConfig,
    pub ntp: NtpConfig,
    pub perf: PerfConfig,
    pub powersupply: PowersupplyConfig,
    pub runit: RunitConfig,
    pub supervisord: SupervisordConfig,
    pub stat: StatConfig,
    pub sysctl: SysctlConfig,
    pub systemd: SystemdConfig,
    pub tapestats: TapestatsConfig,
    pub textfile: TextfileConfig,
    pub vmstat: VmstatConfig,
}

impl Default for UnixConfig {
    fn default() -> UnixConfig {
        UnixConfig {
            procfs_path: PathBuf::from("/proc"),
            sysfs_path: PathBuf::from("/sys"),
            rootfs_path: PathBuf::from("/"),
            udev_data_path: PathBuf::from("/run/udev/data"),
            set_collectors: Vec::new(),
            enable_collectors: Vec::new(),
            disable_collectors: Vec::new(),
            arp: ArpConfig::default(),
            bcache: BcacheConfig::default(),
            cpu: CpuConfig::default(),
            disk: DiskConfig::default(),
            ethtool: EthtoolConfig::default(),
            filesystem: FilesystemConfig::default(),
            hwmon: HwmonConfig::default(),
            ipvs: IpvsConfig::default(),
            netclass: NetclassConfig::default(),
            netdev: NetdevConfig::default(),
            netstat: NetstatConfig::default(),
            ntp: NtpConfig::default(),
            perf: PerfConfig::default(),
            powersupply: PowersupplyConfig::default(),
            runit: RunitConfig::default(),
            supervisord: SupervisordConfig::default(),
            stat: StatConfig::default(),
            sysctl: SysctlConfig::default(),
            systemd: SystemdConfig::default(),
            tapestats: TapestatsConfig::default(),
            textfile: TextfileConfig::default(),
            vmstat: VmstatConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuConfig {
    /// `node_cpu_guest_seconds_total` (Alloy: off; node_exporter: on).
    pub guest: bool,
    /// `node_cpu_info`; implied by either include regex.
    pub info: bool,
    pub flags_include: String,
    pub bugs_include: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskConfig {
    pub device_exclude: String,
    /// When set, replaces `device_exclude`.
    pub device_include: String,
}

impl Default for DiskConfig {
    fn default() -> DiskConfig {
        DiskConfig {
            device_exclude: DEFAULT_DISK_DEVICE_EXCLUDE.to_owned(),
            device_include: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesystemConfig {
    pub fs_types_exclude: String,
    pub mount_points_exclude: String,
    /// How long one `statfs` may take before its mount is marked stuck.
    pub mount_timeout: Duration,
}

impl Default for FilesystemConfig {
    fn default() -> FilesystemConfig {
        FilesystemConfig {
            fs_types_exclude: DEFAULT_FS_TYPES_EXCLUDE.to_owned(),
            mount_points_exclude: DEFAULT_MOUNT_POINTS_EXCLUDE.to_owned(),
            mount_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetdevConfig {
    pub address_info: bool,
    pub device_exclude: String,
    pub device_include: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemdConfig {
    pub enable_restarts: bool,
    pub start_time: bool,
    pub task_metrics: bool,
    pub unit_exclude: String,
    pub unit_include: String,
}

impl Default for SystemdConfig {
    fn default() -> SystemdConfig {
        SystemdConfig {
            enable_restarts: false,
            start_time: false,
            task_metrics: false,
            unit_exclude: DEFAULT_SYSTEMD_UNIT_EXCLUDE.to_owned(),
            unit_include: DEFAULT_SYSTEMD_UNIT_INCLUDE.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArpConfig {
    pub device_exclude: String,
    pub device_include: String,
    /// Read the neighbour table over netlink instead of `/proc/net/arp` (Alloy's default: `false`;
    /// node_exporter's: `true`).
    pub netlink: bool,
}

/// node_exporter's full list of IPVS backend labels, its (and Alloy's) default.
pub const IPVS_BACKEND_LABELS: [&str; 6] = [
    "local_address",
    "local_port",
    "remote_address",
    "remote_port",
    "proto",
    "local_mark",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpvsConfig {
    pub backend_labels: Vec<String>,
}

impl Default for IpvsConfig {
    fn default() -> IpvsConfig {
        IpvsConfig {
            backend_labels: IPVS_BACKEND_LABELS.map(str::to_owned).to_vec(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetstatConfig {
    pub fields: String,
}

impl Default for NetstatConfig {
    fn default() -> NetstatConfig {
        NetstatConfig {
            fields: DEFAULT_NETSTAT_FIELDS.to_owned(),
        }
    }
}

/// The stat collector's options. Alloy's schema has none and passes `softirq = false`; the option
/// is here for node_exporter's `--collector.stat.softirq` (its end-to-end test sets it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatConfig {
    pub softirq: bool,
}

/// `sysctl` names to export: `include` as numbers, `include_info` as info labels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SysctlConfig {
    pub include: Vec<String>,
    pub include_info: Vec<String>,
}

/// Alloy's default directory is empty: the collector reads nothing and reports no error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextfileConfig {
    pub directory: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmstatConfig {
    pub fields: String,
}

impl Default for VmstatConfig {
    fn default() -> VmstatConfig {
        VmstatConfig {
            fields: DEFAULT_VMSTAT_FIELDS.to_owned(),
        }
    }
}

/// The `bcache` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BcacheConfig {
    /// node_exporter's `--collector.bcache.priorityStats`: read each cache's `priority_stats`
    /// (expensive: the kernel walks every bucket).
    pub priority_stats: bool,
}

/// The `ethtool` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EthtoolConfig {
    pub device_exclude: String,
    pub device_include: String,
    /// Which driver statistics become metrics (matched against the sanitized statistic name).
    pub metrics_include: String,
}

impl Default for EthtoolConfig {
    fn default() -> EthtoolConfig {
        EthtoolConfig {
            device_exclude: String::new(),
            device_include: String::new(),
            metrics_include: ".*".to_owned(),
        }
    }
}

/// The `hwmon` block: chips to include or exclude, by the `chip` label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HwmonConfig {
    pub chip_include: String,
    pub chip_exclude: String,
}

/// The `netclass` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetclassConfig {
    /// Leave out `node_network_speed_bytes` of devices whose speed reads as negative (unknown).
    pub ignore_invalid_speed_device: bool,
    pub ignored_devices: String,
}

impl Default for NetclassConfig {
    fn default() -> NetclassConfig {
        NetclassConfig {
            ignore_invalid_speed_device: false,
            ignored_devices: "^$".to_owned(),
        }
    }
}

/// The `perf` block (node_exporter's `--collector.perf.*` flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerfConfig {
    /// CPUs to profile (`1,3-5`, strides as `0-8:2`); empty means every CPU.
    pub cpus: String,
    /// `subsystem:event` tracepoints to count.
    pub tracepoint: Vec<String>,
    pub disable_hardware_profilers: bool,
    pub disable_software_profilers: bool,
    pub disable_cache_profilers: bool,
    pub hardware_profilers: Vec<String>,
    pub software_profilers: Vec<String>,
    pub cache_profilers: Vec<String>,
}

/// The `powersupply` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowersupplyConfig {
    pub ignored_supplies: String,
}

impl Default for PowersupplyConfig {
    fn default() -> PowersupplyConfig {
        PowersupplyConfig {
            ignored_supplies: "^$".to_owned(),
        }
    }
}

/// The `tapestats` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapestatsConfig {
    pub ignored_devices: String,
}

impl Default for TapestatsConfig {
    fn default() -> TapestatsConfig {
        TapestatsConfig {
            ignored_devices: "^$".to_owned(),
        }
    }
}

/// The `ntp` block, with Alloy's defaults. Alloy always queries port 123.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtpConfig {
    pub server: String,
    /// Certifies that `server` is not a public NTP server (node_exporter refuses any address other
    /// than a loopback IP without it).
    pub server_is_local: bool,
    pub protocol_version: i64,
    /// The outgoing packet's IP TTL (1: the server must be on this host or its link).
    pub ip_ttl: i64,
    /// Beyond this root distance the server is not sane.
    pub max_distance: Duration,
    /// The offset between the local clock and the server's tolerated by `node_ntp_sanity`.
    pub local_offset_tolerance: Duration,
}

impl Default for NtpConfig {
    fn default() -> NtpConfig {
        NtpConfig {
            server: "127.0.0.1".to_owned(),
            server_is_local: false,
            protocol_version: 4,
            ip_ttl: 1,
            max_distance: Duration::from_micros(3_466_080),
            local_offset_tolerance: Duration::from_millis(1),
        }
    }
}

/// The `runit` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunitConfig {
    pub service_dir: String,
}

impl Default for RunitConfig {
    fn default() -> RunitConfig {
        RunitConfig {
            service_dir: "/etc/service".to_owned(),
        }
    }
}

/// The `supervisord` block. Alloy's default is `$SUPERVISORD_URL` when set (read as the agent
/// starts), else supervisord's own default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisordConfig {
    pub url: String,
}

impl Default for SupervisordConfig {
    fn default() -> SupervisordConfig {
        SupervisordConfig {
            url: std::env::var("SUPERVISORD_URL")
                .ok()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "http://localhost:9001/RPC2".to_owned()),
        }
    }
}

/// A configuration node_exporter would refuse to start with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Which collectors run, as Alloy decides: `set_collectors` (or the defaults), then
/// `disable_collectors`, then `enable_collectors`, so enabling wins over disabling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectorSelection {
    /// Collectors to run, sorted. ingot implements every collector Alloy has on Linux
    /// (`every_collector_alloy_runs_on_linux_is_implemented`).
    pub enabled: Vec<&'static str>,
    /// Named collectors that exist on other systems only; Alloy drops them on Linux, as ingot does.
    pub not_on_linux: Vec<String>,
    /// Names neither Alloy nor node_exporter has (typos): a configuration error.
    pub unknown: Vec<String>,
}

impl UnixConfig {
    pub fn collector_selection(&self) -> CollectorSelection {
        // Named explicitly, with whether the default set is in play.
        let defaults = self.set_collectors.is_empty();
        let mut named: Vec<&str> = self.set_collectors.iter().map(String::as_str).collect();
        named.retain(|c| !self.disable_collectors.iter().any(|d| d == c));
        for c in &self.enable_collectors {
            if !named.contains(&c.as_str()) {
                named.push(c);
            }
        }
        let mut enabled: Vec<&'static str> = Vec::new();
        let (mut not_on_linux, mut unknown) = (Vec::new(), Vec::new());
        for name in named {
            if let Some(c) = IMPLEMENTED_COLLECTORS.iter().find(|c| **c == name) {
                if !enabled.contains(c) {
                    enabled.push(c)
                }
                continue;
            }
            let list = if NOT_ON_LINUX.contains(&name) {
                &mut not_on_linux
            } else {
                &mut unknown
            };
            if !list.iter().any(|u: &String| u == name) {
                list.push(name.to_owned())
            }
        }
        if defaults {
            for &name in ALLOY_DEFAULT_COLLECTORS {
                if !self.disable_collectors.iter().any(|d| d == name) && !enabled.contains(&name) {
                    enabled.push(name);
                }
            }
        }
        enabled.sort_unstable();
        not_on_linux.sort();
        unknown.sort();
        CollectorSelection {
            enabled,
            not_on_linux,
            unknown,
        }
    }
}

/// Compiles a Go-style (unanchored) regex option that is always set (node_exporter's
/// `regexp.MustCompile(*flag)`): an empty pattern matches everything.
pub(crate) fn required_regex(option: &str, pattern: &str) -> Result<Regex, ConfigError> {
    Regex::new(pattern)
        .map_err(|e| ConfigError(format!("invalid regular expression for {option}: {e}")))
}

/// Compiles a Go-style (unanchored) regex option; empty means unset.
pub(crate) fn optional_regex(option: &str, pattern: &str) -> Result<Option<Regex>, ConfigError> {
    if pattern.is_empty() {
        return Ok(None);
    }
    Regex::new(pattern)
        .map(Some)
        .map_err(|e| ConfigError(format!("invalid regular expression for {option}: {e}")))
}

/// node_exporter's `deviceFilter`: a name is dropped if it matches the exclude pattern, or if an
/// include pattern is set and it does not match.
#[derive(Debug, Clone, Default)]
pub(crate) struct DeviceFilter {
    exclude: Option<Regex>,
    include: Option<Regex>,
}

impl DeviceFilter {
    pub(crate) fn new(exclude: Option<Regex>, include: Option<Regex>) -> DeviceFilter {
        DeviceFilter { exclude, include }
    }

    pub(crate) fn ignored(&self, name: &str) -> bool {
        self.exclude.as_ref().is_some_and(|r| r.is_match(name))
            || self.include.as_ref().is_some_and(|r| !r.is_match(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn default_selection_is_alloys() {
        let sel = UnixConfig::default().collector_selection();
        let mut implemented_defaults: Vec<&str> = ALLOY_DEFAULT_COLLECTORS
            .iter()
            .copied()
            .filter(|c| IMPLEMENTED_COLLECTORS.contains(c))
            .collect();
        implemented_defaults.sort_unstable();
        assert_eq!(sel.enabled, implemented_defaults);
        for c in [
            "cpu",
            "stat",
            "textfile",
            "vmstat",
            "hwmon",
            "netclass",
            "thermal_zone",
        ] {
            assert!(sel.enabled.contains(&c), "{c}");
        }
        // Implemented but not in Alloy's default set.
        for c in [
            "processes",
            "systemd",
            "interrupts",
            "tcpstat",
            "logind",
            "perf",
        ] {
            assert!(!sel.enabled.contains(&c), "{c}");
        }
        assert!(sel.unknown.is_empty() && sel.not_on_linux.is_empty());
        assert_eq!(sel.enabled.len(), ALLOY_DEFAULT_COLLECTORS.len());
    }

    /// What keeps "a collector Alloy runs that ingot does not" from existing: every name Alloy knows,
    /// but those of other systems, is implemented (a name added to the known list fails here first).
    #[test]
    fn every_collector_alloy_runs_on_linux_is_implemented() {
        for name in ALLOY_KNOWN_COLLECTORS {
            assert!(
                IMPLEMENTED_COLLECTORS.contains(name) != NOT_ON_LINUX.contains(name),
                "{name}"
            );
        }
        for name in ALLOY_DEFAULT_COLLECTORS
            .iter()
            .chain(IMPLEMENTED_COLLECTORS)
        {
            assert!(ALLOY_KNOWN_COLLECTORS.contains(name), "{name}");
        }
    }

    #[test]
    fn the_default_set_less_what_is_disabled_plus_what_is_enabled() {
        let config = UnixConfig {
            disable_collectors: names(&["stat", "meminfo"]),
            enable_collectors: names(&["qdisc", "processes"]),
            ..UnixConfig::default()
        };
        let sel = config.collector_selection();
        assert!(!sel.enabled.contains(&"meminfo"));
        assert!(!sel.enabled.contains(&"stat"));
        assert!(sel.enabled.contains(&"processes"));
        assert!(sel.enabled.contains(&"qdisc"));
        assert!(sel.enabled.contains(&"vmstat"));
        assert_eq!(sel.enabled.len(), ALLOY_DEFAULT_COLLECTORS.len());
        // With set_collectors the default set is not in play.
        let config = UnixConfig {
            set_collectors: names(&["cpu"]),
            ..UnixConfig::default()
        };
        assert_eq!(config.collector_selection().enabled, ["cpu"]);
    }

    #[test]
    fn set_disable_enable() {
        let config = UnixConfig {
            set_collectors: names(&["cpu", "meminfo", "qdisc", "cpu"]),
            disable_collectors: names(&["meminfo", "processes"]),
            enable_collectors: names(&["processes", "systemd"]),
            ..UnixConfig::default()
        };
        let sel = config.collector_selection();
        assert_eq!(sel.enabled, ["cpu", "processes", "qdisc", "systemd"]);

        let config = UnixConfig {
            set_collectors: names(&["cpu", "qdisc", "devstat", "cpuu"]),
            ..UnixConfig::default()
        };
        let sel = config.collector_selection();
        assert_eq!(sel.enabled, ["cpu", "qdisc"]);
        assert_eq!(sel.not_on_linux, ["devstat"]);
        assert_eq!(sel.unknown, ["cpuu"]);
    }

    #[test]
    fn device_filter() {
        let f = DeviceFilter::new(Regex::new(DEFAULT_DISK_DEVICE_EXCLUDE).ok(), None);
        assert!(f.ignored("sda1"));
        assert!(f.ignored("nvme0n1p2"));
        assert!(!f.ignored("sda"));
        assert!(!f.ignored("zram0"));
        let f = DeviceFilter::new(Regex::new(NODE_EXPORTER_DISK_DEVICE_EXCLUDE).ok(), None);
        assert!(f.ignored("zram0"));
        let f = DeviceFilter::new(None, Regex::new("^lo$").ok());
        assert!(!f.ignored("lo"));
        assert!(f.ignored("eth0"));
    }

    #[test]
    fn bad_regex_is_a_config_error() {
        let err = optional_regex("disk.device_exclude", "(").unwrap_err();
        assert!(err.0.contains("disk.device_exclude"), "{err}");
        assert_eq!(
            optional_regex("x", "").unwrap().map(|r| r.to_string()),
            None
        );
    }
}
