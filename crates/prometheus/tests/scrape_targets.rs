//! `prometheus.scrape` against real targets on loopback: Debian's node_exporter, ingot's own unix
//! exporter in memory, and small targets serving hand-written bodies.

mod scrape_support;

use std::process::Command;
use std::time::Duration;

use ingot_prom::sample::is_stale_nan;
use ingot_runtime::health::HealthState;
use ingot_syntax::value::Value;
use ingot_testkit::{free_port, require_binary, Peer};
use scrape_support::*;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_exporter_is_scraped_with_target_labels_and_report_series() {
    let bin = require_binary("prometheus-node-exporter", "prometheus-node-exporter");
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"));
    let mut peer = Peer::spawn("node_exporter", cmd, dir);
    let addr = format!("127.0.0.1:{port}");
    peer.wait_for_port(addr.parse().unwrap(), Duration::from_secs(10));
    let c = controller();
    apply(&c, &scrape_config("node", "node", &addr, ""));
    let sink = "test.sink.node";
    wait_for(WAIT, "up=1", || {
        latest(sink, "up", &[]).filter(|v| *v == 1.0)
    })
    .await;
    let all = samples(sink);
    let cpu = all
        .iter()
        .find(|s| s.labels.metric_name() == "node_cpu_seconds_total")
        .expect("node_cpu_seconds_total scraped");
    assert_eq!(cpu.labels.get("job"), Some("prometheus.scrape.node"));
    assert_eq!(cpu.labels.get("instance"), Some(addr.as_str()));
    assert!(cpu
        .labels
        .iter()
        .all(|(n, _)| !n.starts_with("__") || n == "__name__"));
    let scraped = latest(sink, "scrape_samples_scraped", &[]).unwrap();
    assert!(scraped > 100.0, "{scraped}");
    assert_eq!(
        latest(sink, "scrape_samples_post_metric_relabeling", &[]),
        Some(scraped)
    );
    assert!(latest(sink, "scrape_duration_seconds", &[]).unwrap() > 0.0);
    let t = debug_target(&c, "prometheus.scrape.node");
    assert_eq!(field(&t, "url"), format!("http://{addr}/metrics"));
    assert_eq!(field(&t, "health"), "up");
    let info = c.component("prometheus.scrape.node").unwrap();
    assert_eq!(
        info.health.state,
        HealthState::Healthy,
        "{}",
        info.health.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_unix_exporter_is_scraped_in_memory() {
    let c = controller();
    apply(
        &c,
        r#"
prometheus.exporter.unix "mem" { }
test.sink "mem" { }
prometheus.scrape "mem" {
  targets         = prometheus.exporter.unix.mem.targets
  forward_to      = [test.sink.mem.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "1s"
}
"#,
    );
    let sink = "test.sink.mem";
    let up = wait_for(WAIT, "a scrape", || latest(sink, "up", &[])).await;
    let t = debug_target(&c, "prometheus.scrape.mem");
    assert_eq!(up, 1.0, "{}", field(&t, "last_error"));
    assert_eq!(
        field(&t, "url"),
        "http://alloy.internal:12345/api/v0/component/prometheus.exporter.unix.mem/metrics"
    );
    let all = samples(sink);
    let load = all
        .iter()
        .find(|s| s.labels.metric_name().starts_with("node_"))
        .expect("node_* series from the unix exporter");
    // The exporter's target carries its own job, which wins over the scrape's job_name.
    assert_eq!(load.labels.get("job"), Some("integrations/unix"));
    assert!(load.labels.get("instance").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_body_fails_the_scrape_with_the_parsers_position_and_stales_series() {
    let target = Target::start(Response::text("good_metric 1\nother 2\n"));
    let addr = target.addr.to_string();
    let c = controller();
    apply(&c, &scrape_config("bad", "bad", &addr, ""));
    let sink = "test.sink.bad";
    wait_for(WAIT, "up=1", || {
        latest(sink, "up", &[]).filter(|v| *v == 1.0)
    })
    .await;
    // A series vanishes: a staleness marker follows in the next scrape.
    target.set(Response::text("good_metric 1\n"));
    wait_for(WAIT, "stale marker for other", || {
        samples(sink)
            .iter()
            .find(|s| s.labels.metric_name() == "other" && is_stale_nan(s.value))
            .map(|_| ())
    })
    .await;
    target.set(Response::text("good_metric 1\nbroken{a=\"1\" 2\n"));
    wait_for(WAIT, "up=0", || {
        latest(sink, "up", &[]).filter(|v| *v == 0.0)
    })
    .await;
    let good = samples(sink)
        .into_iter()
        .rev()
        .find(|s| s.labels.metric_name() == "good_metric")
        .unwrap();
    assert!(
        is_stale_nan(good.value),
        "the failed scrape marks the last series stale"
    );
    let t = debug_target(&c, "prometheus.scrape.bad");
    let err = field(&t, "last_error");
    assert!(err.starts_with("2:"), "line:col first: {err}");
    assert_eq!(field(&t, "health"), "down");
    let info = c.component("prometheus.scrape.bad").unwrap();
    assert_eq!(info.health.state, HealthState::Unhealthy);
    assert!(
        info.health.message.contains(&addr),
        "{}",
        info.health.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_200_huge_and_slow_targets_fail_with_prometheus_words() {
    let mut resp = Response::text("x 1\n");
    resp.status = 500;
    let t500 = Target::start(resp);
    let huge = Target::start(Response::text(
        &"big_metric_name_padding 1\n".repeat(10_000),
    ));
    let mut slow_resp = Response::text("x 1\n");
    slow_resp.delay = Duration::from_secs(2);
    let slow = Target::start(slow_resp);
    let c = controller();
    apply(
        &c,
        &format!(
            "{}{}{}",
            scrape_config("e500", "e500", &t500.addr.to_string(), ""),
            scrape_config(
                "huge",
                "huge",
                &huge.addr.to_string(),
                "body_size_limit = \"64KiB\"\n  extra_metrics = true"
            ),
            scrape_config("slow", "slow", &slow.addr.to_string(), ""),
        ),
    );
    let err_of = |id: &str| field(&debug_target(&c, id), "last_error");
    wait_for(WAIT, "500 error", || {
        (err_of("prometheus.scrape.e500")
            == "server returned HTTP status 500 Internal Server Error")
            .then_some(())
    })
    .await;
    wait_for(WAIT, "body limit", || {
        (err_of("prometheus.scrape.huge") == "body size limit exceeded").then_some(())
    })
    .await;
    wait_for(WAIT, "body size -1", || {
        latest("test.sink.huge", "scrape_body_size_bytes", &[]).filter(|v| *v == -1.0)
    })
    .await;
    assert_eq!(latest("test.sink.huge", "up", &[]), Some(0.0));
    assert_eq!(
        latest("test.sink.huge", "scrape_timeout_seconds", &[]),
        Some(0.5)
    );
    let slow_addr = slow.addr.to_string();
    wait_for(WAIT, "timeout", || {
        (err_of("prometheus.scrape.slow")
            == format!("Get \"http://{slow_addr}/metrics\": context deadline exceeded"))
        .then_some(())
    })
    .await;
    assert_eq!(latest("test.sink.slow", "up", &[]), Some(0.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_and_openmetrics_with_exemplars_are_negotiated_and_parsed() {
    let mut gz = Response::text("zipped_metric{a=\"b\"} 3\n");
    gz.gzip = true;
    let gz = Target::start(gz);
    let om = Target::start(Response {
        content_type: "application/openmetrics-text; version=1.0.0; charset=utf-8".into(),
        ..Response::text(
            "# TYPE req counter\nreq_total{path=\"/\"} 17 # {trace_id=\"abc\"} 1 1700000000.5\n# EOF\n",
        )
    });
    let c = controller();
    apply(
        &c,
        &format!(
            "{}{}",
            scrape_config("gz", "gz", &gz.addr.to_string(), ""),
            scrape_config("om", "om", &om.addr.to_string(), ""),
        ),
    );
    wait_for(WAIT, "gzip body", || {
        latest("test.sink.gz", "zipped_metric", &[("a", "b")])
    })
    .await;
    let head = gz.requests.lock().unwrap()[0].to_ascii_lowercase();
    assert!(head.contains("accept-encoding: gzip"), "{head}");
    assert!(
        head.contains(
            "accept: application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,"
        ),
        "{head}"
    );
    assert!(
        head.contains("x-prometheus-scrape-timeout-seconds: 0.5"),
        "{head}"
    );
    let s = wait_for(WAIT, "openmetrics sample", || {
        samples("test.sink.om")
            .into_iter()
            .find(|s| s.labels.metric_name() == "req_total")
    })
    .await;
    assert_eq!(s.value, 17.0);
    let ex = s.exemplar.expect("exemplar kept");
    assert_eq!(ex.labels.get("trace_id"), Some("abc"));
    assert_eq!(ex.timestamp_ms, Some(1_700_000_000_500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_target_gets_end_of_run_staleness_markers() {
    let target = Target::start(Response::text("going_away 1\n"));
    let addr = target.addr.to_string();
    let c = controller();
    apply(&c, &scrape_config("gone", "gone", &addr, ""));
    let sink = "test.sink.gone";
    wait_for(WAIT, "first scrape", || latest(sink, "going_away", &[])).await;
    apply(
        &c,
        r#"
test.sink "gone" { }
prometheus.scrape "gone" {
  targets         = []
  forward_to      = [test.sink.gone.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "500ms"
}
"#,
    );
    wait_for(WAIT, "end-of-run markers", || {
        let all = samples(sink);
        let gone = all
            .iter()
            .rev()
            .find(|s| s.labels.metric_name() == "going_away")?;
        let up = all.iter().rev().find(|s| s.labels.metric_name() == "up")?;
        (is_stale_nan(gone.value) && is_stale_nan(up.value)).then_some(())
    })
    .await;
}

/// As Prometheus (and Alloy): when the scraping stops, because the agent stops or the component leaves the
/// config, the series are not ended; a stop looks like silence. `--feature.prometheus.scrape.
/// stale-markers-on-stop` asks for the markers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_writes_staleness_markers_only_when_asked() {
    use ingot_runtime::controller::{Features, Options};
    for asked in [false, true] {
        let target = Target::start(Response::text("running 1\n"));
        let c = controller_with(Options {
            features: Features {
                scrape_stale_markers_on_stop: asked,
            },
            ..Options::default()
        });
        let sink = if asked { "asked" } else { "default" };
        apply(&c, &scrape_config(sink, sink, &target.addr.to_string(), ""));
        let sink_id = format!("test.sink.{sink}");
        wait_for(WAIT, "first scrape", || latest(&sink_id, "running", &[])).await;
        c.shutdown(Duration::from_secs(10)).await;
        let stale: Vec<String> = samples(&sink_id)
            .iter()
            .filter(|s| is_stale_nan(s.value))
            .map(|s| s.labels.metric_name().to_string())
            .collect();
        if asked {
            assert!(
                stale.contains(&"running".to_string()) && stale.contains(&"up".to_string()),
                "asked for markers on stop: {stale:?}"
            );
        } else {
            assert!(stale.is_empty(), "a stop wrote markers: {stale:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_scrape_interval_continues_the_series_without_staleness() {
    // Prometheus restarts the loops of a reloaded pool on the old cache without end-of-run markers.
    // A marker from the old loop would land among the new loop's samples: a false gap in every
    // query, or an out-of-order sample a remote-write receiver refuses.
    let target = Target::start(Response::text("going_on 1\n"));
    let addr = target.addr.to_string();
    let c = controller();
    apply(&c, &scrape_config("resched", "resched", &addr, ""));
    let sink = "test.sink.resched";
    let count = |name: &str| {
        samples(sink)
            .iter()
            .filter(|s| s.labels.metric_name() == name)
            .count()
    };
    wait_for(WAIT, "two scrapes at 1s", || {
        (count("going_on") >= 2).then_some(())
    })
    .await;
    let before = count("going_on");
    let slower = scrape_config("resched", "resched", &addr, "")
        .replace("\"1s\"", "\"2s\"")
        .replace("\"500ms\"", "\"1s\"");
    apply(&c, &slower);
    // Past the old loop's end-of-run wait (two old intervals and a tenth) and two new scrapes.
    wait_for(Duration::from_secs(30), "three scrapes at 2s", || {
        (count("going_on") >= before + 3).then_some(())
    })
    .await;
    let all = samples(sink);
    assert_series_go_on(&all, &["going_on", "up", "scrape_duration_seconds"]);
    // The cache was handed over: the first scrape on the new schedule adds no series.
    assert_added_only_at_first(&all, 1.0);
    // Still one target, up, now on the new schedule.
    let info = c.component("prometheus.scrape.resched").unwrap();
    let targets = info.debug_info.unwrap();
    let targets = targets.get("target").and_then(Value::as_array).unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(field(&targets[0], "health"), "up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_client_arguments_shape_the_request() {
    let target = Target::start(Response::text("authed 1\n"));
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, "s3cret\n").unwrap();
    let c = controller();
    let extra = format!(
        r#"enable_compression = false
  http_headers = {{ "X-Scope-OrgID" = ["team-a", "team-b"] }}
  basic_auth {{
    username      = "scraper"
    password_file = "{}"
  }}"#,
        password.display()
    );
    apply(
        &c,
        &scrape_config("auth", "auth", &target.addr.to_string(), &extra),
    );
    wait_for(WAIT, "a scrape", || latest("test.sink.auth", "authed", &[])).await;
    let request = target.requests.lock().unwrap()[0].clone();
    let header = |name: &str| -> Vec<String> {
        request
            .lines()
            .filter_map(|l| l.split_once(": "))
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_string())
            .collect()
    };
    // base64("scraper:s3cret"): the file's trailing newline is not part of the password.
    assert_eq!(header("authorization"), ["Basic c2NyYXBlcjpzM2NyZXQ="]);
    assert_eq!(header("accept-encoding"), ["identity"]);
    assert_eq!(header("x-scope-orgid"), ["team-a", "team-b"]);
    // Header values are secrets: the arguments as the API renders them do not show them.
    let info = c.component("prometheus.scrape.auth").unwrap();
    assert!(!format!("{:?}", info.arguments).contains("team-a"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_unless_follow_redirects_is_false() {
    let real = Target::start(Response::text("moved_metric 1\n"));
    let redirect = Target::start(Response {
        status: 302,
        location: Some(format!("http://{}/metrics", real.addr)),
        ..Response::text("")
    });
    let from = redirect.addr.to_string();
    let c = controller();
    apply(
        &c,
        &format!(
            "{}{}",
            scrape_config("follow", "follow", &from, ""),
            scrape_config("stay", "stay", &from, "follow_redirects = false"),
        ),
    );
    wait_for(WAIT, "the redirected scrape", || {
        latest("test.sink.follow", "moved_metric", &[])
    })
    .await;
    wait_for(WAIT, "the refused redirect", || {
        (latest("test.sink.stay", "up", &[]) == Some(0.0)).then_some(())
    })
    .await;
    let stay = debug_target(&c, "prometheus.scrape.stay");
    assert_eq!(
        field(&stay, "last_error"),
        "server returned HTTP status 302 Found"
    );
    assert!(latest("test.sink.stay", "moved_metric", &[]).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_limit_fails_every_scrape_and_timeout_may_not_exceed_interval() {
    let a = Target::start(Response::text("a 1\n"));
    let b = Target::start(Response::text("b 1\n"));
    let c = controller();
    apply(
        &c,
        &format!(
            r#"
test.sink "lim" {{ }}
prometheus.scrape "lim" {{
  targets         = [{{ "__address__" = "{}" }}, {{ "__address__" = "{}" }}]
  forward_to      = [test.sink.lim.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "500ms"
  target_limit    = 1
}}
"#,
            a.addr, b.addr
        ),
    );
    wait_for(WAIT, "both targets down", || {
        let ups: Vec<f64> = samples("test.sink.lim")
            .iter()
            .filter(|s| s.labels.metric_name() == "up")
            .map(|s| s.value)
            .collect();
        (ups.len() >= 2 && ups.iter().all(|&v| v == 0.0)).then_some(())
    })
    .await;
    assert_eq!(
        field(&debug_target(&c, "prometheus.scrape.lim"), "last_error"),
        "target_limit exceeded (number of targets: 2, limit: 1)"
    );
    assert!(a.requests.lock().unwrap().is_empty());
    assert!(latest("test.sink.lim", "a", &[]).is_none());

    let (config, diags) = ingot_runtime::source::from_text(
        "main.alloy",
        &scrape_config("lim", "lim", &a.addr.to_string(), "").replace("\"500ms\"", "\"2s\""),
    );
    assert!(!diags.has_errors());
    // Alloy names the job_name argument as given (empty here), not the defaulted job label.
    let err = c.apply(&config).unwrap_err().render();
    assert!(
        err.contains(
            "scrape_timeout (2s) greater than scrape_interval (1s) for scrape config with job name \"\""
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_back_before_its_end_of_run_continues_its_series_and_ends_only_the_vanished() {
    // Discovery flaps: the target leaves and returns within an interval. The old run's end-of-run
    // markers would land among the new run's samples, out of order, and a Prometheus receiver
    // refuses a whole batch for one such sample. The new run takes the old run's cache instead.
    let target = Target::start(Response::text("flapping 1\nleaving 1\n"));
    let addr = target.addr.to_string();
    let c = controller();
    let with_target = scrape_config("flap", "flap", &addr, "");
    let without = with_target.replace(&format!("[{{ \"__address__\" = \"{addr}\" }}]"), "[]");
    assert_ne!(with_target, without);
    apply(&c, &with_target);
    let sink = "test.sink.flap";
    wait_for(WAIT, "a scrape", || latest(sink, "leaving", &[])).await;
    apply(&c, &without);
    target.set(Response::text("flapping 1\n"));
    apply(&c, &with_target);
    assert_continues_and_ends_the_vanished(sink, "flapping", "leaving").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_metrics_path_continues_the_series_of_the_target() {
    // The URL changes but the series stay: the same hand-over as a flap.
    let target = Target::start(Response::text("pathed 1\nleaving 1\n"));
    let addr = target.addr.to_string();
    let c = controller();
    apply(&c, &scrape_config("path", "path", &addr, ""));
    let sink = "test.sink.path";
    wait_for(WAIT, "a scrape", || latest(sink, "leaving", &[])).await;
    target.set(Response::text("pathed 1\n"));
    apply(
        &c,
        &scrape_config("path", "path", &addr, "metrics_path = \"/other\""),
    );
    assert_continues_and_ends_the_vanished(sink, "pathed", "leaving").await;
    assert!(target
        .requests
        .lock()
        .unwrap()
        .last()
        .unwrap()
        .starts_with("GET /other "));
}

/// After a hand-over: `kept` and `up` never get a marker and their timestamps only go forward,
/// `vanished` gets one after its last sample, and no series counts as added again.
async fn assert_continues_and_ends_the_vanished(sink: &str, kept: &str, vanished: &str) {
    let count = || {
        samples(sink)
            .iter()
            .filter(|s| s.labels.metric_name() == kept)
            .count()
    };
    let before = count();
    // Past the old run's end-of-run wait (two intervals and a tenth) and more scrapes.
    wait_for(WAIT, "three more scrapes", || {
        (count() >= before + 3).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = samples(sink);
    assert_series_go_on(&all, &[kept, "up"]);
    let gone: Vec<_> = all
        .iter()
        .filter(|s| s.labels.metric_name() == vanished)
        .collect();
    let last = gone.last().expect("samples of the vanished series");
    assert!(is_stale_nan(last.value), "{vanished} was not ended");
    assert!(gone
        .windows(2)
        .all(|w| w[0].timestamp_ms < w[1].timestamp_ms));
    assert_added_only_at_first(&all, 2.0);
}

/// Each of `names` has no staleness marker and timestamps that only go forward.
fn assert_series_go_on(all: &[ingot_prom::sample::Sample], names: &[&str]) {
    for name in names {
        let series: Vec<_> = all
            .iter()
            .filter(|s| s.labels.metric_name() == *name)
            .collect();
        assert!(
            series.iter().all(|s| !is_stale_nan(s.value)),
            "{name} got a staleness marker"
        );
        assert!(
            series
                .windows(2)
                .all(|w| w[0].timestamp_ms < w[1].timestamp_ms),
            "{name} timestamps go back"
        );
    }
}

/// `scrape_series_added` is `first` on the first scrape and 0 on every later one.
fn assert_added_only_at_first(all: &[ingot_prom::sample::Sample], first: f64) {
    let added: Vec<f64> = all
        .iter()
        .filter(|s| s.labels.metric_name() == "scrape_series_added")
        .map(|s| s.value)
        .collect();
    assert_eq!(added[0], first);
    assert!(added[1..].iter().all(|&v| v == 0.0), "{added:?}");
}
