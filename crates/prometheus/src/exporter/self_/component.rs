//! The running `prometheus.exporter.self`: the `targets` export (`job="integrations/self"`, `instance` =
//! the host name) and the metrics endpoint, which serves what the agent's `/metrics` serves, counted by
//! the handler metrics once the component runs.

use std::sync::{Arc, OnceLock};

use ingot_prom::exposition::FamilySet;
use ingot_runtime::component::{
    ComponentType, Context, HttpReply, HttpRequest, MemoryHttp, Stability,
};
use ingot_runtime::single_flight::SingleFlight;

use super::args::Arguments;
use super::handler::{HandlerMetrics, KEY};
use crate::exporter::target::{exporter_targets, host_instance, metrics_endpoint, Gathers};

pub const NAME: &str = "prometheus.exporter.self";

pub struct Component {
    agent: MemoryHttp,
    /// Registered in the agent's collectors when the component starts, as Alloy's exporter instruments
    /// its handler when it starts running.
    handler: OnceLock<Arc<HandlerMetrics>>,
    gathers: Gathers,
}

impl Component {
    /// The agent's exposition, gathered now.
    fn gather(&self) -> Vec<u8> {
        let mut set = FamilySet::new();
        self.agent.gather(&mut set);
        let mut out = Vec::with_capacity(16384);
        set.encode(&mut out);
        out
    }
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, _args: Arguments) -> Result<Component, String> {
        ctx.exports.init(exporter_targets(
            NAME,
            &ctx.id,
            &ctx.memory_addr,
            &host_instance(),
        ));
        ctx.health.healthy("started component");
        Ok(Component {
            agent: ctx.memory_http,
            handler: OnceLock::new(),
            gathers: SingleFlight::new(),
        })
    }

    fn start(self: &Arc<Self>) {
        if let Some(h) = self.agent.agent_collector(KEY, HandlerMetrics::default) {
            let _ = self.handler.set(h);
        }
    }

    fn update(&self, _args: Arguments) -> Result<(), String> {
        Ok(())
    }

    fn http(self: &Arc<Self>, request: HttpRequest<'_>) -> Option<HttpReply> {
        let this = self.clone();
        metrics_endpoint(&request, &self.gathers, move || match this.handler.get() {
            Some(h) => h.instrument(|| (200, this.gather())),
            None => this.gather(),
        })
    }
}
