//! node_exporter's `softnet` collector: `/proc/net/softnet_stat`, per CPU.

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, IntText, UnixConfig};

macro_rules! per_cpu {
    ($name:literal, $help:literal, $kind:ident) => {
        Desc::new(
            concat!("node_softnet_", $name),
            $help,
            MetricType::$kind,
            &["cpu"],
        )
    };
}

const PROCESSED: Desc = per_cpu!("processed_total", "Number of processed packets", Counter);
const DROPPED: Desc = per_cpu!("dropped_total", "Number of dropped packets", Counter);
const SQUEEZED: Desc = per_cpu!(
    "times_squeezed_total",
    "Number of times processing packets ran out of quota",
    Counter
);
const COLLISION: Desc = per_cpu!(
    "cpu_collision_total",
    "Number of collision occur while obtaining device lock while transmitting",
    Counter
);
const RPS: Desc = per_cpu!(
    "received_rps_total",
    "Number of times cpu woken up received_rps",
    Counter
);
const FLOW_LIMIT: Desc = per_cpu!(
    "flow_limit_count_total",
    "Number of times flow limit has been reached",
    Counter
);
const BACKLOG: Desc = per_cpu!("backlog_len", "Softnet backlog status", Gauge);

pub(super) struct SoftnetCollector {
    file: KeptFile,
    buf: Vec<u8>,
    stats: Vec<ingot_hostfs::softnet::SoftnetStat>,
}

impl SoftnetCollector {
    pub(super) fn new(config: &UnixConfig) -> SoftnetCollector {
        SoftnetCollector {
            file: KeptFile::new(config.procfs_path.join("net/softnet_stat")),
            buf: Vec::new(),
            stats: Vec::new(),
        }
    }
}

impl Collector for SoftnetCollector {
    fn name(&self) -> &'static str {
        "softnet"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.file.read_into(&mut self.buf).map_err(|e| {
            format!(
                "could not get softnet statistics: {}",
                open_error(self.file.path(), &e)
            )
        })?;
        self.stats.clear();
        let stats = &mut self.stats;
        ingot_hostfs::softnet::for_each(&String::from_utf8_lossy(&self.buf), |s| stats.push(*s))
            .map_err(|e| {
                format!(
                    "could not get softnet statistics: error parsing file: /proc/net/softnet_stat: {e}"
                )
            })?;
        for s in &self.stats {
            let cpu = IntText::new(i64::from(s.index));
            let cpu = [cpu.as_str()];
            out.push(&PROCESSED, &cpu, f64::from(s.processed));
            out.push(&DROPPED, &cpu, f64::from(s.dropped));
            out.push(&SQUEEZED, &cpu, f64::from(s.time_squeezed));
            out.push(&COLLISION, &cpu, f64::from(s.cpu_collision));
            out.push(&RPS, &cpu, f64::from(s.received_rps));
            out.push(&FLOW_LIMIT, &cpu, f64::from(s.flow_limit_count));
            out.push(&BACKLOG, &cpu, f64::from(s.backlog_len));
        }
        Ok(())
    }
}
