//! What a component is to the runtime: a type with arguments decoded from its block, built once, updated
//! when its arguments change, publishing exports that other components read, and reporting its health.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use ingot_syntax::value::Value;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config_block::ConfigBlockRegistration;
use crate::exports::ExportsPublisher;
use crate::graph::BlockClass;
use crate::health::HealthReporter;
use crate::metrics::{AgentCollector, AgentCollectors};
use ingot_prom::exposition::FamilySet;
use ingot_syntax::ast::Block;
use ingot_syntax::decode::{decode_args, Decode};
use ingot_syntax::eval::Evaluator;
use ingot_syntax::Diagnostics;

/// What components declare their own metrics with.
pub use ingot_prom::exposition::{Desc, HistogramValue, MetricType, MetricValue};
pub use ingot_syntax::eval::Stability;

/// Everything a component gets from the runtime when it is built.
#[derive(Clone)]
pub struct Context {
    /// `prometheus.exporter.unix.localhost`
    pub id: String,
    pub health: HealthReporter,
    pub exports: ExportsPublisher,
    /// `<storage.path>/<id>`: where the component keeps state (WAL, positions). Not created for it.
    pub data_path: PathBuf,
    /// The in-memory address exporters put in their targets (`--server.http.memory-addr`).
    pub memory_addr: String,
    /// Cancelled when the component is removed or the agent stops; background tasks watch it.
    pub shutdown: CancellationToken,
    /// Background tasks spawn here (`ctx.tasks.spawn(...)`), so that shutdown can wait for them to finish
    /// (flushing queues, closing files) within a deadline.
    pub tasks: TaskTracker,
    /// Serves requests to other components' endpoints in memory: what scraping a target at `memory_addr`
    /// uses instead of TCP.
    pub memory_http: MemoryHttp,
    /// True under `ingot validate`: `build` checks the arguments and sets the exports as always, but binds
    /// no port, opens no connection and reads no file it would read at run time (the component is never
    /// started).
    pub validate_only: bool,
    /// Agent-wide behaviour switched by `--feature.*` flags.
    pub features: crate::controller::Features,
    /// Where the component publishes what passes through it for live debugging (see
    /// [`crate::livedebugging`]): free while nobody watches.
    pub live_debugging: crate::livedebugging::Publisher,
}

/// Routes `/api/v0/component/<id>/<path>` requests to components, and gathers the agent's metrics (the
/// controller implements it).
pub trait ComponentRouter: Send + Sync {
    /// `path` is what follows `/api/v0/component/`. `None` when no component has that id.
    fn route(
        &self,
        path: &str,
        method: &str,
        query: Option<&str>,
        headers: &[(String, String)],
    ) -> Option<HttpReply>;

    /// Adds everything `/metrics` serves to `set`.
    fn gather(&self, set: &mut FamilySet);
}

/// An in-memory HTTP client for component endpoints, given to every component, and its way to the
/// agent's own metrics (what `/metrics` serves).
#[derive(Clone)]
pub struct MemoryHttp {
    router: std::sync::Weak<dyn ComponentRouter>,
    agent: Arc<AgentCollectors>,
}

impl MemoryHttp {
    pub fn new(
        router: std::sync::Weak<dyn ComponentRouter>,
        agent: Arc<AgentCollectors>,
    ) -> MemoryHttp {
        MemoryHttp { router, agent }
    }

    /// A client that routes nowhere and gathers nothing (for components built outside a controller, in
    /// tests).
    pub fn detached() -> MemoryHttp {
        struct Nowhere;
        impl ComponentRouter for Nowhere {
            fn route(
                &self,
                _: &str,
                _: &str,
                _: Option<&str>,
                _: &[(String, String)],
            ) -> Option<HttpReply> {
                None
            }
            fn gather(&self, _: &mut FamilySet) {}
        }
        let none: std::sync::Weak<dyn ComponentRouter> = std::sync::Weak::<Nowhere>::new();
        MemoryHttp {
            router: none,
            agent: Arc::default(),
        }
    }

    /// GET `path` (a full URL path such as `/api/v0/component/<id>/metrics`) from the component that serves
    /// it. `None` when the path is not a component endpoint, no component has that id, or the agent is
    /// shutting down.
    pub async fn get(
        &self,
        path: &str,
        query: Option<&str>,
        headers: &[(String, String)],
    ) -> Option<HttpResponse> {
        let rest = path.strip_prefix("/api/v0/component/")?;
        let reply = self.router.upgrade()?.route(rest, "GET", query, headers)?;
        Some(reply.response().await)
    }

    /// Adds everything the agent's `/metrics` serves to `set` (nothing once the agent is shutting down).
    /// Reads /proc and every component's metrics: call it from a blocking context.
    pub fn gather(&self, set: &mut FamilySet) {
        if let Some(router) = self.router.upgrade() {
            router.gather(set);
        }
    }

    /// What the binary is (its version, revision, compiler), when the binary said so; `None` for
    /// components built outside the agent (tests).
    pub fn build_info(&self) -> Option<Arc<crate::metrics::BuildInfo>> {
        self.agent.build_info()
    }

    /// The agent-level collector registered under `key`, registered now if there is none (see
    /// [`AgentCollectors::get_or_add`]): how a component adds metrics that `/metrics` serves without its
    /// `component_id`, as Alloy's components do in the default registry.
    pub fn agent_collector<C: AgentCollector>(
        &self,
        key: &'static str,
        make: impl FnOnce() -> C,
    ) -> Option<Arc<C>> {
        self.agent.get_or_add(key, make)
    }
}

/// A component's typed arguments: decoded from its block body (see [`ingot_syntax::decode`]), compared to
/// skip needless updates.
pub trait Arguments: Decode + Clone + PartialEq + fmt::Debug + Send + Sync + 'static {}

impl<T: Decode + Clone + PartialEq + fmt::Debug + Send + Sync + 'static> Arguments for T {}

/// A component type. `build` must not start background work; `start` does, once the whole new graph has
/// been built, so that a config rejected half-way leaves nothing running.
///
/// Locking rule: the runtime calls `build` and `update` under its load lock only, which no request path
/// takes; requests (`/-/ready`, `/metrics`, the API, in-memory scrapes) read the last published snapshot.
/// So `build` and `update` may take their time (open a database, read a file), and a component keeps the
/// same promise inside: `http`, `debug_info` and `debug_metrics` never wait on a lock that `update` holds
/// while doing slow work (swap prepared state in at the end instead).
pub trait ComponentType: Sized + Send + Sync + 'static {
    /// The block name in configs: `prometheus.exporter.unix`.
    const NAME: &'static str;
    /// Alloy's stability level for the component; `--stability.level` below it refuses the block.
    const STABILITY: Stability;

    /// Whether the component publishes live debugging data (Alloy's `component.LiveDebugging` marker): a
    /// debug stream of any other component is refused, as Alloy refuses it.
    const LIVE_DEBUGGING: bool = false;

    type Args: Arguments;

    fn build(ctx: Context, args: Self::Args) -> Result<Self, String>;

    /// Starts background work (called once, after a successful build).
    fn start(self: &Arc<Self>) {}

    /// Applies new arguments; only called when they differ from the current ones.
    fn update(&self, args: Self::Args) -> Result<(), String>;

    /// Serves `/api/v0/component/<id>/<path>`; `None` when the component has no such endpoint. Answer
    /// `Ready` only what takes no waiting; anything that reads files or talks to a peer answers `Later`
    /// with a future that does the work off the reactor (see [`crate::single_flight`]), so that a waiting
    /// request holds no thread and a client that goes away stops its wait.
    fn http(self: &Arc<Self>, _request: HttpRequest<'_>) -> Option<HttpReply> {
        None
    }

    /// Extra state for the component's API page (targets and their health, queue state, ...).
    fn debug_info(&self) -> Option<Value> {
        None
    }

    /// The component's own metrics (queue sizes, samples sent, ...), served on `/metrics` with the labels
    /// `component_id` and `component_path` added, as Alloy does.
    fn debug_metrics(&self) -> Vec<DebugMetric> {
        Vec::new()
    }
}

/// One sample of a component's own metrics: a family the component declares once, as a static
/// [`Desc`] (name, help, type and label names), the values of its labels and its value.
///
/// `/metrics` serves them (see [`crate::metrics::collect_component_metrics`]), and a component whose
/// `debug_info` shows the same numbers reads them where its metrics do.
#[derive(Clone, Debug, PartialEq)]
pub struct DebugMetric {
    pub desc: &'static Desc,
    /// In the order of `desc.labels`.
    pub label_values: Vec<String>,
    pub value: MetricValue,
}

impl DebugMetric {
    /// A counter's, gauge's or untyped metric's sample.
    pub fn new<S: Into<String>>(
        desc: &'static Desc,
        label_values: impl IntoIterator<Item = S>,
        value: f64,
    ) -> DebugMetric {
        DebugMetric::with_value(desc, label_values, MetricValue::Scalar(value))
    }

    /// A histogram's sample.
    pub fn histogram<S: Into<String>>(
        desc: &'static Desc,
        label_values: impl IntoIterator<Item = S>,
        value: HistogramValue,
    ) -> DebugMetric {
        DebugMetric::with_value(desc, label_values, MetricValue::Histogram(value))
    }

    pub fn with_value<S: Into<String>>(
        desc: &'static Desc,
        label_values: impl IntoIterator<Item = S>,
        value: MetricValue,
    ) -> DebugMetric {
        let label_values: Vec<String> = label_values.into_iter().map(Into::into).collect();
        debug_assert_eq!(
            label_values.len(),
            desc.labels.len(),
            "label values of {}",
            desc.name
        );
        DebugMetric {
            desc,
            label_values,
            value,
        }
    }

    pub fn name(&self) -> &'static str {
        self.desc.name
    }

    /// `(name, value)` pairs in the order of the desc's label names.
    pub fn labels(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.desc
            .labels
            .iter()
            .copied()
            .zip(self.label_values.iter().map(String::as_str))
    }

    /// The value of label `name`.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The value of a counter, gauge or untyped metric.
    pub fn scalar(&self) -> Option<f64> {
        match self.value {
            MetricValue::Scalar(v) => Some(v),
            _ => None,
        }
    }
}

/// A request routed to a component, reduced to what components need.
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// The path below the component id, with its leading `/` (`/metrics`).
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a [(String, String)],
}

#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// A response still being produced, off the reactor.
pub type HttpFuture = Pin<Box<dyn Future<Output = HttpResponse> + Send + 'static>>;

/// What a component's endpoint answers: a response at once, or one to wait for.
pub enum HttpReply {
    Ready(HttpResponse),
    Later(HttpFuture),
}

impl From<HttpResponse> for HttpReply {
    fn from(r: HttpResponse) -> HttpReply {
        HttpReply::Ready(r)
    }
}

impl HttpReply {
    pub async fn response(self) -> HttpResponse {
        match self {
            HttpReply::Ready(r) => r,
            HttpReply::Later(f) => f.await,
        }
    }
}

impl HttpResponse {
    pub fn text(status: u16, body: impl Into<String>) -> HttpResponse {
        HttpResponse {
            status,
            content_type: "text/plain; charset=utf-8".into(),
            body: body.into().into_bytes(),
        }
    }
}

/// A running component with its type erased, as the controller holds it.
pub trait DynComponent: Send + Sync {
    fn update(&self, args: &DynArgs) -> Result<(), String>;
    fn start(&self);
    fn http(&self, request: HttpRequest<'_>) -> Option<HttpReply>;
    fn debug_info(&self) -> Option<Value>;
    fn debug_metrics(&self) -> Vec<DebugMetric>;
}

/// Decoded arguments with their type erased.
pub struct DynArgs(Box<dyn DynArgsInner>);

trait DynArgsInner: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    fn equals(&self, other: &dyn Any) -> bool;
    fn debug(&self) -> String;
}

impl<A: Arguments> DynArgsInner for A {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn equals(&self, other: &dyn Any) -> bool {
        other.downcast_ref::<A>().is_some_and(|o| o == self)
    }
    fn debug(&self) -> String {
        format!("{self:?}")
    }
}

impl DynArgs {
    pub fn new<A: Arguments>(args: A) -> DynArgs {
        DynArgs(Box::new(args))
    }

    pub fn downcast<A: Arguments>(&self) -> Option<&A> {
        self.0.as_any().downcast_ref::<A>()
    }
}

impl PartialEq for DynArgs {
    fn eq(&self, other: &DynArgs) -> bool {
        self.0.equals(other.0.as_any())
    }
}

impl fmt::Debug for DynArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.debug())
    }
}

struct Erased<C: ComponentType>(Arc<C>);

impl<C: ComponentType> DynComponent for Erased<C> {
    fn update(&self, args: &DynArgs) -> Result<(), String> {
        let args = args
            .downcast::<C::Args>()
            .ok_or("internal error: arguments of another component type")?;
        self.0.update(args.clone())
    }
    fn start(&self) {
        self.0.start()
    }
    fn http(&self, request: HttpRequest<'_>) -> Option<HttpReply> {
        self.0.http(request)
    }
    fn debug_info(&self) -> Option<Value> {
        self.0.debug_info()
    }
    fn debug_metrics(&self) -> Vec<DebugMetric> {
        self.0.debug_metrics()
    }
}

/// Builds a component from decoded arguments (type-erased).
pub type BuildFn = fn(Context, &DynArgs) -> Result<Arc<dyn DynComponent>, String>;

/// One entry of the component registry.
pub struct Registration {
    /// `prometheus.exporter.unix`
    pub name: &'static str,
    pub stability: Stability,
    /// [`ComponentType::LIVE_DEBUGGING`].
    pub live_debugging: bool,
    pub decode: fn(&Block, &mut Evaluator<'_>) -> Result<DynArgs, Diagnostics>,
    pub build: BuildFn,
}

impl Registration {
    pub fn of<C: ComponentType>() -> Registration {
        Registration {
            name: C::NAME,
            stability: C::STABILITY,
            live_debugging: C::LIVE_DEBUGGING,
            decode: |block, ev| decode_args::<C::Args>(block, ev).map(DynArgs::new),
            build: |ctx, args| {
                let args = args
                    .downcast::<C::Args>()
                    .ok_or("internal error: arguments of another component type")?;
                let component = C::build(ctx, args.clone())?;
                Ok(Arc::new(Erased(Arc::new(component))))
            },
        }
    }
}

/// The explicit list of component types and config blocks this build knows.
pub struct Registry {
    entries: Vec<Registration>,
    config_blocks: Vec<ConfigBlockRegistration>,
}

impl Registry {
    pub fn new(entries: Vec<Registration>) -> Registry {
        Registry {
            entries,
            config_blocks: Vec::new(),
        }
    }

    /// Adds the config blocks (`logging`, `http`, ...) this build knows.
    pub fn with_config_blocks(mut self, blocks: Vec<ConfigBlockRegistration>) -> Registry {
        self.config_blocks.extend(blocks);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Registration> {
        self.entries.iter().find(|r| r.name == name)
    }

    pub fn config_block(&self, name: &str) -> Option<&ConfigBlockRegistration> {
        self.config_blocks.iter().find(|r| r.name == name)
    }

    pub fn config_blocks(&self) -> &[ConfigBlockRegistration] {
        &self.config_blocks
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.iter().map(|r| r.name)
    }

    /// What a top-level block name is in this registry.
    pub fn classify(&self, name: &str) -> BlockClass {
        if self.get(name).is_some() {
            BlockClass::Component { needs_label: true }
        } else if self.config_block(name).is_some() {
            BlockClass::Config
        } else {
            BlockClass::Unknown
        }
    }
}
