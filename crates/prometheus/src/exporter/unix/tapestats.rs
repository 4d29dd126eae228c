//! node_exporter's `tapestats` collector: `/sys/class/scsi_tape/st*/stats`.

use std::path::PathBuf;

use ingot_hostfs::scsi_tape;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};
use regex::Regex;

use super::config::required_regex;
use super::exporter::NO_DATA;
use super::{Collector, ConfigError, UnixConfig};

macro_rules! tape {
    ($name:literal, $kind:ident, $help:literal) => {
        Desc::new(
            concat!("node_tape_", $name),
            $help,
            MetricType::$kind,
            &["device"],
        )
    };
}

const IO_NOW: Desc = tape!(
    "io_now",
    Gauge,
    "The number of I/Os currently outstanding to this device."
);
const IO_TIME: Desc = tape!("io_time_seconds_total", Counter, "The amount of time spent waiting for all I/O to complete (including read and write). This includes tape movement commands such as seeking between file or set marks and implicit tape movement such as when rewind on close tape devices are used.");
const IO_OTHERS: Desc = tape!("io_others_total", Counter, "The number of I/Os issued to the tape drive other than read or write commands. The time taken to complete these commands uses the following calculation io_time_seconds_total-read_time_seconds_total-write_time_seconds_total");
const READ_BYTES: Desc = tape!(
    "read_bytes_total",
    Counter,
    "The number of bytes read from the tape drive."
);
const READS: Desc = tape!(
    "reads_completed_total",
    Counter,
    "The number of read requests issued to the tape drive."
);
const READ_TIME: Desc = tape!(
    "read_time_seconds_total",
    Counter,
    "The amount of time spent waiting for read requests to complete."
);
const WRITTEN_BYTES: Desc = tape!(
    "written_bytes_total",
    Counter,
    "The number of bytes written to the tape drive."
);
const WRITES: Desc = tape!(
    "writes_completed_total",
    Counter,
    "The number of write requests issued to the tape drive."
);
const WRITE_TIME: Desc = tape!(
    "write_time_seconds_total",
    Counter,
    "The amount of time spent waiting for write requests to complete."
);
const RESIDUAL: Desc = tape!("residual_total", Counter, "The number of times during a read or write we found the residual amount to be non-zero. This should mean that a program is issuing a read larger thean the block size on tape. For write not all data made it to tape.");

pub(super) struct TapestatsCollector {
    class_dir: PathBuf,
    ignored: Regex,
    buf: Vec<u8>,
}

impl TapestatsCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<TapestatsCollector, ConfigError> {
        Ok(TapestatsCollector {
            class_dir: config.sysfs_path.join("class/scsi_tape"),
            ignored: required_regex(
                "tapestats.ignored_devices",
                &config.tapestats.ignored_devices,
            )?,
            buf: Vec::new(),
        })
    }
}

impl Collector for TapestatsCollector {
    fn name(&self) -> &'static str {
        "tapestats"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let tapes = match scsi_tape::tapes(&self.class_dir, &mut self.buf) {
            Ok(t) => t,
            Err(e) if e.is_not_found_unwrapped() => return Err(NO_DATA.into()),
            Err(e) => return Err(format!("error obtaining SCSITape class info: {e}")),
        };
        for t in tapes.iter().filter(|t| !self.ignored.is_match(&t.name)) {
            let d = [t.name.as_str()];
            // node_exporter multiplies nanoseconds by 0.000000001.
            let seconds = |ns: u64| ns as f64 * 0.000000001;
            out.push(&IO_NOW, &d, t.in_flight as f64);
            out.push(&IO_TIME, &d, seconds(t.io_ns));
            out.push(&IO_OTHERS, &d, t.other_cnt as f64);
            out.push(&READ_BYTES, &d, t.read_byte_cnt as f64);
            out.push(&READS, &d, t.read_cnt as f64);
            out.push(&READ_TIME, &d, seconds(t.read_ns));
            out.push(&RESIDUAL, &d, t.resid_cnt as f64);
            out.push(&WRITTEN_BYTES, &d, t.write_byte_cnt as f64);
            out.push(&WRITES, &d, t.write_cnt as f64);
            out.push(&WRITE_TIME, &d, seconds(t.write_ns));
        }
        Ok(())
    }
}
