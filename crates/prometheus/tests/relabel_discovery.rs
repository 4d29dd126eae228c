//! Relabeling and file discovery in whole configs: discovery.file → discovery.relabel →
//! prometheus.scrape → prometheus.relabel → a sink, against a loopback target.

mod scrape_support;

use std::time::Duration;

use ingot_runtime::health::HealthState;
use ingot_syntax::value::Value;
use scrape_support::*;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovered_targets_are_relabeled_scraped_and_metric_relabeled() {
    let target = Target::start(Response::text("keep_me{x=\"1\"} 1\ndrop_me 2\n"));
    let dir = tempfile::tempdir().unwrap();
    let sd = dir.path().join("targets.json");
    std::fs::write(
        &sd,
        format!(
            r#"[{{"targets": ["{}"], "labels": {{"env": "prod"}}}}]"#,
            target.addr
        ),
    )
    .unwrap();
    let c = controller();
    let config = format!(
        r#"
discovery.file "sd" {{ files = ["{}/*.json"] }}
discovery.relabel "sd" {{
  targets = discovery.file.sd.targets
  rule {{
    source_labels = ["env"]
    target_label  = "environment"
  }}
  rule {{
    source_labels = ["__meta_filepath"]
    regex         = ".*/(.*)\\.json"
    target_label  = "sd_file"
  }}
  rule {{
    regex  = "env"
    action = "labeldrop"
  }}
}}
test.sink "rl" {{ }}
prometheus.relabel "rl" {{
  forward_to = [test.sink.rl.receiver]
  rule {{
    source_labels = ["__name__"]
    regex         = "drop_me"
    action        = "drop"
  }}
  rule {{
    source_labels = ["x"]
    target_label  = "x_hash"
    modulus       = 10
    action        = "hashmod"
  }}
}}
prometheus.scrape "rl" {{
  targets         = discovery.relabel.sd.output
  forward_to      = [prometheus.relabel.rl.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "1s"
}}
"#,
        dir.path().display()
    );
    apply(&c, &config);
    let shutdown = CancellationToken::new();
    let run = tokio::spawn(c.clone().run(shutdown.clone()));
    let sink = "test.sink.rl";
    let s = wait_for(WAIT, "keep_me", || {
        samples(sink)
            .into_iter()
            .find(|s| s.labels.metric_name() == "keep_me")
    })
    .await;
    assert_eq!(s.labels.get("environment"), Some("prod"));
    assert_eq!(s.labels.get("sd_file"), Some("targets"));
    assert_eq!(s.labels.get("env"), None);
    let want = ingot_prom::relabel::hashmod("1", 10).to_string();
    assert_eq!(s.labels.get("x_hash"), Some(want.as_str()));
    assert!(samples(sink)
        .iter()
        .all(|s| s.labels.metric_name() != "drop_me"));
    // Report series pass through the relabel step too.
    assert!(latest(sink, "up", &[]).is_some());
    let info = c.component("prometheus.relabel.rl").unwrap();
    let dbg = info.debug_info.unwrap();
    let hits = dbg.get("prometheus_relabel_cache_misses").cloned().unwrap();
    assert_ne!(hits, Value::uint(0));
    assert!(matches!(info.exports.get("rules"), Some(Value::Capsule(_))));

    // A broken file keeps its last good targets and makes discovery.file unhealthy, naming it.
    std::fs::write(&sd, "[{not json").unwrap();
    let msg = wait_for(WAIT, "unhealthy discovery.file", || {
        let h = c.component("discovery.file.sd").unwrap().health;
        (h.state == HealthState::Unhealthy).then_some(h.message)
    })
    .await;
    assert!(msg.contains("targets.json"), "{msg}");
    let out = c.component("discovery.relabel.sd").unwrap().exports;
    assert_eq!(
        out.get("output")
            .and_then(Value::as_array)
            .map(<[Value]>::len),
        Some(1)
    );
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), run).await;
}

#[test]
fn rule_validation_errors_are_alloys() {
    let c = controller();
    let (config, _) = ingot_runtime::source::from_text(
        "main.alloy",
        r#"
discovery.relabel "bad" {
  targets = []
  rule {
    action = "hashmod"
    target_label = "x"
  }
}
"#,
    );
    let err = c.apply(&config).unwrap_err().render();
    assert!(
        err.contains("relabel configuration for hashmod requires non-zero modulus"),
        "{err}"
    );
    let (config, _) = ingot_runtime::source::from_text(
        "main.alloy",
        "discovery.relabel \"bad\" {\n  targets = []\n  rule {\n    action = \"Replace\"\n  }\n}\n",
    );
    let err = c.apply(&config).unwrap_err().render();
    assert!(
        err.contains("unrecognized action type \"Replace\""),
        "{err}"
    );
}
