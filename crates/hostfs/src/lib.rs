//! Pure parsers for /proc and /sys. Every path comes from an explicit root, never a global.
//!
//! Parsers take the file's bytes (or text) and borrow from them, so a caller that keeps one
//! read buffer per file parses without allocating. The few syscalls node_exporter needs
//! (`uname`, `statfs`, local time) are thin wrappers here too, so components stay free of
//! `unsafe`.
//!
//! The parsing rules follow the Go code node_exporter 1.12 uses (prometheus/procfs), including
//! what counts as an error, because a parse error decides whether a collector reports success.

pub mod arp;
pub mod bcache;
pub mod bonding;
pub mod btrfs;
pub mod buddyinfo;
pub mod clocksource;
pub mod conntrack;
pub mod cpufreq;
pub mod cpuinfo;
pub mod diskstats;
pub mod dmi;
pub mod drm;
pub mod errno;
pub mod ethtool;
pub mod fibrechannel;
pub mod hwmon;
pub mod inet_diag;
pub mod infiniband;
pub mod interrupts;
pub mod ipvs;
pub mod limits;
pub mod lnstat;
pub mod loadavg;
pub mod mdstat;
pub mod meminfo;
pub mod mountinfo;
pub mod mountstats;
pub mod net_socket;
pub mod netclass;
pub mod netdev;
pub mod netstat;
pub mod nfs;
pub mod nl80211;
pub mod ntp;
pub mod num;
pub mod numa;
pub mod nvme;
pub mod osrelease;
pub mod perf;
pub mod power_supply;
pub mod powercap;
pub mod pressure;
pub mod process;
pub mod read;
pub mod rtnl;
pub mod schedstat;
pub mod scsi_tape;
pub mod selinux;
pub mod slabinfo;
pub mod sockstat;
pub mod softnet;
pub mod stat;
pub mod sys;
pub mod sysfs;
pub mod thermal;
pub mod timex;
pub mod udev;
pub mod vmstat;
pub mod watchdog;
pub mod xfs;
pub mod zfs;
pub mod zoneinfo;

use std::fmt;

/// A file whose content does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    message: String,
}

impl ParseError {
    pub fn new(message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}
