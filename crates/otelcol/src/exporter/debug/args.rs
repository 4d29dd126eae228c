//! `otelcol.exporter.debug`'s arguments (Alloy's `exporter/debug/debug.go`: `verbosity` "basic",
//! `sampling_initial` 2, `sampling_thereafter` 1, `use_internal_logger` true, `output_paths`).

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::config::{debug_metrics, Warnings};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    Basic,
    Normal,
    Detailed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Log,
    Stdout,
    Stderr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub verbosity: Verbosity,
    pub sampling_initial: u64,
    pub sampling_thereafter: u64,
    pub output: Output,
    pub warnings: Warnings,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let v: String = d.optional_or("verbosity", "basic".to_string())?;
        let verbosity = match v.to_ascii_lowercase().as_str() {
            "basic" => Verbosity::Basic,
            "normal" => Verbosity::Normal,
            "detailed" => Verbosity::Detailed,
            _ => {
                return Err(d.error_at_attr(
                    "verbosity",
                    format!("error in conversion to config arguments, invalid verbosity {v:?}"),
                ))
            }
        };
        let sampling_initial: i64 = d.optional_or("sampling_initial", 2)?;
        let sampling_thereafter: i64 = d.optional_or("sampling_thereafter", 1)?;
        let use_internal_logger = d.optional_or("use_internal_logger", true)?;
        let paths: Vec<String> = d.optional_or("output_paths", Vec::new())?;
        debug_metrics(d, &mut warnings)?;
        let output = if use_internal_logger {
            if !paths.is_empty() {
                warnings.push("output_paths has no effect while use_internal_logger is true: output goes to ingot's log".into());
            }
            Output::Log
        } else {
            match paths.as_slice() {
                [] => Output::Stdout,
                [p] if p == "stdout" => Output::Stdout,
                [p] if p == "stderr" => Output::Stderr,
                _ => {
                    return Err(d.error_at_attr(
                        "output_paths",
                        "ingot's debug exporter writes to one of \"stdout\" or \"stderr\" (or to its log with use_internal_logger = true)",
                    ))
                }
            }
        };
        Ok(Arguments {
            verbosity,
            sampling_initial: sampling_initial.max(0) as u64,
            sampling_thereafter: sampling_thereafter.max(0) as u64,
            output,
            warnings,
        })
    }
}
