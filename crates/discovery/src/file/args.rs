//! `discovery.file`'s arguments.

use std::time::Duration;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub files: Vec<String>,
    pub refresh_interval: Duration,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Arguments {
            files: d.required("files")?,
            refresh_interval: d.optional_or("refresh_interval", Duration::from_secs(300))?,
        })
    }
}
