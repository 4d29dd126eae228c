//! Evaluation of blocks for the runtime: component arguments in a scope built from other components'
//! exports, the config blocks (`logging`, ...), and the evaluated view of a block the API shows.

use std::collections::HashMap;

use ingot_syntax::ast::{self, Stmt};
use ingot_syntax::eval::{Evaluator, Scope, Stability};
use ingot_syntax::value::{Secret, Value};
use ingot_syntax::{Diagnostics, Span};

use crate::component::{DynArgs, Registration};
use crate::config_block::{ConfigBlockRegistration, ConfigBlocks};
use crate::graph::Node;

/// The scope component references resolve in: `prometheus.exporter.unix.localhost` is the nested object
/// path `prometheus` → `exporter` → `unix` → `localhost`, holding that component's exports.
pub fn scope_from_exports(exports: &HashMap<String, Value>) -> Scope {
    let mut scope = Scope::new();
    let mut ids: Vec<&String> = exports.keys().collect();
    // Shorter ids first, so that a longer id nests inside a shorter one's object rather than replacing it.
    ids.sort_by_key(|id| id.len());
    for id in ids {
        let path: Vec<&str> = id.split('.').collect();
        scope.insert_path(&path, exports[id].clone());
    }
    scope
}

/// A component's decoded arguments and where its secret-typed values are (never to be shown).
pub struct Decoded {
    pub args: DynArgs,
    pub sensitive: Vec<Span>,
}

/// Evaluates and decodes a component's block. Warnings (deprecated stdlib names) are logged.
pub fn decode_node(
    reg: &Registration,
    node: &Node,
    exports: &HashMap<String, Value>,
    min_stability: Stability,
) -> Result<Decoded, Diagnostics> {
    let scope = scope_from_exports(exports);
    let mut ev = Evaluator::new(&node.source, &scope).with_min_stability(min_stability);
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
    exports: &HashMap<String, Value>,
    blocks: &mut ConfigBlocks,
) -> Result<(), Diagnostics> {
    let scope = scope_from_exports(exports);
    let mut ev = Evaluator::new(&node.source, &scope);
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
