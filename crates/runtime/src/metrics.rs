//! ingot's own metrics on `/metrics`, under Alloy's names so that Alloy's dashboards keep working:
//! the controller's, declared here, and the components' (their [`DebugMetric`]s, labelled with
//! `component_id` and `component_path` as Alloy labels them). Both go into one [`FamilySet`], whose
//! writer sorts the families by name as client_golang's registry sorts one gather.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ingot_prom::exposition::{Desc, FamilySet, Histogram, MetricType};

use crate::component::DebugMetric;
use crate::health::HealthState;

/// Upper bounds of the evaluation-time histogram, in seconds.
const EVALUATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0,
];

/// The labels Alloy's controller metrics carry; ingot has the root controller only.
const CONTROLLER: &[&str] = &["controller_id", "controller_path"];
const ROOT_CONTROLLER: [&str; 2] = ["", "/"];

static BUILD_INFO: Desc = Desc::new(
    "alloy_build_info",
    "A metric with a constant '1' value labeled by version, revision, branch, goversion from which alloy was built, and the goos and goarch for the build.",
    MetricType::Gauge,
    &[
        "branch",
        "goarch",
        "goos",
        "goversion",
        "revision",
        "tags",
        "version",
    ],
);
static RUNNING_COMPONENTS: Desc = Desc::new(
    "alloy_component_controller_running_components",
    "Total number of running components.",
    MetricType::Gauge,
    &["controller_id", "controller_path", "health_type"],
);
static EVALUATION_SECONDS: Desc = Desc::new(
    "alloy_component_evaluation_seconds",
    "Time spent performing component evaluation.",
    MetricType::Histogram,
    CONTROLLER,
);
static LAST_LOAD_SUCCESS_TIMESTAMP: Desc = Desc::new(
    "alloy_config_last_load_success_timestamp_seconds",
    "Timestamp of the last successful configuration load.",
    MetricType::Gauge,
    &[],
);
static LAST_LOAD_SUCCESSFUL: Desc = Desc::new(
    "alloy_config_last_load_successful",
    "Config loaded successfully.",
    MetricType::Gauge,
    &[],
);
static LOAD_FAILURES: Desc = Desc::new(
    "alloy_config_load_failures_total",
    "Configuration load failures.",
    MetricType::Counter,
    &[],
);

/// The labels Alloy adds to every component metric; ingot's components all sit in the root module.
const COMPONENT_ID: &str = "component_id";
const COMPONENT_PATH: &str = "component_path";
const ROOT_PATH: &str = "/";

pub struct ControllerMetrics {
    load_failures: AtomicU64,
    last_load_ok: AtomicU64,
    last_success: Mutex<Option<SystemTime>>,
    evaluations: Mutex<Histogram>,
}

impl Default for ControllerMetrics {
    fn default() -> ControllerMetrics {
        ControllerMetrics {
            load_failures: AtomicU64::new(0),
            last_load_ok: AtomicU64::new(0),
            last_success: Mutex::new(None),
            evaluations: Mutex::new(Histogram::new(EVALUATION_BUCKETS)),
        }
    }
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
        self.evaluations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .observe(took.as_secs_f64());
    }

    /// Adds the controller's families to `set`.
    pub fn collect(&self, set: &mut FamilySet, health_counts: &[(HealthState, usize)]) {
        let version = concat!("v", env!("CARGO_PKG_VERSION"));
        set.push(
            &BUILD_INFO,
            &[
                "",
                go_arch(),
                std::env::consts::OS,
                "",
                "",
                "ingot",
                version,
            ],
            1.0,
        );
        for (state, count) in health_counts {
            set.push(
                &RUNNING_COMPONENTS,
                &[ROOT_CONTROLLER[0], ROOT_CONTROLLER[1], state.as_str()],
                *count as f64,
            );
        }
        self.evaluations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_to(set.family(&EVALUATION_SECONDS), &ROOT_CONTROLLER);
        let last_success = self
            .last_success()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0.0, |d| d.as_secs_f64());
        set.push(&LAST_LOAD_SUCCESS_TIMESTAMP, &[], last_success);
        set.push(
            &LAST_LOAD_SUCCESSFUL,
            &[],
            self.last_load_ok.load(Ordering::Relaxed) as f64,
        );
        set.push(&LOAD_FAILURES, &[], self.load_failures() as f64);
    }
}

/// Adds components' own metrics to `set`, each sample labelled with its component's id as
/// `component_id` and with `component_path="/"`, as Alloy labels them.
///
/// A family is described by the first metric of its name; a later metric of that name with another
/// type or other label names is left out (client_golang's registry refuses such a collector).
pub fn collect_component_metrics(set: &mut FamilySet, metrics: &[(String, DebugMetric)]) {
    let mut values: Vec<&str> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (id, m) in metrics {
        let desc = m.desc;
        if set.get(desc.name).is_none() {
            names.clear();
            names.extend_from_slice(desc.labels);
            names.extend([COMPONENT_ID, COMPONENT_PATH]);
            set.family_with(desc.name, desc.help, desc.kind, &names);
        }
        let Some(family) = set.get_mut(desc.name).filter(|f| same_family(f, desc)) else {
            tracing::debug!(
                component = %id,
                metric = desc.name,
                "left out: another metric of this name has another type or other labels"
            );
            continue;
        };
        values.clear();
        values.extend(m.label_values.iter().map(String::as_str));
        values.extend([id.as_str(), ROOT_PATH]);
        family.push_value(&values, &m.value);
    }
}

/// Whether `family` is what [`collect_component_metrics`] makes of `desc`.
fn same_family(family: &ingot_prom::exposition::MetricFamily, desc: &Desc) -> bool {
    let names = family.label_names();
    family.kind() == desc.kind
        && names.len() == desc.labels.len() + 2
        && desc
            .labels
            .iter()
            .chain(&[COMPONENT_ID, COMPONENT_PATH])
            .all(|l| names.iter().any(|n| n == l))
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

#[cfg(test)]
mod tests {
    use super::*;

    static QUEUE: Desc = Desc::new(
        "test_queue_length",
        "Items queued.",
        MetricType::Gauge,
        &["queue"],
    );
    static LATENCY: Desc = Desc::new(
        "test_latency_seconds",
        "Latency.",
        MetricType::Histogram,
        &[],
    );
    static QUEUE_OTHER: Desc = Desc::new(
        "test_queue_length",
        "Items queued, described differently.",
        MetricType::Counter,
        &["queue"],
    );

    #[test]
    fn controller_metrics_in_alloys_layout() {
        let m = ControllerMetrics::default();
        m.load_failed();
        m.observe_evaluation(Duration::from_micros(300));
        m.observe_evaluation(Duration::from_secs(2));
        let mut set = FamilySet::new();
        m.collect(
            &mut set,
            &[(HealthState::Healthy, 2), (HealthState::Unhealthy, 1)],
        );
        let text = set.encode_to_string();
        let want_build_info = format!(
            "alloy_build_info{{branch=\"\",goarch=\"{}\",goos=\"{}\",goversion=\"\",revision=\"\",tags=\"ingot\",version=\"v{}\"}} 1\n",
            go_arch(),
            std::env::consts::OS,
            env!("CARGO_PKG_VERSION")
        );
        let text = text.replace(&want_build_info, "alloy_build_info{...} 1\n");
        expect_test::expect![[r#"
            # HELP alloy_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which alloy was built, and the goos and goarch for the build.
            # TYPE alloy_build_info gauge
            alloy_build_info{...} 1
            # HELP alloy_component_controller_running_components Total number of running components.
            # TYPE alloy_component_controller_running_components gauge
            alloy_component_controller_running_components{controller_id="",controller_path="/",health_type="healthy"} 2
            alloy_component_controller_running_components{controller_id="",controller_path="/",health_type="unhealthy"} 1
            # HELP alloy_component_evaluation_seconds Time spent performing component evaluation.
            # TYPE alloy_component_evaluation_seconds histogram
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.0001"} 0
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.00025"} 0
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.0005"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.001"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.0025"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.005"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.01"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.025"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.05"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.1"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="1"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="+Inf"} 2
            alloy_component_evaluation_seconds_sum{controller_id="",controller_path="/"} 2.0003
            alloy_component_evaluation_seconds_count{controller_id="",controller_path="/"} 2
            # HELP alloy_config_last_load_success_timestamp_seconds Timestamp of the last successful configuration load.
            # TYPE alloy_config_last_load_success_timestamp_seconds gauge
            alloy_config_last_load_success_timestamp_seconds 0
            # HELP alloy_config_last_load_successful Config loaded successfully.
            # TYPE alloy_config_last_load_successful gauge
            alloy_config_last_load_successful 0
            # HELP alloy_config_load_failures_total Configuration load failures.
            # TYPE alloy_config_load_failures_total counter
            alloy_config_load_failures_total 1
        "#]]
        .assert_eq(&text);
    }

    #[test]
    fn component_metrics_get_alloys_labels_and_sort_with_the_controllers() {
        let metrics = vec![
            (
                "b.component".to_string(),
                DebugMetric::new(&QUEUE, ["q\"1"], 3.0),
            ),
            (
                "a.component".to_string(),
                DebugMetric::new(&QUEUE, ["q2"], 1e-5),
            ),
            (
                "a.component".to_string(),
                DebugMetric::histogram(
                    &LATENCY,
                    Vec::<String>::new(),
                    ingot_prom::exposition::HistogramValue {
                        buckets: vec![(0.5, 1)],
                        sum: 0.25,
                        count: 2,
                    },
                ),
            ),
            // Another description of a name already described: left out.
            (
                "c.component".to_string(),
                DebugMetric::new(&QUEUE_OTHER, ["q3"], 7.0),
            ),
        ];
        let mut set = FamilySet::new();
        collect_component_metrics(&mut set, &metrics);
        set.push(&LOAD_FAILURES, &[], 0.0);
        expect_test::expect![[r#"
            # HELP alloy_config_load_failures_total Configuration load failures.
            # TYPE alloy_config_load_failures_total counter
            alloy_config_load_failures_total 0
            # HELP test_latency_seconds Latency.
            # TYPE test_latency_seconds histogram
            test_latency_seconds_bucket{component_id="a.component",component_path="/",le="0.5"} 1
            test_latency_seconds_bucket{component_id="a.component",component_path="/",le="+Inf"} 2
            test_latency_seconds_sum{component_id="a.component",component_path="/"} 0.25
            test_latency_seconds_count{component_id="a.component",component_path="/"} 2
            # HELP test_queue_length Items queued.
            # TYPE test_queue_length gauge
            test_queue_length{component_id="a.component",component_path="/",queue="q2"} 1e-05
            test_queue_length{component_id="b.component",component_path="/",queue="q\"1"} 3
        "#]]
        .assert_eq(&set.encode_to_string());
    }
}
