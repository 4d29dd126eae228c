//! Linux bonding: `/sys/class/net/bonding_masters` and each master's slaves, as node_exporter's
//! `bonding` collector reads them.

use std::path::Path;

use crate::sysfs::{self, SysError};

/// One bonding master: how many slaves it has and how many of them have MII status `up`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bond {
    pub master: String,
    pub slaves: u64,
    pub active: u64,
}

/// The masters listed in `<class_net>/bonding_masters`. A slave's status is read from
/// `lower_<slave>/bonding_slave/mii_status`, or `slave_<slave>/...` on older kernels; any file
/// that cannot be read fails the whole list (ENOENT included: the caller decides what that means).
pub fn bonds(class_net: &Path, buf: &mut Vec<u8>) -> Result<Vec<Bond>, SysError> {
    let masters =
        String::from_utf8_lossy(sysfs::read_file(&class_net.join("bonding_masters"), buf)?)
            .into_owned();
    let mut bonds = Vec::new();
    for master in masters.split_whitespace() {
        let slaves_text = String::from_utf8_lossy(sysfs::read_file(
            &class_net.join(master).join("bonding/slaves"),
            buf,
        )?)
        .into_owned();
        let mut bond = Bond {
            master: master.to_owned(),
            slaves: 0,
            active: 0,
        };
        for slave in slaves_text.split_whitespace() {
            let lower = class_net
                .join(master)
                .join(format!("lower_{slave}/bonding_slave/mii_status"));
            let state = match sysfs::read_file(&lower, buf) {
                Err(e) if e.is_not_found() => {
                    let older = class_net
                        .join(master)
                        .join(format!("slave_{slave}/bonding_slave/mii_status"));
                    sysfs::read_file(&older, buf)?
                }
                other => other?,
            };
            bond.slaves += 1;
            if sysfs::trim_space(state) == b"up" {
                bond.active += 1;
            }
        }
        bonds.push(bond);
    }
    Ok(bonds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_slaves() {
        let dir = tempfile::tempdir().unwrap();
        let net = dir.path();
        let w = |rel: &str, v: &str| {
            let p = net.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, v).unwrap();
        };
        w("bonding_masters", "bond0 dmz\n");
        w("bond0/bonding/slaves", "\n");
        w("dmz/bonding/slaves", "eth0 eth4\n");
        w("dmz/lower_eth0/bonding_slave/mii_status", "up\n");
        w("dmz/slave_eth4/bonding_slave/mii_status", "down\n");
        let bonds = bonds(net, &mut Vec::new()).unwrap();
        assert_eq!(
            bonds[0],
            Bond {
                master: "bond0".into(),
                slaves: 0,
                active: 0
            }
        );
        assert_eq!(
            bonds[1],
            Bond {
                master: "dmz".into(),
                slaves: 2,
                active: 1
            }
        );
        w("bonding_masters", "bond0 dmz int\n");
        assert!(super::bonds(net, &mut Vec::new())
            .unwrap_err()
            .is_not_found());
    }
}
