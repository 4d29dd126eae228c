//! `/proc/stat`: the per-CPU time lines, the boot time and the system-wide counters.

use crate::num::parse_f64;
use crate::ParseError;

/// USER_HZ as procfs assumes it: the kernel reports jiffies of 1/100 s.
pub const USER_HZ: f64 = 100.0;

/// One `cpu` line, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTimes {
    pub user: f64,
    pub nice: f64,
    pub system: f64,
    pub idle: f64,
    pub iowait: f64,
    pub irq: f64,
    pub softirq: f64,
    pub steal: f64,
    pub guest: f64,
    pub guest_nice: f64,
}

/// A `cpuN` line; `cpu: None` is the aggregate `cpu` line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuLine {
    pub cpu: Option<i64>,
    pub times: CpuTimes,
}

/// Calls `f` for every `cpu` line. Missing trailing fields count as zero (old kernels print
/// fewer), an unparsable field fails the whole file, as in procfs.
pub fn for_each_cpu(text: &str, mut f: impl FnMut(CpuLine)) -> Result<(), ParseError> {
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let Some(key) = fields.next() else { continue };
        if !key.starts_with("cpu") {
            continue;
        }
        let mut values = [0f64; 10];
        let mut count = 0;
        for (slot, field) in values.iter_mut().zip(fields) {
            *slot = parse_f64(field).ok_or_else(|| {
                ParseError::new(format!(
                    "couldn't parse {line:?} (cpu): expected number, got {field:?}"
                ))
            })? / USER_HZ;
            count += 1;
        }
        if count == 0 {
            // procfs requires `<key> <value>` before it looks at the line at all.
            continue;
        }
        let cpu =
            if key == "cpu" {
                None
            } else {
                Some(crate::num::parse_i64_dec(&key[3..]).ok_or_else(|| {
                    ParseError::new(format!("couldn't parse {line:?} (cpu/cpuid)"))
                })?)
            };
        let [user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice] = values;
        f(CpuLine {
            cpu,
            times: CpuTimes {
                user,
                nice,
                system,
                idle,
                iowait,
                irq,
                softirq,
                steal,
                guest,
                guest_nice,
            },
        });
    }
    Ok(())
}

/// The `btime` line: when the system booted, in seconds since the epoch.
pub fn boot_time(text: &str) -> Result<u64, ParseError> {
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        if fields.next() != Some("btime") {
            continue;
        }
        let value = fields.next().unwrap_or("");
        return crate::num::parse_u64_dec(value)
            .ok_or_else(|| ParseError::new(format!("couldn't parse {line:?} (btime): {value:?}")));
    }
    Err(ParseError::new("no btime line"))
}

/// The `softirq` line's per-vector counts, in the kernel's order.
pub const SOFTIRQ_VECTORS: [&str; 10] = [
    "hi",
    "timer",
    "net_tx",
    "net_rx",
    "block",
    "block_iopoll",
    "tasklet",
    "sched",
    "hrtimer",
    "rcu",
];

/// The system-wide lines of `/proc/stat` that node_exporter's `stat` collector reports (a missing
/// line reads as 0, as in procfs's struct).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub boot_time: u64,
    pub intr: u64,
    pub ctxt: u64,
    pub processes: u64,
    pub procs_running: u64,
    pub procs_blocked: u64,
    /// Per vector, as [`SOFTIRQ_VECTORS`] names them.
    pub softirq: [u64; 10],
}

/// procfs's `parseStat`: the counters above; like procfs, a malformed `cpu` line or a malformed
/// value of a known line fails the whole file.
pub fn summary(text: &str) -> Result<Summary, ParseError> {
    let mut s = Summary::default();
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let (Some(key), Some(first)) = (fields.next(), fields.next()) else {
            continue;
        };
        let number = |value: &str| {
            crate::num::parse_u64_dec(value)
                .ok_or_else(|| ParseError::new(format!("couldn't parse {value:?} ({key})")))
        };
        match key {
            "btime" => s.boot_time = number(first)?,
            "intr" => {
                s.intr = number(first)?;
                // procfs also parses every numbered interrupt.
                for (i, count) in fields.enumerate() {
                    if crate::num::parse_u64_dec(count).is_none() {
                        return Err(ParseError::new(format!(
                            "couldn't parse {count:?} (intr{i})"
                        )));
                    }
                }
            }
            "ctxt" => s.ctxt = number(first)?,
            "processes" => s.processes = number(first)?,
            "procs_running" => s.procs_running = number(first)?,
            "procs_blocked" => s.procs_blocked = number(first)?,
            "softirq" => {
                // Sscanf("%s %d × 11"): the total and ten vectors, all required.
                number(first)?;
                for slot in s.softirq.iter_mut() {
                    let value = fields.next().unwrap_or("");
                    *slot = crate::num::parse_i64_dec(value)
                        .and_then(|v| u64::try_from(v).ok())
                        .ok_or_else(|| {
                            ParseError::new(format!("couldn't parse {line:?} (softirq)"))
                        })?;
                }
            }
            _ if key.starts_with("cpu") => {
                for_each_cpu(line, |_| {})?;
            }
            _ => {}
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_time_from_btime() {
        let text = "cpu  1 2 3 4\nbtime 1700000000\nprocesses 42\n";
        assert_eq!(boot_time(text), Ok(1_700_000_000));
        assert!(boot_time("cpu 1 2 3\n").is_err());
        assert!(boot_time("btime x\n").is_err());
    }

    #[test]
    fn parses_cpu_lines_in_seconds() {
        let text = "cpu  301854 612 111922 8979004 3552 2 3944 0 44 36\n\
                    cpu0 44490 19 21045 1087069 220 1 3410 0 2 1\n\
                    cpu1 47869 23 16474 1110787\n\
                    intr 8885917 17 0\nctxt 38014093\n";
        let mut lines = Vec::new();
        for_each_cpu(text, |l| lines.push(l)).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].cpu, None);
        assert_eq!(lines[1].cpu, Some(0));
        assert_eq!(lines[1].times.user, 444.9);
        assert_eq!(lines[1].times.guest, 0.02);
        assert_eq!(lines[1].times.guest_nice, 0.01);
        assert_eq!(lines[2].times.idle, 11107.87);
        assert_eq!(lines[2].times.iowait, 0.0);
    }

    #[test]
    fn rejects_garbage() {
        assert!(for_each_cpu("cpu0 1 x 3\n", |_| {}).is_err());
        assert!(for_each_cpu("cpuX 1 2 3\n", |_| {}).is_err());
    }

    #[test]
    fn summary_of_the_system_wide_lines() {
        let text = "cpu  301854 612 111922 8979004 3552 2 3944 0 44 36\n\
                    cpu0 44490 19 21045 1087069 220 1 3410 0 2 1\n\
                    intr 8885917 17 0 0\nctxt 38014093\nbtime 1418183276\nprocesses 26442\n\
                    procs_running 2\nprocs_blocked 1\n\
                    softirq 5057579 250191 1481983 1647 211099 186066 0 1783454 622196 12499 508444\n";
        let s = summary(text).unwrap();
        assert_eq!(s.intr, 8885917);
        assert_eq!(s.ctxt, 38014093);
        assert_eq!(s.boot_time, 1418183276);
        assert_eq!(s.processes, 26442);
        assert_eq!((s.procs_running, s.procs_blocked), (2, 1));
        assert_eq!(s.softirq[0], 250191);
        assert_eq!(s.softirq[9], 508444);
        assert_eq!(summary("ctxt 5\n").unwrap().intr, 0);
        assert!(summary("intr 5 x\n").is_err());
        assert!(summary("softirq 1 2 3\n").is_err());
        assert!(summary("cpu0 1 x\n").is_err());
        assert!(summary("procs_running -1\n").is_err());
    }
}
