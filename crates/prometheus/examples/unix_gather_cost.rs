//! Measures the CPU time of one full `prometheus.exporter.unix` gather plus encoding on this
//! host, with Alloy's default collectors (plus any named on the command line).
//!
//! `cargo run --release -p ingot-prometheus --example unix_gather_cost [collector ...]`
//! or `... -- --only cpu,meminfo`

use std::time::Instant;

use ingot_testkit::cost::{self_cpu_time, CountingAlloc};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

use ingot_prometheus::exporter::unix::{UnixConfig, UnixExporter};

fn cpu_seconds() -> f64 {
    self_cpu_time().as_secs_f64()
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
    let allocations_start = CountingAlloc::allocations();
    let cpu_start = cpu_seconds();
    let wall_start = Instant::now();
    for _ in 0..iterations {
        out.clear();
        exporter.gather_into(&mut out);
    }
    let wall = wall_start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_start;
    let allocations = CountingAlloc::allocations() - allocations_start;
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
