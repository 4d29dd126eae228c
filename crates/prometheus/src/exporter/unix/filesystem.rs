//! node_exporter's `filesystem` collector: mounts from `/proc/1/mountinfo`, sizes from `statfs`.
//!
//! `statfs` on a dead network mount can block forever, so it runs on worker threads
//! ([`StatfsPool`]) and the gather waits at most `mount_timeout` for the answers. A mount that
//! did not answer in time is "stuck": it is reported with `device_error="mountpoint timeout"`
//! and not asked again until its blocked call returns, as node_exporter does. node_exporter
//! itself waits for a stuck call during the scrape that first meets it; we never wait longer
//! than the timeout.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ingot_hostfs::read::KeptFile;
use ingot_hostfs::sys::FsStat;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::config::{optional_regex, DeviceFilter};
use super::statfs_pool::{StatfsFn, StatfsPool, TIMEOUT_ERROR};
use super::{open_error, Collector, ConfigError, IntText, UnixConfig};

const LABELS: &[&str] = &["device", "mountpoint", "fstype", "device_error"];

const SIZE: Desc = Desc::new(
    "node_filesystem_size_bytes",
    "Filesystem size in bytes.",
    MetricType::Gauge,
    LABELS,
);
const FREE: Desc = Desc::new(
    "node_filesystem_free_bytes",
    "Filesystem free space in bytes.",
    MetricType::Gauge,
    LABELS,
);
const AVAIL: Desc = Desc::new(
    "node_filesystem_avail_bytes",
    "Filesystem space available to non-root users in bytes.",
    MetricType::Gauge,
    LABELS,
);
const FILES: Desc = Desc::new(
    "node_filesystem_files",
    "Filesystem total file nodes.",
    MetricType::Gauge,
    LABELS,
);
const FILES_FREE: Desc = Desc::new(
    "node_filesystem_files_free",
    "Filesystem total free file nodes.",
    MetricType::Gauge,
    LABELS,
);
const READONLY: Desc = Desc::new(
    "node_filesystem_readonly",
    "Filesystem read-only status.",
    MetricType::Gauge,
    LABELS,
);
const DEVICE_ERROR: Desc = Desc::new(
    "node_filesystem_device_error",
    "Whether an error occurred while getting statistics for the given device.",
    MetricType::Gauge,
    LABELS,
);
const MOUNT_INFO: Desc = Desc::new(
    "node_filesystem_mount_info",
    "Filesystem mount information.",
    MetricType::Gauge,
    &["device", "major", "minor", "mountpoint"],
);
/// node_exporter 1.10+ emits this for every mount it could stat; on Linux it has nothing to
/// measure and reports 0, which dashboards shared with macOS hosts may still select.
const PURGEABLE: Desc = Desc::new(
    "node_filesystem_purgeable_bytes",
    "Filesystem space available including purgeable space (MacOS specific).",
    MetricType::Gauge,
    LABELS,
);

/// node_exporter's default `--collector.filesystem.stat-workers`.
const STAT_WORKERS: usize = 4;

struct MountEntry {
    device: String,
    mount_point: String,
    fs_type: String,
    major: i64,
    minor: i64,
    readonly: bool,
    result: Option<Result<FsStat, String>>,
}

pub(super) struct FilesystemCollector {
    mountinfo: KeptFile,
    self_mountinfo: KeptFile,
    rootfs: PathBuf,
    mount_points: DeviceFilter,
    fs_types: DeviceFilter,
    timeout: Duration,
    pool: StatfsPool,
    buf: Vec<u8>,
    entries: Vec<MountEntry>,
}

impl FilesystemCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<FilesystemCollector, ConfigError> {
        Self::with_statfs(config, ingot_hostfs::sys::statfs_c)
    }

    fn with_statfs(
        config: &UnixConfig,
        statfs: StatfsFn,
    ) -> Result<FilesystemCollector, ConfigError> {
        let fs = &config.filesystem;
        Ok(FilesystemCollector {
            mountinfo: KeptFile::new(config.procfs_path.join("1/mountinfo")),
            self_mountinfo: KeptFile::new(config.procfs_path.join("self/mountinfo")),
            rootfs: config.rootfs_path.clone(),
            mount_points: DeviceFilter::new(
                optional_regex("filesystem.mount_points_exclude", &fs.mount_points_exclude)?,
                None,
            ),
            fs_types: DeviceFilter::new(
                optional_regex("filesystem.fs_types_exclude", &fs.fs_types_exclude)?,
                None,
            ),
            timeout: fs.mount_timeout,
            pool: StatfsPool::new(STAT_WORKERS, statfs),
            buf: Vec::new(),
            entries: Vec::new(),
        })
    }

    fn read_mounts(&mut self) -> Result<(), String> {
        // PID 1's mounts are the host's; with hidepid they are hidden, so fall back to ours.
        let read = match self.mountinfo.read_into(&mut self.buf) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => self
                .self_mountinfo
                .read_into(&mut self.buf)
                .map_err(|e| open_error(self.self_mountinfo.path(), &e)),
            other => other.map_err(|e| open_error(self.mountinfo.path(), &e)),
        };
        read?;
        let text = ingot_hostfs::mountinfo::go_to_valid_utf8(&self.buf);
        let rootfs = self.rootfs.to_string_lossy();
        let (mount_points, fs_types) = (&self.mount_points, &self.fs_types);
        let entries = &mut self.entries;
        entries.clear();
        let mut failure = None;
        ingot_hostfs::mountinfo::for_each(&text, |m| {
            if failure.is_some() {
                return;
            }
            let Some((major, minor)) = parse_major_minor(m.major_minor) else {
                failure = Some(format!(
                    "malformed mount point MajorMinorVer: {:?}",
                    m.major_minor
                ));
                return;
            };
            let mount_point = ingot_hostfs::mountinfo::unescape_mount_point(m.mount_point);
            let mount_point = strip_rootfs(&rootfs, &mount_point);
            // Filtered here, before anything is copied: most mounts are pseudo filesystems.
            if mount_points.ignored(mount_point) || fs_types.ignored(m.fs_type) {
                return;
            }
            entries.push(MountEntry {
                device: m.source.to_owned(),
                mount_point: mount_point.to_owned(),
                fs_type: m.fs_type.to_owned(),
                major,
                minor,
                readonly: ingot_hostfs::mountinfo::has_option(m.options, "ro")
                    || ingot_hostfs::mountinfo::has_option(m.super_options, "ro")
                    || ingot_hostfs::mountinfo::has_option(m.super_options, "emergency_ro"),
                result: None,
            });
        })
        .map_err(|e| e.to_string())?;
        match failure {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }
}

impl Collector for FilesystemCollector {
    fn name(&self) -> &'static str {
        "filesystem"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.read_mounts()?;

        let requests: Vec<(usize, CString, &str)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let path = go_join(&self.rootfs, &e.mount_point);
                // A path with a NUL byte cannot exist; statfs would say EINVAL.
                Some((
                    i,
                    CString::new(path.as_os_str().as_bytes()).ok()?,
                    e.mount_point.as_str(),
                ))
            })
            .collect();
        let results = self.pool.stat_all(requests, self.timeout).map_err(|e| {
            format!(
                "cannot start statfs worker: {}",
                ingot_hostfs::errno::go_error_text(&e)
            )
        })?;
        for (i, result) in results {
            self.entries[i].result = Some(result);
        }

        // A mount listed twice (same labels) is reported once, as node_exporter does.
        let mut seen: Vec<(&str, &str, &str, &str, i64, i64)> = Vec::new();
        for e in &self.entries {
            let result = e.result.as_ref().map_or(Err("invalid argument"), |r| {
                r.as_ref().map_err(|s| s.as_str())
            });
            let device_error = match result {
                Ok(_) => "",
                Err(text) => text,
            };
            let key = (
                e.device.as_str(),
                e.mount_point.as_str(),
                e.fs_type.as_str(),
                device_error,
                e.major,
                e.minor,
            );
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let labels = [
                e.device.as_str(),
                e.mount_point.as_str(),
                e.fs_type.as_str(),
                device_error,
            ];
            let stat = match result {
                Ok(stat) => stat,
                Err(_) => {
                    out.push(&DEVICE_ERROR, &labels, 1.0);
                    // node_exporter reports a stuck mount as writable: it never looked.
                    let readonly = e.readonly && device_error != TIMEOUT_ERROR;
                    out.push(&READONLY, &labels, if readonly { 1.0 } else { 0.0 });
                    continue;
                }
            };
            out.push(&DEVICE_ERROR, &labels, 0.0);
            out.push(&READONLY, &labels, if e.readonly { 1.0 } else { 0.0 });
            let bsize = stat.block_size as f64;
            out.push(&SIZE, &labels, stat.blocks as f64 * bsize);
            out.push(&FREE, &labels, stat.blocks_free as f64 * bsize);
            out.push(&AVAIL, &labels, stat.blocks_available as f64 * bsize);
            out.push(&FILES, &labels, stat.files as f64);
            out.push(&FILES_FREE, &labels, stat.files_free as f64);
            let (major, minor) = (IntText::new(e.major), IntText::new(e.minor));
            out.push(
                &MOUNT_INFO,
                &[&e.device, major.as_str(), minor.as_str(), &e.mount_point],
                1.0,
            );
            out.push(&PURGEABLE, &labels, 0.0);
        }
        Ok(())
    }
}

/// `fmt.Sscanf(s, "%d:%d")`.
fn parse_major_minor(s: &str) -> Option<(i64, i64)> {
    let (major, minor) = s.split_once(':')?;
    Some((
        ingot_hostfs::num::parse_i64_dec(major)?,
        ingot_hostfs::num::parse_i64_dec(minor)?,
    ))
}

/// node_exporter's `rootfsStripPrefix`: mount points are reported relative to the rootfs.
pub(super) fn strip_rootfs<'a>(rootfs: &str, path: &'a str) -> &'a str {
    if rootfs == "/" {
        return path;
    }
    match path.strip_prefix(rootfs) {
        Some("") => "/",
        Some(rest) => rest,
        None => path,
    }
}

/// Go's `filepath.Join(root, p)`: concatenate with a slash, then clean lexically.
pub(super) fn go_join(root: &Path, p: &str) -> PathBuf {
    let joined = format!("{}/{}", root.to_string_lossy(), p);
    let absolute = joined.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    PathBuf::from(match (absolute, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Condvar, Mutex};
    use std::time::Instant;

    #[test]
    fn joins_and_strips_like_go() {
        assert_eq!(go_join(Path::new("/"), "/"), PathBuf::from("/"));
        assert_eq!(go_join(Path::new("/"), "/mnt/x"), PathBuf::from("/mnt/x"));
        assert_eq!(go_join(Path::new("/host"), "/"), PathBuf::from("/host"));
        assert_eq!(
            go_join(Path::new("/host/"), "/a/../b/./c/"),
            PathBuf::from("/host/b/c")
        );
        assert_eq!(strip_rootfs("/", "/x"), "/x");
        assert_eq!(strip_rootfs("/host", "/host"), "/");
        assert_eq!(strip_rootfs("/host", "/host/data"), "/data");
        assert_eq!(strip_rootfs("/host", "/other"), "/other");
        assert_eq!(parse_major_minor("259:2"), Some((259, 2)));
        assert_eq!(parse_major_minor("259"), None);
    }

    // A fake statfs that blocks on paths ending in "/stuck" until released.
    static GATE: Mutex<bool> = Mutex::new(false);
    static GATE_OPEN: Condvar = Condvar::new();
    static STUCK_CALLS: AtomicUsize = AtomicUsize::new(0);

    fn fake_statfs(path: &std::ffi::CStr) -> io::Result<FsStat> {
        if path.to_bytes().ends_with(b"/stuck") {
            STUCK_CALLS.fetch_add(1, Ordering::SeqCst);
            let mut open = GATE.lock().unwrap();
            while !*open {
                open = GATE_OPEN.wait(open).unwrap();
            }
        }
        if path.to_bytes().ends_with(b"/gone") {
            return Err(io::Error::from_raw_os_error(2));
        }
        Ok(FsStat {
            block_size: 4096,
            blocks: 1000,
            blocks_free: 500,
            blocks_available: 400,
            files: 100,
            files_free: 50,
        })
    }

    #[test]
    fn stuck_mount_is_reported_without_stalling_and_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let proc1 = dir.path().join("proc/1");
        std::fs::create_dir_all(&proc1).unwrap();
        std::fs::write(
            proc1.join("mountinfo"),
            "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n\
             2 1 0:50 / /stuck rw - nfs server:/export rw\n\
             3 1 0:51 / /gone ro - nfs server:/gone rw\n",
        )
        .unwrap();
        let config = UnixConfig {
            procfs_path: dir.path().join("proc"),
            filesystem: super::super::FilesystemConfig {
                mount_timeout: Duration::from_millis(200),
                ..Default::default()
            },
            ..UnixConfig::default()
        };
        let mut c = FilesystemCollector::with_statfs(&config, fake_statfs).unwrap();

        let gather = |c: &mut FilesystemCollector| {
            let mut set = FamilySet::new();
            let start = Instant::now();
            c.update(&mut set).unwrap();
            (set.encode_to_string(), start.elapsed())
        };
        let stuck_error =
            "node_filesystem_device_error{device=\"server:/export\",device_error=\"mountpoint timeout\",fstype=\"nfs\",mountpoint=\"/stuck\"} 1\n";

        let (text, took) = gather(&mut c);
        assert!(took < Duration::from_secs(2), "gather took {took:?}");
        assert!(text.contains(stuck_error), "{text}");
        assert!(text.contains("node_filesystem_readonly{device=\"server:/export\",device_error=\"mountpoint timeout\",fstype=\"nfs\",mountpoint=\"/stuck\"} 0\n"), "{text}");
        assert!(
            !text.contains("node_filesystem_size_bytes{device=\"server:/export\""),
            "{text}"
        );
        assert!(text.contains("node_filesystem_size_bytes{device=\"/dev/sda1\",device_error=\"\",fstype=\"ext4\",mountpoint=\"/\"} 4.096e+06\n"), "{text}");
        assert!(text.contains("node_filesystem_device_error{device=\"server:/gone\",device_error=\"no such file or directory\",fstype=\"nfs\",mountpoint=\"/gone\"} 1\n"), "{text}");
        assert!(text.contains("node_filesystem_readonly{device=\"server:/gone\",device_error=\"no such file or directory\",fstype=\"nfs\",mountpoint=\"/gone\"} 1\n"), "{text}");
        assert!(text.contains("node_filesystem_mount_info{device=\"/dev/sda1\",major=\"8\",minor=\"1\",mountpoint=\"/\"} 1\n"), "{text}");

        // Still stuck: reported at once, and not asked again.
        let (text, took) = gather(&mut c);
        assert!(took < Duration::from_millis(150), "gather took {took:?}");
        assert!(text.contains(stuck_error), "{text}");
        assert_eq!(STUCK_CALLS.load(Ordering::SeqCst), 1);

        // The mount answers again: its blocked call returns and the next gather asks it anew.
        *GATE.lock().unwrap() = true;
        GATE_OPEN.notify_all();
        let recovered = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            !c.pool.is_stuck("/stuck")
        });
        assert!(recovered);
        let (text, _) = gather(&mut c);
        assert!(text.contains("node_filesystem_size_bytes{device=\"server:/export\",device_error=\"\",fstype=\"nfs\",mountpoint=\"/stuck\"} 4.096e+06\n"), "{text}");
        assert_eq!(c.pool.healthy_workers(), STAT_WORKERS);
    }
}
