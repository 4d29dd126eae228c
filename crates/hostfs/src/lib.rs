//! Pure parsers for /proc and /sys. Every path comes from an explicit root, never a global.
//!
//! Parsers take the file's bytes (or text) and borrow from them, so a caller that keeps one
//! read buffer per file parses without allocating. The few syscalls node_exporter needs
//! (`uname`, `statfs`, local time) are thin wrappers here too, so components stay free of
//! `unsafe`.
//!
//! The parsing rules follow the Go code node_exporter 1.12 uses (prometheus/procfs), including
//! what counts as an error, because a parse error decides whether a collector reports success.

pub mod bcache;
pub mod bonding;
pub mod btrfs;
pub mod clocksource;
pub mod cpufreq;
pub mod cpuinfo;
pub mod diskstats;
pub mod dmi;
pub mod drm;
pub mod errno;
pub mod ethtool;
pub mod fibrechannel;
pub mod hwmon;
pub mod infiniband;
pub mod limits;
pub mod loadavg;
pub mod meminfo;
pub mod mountinfo;
pub mod netclass;
pub mod netdev;
pub mod netstat;
pub mod nl80211;
pub mod num;
pub mod nvme;
pub mod perf;
pub mod power_supply;
pub mod powercap;
pub mod process;
pub mod read;
pub mod scsi_tape;
pub mod stat;
pub mod sys;
pub mod sysfs;
pub mod thermal;
pub mod udev;
pub mod watchdog;

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
