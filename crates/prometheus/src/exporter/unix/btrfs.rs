//! node_exporter's `btrfs` collector: `/sys/fs/btrfs/<uuid>` allocation and commit statistics, and
//! for each mounted btrfs the devices' sizes and error counters from its ioctls (as node_exporter
//! does through dennwc/btrfs; without them, device sizes come from sysfs).

use std::path::PathBuf;

use ingot_hostfs::btrfs::{self, Allocation, Filesystem, IoctlFilesystem};
use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::filesystem::{go_join, strip_rootfs};
use super::{Collector, UnixConfig};

const INFO: Desc = Desc::new(
    "node_btrfs_info",
    "Filesystem information",
    MetricType::Gauge,
    &["uuid", "label"],
);
const GLOBAL_RSV: Desc = Desc::new(
    "node_btrfs_global_rsv_size_bytes",
    "Size of global reserve.",
    MetricType::Gauge,
    &["uuid"],
);
const COMMITS: Desc = Desc::new(
    "node_btrfs_commits_total",
    "The total number of commits that have occurred.",
    MetricType::Counter,
    &["uuid"],
);
const LAST_COMMIT: Desc = Desc::new(
    "node_btrfs_last_commit_seconds",
    "Duration of the most recent commit, in seconds.",
    MetricType::Gauge,
    &["uuid"],
);
const MAX_COMMIT: Desc = Desc::new(
    "node_btrfs_max_commit_seconds",
    "Duration of the slowest commit, in seconds.",
    MetricType::Gauge,
    &["uuid"],
);
const COMMIT_SECONDS: Desc = Desc::new(
    "node_btrfs_commit_seconds_total",
    "Sum of the duration of all commits, in seconds.",
    MetricType::Counter,
    &["uuid"],
);
const RESERVED: Desc = Desc::new(
    "node_btrfs_reserved_bytes",
    "Amount of space reserved for a data type",
    MetricType::Gauge,
    &["uuid", "block_group_type"],
);
const USED: Desc = Desc::new(
    "node_btrfs_used_bytes",
    "Amount of used space by a layout/data type",
    MetricType::Gauge,
    &["uuid", "block_group_type", "mode"],
);
const SIZE: Desc = Desc::new(
    "node_btrfs_size_bytes",
    "Amount of space allocated for a layout/data type",
    MetricType::Gauge,
    &["uuid", "block_group_type", "mode"],
);
const RATIO: Desc = Desc::new(
    "node_btrfs_allocation_ratio",
    "Data allocation ratio for a layout/data type",
    MetricType::Gauge,
    &["uuid", "block_group_type", "mode"],
);
/// With ioctl data the family gains `btrfs_dev_uuid`; a host may have both kinds of filesystem,
/// so its samples carry their own label names (client_golang accepts that).
const DEVICE_SIZE_NAME: &str = "node_btrfs_device_size_bytes";
const DEVICE_SIZE_HELP: &str = "Size of a device that is part of the filesystem.";
const DEVICE_UNUSED: Desc = Desc::new(
    "node_btrfs_device_unused_bytes",
    "Unused bytes unused on a device that is part of the filesystem.",
    MetricType::Gauge,
    &["uuid", "device", "btrfs_dev_uuid"],
);
const DEVICE_ERRORS: Desc = Desc::new(
    "node_btrfs_device_errors_total",
    "Errors reported for the device",
    MetricType::Counter,
    &["uuid", "type", "device", "btrfs_dev_uuid"],
);
const ERROR_TYPES: [&str; 5] = ["write", "read", "flush", "corruption", "generation"];

pub(super) struct BtrfsCollector {
    dir: PathBuf,
    rootfs: PathBuf,
    mountinfo: KeptFile,
    self_mountinfo: KeptFile,
    buf: Vec<u8>,
}

impl BtrfsCollector {
    pub(super) fn new(config: &UnixConfig) -> BtrfsCollector {
        BtrfsCollector {
            dir: config.sysfs_path.join("fs/btrfs"),
            rootfs: config.rootfs_path.clone(),
            mountinfo: KeptFile::new(config.procfs_path.join("1/mountinfo")),
            self_mountinfo: KeptFile::new(config.procfs_path.join("self/mountinfo")),
            buf: Vec::new(),
        }
    }

    /// The mounted btrfs filesystems' ioctl data, keyed by filesystem id. Like node_exporter, a
    /// mount that cannot be opened or asked is skipped (another mount of the same filesystem may
    /// answer) and never fails the collector.
    fn ioctl_stats(&mut self) -> Vec<IoctlFilesystem> {
        let read = match self.mountinfo.read_into(&mut self.buf) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.self_mountinfo.read_into(&mut self.buf)
            }
            other => other,
        };
        if read.is_err() {
            return Vec::new();
        }
        let text = ingot_hostfs::mountinfo::go_to_valid_utf8(&self.buf).into_owned();
        let rootfs = self.rootfs.to_string_lossy().into_owned();
        let mut mounts: Vec<(String, PathBuf)> = Vec::new();
        let parsed = ingot_hostfs::mountinfo::for_each(&text, |m| {
            if m.fs_type != "btrfs" {
                return;
            }
            let point = ingot_hostfs::mountinfo::unescape_mount_point(m.mount_point);
            let path = go_join(&self.rootfs, strip_rootfs(&rootfs, &point));
            mounts.push((m.source.to_owned(), path));
        });
        if parsed.is_err() {
            return Vec::new();
        }
        let mut done_devices: Vec<String> = Vec::new();
        let mut out: Vec<IoctlFilesystem> = Vec::new();
        for (device, path) in mounts {
            if done_devices.contains(&device) {
                continue;
            }
            let Ok(fs) = btrfs::ioctl_filesystem(&path) else {
                tracing::debug!(mount_point = %path.display(), "cannot query btrfs device stats");
                continue;
            };
            if out.iter().any(|f| f.fsid == fs.fsid) {
                continue;
            }
            done_devices.push(device);
            out.push(fs);
        }
        out
    }

    fn allocation(out: &mut FamilySet, uuid: &str, group: &str, a: &Allocation) {
        out.push(&RESERVED, &[uuid, group], a.reserved_bytes as f64);
        for l in &a.layouts {
            let labels = [uuid, group, l.mode.as_str()];
            out.push(&USED, &labels, l.used_bytes as f64);
            out.push(&SIZE, &labels, l.total_bytes as f64);
            out.push(&RATIO, &labels, l.ratio);
        }
    }

    fn push(out: &mut FamilySet, fs: &Filesystem, ioctl: Option<&IoctlFilesystem>) {
        let uuid = fs.uuid.as_str();
        out.push(&INFO, &[uuid, &fs.label], 1.0);
        out.push(&GLOBAL_RSV, &[uuid], fs.global_rsv_size as f64);
        out.push(&COMMITS, &[uuid], fs.commits as f64);
        out.push(&LAST_COMMIT, &[uuid], fs.last_commit_ms as f64 / 1000.0);
        out.push(&MAX_COMMIT, &[uuid], fs.max_commit_ms as f64 / 1000.0);
        out.push(&COMMIT_SECONDS, &[uuid], fs.total_commit_ms as f64 / 1000.0);
        Self::allocation(out, uuid, "data", &fs.data);
        Self::allocation(out, uuid, "metadata", &fs.metadata);
        Self::allocation(out, uuid, "system", &fs.system);
        let Some(ioctl) = ioctl else {
            for (device, size) in &fs.devices {
                out.ragged_family(DEVICE_SIZE_NAME, DEVICE_SIZE_HELP, MetricType::Gauge)
                    .push_labeled(&[("uuid", uuid), ("device", device)], *size as f64);
            }
            return;
        };
        for dev in &ioctl.devices {
            // The device's name without its directory: /dev/sda → sda.
            let device = dev.path.rsplit('/').next().unwrap_or("");
            let labels = [
                ("uuid", uuid),
                ("device", device),
                ("btrfs_dev_uuid", dev.uuid.as_str()),
            ];
            out.ragged_family(DEVICE_SIZE_NAME, DEVICE_SIZE_HELP, MetricType::Gauge)
                .push_labeled(&labels, dev.total_bytes as f64);
            out.push(
                &DEVICE_UNUSED,
                &[uuid, device, &dev.uuid],
                dev.total_bytes.wrapping_sub(dev.bytes_used) as f64,
            );
            for (kind, count) in ERROR_TYPES.iter().zip(dev.errors) {
                out.push(
                    &DEVICE_ERRORS,
                    &[uuid, kind, device, &dev.uuid],
                    count as f64,
                );
            }
        }
    }
}

impl Collector for BtrfsCollector {
    fn name(&self) -> &'static str {
        "btrfs"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let filesystems = btrfs::filesystems(&self.dir, &mut self.buf)
            .map_err(|e| format!("failed to retrieve Btrfs stats from procfs: {e}"))?;
        if filesystems.is_empty() {
            // No btrfs: no mounts to ask either.
            return Ok(());
        }
        let ioctl = self.ioctl_stats();
        for fs in &filesystems {
            let id = fs.uuid.replace('-', "");
            Self::push(out, fs, ioctl.iter().find(|i| i.fsid == id));
        }
        Ok(())
    }
}
