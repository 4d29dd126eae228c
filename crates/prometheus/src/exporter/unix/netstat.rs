//! node_exporter's `netstat` collector: `/proc/net/netstat`, `/proc/net/snmp` and `/proc/net/snmp6`,
//! each `<protocol>_<field>` its `fields` regex selects as an untyped family
//! `node_netstat_<protocol>_<field>`.

use std::io;

use ingot_hostfs::read::KeptFile;
use ingot_hostfs::ParseError;
use ingot_prom::exposition::{FamilySet, MetricType};
use regex::Regex;

use super::fields::FieldMemo;
use super::{open_error, Collector, ConfigError, UnixConfig};

pub(super) struct NetstatCollector {
    files: [KeptFile; 3],
    fields: Regex,
    memo: FieldMemo,
    bufs: [Vec<u8>; 3],
    key: String,
    /// Selected fields of this gather by memo position, reported once every file has parsed (as
    /// node_exporter reports nothing when one of the three fails).
    staged: Vec<(usize, f64)>,
}

/// What node_exporter calls each file in its errors.
const WHAT: [&str; 3] = ["netstats", "SNMP stats", "SNMP6 stats"];

impl NetstatCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<NetstatCollector, ConfigError> {
        let fields = Regex::new(&config.netstat.fields).map_err(|e| {
            ConfigError(format!(
                "invalid regular expression for netstat.fields: {e}"
            ))
        })?;
        let file = |rel: &str| KeptFile::new(config.procfs_path.join(rel));
        Ok(NetstatCollector {
            files: [file("net/netstat"), file("net/snmp"), file("net/snmp6")],
            fields,
            memo: FieldMemo::new(),
            bufs: Default::default(),
            key: String::new(),
            staged: Vec::new(),
        })
    }
}

impl Collector for NetstatCollector {
    fn name(&self) -> &'static str {
        "netstat"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        for (i, (file, buf)) in self.files.iter_mut().zip(&mut self.bufs).enumerate() {
            match file.read_into(buf) {
                Ok(()) => {}
                // Without IPv6 there is no snmp6; node_exporter reports the rest.
                Err(e) if i == 2 && e.kind() == io::ErrorKind::NotFound => buf.clear(),
                Err(e) => {
                    return Err(format!(
                        "couldn't get {}: {}",
                        WHAT[i],
                        open_error(file.path(), &e)
                    ))
                }
            }
        }
        self.staged.clear();
        let mut index = 0;
        for (i, buf) in self.bufs.iter().enumerate() {
            let text = String::from_utf8_lossy(buf);
            let (memo, fields, key, staged) = (
                &mut self.memo,
                &self.fields,
                &mut self.key,
                &mut self.staged,
            );
            let mut stage = |protocol: &str, name: &str, value: &str| -> Result<(), ParseError> {
                let v = ingot_hostfs::num::parse_f64(value).ok_or_else(|| {
                    ParseError::new(format!(
                        "invalid value {value} in netstats: strconv.ParseFloat: parsing {value:?}: invalid syntax"
                    ))
                })?;
                key.clear();
                key.push_str(protocol);
                key.push('_');
                key.push_str(name);
                let selected = memo
                    .get(index, key, || {
                        fields.is_match(key).then(|| {
                            (
                                format!("node_netstat_{key}"),
                                format!("Statistic {protocol}{name}."),
                            )
                        })
                    })
                    .is_some();
                if selected {
                    staged.push((index, v));
                }
                index += 1;
                Ok(())
            };
            let parsed = if i == 2 {
                ingot_hostfs::netstat::for_each_snmp6(&text, &mut stage)
            } else {
                ingot_hostfs::netstat::for_each_pair(&text, &mut stage)
            };
            parsed.map_err(|e| {
                let e = e.to_string();
                if e.starts_with("invalid value") {
                    e
                } else {
                    format!(
                        "couldn't get {}: {e} in {}",
                        WHAT[i],
                        self.files[i].path().display()
                    )
                }
            })?;
        }
        for &(i, value) in &self.staged {
            if let Some((family, help)) = self.memo.family(i) {
                out.family_with(family, help, MetricType::Unknown, &[])
                    .push(&[], value);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(snmp6: bool) -> (tempfile::TempDir, NetstatCollector) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("net")).unwrap();
        std::fs::write(
            dir.path().join("net/netstat"),
            "TcpExt: SyncookiesSent TCPTimeouts PruneCalled\nTcpExt: 1 2 3\nIpExt: InOctets OutOctets\nIpExt: 10 20\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("net/snmp"),
            "Ip: Forwarding DefaultTTL InReceives\nIp: 1 64 5\nTcp: MaxConn CurrEstab\nTcp: -1 4\n",
        )
        .unwrap();
        if snmp6 {
            std::fs::write(
                dir.path().join("net/snmp6"),
                "Ip6InOctets 7\nUdp6InDatagrams 8\nIp6InDelivers 9\n",
            )
            .unwrap();
        }
        let mut config = UnixConfig {
            procfs_path: dir.path().to_owned(),
            ..UnixConfig::default()
        };
        config.netstat.fields = super::super::NODE_EXPORTER_NETSTAT_FIELDS.to_owned();
        let c = NetstatCollector::new(&config).unwrap();
        (dir, c)
    }

    #[test]
    fn merges_three_files_and_selects_fields() {
        let (_dir, mut c) = setup(true);
        for _ in 0..2 {
            let mut set = FamilySet::new();
            c.update(&mut set).unwrap();
            let text = set.encode_to_string();
            for line in [
                "# HELP node_netstat_TcpExt_SyncookiesSent Statistic TcpExtSyncookiesSent.\n# TYPE node_netstat_TcpExt_SyncookiesSent untyped\nnode_netstat_TcpExt_SyncookiesSent 1\n",
                "node_netstat_TcpExt_TCPTimeouts 2\n",
                "node_netstat_IpExt_InOctets 10\n",
                "node_netstat_Ip_Forwarding 1\n",
                "node_netstat_Tcp_CurrEstab 4\n",
                "# HELP node_netstat_Ip6_InOctets Statistic Ip6InOctets.\n",
                "node_netstat_Udp6_InDatagrams 8\n",
            ] {
                assert!(text.contains(line), "{line} in {text}");
            }
            for absent in ["PruneCalled", "DefaultTTL", "MaxConn", "InDelivers"] {
                assert!(!text.contains(absent), "{absent} in {text}");
            }
        }
    }

    #[test]
    fn no_snmp6_is_fine_and_a_broken_file_reports_nothing() {
        let (dir, mut c) = setup(false);
        let mut set = FamilySet::new();
        c.update(&mut set).unwrap();
        assert!(set
            .encode_to_string()
            .contains("node_netstat_Tcp_CurrEstab 4\n"));
        std::fs::write(dir.path().join("net/snmp"), "Ip: A B\nIp: 1\n").unwrap();
        let mut set = FamilySet::new();
        let err = c.update(&mut set).unwrap_err();
        assert!(
            err.starts_with("couldn't get SNMP stats: mismatch"),
            "{err}"
        );
        assert_eq!(set.encode_to_string(), "");
    }
}
