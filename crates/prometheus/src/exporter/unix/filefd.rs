//! node_exporter's `filefd` collector: `/proc/sys/fs/file-nr`.

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig};

const ALLOCATED: Desc = Desc::new(
    "node_filefd_allocated",
    "File descriptor statistics: allocated.",
    MetricType::Gauge,
    &[],
);
const MAXIMUM: Desc = Desc::new(
    "node_filefd_maximum",
    "File descriptor statistics: maximum.",
    MetricType::Gauge,
    &[],
);

pub(super) struct FilefdCollector {
    file: KeptFile,
    buf: Vec<u8>,
}

impl FilefdCollector {
    pub(super) fn new(config: &UnixConfig) -> FilefdCollector {
        FilefdCollector {
            file: KeptFile::new(config.procfs_path.join("sys/fs/file-nr")),
            buf: Vec::new(),
        }
    }
}

impl Collector for FilefdCollector {
    fn name(&self) -> &'static str {
        "filefd"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.file
            .read_into(&mut self.buf)
            .map_err(|e| format!("couldn't get file-nr: {}", open_error(self.file.path(), &e)))?;
        let text = String::from_utf8_lossy(&self.buf);
        let (allocated, maximum) = ingot_hostfs::vmstat::file_nr(&text).ok_or_else(|| {
            format!(
                "couldn't get file-nr: unexpected number of file stats in {:?}",
                self.file.path().display().to_string()
            )
        })?;
        // node_exporter parses both before it reports either (its map order is random).
        let parse = |v: &str| {
            ingot_hostfs::num::parse_f64(v).ok_or_else(|| {
                format!("invalid value {v} in file-nr: strconv.ParseFloat: parsing {v:?}: invalid syntax")
            })
        };
        let (allocated, maximum) = (parse(allocated)?, parse(maximum)?);
        out.push(&ALLOCATED, &[], allocated);
        out.push(&MAXIMUM, &[], maximum);
        Ok(())
    }
}
