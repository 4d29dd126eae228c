//! node_exporter's `conntrack` collector: `/proc/sys/net/netfilter/nf_conntrack_{count,max}` and
//! `/proc/net/stat/nf_conntrack`. Without the conntrack module there is no data.

use std::io;

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{open_error, Collector, UnixConfig, NO_DATA};

macro_rules! gauge {
    ($name:literal, $help:literal) => {
        Desc::new(
            concat!("node_nf_conntrack_", $name),
            $help,
            MetricType::Gauge,
            &[],
        )
    };
}

const ENTRIES: Desc = gauge!(
    "entries",
    "Number of currently allocated flow entries for connection tracking."
);
const LIMIT: Desc = gauge!(
    "entries_limit",
    "Maximum size of connection tracking table."
);
const FOUND: Desc = gauge!(
    "stat_found",
    "Number of searched entries which were successful."
);
const INVALID: Desc = gauge!(
    "stat_invalid",
    "Number of packets seen which can not be tracked."
);
const IGNORE: Desc = gauge!(
    "stat_ignore",
    "Number of packets seen which are already connected to a conntrack entry."
);
const INSERT: Desc = gauge!("stat_insert", "Number of entries inserted into the list.");
const INSERT_FAILED: Desc = gauge!(
    "stat_insert_failed",
    "Number of entries for which list insertion was attempted but failed."
);
const DROP: Desc = gauge!(
    "stat_drop",
    "Number of packets dropped due to conntrack failure."
);
const EARLY_DROP: Desc = gauge!(
    "stat_early_drop",
    "Number of dropped conntrack entries to make room for new ones, if maximum table size was reached."
);
const SEARCH_RESTART: Desc = gauge!(
    "stat_search_restart",
    "Number of conntrack table lookups which had to be restarted due to hashtable resizes."
);

pub(super) struct ConntrackCollector {
    count: KeptFile,
    max: KeptFile,
    stat: KeptFile,
    buf: Vec<u8>,
}

impl ConntrackCollector {
    pub(super) fn new(config: &UnixConfig) -> ConntrackCollector {
        let netfilter = config.procfs_path.join("sys/net/netfilter");
        ConntrackCollector {
            count: KeptFile::new(netfilter.join("nf_conntrack_count")),
            max: KeptFile::new(netfilter.join("nf_conntrack_max")),
            stat: KeptFile::new(config.procfs_path.join("net/stat/nf_conntrack")),
            buf: Vec::new(),
        }
    }
}

/// node_exporter's `handleErr`: a missing file means the module is not loaded.
fn handle(file: &KeptFile, e: io::Error) -> String {
    if e.kind() == io::ErrorKind::NotFound {
        return NO_DATA.into();
    }
    let cause = if e.kind() == io::ErrorKind::InvalidData {
        e.to_string()
    } else {
        open_error(file.path(), &e)
    };
    format!("failed to retrieve conntrack stats: {cause}")
}

impl Collector for ConntrackCollector {
    fn name(&self) -> &'static str {
        "conntrack"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let count = self
            .count
            .read_u64(&mut self.buf)
            .map_err(|e| handle(&self.count, e))?;
        out.push(&ENTRIES, &[], count as f64);
        let max = self
            .max
            .read_u64(&mut self.buf)
            .map_err(|e| handle(&self.max, e))?;
        out.push(&LIMIT, &[], max as f64);
        self.stat
            .read_into(&mut self.buf)
            .map_err(|e| handle(&self.stat, e))?;
        let s = ingot_hostfs::conntrack::parse(&String::from_utf8_lossy(&self.buf)).map_err(|e| {
            format!(
                "failed to retrieve conntrack stats: error reading file: Cannot read file: {}: error parsing file: {e}",
                self.stat.path().display()
            )
        })?;
        for (desc, v) in [
            (&FOUND, s.found),
            (&INVALID, s.invalid),
            (&IGNORE, s.ignore),
            (&INSERT, s.insert),
            (&INSERT_FAILED, s.insert_failed),
            (&DROP, s.drop),
            (&EARLY_DROP, s.early_drop),
            (&SEARCH_RESTART, s.search_restart),
        ] {
            out.push(desc, &[], v as f64);
        }
        Ok(())
    }
}
