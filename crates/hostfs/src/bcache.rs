//! `/sys/fs/bcache/<uuid>`: bcache cache sets, their backing and cache devices, as
//! prometheus/procfs 0.21's `bcache` package reads them (including its "dehumanizing" of values
//! such as `1.1M`).

use std::io::BufRead;
use std::path::Path;

use crate::sysfs::{self, SysError};

/// Counters of a `stats_total` directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodStats {
    pub bypassed: u64,
    pub cache_bypass_hits: u64,
    pub cache_bypass_misses: u64,
    pub cache_hits: u64,
    pub cache_miss_collisions: u64,
    pub cache_misses: u64,
    pub cache_readaheads: u64,
}

/// `writeback_rate_debug` of a backing device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WritebackRateDebug {
    pub rate: u64,
    pub dirty: u64,
    pub target: u64,
    pub proportional: i64,
    pub integral: i64,
    pub change: i64,
    pub next_io: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackingDevice {
    /// `bdev<N>`.
    pub name: String,
    pub dirty_data: u64,
    pub total: PeriodStats,
    pub writeback_rate_debug: WritebackRateDebug,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheDevice {
    /// `cache<N>`.
    pub name: String,
    pub io_errors: u64,
    pub metadata_written: u64,
    pub written: u64,
    /// `priority_stats` (Unused, Metadata percentages), when asked for.
    pub priority: Option<(u64, u64)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheSet {
    pub uuid: String,
    pub average_key_size: u64,
    pub btree_cache_size: u64,
    pub cache_available_percent: u64,
    pub congested: u64,
    pub root_usage_percent: u64,
    pub tree_depth: u64,
    pub active_journal_entries: u64,
    pub btree_nodes: u64,
    /// From `internal/btree_read_average_duration_us` (procfs calls it nanoseconds).
    pub btree_read_average_duration: u64,
    pub cache_read_races: u64,
    pub bdevs: Vec<BackingDevice>,
    pub caches: Vec<CacheDevice>,
}

/// procfs' `parsePseudoFloat`: `<int>.<frac>` with the fraction read as tenths of 1.024.
fn parse_pseudo_float(s: &str) -> Result<f64, SysError> {
    let mut parts = s.split('.');
    let int = parse_float(parts.next().unwrap_or(""))?;
    match parts.next() {
        None => Ok(int),
        Some(frac) => Ok(int + parse_float(frac)? / 10.24),
    }
}

fn parse_float(s: &str) -> Result<f64, SysError> {
    crate::num::parse_f64(s)
        .ok_or_else(|| SysError::msg(format!("strconv.ParseFloat: parsing {s:?}: invalid syntax")))
}

/// procfs' `dehumanize`: a number with an optional binary suffix (`k`, `M`, `G`, ... `Y`; any other
/// letter multiplies by 0, as procfs' map lookup does).
pub fn dehumanize(s: &str) -> Result<u64, SysError> {
    let Some(&last) = s.as_bytes().last() else {
        return Err(SysError::msg("zero-length reply"));
    };
    let (mantissa, multiplier) = if last > b'9' {
        let multiplier = match last {
            b'k' => 1u64 << 10,
            b'M' => 1 << 20,
            b'G' => 1 << 30,
            b'T' => 1 << 40,
            b'P' => 1 << 50,
            b'E' => 1 << 60,
            b'Z' => {
                return Ok(saturating(
                    parse_pseudo_float(&s[..s.len() - 1])? * 2f64.powi(70),
                ))
            }
            b'Y' => {
                return Ok(saturating(
                    parse_pseudo_float(&s[..s.len() - 1])? * 2f64.powi(80),
                ))
            }
            _ => 0,
        };
        // The suffix is one byte; what precedes it may not be valid text on its own only if the
        // suffix was not ASCII, in which case it is not a number either.
        let body = s
            .get(..s.len() - 1)
            .ok_or_else(|| SysError::msg("invalid suffix"))?;
        (parse_pseudo_float(body)?, multiplier as f64)
    } else {
        (parse_float(s)?, 1.0)
    };
    Ok(saturating(mantissa * multiplier))
}

/// Go's float64 → uint64 conversion for the values bcache prints (non-negative, in range).
fn saturating(v: f64) -> u64 {
    v as u64
}

/// procfs' `dehumanizeSigned`.
fn dehumanize_signed(s: &str) -> Result<i64, SysError> {
    let v = dehumanize(s.strip_prefix('-').unwrap_or(s))? as i64;
    Ok(if s.starts_with('-') {
        v.wrapping_neg()
    } else {
        v
    })
}

/// Reads values with procfs' parser semantics: a missing file is 0, another failure stops
/// everything after it.
struct Reader<'b> {
    buf: &'b mut Vec<u8>,
    err: Option<SysError>,
}

impl Reader<'_> {
    fn value(&mut self, dir: &Path, file: &str) -> u64 {
        if self.err.is_some() {
            return 0;
        }
        let path = dir.join(file);
        let bytes = match sysfs::read_file(&path, self.buf) {
            Ok(b) => b,
            Err(e) if e.is_not_found() => return 0,
            Err(e) => {
                self.err = Some(
                    SysError::msg(format!("failed to read: {}", path.display()))
                        .with_errno(e.errno()),
                );
                return 0;
            }
        };
        // procfs drops the last byte (the newline).
        let text = String::from_utf8_lossy(&bytes[..bytes.len().saturating_sub(1)]).into_owned();
        match dehumanize(&text) {
            Ok(v) => v,
            Err(e) => {
                self.err = Some(e);
                0
            }
        }
    }

    /// A file of `key: value` lines, each line handed to `parse`.
    fn lines(&mut self, path: &Path, mut parse: impl FnMut(&str) -> Result<(), SysError>) {
        if self.err.is_some() {
            return;
        }
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                self.err = Some(
                    SysError::msg(format!("failed to read: {}", path.display()))
                        .with_errno(e.raw_os_error()),
                );
                return;
            }
        };
        for line in std::io::BufReader::new(file).lines() {
            let result = line
                .map_err(|e| SysError::errno_only(&e))
                .and_then(|l| parse(&l));
            if let Err(e) = result {
                self.err = Some(e.context(format!(
                    "failed to parse path {:?}",
                    path.display().to_string()
                )));
                return;
            }
        }
    }
}

fn last_field(line: &str) -> &str {
    line.split_whitespace().last().unwrap_or("")
}

fn parse_writeback_line(line: &str, w: &mut WritebackRateDebug) -> Result<(), SysError> {
    let v = last_field(line);
    if line.starts_with("rate:") {
        w.rate = dehumanize(v.strip_suffix("/sec").unwrap_or(v))?;
    } else if line.starts_with("dirty:") {
        w.dirty = dehumanize(v)?;
    } else if line.starts_with("target:") {
        w.target = dehumanize(v)?;
    } else if line.starts_with("proportional:") {
        w.proportional = dehumanize_signed(v)?;
    } else if line.starts_with("integral:") {
        w.integral = dehumanize_signed(v)?;
    } else if line.starts_with("change:") {
        w.change = dehumanize_signed(v.strip_suffix("/sec").unwrap_or(v))?;
    } else if line.starts_with("next io:") {
        let v = v.strip_suffix("ms").unwrap_or(v);
        w.next_io = crate::num::parse_i64_dec(v).ok_or_else(|| {
            SysError::msg(format!("strconv.ParseInt: parsing {v:?}: invalid syntax"))
        })?;
    }
    Ok(())
}

fn parse_priority_line(line: &str, p: &mut (u64, u64)) -> Result<(), SysError> {
    let slot = if line.starts_with("Unused:") {
        &mut p.0
    } else if line.starts_with("Metadata:") {
        &mut p.1
    } else {
        return Ok(());
    };
    let v = last_field(line);
    let v = v.strip_suffix('%').unwrap_or(v);
    *slot = crate::num::parse_u64_dec(v).ok_or_else(|| {
        SysError::msg(format!("strconv.ParseUint: parsing {v:?}: invalid syntax"))
    })?;
    Ok(())
}

/// Every cache set of `<sysfs>/fs/bcache` (entries named like a UUID: holding a `-`), sorted.
/// `priority_stats` are read only when asked for: the kernel walks every bucket for them.
///
/// procfs also reads the five-minute statistics, which node_exporter does not report; they are
/// not read here.
pub fn cache_sets(
    bcache_dir: &Path,
    priority_stats: bool,
    buf: &mut Vec<u8>,
) -> Result<Vec<CacheSet>, SysError> {
    let mut sets = Vec::new();
    for uuid in sysfs::glob(bcache_dir, |n| n.contains('-')) {
        let dir = bcache_dir.join(&uuid);
        let mut r = Reader { buf, err: None };
        let mut set = CacheSet {
            average_key_size: r.value(&dir, "average_key_size"),
            btree_cache_size: r.value(&dir, "btree_cache_size"),
            cache_available_percent: r.value(&dir, "cache_available_percent"),
            congested: r.value(&dir, "congested"),
            root_usage_percent: r.value(&dir, "root_usage_percent"),
            tree_depth: r.value(&dir, "tree_depth"),
            ..CacheSet::default()
        };
        let internal = dir.join("internal");
        set.active_journal_entries = r.value(&internal, "active_journal_entries");
        set.btree_nodes = r.value(&internal, "btree_nodes");
        set.btree_read_average_duration = r.value(&internal, "btree_read_average_duration_us");
        set.cache_read_races = r.value(&internal, "cache_read_races");
        if let Some(e) = r.err.take() {
            return Err(e);
        }
        for name in sysfs::glob(&dir, |n| sysfs::prefix_then_digit(n, "bdev")) {
            let bdev_dir = dir.join(&name);
            let mut bdev = BackingDevice {
                dirty_data: r.value(&bdev_dir, "dirty_data"),
                name,
                ..BackingDevice::default()
            };
            let mut wrd = WritebackRateDebug::default();
            r.lines(&bdev_dir.join("writeback_rate_debug"), |l| {
                parse_writeback_line(l, &mut wrd)
            });
            bdev.writeback_rate_debug = wrd;
            let total = bdev_dir.join("stats_total");
            bdev.total = PeriodStats {
                bypassed: r.value(&total, "bypassed"),
                cache_bypass_hits: r.value(&total, "cache_bypass_hits"),
                cache_bypass_misses: r.value(&total, "cache_bypass_misses"),
                cache_hits: r.value(&total, "cache_hits"),
                cache_miss_collisions: r.value(&total, "cache_miss_collisions"),
                cache_misses: r.value(&total, "cache_misses"),
                cache_readaheads: r.value(&total, "cache_readaheads"),
            };
            set.bdevs.push(bdev);
        }
        if let Some(e) = r.err.take() {
            return Err(e);
        }
        for name in sysfs::glob(&dir, |n| sysfs::prefix_then_digit(n, "cache")) {
            let cache_dir = dir.join(&name);
            let mut cache = CacheDevice {
                io_errors: r.value(&cache_dir, "io_errors"),
                metadata_written: r.value(&cache_dir, "metadata_written"),
                written: r.value(&cache_dir, "written"),
                name,
                priority: None,
            };
            if priority_stats {
                let mut p = (0, 0);
                r.lines(&cache_dir.join("priority_stats"), |l| {
                    parse_priority_line(l, &mut p)
                });
                cache.priority = Some(p);
            }
            set.caches.push(cache);
        }
        if let Some(e) = r.err.take() {
            return Err(e);
        }
        set.uuid = uuid;
        sets.push(set);
    }
    Ok(sets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dehumanizes_as_procfs() {
        assert_eq!(dehumanize("542").unwrap(), 542);
        assert_eq!(
            dehumanize("1.1M").unwrap(),
            ((1.0 + 1.0 / 10.24) * 1048576.0) as u64
        );
        assert_eq!(
            dehumanize("20.4G").unwrap(),
            ((20.0 + 4.0 / 10.24) * 1073741824.0) as u64
        );
        assert_eq!(dehumanize("512k").unwrap(), 524288);
        assert_eq!(dehumanize("3x").unwrap(), 0);
        assert!(dehumanize("").is_err());
        assert!(dehumanize("abc").is_err());
        assert_eq!(
            dehumanize_signed("-3.2M").unwrap(),
            -(((3.0 + 2.0 / 10.24) * 1048576.0) as i64)
        );
    }

    #[test]
    fn writeback_and_priority_lines() {
        let mut w = WritebackRateDebug::default();
        for line in [
            "rate:\t\t1.1M/sec",
            "dirty:\t\t0.0k",
            "target:\t\t20.4G",
            "proportional:\t427.5k",
            "integral:\t-790.0k",
            "change:\t\t321.5k/sec",
            "next io:\t17ms",
        ] {
            parse_writeback_line(line, &mut w).unwrap();
        }
        assert_eq!(w.rate, dehumanize("1.1M").unwrap());
        assert_eq!(w.integral, -808960);
        assert_eq!(w.next_io, 17);
        let mut p = (0, 0);
        parse_priority_line("Unused:\t\t99%", &mut p).unwrap();
        parse_priority_line("Metadata:\t0%", &mut p).unwrap();
        parse_priority_line("Sectors per Q:\t36245232", &mut p).unwrap();
        assert_eq!(p, (99, 0));
        assert!(parse_priority_line("Unused: lots", &mut p).is_err());
    }

    #[test]
    fn no_bcache_is_no_sets() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            cache_sets(&dir.path().join("fs/bcache"), false, &mut Vec::new())
                .unwrap()
                .is_empty()
        );
    }
}
