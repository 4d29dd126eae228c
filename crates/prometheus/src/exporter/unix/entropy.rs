//! node_exporter's `entropy` collector: `/proc/sys/kernel/random/{entropy_avail,poolsize}`.

use std::io;

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig};

const AVAILABLE: Desc = Desc::new(
    "node_entropy_available_bits",
    "Bits of available entropy.",
    MetricType::Gauge,
    &[],
);
const POOL_SIZE: Desc = Desc::new(
    "node_entropy_pool_size_bits",
    "Bits of entropy pool.",
    MetricType::Gauge,
    &[],
);

pub(super) struct EntropyCollector {
    available: KeptFile,
    pool_size: KeptFile,
    buf: Vec<u8>,
}

impl EntropyCollector {
    pub(super) fn new(config: &UnixConfig) -> EntropyCollector {
        let dir = config.procfs_path.join("sys/kernel/random");
        EntropyCollector {
            available: KeptFile::new(dir.join("entropy_avail")),
            pool_size: KeptFile::new(dir.join("poolsize")),
            buf: Vec::new(),
        }
    }
}

/// A file's value; `None` when it does not exist (procfs leaves the field unset then).
fn read(file: &mut KeptFile, buf: &mut Vec<u8>) -> Result<Option<u64>, String> {
    match file.read_u64(buf) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!(
            "failed to get kernel random stats: {}",
            if e.kind() == io::ErrorKind::InvalidData {
                e.to_string()
            } else {
                open_error(file.path(), &e)
            }
        )),
    }
}

impl Collector for EntropyCollector {
    fn name(&self) -> &'static str {
        "entropy"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let available = read(&mut self.available, &mut self.buf)?;
        let pool_size = read(&mut self.pool_size, &mut self.buf)?;
        let available = available.ok_or("couldn't get entropy_avail")?;
        out.push(&AVAILABLE, &[], available as f64);
        let pool_size = pool_size.ok_or("couldn't get entropy poolsize")?;
        out.push(&POOL_SIZE, &[], pool_size as f64);
        Ok(())
    }
}
