//! The running `prometheus.exporter.postgres`: the `targets` export with Alloy's `instance`, the metrics
//! endpoint, and health that names the server that failed (password removed) with the server's own
//! message.

use std::sync::{Arc, Mutex};

use ingot_runtime::component::{ComponentType, Context, HttpReply, HttpRequest, Stability};
use ingot_runtime::exports::ExportsPublisher;
use ingot_runtime::health::HealthReporter;
use ingot_runtime::single_flight::SingleFlight;
use ingot_syntax::value::Value;

use super::args::Arguments;
use super::exporter::{PostgresExporter, Settings};
use crate::exporter::target::exporter_targets;

pub const NAME: &str = "prometheus.exporter.postgres";

pub struct Component {
    id: String,
    memory_addr: String,
    exports: ExportsPublisher,
    health: HealthReporter,
    exporter: Mutex<PostgresExporter>,
    gathers: crate::exporter::target::Gathers,
}

/// Alloy's `instance`: the simplified DSN when there is exactly one, else the component id.
fn instance(id: &str, settings: &Settings) -> String {
    match settings.sources.as_slice() {
        [one] => one.instance_key(),
        _ => id.to_string(),
    }
}

impl Component {
    fn targets(&self, settings: &Settings) -> Value {
        exporter_targets(
            NAME,
            &self.id,
            &self.memory_addr,
            &instance(&self.id, settings),
        )
    }

    /// Scrapes every server once and reports the outcome as health.
    pub fn scrape(&self) -> Vec<u8> {
        let mut exporter = self.exporter.lock().unwrap_or_else(|e| e.into_inner());
        let mut body = Vec::with_capacity(32 * 1024);
        let report = exporter.gather_into(&mut body);
        if report.problems.is_empty() {
            self.health
                .healthy(format!("scraped {}", report.answered.join(", ")));
        } else {
            self.health.unhealthy(report.problems.join("; "));
        }
        body
    }
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let settings = args.settings(!ctx.validate_only)?;
        ctx.exports.init(exporter_targets(
            NAME,
            &ctx.id,
            &ctx.memory_addr,
            &instance(&ctx.id, &settings),
        ));
        let names: Vec<&str> = settings
            .sources
            .iter()
            .map(|s| s.display.as_str())
            .collect();
        ctx.health.healthy(format!(
            "started component; {} scraped on each request",
            names.join(", ")
        ));
        let exporter = PostgresExporter::new(settings)?;
        Ok(Component {
            gathers: SingleFlight::new(),
            id: ctx.id,
            memory_addr: ctx.memory_addr,
            exports: ctx.exports,
            health: ctx.health,
            exporter: Mutex::new(exporter),
        })
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        let settings = args.settings(true)?;
        self.exports.publish(self.targets(&settings));
        let exporter = PostgresExporter::new(settings)?;
        *self.exporter.lock().unwrap_or_else(|e| e.into_inner()) = exporter;
        Ok(())
    }

    fn http(self: &Arc<Self>, request: HttpRequest<'_>) -> Option<HttpReply> {
        let this = self.clone();
        crate::exporter::target::metrics_endpoint(&request, &self.gathers, move || this.scrape())
    }
}
