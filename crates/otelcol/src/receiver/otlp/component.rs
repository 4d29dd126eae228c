//! The running `otelcol.receiver.otlp`: listeners bound when the component is built (so that a taken port
//! fails the load, as in Alloy), served once started; [`Shared`] is what both protocols' handlers use to
//! hand data to the `output` consumers.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use ingot_otlp::{ConsumeError, Data, Fanout};
use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_syntax::value::Value;
use tokio_util::sync::CancellationToken;

use super::args::Arguments;
use crate::conditions::ConditionLog;
use crate::config::server::{GrpcServer, HttpServer};
use crate::metrics::{otel_id, ReceiverCounts};

pub const NAME: &str = "otelcol.receiver.otlp";

/// How long a request waits for full consumers to take its data before it is answered "try again".
pub const FULL_WAIT: Duration = Duration::from_secs(2);
/// How long a request waits for consumers that store durably to say its data is stored.
pub const STORE_WAIT: Duration = Duration::from_secs(10);

/// Why a request's data was not taken: retryable (`Full`, 503 / UNAVAILABLE) or not (400 /
/// INVALID_ARGUMENT), with the reason.
#[derive(Debug)]
pub enum ForwardError {
    Retry(String),
    Permanent(String),
}

pub struct Shared {
    pub id: String,
    /// The collector's id, for the `receiver` label.
    pub otel_id: String,
    fanout: Fanout,
    pub http_counts: ReceiverCounts,
    pub grpc_counts: ReceiverCounts,
    conditions: ConditionLog,
    health: ingot_runtime::health::HealthReporter,
    listening: Mutex<Vec<String>>,
    failed: Mutex<Option<String>>,
    pub http_config: RwLock<Option<Arc<HttpServer>>>,
    /// Whether gRPC and HTTP are configured (what `debug_metrics` reports), set at the end of an update.
    protocols: Mutex<(bool, bool)>,
}

impl Shared {
    /// Hands `data` to the consumers, waiting a little while they are full, and then until durable
    /// consumers stored it. Counts the items as accepted or refused on `counts`.
    pub async fn forward(&self, data: Data, counts: &ReceiverCounts) -> Result<(), ForwardError> {
        let signal = data.signal();
        let items = data.items();
        let result = self.forward_inner(data, items).await;
        match &result {
            Ok(()) => {
                counts.accepted.add(signal, items);
                self.conditions.ok(&self.id);
            }
            Err(ForwardError::Retry(why)) | Err(ForwardError::Permanent(why)) => {
                counts.refused.add(signal, items);
                self.conditions.fail(
                    &self.id,
                    &format!("{} refused: {why}", signal.items().replace('_', " ")),
                    items,
                );
            }
        }
        result
    }

    /// Hands the request over (a single consumer such as the batch processor takes it without a copy);
    /// it comes back while the consumers are full.
    async fn forward_inner(&self, mut data: Data, items: usize) -> Result<(), ForwardError> {
        let signal = data.signal();
        let deadline = tokio::time::Instant::now() + FULL_WAIT;
        let (receipt, token) = ingot_otlp::receipt();
        loop {
            let error = match self.fanout.send_owned(data, Some(&token)) {
                Ok(refusals) => {
                    for (consumer, why) in refusals {
                        self.conditions.fail(
                            &self.id,
                            &format!("{consumer} refused {}: {why}", signal.as_str()),
                            items,
                        );
                    }
                    break;
                }
                Err((e, back)) => {
                    data = back;
                    e
                }
            };
            match error {
                ConsumeError::Full {
                    retry_after,
                    reason,
                } => {
                    let now = tokio::time::Instant::now();
                    if now >= deadline {
                        return Err(ForwardError::Retry(format!(
                            "the pipeline is full, try again later: {reason}"
                        )));
                    }
                    tokio::time::sleep(retry_after.min(deadline - now)).await;
                }
                ConsumeError::Overloaded(reason) => {
                    return Err(ForwardError::Retry(format!("try again later: {reason}")))
                }
                ConsumeError::Refused(reason) => return Err(ForwardError::Permanent(reason)),
            }
        }
        drop(token);
        match tokio::time::timeout(STORE_WAIT, receipt.stored()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ForwardError::Retry(format!("storing the data failed: {e}"))),
            Err(_) => Err(ForwardError::Retry(
                "the data was queued but not stored in time, try again".into(),
            )),
        }
    }

    fn refresh_health(&self) {
        if let Some(e) = self
            .failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            self.health.unhealthy(e);
            return;
        }
        let listening = self
            .listening
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join(", ");
        self.health.healthy(format!("listening on {listening}"));
    }
}

struct Servers {
    grpc: Option<(GrpcServer, Listener)>,
    http: Option<(HttpServer, Listener)>,
}

enum Listener {
    Bound(std::net::TcpListener),
    Running(CancellationToken),
    Stopped,
}

pub struct Component {
    ctx: Context,
    shared: Arc<Shared>,
    servers: Mutex<Servers>,
    started: Mutex<bool>,
}

/// Binds `endpoint` (`host:port`, `:port` for every interface).
pub fn bind(endpoint: &str) -> Result<(std::net::TcpListener, String), String> {
    let addr = if endpoint.starts_with(':') {
        format!("0.0.0.0{endpoint}")
    } else {
        endpoint.to_string()
    };
    ingot_http::bind_std(&addr).map_err(|e| format!("listen tcp {addr}: {e}"))
}

impl Component {
    fn start_grpc(&self, config: &GrpcServer, listener: std::net::TcpListener) -> Listener {
        let stop = self.ctx.shutdown.child_token();
        match super::grpc::serve(self.shared.clone(), config, listener, stop.clone()) {
            Ok(fut) => {
                self.ctx.tasks.spawn(fut);
                Listener::Running(stop)
            }
            Err(e) => {
                *self.shared.failed.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(format!("serving gRPC: {e}"));
                Listener::Stopped
            }
        }
    }

    fn start_http(&self, config: &HttpServer, listener: std::net::TcpListener) -> Listener {
        let stop = self.ctx.shutdown.child_token();
        match super::http::serve(self.shared.clone(), config, listener, stop.clone()) {
            Ok(fut) => {
                self.ctx.tasks.spawn(fut);
                Listener::Running(stop)
            }
            Err(e) => {
                *self.shared.failed.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(format!("serving HTTP: {e}"));
                Listener::Stopped
            }
        }
    }
}

fn stop(l: &mut Listener) {
    if let Listener::Running(t) = std::mem::replace(l, Listener::Stopped) {
        t.cancel();
    }
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;
    const LIVE_DEBUGGING: bool = true;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let mut listening = Vec::new();
        let mut servers = Servers {
            grpc: None,
            http: None,
        };
        // Under `ingot validate` nothing is bound: a running agent may hold the ports.
        if !ctx.validate_only {
            if let Some(g) = &args.grpc {
                let (l, addr) = bind(&g.endpoint)?;
                listening.push(format!("{addr} (gRPC)"));
                servers.grpc = Some((g.clone(), Listener::Bound(l)));
            }
            if let Some(h) = &args.http {
                let (l, addr) = bind(&h.endpoint)?;
                listening.push(format!("{addr} (HTTP)"));
                servers.http = Some((h.clone(), Listener::Bound(l)));
            }
        }
        for w in &args.warnings {
            tracing::warn!(component = %ctx.id, "{w}");
        }
        let shared = Arc::new(Shared {
            id: ctx.id.clone(),
            otel_id: otel_id("otlp", &ctx.id),
            fanout: Fanout::new(args.output.clone()),
            http_counts: ReceiverCounts::default(),
            grpc_counts: ReceiverCounts::default(),
            conditions: ConditionLog::default(),
            health: ctx.health.clone(),
            listening: Mutex::new(listening),
            failed: Mutex::new(None),
            http_config: RwLock::new(args.http.clone().map(Arc::new)),
            protocols: Mutex::new((args.grpc.is_some(), args.http.is_some())),
        });
        crate::livedebug::observe(&shared.fanout, &ctx.live_debugging);
        ctx.exports.init(Value::empty_object());
        Ok(Component {
            ctx,
            shared,
            servers: Mutex::new(servers),
            started: Mutex::new(false),
        })
    }

    fn start(self: &Arc<Self>) {
        *self.started.lock().unwrap_or_else(|e| e.into_inner()) = true;
        let mut servers = self.servers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((config, l)) = servers.grpc.as_mut() {
            if let Listener::Bound(listener) = std::mem::replace(l, Listener::Stopped) {
                *l = self.start_grpc(config, listener);
            }
        }
        if let Some((config, l)) = servers.http.as_mut() {
            if let Listener::Bound(listener) = std::mem::replace(l, Listener::Stopped) {
                *l = self.start_http(config, listener);
            }
        }
        drop(servers);
        self.shared.refresh_health();
        // A request held for a consumer that was full is offered again even when no request comes.
        let shared = self.shared.clone();
        let shutdown = self.ctx.shutdown.clone();
        self.ctx.tasks.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if shared.fanout.has_pending() {
                            for (consumer, why) in shared.fanout.retry_pending().0 {
                                shared.conditions.fail(&shared.id, &format!("{consumer} refused data: {why}"), 0);
                            }
                        }
                    }
                    _ = shutdown.cancelled() => break,
                }
            }
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        self.shared.fanout.set_outputs(args.output.clone());
        for w in &args.warnings {
            tracing::warn!(component = %self.ctx.id, "{w}");
        }
        let started = *self.started.lock().unwrap_or_else(|e| e.into_inner());
        let mut servers = self.servers.lock().unwrap_or_else(|e| e.into_inner());
        let mut listening = Vec::new();
        // A protocol whose block changed is stopped and started again with the new settings.
        let grpc_same = servers.grpc.as_ref().map(|(c, _)| c) == args.grpc.as_ref();
        if !grpc_same {
            if let Some((_, l)) = servers.grpc.as_mut() {
                stop(l);
            }
            servers.grpc = None;
            if let Some(g) = &args.grpc {
                let (l, _) = bind(&g.endpoint)?;
                let l = if started {
                    self.start_grpc(g, l)
                } else {
                    Listener::Bound(l)
                };
                servers.grpc = Some((g.clone(), l));
            }
        }
        let http_same = servers.http.as_ref().map(|(c, _)| c) == args.http.as_ref();
        if !http_same {
            if let Some((_, l)) = servers.http.as_mut() {
                stop(l);
            }
            servers.http = None;
            if let Some(h) = &args.http {
                let (l, _) = bind(&h.endpoint)?;
                let l = if started {
                    self.start_http(h, l)
                } else {
                    Listener::Bound(l)
                };
                servers.http = Some((h.clone(), l));
            }
            *self
                .shared
                .http_config
                .write()
                .unwrap_or_else(|e| e.into_inner()) = args.http.clone().map(Arc::new);
        }
        if let Some((g, _)) = &servers.grpc {
            listening.push(format!("{} (gRPC)", g.endpoint));
        }
        if let Some((h, _)) = &servers.http {
            listening.push(format!("{} (HTTP)", h.endpoint));
        }
        let protocols = (servers.grpc.is_some(), servers.http.is_some());
        drop(servers);
        *self
            .shared
            .protocols
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = protocols;
        *self
            .shared
            .listening
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = listening;
        self.shared.refresh_health();
        Ok(())
    }

    fn debug_info(&self) -> Option<Value> {
        let listening = self
            .shared
            .listening
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Some(Value::object([(
            "listening_on",
            Value::array(listening.into_iter().map(Value::string)),
        )]))
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let mut out = Vec::new();
        let (grpc, http) = *self
            .shared
            .protocols
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if grpc {
            self.shared
                .grpc_counts
                .samples(&self.shared.otel_id, "grpc", &mut out);
        }
        if http {
            self.shared
                .http_counts
                .samples(&self.shared.otel_id, "http", &mut out);
        }
        out
    }
}
