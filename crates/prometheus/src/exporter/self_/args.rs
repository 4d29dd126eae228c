//! `prometheus.exporter.self` takes no arguments and no blocks, as in Alloy.

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Arguments;

impl Decode for Arguments {
    /// Nothing to read: an attribute or block in the body is refused as unknown.
    fn decode(_: &mut BodyDecoder<'_, '_>) -> Result<Arguments, Failed> {
        Ok(Arguments)
    }
}
