//! node_exporter's `loadavg` collector: `/proc/loadavg`.

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig};

const LOADS: [Desc; 3] = [
    Desc::new("node_load1", "1m load average.", MetricType::Gauge, &[]),
    Desc::new("node_load5", "5m load average.", MetricType::Gauge, &[]),
    Desc::new("node_load15", "15m load average.", MetricType::Gauge, &[]),
];

pub(super) struct LoadavgCollector {
    file: KeptFile,
    buf: Vec<u8>,
}

impl LoadavgCollector {
    pub(super) fn new(config: &UnixConfig) -> LoadavgCollector {
        LoadavgCollector {
            file: KeptFile::new(config.procfs_path.join("loadavg")),
            buf: Vec::new(),
        }
    }
}

impl Collector for LoadavgCollector {
    fn name(&self) -> &'static str {
        "loadavg"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.file
            .read_into(&mut self.buf)
            .map_err(|e| format!("couldn't get load: {}", open_error(self.file.path(), &e)))?;
        let text = String::from_utf8_lossy(&self.buf);
        let loads =
            ingot_hostfs::loadavg::parse(&text).map_err(|e| match e.to_string().as_str() {
                "unexpected content" => format!(
                    "couldn't get load: unexpected content in {}",
                    self.file.path().display()
                ),
                other => format!("couldn't get load: {other}"),
            })?;
        for (desc, value) in LOADS.iter().zip(loads) {
            out.push(desc, &[], value);
        }
        Ok(())
    }
}
