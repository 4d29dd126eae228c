//! The `rule` block of `discovery.relabel` and `prometheus.relabel`, and the `rules` export
//! (`RelabelRules` capsule) other components can take.

use std::sync::Arc;

use ingot_prom::relabel::{Action, Regex, Rule, RuleConfig};
use ingot_syntax::capsule_type;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

/// One decoded and validated `rule` block.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleBlock(pub Rule);

impl Decode for RuleBlock {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = RuleConfig::default();
        let source_labels: Option<Vec<String>> = d.optional("source_labels")?;
        let separator = d.optional_or("separator", def.separator)?;
        let regex = match d.optional::<String>("regex")? {
            Some(text) => Regex::new(&text).map_err(|e| d.error_at_attr("regex", e))?,
            None => def.regex,
        };
        let modulus: u64 = d.optional_or("modulus", 0)?;
        let target_label = d.optional_or("target_label", String::new())?;
        let replacement = d.optional_or("replacement", def.replacement)?;
        let action = match d.optional::<String>("action")? {
            Some(text) => text
                .parse::<Action>()
                .map_err(|e| d.error_at_attr("action", e))?,
            None => Action::Replace,
        };
        let config = RuleConfig {
            source_labels,
            separator,
            regex,
            modulus,
            target_label,
            replacement,
            action,
        };
        Rule::new(config).map(RuleBlock).map_err(|e| d.error(e))
    }
}

/// Alloy's `relabel.Rules`: the rules a relabel component exports as `rules`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rules(pub Arc<Vec<Rule>>);

capsule_type!(Rules, "relabel.Rules");

impl Rules {
    pub fn from_blocks(blocks: Vec<RuleBlock>) -> Rules {
        Rules(Arc::new(blocks.into_iter().map(|b| b.0).collect()))
    }

    pub fn to_value(&self) -> Value {
        Value::from(self.clone())
    }
}
