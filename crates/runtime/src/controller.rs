//! The controller: turns a configuration into running components and keeps them in step with it.
//!
//! Loading is two-phase. First every block is checked, evaluated in dependency order and every new component
//! is built (building starts nothing); if anything fails, the new config is rejected whole and the running
//! graph is untouched. Then the change is committed: removed components stop (dependants first), new ones start,
//! changed ones get their new arguments, unchanged ones are left alone.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant, SystemTime};

use ingot_syntax::value::Value;
use ingot_syntax::{Diagnostic, Diagnostics, Span};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::component::{ComponentRouter, DebugMetric, MemoryHttp};
use crate::component::{
    Context, DynArgs, DynComponent, HttpRequest, HttpResponse, Registry, Stability,
};
use crate::eval::{self, ConfigBlocks, Decoded};
use crate::exports::ExportsPublisher;
use crate::graph::{self, BlockClass, Graph};
use crate::health::{Health, HealthReporter, HealthState};
use crate::metrics::ControllerMetrics;
use crate::source::ConfigSource;

#[derive(Clone, Debug)]
pub struct Options {
    pub storage_path: PathBuf,
    pub memory_addr: String,
    pub stability: Stability,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            storage_path: PathBuf::from("data-alloy"),
            memory_addr: "alloy.internal:12345".into(),
            stability: Stability::GenerallyAvailable,
        }
    }
}

struct Entry {
    type_name: &'static str,
    component: Arc<dyn DynComponent>,
    args: DynArgs,
    /// Where the block's secret-typed values are, so that the API never shows them.
    sensitive: Vec<Span>,
    reporter: HealthReporter,
    exports: ExportsPublisher,
    /// Health of the last evaluation of the block (unhealthy while the newest arguments could not be used).
    eval_health: Health,
    /// Health of the component's life cycle (`started component`).
    run_health: Health,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

struct State {
    graph: Graph,
    entries: HashMap<String, Entry>,
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
    state: Mutex<State>,
    changed_tx: mpsc::UnboundedSender<Arc<str>>,
    changed_rx: Mutex<Option<mpsc::UnboundedReceiver<Arc<str>>>>,
    pub metrics: ControllerMetrics,
}

impl Controller {
    pub fn new(registry: Arc<Registry>, options: Options) -> Arc<Controller> {
        let (changed_tx, changed_rx) = mpsc::unbounded_channel();
        Arc::new_cyclic(|me| Controller {
            me: me.clone(),
            registry,
            options,
            state: Mutex::new(State {
                graph: Graph::default(),
                entries: HashMap::new(),
                config_blocks: ConfigBlocks::default(),
                loaded: false,
            }),
            changed_tx,
            changed_rx: Mutex::new(Some(changed_rx)),
            metrics: ControllerMetrics::default(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// What a top-level block name is for this controller's registry.
    pub fn classify(&self, name: &str) -> BlockClass {
        classify(&self.registry, name)
    }

    fn check_graph(&self, config: &ConfigSource) -> (Graph, Diagnostics) {
        let registry = self.registry.clone();
        let (graph, mut diags) = graph::build(
            config,
            &move |name| classify(&registry, name),
            &crate::validate::is_builtin,
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
    pub fn apply(&self, config: &ConfigSource) -> Result<(), Diagnostics> {
        let started = Instant::now();
        let result = self.apply_inner(config);
        match &result {
            Ok(()) => self.metrics.load_succeeded(started.elapsed()),
            Err(diags) => {
                self.metrics.load_failed();
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
        let mut state = self.lock();
        let plan = self.stage(&state, config)?;
        Self::commit(&mut state, plan);
        Ok(())
    }

    /// Checks a configuration as thoroughly as loading it would (every argument decoded, every new component
    /// built), without starting or changing anything.
    pub fn check(&self, config: &ConfigSource) -> Diagnostics {
        let state = self.lock();
        match self.stage(&state, config) {
            Ok(plan) => {
                plan.discard();
                Diagnostics::new()
            }
            Err(diags) => diags,
        }
    }

    /// Phase one of a load: evaluate and build everything, start nothing.
    fn stage(&self, state: &State, config: &ConfigSource) -> Result<Plan, Diagnostics> {
        let (graph, mut diags) = self.check_graph(config);
        if diags.has_errors() {
            return Err(diags);
        }
        let mut plan = Plan {
            graph: Graph::default(),
            changes: Vec::new(),
            config_blocks: ConfigBlocks::default(),
        };
        let mut exports: HashMap<String, Value> = HashMap::new();
        for &index in &graph.order {
            let node = &graph.nodes[index];
            if node.class == BlockClass::Config {
                if let Err(d) = eval::decode_config_block(node, &mut plan.config_blocks) {
                    diags.extend(d);
                }
                continue;
            }
            let Some(reg) = self.registry.get(&node.name) else {
                continue;
            };
            let decoded = match eval::decode_node(reg, node, &exports, self.options.stability) {
                Ok(decoded) => decoded,
                Err(d) => {
                    diags.extend(d);
                    continue;
                }
            };
            if let Some(entry) = state
                .entries
                .get(&node.id)
                .filter(|e| e.type_name == reg.name)
            {
                exports.insert(node.id.clone(), entry.exports.get());
                let change = if entry.args == decoded.args {
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
                memory_http: MemoryHttp::new(self.me.clone() as Weak<dyn ComponentRouter>),
                shutdown: shutdown.clone(),
                tasks: TaskTracker::new(),
            };
            match (reg.build)(ctx.clone(), &decoded.args) {
                Ok(component) => {
                    exports.insert(node.id.clone(), ctx.exports.get());
                    let entry = Entry {
                        type_name: reg.name,
                        component,
                        args: decoded.args,
                        sensitive: decoded.sensitive,
                        reporter: ctx.health,
                        exports: ctx.exports,
                        eval_health: Health::new(HealthState::Healthy, "component evaluated"),
                        run_health: Health::new(HealthState::Healthy, "started component"),
                        shutdown,
                        tasks: ctx.tasks,
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
        plan.graph = graph;
        Ok(plan)
    }

    /// Phase two: stop what left, start what is new, update what changed.
    fn commit(state: &mut State, plan: Plan) {
        let Plan {
            graph,
            changes,
            config_blocks,
        } = plan;
        // Components that left the config (or changed type) stop first, dependants before what they depend on.
        let old_order: Vec<String> = state
            .graph
            .order
            .iter()
            .map(|&i| state.graph.nodes[i].id.clone())
            .collect();
        for id in old_order.iter().rev() {
            let kept = graph.by_id.get(id).is_some_and(|&i| {
                changes
                    .iter()
                    .any(|(ci, c)| *ci == i && !matches!(c, Change::New(_)))
            });
            if !kept {
                if let Some(entry) = state.entries.remove(id) {
                    entry.shutdown.cancel();
                    tracing::info!(component = %id, "stopped component");
                }
            }
        }
        for (index, change) in changes {
            let id = graph.nodes[index].id.clone();
            match change {
                Change::Keep(sensitive) => {
                    if let Some(entry) = state.entries.get_mut(&id) {
                        entry.sensitive = sensitive;
                    }
                }
                Change::Update(decoded) => {
                    if let Some(entry) = state.entries.get_mut(&id) {
                        Self::update_entry(&id, entry, decoded);
                    }
                }
                Change::New(entry) => {
                    entry.component.start();
                    tracing::info!(component = %id, "started component");
                    state.entries.insert(id, *entry);
                }
            }
        }
        state.graph = graph;
        state.config_blocks = config_blocks;
        state.loaded = true;
    }

    fn update_entry(id: &str, entry: &mut Entry, decoded: Decoded) {
        entry.sensitive = decoded.sensitive;
        match entry.component.update(&decoded.args) {
            Ok(()) => {
                entry.args = decoded.args;
                entry.eval_health = Health::new(HealthState::Healthy, "component evaluated");
            }
            Err(message) => {
                tracing::warn!(component = %id, "updating component failed, it keeps its previous arguments: {message}");
                entry.eval_health = Health::new(
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
            let id = tokio::select! {
                _ = shutdown.cancelled() => break,
                id = changed.recv() => match id { Some(id) => id, None => break },
            };
            self.reevaluate_dependants(&id);
        }
    }

    fn reevaluate_dependants(&self, id: &str) {
        let mut state = self.lock();
        let Some(&index) = state.graph.by_id.get(id) else {
            return;
        };
        let exports: HashMap<String, Value> = state
            .entries
            .iter()
            .map(|(id, e)| (id.clone(), e.exports.get()))
            .collect();
        let dependants: Vec<usize> = state.graph.dependants(index).collect();
        for dependant in dependants {
            let started = Instant::now();
            let node = state.graph.nodes[dependant].clone();
            let Some(reg) = self.registry.get(&node.name) else {
                continue;
            };
            let result = eval::decode_node(reg, &node, &exports, self.options.stability);
            let Some(entry) = state.entries.get_mut(&node.id) else {
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
                    entry.eval_health = Health::new(HealthState::Unhealthy, message);
                }
                Ok(decoded) if decoded.args == entry.args => {
                    entry.sensitive = decoded.sensitive;
                    entry.eval_health = Health::new(HealthState::Healthy, "component evaluated");
                }
                Ok(decoded) => Self::update_entry(&node.id, entry, decoded),
            }
            self.metrics.observe_evaluation(started.elapsed());
        }
    }

    /// Stops every component, dependants before what they depend on, giving each up to `deadline` to finish
    /// its background work (flushing queues, closing files).
    pub async fn shutdown(&self, deadline: Duration) {
        let entries: Vec<(String, Entry)> = {
            let mut state = self.lock();
            let order: Vec<String> = state
                .graph
                .order
                .iter()
                .map(|&i| state.graph.nodes[i].id.clone())
                .collect();
            order
                .iter()
                .rev()
                .filter_map(|id| state.entries.remove(id).map(|e| (id.clone(), e)))
                .collect()
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

    /// Every component's own metrics, with its id.
    pub fn debug_metrics(&self) -> Vec<(String, DebugMetric)> {
        let components: Vec<(String, Arc<dyn DynComponent>)> = self
            .lock()
            .entries
            .iter()
            .map(|(id, e)| (id.clone(), e.component.clone()))
            .collect();
        let mut out = Vec::new();
        for (id, component) in components {
            out.extend(
                component
                    .debug_metrics()
                    .into_iter()
                    .map(|m| (id.clone(), m)),
            );
        }
        out
    }

    pub fn is_loaded(&self) -> bool {
        self.lock().loaded
    }

    pub fn config_blocks(&self) -> ConfigBlocks {
        self.lock().config_blocks.clone()
    }

    fn entry_health(entry: &Entry) -> Health {
        Health::least_healthy(&[
            entry.run_health.clone(),
            entry.eval_health.clone(),
            entry.reporter.get(),
        ])
    }

    /// Every component in declaration order, without arguments and exports (the list endpoint).
    pub fn components(&self) -> Vec<ComponentInfo> {
        let state = self.lock();
        state
            .graph
            .nodes
            .iter()
            .filter_map(|node| Self::info(&state, node, false))
            .collect()
    }

    /// One component with its arguments, exports and debug info.
    pub fn component(&self, id: &str) -> Option<ComponentInfo> {
        let state = self.lock();
        let node = state.graph.get(id)?;
        Self::info(&state, node, true)
    }

    fn info(state: &State, node: &graph::Node, detailed: bool) -> Option<ComponentInfo> {
        let entry = state.entries.get(&node.id)?;
        let index = state.graph.by_id[&node.id];
        let references_to = node
            .dependencies
            .iter()
            .map(|&d| state.graph.nodes[d].id.clone())
            .collect();
        let referenced_by = state
            .graph
            .dependants(index)
            .map(|d| state.graph.nodes[d].id.clone())
            .collect();
        Some(ComponentInfo {
            name: node.name.clone(),
            id: node.id.clone(),
            label: node.label.clone(),
            references_to,
            referenced_by,
            health: Self::entry_health(entry),
            arguments: if detailed {
                eval::display_arguments(node, &Self::exports_of(state), &entry.sensitive)
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

    fn exports_of(state: &State) -> HashMap<String, Value> {
        state
            .entries
            .iter()
            .map(|(id, e)| (id.clone(), e.exports.get()))
            .collect()
    }

    /// Component counts by health, for `alloy_component_controller_running_components`.
    pub fn health_counts(&self) -> [(HealthState, usize); 4] {
        let state = self.lock();
        let mut counts = HealthState::ALL.map(|s| (s, 0usize));
        for entry in state.entries.values() {
            let h = Self::entry_health(entry).state;
            if let Some(c) = counts.iter_mut().find(|(s, _)| *s == h) {
                c.1 += 1;
            }
        }
        counts
    }

    /// Ids of components that are not healthy, for `/-/healthy`.
    pub fn unhealthy_components(&self) -> Vec<(String, Health)> {
        let state = self.lock();
        let mut out: Vec<(String, Health)> = state
            .graph
            .order
            .iter()
            .filter_map(|&i| {
                let id = &state.graph.nodes[i].id;
                let h = Self::entry_health(state.entries.get(id)?);
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
    ) -> Option<HttpResponse> {
        let (id_len, component) = {
            let state = self.lock();
            state
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
                .unwrap_or_else(|| HttpResponse::text(404, "404 page not found\n")),
        )
    }

    /// Time of the last successful load, for the API and metrics.
    pub fn last_load(&self) -> Option<SystemTime> {
        self.metrics.last_success()
    }
}

fn classify(registry: &Registry, name: &str) -> BlockClass {
    if registry.get(name).is_some() {
        return BlockClass::Component { needs_label: true };
    }
    crate::validate::classify(name)
}

impl ComponentRouter for Controller {
    fn route(
        &self,
        path: &str,
        method: &str,
        query: Option<&str>,
        headers: &[(String, String)],
    ) -> Option<HttpResponse> {
        self.component_http(path, method, query, headers)
    }
}
