//! ingot's own metrics on `/metrics`, under Alloy's names so that Alloy's dashboards keep working:
//! the controller's (`internal/runtime/internal/controller/metrics.go`) and the config's
//! (`alloy_config_*`), declared here; the components' (their [`DebugMetric`]s, labelled with
//! `component_id` and `component_path` as Alloy labels them); and the agent's (the process, the build),
//! which the binary adds as [`AgentCollector`]s. All go into one [`FamilySet`], whose writer sorts the
//! families by name as client_golang's registry sorts one gather.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ingot_prom::exposition::{Desc, FamilySet, Histogram, MetricType};

use crate::component::DebugMetric;
use crate::health::HealthState;

/// Upper bounds of the evaluation and dependency-wait histograms, in seconds: Alloy's
/// `evaluationTimesBuckets`.
pub const EVALUATION_BUCKETS: &[f64] = &[
    0.005, 0.025, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

/// An evaluation at least this long is added to `alloy_component_evaluation_slow_seconds`.
pub const SLOW_EVALUATION: Duration = Duration::from_secs(60);

/// The labels Alloy's controller metrics carry; ingot has the root controller only, whose
/// `controller_id` is empty and `controller_path` is `/`.
const CONTROLLER: &[&str] = &["controller_id", "controller_path"];
const ROOT_CONTROLLER: [&str; 2] = ["", "/"];

static CONTROLLER_EVALUATING: Desc = Desc::new(
    "alloy_component_controller_evaluating",
    "Tracks if the controller is currently in the middle of a graph evaluation",
    MetricType::Gauge,
    CONTROLLER,
);
static RUNNING_COMPONENTS: Desc = Desc::new(
    "alloy_component_controller_running_components",
    "Total number of running components.",
    MetricType::Gauge,
    &["controller_id", "controller_path", "health_type"],
);
static DEPENDENCIES_WAIT: Desc = Desc::new(
    "alloy_component_dependencies_wait_seconds",
    "Time spent by components waiting to be evaluated after their dependency is updated.",
    MetricType::Histogram,
    CONTROLLER,
);
static EVALUATION_QUEUE_SIZE: Desc = Desc::new(
    "alloy_component_evaluation_queue_size",
    "Tracks the number of components waiting to be evaluated in the worker pool",
    MetricType::Gauge,
    CONTROLLER,
);
static EVALUATION_SECONDS: Desc = Desc::new(
    "alloy_component_evaluation_seconds",
    "Time spent performing component evaluation",
    MetricType::Histogram,
    CONTROLLER,
);
static EVALUATION_SLOW: Desc = Desc::new(
    "alloy_component_evaluation_slow_seconds",
    // Go's `fmt.Sprintf("...%v...", 1*time.Minute)`.
    "Number of seconds spent evaluating components that take longer than 1m0s to evaluate",
    MetricType::Counter,
    &["controller_id", "controller_path", "component_id"],
);
static GRAPH_CONNECTION: Desc = Desc::new(
    "alloy_component_graph_connection",
    "Indicates that two components are connected in the graph",
    MetricType::Gauge,
    &["controller_id", "controller_path", "from", "to"],
);
static CONFIG_HASH: Desc = Desc::new(
    "alloy_config_hash",
    "Hash of the currently active config file.",
    MetricType::Gauge,
    &["cluster_name", "sha256"],
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

/// Metrics of the agent as a whole rather than of the controller or a component: the process
/// (`process_*`, `alloy_resources_*`), the build (`alloy_build_info`), the self exporter's handler. The
/// binary adds them at start-up (see [`crate::controller::Controller::add_collector`]), and `/metrics`
/// and `prometheus.exporter.self` both gather them with everything else.
///
/// `collect` runs on every gather, on a blocking thread, and must not wait on a lock held across slow
/// work.
pub trait AgentCollector: Send + Sync + 'static {
    fn collect(&self, set: &mut FamilySet);
}

struct Registered {
    key: Option<&'static str>,
    collector: Arc<dyn AgentCollector>,
    /// The same collector, for [`AgentCollectors::get_or_add`] to hand back by its type.
    any: Arc<dyn Any + Send + Sync>,
}

/// What the binary is, as the labels of client_golang's version collector (`alloy_build_info`, and
/// `node_exporter_build_info`, which Alloy's `prometheus.exporter.unix` serves with the same values).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildInfo {
    pub branch: String,
    pub goarch: String,
    pub goos: String,
    pub goversion: String,
    pub revision: String,
    pub tags: String,
    pub version: String,
}

impl BuildInfo {
    /// The label names, in the order of [`BuildInfo::values`] (sorted, as client_golang's).
    pub const LABELS: [&'static str; 7] = [
        "branch",
        "goarch",
        "goos",
        "goversion",
        "revision",
        "tags",
        "version",
    ];

    pub fn values(&self) -> [&str; 7] {
        [
            &self.branch,
            &self.goarch,
            &self.goos,
            &self.goversion,
            &self.revision,
            &self.tags,
            &self.version,
        ]
    }
}

/// The agent's collectors, shared by the controller and the components' [`crate::component::MemoryHttp`].
/// The list is locked only to add a collector or copy the list, never while one collects.
#[derive(Default)]
pub struct AgentCollectors {
    list: RwLock<Vec<Registered>>,
    /// Set once by the binary; components that label metrics with the build read it.
    build: OnceLock<Arc<BuildInfo>>,
}

impl AgentCollectors {
    /// Records what the binary is (the first call wins).
    pub fn set_build_info(&self, info: BuildInfo) {
        let _ = self.build.set(Arc::new(info));
    }

    /// What the binary is, when it said so (not in tests that build components alone).
    pub fn build_info(&self) -> Option<Arc<BuildInfo>> {
        self.build.get().cloned()
    }

    pub fn add<C: AgentCollector>(&self, collector: Arc<C>) {
        self.write().push(Registered {
            key: None,
            collector: collector.clone(),
            any: collector,
        });
    }

    /// The collector registered under `key`, or `make()` registered under it now: what client_golang's
    /// `AlreadyRegisteredError` gives a second registration of the same metrics (a second
    /// `prometheus.exporter.self` counts its requests in the first one's counters). `None` when `key` holds a
    /// collector of another type.
    pub fn get_or_add<C: AgentCollector>(
        &self,
        key: &'static str,
        make: impl FnOnce() -> C,
    ) -> Option<Arc<C>> {
        let mut list = self.write();
        if let Some(r) = list.iter().find(|r| r.key == Some(key)) {
            return r.any.clone().downcast::<C>().ok();
        }
        let collector = Arc::new(make());
        list.push(Registered {
            key: Some(key),
            collector: collector.clone(),
            any: collector.clone(),
        });
        Some(collector)
    }

    /// Adds every collector's families to `set`.
    pub fn collect(&self, set: &mut FamilySet) {
        let collectors: Vec<Arc<dyn AgentCollector>> = self
            .list
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|r| r.collector.clone())
            .collect();
        for c in collectors {
            c.collect(set);
        }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Registered>> {
        self.list.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// What the last configuration load left in the `alloy_config_*` metrics.
struct ConfigState {
    last_ok: bool,
    last_success: Option<SystemTime>,
    failures: u64,
    sha256: [u8; 32],
}

/// The controller's metrics and the config's. The config's appear after the first load attempt, as
/// Alloy creates them on its first `InstrumentConfig`.
pub struct ControllerMetrics {
    cluster_name: String,
    evaluating: AtomicBool,
    queue_size: AtomicU64,
    evaluations: Mutex<Histogram>,
    dependencies_wait: Mutex<Histogram>,
    /// Seconds per component id, only for evaluations of at least [`SLOW_EVALUATION`].
    slow: Mutex<BTreeMap<String, f64>>,
    config: Mutex<Option<ConfigState>>,
}

impl Default for ControllerMetrics {
    fn default() -> ControllerMetrics {
        ControllerMetrics::new("")
    }
}

impl ControllerMetrics {
    /// `cluster_name` is `--cluster.name`, `alloy_config_hash`'s constant label.
    pub fn new(cluster_name: &str) -> ControllerMetrics {
        ControllerMetrics {
            cluster_name: cluster_name.to_string(),
            evaluating: AtomicBool::new(false),
            queue_size: AtomicU64::new(0),
            evaluations: Mutex::new(Histogram::new(EVALUATION_BUCKETS)),
            dependencies_wait: Mutex::new(Histogram::new(EVALUATION_BUCKETS)),
            slow: Mutex::new(BTreeMap::new()),
            config: Mutex::new(None),
        }
    }

    /// Records one attempt to load the configuration, as Alloy's `InstrumentConfig`: the hash is that of
    /// the files read (all zeros when they could not be read), whether or not the load succeeded.
    pub fn config_loaded(&self, success: bool, sha256: [u8; 32]) {
        let mut config = self.config.lock().unwrap_or_else(|e| e.into_inner());
        let state = config.get_or_insert(ConfigState {
            last_ok: false,
            last_success: None,
            failures: 0,
            sha256,
        });
        state.sha256 = sha256;
        state.last_ok = success;
        if success {
            state.last_success = Some(SystemTime::now());
        } else {
            state.failures += 1;
        }
    }

    pub fn load_failures(&self) -> u64 {
        self.config
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or(0, |c| c.failures)
    }

    pub fn last_success(&self) -> Option<SystemTime> {
        self.config
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .and_then(|c| c.last_success)
    }

    /// `alloy_component_controller_evaluating`: true while a load or a re-evaluation runs.
    pub fn set_evaluating(&self, evaluating: bool) {
        self.evaluating.store(evaluating, Ordering::Relaxed);
    }

    /// `alloy_component_evaluation_queue_size`: components whose exports changed and whose dependants
    /// wait to be evaluated.
    pub fn set_queue_size(&self, size: usize) {
        self.queue_size.store(size as u64, Ordering::Relaxed);
    }

    /// How long a dependant waited between its dependency's change and its own evaluation.
    pub fn observe_dependency_wait(&self, waited: Duration) {
        self.dependencies_wait
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .observe(waited.as_secs_f64());
    }

    /// One re-evaluation of component `id` after a dependency changed (Alloy observes no others).
    pub fn observe_evaluation(&self, id: &str, took: Duration) {
        self.evaluations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .observe(took.as_secs_f64());
        if took >= SLOW_EVALUATION {
            *self
                .slow
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(id.to_string())
                .or_default() += took.as_secs_f64();
        }
    }

    /// Adds the controller's and the config's families to `set`. `health_counts` are the components by
    /// health (a health with none is left out, as Alloy leaves it out); `edges` are the data-flow edges of
    /// the applied graph, `(from, to)`.
    pub fn collect(
        &self,
        set: &mut FamilySet,
        health_counts: &[(HealthState, usize)],
        edges: &[(String, String)],
    ) {
        for (state, count) in health_counts.iter().filter(|(_, n)| *n > 0) {
            set.push(
                &RUNNING_COMPONENTS,
                &[ROOT_CONTROLLER[0], ROOT_CONTROLLER[1], state.as_str()],
                *count as f64,
            );
        }
        set.push(
            &CONTROLLER_EVALUATING,
            &ROOT_CONTROLLER,
            if self.evaluating.load(Ordering::Relaxed) {
                1.0
            } else {
                0.0
            },
        );
        set.push(
            &EVALUATION_QUEUE_SIZE,
            &ROOT_CONTROLLER,
            self.queue_size.load(Ordering::Relaxed) as f64,
        );
        self.evaluations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_to(set.family(&EVALUATION_SECONDS), &ROOT_CONTROLLER);
        self.dependencies_wait
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_to(set.family(&DEPENDENCIES_WAIT), &ROOT_CONTROLLER);
        for (id, seconds) in self.slow.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            set.push(
                &EVALUATION_SLOW,
                &[ROOT_CONTROLLER[0], ROOT_CONTROLLER[1], id],
                *seconds,
            );
        }
        for (from, to) in edges {
            set.push(
                &GRAPH_CONNECTION,
                &[ROOT_CONTROLLER[0], ROOT_CONTROLLER[1], from, to],
                1.0,
            );
        }
        let config = self.config.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = config.as_ref() {
            set.push(&CONFIG_HASH, &[&self.cluster_name, &hex(&c.sha256)], 1.0);
            let last_success = c
                .last_success
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0.0, |d| d.as_secs_f64());
            set.push(&LAST_LOAD_SUCCESS_TIMESTAMP, &[], last_success);
            set.push(
                &LAST_LOAD_SUCCESSFUL,
                &[],
                if c.last_ok { 1.0 } else { 0.0 },
            );
            set.push(&LOAD_FAILURES, &[], c.failures as f64);
        }
    }
}

/// Lower-case hex, as Go's `fmt.Sprintf("%x", hash)`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The labels Alloy adds to every component metric; ingot's components all sit in the root module.
const COMPONENT_ID: &str = "component_id";
const COMPONENT_PATH: &str = "component_path";
const ROOT_PATH: &str = "/";

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
        let m = ControllerMetrics::new("");
        let mut set = FamilySet::new();
        // Before the first load attempt there are no config metrics, as in Alloy.
        m.collect(&mut set, &[(HealthState::Healthy, 0)], &[]);
        let names: Vec<&str> = set.iter().map(|f| f.name()).collect();
        assert!(!names.contains(&"alloy_config_hash"), "{names:?}");
        assert!(
            !names.contains(&"alloy_component_controller_running_components"),
            "{names:?}"
        );

        m.config_loaded(true, [0xab; 32]);
        m.config_loaded(false, [0x01; 32]);
        m.observe_evaluation("a.b", Duration::from_millis(3));
        m.observe_evaluation("a.slow", Duration::from_secs(61));
        m.observe_dependency_wait(Duration::from_millis(20));
        m.set_evaluating(true);
        m.set_queue_size(2);
        let mut set = FamilySet::new();
        m.collect(
            &mut set,
            &[
                (HealthState::Healthy, 2),
                (HealthState::Unknown, 0),
                (HealthState::Unhealthy, 1),
            ],
            &[("a.b".into(), "c.d".into())],
        );
        let text = set.encode_to_string();
        let timestamp = text
            .lines()
            .find_map(|l| l.strip_prefix("alloy_config_last_load_success_timestamp_seconds "))
            .unwrap()
            .to_string();
        let text = text.replace(&timestamp, "<now>");
        expect_test::expect![[r##"
            # HELP alloy_component_controller_evaluating Tracks if the controller is currently in the middle of a graph evaluation
            # TYPE alloy_component_controller_evaluating gauge
            alloy_component_controller_evaluating{controller_id="",controller_path="/"} 1
            # HELP alloy_component_controller_running_components Total number of running components.
            # TYPE alloy_component_controller_running_components gauge
            alloy_component_controller_running_components{controller_id="",controller_path="/",health_type="healthy"} 2
            alloy_component_controller_running_components{controller_id="",controller_path="/",health_type="unhealthy"} 1
            # HELP alloy_component_dependencies_wait_seconds Time spent by components waiting to be evaluated after their dependency is updated.
            # TYPE alloy_component_dependencies_wait_seconds histogram
            alloy_component_dependencies_wait_seconds_bucket{controller_id="",controller_path="/",le="0.005"} 0
            alloy_component_dependencies_wait_seconds_bucket{controller_id="",controller_path="/",le="0.025"} 1
            alloy_component_dependencies_wait_seconds_bucket{controller_id="",controller_path="/",le="0.1"} 1
            alloy_component_dependencies_wait_seconds_bucket{controller_id="",controller_path="/",le="0.5"} 1
            alloy_component_dependencies_wait_seconds_bucket{controller_id="",controller_path="/",le="1"} 1
            alloy_component_dependencies_wait_seconds_bucket{controller_id="",controller_path="/",le="5"} 1
            alloy_component_dependencies_wait_seconds_bucket{controller_id="",controller_path="/",le="10"} 1
            alloy_component_dependencies_wait_seconds_bucket{controller_id="",controller_path="/",le="30"} 1
            alloy_component_dependencies_wait_seconds_bucket{controller_id="",controller_path="/",le="60"} 1
            alloy_component_dependencies_wait_seconds_bucket{controller_id="",controller_path="/",le="120"} 1
            alloy_component_dependencies_wait_seconds_bucket{controller_id="",controller_path="/",le="300"} 1
            alloy_component_dependencies_wait_seconds_bucket{controller_id="",controller_path="/",le="600"} 1
            alloy_component_dependencies_wait_seconds_bucket{controller_id="",controller_path="/",le="+Inf"} 1
            alloy_component_dependencies_wait_seconds_sum{controller_id="",controller_path="/"} 0.02
            alloy_component_dependencies_wait_seconds_count{controller_id="",controller_path="/"} 1
            # HELP alloy_component_evaluation_queue_size Tracks the number of components waiting to be evaluated in the worker pool
            # TYPE alloy_component_evaluation_queue_size gauge
            alloy_component_evaluation_queue_size{controller_id="",controller_path="/"} 2
            # HELP alloy_component_evaluation_seconds Time spent performing component evaluation
            # TYPE alloy_component_evaluation_seconds histogram
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.005"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.025"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.1"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="0.5"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="1"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="5"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="10"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="30"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="60"} 1
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="120"} 2
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="300"} 2
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="600"} 2
            alloy_component_evaluation_seconds_bucket{controller_id="",controller_path="/",le="+Inf"} 2
            alloy_component_evaluation_seconds_sum{controller_id="",controller_path="/"} 61.003
            alloy_component_evaluation_seconds_count{controller_id="",controller_path="/"} 2
            # HELP alloy_component_evaluation_slow_seconds Number of seconds spent evaluating components that take longer than 1m0s to evaluate
            # TYPE alloy_component_evaluation_slow_seconds counter
            alloy_component_evaluation_slow_seconds{component_id="a.slow",controller_id="",controller_path="/"} 61
            # HELP alloy_component_graph_connection Indicates that two components are connected in the graph
            # TYPE alloy_component_graph_connection gauge
            alloy_component_graph_connection{controller_id="",controller_path="/",from="a.b",to="c.d"} 1
            # HELP alloy_config_hash Hash of the currently active config file.
            # TYPE alloy_config_hash gauge
            alloy_config_hash{cluster_name="",sha256="0101010101010101010101010101010101010101010101010101010101010101"} 1
            # HELP alloy_config_last_load_success_timestamp_seconds Timestamp of the last successful configuration load.
            # TYPE alloy_config_last_load_success_timestamp_seconds gauge
            alloy_config_last_load_success_timestamp_seconds <now>
            # HELP alloy_config_last_load_successful Config loaded successfully.
            # TYPE alloy_config_last_load_successful gauge
            alloy_config_last_load_successful 0
            # HELP alloy_config_load_failures_total Configuration load failures.
            # TYPE alloy_config_load_failures_total counter
            alloy_config_load_failures_total 1
        "##]]
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
