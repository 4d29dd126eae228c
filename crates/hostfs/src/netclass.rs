//! `/sys/class/net/<iface>`: the attributes of each network interface node_exporter's netclass
//! collector reports, read as prometheus/procfs 0.21 reads them.

use std::path::Path;

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

/// procfs' `NetClassDevices`: the entries of `<sysfs>/class/net` that are not regular files
/// (interfaces are symlinks; `bonding_masters` is a file), sorted.
pub fn devices(class_dir: &Path) -> Result<Vec<String>, SysError> {
    let entries = sysfs::read_dir(class_dir).map_err(|e| {
        e.context(format!(
            "cannot access dir {:?}",
            class_dir.display().to_string()
        ))
    })?;
    Ok(entries
        .into_iter()
        .filter(|e| e.kind != EntryKind::File)
        .map(|e| e.name)
        .collect())
}

/// Reads one interface's attributes. A failure other than the ones procfs ignores (see
/// [`SysError::is_ignorable_attribute`]) fails the interface; a directory that is gone fails
/// with ENOENT, as procfs' listing of it does.
pub fn iface(class_dir: &Path, name: &str, buf: &mut Vec<u8>) -> Result<NetClassIface, SysError> {
    let dir_path = class_dir.join(name);
    // One lookup of the device directory; each attribute is then opened relative to it.
    let dir = crate::read::Dir::open(&dir_path).map_err(|e| SysError::io("open", &dir_path, &e))?;
    let mut iface = NetClassIface {
        name: name.to_owned(),
        ..NetClassIface::default()
    };
    let mut read = |attr: &str| -> Result<Option<String>, SysError> {
        match sysfs::read_value_at(&dir, &dir_path, attr, buf) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_ignorable_attribute() => Ok(None),
            Err(e) => Err(e.context(format!(
                "failed to read file {:?}",
                dir_path.join(attr).display().to_string()
            ))),
        }
    };
    let int = |v: Option<String>| v.and_then(|v| sysfs::parse_int_base0(&v));
    iface.addr_assign_type = int(read("addr_assign_type")?);
    iface.address = read("address")?.unwrap_or_default();
    iface.broadcast = read("broadcast")?.unwrap_or_default();
    iface.carrier = int(read("carrier")?);
    iface.carrier_changes = int(read("carrier_changes")?);
    iface.carrier_up_count = int(read("carrier_up_count")?);
    iface.carrier_down_count = int(read("carrier_down_count")?);
    iface.dev_id = int(read("dev_id")?);
    iface.dormant = int(read("dormant")?);
    iface.duplex = read("duplex")?.unwrap_or_default();
    iface.flags = int(read("flags")?);
    iface.ifalias = read("ifalias")?.unwrap_or_default();
    iface.ifindex = int(read("ifindex")?);
    iface.iflink = int(read("iflink")?);
    iface.link_mode = int(read("link_mode")?);
    iface.mtu = int(read("mtu")?);
    iface.name_assign_type = int(read("name_assign_type")?);
    iface.netdev_group = int(read("netdev_group")?);
    iface.operstate = read("operstate")?.unwrap_or_default();
    iface.speed = int(read("speed")?);
    iface.tx_queue_len = int(read("tx_queue_len")?);
    iface.iface_type = int(read("type")?);
    Ok(iface)
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
        assert_eq!(devices(&class).unwrap(), ["eth0"]);
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
}
