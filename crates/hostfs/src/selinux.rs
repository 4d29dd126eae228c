//! SELinux's state as opencontainers/go-selinux (which node_exporter uses) finds it: whether an
//! selinuxfs is mounted and the process's label is not `kernel`, the enforcing mode from
//! `<selinuxfs>/enforce`, and the configured mode from `/etc/selinux/config`. Like go-selinux, it
//! reads the host's own files, whatever procfs or sysfs path is configured.

use std::io;
use std::path::{Path, PathBuf};

/// `SELINUX_MAGIC`, selinuxfs's `statfs` type.
const SELINUX_MAGIC: u32 = 0xf97c_ff8c;

/// Whether `path` is a writable selinuxfs mount (go-selinux's `verifySELinuxfsMount`).
fn is_selinuxfs(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: statfs is plain old data, for which all-zero bytes are a valid value.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: a NUL-terminated path and a struct we own.
        if unsafe { libc::statfs(c.as_ptr(), &mut st) } == 0 {
            break;
        }
        let err = io::Error::last_os_error();
        if !matches!(err.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EINTR)) {
            return false;
        }
    }
    #[allow(clippy::unnecessary_cast)]
    let magic = st.f_type as u32;
    if magic != SELINUX_MAGIC {
        return false;
    }
    // SAFETY: statvfs is plain old data, for which all-zero bytes are a valid value.
    let mut vfs: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a struct we own.
    if unsafe { libc::statvfs(c.as_ptr(), &mut vfs) } != 0 {
        return false;
    }
    vfs.f_flag & libc::ST_RDONLY == 0
}

/// The selinuxfs mount point, if there is one.
pub fn mount_point() -> Option<PathBuf> {
    let default = Path::new("/sys/fs/selinux");
    if is_selinuxfs(default) {
        return Some(default.to_owned());
    }
    let filesystems = std::fs::read_to_string("/proc/filesystems").ok()?;
    if !filesystems.contains("\tselinuxfs\n") {
        return None;
    }
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mountinfo
        .lines()
        .filter(|l| l.contains(" - selinuxfs "))
        .filter_map(|l| l.split(' ').nth(4))
        .map(PathBuf::from)
        .find(|p| is_selinuxfs(p))
}

/// The state node_exporter's `selinux` collector reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    pub enabled: bool,
    /// `SELINUX=` of `/etc/selinux/config`: enforcing 1, permissive 0, anything else -1.
    pub config_mode: i64,
    /// `<selinuxfs>/enforce` as an integer, -1 when unreadable.
    pub current_mode: i64,
}

/// Reads the state (go-selinux's `GetEnabled`, `DefaultEnforceMode`, `EnforceMode`).
pub fn state() -> State {
    let Some(mount) = mount_point() else {
        return State {
            enabled: false,
            config_mode: -1,
            current_mode: -1,
        };
    };
    let label = std::fs::read("/proc/thread-self/attr/current").unwrap_or_default();
    let label = label.strip_suffix(&[0]).unwrap_or(&label);
    let enabled = label != b"kernel";
    let current_mode = std::fs::read_to_string(mount.join("enforce"))
        .ok()
        .and_then(|s| crate::num::parse_i64_dec(&s))
        .unwrap_or(-1);
    let config = std::fs::read_to_string("/etc/selinux/config").unwrap_or_default();
    let mut config_mode = -1;
    for line in config.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            if key == "SELINUX" {
                config_mode = match value.trim_matches('"') {
                    "enforcing" => 1,
                    "permissive" => 0,
                    _ => -1,
                };
                break;
            }
        }
    }
    State {
        enabled,
        config_mode,
        current_mode,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_hosts_state() {
        let s = super::state();
        if super::mount_point().is_none() {
            assert!(!s.enabled);
        }
        assert!((-1..=1).contains(&s.current_mode));
    }
}
