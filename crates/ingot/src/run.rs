//! `ingot run`: load the configuration, start the components and the HTTP server, reload on SIGHUP or
//! `/-/reload`, stop cleanly on SIGTERM or SIGINT.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ingot_prometheus::exporter::self_::ProcessCollector;
use ingot_runtime::component::Stability;
use ingot_runtime::controller::{Controller, Features, Options};
use ingot_runtime::source::{self, ConfigSource};
use ingot_server::ServerState;
use ingot_syntax::Diagnostics;
use tokio_util::sync::CancellationToken;

use ingot::config_blocks::logging::LoggingConfig;
use ingot_server::http_block::HttpConfig;

use crate::logging::Logging;

/// The configuration `ingot run` uses when given no file: the seed's host metrics, served for Prometheus to
/// pull at `/api/v0/component/prometheus.exporter.unix.localhost/metrics`.
pub const DEFAULT_CONFIG: &str = include_str!("../../../examples/host-pull.alloy");

pub struct RunArgs {
    pub config: Option<PathBuf>,
    pub listen_addr: String,
    pub memory_addr: String,
    pub ui_path_prefix: String,
    pub enable_pprof: bool,
    pub disable_support_bundle: bool,
    pub storage_path: PathBuf,
    pub stability: Stability,
    /// How long one component may take to finish its work when the agent stops
    /// (`--feature.component-shutdown-deadline`).
    pub component_shutdown_deadline: Duration,
    /// Agent-wide behaviour switched by `--feature.*` flags.
    pub features: Features,
    /// `--cluster.name`, the `cluster_name` label of `alloy_config_hash`.
    pub cluster_name: String,
    /// Flags accepted for Alloy's command lines that change nothing here, logged once.
    pub notes: Vec<String>,
}

fn load_config(path: Option<&PathBuf>) -> (ConfigSource, Diagnostics) {
    match path {
        Some(p) => source::load(p),
        None => source::from_text("<default config>", DEFAULT_CONFIG),
    }
}

pub fn run(args: RunArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // A host agent should not take every core of a small VM; two workers keep latency low while
        // blocking work (reading /proc, database queries) runs on the blocking pool.
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("starting the async runtime: {e}"))?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: RunArgs) -> Result<(), String> {
    let logging = Logging::init();
    for note in &args.notes {
        tracing::warn!("flag accepted without effect: {note}");
    }

    let options = Options {
        storage_path: args.storage_path.clone(),
        memory_addr: args.memory_addr.clone(),
        stability: args.stability,
        features: args.features,
        cluster_name: args.cluster_name.clone(),
    };
    let controller = Controller::new(Arc::new(ingot::registry::registry()), options);
    // What Alloy's /metrics serves beside the controller and the components: the build and the process.
    controller.add_collector(Arc::new(ingot::build_info::BuildInfoCollector::default()));
    controller.set_build_info(ingot::build_info::build_info());
    controller.add_collector(Arc::new(ProcessCollector::default()));

    // The first load must succeed: a broken config at start is a clear exit, not a half-running agent.
    let (config, diags) = load_config(args.config.as_ref());
    let initial = if diags.has_errors() {
        controller.metrics.config_loaded(false, config.sha256);
        Err(diags)
    } else {
        controller.apply(&config)
    };
    if let Err(diags) = initial {
        eprintln!("{}", diags.render());
        return Err("loading the configuration failed".into());
    }
    logging.apply(&controller.config_blocks().get::<LoggingConfig>());
    // Started: the code that ran once to get here (parsing, every component's build) need not stay
    // resident (see the function's docs).
    match ingot_hostfs::sys::drop_startup_code_pages() {
        Ok(bytes) => tracing::debug!(bytes, "start-up code pages let go"),
        Err(e) => tracing::debug!("start-up code pages stay mapped: madvise: {e}"),
    }
    let tls_at_start = controller.config_blocks().get::<HttpConfig>().tls.is_some();

    let shutdown = CancellationToken::new();
    let reload: ingot_server::ReloadFn = {
        let controller = controller.clone();
        let path = args.config.clone();
        let logging = logging.clone();
        Arc::new(move || {
            let (config, diags) = load_config(path.as_ref());
            if diags.has_errors() {
                controller.metrics.config_loaded(false, config.sha256);
                tracing::error!(
                    "rejected the new configuration; the running one stays:\n{}",
                    diags.render()
                );
                return Err(diags);
            }
            let tls_before = controller.config_blocks().get::<HttpConfig>().tls.is_some();
            controller.apply(&config)?;
            let blocks = controller.config_blocks();
            logging.apply(&blocks.get::<LoggingConfig>());
            log_http_mode(tls_before, blocks.get::<HttpConfig>().tls.is_some());
            tracing::info!("config reloaded");
            Ok(())
        })
    };

    let listener = ingot_server::listen::bind(&args.listen_addr)
        .await
        .map_err(|e| format!("--server.http.listen-addr={}: {e}", args.listen_addr))?;
    tracing::info!(
        addr = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        tls = tls_at_start,
        "now listening for http traffic"
    );

    let controller_task = tokio::spawn(controller.clone().run(shutdown.clone()));
    let server = tokio::spawn(ingot_server::serve(
        listener,
        ServerState {
            controller: controller.clone(),
            reload: reload.clone(),
            options: ingot_server::ServerOptions {
                ui_path_prefix: args.ui_path_prefix.clone(),
                enable_pprof: args.enable_pprof,
                disable_support_bundle: args.disable_support_bundle,
            },
        },
        shutdown.clone(),
    ));

    wait_for_signals(reload).await;
    tracing::info!("shutting down");
    // Components stop first (dependants before their dependencies, each within a deadline), then the server.
    controller.shutdown(args.component_shutdown_deadline).await;
    shutdown.cancel();
    // Give the server and the controller a bounded time to finish in-flight work.
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        let _ = server.await;
        let _ = controller_task.await;
    })
    .await;
    Ok(())
}

/// The server reads the `http > tls` block for every new connection, so a reload that adds or removes it
/// switches new connections at once; connections already open keep their protocol until they close.
fn log_http_mode(tls_before: bool, tls_now: bool) {
    match (tls_before, tls_now) {
        (false, true) => tracing::info!(
            "applying TLS config to HTTP server: new connections use TLS, open plain-text connections stay as they are until they close"
        ),
        (true, false) => tracing::info!(
            "applying non-TLS config to HTTP server: new connections use plain text, open TLS connections stay as they are until they close"
        ),
        (true, true) => tracing::info!(
            "applying TLS config to HTTP server: new connections use the certificates just read"
        ),
        (false, false) => {}
    }
}

/// Reloads on SIGHUP; returns on SIGTERM or SIGINT.
async fn wait_for_signals(reload: ingot_server::ReloadFn) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut hup), Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers; stop with SIGKILL");
        std::future::pending::<()>().await;
        return;
    };
    loop {
        tokio::select! {
            _ = hup.recv() => {
                let reload = reload.clone();
                let _ = tokio::task::spawn_blocking(move || reload()).await;
            }
            _ = term.recv() => return,
            _ = int.recv() => return,
        }
    }
}
