//! `validate`: every check that can be made without running anything, across all files of a directory:
//! syntax, block ids, labels, unknown components, references, cycles, and each component's arguments.

use std::path::Path;

use ingot_syntax::Diagnostics;

use crate::controller::Controller;
use crate::graph::BlockClass;
use crate::source;

/// Checks the configuration at `path` against the controller's registry and returns every diagnostic found.
pub fn validate_path(controller: &Controller, path: &Path) -> Diagnostics {
    let (config, mut diags) = source::load(path);
    if diags.has_errors() {
        return diags;
    }
    diags.extend(controller.check(&config));
    diags
}

/// What a top-level block name is when it is not a registered component.
pub fn classify(name: &str) -> BlockClass {
    match name {
        "logging" | "tracing" | "http" | "livedebugging" => BlockClass::Config,
        _ => BlockClass::Unknown,
    }
}

/// First names the evaluator resolves from the standard library rather than from a component.
pub fn is_builtin(name: &str) -> bool {
    ingot_syntax::stdlib::lookup(name).is_some()
}
