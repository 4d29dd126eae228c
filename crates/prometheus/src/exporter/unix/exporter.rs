//! The unix exporter: the selected collectors, run one after another on every gather, and their
//! output encoded as node_exporter's.

use std::fmt;
use std::time::Instant;

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{
    cpu, diskstats, filesystem, loadavg, meminfo, netdev, processes, systemd, time, uname,
    ConfigError, UnixConfig,
};

const SCRAPE_DURATION: Desc = Desc::new(
    "node_scrape_collector_duration_seconds",
    "node_exporter: Duration of a collector scrape.",
    MetricType::Gauge,
    &["collector"],
);
const SCRAPE_SUCCESS: Desc = Desc::new(
    "node_scrape_collector_success",
    "node_exporter: Whether a collector succeeded.",
    MetricType::Gauge,
    &["collector"],
);

/// node_exporter's `ErrNoData`: what a collector returns when its source does not exist on this
/// host (no conntrack module, no PSI, no schedstat). `node_scrape_collector_success` is 0, as
/// upstream reports it, but upstream logs it only at debug level, so it is no failure: the
/// component stays healthy.
pub(super) const NO_DATA: &str = "collector returned no data";

/// One node_exporter collector. `update` adds its samples to `out`; samples it added before
/// failing stay, as they do in node_exporter, where they were already sent on the channel.
pub(super) trait Collector: Send {
    fn name(&self) -> &'static str;
    fn update(&mut self, out: &mut FamilySet) -> Result<(), String>;
    /// What went wrong in the last `update` without failing it: node_exporter logs these as errors
    /// and reports success (the textfile collector's malformed files). They reach the component's
    /// health like failures.
    fn problems(&self) -> &[String] {
        &[]
    }
}

/// A collector that failed during the last gather, or (`failed: false`) a problem it reported
/// while succeeding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectorError {
    pub collector: &'static str,
    pub message: String,
    /// Whether the collector failed (`node_scrape_collector_success` 0).
    pub failed: bool,
}

impl fmt::Display for CollectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.failed {
            write!(f, "collector {} failed: {}", self.collector, self.message)
        } else {
            write!(f, "collector {}: {}", self.collector, self.message)
        }
    }
}

impl std::error::Error for CollectorError {}

/// The exporter: built once from a [`UnixConfig`], gathered on every scrape.
pub struct UnixExporter {
    collectors: Vec<Box<dyn Collector>>,
    default_absent: Vec<&'static str>,
    families: FamilySet,
    errors: Vec<CollectorError>,
}

impl UnixExporter {
    /// Builds the enabled collectors. Fails where node_exporter refuses to start: an invalid
    /// regex, mutually exclusive filters, an unreadable isolated-CPU list.
    pub fn new(config: &UnixConfig) -> Result<UnixExporter, ConfigError> {
        let selection = config.collector_selection();
        let mut collectors: Vec<Box<dyn Collector>> = Vec::new();
        for name in &selection.enabled {
            let collector: Box<dyn Collector> = match *name {
                "arp" => Box::new(super::arp::ArpCollector::new(config)?),
                "buddyinfo" => Box::new(super::buddyinfo::BuddyinfoCollector::new(config)),
                "cgroups" => Box::new(super::cgroups::CgroupsCollector::new(config)),
                "conntrack" => Box::new(super::conntrack::ConntrackCollector::new(config)),
                "cpu" => Box::new(cpu::CpuCollector::new(config)?),
                "diskstats" => Box::new(diskstats::DiskstatsCollector::new(config)?),
                "entropy" => Box::new(super::entropy::EntropyCollector::new(config)),
                "filefd" => Box::new(super::filefd::FilefdCollector::new(config)),
                "filesystem" => Box::new(filesystem::FilesystemCollector::new(config)?),
                "interrupts" => Box::new(super::interrupts::InterruptsCollector::new(config)),
                "ipvs" => Box::new(super::ipvs::IpvsCollector::new(config)?),
                "ksmd" => Box::new(super::ksmd::KsmdCollector::new(config)),
                "lnstat" => Box::new(super::lnstat::LnstatCollector::new(config)),
                "loadavg" => Box::new(loadavg::LoadavgCollector::new(config)),
                "mdadm" => Box::new(super::mdadm::MdadmCollector::new(config)),
                "meminfo" => Box::new(meminfo::MeminfoCollector::new(config)),
                "meminfo_numa" => Box::new(super::meminfo_numa::MeminfoNumaCollector::new(config)),
                "mountstats" => Box::new(super::mountstats::MountstatsCollector::new(config)),
                "netdev" => Box::new(netdev::NetdevCollector::new(config)?),
                "netstat" => Box::new(super::netstat::NetstatCollector::new(config)?),
                "network_route" => Box::new(super::network_route::NetworkRouteCollector),
                "nfs" => Box::new(super::nfs::NfsCollector::new(config)),
                "nfsd" => Box::new(super::nfsd::NfsdCollector::new(config)),
                "os" => Box::new(super::os::OsCollector::new(config)),
                "pressure" => Box::new(super::pressure::PressureCollector::new(config)),
                "processes" => Box::new(processes::ProcessesCollector::new(config)),
                "schedstat" => Box::new(super::schedstat::SchedstatCollector::new(config)),
                "selinux" => Box::new(super::selinux::SelinuxCollector::new()),
                "slabinfo" => Box::new(super::slabinfo::SlabinfoCollector::new(config)),
                "sockstat" => Box::new(super::sockstat::SockstatCollector::new(config)),
                "softirqs" => Box::new(super::softirqs::SoftirqsCollector::new(config)),
                "softnet" => Box::new(super::softnet::SoftnetCollector::new(config)),
                "stat" => Box::new(super::stat::StatCollector::new(config)),
                "sysctl" => Box::new(super::sysctl::SysctlCollector::new(config)),
                "systemd" => Box::new(systemd::SystemdCollector::new(config)?),
                "tcpstat" => Box::new(super::tcpstat::TcpstatCollector::new(config)),
                "textfile" => Box::new(super::textfile::TextfileCollector::new(config)),
                "time" => Box::new(time::TimeCollector::new(config)),
                "timex" => Box::new(super::timex::TimexCollector),
                "udp_queues" => Box::new(super::udp_queues::UdpQueuesCollector::new(config)),
                "uname" => Box::new(uname::UnameCollector::new()),
                "vmstat" => Box::new(super::vmstat::VmstatCollector::new(config)?),
                "xfs" => Box::new(super::xfs::XfsCollector::new(config)),
                "zfs" => Box::new(super::zfs::ZfsCollector::new(config)),
                "zoneinfo" => Box::new(super::zoneinfo::ZoneinfoCollector::new(config)),
                other => unreachable!("collector {other} is listed as implemented"),
            };
            collectors.push(collector);
        }
        Ok(UnixExporter {
            collectors,
            default_absent: selection.default_absent,
            families: FamilySet::new(),
            errors: Vec::new(),
        })
    }

    /// Names of the collectors that run.
    pub fn collectors(&self) -> Vec<&'static str> {
        self.collectors.iter().map(|c| c.name()).collect()
    }

    /// Collectors Alloy's default set would run that this exporter does not implement.
    pub fn default_absent_collectors(&self) -> &[&'static str] {
        &self.default_absent
    }

    /// Runs every collector and replaces the gathered families. Returns the collectors that
    /// failed (their `node_scrape_collector_success` is 0) and the problems collectors reported
    /// while succeeding. A collector that found no data (node_exporter's `ErrNoData`) reports
    /// success 0 and is not listed.
    pub fn gather(&mut self) -> &[CollectorError] {
        self.families.clear();
        self.errors.clear();
        for collector in &mut self.collectors {
            let name = collector.name();
            let start = Instant::now();
            let result = collector.update(&mut self.families);
            let elapsed = start.elapsed().as_secs_f64();
            let success = match result {
                Ok(()) => 1.0,
                Err(message) if message == NO_DATA => 0.0,
                Err(message) => {
                    self.errors.push(CollectorError {
                        collector: name,
                        message,
                        failed: true,
                    });
                    0.0
                }
            };
            for problem in collector.problems() {
                self.errors.push(CollectorError {
                    collector: name,
                    message: problem.clone(),
                    failed: false,
                });
            }
            self.families.push(&SCRAPE_DURATION, &[name], elapsed);
            self.families.push(&SCRAPE_SUCCESS, &[name], success);
        }
        &self.errors
    }

    /// The families of the last gather.
    pub fn families(&self) -> &FamilySet {
        &self.families
    }

    /// The failures of the last gather.
    pub fn errors(&self) -> &[CollectorError] {
        &self.errors
    }

    /// Appends the text exposition of the last gather.
    pub fn encode(&mut self, out: &mut Vec<u8>) {
        self.families.encode(out);
    }

    /// Gathers, then appends the exposition to `out`.
    pub fn gather_into(&mut self, out: &mut Vec<u8>) -> &[CollectorError] {
        self.gather();
        self.families.encode(out);
        &self.errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn failing_collector_reports_name_and_cause() {
        let dir = tempfile::tempdir().unwrap();
        let config = UnixConfig {
            procfs_path: dir.path().join("proc"),
            set_collectors: vec!["loadavg".into()],
            ..UnixConfig::default()
        };
        let mut exporter = UnixExporter::new(&config).unwrap();
        let errors = exporter.gather().to_vec();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].collector, "loadavg");
        let text = errors[0].to_string();
        assert!(
            text.starts_with("collector loadavg failed: couldn't get load: open "),
            "{text}"
        );
        assert!(
            text.ends_with("/proc/loadavg: no such file or directory"),
            "{text}"
        );
        let mut out = Vec::new();
        exporter.encode(&mut out);
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("node_scrape_collector_success{collector=\"loadavg\"} 0\n"),
            "{out}"
        );
        assert!(!out.contains("node_load1"));
    }
}
