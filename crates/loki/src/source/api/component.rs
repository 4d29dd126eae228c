//! The running `loki.source.api`: its own HTTP listener (bound when the component is built, so that a taken
//! port fails the config load as in Alloy; served once started, with the `http` block's connection limit and
//! timeouts), the push and raw handlers, and `/ready`.
//!
//! A push is answered only once its entries are safe: every receiver took them and stored them (on disk
//! for `loki.write`), so that a 204 is never followed by a loss. When the receivers are full the handler
//! waits for room (bounded by the write timeout) and then answers 503, and the client sends again.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use ingot_common::relabel::Rules;
use ingot_logs::entry::{now_ns, now_us};
use ingot_logs::{AppendError, Entry, Fanout};
use ingot_prom::exposition::{Desc, MetricType};
use ingot_prom::labels::{Labels, LabelsBuilder};
use ingot_prom::relabel::{process_with, NameScheme, Scratch};
use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_syntax::value::Value;
use tokio_util::sync::CancellationToken;

use super::args::{Arguments, HttpServer};
use super::labels::parse_metric;
use super::request::{decode_push, raw_lines, too_large, Refusal};

pub const NAME: &str = "loki.source.api";

/// Alloy's label for the tenant a push names in `X-Scope-OrgID` (`loki.write` sends it as the tenant).
const TENANT_LABEL: &str = "__tenant_id__";

/// Requests whose bodies are read and held at once; more wait for a turn before their bodies are read.
const MAX_REQUESTS_IN_FLIGHT: usize = 8;
/// Requests decoded at once (decoding is CPU and memory).
const MAX_DECODING: usize = 2;

static ENTRIES_WRITTEN: Desc = Desc::new(
    "loki_source_api_entries_written",
    "Total number of entries written.",
    MetricType::Counter,
    &[],
);
static REQUESTS: Desc = Desc::new(
    "loki_source_api_requests_total",
    "Push and raw requests served, by route and status code.",
    MetricType::Counter,
    &["route", "status_code"],
);

/// What the handlers read of the arguments; replaced whole on update.
struct LogsConfig {
    labels: BTreeMap<String, String>,
    rules: Rules,
    use_incoming_timestamp: bool,
    max_size: usize,
    /// How long a push may wait for room in its receivers and for them to store its entries.
    wait: Duration,
}

impl LogsConfig {
    fn of(args: &Arguments) -> LogsConfig {
        let wait = args
            .http
            .limits
            .write_timeout
            .map_or(Duration::from_secs(25), |t| {
                t.saturating_sub(Duration::from_secs(1))
                    .max(Duration::from_millis(500))
            });
        LogsConfig {
            labels: args.labels.clone(),
            rules: args.relabel_rules.clone(),
            use_incoming_timestamp: args.use_incoming_timestamp,
            max_size: usize::try_from(args.max_send_message_size).unwrap_or(usize::MAX),
            wait,
        }
    }
}

struct Shared {
    id: String,
    health: ingot_runtime::health::HealthReporter,
    fanout: Fanout,
    config: RwLock<Arc<LogsConfig>>,
    entries_written: AtomicU64,
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    listening: Mutex<Result<String, String>>,
    last_forward_error: Mutex<Option<String>>,
    in_flight: tokio::sync::Semaphore,
    decoding: tokio::sync::Semaphore,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn config(&self) -> Arc<LogsConfig> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn count(&self, route: &'static str, status: u16) {
        *lock(&self.requests).entry((route, status)).or_default() += 1;
    }

    fn refresh_health(&self) {
        let listening = lock(&self.listening).clone();
        match (listening, lock(&self.last_forward_error).clone()) {
            (Err(e), _) => self.health.unhealthy(e),
            (Ok(addr), Some(e)) => self
                .health
                .unhealthy(format!("listening on {addr}; forwarding failed: {e}")),
            (Ok(addr), None) => self.health.healthy(format!("listening on {addr}")),
        }
    }

    fn forward_result(&self, error: Option<String>) {
        let changed = {
            let mut last = lock(&self.last_forward_error);
            let changed = *last != error;
            *last = error;
            changed
        };
        if changed {
            self.refresh_health();
        }
    }

    /// Hands `entries` to the receivers and waits (within the config's bound) until they are stored.
    async fn forward(&self, entries: Vec<Entry>, wait: Duration) -> Result<(), (u16, String)> {
        let deadline = tokio::time::Instant::now() + wait;
        let (receipt, token) = ingot_logs::receipt();
        loop {
            match self.fanout.send(&entries, Some(&token)) {
                Ok(refusals) => {
                    for (receiver, why) in refusals {
                        tracing::warn!(component = %self.id, receiver = %receiver, "entries dropped: the receiver refused them: {why}");
                    }
                    break;
                }
                Err(AppendError::Full {
                    retry_after,
                    reason,
                }) => {
                    if tokio::time::Instant::now() + retry_after > deadline {
                        return Err((503, format!("the receivers are full, try again: {reason}")));
                    }
                    tokio::time::sleep(retry_after).await;
                }
                Err(AppendError::Refused(reason)) => {
                    let msg = format!("the receivers refused the entries: {reason}");
                    self.forward_result(Some(msg.clone()));
                    return Err((500, msg));
                }
            }
        }
        drop(token);
        match tokio::time::timeout_at(deadline, receipt.stored()).await {
            Ok(Ok(())) => {
                self.forward_result(None);
                self.entries_written
                    .fetch_add(entries.len() as u64, Ordering::Relaxed);
                Ok(())
            }
            Ok(Err(e)) => {
                let msg = format!("storing the entries failed: {e}");
                self.forward_result(Some(msg.clone()));
                Err((500, msg))
            }
            Err(_) => Err((
                503,
                "the receivers took the entries but did not store them in time, try again".into(),
            )),
        }
    }
}

/// The entries of a decoded push, labelled and relabelled as Alloy's `lokiRoute.Logs` does, and the last
/// stream error (Alloy forwards the good streams and answers 400 with it).
fn push_entries(
    streams: Vec<crate::push::PushStream>,
    config: &LogsConfig,
    tenant: &str,
) -> (Vec<Entry>, Option<String>) {
    let created = now_us();
    let mut last_err = None;
    let mut out = Vec::new();
    let mut scratch = Scratch::default();
    for stream in streams {
        let labels = match parse_metric(&stream.labels) {
            Ok(l) => l,
            Err(e) => {
                last_err = Some(e);
                continue;
            }
        };
        let mut lb = labels.to_builder();
        for (k, v) in &config.labels {
            lb.set(k, v);
        }
        let keep = process_with(&config.rules.0, &mut lb, &mut scratch, NameScheme::Legacy);
        let processed = lb.labels();
        if !keep || processed.is_empty() {
            continue;
        }
        let mut filtered = LabelsBuilder::new();
        for (n, v) in processed.iter() {
            if !n.starts_with("__") {
                filtered.push_unchecked(n, v);
            }
        }
        if !tenant.is_empty() {
            filtered.set(TENANT_LABEL, tenant);
        }
        let filtered = filtered.labels();
        for e in stream.entries {
            out.push(Entry {
                labels: filtered.clone(),
                timestamp_ns: if config.use_incoming_timestamp {
                    e.timestamp_ns
                } else {
                    now_ns()
                },
                line: e.line,
                structured_metadata: e.structured_metadata,
                created_us: created,
            });
        }
    }
    (out, last_err)
}

/// The tenant a request names (dskit's `tenant.TenantID`: one org id; more than one, joined by `|`, is
/// none).
fn tenant_of(headers: &HeaderMap) -> String {
    let id = headers
        .get("X-Scope-OrgID")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim();
    if id.contains('|') {
        String::new()
    } else {
        id.to_string()
    }
}

fn reply(status: u16, msg: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status == 204 {
        return code.into_response();
    }
    let mut r = (code, format!("{msg}\n")).into_response();
    if status == 503 {
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    r
}

/// Reads the body within the size bound (413 past it).
async fn read_body(
    shared: &Shared,
    headers: &HeaderMap,
    body: Body,
    max: usize,
) -> Result<axum::body::Bytes, Refusal> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared.filter(|&l| l > max as u64) {
        return Err(too_large(len as usize, max));
    }
    let _turn = shared.in_flight.acquire().await;
    match axum::body::to_bytes(body, max).await {
        Ok(b) => Ok(b),
        Err(e) if is_length_limit(&e) => Err(too_large(max + 1, max)),
        Err(e) => Err(Refusal {
            status: 400,
            message: format!("reading the request body: {e}"),
        }),
    }
}

async fn push(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    let config = shared.config();
    let (status, msg) = push_inner(&shared, &config, &headers, body).await;
    shared.count("push", status);
    if status >= 400 {
        tracing::warn!(component = %shared.id, status, "failed to parse request: {msg}");
    }
    reply(status, &msg)
}

async fn push_inner(
    shared: &Arc<Shared>,
    config: &Arc<LogsConfig>,
    headers: &HeaderMap,
    body: Body,
) -> (u16, String) {
    let bytes = match read_body(shared, headers, body, config.max_size).await {
        Ok(b) => b,
        Err(r) => return (r.status, r.message),
    };
    let header = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header(header::CONTENT_TYPE);
    let content_encoding = header(header::CONTENT_ENCODING);
    let tenant = tenant_of(headers);
    let decoded = {
        let _turn = shared.decoding.acquire().await;
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            decode_push(
                content_type.as_deref(),
                content_encoding.as_deref(),
                &bytes,
                config.max_size,
            )
            .map(|streams| push_entries(streams, &config, &tenant))
        })
        .await
    };
    let (entries, stream_error) = match decoded {
        Ok(Ok(d)) => d,
        Ok(Err(r)) => return (r.status, r.message),
        Err(e) => return (500, format!("internal error: {e}")),
    };
    if !entries.is_empty() {
        if let Err((status, msg)) = shared.forward(entries, config.wait).await {
            return (status, msg);
        }
    }
    match stream_error {
        Some(e) => (400, e),
        None => (204, String::new()),
    }
}

async fn raw(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    let config = shared.config();
    let (status, msg) = match read_body(&shared, &headers, body, config.max_size).await {
        Err(r) => (r.status, r.message),
        Ok(bytes) => {
            let created = now_us();
            let labels: Vec<(&str, &str)> = config
                .labels
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let labels = Labels::from_pairs(&labels);
            let entries: Vec<Entry> = raw_lines(&bytes)
                .into_iter()
                .map(|line| Entry {
                    labels: labels.clone(),
                    timestamp_ns: now_ns(),
                    line,
                    structured_metadata: Vec::new(),
                    created_us: created,
                })
                .collect();
            if entries.is_empty() {
                (204, String::new())
            } else {
                match shared.forward(entries, config.wait).await {
                    Ok(()) => (204, String::new()),
                    Err((s, m)) => (s, m),
                }
            }
        }
    };
    shared.count("raw", status);
    reply(status, &msg)
}

async fn ready() -> &'static str {
    "ready"
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
    http.0.bind("failed to create embedded server")
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
            .route("/loki/api/v1/push", post(push))
            .route("/api/v1/push", post(push))
            .route("/loki/api/v1/raw", post(raw))
            .route("/api/v1/raw", post(raw))
            .route("/ready", get(ready))
            .with_state(self.shared.clone());
        let limits = lock(&self.args).http.limits;
        self.ctx
            .tasks
            .spawn(ingot_http::serve(listener, app, limits, stop.clone()));
        Server::Running(stop)
    }
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

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
        for w in &args.warnings {
            tracing::warn!(component = %ctx.id, "{w}");
        }
        let shared = Arc::new(Shared {
            id: ctx.id.clone(),
            health: ctx.health.clone(),
            fanout: Fanout::new(args.forward_to.iter().map(|r| r.0.clone()).collect()),
            config: RwLock::new(Arc::new(LogsConfig::of(&args))),
            entries_written: AtomicU64::new(0),
            requests: Mutex::new(BTreeMap::new()),
            listening: Mutex::new(addr),
            last_forward_error: Mutex::new(None),
            in_flight: tokio::sync::Semaphore::new(MAX_REQUESTS_IN_FLIGHT),
            decoding: tokio::sync::Semaphore::new(MAX_DECODING),
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
        // A batch held for a receiver that was full is offered again even when no request comes.
        let shared = self.shared.clone();
        let shutdown = self.ctx.shutdown.clone();
        self.ctx.tasks.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if shared.fanout.has_pending() {
                            let _ = shared.fanout.retry_pending();
                        }
                    }
                    _ = shutdown.cancelled() => break,
                }
            }
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        self.shared
            .fanout
            .set_receivers(args.forward_to.iter().map(|r| r.0.clone()).collect());
        *self
            .shared
            .config
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(LogsConfig::of(&args));
        for w in &args.warnings {
            tracing::warn!(component = %self.ctx.id, "{w}");
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
                    *current = args;
                    drop(current);
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
        } else {
            *current = args;
        }
        self.shared.refresh_health();
        Ok(())
    }

    fn debug_info(&self) -> Option<Value> {
        let mut fields: Vec<(&str, Value)> = Vec::new();
        if let Ok(addr) = lock(&self.shared.listening).as_ref() {
            fields.push(("listening_on", Value::string(addr.as_str())));
        }
        fields.push((
            "entries_written",
            Value::uint(self.shared.entries_written.load(Ordering::Relaxed)),
        ));
        let requests = lock(&self.shared.requests).clone();
        fields.push((
            "requests",
            Value::object(
                requests
                    .into_iter()
                    .map(|((route, code), n)| (format!("{route} {code}"), Value::uint(n))),
            ),
        ));
        Some(Value::object(fields))
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let none: [&str; 0] = [];
        let mut out = vec![DebugMetric::new(
            &ENTRIES_WRITTEN,
            none,
            self.shared.entries_written.load(Ordering::Relaxed) as f64,
        )];
        for ((route, code), n) in lock(&self.shared.requests).iter() {
            out.push(DebugMetric::new(
                &REQUESTS,
                [route.to_string(), code.to_string()],
                *n as f64,
            ));
        }
        out
    }
}
