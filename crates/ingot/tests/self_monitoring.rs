//! Self-monitoring as Alloy's dashboards and alerts read it. The real binary runs
//! `prometheus.exporter.self` → `prometheus.scrape` → `prometheus.relabel` → `prometheus.remote_write`,
//! whose sink is Debian's Prometheus (`--web.enable-remote-write-receiver`) on loopback; the same
//! Prometheus scrapes ingot's `/metrics` as job `alloy`, as a team running Alloy's mixin would. Then:
//!
//! - every metric the mixin (`operations/alloy-mixin` of grafana/alloy v1.18.1: its dashboards and
//!   alerts) queries for the controller, resources, remote-write and scrape subsystems is served on
//!   `/metrics` with the type the queries need (histograms as `_bucket`/`_sum`/`_count`), or written by
//!   the scrape into the pipeline for the two the mixin reads from there (`up`, `scrape_duration_seconds`);
//! - the mixin's expressions, with its template variables filled in, return data through Prometheus' query
//!   API;
//! - the self exporter's target has Alloy's labels and its series reach the sink with
//!   `job="integrations/self"`.
//!
//! Every wait is bounded.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ingot_testkit::{free_port, http_get, poll_until, require_binary, url_encode, Peer};
use serde_json::Value;
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

/// The host name the agent is given (`$HOSTNAME`), which the self exporter's target uses as `instance`.
const HOST: &str = "selfmon-test-host";
const CLUSTER: &str = "selfmon-cluster";

/// How the mixin uses a metric, and so what `/metrics` must serve for it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Use {
    /// A counter or gauge, queried by its name.
    Plain,
    /// A histogram, queried as `<name>_bucket`, `_sum` or `_count` (and as the native histogram
    /// `<name>`, which a text scrape never has; the mixin falls back to the classic one with `or`).
    Histogram,
    /// Not a metric of the agent: a series the scrape writes into the pipeline for each target, read where
    /// the pipeline delivers (here, Prometheus through remote write).
    Pipeline,
    /// A counter that has no series until its event happens, in Alloy as here.
    AfterEvent(&'static str),
    /// Not served, on purpose.
    NotServed(&'static str),
}

/// Every metric Alloy's mixin (v1.18.1) queries for the controller, resources, remote-write and scrape
/// subsystems, with the file it comes from (the research notes' §4, checked against the mixin's source).
const MIXIN: &[(&str, &str, Use)] = &[
    // dashboards/controller.libsonnet (and templates.libsonnet, alerts/controller.libsonnet)
    ("alloy_component_controller_running_components", "dashboards/controller.libsonnet, dashboards/utils/templates.libsonnet, alerts/controller.libsonnet", Use::Plain),
    ("alloy_component_evaluation_seconds", "dashboards/controller.libsonnet", Use::Histogram),
    ("alloy_component_dependencies_wait_seconds", "dashboards/controller.libsonnet", Use::Histogram),
    ("alloy_component_evaluation_slow_seconds", "dashboards/controller.libsonnet, alerts/controller.libsonnet", Use::AfterEvent("an evaluation of a minute or more")),
    // alerts/clustering.libsonnet (ClusterConfigurationDrift)
    ("alloy_config_hash", "alerts/clustering.libsonnet", Use::Plain),
    // dashboards/resources.libsonnet
    ("alloy_resources_process_cpu_seconds_total", "dashboards/resources.libsonnet", Use::Plain),
    ("alloy_resources_process_resident_memory_bytes", "dashboards/resources.libsonnet", Use::Plain),
    ("alloy_resources_machine_rx_bytes_total", "dashboards/resources.libsonnet", Use::Plain),
    ("alloy_resources_machine_tx_bytes_total", "dashboards/resources.libsonnet", Use::Plain),
    ("alloy_build_info", "dashboards/resources.libsonnet", Use::Plain),
    ("go_gc_duration_seconds", "dashboards/resources.libsonnet", Use::NotServed("Go runtime metrics: ingot is not a Go program")),
    ("go_goroutines", "dashboards/resources.libsonnet", Use::NotServed("Go runtime metrics: ingot is not a Go program")),
    ("go_memstats_heap_inuse_bytes", "dashboards/resources.libsonnet", Use::NotServed("Go runtime metrics: ingot is not a Go program")),
    // dashboards/prometheus.libsonnet, row prometheus.scrape
    ("up", "dashboards/prometheus.libsonnet", Use::Pipeline),
    ("scrape_duration_seconds", "dashboards/prometheus.libsonnet", Use::Pipeline),
    // dashboards/prometheus.libsonnet, row prometheus.remote_write and its variables
    ("prometheus_remote_write_wal_samples_appended_total", "dashboards/prometheus.libsonnet", Use::Plain),
    ("prometheus_remote_storage_sent_batch_duration_seconds", "dashboards/prometheus.libsonnet", Use::Histogram),
    ("prometheus_remote_storage_samples_total", "dashboards/prometheus.libsonnet", Use::Plain),
    ("prometheus_remote_storage_samples_failed_total", "dashboards/prometheus.libsonnet", Use::Plain),
    ("prometheus_remote_storage_samples_retried_total", "dashboards/prometheus.libsonnet", Use::Plain),
    ("prometheus_remote_storage_highest_timestamp_in_seconds", "dashboards/prometheus.libsonnet", Use::Plain),
    ("prometheus_remote_storage_queue_highest_sent_timestamp_seconds", "dashboards/prometheus.libsonnet", Use::Plain),
    ("prometheus_remote_storage_bytes_total", "dashboards/prometheus.libsonnet", Use::Plain),
    ("prometheus_remote_storage_metadata_bytes_total", "dashboards/prometheus.libsonnet", Use::Plain),
    ("prometheus_remote_storage_shards", "dashboards/prometheus.libsonnet", Use::Plain),
    ("prometheus_remote_storage_shards_min", "dashboards/prometheus.libsonnet", Use::Plain),
    ("prometheus_remote_storage_shards_max", "dashboards/prometheus.libsonnet", Use::Plain),
    ("prometheus_remote_write_wal_storage_active_series", "dashboards/prometheus.libsonnet", Use::Plain),
];

/// The mixin's selectors with its template variables set to "All" and the job to `alloy`, the job
/// Prometheus scrapes ingot's `/metrics` under here.
const GROUP: &str = r#"cluster=~".*", namespace=~".*", job=~"alloy""#;
const INSTANCE: &str = r#"cluster=~".*", namespace=~".*", job=~"alloy", instance=~".*""#;
const RW: &str = r#"component_path=~".*", component_id=~".*""#;
const RW_URL: &str = r#"component_path=~".*", component_id=~".*", url=~".*""#;
const GROUPBY_RW: &str =
    "instance,component_path,component_id,url,remote_name,job,namespace,cluster,pod";
const GROUPBY_RES: &str = "instance,job,namespace,cluster,pod";

/// The mixin's expressions (dashboards/controller, resources and prometheus.libsonnet), with
/// `$__rate_interval` = 1m, that must return data.
fn mixin_queries() -> Vec<(&'static str, String)> {
    let g = GROUP;
    let i = INSTANCE;
    vec![
        ("controller: running instances", format!("count(group(alloy_component_controller_running_components{{{g}}}) by (instance))")),
        ("controller: running components", format!("sum(alloy_component_controller_running_components{{{g}}})")),
        ("controller: overall health", format!("sum(alloy_component_controller_running_components{{{g},health_type=\"healthy\"}}) / sum(alloy_component_controller_running_components{{{g}}})")),
        ("controller: evaluation rate", format!("sum by (instance,component_path,component_id,controller_path,health_type,job,namespace,cluster,pod) (rate(alloy_component_evaluation_seconds_count{{{g}}}[1m]))")),
        ("controller: evaluation p99", format!("histogram_quantile(0.99, sum(rate(alloy_component_evaluation_seconds{{{g}}}[1m]))) or histogram_quantile(0.99, sum by (le) (rate(alloy_component_evaluation_seconds_bucket{{{g}}}[1m])))")),
        ("controller: evaluation average", format!("(histogram_sum(sum(rate(alloy_component_evaluation_seconds{{{g}}}[1m]))) / histogram_count(sum(rate(alloy_component_evaluation_seconds{{{g}}}[1m])))) or (sum(rate(alloy_component_evaluation_seconds_sum{{{g}}}[1m])) / sum(rate(alloy_component_evaluation_seconds_count{{{g}}}[1m])))")),
        ("controller: evaluation heatmap", format!("sum(increase(alloy_component_evaluation_seconds{{{g}}}[1m])) or ignoring (le) sum by (le) (increase(alloy_component_evaluation_seconds_bucket{{{g}}}[1m]))")),
        ("controller: dependency wait heatmap", format!("sum(increase(alloy_component_dependencies_wait_seconds{{{g}}}[1m])) or ignoring (le) sum by (le) (increase(alloy_component_dependencies_wait_seconds_bucket{{{g}}}[1m]))")),
        ("resources: CPU", format!("sum by({GROUPBY_RES}) (rate(alloy_resources_process_cpu_seconds_total{{{i}}}[1m]))")),
        ("resources: RSS", format!("sum by({GROUPBY_RES}) (alloy_resources_process_resident_memory_bytes{{{i}}})")),
        ("resources: receive bandwidth", format!("sum by({GROUPBY_RES}) (rate(alloy_resources_machine_rx_bytes_total{{{i}}}[1m]))")),
        ("resources: send bandwidth", format!("sum by({GROUPBY_RES}) (rate(alloy_resources_machine_tx_bytes_total{{{i}}}[1m]))")),
        ("remote write: success rate", format!("1 - (sum(rate(prometheus_remote_storage_samples_failed_total{{{i}, {RW_URL}}}[1m]))) / (sum(rate(prometheus_remote_storage_samples_total{{{i}, {RW_URL}}}[1m])))")),
        ("remote write: latency p99", format!("histogram_quantile(0.99, sum by (le) (rate(prometheus_remote_storage_sent_batch_duration_seconds_bucket{{{i}, {RW_URL}}}[1m])))")),
        ("remote write: latency average", format!("sum(rate(prometheus_remote_storage_sent_batch_duration_seconds_sum{{{i}, {RW}}}[1m])) / sum(rate(prometheus_remote_storage_sent_batch_duration_seconds_count{{{i}, {RW}}}[1m]))")),
        // The panel keeps `< 31536000 > 0` of this: a delay below a second is 0 and filtered out there.
        ("remote write: WAL delay (the join)", format!("sum by ({GROUPBY_RW}) (prometheus_remote_storage_highest_timestamp_in_seconds{{{i}, {RW}}} - ignoring(url, remote_name) group_right(instance) prometheus_remote_storage_queue_highest_sent_timestamp_seconds{{{i}, {RW_URL}}})")),
        ("remote write: data throughput", format!("sum by ({GROUPBY_RW}) (rate(prometheus_remote_storage_bytes_total{{{i}, {RW_URL}}}[1m]) + rate(prometheus_remote_storage_metadata_bytes_total{{{i}, {RW_URL}}}[1m]))")),
        ("remote write: shards", format!("sum by ({GROUPBY_RW}) (prometheus_remote_storage_shards{{{i}, {RW_URL}}})")),
        ("remote write: shards min", format!("min (prometheus_remote_storage_shards_min{{{i}, {RW_URL}}})")),
        ("remote write: shards max", format!("max (prometheus_remote_storage_shards_max{{{i}, {RW_URL}}})")),
        ("remote write: sent samples", format!("sum by ({GROUPBY_RW}) (rate(prometheus_remote_storage_samples_total{{{i}, {RW_URL}}}[1m]))")),
        ("remote write: failed samples", format!("sum by ({GROUPBY_RW}) (rate(prometheus_remote_storage_samples_failed_total{{{i}, {RW_URL}}}[1m]))")),
        ("remote write: retried samples", format!("sum by ({GROUPBY_RW}) (rate(prometheus_remote_storage_samples_retried_total{{{i}, {RW_URL}}}[1m]))")),
        ("remote write: active series", format!("sum(prometheus_remote_write_wal_storage_active_series{{{i}, {RW_URL}}})")),
        ("remote write: active series by component", format!("sum by (component_path, component_id) (prometheus_remote_write_wal_storage_active_series{{{i}, component_id!=\"\", {RW_URL}}})")),
        // The scrape row reads the series the scrape writes; the self exporter's go through the pipeline.
        ("scrape: success rate", r#"sum(up{job=~"integrations/self", cluster=~".*"}) / count (up{job=~"integrations/self", cluster=~".*"})"#.to_string()),
        ("scrape: duration p99", r#"quantile(0.99, scrape_duration_seconds{job=~"integrations/self", cluster=~".*"})"#.to_string()),
        // The alert the mixin fires on unhealthy components evaluates (to nothing while all are healthy,
        // so its left side is asked for).
        ("alert UnhealthyComponents (its input)", format!("sum by (job) (alloy_component_controller_running_components{{{g}}})")),
    ]
}

fn addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

fn wait_for<T>(
    what: &str,
    timeout: Duration,
    logs: &[&Peer],
    f: impl FnMut() -> Result<T, String>,
) -> T {
    poll_until(what, timeout, Duration::from_millis(500), logs, f).0
}

fn start_prometheus(dir: &Path, ingot: SocketAddr) -> (Peer, SocketAddr) {
    let bin = require_binary("prometheus", "prometheus");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
         scrape_configs:\n  - job_name: alloy\n    static_configs:\n      - targets: ['{ingot}']\n"
    );
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let addr = addr();
    let mut cmd = Command::new(bin);
    cmd.arg(format!(
        "--config.file={}",
        dir.join("prometheus.yml").display()
    ))
    .arg(format!(
        "--storage.tsdb.path={}",
        dir.join("prom-data").display()
    ))
    .arg(format!("--web.listen-address={addr}"))
    .arg("--web.enable-remote-write-receiver");
    let mut peer = Peer::spawn("prometheus", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_ready(addr, "/-/ready", Duration::from_secs(30));
    (peer, addr)
}

/// Prometheus' `/api/v1/query` result, or the error it gave.
fn prom_query(prom: SocketAddr, q: &str) -> Result<Vec<Value>, String> {
    let (status, body) = http_get(prom, &format!("/api/v1/query?query={}", url_encode(q)))
        .map_err(|e| format!("query: {e}"))?;
    let v: Value =
        serde_json::from_str(&body).map_err(|e| format!("HTTP {status}: {e}: {body}"))?;
    if v["status"] != "success" {
        return Err(format!("HTTP {status}: {body}"));
    }
    v["data"]["result"]
        .as_array()
        .cloned()
        .ok_or_else(|| format!("no result: {body}"))
}

/// What one exposition holds: each family's type, and the name of every sample.
struct Exposition {
    types: BTreeMap<String, String>,
    samples: BTreeSet<String>,
    text: String,
}

fn parse_exposition(text: &str) -> Exposition {
    let mut types = BTreeMap::new();
    let mut samples = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            if let (Some(name), Some(kind)) = (parts.next(), parts.next()) {
                types.insert(name.to_string(), kind.to_string());
            }
        } else if !line.starts_with('#') && !line.is_empty() {
            let end = line.find(['{', ' ']).unwrap_or(line.len());
            samples.insert(line[..end].to_string());
        }
    }
    Exposition {
        types,
        samples,
        text: text.to_string(),
    }
}

/// The value of the first sample whose line starts with `prefix`.
fn value_of(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// What is wrong with how `name` is served for the mixin's use, if anything.
fn check_served(e: &Exposition, name: &str, how: Use) -> Option<String> {
    let kind = e.types.get(name).map(String::as_str);
    match how {
        Use::Plain => match kind {
            Some("counter" | "gauge") if e.samples.contains(name) => None,
            _ => Some(format!(
                "{name}: type {kind:?}, sample served: {}",
                e.samples.contains(name)
            )),
        },
        Use::Histogram => {
            let parts = ["_bucket", "_sum", "_count"].map(|s| format!("{name}{s}"));
            let missing: Vec<&String> = parts.iter().filter(|p| !e.samples.contains(*p)).collect();
            if kind == Some("histogram") && missing.is_empty() {
                None
            } else {
                Some(format!("{name}: type {kind:?}, missing {missing:?}"))
            }
        }
        Use::AfterEvent(_) | Use::NotServed(_) => {
            let prefix = format!("{name}{{");
            let line = format!("{name} ");
            (kind.is_some() || e.text.contains(&prefix) || e.text.contains(&line))
                .then(|| format!("{name} is served, but nothing should have made it"))
        }
        Use::Pipeline => None,
    }
}

#[test]
fn alloys_mixin_finds_every_metric_it_queries() {
    let dir = tempfile::tempdir().unwrap();
    let ingot_addr = addr();
    let (prom, prom_addr) = start_prometheus(dir.path(), ingot_addr);
    let config = format!(
        r#"// Self-monitoring as in Alloy's docs: the agent scrapes itself and remote-writes its own metrics.
prometheus.exporter.self "agent" {{ }}

prometheus.scrape "agent" {{
  targets         = prometheus.exporter.self.agent.targets
  forward_to      = [prometheus.relabel.agent.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "1s"
}}

prometheus.relabel "agent" {{
  forward_to = [prometheus.remote_write.sink.receiver]
  rule {{
    source_labels = ["__name__"]
    regex         = "go_.*"
    action        = "drop"
  }}
}}

prometheus.remote_write "sink" {{
  endpoint {{
    url = "http://{prom_addr}/api/v1/write"
    queue_config {{
      batch_send_deadline = "200ms"
    }}
    metadata_config {{
      send_interval = "1s"
    }}
  }}
}}
"#
    );
    let config_path = dir.path().join("config.alloy");
    std::fs::write(&config_path, &config).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(&config_path)
        .arg(format!("--server.http.listen-addr={ingot_addr}"))
        .arg(format!("--cluster.name={CLUSTER}"))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("ingot-data").display()
        ))
        .env("HOSTNAME", HOST);
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(ingot_addr, Duration::from_secs(15));
    let peers = [&ingot, &prom];

    // /metrics serves every name the mixin queries, once data has flowed through the pipeline.
    let exposition = wait_for(
        "/metrics with every metric the mixin queries",
        Duration::from_secs(60),
        &peers,
        || {
            let (status, body) = http_get(ingot_addr, "/metrics").map_err(|e| e.to_string())?;
            if status != 200 {
                return Err(format!("HTTP {status}: {body}"));
            }
            let e = parse_exposition(&body);
            let mut problems: Vec<String> = MIXIN
                .iter()
                .filter_map(|(name, file, how)| {
                    check_served(&e, name, *how).map(|p| format!("{p} (queried in {file})"))
                })
                .collect();
            if value_of(&body, "prometheus_remote_storage_samples_total{").unwrap_or(0.0) <= 0.0 {
                problems.push("no sample delivered to the sink yet".into());
            }
            if problems.is_empty() {
                Ok(e)
            } else {
                Err(problems.join("\n"))
            }
        },
    );

    // The labels the mixin and its alerts group by.
    let text = &exposition.text;
    let sha: String = Sha256::digest(config.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    for want in [
        format!("alloy_config_hash{{cluster_name=\"{CLUSTER}\",sha256=\"{sha}\"}} 1"),
        "alloy_component_controller_running_components{controller_id=\"\",controller_path=\"/\",health_type=\"healthy\"} 4".to_string(),
        "alloy_component_evaluation_seconds_bucket{controller_id=\"\",controller_path=\"/\",le=\"600\"}".to_string(),
        "alloy_component_graph_connection{controller_id=\"\",controller_path=\"/\",from=\"prometheus.exporter.self.agent\",to=\"prometheus.scrape.agent\"} 1".to_string(),
        "alloy_component_graph_connection{controller_id=\"\",controller_path=\"/\",from=\"prometheus.scrape.agent\",to=\"prometheus.relabel.agent\"} 1".to_string(),
        "alloy_component_graph_connection{controller_id=\"\",controller_path=\"/\",from=\"prometheus.relabel.agent\",to=\"prometheus.remote_write.sink\"} 1".to_string(),
        "prometheus_remote_storage_highest_timestamp_in_seconds{component_id=\"prometheus.remote_write.sink\",component_path=\"/\"}".to_string(),
        "prometheus_remote_storage_sent_batch_duration_seconds_bucket{component_id=\"prometheus.remote_write.sink\",component_path=\"/\",remote_name=\"".to_string(),
        format!("url=\"http://{prom_addr}/api/v1/write\",le=\"300\"}}"),
        "prometheus_remote_write_wal_storage_active_series{component_id=\"prometheus.remote_write.sink\",component_path=\"/\"}".to_string(),
        "alloy_prometheus_relabel_metrics_processed{component_id=\"prometheus.relabel.agent\",component_path=\"/\"}".to_string(),
        "alloy_prometheus_relabel_cache_size{component_id=\"prometheus.relabel.agent\",component_path=\"/\"}".to_string(),
        "prometheus_scrape_targets_gauge{component_id=\"prometheus.scrape.agent\",component_path=\"/\"} 1".to_string(),
        "promhttp_metric_handler_requests_total{code=\"200\"}".to_string(),
        "process_resident_memory_bytes ".to_string(),
        "process_open_fds ".to_string(),
        "process_start_time_seconds ".to_string(),
    ] {
        assert!(text.contains(&want), "/metrics lacks {want:?}:\n{text}");
    }
    assert!(
        text.contains(&format!(
            "alloy_build_info{{branch=\"{}\",goarch=\"",
            ingot::build_info::BRANCH
        )) && text.contains(&format!(
            "goversion=\"rustc{}\",revision=\"{}\",tags=\"unknown\",version=\"{}\"}} 1",
            ingot::build_info::RUSTC_VERSION,
            ingot::build_info::REVISION,
            ingot::build_info::VERSION
        )),
        "{text}"
    );

    // The mixin's expressions return data through Prometheus, which scrapes /metrics every second.
    for (panel, query) in mixin_queries() {
        wait_for(
            &format!("{panel}: {query}"),
            Duration::from_secs(60),
            &peers,
            || match prom_query(prom_addr, &query)?.as_slice() {
                [] => Err("empty result".into()),
                _ => Ok(()),
            },
        );
    }
}

#[test]
fn the_self_exporter_target_and_its_series_are_alloys() {
    let dir = tempfile::tempdir().unwrap();
    let ingot_addr = addr();
    let (prom, prom_addr) = start_prometheus(dir.path(), ingot_addr);
    let config = format!(
        r#"prometheus.exporter.self "s" {{ }}

prometheus.scrape "s" {{
  targets         = prometheus.exporter.self.s.targets
  forward_to      = [prometheus.remote_write.sink.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "1s"
}}

prometheus.remote_write "sink" {{
  endpoint {{
    url = "http://{prom_addr}/api/v1/write"
    queue_config {{
      batch_send_deadline = "200ms"
    }}
  }}
}}
"#
    );
    std::fs::write(dir.path().join("config.alloy"), config).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(dir.path().join("config.alloy"))
        .arg(format!("--server.http.listen-addr={ingot_addr}"))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("ingot-data").display()
        ))
        .env("HOSTNAME", HOST);
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(ingot_addr, Duration::from_secs(15));
    let peers = [&ingot, &prom];

    // The export is exactly Alloy's target.
    let (status, body) = http_get(
        ingot_addr,
        "/api/v0/web/components/prometheus.exporter.self.s",
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let component: Value = serde_json::from_str(&body).unwrap();
    let exports = component["exports"].to_string();
    for (key, value) in [
        ("__address__", "alloy.internal:12345"),
        ("__scheme__", "http"),
        (
            "__metrics_path__",
            "/api/v0/component/prometheus.exporter.self.s/metrics",
        ),
        ("job", "integrations/self"),
        ("instance", HOST),
        ("__meta_component_name", "prometheus.exporter.self"),
        ("__meta_component_id", "prometheus.exporter.self.s"),
    ] {
        let pair = format!(
            "{{\"key\":\"{key}\",\"value\":{{\"type\":\"string\",\"value\":\"{value}\"}}}}"
        );
        assert!(exports.contains(&pair), "{pair} not in {exports}");
    }
    assert_eq!(
        component["dataFlowEdgesTo"],
        serde_json::json!(["prometheus.scrape.s"]),
        "{body}"
    );

    // Its series reach the sink with the target's labels.
    for metric in ["alloy_build_info", "process_resident_memory_bytes", "up"] {
        let q = format!("{metric}{{job=\"integrations/self\"}}");
        let series = wait_for(&q, Duration::from_secs(60), &peers, || {
            match prom_query(prom_addr, &q)?.as_slice() {
                [one] => Ok(one.clone()),
                other => Err(format!("{other:?}")),
            }
        });
        let labels = &series["metric"];
        assert_eq!(labels["instance"], HOST, "{series}");
        assert!(
            labels
                .as_object()
                .unwrap()
                .keys()
                .all(|k| !k.starts_with("__meta_")),
            "{series}"
        );
        if metric == "up" {
            assert_eq!(series["value"][1], "1", "{series}");
        }
    }

    // The exporter's endpoint, scraped directly, is the agent's /metrics plus promhttp's counters.
    let (status, body) = http_get(
        ingot_addr,
        "/api/v0/component/prometheus.exporter.self.s/metrics",
    )
    .unwrap();
    assert_eq!(status, 200);
    for want in [
        "# TYPE promhttp_metric_handler_requests_total counter",
        "promhttp_metric_handler_requests_total{code=\"503\"} 0",
        "promhttp_metric_handler_requests_in_flight 1",
        "# TYPE alloy_build_info gauge",
        "# TYPE process_cpu_seconds_total counter",
        "alloy_component_controller_running_components{controller_id=\"\",controller_path=\"/\",health_type=\"healthy\"} 3",
    ] {
        assert!(body.contains(want), "{want:?} not in\n{body}");
    }
}
