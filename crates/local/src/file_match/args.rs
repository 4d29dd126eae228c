//! `local.file_match`'s arguments: Alloy's names and defaults.

use std::collections::BTreeMap;
use std::time::Duration;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    /// Targets whose `__path__` is a doublestar pattern (and `__path_exclude__`, optional, another).
    pub path_targets: Vec<BTreeMap<String, String>>,
    /// How often the patterns are matched again (Alloy: 10s).
    pub sync_period: Duration,
    /// Files modified longer ago than this are left out; zero keeps every file.
    pub ignore_older_than: Duration,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let args = Arguments {
            path_targets: d.required("path_targets")?,
            sync_period: d.optional_or("sync_period", Duration::from_secs(10))?,
            ignore_older_than: d.optional_or("ignore_older_than", Duration::ZERO)?,
        };
        // Alloy hands the period to time.NewTicker, which panics on zero; ingot refuses it instead.
        if args.sync_period.is_zero() {
            return Err(d.error_at_attr("sync_period", "sync_period must be greater than 0"));
        }
        Ok(args)
    }
}
