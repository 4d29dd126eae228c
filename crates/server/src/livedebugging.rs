//! Live debugging: the `livedebugging` block and the web API's two streams, as Alloy serves them.
//!
//! - `<prefix>/api/v0/web/debug/<id>?sampleProb=<0..1>`: what component `<id>` publishes, one item after
//!   another, each followed by `|;|`. Refused (500, Alloy's words) while `livedebugging.enabled` is
//!   false, for an unknown id, a config block, or a component type that publishes nothing.
//! - `<prefix>/api/v0/web/graph[/<moduleID>]?window=<1..60>`: every `window` seconds, a JSON array of
//!   `{"componentID", "targetComponentIDs", "type", "rate"}` (items per second over the window, for each
//!   component and data type that published any), followed by `|;|`. As in Alloy it needs no
//!   `livedebugging` block (it reads counts only, never the data).
//!
//! A bad `sampleProb` or `window` is answered as Alloy answers it: status 400 and the message, then the
//! stream goes on with the default (Alloy's handler writes the error and carries on).
//!
//! Streams are bounded: a debug stream queues at most [`STREAM_MAX_ITEMS`] items (and
//! [`STREAM_MAX_BYTES`]) for its client, and drops (and counts) what does not fit, so a client that stops
//! reading costs neither the components' time nor memory; a graph stream adds counts in place. Both stop
//! watching the moment the client goes (the body is dropped). A reload that switches `enabled` from true to
//! false detaches every stream, as Alloy's does, within a second.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use ingot_runtime::config_block::ConfigBlock;
use ingot_runtime::controller::{Controller, LiveDebuggingSupport};
use ingot_runtime::livedebugging::{
    GraphCounts, StreamBuffer, Subscription, STREAM_MAX_BYTES, STREAM_MAX_ITEMS,
};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::ServerState;

/// `livedebugging { enabled = ... }` (Alloy's default: disabled).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveDebuggingConfig {
    pub enabled: bool,
}

impl ConfigBlock for LiveDebuggingConfig {
    const NAME: &'static str = "livedebugging";
}

impl Decode for LiveDebuggingConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let enabled = d.optional_or("enabled", false)?;
        Ok(LiveDebuggingConfig { enabled })
    }
}

fn enabled(controller: &Controller) -> bool {
    controller
        .config_blocks()
        .get::<LiveDebuggingConfig>()
        .enabled
}

/// Alloy's error texts.
const DISABLED: &str =
    "the live debugging service is disabled. Check the documentation to find out how to enable it";
const INVALID_SAMPLE_PROB: &str = "Invalid sample probability\n";
const INVALID_WINDOW: &str = "Invalid window: must be an integer between 1 and 60\n";
/// Alloy's frame delimiter, after every item and every graph window.
const DELIMITER: &[u8] = b"|;|";

/// How an answer starts: 200, or a 400 whose message comes first (as Go's `http.Error` written before
/// the handler carries on).
struct Start {
    status: StatusCode,
    prefix: Option<Bytes>,
}

impl Start {
    fn ok() -> Start {
        Start {
            status: StatusCode::OK,
            prefix: None,
        }
    }

    fn bad_request(message: &'static str) -> Start {
        Start {
            status: StatusCode::BAD_REQUEST,
            prefix: Some(Bytes::from_static(message.as_bytes())),
        }
    }

    /// Go's `http.Error(w, message, 500)`, unless a 400 was already written: then the message follows it.
    fn error(self, message: &str) -> Response {
        let status = if self.status == StatusCode::OK {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            self.status
        };
        let mut body = self.prefix.map(|p| p.to_vec()).unwrap_or_default();
        body.extend_from_slice(message.as_bytes());
        body.push(b'\n');
        go_text(status, body)
    }

    fn stream(self, body: Body) -> Response {
        let mut r = (
            self.status,
            [("content-type", "text/plain; charset=utf-8")],
            body,
        )
            .into_response();
        if self.status != StatusCode::OK {
            r.headers_mut()
                .insert("x-content-type-options", "nosniff".parse().unwrap());
        }
        r
    }
}

/// What Go's `http.Error` sends.
fn go_text(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [
            ("content-type", "text/plain; charset=utf-8"),
            ("x-content-type-options", "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// `sampleProb` as Alloy reads it: a float in [0, 1], 1 when absent.
fn sample_prob(query: &std::collections::HashMap<String, String>) -> (f64, Start) {
    match query.get("sampleProb").map(String::as_str) {
        None | Some("") => (1.0, Start::ok()),
        Some(v) => match ingot_gocompat::strconv::parse_float(v) {
            Ok(p) if (0.0..=1.0).contains(&p) => (p, Start::ok()),
            _ => (1.0, Start::bad_request(INVALID_SAMPLE_PROB)),
        },
    }
}

/// `window` as Alloy reads it: whole seconds in [1, 60], 5 when absent.
fn window(query: &std::collections::HashMap<String, String>) -> (Duration, Start) {
    const DEFAULT: Duration = Duration::from_secs(5);
    match query.get("window").map(String::as_str) {
        None | Some("") => (DEFAULT, Start::ok()),
        Some(v) => match ingot_gocompat::strconv::atoi(v) {
            Ok(w) if (1..=60).contains(&w) => (Duration::from_secs(w as u64), Start::ok()),
            _ => (DEFAULT, Start::bad_request(INVALID_WINDOW)),
        },
    }
}

/// `GET <prefix>/api/v0/web/debug/<id>`.
pub(crate) async fn debug_stream(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let controller = state.controller.clone();
    let (prob, start) = sample_prob(&query);
    if !enabled(&controller) {
        return start.error(DISABLED);
    }
    // Alloy's ids may name a module's component (`<module>/<id>`); ingot runs no modules.
    let support = if id.contains('/') {
        LiveDebuggingSupport::NotFound
    } else {
        controller.live_debugging_support(&id)
    };
    match support {
        LiveDebuggingSupport::Supported => {}
        LiveDebuggingSupport::NotFound => return start.error("component not found"),
        LiveDebuggingSupport::NotAComponent => {
            return start.error(&format!(
                "{} is not a component",
                ingot_gocompat::strconv::quote(&id)
            ))
        }
        LiveDebuggingSupport::Unsupported(name) => {
            return start.error(&format!(
                "the component {} does not support live debugging",
                ingot_gocompat::strconv::quote(&name)
            ))
        }
    }
    let buffer = Arc::new(StreamBuffer::new(prob));
    let subscription = controller
        .live_debugging()
        .subscribe([id.as_str()], buffer.clone());
    let mut check = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(1),
        Duration::from_secs(1),
    );
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let prefix = start.prefix.clone();
    start.stream(Body::new(DebugBody {
        prefix,
        buffer,
        subscription: Some(subscription),
        check,
        controller,
        id,
        warned: false,
    }))
}

/// The body of a debug stream: the prefix (a 400's message), then each queued item and `|;|`.
struct DebugBody {
    prefix: Option<Bytes>,
    buffer: Arc<StreamBuffer>,
    subscription: Option<Subscription>,
    /// Once a second: is live debugging still enabled?
    check: tokio::time::Interval,
    controller: Arc<Controller>,
    id: String,
    warned: bool,
}

impl http_body::Body for DebugBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Some(prefix) = this.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        while this.check.poll_tick(cx).is_ready() {
            if this.subscription.is_some() && !enabled(&this.controller) {
                // As Alloy's reload to `enabled = false`: the stream stays open and gets nothing more.
                this.subscription = None;
            }
        }
        if !this.warned && this.buffer.dropped() > 0 {
            this.warned = true;
            tracing::warn!(
                component = %this.id,
                "data throughput is very high, not all debugging data can be sent the live debugging stream"
            );
        }
        let items = this.buffer.take(cx.waker());
        if items.is_empty() {
            return Poll::Pending;
        }
        let len: usize = items.iter().map(|i| i.len() + DELIMITER.len()).sum();
        let mut out = Vec::with_capacity(len);
        for item in items {
            out.extend_from_slice(item.as_bytes());
            out.extend_from_slice(DELIMITER);
        }
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))))
    }
}

impl Drop for DebugBody {
    fn drop(&mut self) {
        let dropped = self.buffer.dropped();
        if dropped > 0 {
            tracing::warn!(
                component = %self.id,
                dropped,
                "live debugging stream closed; {dropped} items were dropped because the client did not read them fast enough (at most {STREAM_MAX_ITEMS} items or {STREAM_MAX_BYTES} bytes wait for a client)"
            );
        }
    }
}

/// `GET <prefix>/api/v0/web/graph` and `<prefix>/api/v0/web/graph/<moduleID>`.
pub(crate) async fn graph_stream(
    State(state): State<ServerState>,
    module: Option<Path<String>>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let controller = state.controller.clone();
    let (window, start) = window(&query);
    if module.is_some() {
        // ingot runs no modules (`import.*`, `declare`): Alloy's answer for a module it does not have.
        return start.error("module not found");
    }
    let counts = Arc::new(GraphCounts::default());
    let ids = controller.live_debugging_components();
    let subscription = controller
        .live_debugging()
        .subscribe(ids.iter().map(String::as_str), counts.clone());
    let ticks = tokio::time::interval_at(tokio::time::Instant::now() + window, window);
    let prefix = start.prefix.clone();
    let was_enabled = enabled(&controller);
    start.stream(Body::new(GraphBody {
        prefix,
        counts,
        subscription: Some(subscription),
        ticks,
        window,
        controller,
        was_enabled,
    }))
}

struct GraphBody {
    prefix: Option<Bytes>,
    counts: Arc<GraphCounts>,
    subscription: Option<Subscription>,
    ticks: tokio::time::Interval,
    window: Duration,
    controller: Arc<Controller>,
    was_enabled: bool,
}

impl http_body::Body for GraphBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Some(prefix) = this.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        if this.ticks.poll_tick(cx).is_pending() {
            return Poll::Pending;
        }
        let now_enabled = enabled(&this.controller);
        if this.was_enabled && !now_enabled {
            // Alloy clears every callback, the graph's too, when a reload disables live debugging.
            this.subscription = None;
        }
        this.was_enabled = now_enabled;
        let mut out = graph_json(&this.counts.take(), this.window).into_bytes();
        out.extend_from_slice(DELIMITER);
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))))
    }
}

/// One window of the graph as Alloy's `json.Marshal` writes it.
fn graph_json(counts: &[ingot_runtime::livedebugging::GraphCount], window: Duration) -> String {
    let items: Vec<String> = counts
        .iter()
        .map(|c| {
            let targets = match &c.targets {
                None => "null".to_string(),
                Some(t) => serde_json::to_string(t).unwrap_or_else(|_| "[]".into()),
            };
            let rate = c.count as f64 / window.as_secs_f64();
            format!(
                "{{\"componentID\":{},\"targetComponentIDs\":{},\"type\":\"{}\",\"rate\":{}}}",
                serde_json::Value::String(c.component_id.clone()),
                targets,
                c.kind.as_str(),
                go_json_float(rate)
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// A float64 as Go's `encoding/json` writes it: the shortest decimal that reads back, without exponent
/// between 1e-6 and 1e21, with one outside (`1e+21`, `1e-7`).
fn go_json_float(v: f64) -> String {
    let abs = v.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust's `{:e}` is `1e21` / `1e-7`; Go writes `1e+21` / `1e-07`, then cleans `e-07` to `e-7`.
        let s = format!("{v:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingot_runtime::livedebugging::{DataType, GraphCount};

    #[test]
    fn graph_windows_are_written_as_alloy_marshals_them() {
        let counts = vec![
            GraphCount {
                component_id: "prometheus.relabel.a".into(),
                kind: DataType::PrometheusMetric,
                targets: None,
                count: 10,
            },
            GraphCount {
                component_id: "otelcol.processor.batch.b".into(),
                kind: DataType::OtelTrace,
                targets: Some(vec!["otelcol.exporter.otlp.c".into()]),
                count: 1,
            },
        ];
        assert_eq!(
            graph_json(&counts, Duration::from_secs(3)),
            r#"[{"componentID":"prometheus.relabel.a","targetComponentIDs":null,"type":"prometheus_metric","rate":3.3333333333333335},{"componentID":"otelcol.processor.batch.b","targetComponentIDs":["otelcol.exporter.otlp.c"],"type":"otel_trace","rate":0.3333333333333333}]"#
        );
        assert_eq!(graph_json(&[], Duration::from_secs(5)), "[]");
        assert_eq!(go_json_float(2.0), "2");
        assert_eq!(go_json_float(0.0), "0");
        assert_eq!(go_json_float(1e21), "1e+21");
        assert_eq!(go_json_float(1e-7), "1e-7");
    }
}
