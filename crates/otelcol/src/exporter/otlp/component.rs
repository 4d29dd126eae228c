//! The running `otelcol.exporter.otlp`: a [`Queued`] sender over the [`Grpc`] transport.

use std::sync::Arc;

use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_syntax::value::Value;

use super::args::Arguments;
use super::transport::Grpc;
use crate::exporter::queued::Queued;
use crate::exporter::sender::Settings;

pub const NAME: &str = "otelcol.exporter.otlp";

/// What ingot's exporters send as `User-Agent`.
pub fn user_agent() -> String {
    format!(
        "ingot/{} ({}/{})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        go_arch()
    )
}

/// `runtime.GOARCH` for this build.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

fn settings(args: &Arguments) -> Result<Settings, String> {
    Ok(Settings {
        transport: Arc::new(Grpc::new(&args.client, &user_agent())?),
        queue: args.queue.clone(),
        retry: args.retry.clone(),
        timeout: args.timeout,
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
        let queued = Queued::build(&ctx, "otlp", settings(&args)?);
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
