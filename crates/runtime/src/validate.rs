//! `validate`: every check that can be made without running anything, across all files of a directory:
//! syntax, block ids, labels, unknown components, references, cycles, and each component's arguments.

use std::path::Path;

use ingot_syntax::Diagnostics;

use crate::controller::Controller;
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
