//! Evaluation of blocks for the runtime: component arguments in a scope built from other components'
//! exports, the config blocks (`logging`, ...), and the evaluated view of a block the API shows.

use std::collections::HashMap;
use std::sync::Arc;

use ingot_syntax::ast::{self, Stmt};
use ingot_syntax::eval::{Evaluator, Scope, Stability};
use ingot_syntax::value::{Object, Secret, Value};
use ingot_syntax::{Diagnostics, Span};

use crate::component::{DynArgs, Registration};
use crate::config_block::{ConfigBlockRegistration, ConfigBlocks};
use crate::graph::Node;

/// The scope component references resolve in: `prometheus.exporter.unix.localhost` is the nested object
/// path `prometheus` → `exporter` → `unix` → `localhost`, holding that component's exports.
pub fn scope_from_exports(exports: &HashMap<String, Value>) -> Scope {
    let mut scope = ExportsScope::default();
    for (id, value) in exports {
        scope.insert(id, value.clone());
    }
    scope.scope
}

/// The scope of component exports, kept up to date one component at a time: a load adds each component's
/// exports once it is built, and the next component evaluates in it. Adding exports costs the length of the
/// id (and the ids that extend it, which configurations rarely have), not the number of components: building
/// the scope afresh for each component made loading quadratic.
///
/// The scope is the same whatever the order of insertion: the one inserting every id shortest first gives, so
/// that a longer id nests inside a shorter one's object rather than being replaced by it (the exports of
/// `a.b.c` are the field `c` of what `a.b` holds, over any field `c` of `a.b`'s exports).
#[derive(Default)]
pub struct ExportsScope {
    scope: Scope,
    ids: IdNode,
}

/// The ids inserted so far, one node per fragment.
#[derive(Default)]
struct IdNode {
    /// The exports of the id that ends here, if one does.
    exports: Option<Value>,
    children: HashMap<String, IdNode>,
}

impl ExportsScope {
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Sets (or replaces) the exports of the component `id`.
    pub fn insert(&mut self, id: &str, exports: Value) {
        let path: Vec<&str> = id.split('.').collect();
        let mut node = &mut self.ids;
        for fragment in &path {
            node = node.children.entry(fragment.to_string()).or_default();
        }
        node.exports = Some(exports);
        // What the scope holds at this id: its exports, with those of longer ids inserted before nested in.
        // Above it, only this one field changes: the walk sets it in place (objects nobody else holds are
        // changed, not copied).
        let value = node.value(None);
        self.scope.insert_path(&path, value);
    }
}

impl IdNode {
    /// What the scope holds at this node: its own exports (or, without, what the value above holds here,
    /// `inherited`), an object with the values of the longer ids set in it when there are any.
    fn value(&self, inherited: Option<&Value>) -> Value {
        let base = self.exports.as_ref().or(inherited);
        if self.children.is_empty() {
            return base.cloned().unwrap_or_else(Value::empty_object);
        }
        let mut object = match base {
            Some(Value::Object(fields)) => Object::clone(fields),
            _ => Object::new(),
        };
        for (name, child) in &self.children {
            let value = child.value(object.get(name));
            object.insert(name.clone(), value);
        }
        Value::Object(Arc::new(object))
    }
}

/// A component's decoded arguments and where its secret-typed values are (never to be shown).
pub struct Decoded {
    pub args: DynArgs,
    pub sensitive: Vec<Span>,
}

/// Evaluates and decodes a component's block in `scope` (see [`ExportsScope`]). Warnings (deprecated stdlib
/// names) are logged.
pub fn decode_node(
    reg: &Registration,
    node: &Node,
    scope: &Scope,
    min_stability: Stability,
) -> Result<Decoded, Diagnostics> {
    let mut ev = Evaluator::new(&node.source, scope).with_min_stability(min_stability);
    let result = (reg.decode)(&node.block, &mut ev);
    for warning in ev.take_warnings() {
        tracing::warn!(component = %node.id, "{}", warning.short());
    }
    let sensitive = ev.take_sensitive();
    result.map(|args| Decoded { args, sensitive })
}

/// Evaluates and decodes a config block into `blocks`. Config blocks may reference components' exports
/// (`logging { write_to = [...] }`), so they evaluate in the same scope as components.
pub fn decode_config_block(
    registration: &ConfigBlockRegistration,
    node: &Node,
    scope: &Scope,
    blocks: &mut ConfigBlocks,
) -> Result<(), Diagnostics> {
    let mut ev = Evaluator::new(&node.source, scope);
    let result = blocks.decode(registration, &node.block, &mut ev);
    for warning in ev.take_warnings() {
        tracing::warn!(block = %node.id, "{}", warning.short());
    }
    result
}

/// One statement of a block as the API shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum BodyItem {
    Attr {
        name: String,
        value: Value,
    },
    Block {
        name: String,
        label: Option<String>,
        body: Vec<BodyItem>,
    },
}

/// The block's attributes evaluated against the current exports, with every value that was decoded as a
/// secret replaced by a secret (shown as `(secret)`), whatever the user wrote.
pub fn display_arguments(
    node: &Node,
    exports: &HashMap<String, Value>,
    sensitive: &[Span],
) -> Vec<BodyItem> {
    let scope = scope_from_exports(exports);
    let mut ev = Evaluator::new(&node.source, &scope).with_min_stability(Stability::Experimental);
    display_body(&node.block.body, &mut ev, sensitive)
}

fn display_body(body: &ast::Body, ev: &mut Evaluator<'_>, sensitive: &[Span]) -> Vec<BodyItem> {
    body.iter()
        .map(|stmt| match stmt {
            Stmt::Attribute(a) => {
                let value = if sensitive.contains(&a.value.span) {
                    Value::Secret(Secret::new(""))
                } else {
                    ev.eval(&a.value).unwrap_or(Value::Null)
                };
                BodyItem::Attr {
                    name: a.name.name.to_string(),
                    value,
                }
            }
            Stmt::Block(b) => BodyItem::Block {
                name: b.name_string(),
                label: b.label.as_ref().map(|l| l.value.to_string()),
                body: display_body(&b.body, ev, sensitive),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scope as it was built for each component before: every id inserted afresh, shortest first.
    fn shortest_first(exports: &[(&str, Value)]) -> HashMap<String, Value> {
        let mut sorted: Vec<&(&str, Value)> = exports.iter().collect();
        sorted.sort_by_key(|(id, _)| id.len());
        let mut scope = Scope::new();
        for (id, value) in sorted {
            let path: Vec<&str> = id.split('.').collect();
            scope.insert_path(&path, value.clone());
        }
        scope.variables().clone()
    }

    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![Vec::new()];
        }
        let mut out = Vec::new();
        for rest in permutations(n - 1) {
            for at in 0..=rest.len() {
                let mut p = rest.clone();
                p.insert(at, n - 1);
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn the_scope_is_the_same_whatever_the_order_of_insertion() {
        let exports = [
            (
                "a.b",
                Value::object([
                    ("c", Value::object([("x", Value::int(1))])),
                    ("y", Value::int(2)),
                ]),
            ),
            // Nests in a field of a.b's exports, keeping its other fields.
            ("a.b.c.d", Value::int(3)),
            // Replaces a field of a.b's exports.
            ("a.b.y", Value::string("over")),
            // Not an object: what nests in it replaces it.
            ("a.e", Value::int(5)),
            ("a.e.f", Value::int(6)),
            ("p.q.r", Value::int(7)),
        ];
        let expected = shortest_first(&exports);
        for order in permutations(exports.len()) {
            let mut scope = ExportsScope::default();
            for &i in &order {
                scope.insert(exports[i].0, exports[i].1.clone());
            }
            assert_eq!(scope.scope().variables(), &expected, "order {order:?}");
        }
        // Replacing a component's exports (a reload, a re-evaluation) is the same as building afresh.
        let mut scope = ExportsScope::default();
        for (id, value) in &exports {
            scope.insert(id, value.clone());
        }
        scope.insert("a.b", Value::object([("c", Value::int(9))]));
        let mut replaced = exports.clone();
        replaced[0].1 = Value::object([("c", Value::int(9))]);
        assert_eq!(scope.scope().variables(), &shortest_first(&replaced));
        assert_eq!(
            scope_from_exports(
                &exports
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect()
            )
            .variables(),
            &expected
        );
    }
}
