//! The oracle: Debian's Prometheus 2.42 and ingot's `prometheus.scrape` scrape the same loopback
//! target with the same job and target labels. The label sets Prometheus stored (its series API)
//! must equal the label sets ingot forwards, report series included, and the values must agree.

mod scrape_support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use ingot_prom::sample::is_stale_nan;
use ingot_testkit::{free_port, http_get, require_binary, Peer};
use scrape_support::*;

const WAIT: Duration = Duration::from_secs(40);
const JOB: &str = "oracle";

/// Several families with HELP/TYPE: a counter, a gauge whose series carry `job`/`instance` and a
/// custom target label's name (`exported_` renaming, including an `exported_job` already taken), a
/// histogram (`le` normalised), a summary (`quantile` normalised), an untyped family, escapes and
/// an empty label value (dropped).
const BODY: &str = r#"# HELP oracle_requests_total Requests handled.
# TYPE oracle_requests_total counter
oracle_requests_total{code="200",method="GET"} 1027
oracle_requests_total{code="500",method="POST"} 3
# HELP oracle_temperature_celsius Temperatures, labelled like a federated exporter.
# TYPE oracle_temperature_celsius gauge
oracle_temperature_celsius{instance="somewhere:1",job="exporter",sensor="a"} 21.5
oracle_temperature_celsius{exported_job="taken",job="exporter2",sensor="b"} -3.25
oracle_temperature_celsius{sensor="c",team="red",zone=""} 1e3
oracle_temperature_celsius{job="",sensor="d"} 0.000125
# HELP oracle_latency_seconds Request latency.
# TYPE oracle_latency_seconds histogram
oracle_latency_seconds_bucket{handler="/api",le="0.1"} 5
oracle_latency_seconds_bucket{handler="/api",le="1"} 9
oracle_latency_seconds_bucket{handler="/api",le="+Inf"} 10
oracle_latency_seconds_sum{handler="/api"} 3.7
oracle_latency_seconds_count{handler="/api"} 10
# HELP oracle_rpc_seconds RPC durations.
# TYPE oracle_rpc_seconds summary
oracle_rpc_seconds{quantile="0.5"} 0.012
oracle_rpc_seconds{quantile="1"} 0.9
oracle_rpc_seconds_sum 12.5
oracle_rpc_seconds_count 300
# A plain comment line.
oracle_untyped 42
oracle_escaped{path="a\"b\\c\nd"} 7
oracle_big 1.2345678901234567e+21
"#;

/// The series that are not scraped but written by the scrape loop.
const REPORT: [&str; 5] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
];

type LabelSet = BTreeMap<String, String>;

/// A GET against Prometheus' HTTP API, returning `data` from a successful answer.
fn prom_api(addr: SocketAddr, path_and_query: &str) -> serde_json::Value {
    let (status, body) = http_get(addr, path_and_query)
        .unwrap_or_else(|e| panic!("GET {path_and_query} from Prometheus: {e}"));
    assert_eq!(status, 200, "GET {path_and_query}: {body}");
    let v: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path_and_query}: {e}: {body}"));
    assert_eq!(v["status"], "success", "GET {path_and_query}: {body}");
    v["data"].clone()
}

/// Percent-encodes a query parameter value.
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn label_set(v: &serde_json::Value) -> LabelSet {
    v.as_object()
        .expect("a label object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("a string value").to_string()))
        .collect()
}

/// Prometheus' JSON spelling of a float (`strconv.FormatFloat(v, 'f', -1, 64)`, or `+Inf`/`NaN`).
fn prom_float(s: &str) -> f64 {
    match s {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        _ => s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}")),
    }
}

/// Instant-query result: label set to value.
fn prom_query(addr: SocketAddr, query: &str) -> BTreeMap<LabelSet, f64> {
    let data = prom_api(addr, &format!("/api/v1/query?query={}", enc(query)));
    data["result"]
        .as_array()
        .expect("a vector result")
        .iter()
        .map(|r| {
            let v = r["value"][1].as_str().expect("a value string");
            (label_set(&r["metric"]), prom_float(v))
        })
        .collect()
}

fn ingot_label_set(l: &ingot_prom::labels::Labels) -> LabelSet {
    l.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// The one documented difference between 2.42 and the Prometheus ingot follows (3.x, as Alloy):
/// 3.x normalises `le` of histogram buckets and `quantile` of summaries to OpenMetrics float text
/// (`1` becomes `1.0`), 2.42 stores them as written (reference §3.7). Applied to 2.42's sets, this
/// covers the integral spellings the body uses.
fn normalise_like_prometheus_3(mut l: LabelSet) -> LabelSet {
    let name = name_of(&l).to_string();
    let key = if name == "oracle_latency_seconds_bucket" {
        "le"
    } else if name == "oracle_rpc_seconds" {
        "quantile"
    } else {
        return l;
    };
    if let Some(v) = l.get_mut(key) {
        if !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()) {
            v.push_str(".0");
        }
    }
    l
}

fn name_of(l: &LabelSet) -> &str {
    l.get("__name__").map_or("", String::as_str)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_and_ingot_store_the_same_series_from_the_same_target() {
    let bin = require_binary("prometheus", "prometheus");
    let target = Target::start(Response::text(BODY));
    let target_addr = target.addr.to_string();

    // Prometheus 2.42 with the same job name, the same target and the same custom target label.
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("prometheus.yml");
    std::fs::write(
        &config_path,
        format!(
            r#"global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: {JOB}
    static_configs:
      - targets: ['{target_addr}']
        labels:
          team: blue
"#
        ),
    )
    .unwrap();
    let port = free_port();
    let prom_addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg(format!("--config.file={}", config_path.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={prom_addr}"));
    let mut prom = Peer::spawn("prometheus", cmd, dir);
    prom.wait_for_ready(prom_addr, "/-/ready", Duration::from_secs(20));

    // ingot, scraping the same target through a controller.
    let c = controller();
    apply(
        &c,
        &format!(
            r#"
test.sink "oracle" {{ }}
prometheus.scrape "oracle" {{
  targets         = [{{ "__address__" = "{target_addr}", "team" = "blue" }}]
  forward_to      = [test.sink.oracle.receiver]
  job_name        = "{JOB}"
  scrape_interval = "1s"
  scrape_timeout  = "1s"
}}
"#
        ),
    );
    let sink = "test.sink.oracle";

    // A few scrapes on both sides, so that the steady state (cache hits, series_added = 0) is seen.
    let deadline = Instant::now() + WAIT;
    let scrapes_seen = |n: usize| {
        samples(sink)
            .iter()
            .filter(|s| s.labels.metric_name() == "up")
            .count()
            >= n
    };
    loop {
        let prom_scrapes = prom_query(
            prom_addr,
            &format!("count_over_time(up{{job=\"{JOB}\"}}[5m])"),
        )
        .values()
        .next()
        .copied()
        .unwrap_or(0.0);
        if prom_scrapes >= 3.0 && scrapes_seen(3) {
            break;
        }
        assert!(
            prom.is_running(),
            "prometheus exited early:\n{}",
            prom.log()
        );
        assert!(
            Instant::now() < deadline,
            "timed out after {WAIT:?} waiting for three scrapes (prometheus: {prom_scrapes}, ingot: {} up samples)\nprometheus log:\n{}",
            samples(sink).iter().filter(|s| s.labels.metric_name() == "up").count(),
            prom.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // --- Label sets: Prometheus' stored series versus what ingot forwarded. ---
    let data = prom_api(
        prom_addr,
        &format!(
            "/api/v1/series?{}={}",
            enc("match[]"),
            enc(&format!("{{job=\"{JOB}\"}}"))
        ),
    );
    let prom_raw: BTreeSet<LabelSet> = data
        .as_array()
        .expect("a series list")
        .iter()
        .map(label_set)
        .collect();
    // 2.42 keeps `le="1"` and `quantile="1"` as written; exactly those two differ.
    let raw_has = |k: &str, v: &str| {
        prom_raw
            .iter()
            .any(|l| l.get(k).map(String::as_str) == Some(v))
    };
    assert!(raw_has("le", "1") && raw_has("quantile", "1"));
    let prom_sets: BTreeSet<LabelSet> = prom_raw
        .into_iter()
        .map(normalise_like_prometheus_3)
        .collect();
    let ingot_all = samples(sink);
    assert!(
        ingot_all.iter().all(|s| !is_stale_nan(s.value)),
        "no staleness markers expected from a steady target"
    );
    let ingot_sets: BTreeSet<LabelSet> = ingot_all
        .iter()
        .map(|s| ingot_label_set(&s.labels))
        .collect();
    pretty_assertions::assert_eq!(
        ingot_sets,
        prom_sets,
        "label sets differ (left: ingot, right: Prometheus)"
    );

    // The oracle must have exercised what it claims to: report series, exported_ renaming
    // (including a repeated prefix), the custom target label, normalised le/quantile, dropped empty
    // values, escapes.
    let has = |pairs: &[(&str, &str)]| {
        prom_sets.iter().any(|l| {
            pairs
                .iter()
                .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
    };
    for name in REPORT {
        assert!(has(&[("__name__", name), ("team", "blue")]), "{name}");
    }
    assert!(has(&[
        ("sensor", "a"),
        ("exported_job", "exporter"),
        ("exported_instance", "somewhere:1"),
        ("job", JOB),
        ("instance", &target_addr),
    ]));
    assert!(has(&[
        ("sensor", "b"),
        ("exported_job", "taken"),
        ("exported_exported_job", "exporter2"),
    ]));
    assert!(has(&[
        ("sensor", "c"),
        ("exported_team", "red"),
        ("team", "blue")
    ]));
    assert!(prom_sets.iter().all(|l| !l.contains_key("zone")));
    assert!(has(&[("le", "1.0")]) && has(&[("le", "+Inf")]) && has(&[("quantile", "1.0")]));
    assert!(has(&[("path", "a\"b\\c\nd")]));
    let body_series = BODY
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    assert_eq!(prom_sets.len(), body_series + REPORT.len());

    // --- Values: the newest sample of every series, Prometheus' instant query against ingot's
    // newest forwarded sample. The scrape duration is the only value that may differ. ---
    let prom_values: BTreeMap<LabelSet, f64> = prom_query(prom_addr, &format!("{{job=\"{JOB}\"}}"))
        .into_iter()
        .map(|(l, v)| (normalise_like_prometheus_3(l), v))
        .collect();
    assert_eq!(prom_values.len(), prom_sets.len());
    let mut ingot_latest: BTreeMap<LabelSet, f64> = BTreeMap::new();
    for s in &ingot_all {
        ingot_latest.insert(ingot_label_set(&s.labels), s.value);
    }
    for (labels, pv) in &prom_values {
        let iv = ingot_latest[labels];
        match name_of(labels) {
            "scrape_duration_seconds" => {
                assert!(iv > 0.0 && iv < 1.0, "ingot scrape_duration_seconds {iv}");
                assert!(
                    *pv > 0.0 && *pv < 1.0,
                    "prometheus scrape_duration_seconds {pv}"
                );
            }
            _ => assert_eq!(
                iv.to_bits(),
                pv.to_bits(),
                "value of {labels:?}: ingot {iv}, prometheus {pv}"
            ),
        }
    }
    let report = |name: &str| {
        prom_values
            .iter()
            .find(|(l, _)| name_of(l) == name)
            .map(|(_, v)| *v)
            .unwrap()
    };
    assert_eq!(report("up"), 1.0);
    assert_eq!(report("scrape_samples_scraped"), body_series as f64);
    assert_eq!(
        report("scrape_samples_post_metric_relabeling"),
        body_series as f64
    );
    assert_eq!(report("scrape_series_added"), 0.0, "steady state");

    // The first scrape added every series, on both sides.
    let prom_max_added = prom_query(
        prom_addr,
        &format!("max_over_time(scrape_series_added{{job=\"{JOB}\"}}[5m])"),
    );
    let prom_max_added = prom_max_added.values().next().copied().unwrap();
    let ingot_max_added = ingot_all
        .iter()
        .filter(|s| s.labels.metric_name() == "scrape_series_added")
        .map(|s| s.value)
        .fold(0.0, f64::max);
    assert_eq!(prom_max_added, body_series as f64);
    assert_eq!(ingot_max_added, prom_max_added);
    drop(prom);
}
