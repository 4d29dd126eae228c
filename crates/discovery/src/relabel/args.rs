//! `discovery.relabel`'s arguments: the targets and the `rule` blocks.

use std::collections::BTreeMap;

use ingot_common::relabel::{RuleBlock, Rules};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub targets: Vec<BTreeMap<String, String>>,
    pub rules: Rules,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Arguments {
            targets: d.required("targets")?,
            rules: Rules::from_blocks(d.blocks::<RuleBlock>("rule")?),
        })
    }
}
