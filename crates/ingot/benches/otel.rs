//! OTLP traces through the binary: a load generator in this process sends spans over OTLP/gRPC to
//! `otelcol.receiver.otlp` → `otelcol.processor.batch` (defaults) → `otelcol.exporter.otlp` (defaults, gzip)
//! → a counting OTLP/gRPC sink in this process. For each rate: spans delivered per second, ingot's CPU as a
//! fraction of one core and spans per CPU-second (utime + stime from /proc/<pid>/stat over the measured
//! window, after a warm-up), peak resident memory (VmHWM), and the added latency (sink arrival minus the
//! span's end time, which the generator sets at send time).
//!
//! No OpenTelemetry Collector can be built here; its published load-test figures are printed beside as the
//! anchor: about 6-13% of a core and 71-100 MiB resident for 10,000 spans/s over OTLP gRPC.
//!
//! `cargo bench -p ingot --bench otel`. `INGOT_BENCH_SECONDS` (default 10) is each measured window;
//! `INGOT_BENCH_COMPRESSION` (default `gzip`, the exporter's default) the exporter's `compression`;
//! `INGOT_BENCH_RATES` (default `10000,100000`) the rates; the last rate runs with ingot pinned to one core
//! (`taskset -c 0`, when present).

use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ingot_otelcol::grpc::trace::trace_service_server::{TraceService, TraceServiceServer};
use ingot_otlp::proto::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use ingot_otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use ingot_otlp::proto::resource::v1::Resource;
use ingot_otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use ingot_testkit::{free_port, status_kib, Peer};
use prost::Message;

const BIN: &str = env!("CARGO_BIN_EXE_ingot");
const SPANS_PER_REQUEST: usize = 500;
const WARM_UP: Duration = Duration::from_secs(3);

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

#[derive(Default)]
struct Counts {
    spans: AtomicU64,
    latencies_ms: Mutex<Vec<f64>>,
}

#[derive(Clone)]
struct Sink(Arc<Counts>);

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        req: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let now = now_ns();
        let r = req.into_inner();
        let mut n = 0u64;
        let mut lat = Vec::new();
        for rs in &r.resource_spans {
            for ss in &rs.scope_spans {
                n += ss.spans.len() as u64;
                if let Some(s) = ss.spans.first() {
                    lat.push(now.saturating_sub(s.end_time_unix_nano) as f64 / 1e6);
                }
            }
        }
        self.0.spans.fetch_add(n, Ordering::Relaxed);
        self.0.latencies_ms.lock().unwrap().extend(lat);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

fn request(seq: u64) -> ExportTraceServiceRequest {
    let end = now_ns();
    let kv = |k: &str, v: &str| KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "bench"), kv("host.name", "bench-host")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "bench".into(),
                    ..Default::default()
                }),
                spans: (0..SPANS_PER_REQUEST as u64)
                    .map(|i| Span {
                        trace_id: (seq * 1_000_003 + i).to_be_bytes().repeat(2),
                        span_id: (i + 1).to_be_bytes().to_vec(),
                        name: "GET /api/orders/{id}".into(),
                        kind: 2,
                        start_time_unix_nano: end - 1_000_000,
                        end_time_unix_nano: end,
                        attributes: vec![
                            kv("http.method", "GET"),
                            kv("http.route", "/api/orders/{id}"),
                            kv("http.status_code", "200"),
                        ],
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn cpu(pid: u32) -> Duration {
    ingot_testkit::cost::cpu_time(pid)
}

struct Measured {
    rate: u64,
    delivered_per_s: f64,
    core_fraction: f64,
    spans_per_cpu_s: f64,
    peak_mib: f64,
    p50_ms: f64,
    p99_ms: f64,
    refused: u64,
}

fn run(rt: &tokio::runtime::Runtime, rate: u64, seconds: u64, pin: bool) -> Measured {
    let counts = Arc::new(Counts::default());
    let sink_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    {
        let sink = Sink(counts.clone());
        rt.spawn(async move {
            let _ = tonic::transport::Server::builder()
                .add_service(
                    TraceServiceServer::new(sink)
                        .accept_compressed(tonic::codec::CompressionEncoding::Gzip)
                        .max_decoding_message_size(64 << 20),
                )
                .serve(sink_addr)
                .await;
        });
    }
    let (grpc, api) = (free_port(), free_port());
    let compression = std::env::var("INGOT_BENCH_COMPRESSION").unwrap_or_else(|_| "gzip".into());
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
otelcol.receiver.otlp "in" {{
  grpc {{ endpoint = "127.0.0.1:{grpc}" }}
  output {{ traces = [otelcol.processor.batch.b.input] }}
}}
otelcol.processor.batch "b" {{
  output {{ traces = [otelcol.exporter.otlp.out.input] }}
}}
otelcol.exporter.otlp "out" {{
  client {{
    endpoint    = "{sink_addr}"
    compression = "{compression}"
    tls {{ insecure = true }}
  }}
}}
"#
    );
    std::fs::write(dir.path().join("config.alloy"), config).unwrap();
    let taskset = pin && Command::new("taskset").arg("-V").output().is_ok();
    let mut cmd = if taskset {
        let mut c = Command::new("taskset");
        c.args(["-c", "0", BIN]);
        c
    } else {
        Command::new(BIN)
    };
    cmd.arg("run")
        .arg(dir.path().join("config.alloy"))
        .arg(format!("--server.http.listen-addr=127.0.0.1:{api}"))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ));
    let mut peer = Peer::spawn("ingot", cmd, tempfile::tempdir().unwrap());
    peer.wait_for_ready(
        format!("127.0.0.1:{api}").parse().unwrap(),
        "/-/ready",
        Duration::from_secs(20),
    );
    let pid = peer.pid();

    // The generator: one request of 500 spans every 500/rate seconds, up to 512 in flight.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let refused = Arc::new(AtomicU64::new(0));
    let gen = {
        let stop = stop.clone();
        let refused = refused.clone();
        rt.spawn(async move {
            let channel =
                tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{grpc}"))
                    .unwrap()
                    .connect_lazy();
            let sem = Arc::new(tokio::sync::Semaphore::new(512));
            let every = Duration::from_secs_f64(SPANS_PER_REQUEST as f64 / rate as f64);
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut seq = 0u64;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                seq += 1;
                let body = bytes::Bytes::from(request(seq).encode_to_vec());
                let permit = sem.clone().acquire_owned().await.unwrap();
                let channel = channel.clone();
                let refused = refused.clone();
                tokio::spawn(async move {
                    let mut grpc = tonic::client::Grpc::new(channel);
                    if grpc.ready().await.is_ok() {
                        let path = http::uri::PathAndQuery::from_static(
                            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                        );
                        let r =
                            grpc
                                .unary(
                                    tonic::Request::new(body),
                                    path,
                                    ingot_otelcol::grpc::codec::RawCodec::<
                                        ExportTraceServiceResponse,
                                    >::default(),
                                )
                                .await;
                        if r.is_err() {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    drop(permit);
                });
            }
        })
    };
    std::thread::sleep(WARM_UP);
    let (c0, s0, t0) = (
        cpu(pid),
        counts.spans.load(Ordering::Relaxed),
        Instant::now(),
    );
    counts.latencies_ms.lock().unwrap().clear();
    std::thread::sleep(Duration::from_secs(seconds));
    let (c1, s1, elapsed) = (cpu(pid), counts.spans.load(Ordering::Relaxed), t0.elapsed());
    stop.store(true, Ordering::Relaxed);
    let _ = rt.block_on(gen);
    let peak_mib = status_kib(pid, "VmHWM") as f64 / 1024.0;
    let delivered = (s1 - s0) as f64;
    let cpu_s = (c1 - c0).as_secs_f64();
    let mut lat = counts.latencies_ms.lock().unwrap().clone();
    lat.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| {
        if lat.is_empty() {
            f64::NAN
        } else {
            lat[((lat.len() - 1) as f64 * p) as usize]
        }
    };
    drop(peer);
    Measured {
        rate,
        delivered_per_s: delivered / elapsed.as_secs_f64(),
        core_fraction: cpu_s / elapsed.as_secs_f64(),
        spans_per_cpu_s: delivered / cpu_s.max(1e-9),
        peak_mib,
        p50_ms: q(0.5),
        p99_ms: q(0.99),
        refused: refused.load(Ordering::Relaxed),
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let seconds: u64 = std::env::var("INGOT_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let rates: Vec<u64> = std::env::var("INGOT_BENCH_RATES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!("OTLP/gRPC traces: receiver -> batch -> otlp exporter (gzip) -> sink; {SPANS_PER_REQUEST} spans per request, {seconds}s windows");
    println!(
        "{:>10} {:>13} {:>10} {:>15} {:>10} {:>9} {:>9} {:>8}",
        "rate", "delivered/s", "core", "spans/CPU-s", "peak MiB", "p50 ms", "p99 ms", "refused"
    );
    let last = rates.len().saturating_sub(1);
    for (i, &rate) in rates.iter().enumerate() {
        let r = run(&rt, rate, seconds, i == last && rates.len() > 1);
        println!(
            "{:>10} {:>13.0} {:>9.1}% {:>15.0} {:>10.1} {:>9.1} {:>9.1} {:>8}{}",
            r.rate,
            r.delivered_per_s,
            r.core_fraction * 100.0,
            r.spans_per_cpu_s,
            r.peak_mib,
            r.p50_ms,
            r.p99_ms,
            r.refused,
            if i == last && rates.len() > 1 {
                "  (ingot pinned to one core)"
            } else {
                ""
            }
        );
    }
    println!("OpenTelemetry Collector (published load tests, 10,000 spans/s OTLP gRPC): 6-13% of a core, 71-100 MiB resident");
    println!("goals: 10,000 spans/s under 3% of a core and 30 MiB; 100,000 spans/s on one core; added latency <= batch timeout (200ms) + 20ms");
}
