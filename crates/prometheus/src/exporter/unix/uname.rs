//! node_exporter's `uname` collector: the `uname(2)` fields as labels.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::Collector;

const UNAME_INFO: Desc = Desc::new(
    "node_uname_info",
    "Labeled system information as provided by the uname system call.",
    MetricType::Gauge,
    &[
        "sysname",
        "release",
        "version",
        "machine",
        "nodename",
        "domainname",
    ],
);

pub(super) struct UnameCollector;

impl UnameCollector {
    pub(super) fn new() -> UnameCollector {
        UnameCollector
    }
}

impl Collector for UnameCollector {
    fn name(&self) -> &'static str {
        "uname"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let u = ingot_hostfs::sys::uname().map_err(|e| ingot_hostfs::errno::go_error_text(&e))?;
        out.push(
            &UNAME_INFO,
            &[
                &u.sysname,
                &u.release,
                &u.version,
                &u.machine,
                &u.nodename,
                &u.domainname,
            ],
            1.0,
        );
        Ok(())
    }
}
