//! `/sys/class/net/<iface>`: the attributes of each network interface node_exporter's netclass
//! collector reports, read as prometheus/procfs 0.21 reads them.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use crate::read::Dir;
use crate::sysfs::{self, EntryKind, SysError};

/// One interface. Numeric attributes are `None` when the file is absent, unreadable in an
/// ignorable way (EINVAL for `speed` of a link that is down, EOPNOTSUPP, permission) or not a
/// number (procfs parses with `strconv.ParseInt(s, 0, 64)` and keeps nil on failure).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetClassIface {
    pub name: String,
    pub addr_assign_type: Option<i64>,
    pub address: String,
    pub broadcast: String,
    pub carrier: Option<i64>,
    pub carrier_changes: Option<i64>,
    pub carrier_up_count: Option<i64>,
    pub carrier_down_count: Option<i64>,
    pub dev_id: Option<i64>,
    pub dormant: Option<i64>,
    pub duplex: String,
    pub flags: Option<i64>,
    pub ifalias: String,
    pub ifindex: Option<i64>,
    pub iflink: Option<i64>,
    pub link_mode: Option<i64>,
    pub mtu: Option<i64>,
    pub name_assign_type: Option<i64>,
    pub netdev_group: Option<i64>,
    pub operstate: String,
    pub speed: Option<i64>,
    pub tx_queue_len: Option<i64>,
    pub iface_type: Option<i64>,
}

/// The attributes read for each interface, in the order procfs reads them.
const ATTRS: [&str; 22] = [
    "addr_assign_type",
    "address",
    "broadcast",
    "carrier",
    "carrier_changes",
    "carrier_up_count",
    "carrier_down_count",
    "dev_id",
    "dormant",
    "duplex",
    "flags",
    "ifalias",
    "ifindex",
    "iflink",
    "link_mode",
    "mtu",
    "name_assign_type",
    "netdev_group",
    "operstate",
    "speed",
    "tx_queue_len",
    "type",
];

/// An interface of `<sysfs>/class/net`: its name and the inode of its entry there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    pub ino: u64,
}

/// procfs' `NetClassDevices`: the entries of `<sysfs>/class/net` that are not regular files
/// (interfaces are symlinks; `bonding_masters` is a file), sorted.
pub fn devices(class_dir: &Path) -> Result<Vec<Device>, SysError> {
    let entries = sysfs::read_dir(class_dir).map_err(|e| {
        e.context(format!(
            "cannot access dir {:?}",
            class_dir.display().to_string()
        ))
    })?;
    Ok(entries
        .into_iter()
        .filter(|e| e.kind != EntryKind::File)
        .map(|e| Device {
            name: e.name,
            ino: e.ino,
        })
        .collect())
}

/// Fills an interface from its attributes, `read(i)` giving attribute `ATTRS[i]`. A failure other
/// than the ones procfs ignores (see [`SysError::is_ignorable_attribute`]) fails the interface.
fn build(
    name: &str,
    dir_path: &Path,
    mut read: impl FnMut(usize) -> Result<String, SysError>,
) -> Result<NetClassIface, SysError> {
    let mut values: [Option<String>; ATTRS.len()] = Default::default();
    for (i, value) in values.iter_mut().enumerate() {
        *value = match read(i) {
            Ok(v) => Some(v),
            Err(e) if e.is_ignorable_attribute() => None,
            Err(e) => {
                return Err(e.context(format!(
                    "failed to read file {:?}",
                    dir_path.join(ATTRS[i]).display().to_string()
                )))
            }
        };
    }
    let [addr_assign_type, address, broadcast, carrier, carrier_changes, carrier_up_count, carrier_down_count, dev_id, dormant, duplex, flags, ifalias, ifindex, iflink, link_mode, mtu, name_assign_type, netdev_group, operstate, speed, tx_queue_len, iface_type] =
        values;
    let int = |v: Option<String>| v.and_then(|v| sysfs::parse_int_base0(&v));
    Ok(NetClassIface {
        name: name.to_owned(),
        addr_assign_type: int(addr_assign_type),
        address: address.unwrap_or_default(),
        broadcast: broadcast.unwrap_or_default(),
        carrier: int(carrier),
        carrier_changes: int(carrier_changes),
        carrier_up_count: int(carrier_up_count),
        carrier_down_count: int(carrier_down_count),
        dev_id: int(dev_id),
        dormant: int(dormant),
        duplex: duplex.unwrap_or_default(),
        flags: int(flags),
        ifalias: ifalias.unwrap_or_default(),
        ifindex: int(ifindex),
        iflink: int(iflink),
        link_mode: int(link_mode),
        mtu: int(mtu),
        name_assign_type: int(name_assign_type),
        netdev_group: int(netdev_group),
        operstate: operstate.unwrap_or_default(),
        speed: int(speed),
        tx_queue_len: int(tx_queue_len),
        iface_type: int(iface_type),
    })
}

/// Reads one interface's attributes. A directory that is gone fails with ENOENT, as procfs'
/// listing of it does.
pub fn iface(class_dir: &Path, name: &str, buf: &mut Vec<u8>) -> Result<NetClassIface, SysError> {
    let dir_path = class_dir.join(name);
    // One lookup of the device directory; each attribute is then opened relative to it.
    let dir = Dir::open(&dir_path).map_err(|e| SysError::io("open", &dir_path, &e))?;
    build(name, &dir_path, |i| {
        sysfs::read_value_at(&dir, &dir_path, ATTRS[i], buf)
    })
}

/// Interfaces whose directory and attribute files stay open from one gather to the next: a read
/// from offset 0 of a kept sysfs attribute makes the kernel show it afresh, so an interface costs
/// 22 `pread`s per gather instead of a directory lookup and 22 `openat`, `read` and `close`.
///
/// A kept descriptor names one device, not a name: an entry of `class/net` with another inode
/// (the interface was removed, or renamed and its name taken by another) drops what was kept for
/// the name, and a read that finds the device gone (`ENODEV`, `ENOENT`) reads the interface afresh
/// with [`iface`], so what a gather sees and every error it reports is what fresh opens give.
#[derive(Debug)]
pub struct KeptIfaces {
    ifaces: HashMap<String, KeptIface>,
    /// How many interfaces may be kept (each holds 23 descriptors).
    max_ifaces: usize,
}

#[derive(Debug)]
struct KeptIface {
    ino: u64,
    dir: Dir,
    files: [Option<File>; ATTRS.len()],
}

/// Why a kept read could not be used.
enum KeptError {
    /// The device is gone: read the interface afresh.
    Gone,
    Failed(SysError),
}

impl KeptIfaces {
    /// Keeps at most `max_files` descriptors open.
    pub fn new(max_files: usize) -> KeptIfaces {
        KeptIfaces {
            ifaces: HashMap::new(),
            max_ifaces: max_files / (ATTRS.len() + 1),
        }
    }

    /// Closes what was kept for interfaces no longer listed (`devices` is this gather's listing).
    pub fn retain(&mut self, devices: &[Device]) {
        self.ifaces
            .retain(|name, kept| devices.iter().any(|d| d.name == *name && d.ino == kept.ino));
    }

    /// [`iface`], through the kept descriptors when there are (or may be) some.
    pub fn iface(
        &mut self,
        class_dir: &Path,
        device: &Device,
        buf: &mut Vec<u8>,
    ) -> Result<NetClassIface, SysError> {
        if self
            .ifaces
            .get(&device.name)
            .is_some_and(|k| k.ino != device.ino)
        {
            self.ifaces.remove(&device.name);
        }
        if !self.ifaces.contains_key(&device.name) {
            if self.ifaces.len() >= self.max_ifaces {
                return iface(class_dir, &device.name, buf);
            }
            let dir_path = class_dir.join(&device.name);
            let dir = Dir::open(&dir_path).map_err(|e| SysError::io("open", &dir_path, &e))?;
            self.ifaces.insert(
                device.name.clone(),
                KeptIface {
                    ino: device.ino,
                    dir,
                    files: Default::default(),
                },
            );
        }
        let kept = self.ifaces.get_mut(&device.name).expect("inserted above");
        let dir_path = class_dir.join(&device.name);
        let mut gone = false;
        let result = build(&device.name, &dir_path, |i| {
            match read_kept(kept, &dir_path, i, buf) {
                Ok(v) => Ok(v),
                Err(KeptError::Failed(e)) => Err(e),
                Err(KeptError::Gone) => {
                    gone = true;
                    // Stops the build; the interface is read afresh below.
                    Err(SysError::errno_only(&std::io::Error::from_raw_os_error(
                        libc::ENODEV,
                    )))
                }
            }
        });
        if gone {
            self.ifaces.remove(&device.name);
            return iface(class_dir, &device.name, buf);
        }
        result
    }
}

/// One attribute through its kept descriptor, opening and keeping it when there is none yet.
fn read_kept(
    kept: &mut KeptIface,
    dir_path: &Path,
    i: usize,
    buf: &mut Vec<u8>,
) -> Result<String, KeptError> {
    use std::os::unix::fs::FileExt;
    if kept.files[i].is_none() {
        match kept.dir.open_file(ATTRS[i]) {
            Ok(f) => kept.files[i] = Some(f),
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => return Err(KeptError::Gone),
            Err(e) => {
                return Err(KeptError::Failed(SysError::io(
                    "open",
                    &dir_path.join(ATTRS[i]),
                    &e,
                )))
            }
        }
    }
    let file = kept.files[i].as_ref().expect("opened above");
    // procfs' SysReadFile: one read of at most 128 bytes.
    buf.clear();
    buf.resize(128, 0);
    let n = loop {
        match file.read_at(buf, 0) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENODEV | libc::ENOENT)) => {
                return Err(KeptError::Gone)
            }
            Err(e) => {
                buf.clear();
                return Err(KeptError::Failed(SysError::errno_only(&e)));
            }
        }
    };
    buf.truncate(n);
    Ok(sysfs::to_valid_utf8(sysfs::trim_space(buf)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_interface() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let eth = root.join("devices/eth0");
        std::fs::create_dir_all(&eth).unwrap();
        std::fs::write(eth.join("mtu"), "1500\n").unwrap();
        std::fs::write(eth.join("flags"), "0x1003\n").unwrap();
        std::fs::write(eth.join("operstate"), "up\n").unwrap();
        std::fs::write(eth.join("speed"), "-1\n").unwrap();
        std::fs::write(eth.join("carrier"), "yes\n").unwrap();
        let class = root.join("class/net");
        std::fs::create_dir_all(&class).unwrap();
        std::os::unix::fs::symlink(&eth, class.join("eth0")).unwrap();
        std::fs::write(class.join("bonding_masters"), "bond0\n").unwrap();
        assert_eq!(
            devices(&class)
                .unwrap()
                .into_iter()
                .map(|d| d.name)
                .collect::<Vec<_>>(),
            ["eth0"]
        );
        let iface = iface(&class, "eth0", &mut Vec::new()).unwrap();
        assert_eq!(iface.mtu, Some(1500));
        assert_eq!(iface.flags, Some(0x1003));
        assert_eq!(iface.speed, Some(-1));
        assert_eq!(iface.carrier, None);
        assert_eq!(iface.operstate, "up");
        assert_eq!(iface.duplex, "");
        let gone = super::iface(&class, "eth1", &mut Vec::new()).unwrap_err();
        assert!(gone.is_not_found());
        let err = devices(&root.join("none")).unwrap_err();
        assert!(err.is_not_found());
        assert!(err.to_string().starts_with("cannot access dir \""), "{err}");
    }

    #[test]
    fn kept_files_follow_the_device_not_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let class = root.join("class/net");
        std::fs::create_dir_all(&class).unwrap();
        let device = |name: &str, mtu: &str| {
            let d = root.join("devices").join(name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("mtu"), mtu).unwrap();
            std::fs::write(d.join("operstate"), "up\n").unwrap();
            d
        };
        std::os::unix::fs::symlink(device("a", "1500\n"), class.join("eth0")).unwrap();
        let mut kept = KeptIfaces::new(128);
        let mut buf = Vec::new();
        let mut read = |kept: &mut KeptIfaces| {
            let devices = devices(&class).unwrap();
            kept.retain(&devices);
            devices
                .iter()
                .map(|d| kept.iface(&class, d, &mut buf).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(read(&mut kept)[0].mtu, Some(1500));
        assert_eq!(kept.ifaces.len(), 1);
        // Changed in place (as a sysfs attribute changes): the kept descriptor sees it.
        std::fs::write(root.join("devices/a/mtu"), "9000\n").unwrap();
        assert_eq!(read(&mut kept)[0].mtu, Some(9000));
        // Another device under the same name: a new entry (a new inode, as kernfs hands out; made
        // beside the old one so that this file system cannot reuse its inode), so nothing kept is
        // used.
        std::os::unix::fs::symlink(device("b", "1400\n"), class.join("eth0.new")).unwrap();
        std::fs::rename(class.join("eth0.new"), class.join("eth0")).unwrap();
        let ifaces = read(&mut kept);
        assert_eq!(ifaces[0].mtu, Some(1400));
        assert_eq!(ifaces[0].operstate, "up");
        // Gone: what was kept for it is closed.
        std::fs::remove_file(class.join("eth0")).unwrap();
        assert!(read(&mut kept).is_empty());
        assert!(kept.ifaces.is_empty());
        // No room: read afresh, the same result.
        let mut none = KeptIfaces::new(0);
        std::os::unix::fs::symlink(root.join("devices/b"), class.join("eth1")).unwrap();
        assert_eq!(read(&mut none)[0].mtu, Some(1400));
        assert!(none.ifaces.is_empty());
    }
}
