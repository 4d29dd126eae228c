//! The `prometheus.exporter.nginx` component: arguments in Alloy's style, the `targets` export
//! (`job="integrations/nginx"`, `instance` = host:port of the stub_status URL), the metrics endpoint, and
//! health that carries the URL, the HTTP status and what to change.

use std::sync::Mutex;
use std::time::Duration;

use ingot_prom::exposition::FamilySet;
use ingot_runtime::component::{ComponentType, Context, HttpRequest, HttpResponse};
use ingot_runtime::exports::ExportsPublisher;
use ingot_runtime::health::HealthReporter;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use super::{encode, scrape, ScrapeUri};
use crate::prometheus::exporter::target::exporter_targets;

pub const NAME: &str = "prometheus.exporter.nginx";

/// nginx-prometheus-exporter's `--nginx.timeout` default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub scrape_uri: ScrapeUri,
    pub timeout: Duration,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let uri: String = d.required("scrape_uri")?;
        let timeout = d.optional_or("timeout", DEFAULT_TIMEOUT)?;
        let scrape_uri = match ScrapeUri::parse(&uri) {
            Ok(u) => u,
            Err(msg) => return Err(d.error_at_attr("scrape_uri", msg)),
        };
        if timeout.is_zero() {
            return Err(d.error_at_attr("timeout", "timeout must be greater than 0"));
        }
        Ok(Arguments {
            scrape_uri,
            timeout,
        })
    }
}

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

    fn http(&self, request: HttpRequest<'_>) -> Option<HttpResponse> {
        crate::prometheus::exporter::target::metrics_endpoint(&request, || self.scrape())
    }
}
