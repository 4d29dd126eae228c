//! node_exporter's `schedstat` collector: `/proc/schedstat`, per CPU.

use std::io;

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig, NO_DATA};

const RUNNING: Desc = Desc::new(
    "node_schedstat_running_seconds_total",
    "Number of seconds CPU spent running a process.",
    MetricType::Counter,
    &["cpu"],
);
const WAITING: Desc = Desc::new(
    "node_schedstat_waiting_seconds_total",
    "Number of seconds spent by processing waiting for this CPU.",
    MetricType::Counter,
    &["cpu"],
);
const TIMESLICES: Desc = Desc::new(
    "node_schedstat_timeslices_total",
    "Number of timeslices executed by CPU.",
    MetricType::Counter,
    &["cpu"],
);

pub(super) struct SchedstatCollector {
    file: KeptFile,
    buf: Vec<u8>,
}

impl SchedstatCollector {
    pub(super) fn new(config: &UnixConfig) -> SchedstatCollector {
        SchedstatCollector {
            file: KeptFile::new(config.procfs_path.join("schedstat")),
            buf: Vec::new(),
        }
    }
}

impl Collector for SchedstatCollector {
    fn name(&self) -> &'static str {
        "schedstat"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        match self.file.read_into(&mut self.buf) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(NO_DATA.into()),
            Err(e) => return Err(open_error(self.file.path(), &e)),
        }
        let text = String::from_utf8_lossy(&self.buf);
        ingot_hostfs::schedstat::for_each(&text, |c| {
            out.push(&RUNNING, &[c.cpu], c.running_ns as f64 / 1e9);
            out.push(&WAITING, &[c.cpu], c.waiting_ns as f64 / 1e9);
            out.push(&TIMESLICES, &[c.cpu], c.timeslices as f64);
        });
        Ok(())
    }
}
