//! The unix exporter: the selected collectors, run one after another on every gather, and their
//! output encoded as node_exporter's.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use ingot_prom::exposition::{Desc, FamilySet, MetricType};
use ingot_runtime::metrics::BuildInfo;

use super::{
    arp, bcache, bonding, btrfs, buddyinfo, cgroups, conntrack, cpu, cpu_vulnerabilities, cpufreq,
    diskstats, dmi, drbd, drm, edac, entropy, ethtool, fibrechannel, filefd, filesystem, hwmon,
    infiniband, interrupts, ipvs, ksmd, lnstat, loadavg, logind, mdadm, meminfo, meminfo_numa,
    mountstats, netclass, netdev, netstat, network_route, nfs, nfsd, ntp, nvme, os, pcidevice,
    perf, powersupplyclass, pressure, processes, qdisc, rapl, runit, schedstat, selinux, slabinfo,
    sockstat, softirqs, softnet, stat, supervisord, swap, sysctl, systemd, tapestats, tcpstat,
    textfile, thermal_zone, time, timex, udp_queues, uname, vmstat, watchdog, wifi, xfrm, xfs, zfs,
    zoneinfo, ConfigError, UnixConfig,
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

const BUILD_INFO: Desc = Desc::new(
    "node_exporter_build_info",
    "A metric with a constant '1' value labeled by version, revision, branch, goversion from which node_exporter was built, and the goos and goarch for the build.",
    MetricType::Gauge,
    &BuildInfo::LABELS,
);

/// node_exporter's `ErrNoData`: what a collector returns (as its whole error) when its source does
/// not exist on this host (no conntrack module, no PSI, no bcache, no InfiniBand, no hwmon). As in
/// node_exporter, its `node_scrape_collector_success` is 0, but upstream logs it only at debug
/// level, so it is no failure: the component stays healthy and names it.
pub(super) const NO_DATA: &str = "collector returned no data";

/// One node_exporter collector. `update` adds its samples to `out`; samples it added before
/// failing stay, as they do in node_exporter, where they were already sent on the channel.
/// Returning `Err(NO_DATA.into())` says there is nothing to collect on this host.
pub(super) trait Collector: Send {
    fn name(&self) -> &'static str;
    fn update(&mut self, out: &mut FamilySet) -> Result<(), String>;
    /// What went wrong in the last `update` without failing it: node_exporter logs these as errors
    /// and reports success (the textfile collector's malformed files). They reach the component's
    /// health like failures.
    fn problems(&self) -> &[String] {
        &[]
    }

    /// What the collector could not do although it succeeded (perf events the machine does not
    /// offer): named in the component's (healthy) health message.
    fn warnings(&self) -> &[String] {
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
    families: FamilySet,
    errors: Vec<CollectorError>,
    no_data: Vec<&'static str>,
    /// The agent's build, served as `node_exporter_build_info` when set.
    build_info: Option<Arc<BuildInfo>>,
}

impl UnixExporter {
    /// Builds the enabled collectors. Fails where node_exporter refuses to start: an invalid
    /// regex, mutually exclusive filters, an unreadable isolated-CPU list.
    pub fn new(config: &UnixConfig) -> Result<UnixExporter, ConfigError> {
        let selection = config.collector_selection();
        let mut collectors: Vec<Box<dyn Collector>> = Vec::new();
        for name in &selection.enabled {
            let collector: Box<dyn Collector> = match *name {
                "arp" => Box::new(arp::ArpCollector::new(config)?),
                "bcache" => Box::new(bcache::BcacheCollector::new(config)),
                "bonding" => Box::new(bonding::BondingCollector::new(config)),
                "btrfs" => Box::new(btrfs::BtrfsCollector::new(config)),
                "buddyinfo" => Box::new(buddyinfo::BuddyinfoCollector::new(config)),
                "cgroups" => Box::new(cgroups::CgroupsCollector::new(config)),
                "conntrack" => Box::new(conntrack::ConntrackCollector::new(config)),
                "cpu" => Box::new(cpu::CpuCollector::new(config)?),
                "cpu_vulnerabilities" => Box::new(
                    cpu_vulnerabilities::CpuVulnerabilitiesCollector::new(config),
                ),
                "cpufreq" => Box::new(cpufreq::CpufreqCollector::new(config)),
                "diskstats" => Box::new(diskstats::DiskstatsCollector::new(config)?),
                "dmi" => Box::new(dmi::DmiCollector::new(config)),
                "drbd" => Box::new(drbd::DrbdCollector::new(config)),
                "drm" => Box::new(drm::DrmCollector::new(config)),
                "edac" => Box::new(edac::EdacCollector::new(config)),
                "entropy" => Box::new(entropy::EntropyCollector::new(config)),
                "ethtool" => Box::new(ethtool::EthtoolCollector::new(config)?),
                "fibrechannel" => Box::new(fibrechannel::FibrechannelCollector::new(config)),
                "filefd" => Box::new(filefd::FilefdCollector::new(config)),
                "filesystem" => Box::new(filesystem::FilesystemCollector::new(config)?),
                "hwmon" => Box::new(hwmon::HwmonCollector::new(config)?),
                "infiniband" => Box::new(infiniband::InfinibandCollector::new(config)),
                "interrupts" => Box::new(interrupts::InterruptsCollector::new(config)),
                "ipvs" => Box::new(ipvs::IpvsCollector::new(config)?),
                "ksmd" => Box::new(ksmd::KsmdCollector::new(config)),
                "lnstat" => Box::new(lnstat::LnstatCollector::new(config)),
                "loadavg" => Box::new(loadavg::LoadavgCollector::new(config)),
                "logind" => Box::new(logind::LogindCollector::new(config)),
                "mdadm" => Box::new(mdadm::MdadmCollector::new(config)),
                "meminfo" => Box::new(meminfo::MeminfoCollector::new(config)),
                "meminfo_numa" => Box::new(meminfo_numa::MeminfoNumaCollector::new(config)),
                "mountstats" => Box::new(mountstats::MountstatsCollector::new(config)),
                "netclass" => Box::new(netclass::NetclassCollector::new(config)?),
                "netdev" => Box::new(netdev::NetdevCollector::new(config)?),
                "netstat" => Box::new(netstat::NetstatCollector::new(config)?),
                "network_route" => Box::new(network_route::NetworkRouteCollector),
                "nfs" => Box::new(nfs::NfsCollector::new(config)),
                "nfsd" => Box::new(nfsd::NfsdCollector::new(config)),
                "ntp" => Box::new(ntp::NtpCollector::new(config)?),
                "nvme" => Box::new(nvme::NvmeCollector::new(config)),
                "os" => Box::new(os::OsCollector::new(config)),
                "pcidevice" => Box::new(pcidevice::PcideviceCollector::new(config)),
                "perf" => Box::new(perf::PerfCollector::new(config)?),
                "powersupplyclass" => {
                    Box::new(powersupplyclass::PowerSupplyClassCollector::new(config)?)
                }
                "pressure" => Box::new(pressure::PressureCollector::new(config)),
                "processes" => Box::new(processes::ProcessesCollector::new(config)),
                "qdisc" => Box::new(qdisc::QdiscCollector),
                "rapl" => Box::new(rapl::RaplCollector::new(config)),
                "runit" => Box::new(runit::RunitCollector::new(config)),
                "schedstat" => Box::new(schedstat::SchedstatCollector::new(config)),
                "selinux" => Box::new(selinux::SelinuxCollector::new()),
                "slabinfo" => Box::new(slabinfo::SlabinfoCollector::new(config)),
                "sockstat" => Box::new(sockstat::SockstatCollector::new(config)),
                "softirqs" => Box::new(softirqs::SoftirqsCollector::new(config)),
                "softnet" => Box::new(softnet::SoftnetCollector::new(config)),
                "stat" => Box::new(stat::StatCollector::new(config)),
                "supervisord" => Box::new(supervisord::SupervisordCollector::new(config)?),
                "swap" => Box::new(swap::SwapCollector::new(config)),
                "sysctl" => Box::new(sysctl::SysctlCollector::new(config)),
                "systemd" => Box::new(systemd::SystemdCollector::new(config)?),
                "tapestats" => Box::new(tapestats::TapestatsCollector::new(config)?),
                "tcpstat" => Box::new(tcpstat::TcpstatCollector::new(config)),
                "textfile" => Box::new(textfile::TextfileCollector::new(config)),
                "thermal_zone" => Box::new(thermal_zone::ThermalZoneCollector::new(config)),
                "time" => Box::new(time::TimeCollector::new(config)),
                "timex" => Box::new(timex::TimexCollector),
                "udp_queues" => Box::new(udp_queues::UdpQueuesCollector::new(config)),
                "uname" => Box::new(uname::UnameCollector::new()),
                "vmstat" => Box::new(vmstat::VmstatCollector::new(config)?),
                "watchdog" => Box::new(watchdog::WatchdogCollector::new(config)),
                "wifi" => Box::new(wifi::WifiCollector::new(config)),
                "xfrm" => Box::new(xfrm::XfrmCollector::new(config)),
                "xfs" => Box::new(xfs::XfsCollector::new(config)),
                "zfs" => Box::new(zfs::ZfsCollector::new(config)),
                "zoneinfo" => Box::new(zoneinfo::ZoneinfoCollector::new(config)),
                other => unreachable!("collector {other} is listed as implemented"),
            };
            collectors.push(collector);
        }
        Ok(UnixExporter {
            collectors,
            families: FamilySet::new(),
            errors: Vec::new(),
            no_data: Vec::new(),
            build_info: None,
        })
    }

    /// Names of the collectors that run.
    pub fn collectors(&self) -> Vec<&'static str> {
        self.collectors.iter().map(|c| c.name()).collect()
    }

    /// Runs every collector and replaces the gathered families. Returns the collectors that
    /// failed (their `node_scrape_collector_success` is 0) and the problems collectors reported
    /// while succeeding. A collector that found no data (node_exporter's `ErrNoData`) reports
    /// success 0 and is not listed.
    pub fn gather(&mut self) -> &[CollectorError] {
        self.families.clear();
        self.errors.clear();
        self.no_data.clear();
        for collector in &mut self.collectors {
            let name = collector.name();
            let start = Instant::now();
            let result = collector.update(&mut self.families);
            let elapsed = start.elapsed().as_secs_f64();
            let success = match result {
                Ok(()) => 1.0,
                Err(message) if message == NO_DATA => {
                    self.no_data.push(name);
                    0.0
                }
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
        if let Some(info) = &self.build_info {
            self.families.push(&BUILD_INFO, &info.values(), 1.0);
        }
        &self.errors
    }

    /// Serves `node_exporter_build_info` labeled with the agent's own build, as Alloy does (with
    /// Alloy's): dashboards find their targets by it, such as the node-mixin's "USE Method / Node"
    /// instance list.
    pub fn set_build_info(&mut self, info: Option<Arc<BuildInfo>>) {
        self.build_info = info;
    }

    /// The families of the last gather.
    pub fn families(&self) -> &FamilySet {
        &self.families
    }

    /// The failures of the last gather.
    pub fn errors(&self) -> &[CollectorError] {
        &self.errors
    }

    /// The collectors' warnings (see [`Collector::warnings`]), as `<collector>: <warning>`.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.collectors {
            for w in c.warnings() {
                out.push(format!("{}: {w}", c.name()));
            }
        }
        out
    }

    /// Collectors that found nothing to collect in the last gather (node_exporter's `ErrNoData`:
    /// absent hardware). Their `node_scrape_collector_success` is 0; they are not failures.
    pub fn no_data_collectors(&self) -> &[&'static str] {
        &self.no_data
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
