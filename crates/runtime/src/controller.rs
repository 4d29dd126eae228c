//! The controller: turns a configuration into running components and keeps them in step with it.
//!
//! Loading is two-phase. First every block is checked, evaluated in dependency order and every new component
//! is built (building starts nothing); if anything fails, the new config is rejected whole and the running
//! graph is untouched. Then the change is committed: removed components stop (dependants first), new ones start,
//! changed ones get their new arguments, unchanged ones are left alone.
//!
//! Locking: loads and re-evaluations take the load lock (`loader`) and run component code (`build`,
//! `update`) under it. Requests never take it: they read the published [`Snapshot`], which a load replaces
//! whole once it has committed. So a component that takes seconds to build or update delays the next load,
//! never `/-/ready`, `/metrics`, the API or another component's endpoint.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};
use std::time::{Duration, Instant, SystemTime};

use ingot_syntax::value::Value;
use ingot_syntax::{Diagnostic, Diagnostics, Span};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::component::{ComponentRouter, DebugMetric, MemoryHttp};
use crate::component::{
    Context, DynArgs, DynComponent, HttpReply, HttpRequest, HttpResponse, Registry, Stability,
};
use crate::config_block::ConfigBlocks;
use crate::eval::{self, Decoded, ExportsScope};
use crate::exports::{Changed, ExportsPublisher};
use crate::graph::{self, BlockClass, Graph};
use crate::health::{Health, HealthReporter, HealthState};
use crate::livedebugging::{LiveDebugging, Publisher};
use crate::metrics::{AgentCollector, AgentCollectors, ControllerMetrics};
use crate::source::ConfigSource;

#[derive(Clone, Debug)]
pub struct Options {
    pub storage_path: PathBuf,
    pub memory_addr: String,
    pub stability: Stability,
    /// Agent-wide behaviour switched by `--feature.*` flags, handed to every component.
    pub features: Features,
    /// `--cluster.name`: the `cluster_name` label of `alloy_config_hash`.
    pub cluster_name: String,
}

/// Behaviour switched for the whole agent by `--feature.*` flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// `--feature.prometheus.scrape.stale-markers-on-stop`: when a `prometheus.scrape` stops (the agent
    /// stops, or the component leaves the config), end every series it wrote with a staleness marker.
    /// Off by default, as Prometheus and Alloy: a stop then looks like silence, and a push relay shows the
    /// host as down after `down_after`, as pull mode would.
    pub scrape_stale_markers_on_stop: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            storage_path: PathBuf::from("data-alloy"),
            memory_addr: "alloy.internal:12345".into(),
            stability: Stability::GenerallyAvailable,
            features: Features::default(),
            cluster_name: String::new(),
        }
    }
}

/// A running component. Shared between the loader and the published snapshots; what changes after it is
/// built sits behind `state`, which is only ever held for a copy, never across component code.
struct Entry {
    type_name: &'static str,
    component: Arc<dyn DynComponent>,
    reporter: HealthReporter,
    exports: ExportsPublisher,
    /// Health of the component's life cycle (`started component`).
    run_health: Health,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    state: Mutex<EntryState>,
}

struct EntryState {
    args: DynArgs,
    /// Where the block's secret-typed values are, so that the API never shows them.
    sensitive: Vec<Span>,
    /// Health of the last evaluation of the block (unhealthy while the newest arguments could not be used).
    eval_health: Health,
}

impl Entry {
    fn state(&self) -> MutexGuard<'_, EntryState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn health(&self) -> Health {
        let eval_health = self.state().eval_health.clone();
        let own = self.reporter.get();
        let worst = Health::least_healthy(&[self.run_health.clone(), eval_health, own.clone()]);
        // All healthy: the component's own report ("all collectors succeeded; ...") says more than the
        // runtime's "component evaluated", whichever came last.
        if worst.state == HealthState::Healthy
            && own.state == HealthState::Healthy
            && own.updated != SystemTime::UNIX_EPOCH
        {
            own
        } else {
            worst
        }
    }
}

/// What the loader owns: the applied graph and its components. Only loads and re-evaluations touch it.
#[derive(Default)]
struct Loaded {
    graph: Arc<Graph>,
    /// The data-flow edges of the graph, `(from, to)` (see [`data_flow_edges`]).
    edges: Arc<Vec<(String, String)>>,
    entries: HashMap<String, Arc<Entry>>,
    config_blocks: ConfigBlocks,
    loaded: bool,
}

/// What requests read: a copy of [`Loaded`] taken after each change (the entries are shared, not copied).
#[derive(Default)]
struct Snapshot {
    graph: Arc<Graph>,
    edges: Arc<Vec<(String, String)>>,
    entries: HashMap<String, Arc<Entry>>,
    config_blocks: ConfigBlocks,
    loaded: bool,
}

/// A read-only view of one component for the HTTP API.
#[derive(Clone, Debug)]
pub struct ComponentInfo {
    /// Component type: `prometheus.exporter.unix`.
    pub name: String,
    pub id: String,
    pub label: Option<String>,
    pub references_to: Vec<String>,
    pub referenced_by: Vec<String>,
    /// Where this component's data goes (Alloy's `dataFlowEdgesTo`), one entry per reference.
    pub data_flow_edges_to: Vec<String>,
    pub health: Health,
    /// The block's attributes as evaluated, for display (secrets stay secrets).
    pub arguments: Vec<eval::BodyItem>,
    pub exports: Value,
    pub debug_info: Option<Value>,
}

enum Change {
    Keep(Vec<Span>),
    Update(Decoded),
    New(Box<Entry>),
}

/// A staged load: the new graph and what changes for each of its components.
struct Plan {
    graph: Graph,
    edges: Vec<(String, String)>,
    changes: Vec<(usize, Change)>,
    config_blocks: ConfigBlocks,
}

impl Plan {
    /// Drops a staged load; components built for it never started, but their tokens are cancelled anyway.
    fn discard(self) {
        for (_, change) in self.changes {
            if let Change::New(entry) = change {
                entry.shutdown.cancel();
            }
        }
    }
}

pub struct Controller {
    /// Handed to components as their in-memory HTTP client (scraping `alloy.internal:12345`).
    me: Weak<Controller>,
    registry: Arc<Registry>,
    options: Options,
    /// The load lock: held by loads and re-evaluations, while they run component code. No request takes it.
    loader: Mutex<Loaded>,
    /// What requests read, replaced whole after each change. The lock is held only to clone or swap the
    /// pointer.
    snapshot: RwLock<Arc<Snapshot>>,
    changed_tx: mpsc::UnboundedSender<Changed>,
    changed_rx: Mutex<Option<mpsc::UnboundedReceiver<Changed>>>,
    pub metrics: ControllerMetrics,
    /// The agent's own collectors (the process, the build), gathered with the controller's metrics.
    agent: Arc<AgentCollectors>,
    /// Where components publish live debugging data and the web API's streams watch it.
    live_debugging: Arc<LiveDebugging>,
}

/// Whether a component can be watched by a debug stream, and why not (Alloy's answers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveDebuggingSupport {
    Supported,
    /// No block has this id.
    NotFound,
    /// The id is a config block's (`logging`).
    NotAComponent,
    /// The component's type publishes nothing; its name (`prometheus.exporter.unix`).
    Unsupported(String),
}

impl Controller {
    pub fn new(registry: Arc<Registry>, options: Options) -> Arc<Controller> {
        let (changed_tx, changed_rx) = mpsc::unbounded_channel();
        let config_blocks = ConfigBlocks::defaults(registry.config_blocks());
        let metrics = ControllerMetrics::new(&options.cluster_name);
        Arc::new_cyclic(|me| Controller {
            me: me.clone(),
            registry,
            options,
            loader: Mutex::new(Loaded {
                config_blocks: config_blocks.clone(),
                ..Loaded::default()
            }),
            snapshot: RwLock::new(Arc::new(Snapshot {
                config_blocks,
                ..Snapshot::default()
            })),
            changed_tx,
            changed_rx: Mutex::new(Some(changed_rx)),
            metrics,
            agent: Arc::default(),
            live_debugging: Arc::default(),
        })
    }

    fn lock_loader(&self) -> MutexGuard<'_, Loaded> {
        self.loader.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current snapshot, for a request.
    fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Publishes what the loader holds now. Called with the load lock held, after component code ran.
    fn publish(&self, loaded: &Loaded) {
        let snapshot = Arc::new(Snapshot {
            graph: loaded.graph.clone(),
            edges: loaded.edges.clone(),
            entries: loaded.entries.clone(),
            config_blocks: loaded.config_blocks.clone(),
            loaded: loaded.loaded,
        });
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = snapshot;
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// What a top-level block name is for this controller's registry.
    pub fn classify(&self, name: &str) -> BlockClass {
        self.registry.classify(name)
    }

    fn check_graph(&self, config: &ConfigSource) -> (Graph, Diagnostics) {
        let (graph, mut diags) = graph::build(
            config,
            &|name: &str| self.registry.classify(name),
            &|name: &str| ingot_syntax::stdlib::lookup(name).is_some(),
        );
        for node in &graph.nodes {
            let Some(reg) = self.registry.get(&node.name) else {
                continue;
            };
            let feature = format!("component {:?}", reg.name);
            if let Some(message) = reg
                .stability
                .check_allowed(self.options.stability, &feature)
            {
                diags.push(Diagnostic::error(
                    &node.source,
                    node.block.name_span(),
                    message,
                ));
            }
        }
        (graph, diags)
    }

    /// Loads a configuration: all or nothing. On error the running graph is untouched.
    ///
    /// Every call is one load attempt in the `alloy_config_*` metrics, with the config's hash.
    pub fn apply(&self, config: &ConfigSource) -> Result<(), Diagnostics> {
        let result = self.apply_inner(config);
        self.metrics.config_loaded(result.is_ok(), config.sha256);
        match &result {
            Ok(()) => {}
            Err(diags) => {
                tracing::error!(
                    errors = diags.len(),
                    "rejected the new configuration; the running one stays:\n{}",
                    diags.render()
                );
            }
        }
        result
    }

    fn apply_inner(&self, config: &ConfigSource) -> Result<(), Diagnostics> {
        let mut loaded = self.lock_loader();
        self.metrics.set_evaluating(true);
        let result = self.stage(&loaded, config, false).map(|plan| {
            Self::commit(&mut loaded, plan);
            self.publish(&loaded);
            let graph = loaded.graph.clone();
            self.live_debugging
                .retain(|id| graph.by_id.contains_key(id));
        });
        self.metrics.set_evaluating(false);
        result
    }

    /// Checks a configuration as `ingot validate` does: every argument decoded and every component built in
    /// its validate-only mode (no port bound, no connection, no file read that the component reads at run
    /// time), without starting or changing anything.
    pub fn check(&self, config: &ConfigSource) -> Diagnostics {
        let loaded = self.lock_loader();
        match self.stage(&loaded, config, true) {
            Ok(plan) => {
                plan.discard();
                Diagnostics::new()
            }
            Err(diags) => diags,
        }
    }

    /// Phase one of a load: evaluate and build everything, start nothing.
    fn stage(
        &self,
        loaded: &Loaded,
        config: &ConfigSource,
        validate_only: bool,
    ) -> Result<Plan, Diagnostics> {
        let (graph, mut diags) = self.check_graph(config);
        if diags.has_errors() {
            return Err(diags);
        }
        let mut plan = Plan {
            graph: Graph::default(),
            edges: Vec::new(),
            changes: Vec::new(),
            config_blocks: ConfigBlocks::defaults(self.registry.config_blocks()),
        };
        // Each component evaluates in the exports of those before it in the order, added as they are built.
        let mut scope = ExportsScope::default();
        // Each component's exports by id, for the data-flow edges.
        let mut exports: HashMap<String, Value> = HashMap::new();
        for &index in &graph.order {
            let node = &graph.nodes[index];
            if let Some(reg) = self.registry.config_block(&node.name) {
                if let Err(d) =
                    eval::decode_config_block(reg, node, scope.scope(), &mut plan.config_blocks)
                {
                    diags.extend(d);
                }
                continue;
            }
            let Some(reg) = self.registry.get(&node.name) else {
                continue;
            };
            let decoded = match eval::decode_node(reg, node, scope.scope(), self.options.stability)
            {
                Ok(decoded) => decoded,
                Err(d) => {
                    diags.extend(d);
                    continue;
                }
            };
            if let Some(entry) = loaded
                .entries
                .get(&node.id)
                .filter(|e| e.type_name == reg.name)
            {
                let value = entry.exports.get();
                scope.insert(&node.id, value.clone());
                exports.insert(node.id.clone(), value);
                let change = if entry.state().args == decoded.args {
                    Change::Keep(decoded.sensitive)
                } else {
                    Change::Update(decoded)
                };
                plan.changes.push((index, change));
                continue;
            }
            let shutdown = CancellationToken::new();
            let ctx = Context {
                id: node.id.clone(),
                health: HealthReporter::new(&node.id),
                exports: ExportsPublisher::new(&node.id, self.changed_tx.clone()),
                data_path: self.options.storage_path.join(&node.id),
                memory_addr: self.options.memory_addr.clone(),
                memory_http: MemoryHttp::new(
                    self.me.clone() as Weak<dyn ComponentRouter>,
                    self.agent.clone(),
                ),
                shutdown: shutdown.clone(),
                tasks: TaskTracker::new(),
                validate_only,
                features: self.options.features,
                live_debugging: if validate_only {
                    Publisher::detached(&node.id)
                } else {
                    self.live_debugging.publisher(&node.id)
                },
            };
            match (reg.build)(ctx.clone(), &decoded.args) {
                Ok(component) => {
                    let value = ctx.exports.get();
                    scope.insert(&node.id, value.clone());
                    exports.insert(node.id.clone(), value);
                    let entry = Entry {
                        type_name: reg.name,
                        component,
                        reporter: ctx.health,
                        exports: ctx.exports,
                        run_health: Health::new(HealthState::Healthy, "started component"),
                        shutdown,
                        tasks: ctx.tasks,
                        state: Mutex::new(EntryState {
                            args: decoded.args,
                            sensitive: decoded.sensitive,
                            eval_health: Health::new(HealthState::Healthy, "component evaluated"),
                        }),
                    };
                    plan.changes.push((index, Change::New(Box::new(entry))));
                }
                Err(message) => diags.push(Diagnostic::error(
                    &node.source,
                    node.block.name_span(),
                    format!("building component {}: {message}", node.id),
                )),
            }
        }
        if diags.has_errors() {
            plan.discard();
            return Err(diags);
        }
        plan.edges = data_flow_edges(&graph, &exports);
        plan.graph = graph;
        Ok(plan)
    }

    /// Phase two: stop what left, start what is new, update what changed.
    fn commit(loaded: &mut Loaded, plan: Plan) {
        let Plan {
            graph,
            edges,
            changes,
            config_blocks,
        } = plan;
        // Components that left the config (or changed type) stop first, dependants before what they depend on.
        let old_order: Vec<String> = loaded
            .graph
            .order
            .iter()
            .map(|&i| loaded.graph.nodes[i].id.clone())
            .collect();
        let kept: HashSet<usize> = changes
            .iter()
            .filter(|(_, c)| !matches!(c, Change::New(_)))
            .map(|(i, _)| *i)
            .collect();
        for id in old_order.iter().rev() {
            let kept = graph.by_id.get(id).is_some_and(|i| kept.contains(i));
            if !kept {
                if let Some(entry) = loaded.entries.remove(id) {
                    entry.shutdown.cancel();
                    tracing::info!(component = %id, "stopped component");
                }
            }
        }
        for (index, change) in changes {
            let id = graph.nodes[index].id.clone();
            match change {
                Change::Keep(sensitive) => {
                    if let Some(entry) = loaded.entries.get(&id) {
                        entry.state().sensitive = sensitive;
                    }
                }
                Change::Update(decoded) => {
                    if let Some(entry) = loaded.entries.get(&id) {
                        Self::update_entry(&id, entry, decoded);
                    }
                }
                Change::New(entry) => {
                    entry.component.start();
                    tracing::info!(component = %id, "started component");
                    loaded.entries.insert(id, Arc::new(*entry));
                }
            }
        }
        loaded.graph = Arc::new(graph);
        loaded.edges = Arc::new(edges);
        loaded.config_blocks = config_blocks;
        loaded.loaded = true;
    }

    /// Gives a component its new arguments. `update` runs with no lock of the entry held, so that requests
    /// reading the entry's health meanwhile are not delayed.
    fn update_entry(id: &str, entry: &Entry, decoded: Decoded) {
        let result = entry.component.update(&decoded.args);
        let mut state = entry.state();
        state.sensitive = decoded.sensitive;
        match result {
            Ok(()) => {
                state.args = decoded.args;
                state.eval_health = Health::new(HealthState::Healthy, "component evaluated");
            }
            Err(message) => {
                tracing::warn!(component = %id, "updating component failed, it keeps its previous arguments: {message}");
                state.eval_health = Health::new(
                    HealthState::Unhealthy,
                    format!("updating component: {message}"),
                );
            }
        }
    }

    /// Re-evaluates the dependants of components whose exports changed, until stopped. Runs as one task.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let Some(mut changed) = self
            .changed_rx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return;
        };
        loop {
            let change = tokio::select! {
                _ = shutdown.cancelled() => break,
                change = changed.recv() => match change { Some(c) => c, None => break },
            };
            self.metrics.set_queue_size(changed.len());
            self.reevaluate_dependants(&change);
            self.metrics.set_queue_size(changed.len());
        }
    }

    /// Evaluates again the dependants of the component whose exports changed. Each evaluation is observed
    /// as Alloy's `concurrentEvalFn` observes it: how long the dependant waited since the change, and how
    /// long its evaluation took.
    fn reevaluate_dependants(&self, change: &Changed) {
        let loaded = self.lock_loader();
        let Some(&index) = loaded.graph.by_id.get(&*change.id) else {
            return;
        };
        self.metrics.set_evaluating(true);
        let exports = Self::exports_of(&loaded.entries);
        let scope = eval::scope_from_exports(&exports);
        let dependants: Vec<usize> = loaded.graph.dependants(index).collect();
        for dependant in dependants {
            let started = Instant::now();
            self.metrics
                .observe_dependency_wait(started.saturating_duration_since(change.at));
            let node = &loaded.graph.nodes[dependant];
            let Some(reg) = self.registry.get(&node.name) else {
                continue;
            };
            let result = eval::decode_node(reg, node, &scope, self.options.stability);
            let Some(entry) = loaded.entries.get(&node.id) else {
                continue;
            };
            match result {
                Err(diags) => {
                    // Keep running with the last good arguments, and say why the new ones were refused.
                    let message = diags
                        .iter()
                        .map(|d| d.short())
                        .collect::<Vec<_>>()
                        .join("; ");
                    tracing::warn!(component = %node.id, "evaluation failed, keeping the previous arguments: {message}");
                    entry.state().eval_health = Health::new(HealthState::Unhealthy, message);
                }
                Ok(decoded) if entry.state().args == decoded.args => {
                    let mut state = entry.state();
                    state.sensitive = decoded.sensitive;
                    state.eval_health = Health::new(HealthState::Healthy, "component evaluated");
                }
                Ok(decoded) => Self::update_entry(&node.id, entry, decoded),
            }
            self.metrics.observe_evaluation(&node.id, started.elapsed());
        }
        self.metrics.set_evaluating(false);
    }

    /// Stops every component, dependants before what they depend on, giving each up to `deadline` to finish
    /// its background work (flushing queues, closing files).
    pub async fn shutdown(&self, deadline: Duration) {
        let entries: Vec<(String, Arc<Entry>)> = {
            let mut loaded = self.lock_loader();
            let order: Vec<String> = loaded
                .graph
                .order
                .iter()
                .map(|&i| loaded.graph.nodes[i].id.clone())
                .collect();
            let entries = order
                .iter()
                .rev()
                .filter_map(|id| loaded.entries.remove(id).map(|e| (id.clone(), e)))
                .collect();
            self.publish(&loaded);
            entries
        };
        for (id, entry) in entries {
            entry.shutdown.cancel();
            entry.tasks.close();
            if tokio::time::timeout(deadline, entry.tasks.wait())
                .await
                .is_err()
            {
                tracing::warn!(component = %id, "component did not stop within {deadline:?}; leaving it behind");
            } else {
                tracing::debug!(component = %id, "component shut down cleanly");
            }
        }
    }

    /// Everything `/metrics` serves: the controller's metrics, every component's own and the agent's.
    pub fn collect_metrics(&self, set: &mut ingot_prom::exposition::FamilySet) {
        let edges = self.snapshot().edges.clone();
        self.metrics.collect(set, &self.health_counts(), &edges);
        crate::metrics::collect_component_metrics(set, &self.debug_metrics());
        self.agent.collect(set);
    }

    /// Adds a collector of agent-level metrics (the process, the build), served on `/metrics` and by
    /// `prometheus.exporter.self` from now on.
    pub fn add_collector<C: AgentCollector>(&self, collector: Arc<C>) {
        self.agent.add(collector);
    }

    /// What the binary is, for the components that label metrics with it (see
    /// [`crate::component::MemoryHttp::build_info`]). Call before the first load.
    pub fn set_build_info(&self, info: crate::metrics::BuildInfo) {
        self.agent.set_build_info(info);
    }

    /// Every component's own metrics, with its id.
    pub fn debug_metrics(&self) -> Vec<(String, DebugMetric)> {
        let snapshot = self.snapshot();
        let mut out = Vec::new();
        for (id, entry) in &snapshot.entries {
            out.extend(
                entry
                    .component
                    .debug_metrics()
                    .into_iter()
                    .map(|m| (id.clone(), m)),
            );
        }
        out
    }

    pub fn is_loaded(&self) -> bool {
        self.snapshot().loaded
    }

    /// The config blocks of the applied configuration (defaults for those it lacks).
    pub fn config_blocks(&self) -> ConfigBlocks {
        self.snapshot().config_blocks.clone()
    }

    /// Every component in declaration order, without arguments and exports (the list endpoint).
    pub fn components(&self) -> Vec<ComponentInfo> {
        let snapshot = self.snapshot();
        snapshot
            .graph
            .nodes
            .iter()
            .filter_map(|node| Self::info(&snapshot, node, false))
            .collect()
    }

    /// One component with its arguments, exports and debug info.
    pub fn component(&self, id: &str) -> Option<ComponentInfo> {
        let snapshot = self.snapshot();
        let node = snapshot.graph.get(id)?;
        Self::info(&snapshot, node, true)
    }

    fn info(snapshot: &Snapshot, node: &graph::Node, detailed: bool) -> Option<ComponentInfo> {
        let entry = snapshot.entries.get(&node.id)?;
        let index = snapshot.graph.by_id[&node.id];
        let references_to = node
            .dependencies
            .iter()
            .map(|&d| snapshot.graph.nodes[d].id.clone())
            .collect();
        let referenced_by = snapshot
            .graph
            .dependants(index)
            .map(|d| snapshot.graph.nodes[d].id.clone())
            .collect();
        let data_flow_edges_to = snapshot
            .edges
            .iter()
            .filter(|(from, _)| *from == node.id)
            .map(|(_, to)| to.clone())
            .collect();
        Some(ComponentInfo {
            name: node.name.clone(),
            id: node.id.clone(),
            label: node.label.clone(),
            references_to,
            referenced_by,
            data_flow_edges_to,
            health: entry.health(),
            arguments: if detailed {
                let sensitive = entry.state().sensitive.clone();
                eval::display_arguments(node, &Self::exports_of(&snapshot.entries), &sensitive)
            } else {
                Vec::new()
            },
            exports: if detailed {
                entry.exports.get()
            } else {
                Value::Null
            },
            debug_info: if detailed {
                entry.component.debug_info()
            } else {
                None
            },
        })
    }

    fn exports_of(entries: &HashMap<String, Arc<Entry>>) -> HashMap<String, Value> {
        entries
            .iter()
            .map(|(id, e)| (id.clone(), e.exports.get()))
            .collect()
    }

    /// Component counts by health, for `alloy_component_controller_running_components`.
    pub fn health_counts(&self) -> [(HealthState, usize); 4] {
        let snapshot = self.snapshot();
        let mut counts = HealthState::ALL.map(|s| (s, 0usize));
        for entry in snapshot.entries.values() {
            let h = entry.health().state;
            if let Some(c) = counts.iter_mut().find(|(s, _)| *s == h) {
                c.1 += 1;
            }
        }
        counts
    }

    /// Ids of components that are not healthy, for `/-/healthy`.
    pub fn unhealthy_components(&self) -> Vec<(String, Health)> {
        let snapshot = self.snapshot();
        let mut out: Vec<(String, Health)> = snapshot
            .graph
            .order
            .iter()
            .filter_map(|&i| {
                let id = &snapshot.graph.nodes[i].id;
                let h = snapshot.entries.get(id)?.health();
                (h.state != HealthState::Healthy).then(|| (id.clone(), h))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Routes `/api/v0/component/<path>`: the longest component id that prefixes the path wins, and the
    /// rest of the path goes to the component. `None` when no component matches.
    pub fn component_http(
        &self,
        path: &str,
        method: &str,
        query: Option<&str>,
        headers: &[(String, String)],
    ) -> Option<HttpReply> {
        let (id_len, component) = {
            let snapshot = self.snapshot();
            snapshot
                .entries
                .iter()
                .filter(|(id, _)| {
                    path == id.as_str()
                        || path
                            .strip_prefix(id.as_str())
                            .is_some_and(|rest| rest.starts_with('/'))
                })
                .max_by_key(|(id, _)| id.len())
                .map(|(id, entry)| (id.len(), entry.component.clone()))?
        };
        let rest = &path[id_len..];
        let request = HttpRequest {
            method,
            path: if rest.is_empty() { "/" } else { rest },
            query,
            headers,
        };
        Some(
            component
                .http(request)
                .unwrap_or_else(|| HttpResponse::text(404, "404 page not found\n").into()),
        )
    }

    /// Where components publish live debugging data (see [`crate::livedebugging`]).
    pub fn live_debugging(&self) -> &Arc<LiveDebugging> {
        &self.live_debugging
    }

    /// Whether the block `id` is a running component that publishes live debugging data.
    pub fn live_debugging_support(&self, id: &str) -> LiveDebuggingSupport {
        let snapshot = self.snapshot();
        let Some(node) = snapshot.graph.get(id) else {
            return LiveDebuggingSupport::NotFound;
        };
        let Some(entry) = snapshot.entries.get(&node.id) else {
            return LiveDebuggingSupport::NotAComponent;
        };
        match self.registry.get(entry.type_name) {
            Some(reg) if reg.live_debugging => LiveDebuggingSupport::Supported,
            _ => LiveDebuggingSupport::Unsupported(entry.type_name.to_string()),
        }
    }

    /// The running components that publish live debugging data, in declaration order (what the graph
    /// stream watches).
    pub fn live_debugging_components(&self) -> Vec<String> {
        let snapshot = self.snapshot();
        snapshot
            .graph
            .nodes
            .iter()
            .filter_map(|node| {
                let entry = snapshot.entries.get(&node.id)?;
                let reg = self.registry.get(entry.type_name)?;
                reg.live_debugging.then(|| node.id.clone())
            })
            .collect()
    }

    /// Time of the last successful load, for the API and metrics.
    pub fn last_load(&self) -> Option<SystemTime> {
        self.metrics.last_success()
    }
}

impl ComponentRouter for Controller {
    fn route(
        &self,
        path: &str,
        method: &str,
        query: Option<&str>,
        headers: &[(String, String)],
    ) -> Option<HttpReply> {
        self.component_http(path, method, query, headers)
    }

    fn gather(&self, set: &mut ingot_prom::exposition::FamilySet) {
        self.collect_metrics(set);
    }
}

/// Capsules that receive data: a reference to one makes data flow from the referencing component to the
/// referenced one, as Alloy's `setDataFlowEdges` decides for `storage.Appendable`, `otelcol.Consumer`,
/// `loki.LogsReceiver` and `pyroscope.Appendable` exports. Every other export (targets, rules) flows from
/// the referenced component to the referencing one.
const RECEIVER_CAPSULES: &[&str] = &[
    "prometheus.Receiver",
    "loki.LogsReceiver",
    "otelcol.Consumer",
];

/// The data-flow edges of a graph, `(from, to)`, as Alloy draws them: for each reference, in declaration
/// order, to an export the referenced component has, one edge (repeated references repeat it).
fn data_flow_edges(graph: &Graph, exports: &HashMap<String, Value>) -> Vec<(String, String)> {
    let mut edges = Vec::new();
    for node in &graph.nodes {
        if !matches!(node.class, BlockClass::Component { .. }) {
            continue;
        }
        for reference in &node.references {
            let target = &graph.nodes[reference.target];
            let Some(target_exports) = exports.get(&target.id) else {
                continue;
            };
            // The fields after the component id: `receiver`, `targets`.
            let field = reference
                .traversal
                .strip_prefix(target.id.as_str())
                .and_then(|rest| rest.strip_prefix('.'))
                .unwrap_or("");
            let Some(value) = target_exports.get(field) else {
                continue;
            };
            let into_target =
                matches!(value, Value::Capsule(c) if RECEIVER_CAPSULES.contains(&c.type_name()));
            if into_target {
                edges.push((node.id.clone(), target.id.clone()));
            } else {
                edges.push((target.id.clone(), node.id.clone()));
            }
        }
    }
    edges
}
