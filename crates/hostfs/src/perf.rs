//! `perf_event_open(2)` counters as node_exporter's perf collector opens them through
//! hodgesds/perf-utils: one counter per event and CPU, for every process (`pid = -1`), counting
//! from when it is enabled, with the hypervisor excluded and children inherited; tracepoints as
//! one group per CPU.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

pub const PERF_TYPE_HARDWARE: u32 = 0;
pub const PERF_TYPE_SOFTWARE: u32 = 1;
pub const PERF_TYPE_TRACEPOINT: u32 = 2;
pub const PERF_TYPE_HW_CACHE: u32 = 3;

const PERF_FORMAT_TOTAL_TIME_ENABLED: u64 = 1;
const PERF_FORMAT_TOTAL_TIME_RUNNING: u64 = 2;
const PERF_FORMAT_GROUP: u64 = 8;
const PERF_SAMPLE_IDENTIFIER: u64 = 1 << 16;
const FLAG_DISABLED: u64 = 1;
const FLAG_INHERIT: u64 = 1 << 1;
const FLAG_EXCLUDE_HV: u64 = 1 << 6;
/// `_IO('$', 0)` and `_IO('$', 3)`.
const PERF_EVENT_IOC_ENABLE: libc::c_ulong = 0x2400;
const PERF_IOC_FLAG_GROUP: libc::c_int = 1;

/// `struct perf_event_attr` as 16 u64 words (128 bytes, a size every kernel since 5.x accepts;
/// the fields used are in the first 48 bytes).
#[repr(C)]
struct Attr([u64; 16]);

const _: () = assert!(std::mem::size_of::<Attr>() == 128);

impl Attr {
    fn new(kind: u32, config: u64, read_format: u64, flags: u64) -> Attr {
        let mut words = [0u64; 16];
        // type (u32) and size (u32) share the first word, in memory order.
        let (kind, size) = (u64::from(kind), std::mem::size_of::<Attr>() as u64);
        words[0] = if cfg!(target_endian = "little") {
            kind | size << 32
        } else {
            kind << 32 | size
        };
        words[1] = config;
        words[3] = PERF_SAMPLE_IDENTIFIER;
        words[4] = read_format;
        words[5] = flags;
        Attr(words)
    }
}

fn perf_event_open(attr: &Attr, cpu: i32, group: Option<&OwnedFd>) -> io::Result<OwnedFd> {
    let group_fd = group.map_or(-1, |g| g.as_raw_fd());
    // SAFETY: `attr` is a zero-padded perf_event_attr whose size field is its own size; the
    // kernel only reads it. The result is checked before use.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            attr as *const Attr,
            -1 as libc::pid_t,
            cpu as libc::c_int,
            group_fd as libc::c_int,
            0 as libc::c_ulong,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: perf_event_open returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) })
}

fn enable(fd: &OwnedFd, arg: libc::c_int) -> io::Result<()> {
    // SAFETY: PERF_EVENT_IOC_ENABLE takes an integer argument, no memory.
    if unsafe { libc::ioctl(fd.as_raw_fd(), PERF_EVENT_IOC_ENABLE as _, arg) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn read_words(fd: &OwnedFd, words: &mut [u64]) -> io::Result<()> {
    loop {
        // SAFETY: reads at most `words.len() * 8` bytes into the slice we own.
        let n = unsafe {
            libc::read(
                fd.as_raw_fd(),
                words.as_mut_ptr().cast(),
                std::mem::size_of_val(words),
            )
        };
        if n >= 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// One counter of one event on one CPU.
#[derive(Debug)]
pub struct Counter {
    fd: OwnedFd,
}

impl Counter {
    /// Opens (disabled) and enables the counter `kind`/`config` on `cpu`.
    pub fn open(kind: u32, config: u64, cpu: i32) -> io::Result<Counter> {
        let attr = Attr::new(
            kind,
            config,
            PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_TOTAL_TIME_ENABLED,
            FLAG_DISABLED | FLAG_EXCLUDE_HV | FLAG_INHERIT,
        );
        let fd = perf_event_open(&attr, cpu, None)?;
        enable(&fd, 0)?;
        Ok(Counter { fd })
    }

    /// The raw count since the counter was enabled (perf-utils does not scale it by the time the
    /// counter ran).
    pub fn read(&self) -> io::Result<u64> {
        let mut words = [0u64; 3];
        read_words(&self.fd, &mut words)?;
        Ok(words[0])
    }
}

/// Tracepoints counted together on one CPU.
#[derive(Debug)]
pub struct TracepointGroup {
    fds: Vec<OwnedFd>,
    buf: Vec<u64>,
}

impl TracepointGroup {
    /// Opens one counter per tracepoint id on `cpu`, the first leading the group, and enables the
    /// group.
    pub fn open(ids: &[u64], cpu: i32) -> io::Result<TracepointGroup> {
        let format =
            PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_GROUP;
        let mut fds: Vec<OwnedFd> = Vec::with_capacity(ids.len());
        for (i, &id) in ids.iter().enumerate() {
            let flags = if i == 0 {
                FLAG_DISABLED | FLAG_EXCLUDE_HV
            } else {
                FLAG_EXCLUDE_HV
            };
            let attr = Attr::new(PERF_TYPE_TRACEPOINT, id, format, flags);
            let fd = perf_event_open(&attr, cpu, fds.first())?;
            fds.push(fd);
        }
        if let Some(leader) = fds.first() {
            enable(leader, PERF_IOC_FLAG_GROUP)?;
        }
        Ok(TracepointGroup {
            buf: vec![0; 3 + fds.len()],
            fds,
        })
    }

    /// The group's counts, in the order of the ids it was opened with.
    pub fn read(&mut self) -> io::Result<&[u64]> {
        let Some(leader) = self.fds.first() else {
            return Ok(&[]);
        };
        read_words(leader, &mut self.buf)?;
        let n = (self.buf[0] as usize).min(self.buf.len() - 3);
        Ok(&self.buf[3..3 + n])
    }
}

/// The CPUs this process may run on (Go's `runtime.NumCPU`, which node_exporter numbers `0..n`).
pub fn usable_cpu_count() -> usize {
    // SAFETY: cpu_set_t is plain old data, for which all-zero bytes are a valid value.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: sched_getaffinity writes at most size_of::<cpu_set_t>() bytes into the set we own.
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return std::thread::available_parallelism().map_or(1, |n| n.get());
    }
    // SAFETY: CPU_COUNT only reads the set.
    let n = unsafe { libc::CPU_COUNT(&set) };
    usize::try_from(n).unwrap_or(1).max(1)
}

/// The id of tracepoint `subsystem:event`, from the first tracefs mount of `/proc/mounts` (as
/// perf-utils finds it).
pub fn tracepoint_id(subsystem: &str, event: &str) -> Result<u64, String> {
    let mounts = std::fs::read_to_string("/proc/mounts")
        .map_err(|e| format!("Failed to get tracefs mount: {e}"))?;
    let tracefs = mounts
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .find(|f| f.len() > 3 && f[2] == "tracefs")
        .map(|f| f[1].to_owned())
        .ok_or_else(|| "Failed to get tracefs mount: Mount for tracefs not mounted".to_owned())?;
    let path = format!("{tracefs}/events/{subsystem}/{event}/id");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "Failed to get tracepoint config for {subsystem}:{event}: open {path}: {}",
            crate::errno::go_error_text(&e)
        )
    })?;
    let first = text.lines().next().unwrap_or("");
    crate::num::parse_u64_dec(first)
        .ok_or_else(|| format!("strconv.ParseUint: parsing {first:?}: invalid syntax"))
}

/// A failed `perf_event_open` in Go's words, with what it usually means.
pub fn explain_open_error(err: &io::Error) -> String {
    let text = crate::errno::go_error_text(err);
    match err.raw_os_error() {
        Some(libc::ENOENT) | Some(libc::EOPNOTSUPP) => format!(
            "{text} (the CPU or hypervisor does not offer this event; virtual machines usually expose no hardware counters)"
        ),
        Some(libc::EPERM) | Some(libc::EACCES) => match paranoid_level() {
            Some(level) => format!(
                "{text} (kernel.perf_event_paranoid is {level}; counting every process needs CAP_PERFMON or a level of 0 or less)"
            ),
            None => format!("{text} (perf events are refused to this process)"),
        },
        _ => text,
    }
}

/// `/proc/sys/kernel/perf_event_paranoid`, to explain a refusal.
pub fn paranoid_level() -> Option<i64> {
    let text = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid").ok()?;
    crate::num::parse_i64_dec(text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Software counters exist on every kernel with perf events; this fails only where
    /// perf_event_open is refused, and then says so.
    #[test]
    fn context_switches_count() {
        match Counter::open(PERF_TYPE_SOFTWARE, 3, 0) {
            Ok(counter) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                let first = counter.read().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(20));
                assert!(counter.read().unwrap() >= first);
            }
            Err(e) => panic!(
                "perf_event_open refused here ({e}); kernel.perf_event_paranoid = {:?}",
                paranoid_level()
            ),
        }
        assert!(usable_cpu_count() >= 1);
        // An event type that does not exist.
        assert!(Counter::open(0xffff, 0, 0).is_err());
    }
}
