//! One file per stage: its `Config` (decoded and checked with Alloy's messages) and the running stage.

pub mod cri;
pub mod decolorize;
pub mod docker;
pub mod drop;
pub mod eventlogmessage;
pub mod geoip;
pub mod json;
pub mod label_drop;
pub mod label_keep;
pub mod labels;
pub mod limit;
pub mod logfmt;
pub mod luhn;
pub mod match_;
pub mod metrics;
pub mod multiline;
pub mod output;
pub mod pack;
pub mod pattern;
pub mod regex;
pub mod replace;
pub mod sampling;
pub mod static_labels;
pub mod structured_metadata;
pub mod structured_metadata_drop;
pub mod template;
pub mod tenant;
pub mod timestamp;
pub mod truncate;
pub mod windowsevent;

#[cfg(test)]
pub(crate) mod testing;

use super::value::{get_string, Extracted};

/// The text of `extracted[source]`, as Alloy's stages read a `source`: `None` (and the stage does nothing)
/// when it is missing or has no text.
pub fn source_text(extracted: &Extracted, source: &str) -> Option<String> {
    let v = extracted.get(source)?;
    match get_string(v) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::debug!(source, "failed to convert source value to string: {e}");
            None
        }
    }
}

/// A map attribute of `string` values that may be `null` or empty (Alloy's `map[string]*string`): the
/// names with their source, which defaults to the name itself.
pub fn names_with_sources(
    values: &std::collections::BTreeMap<String, Option<String>>,
) -> Vec<(String, String)> {
    values
        .iter()
        .map(|(name, src)| {
            let src = match src {
                Some(s) if !s.is_empty() => s.clone(),
                _ => name.clone(),
            };
            (name.clone(), src)
        })
        .collect()
}

/// A byte size attribute (Alloy's `units.Base2Bytes`): a string such as `"1KiB"` or `"512KB"`, or a number
/// of bytes.
pub fn bytes_attr(
    d: &mut ingot_syntax::decode::BodyDecoder<'_, '_>,
    name: &str,
) -> Result<Option<u64>, ingot_syntax::decode::Failed> {
    use ingot_syntax::value::Value as V;
    match d.optional::<V>(name)? {
        None | Some(V::Null) => Ok(None),
        Some(V::String(s)) => ingot_common::units::parse_base2_bytes(&s)
            .map(Some)
            .map_err(|e| d.error_at_attr(name, e)),
        Some(v @ V::Number(_)) => {
            use ingot_syntax::value::FromValue;
            u64::from_value(&v)
                .map(Some)
                .map_err(|e| d.error_at_attr(name, e.to_string()))
        }
        Some(other) => Err(d.error_at_attr(
            name,
            format!("expected string, got {}", other.value_type().name()),
        )),
    }
}
