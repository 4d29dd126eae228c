//! ingot's own metrics on `/metrics`, under Alloy's names so that Alloy's dashboards keep working.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::health::HealthState;

/// Upper bounds of the evaluation-time histogram, in seconds.
const EVALUATION_BUCKETS: [f64; 11] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0,
];

#[derive(Default)]
pub struct ControllerMetrics {
    load_failures: AtomicU64,
    last_load_ok: AtomicU64,
    last_success: Mutex<Option<SystemTime>>,
    evaluations: Mutex<Histogram>,
}

#[derive(Default)]
struct Histogram {
    buckets: [u64; EVALUATION_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl ControllerMetrics {
    pub fn load_succeeded(&self, took: Duration) {
        self.last_load_ok.store(1, Ordering::Relaxed);
        *self.last_success.lock().unwrap_or_else(|e| e.into_inner()) = Some(SystemTime::now());
        self.observe_evaluation(took);
    }

    pub fn load_failed(&self) {
        self.load_failures.fetch_add(1, Ordering::Relaxed);
        self.last_load_ok.store(0, Ordering::Relaxed);
    }

    pub fn load_failures(&self) -> u64 {
        self.load_failures.load(Ordering::Relaxed)
    }

    pub fn last_success(&self) -> Option<SystemTime> {
        *self.last_success.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn observe_evaluation(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let mut h = self.evaluations.lock().unwrap_or_else(|e| e.into_inner());
        for (i, bound) in EVALUATION_BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.buckets[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// Appends the controller's families in Prometheus text format.
    pub fn render(&self, out: &mut String, health_counts: &[(HealthState, usize)]) {
        let _ = writeln!(out, "# HELP alloy_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which alloy was built, and the goos and goarch for the build.");
        let _ = writeln!(out, "# TYPE alloy_build_info gauge");
        let _ = writeln!(
            out,
            "alloy_build_info{{branch=\"\",goarch=\"{}\",goos=\"{}\",goversion=\"\",revision=\"\",tags=\"ingot\",version=\"v{}\"}} 1",
            go_arch(),
            std::env::consts::OS,
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(out, "# HELP alloy_component_controller_running_components Total number of running components.");
        let _ = writeln!(
            out,
            "# TYPE alloy_component_controller_running_components gauge"
        );
        for (state, count) in health_counts {
            let _ = writeln!(
                out,
                "alloy_component_controller_running_components{{controller_id=\"\",controller_path=\"/\",health_type=\"{}\"}} {count}",
                state.as_str()
            );
        }
        let h = self.evaluations.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(
            out,
            "# HELP alloy_component_evaluation_seconds Time spent performing component evaluation."
        );
        let _ = writeln!(out, "# TYPE alloy_component_evaluation_seconds histogram");
        for (i, bound) in EVALUATION_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "alloy_component_evaluation_seconds_bucket{{controller_id=\"\",controller_path=\"/\",le=\"{bound}\"}} {}",
                h.buckets[i]
            );
        }
        let _ = writeln!(out, "alloy_component_evaluation_seconds_bucket{{controller_id=\"\",controller_path=\"/\",le=\"+Inf\"}} {}", h.count);
        let _ = writeln!(
            out,
            "alloy_component_evaluation_seconds_sum{{controller_id=\"\",controller_path=\"/\"}} {}",
            h.sum
        );
        let _ = writeln!(out, "alloy_component_evaluation_seconds_count{{controller_id=\"\",controller_path=\"/\"}} {}", h.count);
        drop(h);
        let _ = writeln!(out, "# HELP alloy_config_last_load_success_timestamp_seconds Timestamp of the last successful configuration load.");
        let _ = writeln!(
            out,
            "# TYPE alloy_config_last_load_success_timestamp_seconds gauge"
        );
        let ts = self
            .last_success()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0.0, |d| d.as_secs_f64());
        let _ = writeln!(out, "alloy_config_last_load_success_timestamp_seconds {ts}");
        let _ = writeln!(
            out,
            "# HELP alloy_config_last_load_successful Config loaded successfully."
        );
        let _ = writeln!(out, "# TYPE alloy_config_last_load_successful gauge");
        let _ = writeln!(
            out,
            "alloy_config_last_load_successful {}",
            self.last_load_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP alloy_config_load_failures_total Configuration load failures."
        );
        let _ = writeln!(out, "# TYPE alloy_config_load_failures_total counter");
        let _ = writeln!(
            out,
            "alloy_config_load_failures_total {}",
            self.load_failures()
        );
    }
}

/// Go's GOARCH name for this machine, as Alloy reports it.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}
