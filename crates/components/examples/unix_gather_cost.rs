//! Measures the CPU time of one full `prometheus.exporter.unix` gather plus encoding on this
//! host, with Alloy's default collectors (plus any named on the command line).
//!
//! `cargo run --release -p ingot-components --example unix_gather_cost [collector ...]`
//! or `... -- --only cpu,meminfo`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Counts heap allocations, to show what a steady-state gather allocates.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

use ingot_components::prometheus::exporter::unix::{UnixConfig, UnixExporter};

/// CPU time of the whole process (all threads), in seconds.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn main() {
    // `--only a,b` runs just those collectors; other arguments are added to the defaults.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match args.iter().position(|a| a == "--only") {
        Some(i) => UnixConfig {
            set_collectors: args
                .get(i + 1)
                .map(|s| s.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
            ..UnixConfig::default()
        },
        None => UnixConfig {
            enable_collectors: args,
            ..UnixConfig::default()
        },
    };
    let mut exporter = UnixExporter::new(&config).expect("config");
    let mut out = Vec::new();
    // Warm up: buffers grow to size, statfs workers start.
    for _ in 0..10 {
        out.clear();
        exporter.gather_into(&mut out);
    }
    let errors = exporter.errors().to_vec();
    let iterations = 2000;
    let allocations_start = ALLOCATIONS.load(Ordering::Relaxed);
    let cpu_start = cpu_seconds();
    let wall_start = Instant::now();
    for _ in 0..iterations {
        out.clear();
        exporter.gather_into(&mut out);
    }
    let wall = wall_start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_start;
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - allocations_start;
    println!("collectors: {:?}", exporter.collectors());
    if let Some(durations) = exporter
        .families()
        .get("node_scrape_collector_duration_seconds")
    {
        for s in durations.samples() {
            println!(
                "  {:<12} {:7.1} us wall (last gather)",
                s.label("collector").unwrap_or(""),
                s.value() * 1e6
            );
        }
    }
    println!("errors: {errors:?}");
    println!(
        "output: {} bytes, {} lines",
        out.len(),
        out.iter().filter(|&&b| b == b'\n').count()
    );
    println!(
        "allocations per gather+encode: {}",
        allocations / iterations
    );
    println!(
        "per gather+encode: {:.1} us CPU (user+sys, all threads), {:.1} us wall",
        cpu / iterations as f64 * 1e6,
        wall / iterations as f64 * 1e6
    );
}
