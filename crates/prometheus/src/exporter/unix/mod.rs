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

mod bcache;
mod bonding;
mod btrfs;
mod cpu;
mod cpufreq;
mod diskstats;
mod dmi;
mod drm;
mod edac;
mod ethtool;
mod fibrechannel;
mod filesystem;
mod hwmon;
mod infiniband;
mod loadavg;
mod logind;
mod meminfo;
mod netclass;
mod netdev;
mod nvme;
mod perf;
mod powersupplyclass;
mod processes;
mod rapl;
mod statfs_pool;
mod systemd;
mod tapestats;
mod thermal_zone;
mod time;
mod uname;
mod watchdog;
mod wifi;

pub use args::Arguments;
pub use component::{Component, NAME};
pub use config::{
    BcacheConfig, CollectorSelection, ConfigError, CpuConfig, DiskConfig, EthtoolConfig,
    FilesystemConfig, HwmonConfig, NetclassConfig, NetdevConfig, PerfConfig, PowersupplyConfig,
    SystemdConfig, TapestatsConfig, UnixConfig, ALLOY_DEFAULT_COLLECTORS,
    DEFAULT_DISK_DEVICE_EXCLUDE, DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE,
    DEFAULT_SYSTEMD_UNIT_EXCLUDE, DEFAULT_SYSTEMD_UNIT_INCLUDE, IMPLEMENTED_COLLECTORS,
    NODE_EXPORTER_DISK_DEVICE_EXCLUDE, NODE_EXPORTER_FS_TYPES_EXCLUDE,
    NODE_EXPORTER_MOUNT_POINTS_EXCLUDE,
};
pub use exporter::{CollectorError, UnixExporter};

use exporter::Collector;
use files::{open_error, IntText, LazyDir};
