//! The HTTP server on port 12345: Alloy's endpoints, at Alloy's paths, with Alloy's answers.

mod alloyjson;
mod auth;
pub mod http_block;
pub mod listen;
mod listener;
pub mod livedebugging;
mod ui;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Extension;
use axum::Router;
use ingot_prom::exposition::FamilySet;
use ingot_runtime::component::HttpResponse;
use ingot_runtime::controller::Controller;
use ingot_runtime::single_flight::SingleFlight;
use ingot_syntax::Diagnostics;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use alloyjson::{component_json, value_json};

/// Re-reads the configuration and applies it (the binary decides where the configuration comes from).
pub type ReloadFn = Arc<dyn Fn() -> Result<(), Diagnostics> + Send + Sync>;

#[derive(Clone)]
pub struct ServerState {
    pub controller: Arc<Controller>,
    pub reload: ReloadFn,
    pub options: ServerOptions,
}

/// What the `run` flags decide about the server.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// `--server.http.ui-path-prefix`: where the UI and its web API (`<prefix>/api/v0/web`) are served.
    pub ui_path_prefix: String,
    /// `--server.http.enable-pprof`.
    pub enable_pprof: bool,
    /// `--server.http.disable-support-bundle`.
    pub disable_support_bundle: bool,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            ui_path_prefix: "/".into(),
            enable_pprof: true,
            disable_support_bundle: false,
        }
    }
}

/// `prefix` as Alloy joins it (`path.Join`): a leading `/`, no trailing one, `""` for the root.
fn clean_prefix(prefix: &str) -> String {
    let parts: Vec<&str> = prefix
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("/{}", parts.join("/"))
    }
}

pub fn router(state: ServerState) -> Router {
    let prefix = clean_prefix(&state.options.ui_path_prefix);
    let web = format!("{prefix}/api/v0/web");
    let mut router = Router::new()
        .route("/metrics", get(metrics))
        .route("/-/ready", get(ready))
        .route("/-/healthy", get(healthy))
        .route("/-/reload", get(reload).post(reload))
        .route("/-/support", get(support_bundle))
        .route("/api/v0/component/{*path}", any(component_http))
        .route(&format!("{web}/components"), get(list_components))
        .route(&format!("{web}/components/{{*id}}"), get(get_component))
        .route(
            &format!("{web}/debug/{{*id}}"),
            get(livedebugging::debug_stream),
        )
        .route(&format!("{web}/graph"), get(livedebugging::graph_stream))
        .route(
            &format!("{web}/graph/{{*module}}"),
            get(livedebugging::graph_stream),
        );
    if state.options.enable_pprof {
        router = router
            .route("/debug/pprof", get(pprof))
            .route("/debug/pprof/{*profile}", get(pprof));
    }
    // The UI takes what no route took (under its prefix); added before the layers so that authentication
    // covers it as it covers every route.
    let ui = ui::Ui::new(&prefix);
    router = router.fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
        let ui = ui.clone();
        async move { ui.handle(&method, &uri, &headers) }
    });
    router
        .layer(Extension(MetricsGathers(SingleFlight::new())))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .with_state(state)
}

/// Alloy serves a zip of its state here; ingot has no support bundle yet, and says so.
async fn support_bundle(State(state): State<ServerState>) -> Response {
    if state.options.disable_support_bundle {
        return text(
            StatusCode::FORBIDDEN,
            "support bundle generation is disabled; it can be re-enabled by removing the --server.http.disable-support-bundle flag\n",
        );
    }
    text(
        StatusCode::NOT_IMPLEMENTED,
        "ingot does not generate support bundles: collect /metrics, /api/v0/web/components and the agent's log instead\n",
    )
}

/// Go's pprof profiles describe a Go runtime; ingot is not one. The answer says what to use instead.
async fn pprof() -> Response {
    text(
        StatusCode::NOT_IMPLEMENTED,
        "ingot is written in Rust and has no Go runtime to profile: profile the process with `perf record -g -p <pid>` (CPU), and read its memory from /metrics (process_resident_memory_bytes) or /proc/<pid>/smaps_rollup\n",
    )
}

/// Serves until `shutdown` is cancelled: plain HTTP, or HTTPS while the applied configuration has an
/// `http > tls` block (decided for each new connection).
pub async fn serve(
    listener: TcpListener,
    state: ServerState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let listener = listener::HttpListener::new(listener, state.controller.clone());
    ingot_http::serve(listener, router(state), API_LIMITS, shutdown).await;
    Ok(())
}

/// The limits of the API's connections: headers and bodies within 30 s and idle connections closed
/// after 2 minutes, as Alloy's component servers do, so clients that connect and say nothing cannot pile
/// up. No write timeout: a reload or a component's scrape ends on its own terms (a scrape within the
/// scraper's timeout).
const API_LIMITS: ingot_http::Limits = ingot_http::Limits {
    conn_limit: 0,
    read_timeout: Some(std::time::Duration::from_secs(30)),
    write_timeout: None,
    idle_timeout: Some(std::time::Duration::from_secs(120)),
};

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [("content-type", "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

/// The gather `/metrics` requests share: one at a time, whatever the number of scrapers.
#[derive(Clone)]
struct MetricsGathers(Arc<SingleFlight<Arc<Vec<u8>>>>);

/// The controller's, the components' and the agent's metrics (the process, the build), in one
/// exposition sorted by family name as client_golang's registry writes one gather. Gathering reads /proc
/// and asks every component, so it runs off the reactor, once for all requests that arrive meanwhile.
async fn metrics(
    State(state): State<ServerState>,
    Extension(gathers): Extension<MetricsGathers>,
) -> Response {
    let controller = state.controller.clone();
    let out = gathers
        .0
        .run(move || {
            let mut set = FamilySet::new();
            controller.collect_metrics(&mut set);
            let mut out = Vec::with_capacity(16384);
            set.encode(&mut out);
            Arc::new(out)
        })
        .await;
    let Some(out) = out else {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "gathering metrics failed\n",
        );
    };
    (
        StatusCode::OK,
        [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
        out.as_ref().clone(),
    )
        .into_response()
}

async fn ready(State(state): State<ServerState>) -> Response {
    if state.controller.is_loaded() {
        text(StatusCode::OK, "Alloy is ready.\n")
    } else {
        text(StatusCode::SERVICE_UNAVAILABLE, "Alloy is not ready.\n")
    }
}

async fn healthy(State(state): State<ServerState>) -> Response {
    let unhealthy = state.controller.unhealthy_components();
    if unhealthy.is_empty() {
        return text(StatusCode::OK, "All Alloy components are healthy.\n");
    }
    let names: Vec<&str> = unhealthy.iter().map(|(id, _)| id.as_str()).collect();
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("unhealthy components: {}\n", names.join(", ")),
    )
}

async fn reload(State(state): State<ServerState>) -> Response {
    let reload = state.reload.clone();
    let result = tokio::task::spawn_blocking(move || reload()).await;
    match result {
        Ok(Ok(())) => text(StatusCode::OK, "config reloaded\n"),
        Ok(Err(diags)) => text(StatusCode::BAD_REQUEST, format!("{}\n", diags.render())),
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("reload failed: {e}\n"),
        ),
    }
}

/// The header Prometheus (and `prometheus.scrape`) sends with each scrape: how long it waits.
const SCRAPE_TIMEOUT_HEADER: &str = "x-prometheus-scrape-timeout-seconds";

/// Routes to a component's endpoint. A component answers at once or with work done off the reactor;
/// waiting for that holds no thread, ends when the client closes the connection (hyper drops this
/// future), and ends at the scrape timeout the client sent, if any.
async fn component_http(
    State(state): State<ServerState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(path): Path<String>,
    _body: Bytes,
) -> Response {
    let scrape_timeout = headers
        .get(SCRAPE_TIMEOUT_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| std::time::Duration::from_secs_f64(s.min(86_400.0)));
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let reply = state
        .controller
        .component_http(&path, method.as_str(), uri.query(), &headers);
    let response = match (reply, scrape_timeout) {
        (None, _) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!(
                    "failed to parse URL path {:?}: no component matches {path:?}\n",
                    uri.path()
                ),
            )
        }
        (Some(reply), None) => reply.response().await,
        (Some(reply), Some(limit)) => match tokio::time::timeout(limit, reply.response()).await {
            Ok(r) => r,
            Err(_) => HttpResponse::text(
                503,
                format!(
                    "{path} did not answer within the scrape timeout the client sent ({} = {})\n",
                    SCRAPE_TIMEOUT_HEADER,
                    ingot_gocompat::time::format_std_duration(limit)
                ),
            ),
        },
    };
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [("content-type", response.content_type)],
        response.body,
    )
        .into_response()
}

async fn list_components(State(state): State<ServerState>) -> Response {
    let list: Vec<serde_json::Value> = state
        .controller
        .components()
        .iter()
        .map(|info| web_component_json(&state.controller, info))
        .collect();
    json(StatusCode::OK, &serde_json::Value::Array(list))
}

/// A component as the web API shows it, with Alloy's `liveDebuggingEnabled`: whether its type publishes live
/// debugging data, whatever the `livedebugging` block says (Alloy decides it from the component's Go type), so
/// the UI links to the component's debug page, which tells when the block is off.
fn web_component_json(
    controller: &Controller,
    info: &ingot_runtime::controller::ComponentInfo,
) -> serde_json::Value {
    let mut value = component_json(info);
    let supported = matches!(
        controller.live_debugging_support(&info.id),
        ingot_runtime::controller::LiveDebuggingSupport::Supported
    );
    value["liveDebuggingEnabled"] = serde_json::Value::Bool(supported);
    value
}

async fn get_component(State(state): State<ServerState>, Path(id): Path<String>) -> Response {
    match state.controller.component(&id) {
        Some(info) => json(
            StatusCode::OK,
            &web_component_json(&state.controller, &info),
        ),
        None => text(
            StatusCode::NOT_FOUND,
            format!("component {id:?} not found\n"),
        ),
    }
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        value.to_string(),
    )
        .into_response()
}
