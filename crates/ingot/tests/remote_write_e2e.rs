//! The real binary pushing into Debian's Prometheus (`--web.enable-remote-write-receiver`) and
//! VictoriaMetrics at once: `prometheus.exporter.unix` and a counting target → `prometheus.scrape` →
//! `prometheus.remote_write` with two endpoints. Both stores are read back through their query APIs: the
//! host's series are there (`up{job="integrations/unix"}`, every `node_cpu_seconds_total` series ingot
//! exposes), and the counting target's scrapes are there exactly: every scrape, nothing else. Every wait is
//! bounded.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ingot_testkit::counting_target::{CountingTarget, METRIC, SERIES};
use ingot_testkit::{free_port, http_get, poll_until, require_binary, url_encode, Peer};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

fn addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

fn wait_for<T>(
    what: &str,
    timeout: Duration,
    logs: &[&Peer],
    f: impl FnMut() -> Result<T, String>,
) -> T {
    poll_until(what, timeout, Duration::from_millis(250), logs, f).0
}

fn start_prometheus(dir: &Path) -> (Peer, SocketAddr) {
    let bin = require_binary("prometheus", "prometheus");
    std::fs::write(dir.join("prometheus.yml"), "global: {}\n").unwrap();
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

fn start_vm(dir: &Path) -> (Peer, SocketAddr) {
    let bin = require_binary("victoria-metrics", "victoria-metrics");
    let addr = addr();
    let mut cmd = Command::new(bin);
    cmd.arg(format!("-httpListenAddr={addr}"))
        .arg(format!(
            "-storageDataPath={}",
            dir.join("vm-data").display()
        ))
        .arg("-loggerLevel=WARN");
    let mut peer = Peer::spawn("victoria-metrics", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_port(addr, Duration::from_secs(30));
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

/// The counting target's series as Prometheus stores them: `i` → values in time order.
fn prom_counter(prom: SocketAddr) -> Result<BTreeMap<String, Vec<u64>>, String> {
    let mut out = BTreeMap::new();
    for series in prom_query(prom, &format!("{METRIC}[15m]"))? {
        let i = series["metric"]["i"].as_str().unwrap_or("?").to_string();
        let values = series["values"]
            .as_array()
            .ok_or("no values")?
            .iter()
            .map(|p| p[1].as_str().unwrap_or("-1").parse::<f64>().unwrap_or(-1.0) as u64)
            .collect();
        out.insert(i, values);
    }
    Ok(out)
}

/// The same from VictoriaMetrics' `/api/v1/export`.
fn vm_counter(vm: SocketAddr) -> Result<BTreeMap<String, Vec<u64>>, String> {
    let _ = http_get(vm, "/internal/force_flush");
    let (status, body) = http_get(vm, &format!("/api/v1/export?match[]={METRIC}"))
        .map_err(|e| format!("export: {e}"))?;
    if status != 200 {
        return Err(format!("export: HTTP {status}: {body}"));
    }
    let mut out = BTreeMap::new();
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        let i = v["metric"]["i"].as_str().unwrap_or("?").to_string();
        let mut points: Vec<(i64, u64)> = v["timestamps"]
            .as_array()
            .ok_or("no timestamps")?
            .iter()
            .zip(v["values"].as_array().ok_or("no values")?)
            // The staleness markers scrape writes on a clean stop are not numbers in the export; they
            // end the series and are not scrapes of the counter.
            .filter(|(_, x)| x.as_f64().is_some_and(f64::is_finite))
            .map(|(t, x)| (t.as_i64().unwrap_or(0), x.as_f64().unwrap_or(-1.0) as u64))
            .collect();
        points.sort();
        out.insert(i, points.into_iter().map(|(_, x)| x).collect());
    }
    Ok(out)
}

/// Every series has every scrape of `must` and nothing outside `allowed`, each once, in scrape order.
fn check_exact(
    got: &BTreeMap<String, Vec<u64>>,
    must: &BTreeSet<u64>,
    allowed: &BTreeSet<u64>,
) -> Result<(), String> {
    if got.len() != SERIES {
        return Err(format!("{} series of {SERIES}", got.len()));
    }
    for (i, values) in got {
        let set: BTreeSet<u64> = values.iter().copied().collect();
        let missing: Vec<_> = must.difference(&set).collect();
        if !missing.is_empty() {
            return Err(format!("i={i}: missing scrapes {missing:?}"));
        }
        let extra: Vec<_> = set.difference(allowed).collect();
        if !extra.is_empty() {
            return Err(format!("i={i}: values never served {extra:?}"));
        }
        if set.len() != values.len() {
            return Err(format!("i={i}: duplicates in {values:?}"));
        }
        if values.windows(2).any(|w| w[0] > w[1]) {
            return Err(format!("i={i}: out of order: {values:?}"));
        }
    }
    Ok(())
}

/// `(cpu, mode)` of every `node_cpu_seconds_total` series in an exposition.
fn cpu_series_in_exposition(text: &str) -> BTreeSet<(String, String)> {
    let label = |line: &str, name: &str| {
        let start = line.find(&format!("{name}=\""))? + name.len() + 2;
        let end = line[start..].find('"')? + start;
        Some(line[start..end].to_string())
    };
    text.lines()
        .filter(|l| l.starts_with("node_cpu_seconds_total{"))
        .filter_map(|l| Some((label(l, "cpu")?, label(l, "mode")?)))
        .collect()
}

#[test]
fn scraped_samples_land_in_prometheus_and_victoriametrics() {
    let dir = tempfile::tempdir().unwrap();
    let (prom, prom_addr) = start_prometheus(dir.path());
    let (vm, vm_addr) = start_vm(dir.path());
    let target = CountingTarget::start();
    let config = format!(
        r#"
prometheus.exporter.unix "host" {{ }}

prometheus.scrape "host" {{
  targets         = prometheus.exporter.unix.host.targets
  forward_to      = [prometheus.remote_write.out.receiver]
  scrape_interval = "1s"
  scrape_timeout  = "1s"
}}

prometheus.scrape "counter" {{
  targets         = [{{ __address__ = "{target}" }}]
  forward_to      = [prometheus.remote_write.out.receiver]
  job_name        = "counter"
  scrape_interval = "200ms"
  scrape_timeout  = "200ms"
}}

prometheus.remote_write "out" {{
  external_labels = {{ agent = "ingot" }}
  endpoint {{
    name = "prometheus"
    url  = "http://{prom_addr}/api/v1/write"
    queue_config {{
      batch_send_deadline = "200ms"
    }}
  }}
  endpoint {{
    name = "victoriametrics"
    url  = "http://{vm_addr}/api/v1/write"
    queue_config {{
      batch_send_deadline = "200ms"
    }}
  }}
}}
"#,
        target = target.addr
    );
    std::fs::write(dir.path().join("config.alloy"), config).unwrap();
    let ingot_addr = addr();
    let mut cmd = Command::new(BIN);
    cmd.arg("run")
        .arg(dir.path().join("config.alloy"))
        .arg(format!("--server.http.listen-addr={ingot_addr}"))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("ingot-data").display()
        ));
    let mut ingot = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    ingot.wait_for_port(ingot_addr, Duration::from_secs(15));
    let peers = [&ingot, &prom, &vm];

    // The host: `up` and every CPU series ingot exposes.
    wait_for(
        "up{job=\"integrations/unix\"} = 1 in Prometheus",
        Duration::from_secs(60),
        &peers,
        || {
            let r = prom_query(prom_addr, "up{job=\"integrations/unix\",agent=\"ingot\"}")?;
            match r.as_slice() {
                [one] if one["value"][1] == "1" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    );
    let (status, exposition) = http_get(
        ingot_addr,
        "/api/v0/component/prometheus.exporter.unix.host/metrics",
    )
    .unwrap();
    assert_eq!(status, 200, "{exposition}");
    let want_cpu = cpu_series_in_exposition(&exposition);
    assert!(!want_cpu.is_empty(), "{exposition}");
    wait_for(
        "every node_cpu_seconds_total series in Prometheus",
        Duration::from_secs(30),
        &peers,
        || {
            let r = prom_query(
                prom_addr,
                "node_cpu_seconds_total{job=\"integrations/unix\"}",
            )?;
            let got: BTreeSet<(String, String)> = r
                .iter()
                .map(|s| {
                    (
                        s["metric"]["cpu"].as_str().unwrap_or("").to_string(),
                        s["metric"]["mode"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect();
            if got == want_cpu {
                Ok(())
            } else {
                Err(format!(
                    "Prometheus has {got:?}, ingot exposes {want_cpu:?}"
                ))
            }
        },
    );
    wait_for(
        "node_cpu_seconds_total in VictoriaMetrics",
        Duration::from_secs(30),
        &peers,
        || {
            let _ = http_get(vm_addr, "/internal/force_flush");
            let (_, body) = http_get(vm_addr, "/api/v1/export?match[]=node_cpu_seconds_total")
                .map_err(|e| e.to_string())?;
            let n = body
                .lines()
                .filter(|l| l.contains("\"integrations/unix\""))
                .count();
            if n == want_cpu.len() {
                Ok(())
            } else {
                Err(format!("{n} series of {}", want_cpu.len()))
            }
        },
    );

    // The counting target: stop ingot cleanly after some scrapes (the queues flush on the way out), then
    // both stores must hold every scrape, each once, and nothing else.
    wait_for(
        "15 scrapes of the counter",
        Duration::from_secs(30),
        &peers,
        || {
            if target.count() >= 15 {
                Ok(())
            } else {
                Err(format!("{} scrapes", target.count()))
            }
        },
    );
    let stopped_at = Instant::now();
    ingot.signal(15);
    let status = ingot.wait_exit(Duration::from_secs(20));
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}\n{}",
        ingot.log()
    );
    // A scrape answered just before the stop may have been cancelled before it was appended.
    let must = target.served_before(stopped_at - Duration::from_millis(300));
    let allowed = target.served_before(Instant::now());
    assert!(must.len() >= 10, "{must:?}");
    let peers = [&ingot, &prom, &vm];
    wait_for(
        "every scrape of the counter, once, in Prometheus",
        Duration::from_secs(30),
        &peers,
        || check_exact(&prom_counter(prom_addr)?, &must, &allowed),
    );
    wait_for(
        "every scrape of the counter, once, in VictoriaMetrics",
        Duration::from_secs(30),
        &peers,
        || check_exact(&vm_counter(vm_addr)?, &must, &allowed),
    );
}
