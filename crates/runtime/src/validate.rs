//! `validate`: every check that can be made without running anything, across all files of a directory.

use std::path::Path;

use ingot_syntax::Diagnostics;

use crate::graph::{self, BlockClass};
use crate::source::{self, ConfigSource};

/// Checks the configuration at `path` and returns every diagnostic found.
pub fn validate_path(path: &Path) -> Diagnostics {
    let (config, mut diags) = source::load(path);
    if diags.has_errors() {
        return diags;
    }
    diags.extend(validate_config(&config));
    diags
}

/// Graph-level checks of parsed files: block kinds, ids, labels, references and cycles.
pub fn validate_config(config: &ConfigSource) -> Diagnostics {
    let (_, diags) = graph::build(config, &classify, &is_builtin);
    diags
}

/// What a top-level block name is, as far as this build of ingot knows.
pub fn classify(name: &str) -> BlockClass {
    match name {
        "logging" | "tracing" | "http" | "livedebugging" => BlockClass::Config,
        _ => BlockClass::Unknown,
    }
}

/// First names the evaluator resolves from the standard library rather than from a component.
pub fn is_builtin(name: &str) -> bool {
    matches!(
        name,
        "sys" | "constants" | "coalesce" | "json_path" | "array" | "convert" | "encoding" | "file" | "string"
            // Deprecated top-level names, still accepted.
            | "env" | "concat" | "nonsensitive" | "json_decode" | "yaml_decode" | "base64_decode" | "format"
            | "join" | "split" | "replace" | "to_lower" | "to_upper" | "trim" | "trim_prefix" | "trim_suffix"
            | "trim_space"
    )
}
