//! What benchmarks measure of a process: CPU time and allocations. Read from `/proc` (for any process) and
//! counted by a global allocator (for the bench's own process), so that bench files need no `unsafe`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// User and system CPU time of a process, from `/proc/<pid>/stat` (utime and stime, in USER_HZ ticks of
/// 10 ms, which Linux fixes at 100 per second for this file whatever the kernel's own tick). `None` when
/// the process is gone.
pub fn cpu_times(pid: u32) -> Option<(Duration, Duration)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces and parentheses) start after the last ')'.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
    let ticks = |i: usize| -> Option<Duration> {
        let t: u64 = fields.get(i)?.parse().ok()?;
        Some(Duration::from_millis(t * 10))
    };
    Some((ticks(11)?, ticks(12)?))
}

/// User plus system CPU time of a process; zero when it is gone.
pub fn cpu_time(pid: u32) -> Duration {
    cpu_times(pid).map(|(u, s)| u + s).unwrap_or_default()
}

/// CPU time of a process's live threads to the nanosecond (`/proc/<pid>/task/*/schedstat`): fine enough
/// for a nearly idle process, where [`cpu_time`]'s 10 ms ticks read zero. Threads that ended are not in it.
pub fn run_time(pid: u32) -> Duration {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split(' ').next()?.parse::<u64>().ok())
        .map(Duration::from_nanos)
        .sum()
}

/// CPU time of this whole process (every thread).
pub fn self_cpu_time() -> Duration {
    cpu_time(std::process::id())
}

/// A global allocator that counts allocations (and reallocations), to show what a steady state allocates.
/// Install it in a bench or example with `#[global_allocator] static A: CountingAlloc = CountingAlloc;`.
pub struct CountingAlloc;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

impl CountingAlloc {
    /// Allocations made so far by the process, when `CountingAlloc` is its global allocator.
    pub fn allocations() -> u64 {
        ALLOCATIONS.load(Ordering::Relaxed)
    }
}

// SAFETY: every method forwards to the system allocator with the caller's arguments unchanged, so the
// caller's contract with `GlobalAlloc` is the system allocator's; counting touches only an atomic.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` through this allocator with `layout`; the caller upholds the rest.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_cpu_time_grows_with_work() {
        let before = self_cpu_time();
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(150) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        assert!(
            self_cpu_time() > before,
            "150 ms of spinning shows as CPU time"
        );
        assert_eq!(cpu_times(u32::MAX), None, "no such process");
    }
}
