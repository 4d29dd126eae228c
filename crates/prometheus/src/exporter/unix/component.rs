//! The running `prometheus.exporter.unix`: the `targets` export, the metrics endpoint, and health that
//! names the collector that failed and why.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ingot_runtime::component::{ComponentType, Context, HttpReply, HttpRequest, Stability};
use ingot_runtime::health::HealthReporter;
use ingot_runtime::metrics::BuildInfo;
use ingot_runtime::single_flight::SingleFlight;

use super::{Arguments, UnixExporter};
use crate::exporter::target::{exporter_targets, host_instance};

pub const NAME: &str = "prometheus.exporter.unix";

pub struct Component {
    id: String,
    exporter: Mutex<UnixExporter>,
    /// What the arguments ask for that ingot cannot do, kept in the health message.
    notes: Mutex<Vec<String>>,
    health: HealthReporter,
    include_exporter_metrics: AtomicBool,
    handler: HandlerMetrics,
    gathers: crate::exporter::target::Gathers,
    /// The agent's build, for `node_exporter_build_info`.
    build_info: Option<Arc<BuildInfo>>,
}

/// client_golang's `promhttp.InstrumentMetricHandler` counts. Every scrape here answers 200; the 500
/// and 503 series exist from the start, as client_golang initialises them.
#[derive(Default)]
struct HandlerMetrics {
    in_flight: AtomicU64,
    served_ok: AtomicU64,
}

impl HandlerMetrics {
    /// The handler's error counter, which Alloy's endpoint always serves (its handler options name
    /// a registry, so client_golang registers it there). ingot's handler has no gathering or encoding
    /// step that can fail apart from the collectors, which report through
    /// `node_scrape_collector_success`.
    fn write_errors(body: &mut Vec<u8>) {
        body.extend_from_slice(
            b"# HELP promhttp_metric_handler_errors_total Total number of internal errors encountered by the promhttp metric handler.\n\
              # TYPE promhttp_metric_handler_errors_total counter\n\
              promhttp_metric_handler_errors_total{cause=\"encoding\"} 0\n\
              promhttp_metric_handler_errors_total{cause=\"gathering\"} 0\n",
        );
    }

    /// Appends the two instrumentation families, read while this scrape is in flight and before it
    /// is counted, as the Go handler reports them.
    fn write_requests(&self, body: &mut Vec<u8>) {
        use std::io::Write;
        let _ = write!(
            body,
            "# HELP promhttp_metric_handler_requests_in_flight Current number of scrapes being served.\n\
             # TYPE promhttp_metric_handler_requests_in_flight gauge\n\
             promhttp_metric_handler_requests_in_flight {}\n\
             # HELP promhttp_metric_handler_requests_total Total number of scrapes by HTTP status code.\n\
             # TYPE promhttp_metric_handler_requests_total counter\n\
             promhttp_metric_handler_requests_total{{code=\"200\"}} {}\n\
             promhttp_metric_handler_requests_total{{code=\"500\"}} 0\n\
             promhttp_metric_handler_requests_total{{code=\"503\"}} 0\n",
            self.in_flight.load(Ordering::Relaxed),
            self.served_ok.load(Ordering::Relaxed),
        );
    }
}

/// Logs what the arguments ask for that ingot cannot do, once per change.
fn warn_notes(id: &str, notes: &[String], before: &[String]) {
    if notes == before {
        return;
    }
    for note in notes {
        tracing::warn!(component_id = %id, "{note}");
    }
}

impl Component {
    /// Gathers every collector and reports the outcome as the component's health.
    fn scrape(&self) -> Vec<u8> {
        self.handler.in_flight.fetch_add(1, Ordering::Relaxed);
        let mut exporter = self.exporter.lock().unwrap_or_else(|e| e.into_inner());
        let mut body = Vec::with_capacity(64 * 1024);
        let errors = exporter.gather_into(&mut body).to_vec();
        if errors.is_empty() {
            let notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
            let mut message = String::from("all collectors succeeded");
            let no_data = exporter.no_data_collectors();
            if !no_data.is_empty() {
                message.push_str(" (nothing to collect on this host for ");
                message.push_str(&no_data.join(", "));
                message.push(')');
            }
            for note in notes.iter().cloned().chain(exporter.warnings()) {
                message.push_str("; ");
                message.push_str(&note);
            }
            self.health.healthy(message);
        } else {
            let causes: Vec<String> = errors.iter().map(ToString::to_string).collect();
            self.health.unhealthy(causes.join("; "));
        }
        drop(exporter);
        // Families sort by name in client_golang's output: promhttp_* after every node_*.
        HandlerMetrics::write_errors(&mut body);
        if self.include_exporter_metrics.load(Ordering::Relaxed) {
            self.handler.write_requests(&mut body);
        }
        self.handler.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.handler.served_ok.fetch_add(1, Ordering::Relaxed);
        body
    }
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let mut exporter = UnixExporter::new(&args.config).map_err(|e| e.to_string())?;
        let build_info = ctx.memory_http.build_info();
        exporter.set_build_info(build_info.clone());
        ctx.exports.init(exporter_targets(
            NAME,
            &ctx.id,
            &ctx.memory_addr,
            &host_instance(),
        ));
        let started = "started component; metrics are gathered on each scrape";
        if args.notes.is_empty() {
            ctx.health.healthy(started);
        } else {
            ctx.health
                .healthy(format!("{started}; {}", args.notes.join("; ")));
        }
        warn_notes(&ctx.id, &args.notes, &[]);
        Ok(Component {
            gathers: SingleFlight::new(),
            id: ctx.id,
            exporter: Mutex::new(exporter),
            notes: Mutex::new(args.notes),
            health: ctx.health,
            include_exporter_metrics: AtomicBool::new(args.include_exporter_metrics),
            handler: HandlerMetrics::default(),
            build_info,
        })
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        let mut exporter = UnixExporter::new(&args.config).map_err(|e| e.to_string())?;
        exporter.set_build_info(self.build_info.clone());
        let mut current = self.exporter.lock().unwrap_or_else(|e| e.into_inner());
        *current = exporter;
        drop(current);
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        warn_notes(&self.id, &args.notes, &notes);
        *notes = args.notes;
        self.include_exporter_metrics
            .store(args.include_exporter_metrics, Ordering::Relaxed);
        Ok(())
    }

    fn http(self: &Arc<Self>, request: HttpRequest<'_>) -> Option<HttpReply> {
        let this = self.clone();
        crate::exporter::target::metrics_endpoint(&request, &self.gathers, move || this.scrape())
    }
}
