//! node_exporter's `qdisc` collector (off by default): the counters of every interface's root
//! queueing discipline, from the kernel over routing netlink (`RTM_GETQDISC`), as ema/qdisc reads
//! them. Alloy sets none of its device filters, so every interface is reported.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::Collector;

macro_rules! qdisc {
    ($name:literal, $help:literal, $kind:ident) => {
        Desc::new(
            concat!("node_qdisc_", $name),
            $help,
            MetricType::$kind,
            &["device", "kind"],
        )
    };
}

const BYTES: Desc = qdisc!("bytes_total", "Number of bytes sent.", Counter);
const PACKETS: Desc = qdisc!("packets_total", "Number of packets sent.", Counter);
const DROPS: Desc = qdisc!("drops_total", "Number of packets dropped.", Counter);
const REQUEUES: Desc = qdisc!(
    "requeues_total",
    "Number of packets dequeued, not transmitted, and requeued.",
    Counter
);
const OVERLIMITS: Desc = qdisc!("overlimits_total", "Number of overlimit packets.", Counter);
const QLEN: Desc = qdisc!(
    "current_queue_length",
    "Number of packets currently in queue to be sent.",
    Gauge
);
const BACKLOG: Desc = qdisc!(
    "backlog",
    "Number of bytes currently in queue to be sent.",
    Gauge
);

pub(super) struct QdiscCollector;

impl Collector for QdiscCollector {
    fn name(&self) -> &'static str {
        "qdisc"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let qdiscs = ingot_hostfs::rtnl::qdiscs().map_err(|e| {
            format!(
                "failed to execute request: {}",
                ingot_hostfs::errno::go_error_text(&e)
            )
        })?;
        let links = ingot_hostfs::rtnl::links().map_err(|e| {
            format!(
                "route ip+net: netlinkrib: {}",
                ingot_hostfs::errno::go_error_text(&e)
            )
        })?;
        for q in qdiscs.iter().filter(|q| q.parent == 0) {
            // An interface gone between the two dumps has no name, as in ema/qdisc.
            let device = links
                .iter()
                .find(|(index, _)| *index == q.ifindex)
                .map_or("", |(_, name)| name.as_str());
            let labels = [device, q.kind.as_str()];
            out.push(&BYTES, &labels, q.bytes as f64);
            out.push(&PACKETS, &labels, f64::from(q.packets));
            out.push(&DROPS, &labels, f64::from(q.drops));
            out.push(&REQUEUES, &labels, f64::from(q.requeues));
            out.push(&OVERLIMITS, &labels, f64::from(q.overlimits));
            out.push(&QLEN, &labels, f64::from(q.qlen));
            out.push(&BACKLOG, &labels, f64::from(q.backlog));
        }
        Ok(())
    }
}
