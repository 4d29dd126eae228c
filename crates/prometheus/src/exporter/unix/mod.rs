//! `prometheus.exporter.unix`: node_exporter's host collectors, in process.
//!
//! The output is node_exporter 1.12's, byte for byte: the same families, labels, HELP, TYPE and
//! values, encoded as client_golang does (see `ingot_prom::exposition`). Collectors keep their
//! read buffers and the exporter keeps its [`FamilySet`], so a gather after the first reuses
//! memory instead of allocating it.
//!
//! Unlike node_exporter, collectors run one after another on the caller's thread: the work is a
//! few small file reads, cheaper than waking threads. Only `statfs` runs elsewhere (see
//! [`filesystem`]), because a dead network mount can block it forever; the systemd collector's
//! D-Bus client (zbus) keeps its own I/O thread while it is connected.

pub mod component;
mod config;
mod cpu;
mod diskstats;
mod filesystem;
mod loadavg;
mod meminfo;
mod netdev;
mod processes;
mod statfs_pool;
mod systemd;
mod time;
mod uname;

use std::fmt;
use std::io;
use std::path::Path;
use std::time::Instant;

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

pub use config::{
    CollectorSelection, ConfigError, CpuConfig, DiskConfig, FilesystemConfig, NetdevConfig,
    SystemdConfig, UnixConfig, ALLOY_DEFAULT_COLLECTORS, DEFAULT_DISK_DEVICE_EXCLUDE,
    DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE, DEFAULT_SYSTEMD_UNIT_EXCLUDE,
    DEFAULT_SYSTEMD_UNIT_INCLUDE, IMPLEMENTED_COLLECTORS, NODE_EXPORTER_DISK_DEVICE_EXCLUDE,
    NODE_EXPORTER_FS_TYPES_EXCLUDE, NODE_EXPORTER_MOUNT_POINTS_EXCLUDE,
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

/// One node_exporter collector. `update` adds its samples to `out`; samples it added before
/// failing stay, as they do in node_exporter, where they were already sent on the channel.
trait Collector: Send {
    fn name(&self) -> &'static str;
    fn update(&mut self, out: &mut FamilySet) -> Result<(), String>;
}

/// A collector that failed during the last gather.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectorError {
    pub collector: &'static str,
    pub message: String,
}

impl fmt::Display for CollectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "collector {} failed: {}", self.collector, self.message)
    }
}

impl std::error::Error for CollectorError {}

/// The exporter: built once from a [`UnixConfig`], gathered on every scrape.
pub struct UnixExporter {
    collectors: Vec<Box<dyn Collector>>,
    unsupported: Vec<String>,
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
                "cpu" => Box::new(cpu::CpuCollector::new(config)?),
                "diskstats" => Box::new(diskstats::DiskstatsCollector::new(config)?),
                "filesystem" => Box::new(filesystem::FilesystemCollector::new(config)?),
                "loadavg" => Box::new(loadavg::LoadavgCollector::new(config)),
                "meminfo" => Box::new(meminfo::MeminfoCollector::new(config)),
                "netdev" => Box::new(netdev::NetdevCollector::new(config)?),
                "processes" => Box::new(processes::ProcessesCollector::new(config)),
                "systemd" => Box::new(systemd::SystemdCollector::new(config)?),
                "time" => Box::new(time::TimeCollector::new(config)),
                "uname" => Box::new(uname::UnameCollector::new()),
                other => unreachable!("collector {other} is listed as implemented"),
            };
            collectors.push(collector);
        }
        Ok(UnixExporter {
            collectors,
            unsupported: selection.unsupported,
            default_absent: selection.default_absent,
            families: FamilySet::new(),
            errors: Vec::new(),
        })
    }

    /// Names of the collectors that run.
    pub fn collectors(&self) -> Vec<&'static str> {
        self.collectors.iter().map(|c| c.name()).collect()
    }

    /// Selected collector names this exporter does not implement; they produce nothing.
    pub fn unsupported_collectors(&self) -> &[String] {
        &self.unsupported
    }

    /// Collectors Alloy's default set would run that this exporter does not implement.
    pub fn default_absent_collectors(&self) -> &[&'static str] {
        &self.default_absent
    }

    /// Runs every collector and replaces the gathered families. Returns the collectors that
    /// failed; their `node_scrape_collector_success` is 0.
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
                Err(message) => {
                    self.errors.push(CollectorError {
                        collector: name,
                        message,
                    });
                    0.0
                }
            };
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

/// Go's `open <path>: <errno text>` for a failed file read.
fn open_error(path: &Path, err: &io::Error) -> String {
    format!(
        "open {}: {}",
        path.display(),
        ingot_hostfs::errno::go_error_text(err)
    )
}

/// A directory opened on first use and kept, so files below it open with a short `openat`.
/// If it cannot be opened, reads below it fail as "not found", and the next gather retries.
struct LazyDir {
    path: std::path::PathBuf,
    dir: Option<ingot_hostfs::read::Dir>,
    rel: String,
}

impl LazyDir {
    fn new(path: std::path::PathBuf) -> LazyDir {
        LazyDir {
            path,
            dir: None,
            rel: String::new(),
        }
    }

    fn get(&mut self) -> io::Result<&ingot_hostfs::read::Dir> {
        if self.dir.is_none() {
            self.dir = Some(ingot_hostfs::read::Dir::open(&self.path)?);
        }
        Ok(self.dir.as_ref().expect("just opened"))
    }

    /// Go's `filepath.Glob("<dir>/<prefix>[0-9]*")`: names of the entries that start with
    /// `prefix` and a digit, in lexical order. Like Glob, an unreadable directory matches nothing.
    fn glob_numbered(&mut self, prefix: &str, buf: &mut Vec<u8>) -> Vec<String> {
        let mut names = Vec::new();
        let Ok(dir) = self.get() else {
            return names;
        };
        let listed = dir.for_each_entry(buf, |name| {
            if name.starts_with(prefix.as_bytes())
                && name.get(prefix.len()).is_some_and(u8::is_ascii_digit)
            {
                if let Ok(name) = std::str::from_utf8(name) {
                    names.push(name.to_owned());
                }
            }
        });
        if listed.is_err() {
            // The directory may have been replaced; open it afresh next time.
            self.dir = None;
            names.clear();
        }
        names.sort_unstable();
        names
    }

    /// Reads the file `<a>/<b>` below the directory (`b` may be empty) into `buf`.
    fn read_into(&mut self, a: &str, b: &str, buf: &mut Vec<u8>) -> io::Result<()> {
        self.read_with(a, b, buf, ingot_hostfs::read::Dir::read_into)
    }

    /// Reads the sysfs attribute `<a>/<b>` with a single `read`.
    fn read_attribute(&mut self, a: &str, b: &str, buf: &mut Vec<u8>) -> io::Result<()> {
        self.read_with(a, b, buf, ingot_hostfs::read::Dir::read_attribute)
    }

    fn read_with(
        &mut self,
        a: &str,
        b: &str,
        buf: &mut Vec<u8>,
        read: fn(&ingot_hostfs::read::Dir, &str, &mut Vec<u8>) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut rel = std::mem::take(&mut self.rel);
        rel.clear();
        rel.push_str(a);
        if !b.is_empty() {
            rel.push('/');
            rel.push_str(b);
        }
        let result = self.get().and_then(|d| read(d, &rel, buf));
        self.rel = rel;
        result
    }

    /// node_exporter's `readUintFromFile` on a sysfs attribute.
    fn read_u64(&mut self, a: &str, b: &str, buf: &mut Vec<u8>) -> io::Result<u64> {
        self.read_attribute(a, b, buf)?;
        let text =
            std::str::from_utf8(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        ingot_hostfs::num::parse_u64_dec(text.trim())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an unsigned integer"))
    }

    /// procfs's `SysReadFile`: the attribute, whitespace-trimmed.
    fn read_sys_value<'b>(
        &mut self,
        a: &str,
        b: &str,
        buf: &'b mut Vec<u8>,
    ) -> io::Result<&'b str> {
        self.read_attribute(a, b, buf)?;
        // SysReadFile reads at most 128 bytes.
        buf.truncate(128);
        let text = match std::str::from_utf8(buf) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&buf[..e.valid_up_to()]).unwrap_or(""),
        };
        Ok(text.trim())
    }
}

/// Decimal text of an integer in a stack buffer, for label values without allocating.
struct IntText {
    buf: [u8; 24],
    len: usize,
}

impl IntText {
    fn new(n: i64) -> IntText {
        let mut buf = [0u8; 24];
        let mut i = buf.len();
        let negative = n < 0;
        let mut m = n.unsigned_abs();
        loop {
            i -= 1;
            buf[i] = b'0' + (m % 10) as u8;
            m /= 10;
            if m == 0 {
                break;
            }
        }
        if negative {
            i -= 1;
            buf[i] = b'-';
        }
        buf.copy_within(i.., 0);
        IntText { buf, len: 24 - i }
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits and '-' were written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_text() {
        assert_eq!(IntText::new(0).as_str(), "0");
        assert_eq!(IntText::new(1234).as_str(), "1234");
        assert_eq!(IntText::new(-7).as_str(), "-7");
        assert_eq!(IntText::new(i64::MIN).as_str(), "-9223372036854775808");
    }

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
