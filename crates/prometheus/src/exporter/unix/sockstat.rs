//! node_exporter's `sockstat` collector: `/proc/net/sockstat` and `/proc/net/sockstat6`, one gauge
//! family `node_sockstat_<protocol>_<state>` per value.

use std::io;

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig};

const USED: Desc = Desc::new(
    "node_sockstat_sockets_used",
    "Number of IPv4 sockets in use.",
    MetricType::Gauge,
    &[],
);

pub(super) struct SockstatCollector {
    files: [KeptFile; 2],
    page_size: i64,
    bufs: [Vec<u8>; 2],
    name: String,
    help: String,
}

impl SockstatCollector {
    pub(super) fn new(config: &UnixConfig) -> SockstatCollector {
        SockstatCollector {
            files: [
                KeptFile::new(config.procfs_path.join("net/sockstat")),
                KeptFile::new(config.procfs_path.join("net/sockstat6")),
            ],
            page_size: ingot_hostfs::sys::page_size() as i64,
            bufs: Default::default(),
            name: String::new(),
            help: String::new(),
        }
    }
}

impl Collector for SockstatCollector {
    fn name(&self) -> &'static str {
        "sockstat"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        // Both files are read and parsed before anything is reported; a missing one (IPv4 or IPv6
        // disabled) is skipped.
        let mut present = [false; 2];
        for (i, (file, buf)) in self.files.iter_mut().zip(&mut self.bufs).enumerate() {
            let family = if i == 0 { "IPv4" } else { "IPv6" };
            match file.read_into(buf) {
                Ok(()) => present[i] = true,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(format!(
                        "failed to get {family} sockstat data: {}",
                        open_error(file.path(), &e)
                    ))
                }
            }
        }
        let mut stats = Vec::with_capacity(2);
        for (i, buf) in self.bufs.iter().enumerate() {
            if !present[i] {
                continue;
            }
            let text = std::str::from_utf8(buf).map_err(|e| e.to_string())?;
            let stat = ingot_hostfs::sockstat::parse(text).map_err(|e| {
                format!(
                    "failed to get {} sockstat data: error reading file: sockstats from {:?}: error parsing file: {e}",
                    if i == 0 { "IPv4" } else { "IPv6" },
                    self.files[i].path().display().to_string()
                )
            })?;
            stats.push((i == 1, stat));
        }
        for (ipv6, stat) in &stats {
            if let (false, Some(used)) = (ipv6, stat.used) {
                out.push(&USED, &[], used as f64);
            }
            for p in &stat.protocols {
                let mem_bytes = p.mem.map(|m| m.wrapping_mul(self.page_size));
                for (state, value) in [
                    ("inuse", Some(p.inuse)),
                    ("orphan", p.orphan),
                    ("tw", p.tw),
                    ("alloc", p.alloc),
                    ("mem", p.mem),
                    ("memory", p.memory),
                    ("mem_bytes", mem_bytes),
                ] {
                    let Some(value) = value else { continue };
                    self.name.clear();
                    self.help.clear();
                    use std::fmt::Write;
                    let _ = write!(self.name, "node_sockstat_{}_{state}", p.name);
                    let _ = write!(self.help, "Number of {} sockets in state {state}.", p.name);
                    out.family_with(&self.name, &self.help, MetricType::Gauge, &[])
                        .push(&[], value as f64);
                }
            }
        }
        Ok(())
    }
}
