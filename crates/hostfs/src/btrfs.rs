//! `/sys/fs/btrfs/<uuid>`: btrfs filesystems as prometheus/procfs 0.21's `btrfs` package reads
//! them (allocation per block group type and profile, commit statistics, devices).

use std::path::Path;

use crate::sysfs::{self, SysError};

/// Space of one profile (`single`, `dup`, `raid1`, ...) of a block group type.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub mode: String,
    pub used_bytes: u64,
    pub total_bytes: u64,
    /// Raw bytes per logical byte for the profile (RAID5/6 from the device count).
    pub ratio: f64,
}

/// `allocation/<data|metadata|system>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Allocation {
    pub reserved_bytes: u64,
    pub layouts: Vec<Layout>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filesystem {
    /// `metadata_uuid`, or the directory's name.
    pub uuid: String,
    pub label: String,
    /// Devices by name (the `devices/` entries) with their size in bytes.
    pub devices: Vec<(String, u64)>,
    pub global_rsv_size: u64,
    pub data: Allocation,
    pub metadata: Allocation,
    pub system: Allocation,
    pub commits: u64,
    pub last_commit_ms: u64,
    pub max_commit_ms: u64,
    pub total_commit_ms: u64,
}

struct Reader<'b> {
    buf: &'b mut Vec<u8>,
    err: Option<SysError>,
}

impl Reader<'_> {
    /// procfs' `readFile`: a missing file is "", another failure is kept.
    fn text(&mut self, path: &Path) -> String {
        match sysfs::read_value(path, self.buf) {
            Ok(v) => v,
            Err(e) => {
                if !e.is_not_found() && self.err.is_none() {
                    self.err = Some(e);
                }
                String::new()
            }
        }
    }

    /// procfs' `readValue`: 0 when missing or not a number.
    fn value(&mut self, path: &Path) -> u64 {
        let text = self.text(path);
        crate::num::parse_u64_dec(&text).unwrap_or(0)
    }

    fn allocation(&mut self, dir: &Path, devices: usize) -> Allocation {
        let mut alloc = Allocation {
            reserved_bytes: self.value(&dir.join("bytes_reserved")),
            layouts: Vec::new(),
        };
        match sysfs::read_dir(dir) {
            Ok(entries) => {
                for entry in entries {
                    // Directories (following symlinks, as Go's DirEntry.IsDir does not: only
                    // real directories count).
                    if entry.kind != sysfs::EntryKind::Dir {
                        continue;
                    }
                    let layout_dir = dir.join(&entry.name);
                    let total_bytes = self.value(&layout_dir.join("total_bytes"));
                    let used_bytes = self.value(&layout_dir.join("used_bytes"));
                    let n = devices as f64;
                    let ratio = match entry.name.as_str() {
                        "single" | "raid0" => 1.0,
                        "dup" | "raid1" | "raid10" => 2.0,
                        "raid1c3" => 3.0,
                        "raid1c4" => 4.0,
                        "raid5" => n / (n - 1.0),
                        "raid6" => n / (n - 2.0),
                        _ => 0.0,
                    };
                    alloc.layouts.push(Layout {
                        mode: entry.name,
                        used_bytes,
                        total_bytes,
                        ratio,
                    });
                }
            }
            Err(e) => {
                if self.err.is_none() {
                    self.err = Some(e);
                }
            }
        }
        alloc
    }
}

/// Every filesystem of `<sysfs>/fs/btrfs` (entries holding a `-`), sorted by directory name.
/// Fails on a read error other than a missing file, or a malformed `commit_stats`.
pub fn filesystems(btrfs_dir: &Path, buf: &mut Vec<u8>) -> Result<Vec<Filesystem>, SysError> {
    let mut out = Vec::new();
    for name in sysfs::glob(btrfs_dir, |n| n.contains('-')) {
        let dir = btrfs_dir.join(&name);
        let mut r = Reader { buf, err: None };
        let mut fs = Filesystem::default();
        // procfs keeps an unreadable `devices/` as an error that its later reads overwrite: in
        // effect, no devices.
        let device_names: Vec<String> = sysfs::read_dir(&dir.join("devices"))
            .map(|entries| entries.into_iter().map(|e| e.name).collect())
            .unwrap_or_default();
        for device in device_names {
            // The size file of the block device, in 512-byte sectors.
            let sectors = r.value(&dir.join("devices").join(&device).join("size"));
            fs.devices.push((device, sectors.wrapping_mul(512)));
        }
        let count = fs.devices.len();
        fs.label = r.text(&dir.join("label"));
        fs.uuid = r.text(&dir.join("metadata_uuid"));
        fs.global_rsv_size = r.value(&dir.join("allocation/global_rsv_size"));
        fs.data = r.allocation(&dir.join("allocation/data"), count);
        fs.metadata = r.allocation(&dir.join("allocation/metadata"), count);
        fs.system = r.allocation(&dir.join("allocation/system"), count);
        if let Some(e) = r.err.take() {
            return Err(e);
        }
        let commit_stats = dir.join("commit_stats");
        match sysfs::read_file(&commit_stats, buf) {
            Ok(bytes) => {
                for line in String::from_utf8_lossy(bytes).lines() {
                    let parts: Vec<&str> = line.split_whitespace().collect();
                    let [key, value] = parts.as_slice() else {
                        return Err(SysError::msg(format!("invalid commit_stats line {line:?}")));
                    };
                    let v = crate::num::parse_u64_dec(value).ok_or_else(|| {
                        SysError::msg(format!(
                            "error parsing commit_stats line: strconv.ParseUint: parsing {value:?}: invalid syntax"
                        ))
                    })?;
                    match *key {
                        "commits" => fs.commits = v,
                        "last_commit_ms" => fs.last_commit_ms = v,
                        "max_commit_ms" => fs.max_commit_ms = v,
                        "total_commit_ms" => fs.total_commit_ms = v,
                        _ => {}
                    }
                }
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
        if fs.uuid.is_empty() {
            fs.uuid = name;
        }
        out.push(fs);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_filesystem() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let fs = root.join("fs/btrfs/7f07c59f-6136-449c-ab87-e1cf2328731b");
        let w = |rel: &str, v: &str| {
            let p = fs.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, v).unwrap();
        };
        for d in ["loop22", "loop23", "loop24", "loop25"] {
            w(&format!("devices/{d}/size"), "20971520\n");
        }
        w("label", "\n");
        w("allocation/global_rsv_size", "16777216\n");
        w("allocation/data/bytes_reserved", "0\n");
        w("allocation/data/raid5/total_bytes", "644087808\n");
        w("allocation/data/raid5/used_bytes", "0\n");
        w("allocation/metadata/raid6/total_bytes", "429391872\n");
        w("commit_stats", "commits 258051\nlast_commit_ms 1000\n");
        std::fs::create_dir_all(fs.join("allocation/system")).unwrap();
        let all = filesystems(&root.join("fs/btrfs"), &mut Vec::new()).unwrap();
        let f = &all[0];
        assert_eq!(f.uuid, "7f07c59f-6136-449c-ab87-e1cf2328731b");
        assert_eq!(f.devices.len(), 4);
        assert_eq!(f.devices[0].1, 10737418240);
        assert_eq!(f.data.layouts[0].ratio, 4.0 / 3.0);
        assert_eq!(f.metadata.layouts[0].ratio, 2.0);
        assert_eq!((f.commits, f.last_commit_ms), (258051, 1000));
        w("commit_stats", "commits\n");
        assert!(filesystems(&root.join("fs/btrfs"), &mut Vec::new()).is_err());
    }
}

/// One device of a mounted btrfs filesystem, from the `BTRFS_IOC_DEV_INFO` and
/// `BTRFS_IOC_GET_DEV_STATS` ioctls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoctlDevice {
    /// The device's path as the kernel knows it (`/dev/sda1`).
    pub path: String,
    /// The device's UUID, dashed (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`), as dennwc/btrfs prints it.
    pub uuid: String,
    pub bytes_used: u64,
    pub total_bytes: u64,
    /// Write, read, flush, corruption and generation errors.
    pub errors: [u64; 5],
}

/// A mounted btrfs filesystem as its ioctls describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoctlFilesystem {
    /// The filesystem id as 32 hex digits without dashes.
    pub fsid: String,
    pub devices: Vec<IoctlDevice>,
}

const BTRFS_SUPER_MAGIC: i64 = 0x9123_683E;
/// `_IOR(0x94, 31, struct btrfs_ioctl_fs_info_args)` (1024 bytes).
const BTRFS_IOC_FS_INFO: u64 = (2 << 30) | (1024 << 16) | (0x94 << 8) | 31;
/// `_IOWR(0x94, 30, struct btrfs_ioctl_dev_info_args)` (4096 bytes).
const BTRFS_IOC_DEV_INFO: u64 = (3 << 30) | (4096 << 16) | (0x94 << 8) | 30;
/// `_IOWR(0x94, 52, struct btrfs_ioctl_get_dev_stats)` (1032 bytes).
const BTRFS_IOC_GET_DEV_STATS: u64 = (3 << 30) | (1032 << 16) | (0x94 << 8) | 52;

/// `struct btrfs_ioctl_fs_info_args` (linux/btrfs.h).
#[repr(C)]
#[allow(dead_code)] // Fields the kernel fills that are not reported.
struct FsInfoArgs {
    max_id: u64,
    num_devices: u64,
    fsid: [u8; 16],
    nodesize: u32,
    sectorsize: u32,
    clone_alignment: u32,
    csum_type: u16,
    csum_size: u16,
    flags: u64,
    generation: u64,
    metadata_uuid: [u8; 16],
    reserved: [u8; 944],
}

/// `struct btrfs_ioctl_dev_info_args`.
#[repr(C)]
#[allow(dead_code)] // Fields the kernel fills that are not reported.
struct DevInfoArgs {
    devid: u64,
    uuid: [u8; 16],
    bytes_used: u64,
    total_bytes: u64,
    unused: [u64; 379],
    path: [u8; 1024],
}

/// `struct btrfs_ioctl_get_dev_stats`.
#[repr(C)]
#[allow(dead_code)] // Fields the kernel fills that are not reported.
struct DevStatsArgs {
    devid: u64,
    nr_items: u64,
    flags: u64,
    values: [u64; 5],
    unused: [u64; 121],
}

const _: () = assert!(std::mem::size_of::<FsInfoArgs>() == 1024);
const _: () = assert!(std::mem::size_of::<DevInfoArgs>() == 4096);
const _: () = assert!(std::mem::size_of::<DevStatsArgs>() == 1032);

/// Runs one btrfs ioctl that fills `arg`.
fn btrfs_ioctl<T>(
    fd: std::os::fd::BorrowedFd<'_>,
    request: u64,
    arg: &mut T,
) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: `arg` is a repr(C) struct of exactly the size encoded in `request` (checked by the
    // const assertions above), valid for the kernel to read and write for the whole call.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg as *mut T) };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// A zeroed value of one of the argument structs above.
fn zeroed<T>() -> Box<T> {
    // SAFETY: only used for the plain-old-data ioctl argument structs of this module (integers and
    // byte arrays), for which all-zero bytes are a valid value.
    unsafe { Box::new(std::mem::zeroed()) }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Asks the btrfs filesystem mounted at `mount_point` (which must be the root of a subvolume: a
/// directory with inode 256 on a btrfs) for its devices and their error counters, as
/// node_exporter does through dennwc/btrfs. Device ids are probed from 0 to `max_id`, skipping
/// ENODEV gaps, until `num_devices` are found.
pub fn ioctl_filesystem(mount_point: &Path) -> std::io::Result<IoctlFilesystem> {
    use std::os::fd::AsFd;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let meta = std::fs::metadata(mount_point)?;
    if meta.ino() != 256 || !meta.is_dir() {
        return Err(std::io::Error::other("not a btrfs subvolume"));
    }
    let dir = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOATIME)
        .open(mount_point)
        .or_else(|_| {
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_DIRECTORY)
                .open(mount_point)
        })?;
    // SAFETY: statfs is plain old data, for which all-zero bytes are a valid value.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatfs writes into the struct we own, for a descriptor we own.
    if unsafe { libc::fstatfs(std::os::fd::AsRawFd::as_raw_fd(&dir), &mut st) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if st.f_type as i64 != BTRFS_SUPER_MAGIC {
        return Err(std::io::Error::other("not a btrfs filesystem"));
    }
    let fd = dir.as_fd();
    let mut info = zeroed::<FsInfoArgs>();
    btrfs_ioctl(fd, BTRFS_IOC_FS_INFO, &mut *info)?;
    let mut devices = Vec::new();
    for id in 0..=info.max_id {
        let mut dev = zeroed::<DevInfoArgs>();
        dev.devid = id;
        match btrfs_ioctl(fd, BTRFS_IOC_DEV_INFO, &mut *dev) {
            Ok(()) => {}
            // Device ids need not start at 0 nor be contiguous.
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => continue,
            Err(e) => return Err(e),
        }
        let mut stats = zeroed::<DevStatsArgs>();
        stats.devid = id;
        stats.nr_items = 5;
        btrfs_ioctl(fd, BTRFS_IOC_GET_DEV_STATS, &mut *stats)?;
        let path_len = dev
            .path
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(dev.path.len());
        let u = &dev.uuid;
        let uuid = if u.iter().all(|&b| b == 0) {
            "<zero>".to_owned()
        } else {
            format!(
                "{}-{}-{}-{}-{}",
                hex(&u[..4]),
                hex(&u[4..6]),
                hex(&u[6..8]),
                hex(&u[8..10]),
                hex(&u[10..])
            )
        };
        devices.push(IoctlDevice {
            path: String::from_utf8_lossy(&dev.path[..path_len]).into_owned(),
            uuid,
            bytes_used: dev.bytes_used,
            total_bytes: dev.total_bytes,
            errors: stats.values,
        });
        if devices.len() as u64 == info.num_devices {
            break;
        }
    }
    Ok(IoctlFilesystem {
        fsid: hex(&info.fsid),
        devices,
    })
}

#[cfg(test)]
mod ioctl_tests {
    #[test]
    fn not_btrfs_is_an_error_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        assert!(super::ioctl_filesystem(dir.path()).is_err());
        assert!(super::ioctl_filesystem(&dir.path().join("missing")).is_err());
    }
}
