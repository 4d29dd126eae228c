//! `otelcol.processor.attributes`'s arguments (Alloy's `processor/attributes/attributes.go`): `action`
//! blocks, `include` and `exclude` blocks, `output`.

use ingot_otlp::Outputs;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use super::actions::Action;
use super::matching::MatchProperties;
use crate::config::{debug_metrics, output_block, Warnings};

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub actions: Vec<Action>,
    pub include: Option<MatchProperties>,
    pub exclude: Option<MatchProperties>,
    pub output: Outputs,
    pub warnings: Warnings,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let actions: Vec<Action> = d.blocks("action")?;
        let include: Option<MatchProperties> = d.block("include")?;
        let exclude: Option<MatchProperties> = d.block("exclude")?;
        let output = output_block(d)?;
        debug_metrics(d, &mut warnings)?;
        for (name, m) in [("include", &include), ("exclude", &exclude)] {
            if let Some(m) = m {
                m.check(name, &output).map_err(|e| d.error(e))?;
                warnings.extend(m.warnings.iter().map(|w| format!("{name}.{w}")));
            }
        }
        if actions.is_empty() {
            return Err(d.error("error creating \"attributes\" processor due to missing required field \"actions\" of processor \"attributes\""));
        }
        Ok(Arguments {
            actions,
            include,
            exclude,
            output,
            warnings,
        })
    }
}
