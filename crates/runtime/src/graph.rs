//! The component graph of one configuration: nodes from blocks, edges from references, checked as Alloy
//! checks it (duplicate ids, missing labels, unknown components, references to nothing, cycles).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use ingot_syntax::ast::{self, Expr, ExprKind, Stmt};
use ingot_syntax::{Diagnostic, Diagnostics, SourceFile, Span};

use crate::source::ConfigSource;

/// What a top-level block is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockClass {
    /// A component type from the registry; `needs_label` is true for every component type today.
    Component { needs_label: bool },
    /// A config block (`logging`, `tracing`) or a service block (`http`, `livedebugging`): unlabeled, once.
    Config,
    /// A name ingot does not know.
    Unknown,
}

/// One top-level block of the configuration.
#[derive(Clone, Debug)]
pub struct Node {
    /// `prometheus.scrape.default`, or `logging` for config blocks.
    pub id: String,
    /// The block name without the label: `prometheus.scrape`.
    pub name: String,
    pub label: Option<String>,
    pub class: BlockClass,
    pub block: ast::Block,
    pub source: Arc<SourceFile>,
    /// The components this one reads exports from (node indexes), in first-reference order, no repeats.
    pub dependencies: Vec<usize>,
    /// Every reference in the body, for the API's `referencesTo` and for error positions.
    pub references: Vec<Reference>,
}

impl Node {
    /// The header span Alloy underlines for graph errors: the name through the opening `{`.
    pub fn header_span(&self) -> Span {
        self.block.name_span().to(self.block.lcurly)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The node referenced.
    pub target: usize,
    /// The full traversal as written (`prometheus.exporter.unix.localhost.targets`).
    pub traversal: String,
    pub span: Span,
}

/// The checked graph: nodes in declaration order, and an evaluation order where every node comes after the
/// nodes it depends on.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub by_id: HashMap<String, usize>,
    pub order: Vec<usize>,
    /// For each node, the nodes that reference it, in declaration order.
    dependants: Vec<Vec<usize>>,
}

impl Graph {
    pub fn get(&self, id: &str) -> Option<&Node> {
        self.by_id.get(id).map(|&i| &self.nodes[i])
    }

    /// Indexes of the nodes that reference `index`, in declaration order.
    pub fn dependants(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.dependants.get(index).into_iter().flatten().copied()
    }
}

/// Names the evaluator resolves without a component: the standard library's namespaces and functions.
pub trait ScopeNames {
    fn is_builtin(&self, first_fragment: &str) -> bool;
}

impl<F: Fn(&str) -> bool> ScopeNames for F {
    fn is_builtin(&self, first_fragment: &str) -> bool {
        self(first_fragment)
    }
}

/// Builds and checks the graph. `classify` says what a block name is. Every problem is reported; the graph
/// returned holds the nodes that could be built (a graph with errors must not be run).
pub fn build(
    config: &ConfigSource,
    classify: &dyn Fn(&str) -> BlockClass,
    builtins: &dyn ScopeNames,
) -> (Graph, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut graph = Graph::default();

    for file in &config.files {
        for stmt in &file.body {
            let block = match stmt {
                Stmt::Block(b) => b,
                Stmt::Attribute(a) => {
                    diags.push(Diagnostic::error(
                        &file.source,
                        a.name.span,
                        format!("unrecognized attribute {}", a.name.name),
                    ));
                    continue;
                }
            };
            let name = block.name_string();
            let id = block.id();
            let class = classify(&name);
            if let Some(&first) = graph.by_id.get(&id) {
                let original = &graph.nodes[first];
                let at = original.source.position(original.block.name_span().start);
                let start = block.name_span().start;
                diags.push(Diagnostic::error(
                    &file.source,
                    Span::new(start, start + id.len() as u32),
                    format!(
                        "block {id} already declared at {}:{at}",
                        original.source.name()
                    ),
                ));
                continue;
            }
            match class {
                BlockClass::Unknown => {
                    diags.push(Diagnostic::error(
                        &file.source,
                        block.name_span(),
                        format!("cannot find the definition of component name {name:?}"),
                    ));
                    continue;
                }
                BlockClass::Component { needs_label: true }
                    if block.label.as_ref().is_none_or(|l| l.value.is_empty()) =>
                {
                    diags.push(Diagnostic::error(
                        &file.source,
                        block.name_span(),
                        format!("component {name:?} must have a label"),
                    ));
                    continue;
                }
                BlockClass::Config if block.label.is_some() => {
                    diags.push(Diagnostic::error(
                        &file.source,
                        block.label.as_ref().map(|l| l.span).unwrap_or_default(),
                        format!("{name} block must not have a label"),
                    ));
                    continue;
                }
                _ => {}
            }
            graph.by_id.insert(id.clone(), graph.nodes.len());
            graph.nodes.push(Node {
                id,
                name,
                label: block.label.as_ref().map(|l| l.value.to_string()),
                class,
                block: block.clone(),
                source: file.source.clone(),
                dependencies: Vec::new(),
                references: Vec::new(),
            });
        }
    }

    resolve_references(&mut graph, builtins, &mut diags);
    graph.dependants = vec![Vec::new(); graph.nodes.len()];
    for (i, node) in graph.nodes.iter().enumerate() {
        for &d in &node.dependencies {
            graph.dependants[d].push(i);
        }
    }
    graph.order = check_cycles_and_order(&graph, &mut diags);
    (graph, diags)
}

fn resolve_references(graph: &mut Graph, builtins: &dyn ScopeNames, diags: &mut Diagnostics) {
    for index in 0..graph.nodes.len() {
        let mut traversals = Vec::new();
        collect_body_traversals(&graph.nodes[index].block.body, &mut traversals);
        let mut references = Vec::new();
        let mut dependencies = Vec::new();
        for (fragments, span) in traversals {
            // Alloy tries `a`, `a.b`, `a.b.c`, ... and takes the shortest id that exists.
            let mut candidate = String::new();
            let mut target = None;
            for fragment in &fragments {
                if !candidate.is_empty() {
                    candidate.push('.');
                }
                candidate.push_str(fragment);
                if let Some(&i) = graph.by_id.get(&candidate) {
                    target = Some(i);
                    break;
                }
            }
            let traversal = fragments.join(".");
            match target {
                Some(t) => {
                    if !dependencies.contains(&t) {
                        dependencies.push(t);
                    }
                    references.push(Reference {
                        target: t,
                        traversal,
                        span,
                    });
                }
                None if builtins.is_builtin(&fragments[0]) => {}
                None => diags.push(Diagnostic::error(
                    &graph.nodes[index].source,
                    span,
                    format!("component {traversal:?} does not exist or is out of scope"),
                )),
            }
        }
        let node = &mut graph.nodes[index];
        node.references = references;
        node.dependencies = dependencies;
    }
}

/// Collects every traversal (an identifier followed by `.name` accesses) in a body, with its span.
pub fn collect_body_traversals(body: &ast::Body, out: &mut Vec<(Vec<String>, Span)>) {
    for stmt in body {
        match stmt {
            Stmt::Attribute(a) => collect_traversals(&a.value, out),
            Stmt::Block(b) => collect_body_traversals(&b.body, out),
        }
    }
}

fn traversal_of(expr: &Expr) -> Option<Vec<String>> {
    match &expr.kind {
        ExprKind::Ident(name) => Some(vec![name.to_string()]),
        ExprKind::Access { value, name } => {
            let mut fragments = traversal_of(value)?;
            fragments.push(name.name.to_string());
            Some(fragments)
        }
        _ => None,
    }
}

fn collect_traversals(expr: &Expr, out: &mut Vec<(Vec<String>, Span)>) {
    if let Some(fragments) = traversal_of(expr) {
        out.push((fragments, expr.span));
        return;
    }
    match &expr.kind {
        ExprKind::Literal(_) | ExprKind::Ident(_) => {}
        ExprKind::Array { elements, .. } => {
            elements.iter().for_each(|e| collect_traversals(e, out))
        }
        ExprKind::Object { fields, .. } => fields
            .iter()
            .for_each(|f| collect_traversals(&f.value, out)),
        ExprKind::Access { value, .. } => collect_traversals(value, out),
        ExprKind::Index { value, index } => {
            collect_traversals(value, out);
            collect_traversals(index, out);
        }
        ExprKind::Call { callee, args, .. } => {
            collect_traversals(callee, out);
            args.iter().for_each(|a| collect_traversals(a, out));
        }
        ExprKind::Unary { operand, .. } => collect_traversals(operand, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            collect_traversals(lhs, out);
            collect_traversals(rhs, out);
        }
        ExprKind::Paren(inner) => collect_traversals(inner, out),
    }
}

/// Reports self references and cycles (every member of a cycle gets the error, as in Alloy), and returns a
/// topological order that keeps declaration order where dependencies allow.
fn check_cycles_and_order(graph: &Graph, diags: &mut Diagnostics) -> Vec<usize> {
    let n = graph.nodes.len();
    for (i, node) in graph.nodes.iter().enumerate() {
        if node.dependencies.contains(&i) {
            diags.push(Diagnostic::error(
                &node.source,
                node.header_span(),
                "cannot reference self",
            ));
        }
    }
    for component in strongly_connected_components(graph) {
        if component.len() < 2 {
            continue;
        }
        let mut members = component.clone();
        members.sort_unstable();
        let names: Vec<&str> = members
            .iter()
            .map(|&i| graph.nodes[i].id.as_str())
            .collect();
        let message = format!("cycle detected: {}", names.join(", "));
        for &i in &members {
            let node = &graph.nodes[i];
            diags.push(Diagnostic::error(
                &node.source,
                node.header_span(),
                message.clone(),
            ));
        }
    }

    // Kahn's algorithm, always taking the earliest-declared ready node.
    // A self reference counts as an unmet dependency, so such a node never becomes ready.
    let mut remaining: Vec<usize> = graph
        .nodes
        .iter()
        .map(|node| node.dependencies.len())
        .collect();
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|&i| remaining[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    // What is never ready is cyclic, and was reported above.
    while let Some(Reverse(next)) = ready.pop() {
        order.push(next);
        for dependant in graph.dependants(next) {
            if dependant != next {
                remaining[dependant] -= 1;
                if remaining[dependant] == 0 {
                    ready.push(Reverse(dependant));
                }
            }
        }
    }
    order
}

/// Tarjan's algorithm over dependency edges. Iterative: a chain of dependencies is as long as the config,
/// and recursing along it would overflow the stack.
fn strongly_connected_components(graph: &Graph) -> Vec<Vec<usize>> {
    struct State {
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        /// The nodes being visited, innermost last, with how many of their dependencies were looked at.
        visiting: Vec<(usize, usize)>,
    }
    impl State {
        fn enter(&mut self, v: usize) {
            self.index[v] = Some(self.next);
            self.low[v] = self.next;
            self.next += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            self.visiting.push((v, 0));
        }
    }
    let n = graph.nodes.len();
    let mut s = State {
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        visiting: Vec::new(),
    };
    let mut out = Vec::new();
    for root in 0..n {
        if s.index[root].is_some() {
            continue;
        }
        s.enter(root);
        while let Some(&(v, looked_at)) = s.visiting.last() {
            if let Some(&w) = graph.nodes[v].dependencies.get(looked_at) {
                if let Some(top) = s.visiting.last_mut() {
                    top.1 += 1;
                }
                match s.index[w] {
                    None => s.enter(w),
                    Some(wi) if s.on_stack[w] => s.low[v] = s.low[v].min(wi),
                    _ => {}
                }
                continue;
            }
            // Every dependency of `v` is done.
            s.visiting.pop();
            if let Some(&(parent, _)) = s.visiting.last() {
                s.low[parent] = s.low[parent].min(s.low[v]);
            }
            if Some(s.low[v]) == s.index[v] {
                let mut component = Vec::new();
                while let Some(w) = s.stack.pop() {
                    s.on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::from_text;

    fn classify(name: &str) -> BlockClass {
        match name {
            "logging" | "http" => BlockClass::Config,
            n if n.starts_with("test.") || n.starts_with("prometheus.") => {
                BlockClass::Component { needs_label: true }
            }
            _ => BlockClass::Unknown,
        }
    }

    fn check(text: &str) -> (Graph, Vec<String>) {
        let (config, diags) = from_text("main.alloy", text);
        assert!(diags.is_empty(), "{}", diags.render());
        let builtins = |name: &str| matches!(name, "sys" | "string" | "constants" | "env");
        let (graph, diags) = build(&config, &classify, &builtins);
        (graph, diags.iter().map(|d| d.short()).collect())
    }

    #[test]
    fn references_resolve_to_the_shortest_existing_id() {
        let (graph, errors) = check(
            "prometheus.exporter.unix \"localhost\" { }\n\
             prometheus.scrape \"node\" {\n  targets = prometheus.exporter.unix.localhost.targets\n  forward_to = [string.format(\"%s\", sys.env(\"X\"))]\n}\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        let scrape = graph.get("prometheus.scrape.node").unwrap();
        assert_eq!(scrape.dependencies, vec![0]);
        assert_eq!(
            scrape.references[0].traversal,
            "prometheus.exporter.unix.localhost.targets"
        );
        assert_eq!(graph.order, vec![0, 1]);
    }

    #[test]
    fn evaluation_order_puts_dependencies_first() {
        let (graph, errors) = check("test.b \"x\" { in = test.a.x.out }\ntest.a \"x\" { }\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(graph.order, vec![1, 0]);
    }

    #[test]
    fn alloy_messages_for_graph_errors() {
        let (_, errors) = check(
            "test.a \"one\" { }\ntest.a \"one\" { }\nlogging { }\nlogging { }\nlocal.missing \"x\" { }\n\
             test.b { }\ntest.c \"c\" { v = test.nothing.here }\ntop = 1\n",
        );
        assert_eq!(
            errors,
            vec![
                "main.alloy:2:1: block test.a.one already declared at main.alloy:1:1",
                "main.alloy:4:1: block logging already declared at main.alloy:3:1",
                "main.alloy:5:1: cannot find the definition of component name \"local.missing\"",
                "main.alloy:6:1: component \"test.b\" must have a label",
                "main.alloy:8:1: unrecognized attribute top",
                "main.alloy:7:18: component \"test.nothing.here\" does not exist or is out of scope",
            ]
        );
    }

    #[test]
    fn cycles_and_self_references() {
        let (graph, errors) = check(
            "test.r \"a\" { f = [test.r.b.x] }\ntest.r \"b\" { f = [test.r.a.x] }\ntest.r \"s\" { f = [test.r.s.x] }\ntest.r \"ok\" { }\n",
        );
        assert_eq!(
            errors,
            vec![
                "main.alloy:3:1: cannot reference self",
                "main.alloy:1:1: cycle detected: test.r.a, test.r.b",
                "main.alloy:2:1: cycle detected: test.r.a, test.r.b",
            ]
        );
        assert_eq!(graph.order, vec![3]);
    }
}
