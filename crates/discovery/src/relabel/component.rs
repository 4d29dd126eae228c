//! The running `discovery.relabel`: its exports are the relabeled targets, recomputed on every update.

use std::collections::BTreeMap;

use ingot_common::relabel::Rules;
use ingot_common::targets::targets_value;
use ingot_prom::labels::Labels;
use ingot_prom::relabel::{process_with, NameScheme, Scratch};
use ingot_runtime::component::{ComponentType, Context, Stability};
use ingot_syntax::value::Value;

use super::args::Arguments;

pub const NAME: &str = "discovery.relabel";

/// The targets `rules` keep, relabeled.
pub fn relabel_targets(
    targets: &[BTreeMap<String, String>],
    rules: &Rules,
) -> Vec<BTreeMap<String, String>> {
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    for t in targets {
        let pairs: Vec<(&str, &str)> = t.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut lb = Labels::from_pairs(&pairs).to_builder();
        if process_with(&rules.0, &mut lb, &mut scratch, NameScheme::Utf8) {
            let l = lb.labels();
            out.push(
                l.iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
            );
        }
    }
    out
}

pub struct Component {
    ctx: Context,
}

fn exports(args: &Arguments) -> Value {
    Value::object([
        (
            "output",
            targets_value(&relabel_targets(&args.targets, &args.rules)),
        ),
        ("rules", args.rules.to_value()),
    ])
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        ctx.exports.init(exports(&args));
        ctx.health.healthy("started component");
        Ok(Component { ctx })
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        self.ctx.exports.publish(exports(&args));
        Ok(())
    }
}
