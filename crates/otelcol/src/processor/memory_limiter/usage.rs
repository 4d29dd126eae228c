//! How much memory the process holds and how much it may: resident memory from `/proc/self/statm`, the
//! memory available from the cgroup's limit (v2 `memory.max`, v1 `memory.limit_in_bytes`) or, without one,
//! `MemTotal` in `/proc/meminfo` (as the collector's `getMemUsageChecker` does).

use std::path::Path;

use super::args::Limits;

/// Resident bytes of this process, or `None` when `/proc` cannot be read.
pub fn resident() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * ingot_hostfs::sys::page_size())
}

/// The memory the process may use: its cgroup's limit, else the machine's total.
pub fn available(root: &Path) -> Option<u64> {
    let cgroup = |p: &str| -> Option<u64> {
        let v = std::fs::read_to_string(root.join(p)).ok()?;
        let v = v.trim();
        // cgroup v1 says "no limit" with a number near 2^63.
        v.parse::<u64>().ok().filter(|&n| n > 0 && n < (1 << 62))
    };
    cgroup("sys/fs/cgroup/memory.max")
        .or_else(|| cgroup("sys/fs/cgroup/memory/memory.limit_in_bytes"))
        .or_else(|| {
            let meminfo = std::fs::read_to_string(root.join("proc/meminfo")).ok()?;
            meminfo
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map(|kib| kib * 1024)
        })
}

/// `(hard limit, soft limit)` in bytes.
pub fn thresholds(limits: Limits, available: Option<u64>) -> Result<(u64, u64), String> {
    let (limit, spike) = match limits {
        Limits::Bytes { limit, spike } => (limit, spike),
        Limits::Percent { limit, spike } => {
            let total = available.ok_or("the memory available cannot be read (no cgroup limit and no /proc/meminfo): use limit instead of limit_percentage")?;
            (total / 100 * limit as u64, total / 100 * spike as u64)
        }
    };
    if spike >= limit {
        return Err(format!(
            "the spike limit ({spike} bytes) is not below the limit ({limit} bytes)"
        ));
    }
    Ok((limit, limit - spike))
}

/// Asks the allocator to give freed memory back to the system (what the collector's forced GC achieves).
pub fn release() {
    ingot_hostfs::sys::release_free_memory();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_from_bytes_or_the_cgroup() {
        assert_eq!(
            thresholds(
                Limits::Bytes {
                    limit: 1000,
                    spike: 200
                },
                None
            ),
            Ok((1000, 800))
        );
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("sys/fs/cgroup")).unwrap();
        std::fs::create_dir_all(root.path().join("proc")).unwrap();
        std::fs::write(
            root.path().join("proc/meminfo"),
            "MemTotal:       2048000 kB\n",
        )
        .unwrap();
        assert_eq!(available(root.path()), Some(2048000 * 1024));
        std::fs::write(root.path().join("sys/fs/cgroup/memory.max"), "max\n").unwrap();
        assert_eq!(available(root.path()), Some(2048000 * 1024));
        std::fs::write(root.path().join("sys/fs/cgroup/memory.max"), "1000000\n").unwrap();
        assert_eq!(available(root.path()), Some(1_000_000));
        assert_eq!(
            thresholds(
                Limits::Percent {
                    limit: 80,
                    spike: 20
                },
                Some(1_000_000)
            ),
            Ok((800_000, 600_000))
        );
        assert!(resident().unwrap() > 0);
    }
}
