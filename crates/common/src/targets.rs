//! Targets as config values: `list(map(string))`, what `discovery.*` components and exporters export and
//! what `prometheus.scrape` takes.

use std::collections::BTreeMap;

use ingot_syntax::value::Value;

/// A target list as a value: `list(map(string))`.
pub fn targets_value(targets: &[BTreeMap<String, String>]) -> Value {
    Value::array(targets.iter().map(|t| {
        Value::object(
            t.iter()
                .map(|(k, v)| (k.clone(), Value::string(v.as_str()))),
        )
    }))
}
