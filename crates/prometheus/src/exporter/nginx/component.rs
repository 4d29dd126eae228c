//! The running `prometheus.exporter.nginx`: the `targets` export
//! (`job="integrations/nginx"`, `instance` = host:port of the stub_status URL), the metrics endpoint, and
//! health that carries the URL, the HTTP status and what to change.

use std::sync::{Arc, Mutex};

use ingot_prom::exposition::FamilySet;
use ingot_runtime::component::{ComponentType, Context, HttpReply, HttpRequest, Stability};
use ingot_runtime::exports::ExportsPublisher;
use ingot_runtime::health::HealthReporter;
use ingot_runtime::single_flight::SingleFlight;

use super::args::Arguments;
use super::client::scrape;
use super::metrics::encode;
use crate::exporter::target::exporter_targets;

pub const NAME: &str = "prometheus.exporter.nginx";

struct State {
    args: Arguments,
    families: FamilySet,
}

pub struct Component {
    id: String,
    memory_addr: String,
    exports: ExportsPublisher,
    health: HealthReporter,
    state: Mutex<State>,
    gathers: crate::exporter::target::Gathers,
}

impl Component {
    /// Fetches stub_status once, reports the outcome as health, and returns the exposition.
    pub fn scrape(&self) -> Vec<u8> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let result = scrape(&state.args.scrape_uri, state.args.timeout);
        match &result {
            Ok(_) => self
                .health
                .healthy(format!("scraped {}", state.args.scrape_uri.uri)),
            Err(e) => self.health.unhealthy(e.to_string()),
        }
        let mut out = Vec::with_capacity(1024);
        encode(&result, &mut state.families, &mut out);
        out
    }

    fn publish(&self, args: &Arguments) {
        self.exports.publish(exporter_targets(
            NAME,
            &self.id,
            &self.memory_addr,
            &args.scrape_uri.host_port(),
        ));
    }
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        ctx.exports.init(exporter_targets(
            NAME,
            &ctx.id,
            &ctx.memory_addr,
            &args.scrape_uri.host_port(),
        ));
        ctx.health.healthy(format!(
            "started component; {} is fetched on each scrape",
            args.scrape_uri.uri
        ));
        Ok(Component {
            gathers: SingleFlight::new(),
            id: ctx.id,
            memory_addr: ctx.memory_addr,
            exports: ctx.exports,
            health: ctx.health,
            state: Mutex::new(State {
                args,
                families: FamilySet::new(),
            }),
        })
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        self.publish(&args);
        self.state.lock().unwrap_or_else(|e| e.into_inner()).args = args;
        Ok(())
    }

    fn http(self: &Arc<Self>, request: HttpRequest<'_>) -> Option<HttpReply> {
        let this = self.clone();
        crate::exporter::target::metrics_endpoint(&request, &self.gathers, move || this.scrape())
    }
}
