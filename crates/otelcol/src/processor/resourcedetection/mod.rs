//! `otelcol.processor.resourcedetection`: detects attributes of where ingot runs once, when it starts,
//! and adds them to the resource of every request (replacing what is there when `override` is true). The
//! detectors a host agent needs are here: `env` (`OTEL_RESOURCE_ATTRIBUTES`) and `system` (`host.name`,
//! `os.type`, optionally `host.arch` and `host.id`). Cloud and orchestrator detectors are refused by name.
//! Exports `input`.

pub mod args;
pub mod component;
pub mod detect;

pub use args::Arguments;
pub use component::{Component, NAME};
