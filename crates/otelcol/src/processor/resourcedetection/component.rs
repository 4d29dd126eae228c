//! The running `otelcol.processor.resourcedetection`: detection runs when the component is built (a
//! failing detector is logged with its cause and leaves its attributes out, as in the collector), and
//! every request's resources get the detected attributes.

use std::sync::{Arc, RwLock};

use ingot_common::receiver::OtelConsumer;
use ingot_otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use ingot_otlp::proto::resource::v1::Resource;
use ingot_otlp::{Consume, ConsumeError, Consumer, Data, Token};
use ingot_runtime::component::{ComponentType, Context, Stability};
use ingot_syntax::value::Value;

use super::args::Arguments;
use super::detect;
use crate::processor::passthrough::PassThrough;

pub const NAME: &str = "otelcol.processor.resourcedetection";

struct Detected {
    attributes: Vec<(String, String)>,
    override_: bool,
}

struct State {
    detected: RwLock<Arc<Detected>>,
    out: Arc<PassThrough>,
}

/// Runs the detectors in order; the first to give an attribute wins (as the collector merges them).
fn detect_all(id: &str, args: &Arguments) -> Detected {
    let mut attributes: Vec<(String, String)> = Vec::new();
    for det in &args.detectors {
        let found = match det.as_str() {
            "env" => match std::env::var("OTEL_RESOURCE_ATTRIBUTES") {
                Ok(v) => detect::env_attributes(&v),
                Err(_) => Ok(Vec::new()),
            },
            "system" => detect::system_attributes(std::path::Path::new("/"), &args.system),
            _ => Ok(Vec::new()),
        };
        match found {
            Ok(found) => {
                for (k, v) in found {
                    if !attributes.iter().any(|(have, _)| *have == k) {
                        attributes.push((k, v));
                    }
                }
            }
            Err(e) => {
                tracing::warn!(component = %id, detector = %det, "failed to detect resource: {e}")
            }
        }
    }
    tracing::info!(component = %id, attributes = ?attributes, "detected resource information");
    Detected {
        attributes,
        override_: args.override_,
    }
}

fn enrich(resource: &mut Option<Resource>, d: &Detected) {
    let r = resource.get_or_insert_with(Resource::default);
    for (k, v) in &d.attributes {
        let value = AnyValue {
            value: Some(any_value::Value::StringValue(v.clone())),
        };
        match r.attributes.iter_mut().find(|kv| &kv.key == k) {
            Some(kv) if d.override_ => kv.value = Some(value),
            Some(_) => {}
            None => r.attributes.push(KeyValue {
                key: k.clone(),
                value: Some(value),
            }),
        }
    }
}

impl Consume for State {
    fn consume(&self, data: &Data, token: Option<&Token>) -> Result<(), ConsumeError> {
        let d = self
            .detected
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if d.attributes.is_empty() {
            return self.out.send(data, token);
        }
        let mut copy = data.clone();
        match &mut copy {
            Data::Traces(t) => t
                .resource_spans
                .iter_mut()
                .for_each(|r| enrich(&mut r.resource, &d)),
            Data::Metrics(m) => m
                .resource_metrics
                .iter_mut()
                .for_each(|r| enrich(&mut r.resource, &d)),
            Data::Logs(l) => l
                .resource_logs
                .iter_mut()
                .for_each(|r| enrich(&mut r.resource, &d)),
        }
        self.out.send(&copy, token)
    }
}

pub struct Component {
    ctx: Context,
    state: Arc<State>,
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;
    const LIVE_DEBUGGING: bool = true;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        for w in &args.warnings {
            tracing::warn!(component = %ctx.id, "{w}");
        }
        let detected = if ctx.validate_only {
            Detected {
                attributes: Vec::new(),
                override_: args.override_,
            }
        } else {
            detect_all(&ctx.id, &args)
        };
        let state = Arc::new(State {
            detected: RwLock::new(Arc::new(detected)),
            out: PassThrough::new(&ctx.id, args.output.clone()),
        });
        crate::livedebug::observe(&state.out.fanout, &ctx.live_debugging);
        let input = Consumer::new(ctx.id.clone(), state.clone());
        ctx.exports
            .init(Value::object([("input", Value::from(OtelConsumer(input)))]));
        ctx.health.healthy("started component");
        Ok(Component { ctx, state })
    }

    fn start(self: &Arc<Self>) {
        self.state.out.start(&self.ctx);
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        self.state.out.fanout.set_outputs(args.output.clone());
        *self
            .state
            .detected
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(detect_all(&self.ctx.id, &args));
        Ok(())
    }

    fn debug_info(&self) -> Option<Value> {
        let d = self
            .state
            .detected
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Some(Value::object([(
            "detected",
            Value::array(
                d.attributes
                    .iter()
                    .map(|(k, v)| Value::string(format!("{k}={v}"))),
            ),
        )]))
    }
}
