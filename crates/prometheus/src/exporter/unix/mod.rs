//! `prometheus.exporter.unix`: node_exporter's host collectors, in process.
//!
//! The output is node_exporter 1.12's, byte for byte: the same families, labels, HELP, TYPE and
//! values, encoded as client_golang does (see `ingot_prom::exposition`). Collectors keep their
//! read buffers and the exporter keeps its [`FamilySet`](ingot_prom::exposition::FamilySet), so a
//! gather after the first reuses memory instead of allocating it.
//!
//! Unlike node_exporter, collectors run one after another on the caller's thread: the work is a
//! few small file reads, cheaper than waking threads. Only `statfs` runs elsewhere (see
//! `filesystem.rs`), because a dead network mount can block it forever; the systemd collector's
//! D-Bus client (zbus) keeps its own I/O thread while it is connected.
//!
//! `args.rs` decodes the block, `component.rs` runs it, `config.rs` is the exporter's settings,
//! `exporter.rs` runs the collectors, and each collector has a file of its own.

mod args;
mod component;
mod config;
mod exporter;
mod files;

mod arp;
mod bcache;
mod bonding;
mod btrfs;
mod buddyinfo;
mod cgroups;
mod conntrack;
mod cpu;
mod cpu_vulnerabilities;
mod cpufreq;
mod diskstats;
mod dmi;
mod drbd;
mod drm;
mod edac;
mod entropy;
mod ethtool;
mod fibrechannel;
mod fields;
mod filefd;
mod filesystem;
mod hwmon;
mod infiniband;
mod interrupts;
mod ipvs;
mod ksmd;
mod lnstat;
mod loadavg;
mod logind;
mod mdadm;
mod meminfo;
mod meminfo_numa;
mod mountstats;
mod netclass;
mod netdev;
mod netstat;
mod network_route;
mod nfs;
mod nfsd;
mod ntp;
mod nvme;
mod os;
mod pcidevice;
mod perf;
mod powersupplyclass;
mod pressure;
mod processes;
mod qdisc;
mod rapl;
mod runit;
mod schedstat;
mod selinux;
mod slabinfo;
mod sockstat;
mod softirqs;
mod softnet;
mod stat;
mod statfs_pool;
mod supervisord;
mod swap;
mod sysctl;
mod systemd;
mod tapestats;
mod tcpstat;
mod textfile;
mod thermal_zone;
mod time;
mod timex;
mod udp_queues;
mod uname;
mod vmstat;
mod watchdog;
mod wifi;
mod xfrm;
mod xfs;
mod zfs;
mod zoneinfo;

pub use args::Arguments;
pub use component::{Component, NAME};
pub use config::{
    ArpConfig, BcacheConfig, CollectorSelection, ConfigError, CpuConfig, DiskConfig, EthtoolConfig,
    FilesystemConfig, HwmonConfig, IpvsConfig, NetclassConfig, NetdevConfig, NetstatConfig,
    NtpConfig, PerfConfig, PowersupplyConfig, RunitConfig, StatConfig, SupervisordConfig,
    SysctlConfig, SystemdConfig, TapestatsConfig, TextfileConfig, UnixConfig, VmstatConfig,
    ALLOY_DEFAULT_COLLECTORS, DEFAULT_DISK_DEVICE_EXCLUDE, DEFAULT_FS_TYPES_EXCLUDE,
    DEFAULT_MOUNT_POINTS_EXCLUDE, DEFAULT_NETSTAT_FIELDS, DEFAULT_SYSTEMD_UNIT_EXCLUDE,
    DEFAULT_SYSTEMD_UNIT_INCLUDE, DEFAULT_VMSTAT_FIELDS, IMPLEMENTED_COLLECTORS,
    IPVS_BACKEND_LABELS, NODE_EXPORTER_DISK_DEVICE_EXCLUDE, NODE_EXPORTER_FS_TYPES_EXCLUDE,
    NODE_EXPORTER_MOUNT_POINTS_EXCLUDE, NODE_EXPORTER_NETSTAT_FIELDS,
};
pub use exporter::{CollectorError, UnixExporter};

use exporter::{Collector, NO_DATA};
use files::{open_error, IntText, LazyDir};
