//! node_exporter's `udp_queues` collector: the queued bytes of every UDP socket, summed, from
//! `/proc/net/udp` and `/proc/net/udp6`.

use std::io;

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig, NO_DATA};

const QUEUES: Desc = Desc::new(
    "node_udp_queues",
    "Number of allocated memory in the kernel for UDP datagrams in bytes.",
    MetricType::Gauge,
    &["queue", "ip"],
);

pub(super) struct UdpQueuesCollector {
    files: [KeptFile; 2],
    buf: Vec<u8>,
}

impl UdpQueuesCollector {
    pub(super) fn new(config: &UnixConfig) -> UdpQueuesCollector {
        UdpQueuesCollector {
            files: [
                KeptFile::new(config.procfs_path.join("net/udp")),
                KeptFile::new(config.procfs_path.join("net/udp6")),
            ],
            buf: Vec::new(),
        }
    }
}

impl Collector for UdpQueuesCollector {
    fn name(&self) -> &'static str {
        "udp_queues"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let mut missing = 0;
        for (file, (ip, what)) in self.files.iter_mut().zip([("v4", "udp"), ("v6", "udp6")]) {
            let summary = match file.read_into(&mut self.buf) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    missing += 1;
                    continue;
                }
                Err(e) => Err(open_error(file.path(), &e)),
                Ok(()) => {
                    ingot_hostfs::net_socket::summary(&String::from_utf8_lossy(&self.buf), true)
                        .map_err(|e| format!("error parsing file: {e}"))
                }
            }
            .map_err(|e| format!("couldn't get {what} queued bytes: {e}"))?;
            out.push(&QUEUES, &["tx", ip], summary.tx_queue as f64);
            out.push(&QUEUES, &["rx", ip], summary.rx_queue as f64);
        }
        if missing == 2 {
            return Err(NO_DATA.into());
        }
        Ok(())
    }
}
