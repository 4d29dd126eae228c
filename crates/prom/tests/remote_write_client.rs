//! The Remote Write client against a scripted receiver (headers, body, retry rules) and against Debian's
//! Prometheus with its remote-write receiver, read back through the query API.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ingot_prom::labels::Labels;
use ingot_prom::remote_write::client::{send_with_retries, RetryObserver};
use ingot_prom::remote_write::encode::{
    decode_v1, decode_v2, encode_v1, encode_v2, snappy_compress,
};
use ingot_prom::remote_write::{
    Backoff, Client, ClientConfig, ExternalLabels, Outcome, Protocol, SendError,
};
use ingot_prom::sample::{stale_nan, Sample, STALE_NAN_BITS};
use ingot_testkit::remote_write_sink::{RemoteWriteSink, Reply};
use tokio_util::sync::CancellationToken;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn samples(n: usize, t0: i64) -> Vec<Sample> {
    (0..n)
        .map(|i| Sample {
            labels: Labels::from_pairs(&[
                ("__name__", "ingot_test_value"),
                ("series", &format!("s{}", i % 3)),
            ]),
            timestamp_ms: t0 + i as i64 * 1000,
            value: i as f64 * 1.5,
            exemplar: None,
        })
        .collect()
}

fn body_v1(s: &[Sample]) -> Vec<u8> {
    let mut raw = Vec::new();
    encode_v1(&mut raw, &ExternalLabels::default(), s, false, &[]);
    let mut out = Vec::new();
    snappy_compress(&raw, &mut out);
    out
}

fn body(s: &[Sample], p: Protocol) -> Vec<u8> {
    match p {
        Protocol::V1 => body_v1(s),
        Protocol::V2 => {
            let mut raw = Vec::new();
            encode_v2(
                &mut raw,
                &ExternalLabels::default(),
                s,
                false,
                &Default::default(),
            );
            let mut out = Vec::new();
            snappy_compress(&raw, &mut out);
            out
        }
    }
}

fn fast_backoff() -> Backoff {
    Backoff {
        min: Duration::from_millis(10),
        max: Duration::from_millis(80),
    }
}

#[derive(Default)]
struct Counting {
    retries: usize,
    fallbacks: usize,
}

impl RetryObserver for Counting {
    fn retrying(&mut self, _: &SendError, _: Duration) {
        self.retries += 1;
    }
    fn fell_back_to_v1(&mut self, _: &SendError) {
        self.fallbacks += 1;
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn sends_the_required_headers_and_a_decodable_body() {
    let sink = RemoteWriteSink::start();
    let mut cfg = ClientConfig::new(sink.url());
    cfg.headers
        .push(("X-Scope-OrgID".into(), "tenant-1".into()));
    let client = Client::new(cfg, true).unwrap();
    let s = samples(5, 1_000);
    let rt = runtime();
    let w = rt.block_on(client.send(body_v1(&s), Protocol::V1, 0));
    assert!(w.is_ok(), "{w:?}");
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/api/v1/write");
    assert_eq!(r.header("content-encoding"), Some("snappy"));
    assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(r.header("x-prometheus-remote-write-version"), Some("0.1.0"));
    assert!(r.header("user-agent").unwrap().starts_with("ingot/"));
    assert_eq!(r.header("x-scope-orgid"), Some("tenant-1"));
    assert_eq!(r.header("retry-attempt"), None);
    let decoded = decode_v1(&r.body).unwrap();
    assert_eq!(decoded.timeseries.len(), 5);
    assert_eq!(decoded.timeseries[3].samples[0].timestamp, 4_000);
    assert_eq!(decoded.timeseries[3].samples[0].value, 4.5);
}

#[test]
fn retries_500_then_succeeds_with_growing_backoff() {
    let sink = RemoteWriteSink::start();
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    sink.respond_with(move |_| {
        if n2.fetch_add(1, Ordering::SeqCst) < 3 {
            Reply::status(500).with_body("try later")
        } else {
            Reply::status(200)
        }
    });
    let client = Client::new(ClientConfig::new(sink.url()), true).unwrap();
    let s = samples(4, 1_000);
    let mut obs = Counting::default();
    let mut proto = Protocol::V1;
    let started = Instant::now();
    let out = runtime().block_on(send_with_retries(
        &client,
        &mut proto,
        |p| body(&s, p),
        fast_backoff(),
        &CancellationToken::new(),
        &mut obs,
    ));
    assert!(matches!(out, Outcome::Sent(_)), "{out:?}");
    assert_eq!(obs.retries, 3);
    // 10 + 20 + 40 ms of backoff at least.
    assert!(started.elapsed() >= Duration::from_millis(70));
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[1].header("retry-attempt"), Some("1"));
    assert_eq!(reqs[3].header("retry-attempt"), Some("3"));
    assert!(
        reqs.iter().all(|r| r.body == reqs[0].body),
        "every try sends the same data"
    );
}

#[test]
fn honours_retry_after_on_429() {
    let sink = RemoteWriteSink::start();
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    sink.respond_with(move |_| {
        if n2.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(429).with_header("Retry-After", "1")
        } else {
            Reply::status(204)
        }
    });
    let client = Client::new(ClientConfig::new(sink.url()), true).unwrap();
    let s = samples(2, 1_000);
    let started = Instant::now();
    let out = runtime().block_on(send_with_retries(
        &client,
        &mut Protocol::V1,
        |p| body(&s, p),
        fast_backoff(),
        &CancellationToken::new(),
        &mut (),
    ));
    assert!(matches!(out, Outcome::Sent(_)));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(5));
    assert_eq!(sink.requests().len(), 2);

    // Without retry_on_http_429, a 429 is final.
    sink.respond_with(|_| Reply::status(429).with_header("Retry-After", "1"));
    let client = Client::new(ClientConfig::new(sink.url()), false).unwrap();
    let out = runtime().block_on(send_with_retries(
        &client,
        &mut Protocol::V1,
        |p| body(&s, p),
        fast_backoff(),
        &CancellationToken::new(),
        &mut (),
    ));
    assert!(matches!(
        out,
        Outcome::Rejected(SendError::Rejected { status: 429, .. })
    ));
}

#[test]
fn a_400_is_not_retried_and_keeps_the_receivers_message() {
    let sink = RemoteWriteSink::start();
    sink.respond_with(|_| Reply::status(400).with_body("out of order sample\n"));
    let client = Client::new(ClientConfig::new(sink.url()), true).unwrap();
    let s = samples(2, 1_000);
    let out = runtime().block_on(send_with_retries(
        &client,
        &mut Protocol::V1,
        |p| body(&s, p),
        fast_backoff(),
        &CancellationToken::new(),
        &mut (),
    ));
    match out {
        Outcome::Rejected(e) => assert_eq!(
            e.to_string(),
            "server returned HTTP status 400: out of order sample"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(sink.requests().len(), 1);
}

#[test]
fn a_dead_receiver_is_retried_until_cancelled() {
    let mut sink = RemoteWriteSink::start();
    let url = sink.url();
    sink.stop();
    let client = Client::new(ClientConfig::new(url), true).unwrap();
    let s = samples(1, 1_000);
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    let rt = runtime();
    rt.spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        c2.cancel();
    });
    let mut obs = Counting::default();
    let out = rt.block_on(send_with_retries(
        &client,
        &mut Protocol::V1,
        |p| body(&s, p),
        fast_backoff(),
        &cancel,
        &mut obs,
    ));
    assert_eq!(out, Outcome::Cancelled);
    assert!(obs.retries >= 3, "{}", obs.retries);
}

#[test]
fn v2_falls_back_to_v1_on_415() {
    let sink = RemoteWriteSink::start();
    sink.respond_with(|r| {
        if r.header("content-type").unwrap_or("").contains("write.v2") {
            Reply::status(415)
        } else {
            Reply::status(204)
        }
    });
    let client = Client::new(ClientConfig::new(sink.url()), true).unwrap();
    let s = samples(3, 1_000);
    let mut proto = Protocol::V2;
    let mut obs = Counting::default();
    let out = runtime().block_on(send_with_retries(
        &client,
        &mut proto,
        |p| body(&s, p),
        fast_backoff(),
        &CancellationToken::new(),
        &mut obs,
    ));
    assert!(matches!(out, Outcome::Sent(_)));
    assert_eq!(proto, Protocol::V1);
    assert_eq!(obs.fallbacks, 1);
    let reqs = sink.requests();
    assert_eq!(
        reqs[0].header("x-prometheus-remote-write-version"),
        Some("2.0.0")
    );
    assert_eq!(
        reqs[0].header("content-type"),
        Some("application/x-protobuf;proto=io.prometheus.write.v2.Request")
    );
    assert_eq!(decode_v2(&reqs[0].body).unwrap().timeseries.len(), 3);
    assert_eq!(
        reqs[1].header("x-prometheus-remote-write-version"),
        Some("0.1.0")
    );
    assert_eq!(decode_v1(&reqs[1].body).unwrap().timeseries.len(), 3);
}

#[test]
fn v2_accepted_when_the_receiver_reports_what_it_wrote() {
    let sink = RemoteWriteSink::start();
    sink.respond_with(|r| {
        let n = decode_v2(&r.body).map(|q| q.timeseries.len()).unwrap_or(0);
        Reply::status(204)
            .with_header("X-Prometheus-Remote-Write-Samples-Written", &n.to_string())
            .with_header("X-Prometheus-Remote-Write-Histograms-Written", "0")
            .with_header("X-Prometheus-Remote-Write-Exemplars-Written", "0")
    });
    let client = Client::new(ClientConfig::new(sink.url()), true).unwrap();
    let s = samples(3, 1_000);
    let mut proto = Protocol::V2;
    let out = runtime().block_on(send_with_retries(
        &client,
        &mut proto,
        |p| body(&s, p),
        fast_backoff(),
        &CancellationToken::new(),
        &mut (),
    ));
    match out {
        Outcome::Sent(w) => assert_eq!(w.samples, Some(3)),
        other => panic!("{other:?}"),
    }
    assert_eq!(proto, Protocol::V2);
}

/// Debian's Prometheus 2.42 with its remote-write receiver on a free port.
struct Prometheus {
    peer: ingot_testkit::Peer,
    addr: std::net::SocketAddr,
}

fn start_prometheus() -> Prometheus {
    let bin = ingot_testkit::require_binary("prometheus", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("prometheus.yml");
    std::fs::write(&cfg, "global: {scrape_interval: 15s}\nscrape_configs: []\n").unwrap();
    let port = ingot_testkit::free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg(format!("--config.file={}", cfg.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={addr}"))
        .arg("--web.enable-remote-write-receiver");
    let mut peer = ingot_testkit::Peer::spawn("prometheus", cmd, dir);
    peer.wait_for_port(addr, Duration::from_secs(30));
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok((200, _)) = ingot_testkit::http_get(addr, "/-/ready") {
            return Prometheus { peer, addr };
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("prometheus not ready:\n{}", peer.log());
}

#[test]
fn real_prometheus_stores_exactly_what_was_sent() {
    let prom = start_prometheus();
    let url = format!("http://{}/api/v1/write", prom.addr);
    let client = Client::new(ClientConfig::new(url), true).unwrap();
    let t0 = now_ms() - 60_000;
    let mut s = samples(30, t0);
    // The last sample of series s0 ends it: a stale marker, which Prometheus stores and hides from queries.
    s.push(Sample {
        labels: Labels::from_pairs(&[("__name__", "ingot_test_value"), ("series", "s0")]),
        timestamp_ms: t0 + 30_000,
        value: stale_nan(),
        exemplar: None,
    });
    assert_eq!(s.last().unwrap().value.to_bits(), STALE_NAN_BITS);
    let rt = runtime();
    // Two requests, in order: per-series timestamps must increase across requests too.
    for chunk in s.chunks(16) {
        let out = rt.block_on(send_with_retries(
            &client,
            &mut Protocol::V1,
            |p| body(chunk, p),
            fast_backoff(),
            &CancellationToken::new(),
            &mut (),
        ));
        assert!(
            matches!(out, Outcome::Sent(_)),
            "{out:?}\n{}",
            prom.peer.log()
        );
    }
    // A range query over exactly the written window, one point per second: each series has a sample at
    // every third second, so ask per series with the raw-sample selector instead.
    for series in ["s0", "s1", "s2"] {
        let q = format!(
            "/api/v1/query?query=ingot_test_value%7Bseries%3D%22{series}%22%7D%5B2m%5D&time={}",
            (t0 + 60_000) as f64 / 1000.0
        );
        let (status, body) = ingot_testkit::http_get(prom.addr, &q).unwrap();
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let values = v["data"]["result"][0]["values"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        let got: Vec<(i64, f64)> = values
            .iter()
            .map(|p| {
                (
                    (p[0].as_f64().unwrap() * 1000.0).round() as i64,
                    p[1].as_str().unwrap().parse().unwrap(),
                )
            })
            .collect();
        let want: Vec<(i64, f64)> = s
            .iter()
            .filter(|x| x.labels.get("series") == Some(series) && !x.value.is_nan())
            .map(|x| (x.timestamp_ms, x.value))
            .collect();
        assert_eq!(got, want, "series {series}");
    }
    // The stale marker was stored: an instant query just after it finds nothing for s0 but finds s1.
    let q = |series: &str| {
        format!(
            "/api/v1/query?query=ingot_test_value%7Bseries%3D%22{series}%22%7D&time={}",
            (t0 + 30_500) as f64 / 1000.0
        )
    };
    let (_, b0) = ingot_testkit::http_get(prom.addr, &q("s0")).unwrap();
    let (_, b1) = ingot_testkit::http_get(prom.addr, &q("s1")).unwrap();
    assert!(b0.contains("\"result\":[]"), "{b0}");
    assert!(!b1.contains("\"result\":[]"), "{b1}");
}

#[test]
fn real_prometheus_2_42_makes_v2_fall_back_to_v1() {
    // Prometheus 2.42 predates RW 2.0: it decodes the v2 body as an empty v1 request and answers 204 without
    // the "written" headers, which the client must read as "not supported".
    let prom = start_prometheus();
    let url = format!("http://{}/api/v1/write", prom.addr);
    let client = Client::new(ClientConfig::new(url), true).unwrap();
    let t0 = now_ms() - 30_000;
    let s = samples(3, t0);
    let mut proto = Protocol::V2;
    let mut obs = Counting::default();
    let out = runtime().block_on(send_with_retries(
        &client,
        &mut proto,
        |p| body(&s, p),
        fast_backoff(),
        &CancellationToken::new(),
        &mut obs,
    ));
    assert!(matches!(out, Outcome::Sent(_)), "{out:?}");
    assert_eq!(proto, Protocol::V1);
    assert_eq!(obs.fallbacks, 1);
    let q = format!(
        "/api/v1/query?query=count_over_time(ingot_test_value%5B1m%5D)&time={}",
        (t0 + 10_000) as f64 / 1000.0
    );
    let (_, b) = ingot_testkit::http_get(prom.addr, &q).unwrap();
    let v: serde_json::Value = serde_json::from_str(&b).unwrap();
    let total: f64 = v["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"][1].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(total, 3.0, "{b}");
}
