//! The running `otelcol.exporter.otlphttp`: a [`Queued`] sender over the [`Http`] transport.

use std::sync::Arc;

use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_syntax::value::Value;

use super::args::Arguments;
use super::transport::Http;
use crate::exporter::otlp::component::user_agent;
use crate::exporter::queued::Queued;
use crate::exporter::sender::Settings;

pub const NAME: &str = "otelcol.exporter.otlphttp";

fn settings(args: &Arguments) -> Result<Settings, String> {
    Ok(Settings {
        transport: Arc::new(Http::new(args, &user_agent())?),
        queue: args.queue.clone(),
        retry: args.retry.clone(),
        timeout: args.client.timeout,
    })
}

pub struct Component {
    id: String,
    queued: Queued,
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        for w in &args.warnings {
            tracing::warn!(component = %ctx.id, "{w}");
        }
        let queued = Queued::build(&ctx, "otlphttp", settings(&args)?);
        Ok(Component {
            id: ctx.id.clone(),
            queued,
        })
    }

    fn start(self: &Arc<Self>) {
        self.queued.start();
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        for w in &args.warnings {
            tracing::warn!(component = %self.id, "{w}");
        }
        self.queued.update(settings(&args)?)
    }

    fn debug_info(&self) -> Option<Value> {
        self.queued.debug_info()
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        self.queued.debug_metrics()
    }
}
