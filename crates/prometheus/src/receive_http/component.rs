//! The running `prometheus.receive_http`: its own HTTP listener (bound when the component is built, so a
//! taken port fails the config load as in Alloy; served once started), the write handler, and the
//! liveness checks.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use ingot_prom::exposition::{
    Desc,
    MetricType::{Counter, Gauge},
};
use ingot_prom::remote_write::Protocol;
use ingot_prom::sample::{fan_out, Batch, Receiver, Sample};
use ingot_runtime::component::{
    ComponentType, Context, DebugMetric, HttpReply, HttpRequest, HttpResponse, Stability,
};
use ingot_syntax::value::Value;
use tokio_util::sync::CancellationToken;

use super::args::{describe, Arguments, HttpServer};
use super::decode::{decode_request, MAX_BODY_BYTES};
use super::liveness::{State as HostState, Tracker};

pub const NAME: &str = "prometheus.receive_http";

/// Alloy's (Prometheus') write path.
pub const WRITE_PATH: &str = "/api/v1/metrics/write";

/// Requests whose bodies are read and held at once; more wait for a turn before their bodies are read, so
/// memory for bodies stays within this many times [`MAX_BODY_BYTES`].
const MAX_REQUESTS_IN_FLIGHT: usize = 16;

/// Hosts the debug page lists in full (down ones first); the others are counted.
const DEBUG_HOSTS_SHOWN: usize = 100;

/// Requests decoded at once (decoding is CPU and memory: the decompressed message and its structs).
const MAX_DECODING: usize = 2;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

// The component's own metrics, served on `/metrics`.
static REQUESTS: Desc = Desc::new(
    "prometheus_receive_http_requests_total",
    "Write requests served, by status code.",
    Counter,
    &["status_code"],
);
static SAMPLES_RECEIVED: Desc = Desc::new(
    "prometheus_receive_http_samples_received_total",
    "Samples received in write requests.",
    Counter,
    &[],
);
static SAMPLES_FORWARDED: Desc = Desc::new(
    "prometheus_forwarded_samples_total",
    "Total number of samples sent to downstream components.",
    Counter,
    &[],
);
static EXEMPLARS_DROPPED: Desc = Desc::new(
    "prometheus_receive_http_exemplars_dropped_total",
    "Exemplars received and not forwarded (ingot does not forward exemplars yet).",
    Counter,
    &[],
);
static LIVENESS_HOSTS: Desc = Desc::new(
    "prometheus_receive_http_liveness_hosts",
    "Pushing hosts known to the liveness tracker, by state.",
    Gauge,
    &["state"],
);
static LIVENESS_LAST_SEEN: Desc = Desc::new(
    "prometheus_receive_http_liveness_last_seen_timestamp_seconds",
    "When the relay last received a sample of the host (relay clock).",
    Gauge,
    &["job", "instance"],
);
static LIVENESS_TRANSITIONS: Desc = Desc::new(
    "prometheus_receive_http_liveness_transitions_total",
    "Hosts that went down, came back up, or stopped cleanly.",
    Counter,
    &["to"],
);
static LIVENESS_FORGOTTEN: Desc = Desc::new(
    "prometheus_receive_http_liveness_hosts_forgotten_total",
    "Hosts forgotten after forget_after.",
    Counter,
    &[],
);
static LIVENESS_UP_WRITTEN: Desc = Desc::new(
    "prometheus_receive_http_liveness_up_samples_written_total",
    "up samples the relay wrote for pushing hosts.",
    Counter,
    &[],
);

/// The counters behind the metrics above (the liveness ones are the tracker's).
#[derive(Default)]
struct Metrics {
    requests: Mutex<BTreeMap<u16, u64>>,
    samples_received: AtomicU64,
    samples_forwarded: AtomicU64,
    exemplars_dropped: AtomicU64,
}

struct Shared {
    id: String,
    health: ingot_runtime::health::HealthReporter,
    receivers: RwLock<Vec<Receiver>>,
    accepted: RwLock<Vec<Protocol>>,
    /// `Some` with a `liveness` block. Its lock also orders the `up` samples it writes: they are appended
    /// while it is held, so they reach `forward_to` in timestamp order.
    liveness: Mutex<Option<Tracker>>,
    metrics: Metrics,
    listening: Mutex<Result<String, String>>,
    forward_failed: AtomicBool,
    last_forward_error: Mutex<String>,
    /// Turns to read a body ([`MAX_REQUESTS_IN_FLIGHT`]) and to decode one ([`MAX_DECODING`]).
    in_flight: tokio::sync::Semaphore,
    decoding: tokio::sync::Semaphore,
    /// ingot's addition: Alloy's receive_http publishes nothing to live debugging.
    debug: ingot_runtime::livedebugging::Publisher,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn receivers(&self) -> Vec<Receiver> {
        self.receivers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Decodes, notes liveness, forwards; the HTTP status and body to answer with.
    fn handle(
        &self,
        content_type: Option<&str>,
        content_encoding: Option<&str>,
        body: &[u8],
    ) -> (u16, String) {
        let accepted = self
            .accepted
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let decoded = match decode_request(content_type, content_encoding, body, &accepted) {
            Ok(d) => d,
            Err(r) => return (r.status, r.reason),
        };
        let now = now_ms();
        let mut samples = decoded.samples;
        self.metrics
            .samples_received
            .fetch_add(samples.len() as u64, Ordering::Relaxed);
        self.metrics
            .exemplars_dropped
            .fetch_add(decoded.exemplars_dropped as u64, Ordering::Relaxed);
        let receivers = self.receivers();
        let mut errors = Vec::new();
        let mut forwarded = 0;
        {
            let mut liveness = lock(&self.liveness);
            if let Some(t) = liveness.as_mut() {
                let ups = t.observe(&mut samples, now);
                let (n, e) = forward(&self.debug, &receivers, ups);
                forwarded += n;
                errors.extend(e);
            }
        }
        let (n, e) = forward(&self.debug, &receivers, samples);
        forwarded += n;
        errors.extend(e);
        self.metrics
            .samples_forwarded
            .fetch_add(forwarded as u64, Ordering::Relaxed);
        if errors.is_empty() {
            if self.forward_failed.swap(false, Ordering::Relaxed) {
                self.refresh_health();
            }
            (204, String::new())
        } else {
            let msg = errors.join("; ");
            *lock(&self.last_forward_error) = msg.clone();
            self.forward_failed.store(true, Ordering::Relaxed);
            self.refresh_health();
            (500, msg)
        }
    }

    /// `POST <component>/liveness/forget?job=...&instance=...`: decommissions a host (see
    /// [`Tracker::forget`]).
    fn forget(&self, query: Option<&str>) -> (u16, String) {
        let (mut job, mut instance) = (None, None);
        for pair in query.unwrap_or("").split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            match k {
                "job" => job = Some(v),
                "instance" => instance = Some(v),
                _ => {}
            }
        }
        let (Some(job), Some(instance)) = (job, instance) else {
            return (
                400,
                "name the host: POST liveness/forget?job=<job>&instance=<instance>\n".into(),
            );
        };
        let receivers = self.receivers();
        let forgotten = {
            let mut liveness = lock(&self.liveness);
            let Some(t) = liveness.as_mut() else {
                return (404, "this receiver has no liveness block\n".into());
            };
            let Some(out) = t.forget(&job, &instance, now_ms()) else {
                return (
                    404,
                    format!("no host with job={job:?} instance={instance:?} is known\n"),
                );
            };
            forward(&self.debug, &receivers, out).1
        };
        tracing::info!(component = %self.id, job = %job, instance = %instance, "host decommissioned: its up ends and the relay forgets it");
        if forgotten.is_empty() {
            (
                200,
                format!("forgot job={job:?} instance={instance:?}: its up ended\n"),
            )
        } else {
            (
                500,
                format!("forgot job={job:?} instance={instance:?}, but writing the end of its up failed: {}\n", forgotten.join("; ")),
            )
        }
    }

    /// The periodic liveness check.
    fn check(&self) {
        let receivers = self.receivers();
        let errors = {
            let mut liveness = lock(&self.liveness);
            let Some(t) = liveness.as_mut() else { return };
            let out = t.check(now_ms());
            forward(&self.debug, &receivers, out).1
        };
        if !errors.is_empty() {
            tracing::warn!(component = %self.id, "writing up samples: {}", errors.join("; "));
        }
        self.refresh_health();
    }

    fn refresh_health(&self) {
        let listening = lock(&self.listening).clone();
        let addr = match listening {
            Ok(a) => a,
            Err(e) => {
                self.health.unhealthy(e);
                return;
            }
        };
        if self.forward_failed.load(Ordering::Relaxed) {
            self.health.unhealthy(format!(
                "listening on {addr}; forwarding failed: {}",
                lock(&self.last_forward_error)
            ));
            return;
        }
        let summary = lock(&self.liveness).as_ref().map(|t| {
            format!(
                "; liveness: {} hosts known, {} up, {} down, {} stopped",
                t.hosts().len(),
                t.count(HostState::Up),
                t.count(HostState::Down),
                t.count(HostState::Stopped)
            )
        });
        self.health.healthy(format!(
            "listening on {addr}{}",
            summary.unwrap_or_default()
        ));
    }
}

/// `%XX` and `+` in a query value, as Go's `url.QueryUnescape`; an undecodable escape stays as written.
fn percent_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let escaped = (b[i] == b'%')
            .then(|| Some(hex(*b.get(i + 1)?)? << 4 | hex(*b.get(i + 2)?)?))
            .flatten();
        match (b[i], escaped) {
            (_, Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (c, None) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Appends `samples` to every receiver: how many were forwarded and each refusal as a message.
fn forward(
    debug: &ingot_runtime::livedebugging::Publisher,
    receivers: &[Receiver],
    samples: Vec<Sample>,
) -> (usize, Vec<String>) {
    if samples.is_empty() {
        return (0, Vec::new());
    }
    // Each sample received, in the words of Alloy's remote_write interceptor.
    crate::livedebug::publish_samples(debug, &samples);
    let n = samples.len();
    let batch = Batch {
        samples,
        metadata: Vec::new(),
        target_metadata: None,
    };
    let errors: Vec<String> = fan_out(receivers, &batch)
        .into_iter()
        .map(|(name, e)| format!("{name}: {e}"))
        .collect();
    (n, errors)
}

enum Server {
    /// Bound, not yet serving (between build and start).
    Bound(std::net::TcpListener),
    Running(CancellationToken),
    Stopped,
}

pub struct Component {
    ctx: Context,
    shared: Arc<Shared>,
    args: Mutex<Arguments>,
    server: Mutex<Server>,
}

fn bind(http: &HttpServer) -> Result<(std::net::TcpListener, String), String> {
    http.0.bind("failed to create server")
}

impl Component {
    fn serve(&self, listener: std::net::TcpListener) -> Server {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                *lock(&self.shared.listening) = Err(format!("serving: {e}"));
                self.shared.refresh_health();
                return Server::Stopped;
            }
        };
        let stop = self.ctx.shutdown.child_token();
        let app = Router::new()
            .route(WRITE_PATH, post(write))
            .with_state(self.shared.clone());
        let limits = lock(&self.args).http.limits;
        self.ctx
            .tasks
            .spawn(ingot_http::serve(listener, app, limits, stop.clone()));
        Server::Running(stop)
    }
}

async fn write(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    let header = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header(header::CONTENT_TYPE);
    let content_encoding = header(header::CONTENT_ENCODING);
    let too_large = || {
        (
            413,
            format!("request body over {MAX_BODY_BYTES} bytes, the receiver's limit"),
        )
    };
    let declared = header(header::CONTENT_LENGTH).and_then(|l| l.parse::<u64>().ok());
    let (status, msg) = if declared.is_some_and(|l| l > MAX_BODY_BYTES as u64) {
        too_large()
    } else {
        // A turn to hold a body, then one to decode it: memory stays bounded however many send at once.
        let _reading = shared.in_flight.acquire().await;
        match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
            Err(e) if is_length_limit(&e) => too_large(),
            Err(e) => (400, format!("reading the request body: {e}")),
            Ok(bytes) => {
                let _decoding = shared.decoding.acquire().await;
                let s = shared.clone();
                tokio::task::spawn_blocking(move || {
                    s.handle(content_type.as_deref(), content_encoding.as_deref(), &bytes)
                })
                .await
                .unwrap_or_else(|e| (500, format!("internal error: {e}")))
            }
        }
    };
    *lock(&shared.metrics.requests).entry(status).or_default() += 1;
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status == 204 {
        code.into_response()
    } else {
        (code, format!("{msg}\n")).into_response()
    }
}

/// Whether reading a body failed on its length limit (a chunked body that grew past it).
fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.to_string().contains("length limit exceeded") {
            return true;
        }
        source = s.source();
    }
    false
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;
    /// An addition to Alloy, whose receive_http refuses debug streams: a relay's incoming samples are
    /// what its operator most wants to see.
    const LIVE_DEBUGGING: bool = true;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        // Under `ingot validate` nothing is bound: a running agent may hold the port.
        let (server, addr) = if ctx.validate_only {
            (
                Server::Stopped,
                Err("not listening: validating only".to_string()),
            )
        } else {
            let (listener, addr) = bind(&args.http)?;
            (Server::Bound(listener), Ok(addr))
        };
        let shared = Arc::new(Shared {
            id: ctx.id.clone(),
            health: ctx.health.clone(),
            receivers: RwLock::new(args.forward_to.iter().map(|r| r.0.clone()).collect()),
            accepted: RwLock::new(args.accepted.clone()),
            liveness: Mutex::new(args.liveness.clone().map(Tracker::new)),
            metrics: Metrics::default(),
            listening: Mutex::new(addr),
            forward_failed: AtomicBool::new(false),
            last_forward_error: Mutex::new(String::new()),
            in_flight: tokio::sync::Semaphore::new(MAX_REQUESTS_IN_FLIGHT),
            decoding: tokio::sync::Semaphore::new(MAX_DECODING),
            debug: ctx.live_debugging.clone(),
        });
        ctx.exports.init(Value::empty_object());
        Ok(Component {
            ctx,
            shared,
            args: Mutex::new(args),
            server: Mutex::new(server),
        })
    }

    fn start(self: &Arc<Self>) {
        {
            let mut server = lock(&self.server);
            if let Server::Bound(l) = std::mem::replace(&mut *server, Server::Stopped) {
                *server = self.serve(l);
            }
        }
        self.shared.refresh_health();
        let shared = self.shared.clone();
        let shutdown = self.ctx.shutdown.clone();
        self.ctx.tasks.spawn(async move {
            loop {
                let interval = lock(&shared.liveness)
                    .as_ref()
                    .map(|t| t.config().check_interval)
                    .unwrap_or(Duration::from_secs(1));
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = shutdown.cancelled() => break,
                }
                let s = shared.clone();
                let _ = tokio::task::spawn_blocking(move || s.check()).await;
            }
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        *self
            .shared
            .receivers
            .write()
            .unwrap_or_else(|e| e.into_inner()) =
            args.forward_to.iter().map(|r| r.0.clone()).collect();
        *self
            .shared
            .accepted
            .write()
            .unwrap_or_else(|e| e.into_inner()) = args.accepted.clone();
        {
            let mut liveness = lock(&self.shared.liveness);
            match (liveness.as_mut(), &args.liveness) {
                (Some(t), Some(c)) => t.set_config(c.clone()),
                (None, Some(c)) => *liveness = Some(Tracker::new(c.clone())),
                (_, None) => *liveness = None,
            }
        }
        let mut current = lock(&self.args);
        if current.http != args.http {
            let mut server = lock(&self.server);
            let started = !matches!(*server, Server::Bound(_));
            if let Server::Running(stop) = std::mem::replace(&mut *server, Server::Stopped) {
                stop.cancel();
            }
            match bind(&args.http) {
                Ok((l, addr)) => {
                    *lock(&self.shared.listening) = Ok(addr);
                    *server = if started {
                        self.serve(l)
                    } else {
                        Server::Bound(l)
                    };
                }
                Err(e) => {
                    *lock(&self.shared.listening) = Err(e.clone());
                    drop(server);
                    self.shared.refresh_health();
                    return Err(e);
                }
            }
        }
        *current = args;
        drop(current);
        self.shared.refresh_health();
        Ok(())
    }

    fn http(self: &Arc<Self>, request: HttpRequest<'_>) -> Option<HttpReply> {
        if request.path != "/liveness/forget" {
            return None;
        }
        if request.method != "POST" {
            return Some(HttpResponse::text(405, "use POST\n").into());
        }
        let (status, body) = self.shared.forget(request.query);
        Some(HttpResponse::text(status, body).into())
    }

    fn debug_info(&self) -> Option<Value> {
        let args = lock(&self.args).clone();
        let mut fields: Vec<(&str, Value)> = vec![("arguments", describe(&args))];
        if let Ok(addr) = lock(&self.shared.listening).as_ref() {
            fields.push(("listening_on", Value::string(addr.as_str())));
        }
        let requests = lock(&self.shared.metrics.requests).clone();
        fields.push((
            "requests",
            Value::object(
                requests
                    .into_iter()
                    .map(|(code, n)| (code.to_string(), Value::uint(n))),
            ),
        ));
        // A bounded copy, taken in one scan under the lock; the page is built after it is released, so
        // reading it never holds up deliveries.
        let summary = lock(&self.shared.liveness)
            .as_ref()
            .map(|t| t.summary(DEBUG_HOSTS_SHOWN));
        if let Some(s) = summary {
            let now = now_ms();
            let hosts = s.shown.iter().map(|h| {
                Value::object([
                    ("job", Value::string(h.job.as_str())),
                    ("instance", Value::string(h.instance.as_str())),
                    ("state", Value::string(h.state.as_str())),
                    ("last_seen", Value::string(rfc3339(h.last_seen_ms))),
                    (
                        "seconds_since_last_seen",
                        Value::float((now - h.last_seen_ms) as f64 / 1000.0),
                    ),
                    (
                        // How far behind the host's newest delivered sample was when it last delivered.
                        "delivery_lag_seconds",
                        Value::float((h.last_seen_ms - h.newest_sample_ms).max(0) as f64 / 1000.0),
                    ),
                    ("state_since", Value::string(rfc3339(h.since_ms))),
                    ("up_labels", Value::string(h.up_labels.to_string())),
                ])
            });
            let known = s.up + s.down + s.stopped;
            fields.push((
                "liveness",
                Value::object([
                    ("hosts_known", Value::uint(known as u64)),
                    ("hosts_up", Value::uint(s.up as u64)),
                    ("hosts_down", Value::uint(s.down as u64)),
                    ("hosts_stopped", Value::uint(s.stopped as u64)),
                    ("hosts_shown", Value::uint(s.shown.len() as u64)),
                    ("hosts", Value::array(hosts)),
                ]),
            ));
        }
        Some(Value::object(fields))
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let m = &self.shared.metrics;
        let none: [&str; 0] = [];
        let mut out = Vec::new();
        for (code, n) in lock(&m.requests).iter() {
            out.push(DebugMetric::new(&REQUESTS, [code.to_string()], *n as f64));
        }
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
        out.push(DebugMetric::new(
            &SAMPLES_RECEIVED,
            none,
            load(&m.samples_received),
        ));
        out.push(DebugMetric::new(
            &SAMPLES_FORWARDED,
            none,
            load(&m.samples_forwarded),
        ));
        out.push(DebugMetric::new(
            &EXEMPLARS_DROPPED,
            none,
            load(&m.exemplars_dropped),
        ));
        // Copied in one scan under the lock (no sorting: the writer sorts), then turned into metrics.
        let copied = lock(&self.shared.liveness).as_ref().map(|t| {
            let seen: Vec<(String, String, i64)> = t
                .host_iter()
                .map(|h| (h.job.clone(), h.instance.clone(), h.last_seen_ms))
                .collect();
            let counts =
                [HostState::Up, HostState::Down, HostState::Stopped].map(|s| (s, t.count(s)));
            (seen, counts, t.counters())
        });
        if let Some((seen, counts, c)) = copied {
            for (state, n) in counts {
                out.push(DebugMetric::new(
                    &LIVENESS_HOSTS,
                    [state.as_str()],
                    n as f64,
                ));
            }
            for (job, instance, last_seen_ms) in &seen {
                out.push(DebugMetric::new(
                    &LIVENESS_LAST_SEEN,
                    [job.as_str(), instance.as_str()],
                    *last_seen_ms as f64 / 1000.0,
                ));
            }
            for (to, n) in [
                ("down", c.went_down),
                ("up", c.came_back),
                ("stopped", c.stopped),
            ] {
                out.push(DebugMetric::new(&LIVENESS_TRANSITIONS, [to], n as f64));
            }
            out.push(DebugMetric::new(
                &LIVENESS_FORGOTTEN,
                none,
                c.forgotten as f64,
            ));
            out.push(DebugMetric::new(
                &LIVENESS_UP_WRITTEN,
                none,
                c.up_samples_written as f64,
            ));
        }
        out
    }
}

fn rfc3339(ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}
