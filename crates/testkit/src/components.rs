//! Small components for whole-config tests of the runtime, in the spirit of Alloy's `testcomponents`:
//!
//! - `test.passthrough "x" { input = <any>, secret = <secret, optional> }` exports `{ output = input }`;
//! - `test.source "x" { initial = <any> }` exports `{ value = … }`, settable from the test with
//!   [`set_source`] to drive re-evaluation of dependants;
//! - `test.health "x" { fail_build = false, unhealthy = "" }` fails to build, or reports itself unhealthy.
//!
//! Every build and update is counted per id, so tests can prove what was rebuilt, updated or left alone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ingot_runtime::component::{
    ComponentType, Context, DebugMetric, Desc, HttpReply, HttpRequest, HttpResponse, MetricType,
    Registration, Registry, Stability,
};
use ingot_runtime::exports::ExportsPublisher;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::{Secret, Value};

#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub builds: u32,
    pub updates: u32,
}

fn counts() -> &'static Mutex<HashMap<String, Counts>> {
    static COUNTS: OnceLock<Mutex<HashMap<String, Counts>>> = OnceLock::new();
    COUNTS.get_or_init(Default::default)
}

fn sources() -> &'static Mutex<HashMap<String, ExportsPublisher>> {
    static SOURCES: OnceLock<Mutex<HashMap<String, ExportsPublisher>>> = OnceLock::new();
    SOURCES.get_or_init(Default::default)
}

/// Builds and updates of the component `id` so far. Ids are global to the test process: use unique labels.
pub fn counts_of(id: &str) -> Counts {
    counts()
        .lock()
        .unwrap()
        .get(id)
        .copied()
        .unwrap_or_default()
}

fn count(id: &str, f: impl FnOnce(&mut Counts)) {
    f(counts().lock().unwrap().entry(id.to_string()).or_default());
}

/// Sets the `value` export of the `test.source` component `id`.
pub fn set_source(id: &str, value: Value) {
    let publisher = sources()
        .lock()
        .unwrap()
        .get(id)
        .cloned()
        .unwrap_or_else(|| panic!("no test.source {id}"));
    publisher.publish(Value::object([("value", value)]));
}

#[derive(Clone, Debug, PartialEq)]
pub struct PassthroughArgs {
    pub input: Value,
    /// A secret-typed argument, to prove secrets never show in the API.
    pub secret: Option<Secret>,
}

impl Decode for PassthroughArgs {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(PassthroughArgs {
            input: d.required("input")?,
            secret: d.optional("secret")?,
        })
    }
}

pub struct Passthrough {
    ctx: Context,
}

/// `test.passthrough`'s one metric.
static PASSTHROUGH_UPDATES: Desc = Desc::new(
    "test_passthrough_updates_total",
    "Updates of the component's arguments.",
    MetricType::Counter,
    &["kind"],
);

impl ComponentType for Passthrough {
    const NAME: &'static str = "test.passthrough";
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = PassthroughArgs;

    fn build(ctx: Context, args: PassthroughArgs) -> Result<Self, String> {
        count(&ctx.id, |c| c.builds += 1);
        ctx.exports.init(Value::object([("output", args.input)]));
        Ok(Passthrough { ctx })
    }

    fn update(&self, args: PassthroughArgs) -> Result<(), String> {
        count(&self.ctx.id, |c| c.updates += 1);
        self.ctx
            .exports
            .publish(Value::object([("output", args.input)]));
        Ok(())
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        vec![DebugMetric::new(
            &PASSTHROUGH_UPDATES,
            ["passthrough"],
            counts_of(&self.ctx.id).updates as f64,
        )]
    }

    fn http(self: &Arc<Self>, request: HttpRequest<'_>) -> Option<HttpReply> {
        (request.path == "/echo")
            .then(|| HttpResponse::text(200, format!("{} {}", request.method, self.ctx.id)).into())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SourceArgs {
    pub initial: Value,
}

impl Decode for SourceArgs {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(SourceArgs {
            initial: d.optional_or("initial", Value::Null)?,
        })
    }
}

pub struct Source {
    ctx: Context,
}

impl ComponentType for Source {
    const NAME: &'static str = "test.source";
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = SourceArgs;

    fn build(ctx: Context, args: SourceArgs) -> Result<Self, String> {
        count(&ctx.id, |c| c.builds += 1);
        ctx.exports.init(Value::object([("value", args.initial)]));
        Ok(Source { ctx })
    }

    fn start(self: &std::sync::Arc<Self>) {
        sources()
            .lock()
            .unwrap()
            .insert(self.ctx.id.clone(), self.ctx.exports.clone());
    }

    fn update(&self, _: SourceArgs) -> Result<(), String> {
        count(&self.ctx.id, |c| c.updates += 1);
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HealthArgs {
    pub fail_build: bool,
    pub unhealthy: String,
}

impl Decode for HealthArgs {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(HealthArgs {
            fail_build: d.optional_or("fail_build", false)?,
            unhealthy: d.optional_or("unhealthy", String::new())?,
        })
    }
}

pub struct Health {
    ctx: Context,
}

impl Health {
    fn report(&self, args: &HealthArgs) {
        if args.unhealthy.is_empty() {
            self.ctx.health.healthy("all good");
        } else {
            self.ctx.health.unhealthy(args.unhealthy.clone());
        }
    }
}

impl ComponentType for Health {
    const NAME: &'static str = "test.health";
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = HealthArgs;

    fn build(ctx: Context, args: HealthArgs) -> Result<Self, String> {
        count(&ctx.id, |c| c.builds += 1);
        if args.fail_build {
            return Err("asked to fail".into());
        }
        let h = Health { ctx };
        h.report(&args);
        Ok(h)
    }

    fn update(&self, args: HealthArgs) -> Result<(), String> {
        count(&self.ctx.id, |c| c.updates += 1);
        self.report(&args);
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SlowArgs {
    pub value: f64,
    pub build_delay: std::time::Duration,
    pub update_delay: std::time::Duration,
}

impl Decode for SlowArgs {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(SlowArgs {
            value: d.optional_or("value", 0.0)?,
            build_delay: d.optional_or("build_delay", std::time::Duration::ZERO)?,
            update_delay: d.optional_or("update_delay", std::time::Duration::ZERO)?,
        })
    }
}

/// `test.slow`: sleeps `build_delay` in `build` and `update_delay` in `update` (as a component that opens a
/// database or reads a large file might), and serves `/metrics` (`test_slow_value <value>`) without
/// waiting for either.
pub struct Slow {
    ctx: Context,
    value: Mutex<f64>,
}

impl ComponentType for Slow {
    const NAME: &'static str = "test.slow";
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = SlowArgs;

    fn build(ctx: Context, args: SlowArgs) -> Result<Self, String> {
        count(&ctx.id, |c| c.builds += 1);
        std::thread::sleep(args.build_delay);
        Ok(Slow {
            ctx,
            value: Mutex::new(args.value),
        })
    }

    fn update(&self, args: SlowArgs) -> Result<(), String> {
        count(&self.ctx.id, |c| c.updates += 1);
        std::thread::sleep(args.update_delay);
        *self.value.lock().unwrap() = args.value;
        Ok(())
    }

    fn http(self: &Arc<Self>, request: HttpRequest<'_>) -> Option<HttpReply> {
        (request.path == "/metrics").then(|| {
            HttpResponse::text(
                200,
                format!("test_slow_value {}\n", *self.value.lock().unwrap()),
            )
            .into()
        })
    }
}

/// `test.passthrough` registered at the experimental stability level, to test `--stability.level`.
pub struct ExperimentalPassthrough(Passthrough);

impl ComponentType for ExperimentalPassthrough {
    const NAME: &'static str = "test.experimental";
    const STABILITY: Stability = Stability::Experimental;

    type Args = PassthroughArgs;

    fn build(ctx: Context, args: PassthroughArgs) -> Result<Self, String> {
        Passthrough::build(ctx, args).map(ExperimentalPassthrough)
    }

    fn update(&self, args: PassthroughArgs) -> Result<(), String> {
        self.0.update(args)
    }
}

/// The test components' registrations.
pub fn registrations() -> Vec<Registration> {
    vec![
        Registration::of::<Passthrough>(),
        Registration::of::<Source>(),
        Registration::of::<Health>(),
        Registration::of::<Slow>(),
        Registration::of::<ExperimentalPassthrough>(),
    ]
}

/// A registry of the test components only.
pub fn registry() -> Registry {
    Registry::new(registrations())
}

/// GET `path` (`<component id>/metrics`) through the controller and wait for the answer, for tests that
/// are not async themselves. `None` when no component has that id. Not from inside a Tokio runtime.
pub fn get(controller: &ingot_runtime::controller::Controller, path: &str) -> Option<HttpResponse> {
    let reply = controller.component_http(path, "GET", None, &[])?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the request");
    Some(runtime.block_on(reply.response()))
}
