//! `loki.source.file`'s arguments and blocks: Alloy 1.18's names, defaults and messages.

use std::collections::BTreeMap;
use std::time::Duration;

use ingot_common::receiver::LogsReceiver;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use super::reader::Codec;

/// What to do when the positions file's entry for a file cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnPositionsFileError {
    /// Do not read the file.
    Skip,
    /// Start at the end of the file, as `tail_from_end`.
    RestartFromEnd,
    /// Start at the beginning (Alloy's default).
    RestartFromBeginning,
}

impl OnPositionsFileError {
    pub fn as_str(self) -> &'static str {
        match self {
            OnPositionsFileError::Skip => "skip",
            OnPositionsFileError::RestartFromEnd => "restart_from_end",
            OnPositionsFileError::RestartFromBeginning => "restart_from_beginning",
        }
    }
}

/// The `decompression` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Decompression {
    pub enabled: bool,
    pub initial_delay: Duration,
    pub format: Compression,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zlib,
    Bzip2,
}

impl Compression {
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::Gzip => "gz",
            Compression::Zlib => "z",
            Compression::Bzip2 => "bz2",
        }
    }
}

impl Decode for Decompression {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let enabled = d.required("enabled")?;
        let initial_delay = d.optional_or("initial_delay", Duration::ZERO)?;
        let format: String = d.required("format")?;
        let format = match format.as_str() {
            "gz" => Compression::Gzip,
            "z" => Compression::Zlib,
            "bz2" => Compression::Bzip2,
            other => {
                return Err(d.error_at_attr(
                    "format",
                    format!(
                        "unsupported compression format: {} - please use one of \"gz, z, bz2\"",
                        ingot_syntax::value::go_quote(other)
                    ),
                ))
            }
        };
        Ok(Decompression {
            enabled,
            initial_delay,
            format,
        })
    }
}

/// The `file_watch` block: how often an idle file is looked at (doubling from min to max).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FileWatch {
    pub min_poll_frequency: Duration,
    pub max_poll_frequency: Duration,
}

impl Default for FileWatch {
    fn default() -> FileWatch {
        FileWatch {
            min_poll_frequency: Duration::from_millis(250),
            max_poll_frequency: Duration::from_millis(250),
        }
    }
}

impl Decode for FileWatch {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = FileWatch::default();
        Ok(FileWatch {
            min_poll_frequency: d.optional_or("min_poll_frequency", def.min_poll_frequency)?,
            max_poll_frequency: d.optional_or("max_poll_frequency", def.max_poll_frequency)?,
        })
    }
}

/// The `file_match` block: `__path__` as a doublestar pattern, matched every `sync_period`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FileMatch {
    pub enabled: bool,
    pub sync_period: Duration,
    pub ignore_older_than: Duration,
}

impl Default for FileMatch {
    fn default() -> FileMatch {
        FileMatch {
            enabled: false,
            sync_period: Duration::from_secs(10),
            ignore_older_than: Duration::ZERO,
        }
    }
}

impl Decode for FileMatch {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = FileMatch::default();
        Ok(FileMatch {
            enabled: d.optional_or("enabled", def.enabled)?,
            sync_period: d.optional_or("sync_period", def.sync_period)?,
            ignore_older_than: d.optional_or("ignore_older_than", def.ignore_older_than)?,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub targets: Vec<BTreeMap<String, String>>,
    pub forward_to: Vec<LogsReceiver>,
    /// The IANA name as written (`""`: UTF-8).
    pub encoding: String,
    /// `encoding` resolved.
    pub codec: Codec,
    pub decompression: Option<Decompression>,
    pub file_watch: FileWatch,
    pub file_match: FileMatch,
    pub tail_from_end: bool,
    pub legacy_positions_file: String,
    pub on_positions_file_error: OnPositionsFileError,
    /// Settings accepted without effect, by name and why (logged and shown in health).
    pub warnings: Vec<String>,
}

impl Arguments {
    /// The decompression settings when decompression is on.
    pub fn compression(&self) -> Option<&Decompression> {
        self.decompression.as_ref().filter(|d| d.enabled)
    }
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let targets = d.required("targets")?;
        let forward_to = d.required("forward_to")?;
        let encoding: String = d.optional_or("encoding", String::new())?;
        let codec = match Codec::for_name(&encoding) {
            Ok(c) => c,
            Err(e) => return Err(d.error_at_attr("encoding", e)),
        };
        let tail_from_end = d.optional_or("tail_from_end", false)?;
        let legacy_positions_file = d.optional_or("legacy_positions_file", String::new())?;
        let on_error: String = d.optional_or(
            "on_positions_file_error",
            "restart_from_beginning".to_string(),
        )?;
        let on_positions_file_error = match on_error.as_str() {
            "skip" => OnPositionsFileError::Skip,
            "restart_from_end" => OnPositionsFileError::RestartFromEnd,
            "restart_from_beginning" => OnPositionsFileError::RestartFromBeginning,
            other => {
                return Err(d.error_at_attr(
                    "on_positions_file_error",
                    format!("unknown OnPositionsFileError value: {other}"),
                ))
            }
        };
        let decompression: Option<Decompression> = d.block("decompression")?;
        let file_watch = d.block("file_watch")?.unwrap_or_default();
        let file_match: FileMatch = d.block("file_match")?.unwrap_or_default();
        if file_match.sync_period.is_zero() {
            return Err(d.error("sync period must be greater than 0"));
        }
        let mut warnings = Vec::new();
        if decompression.as_ref().is_some_and(|c| c.enabled) {
            // Alloy documents both as unsupported with decompression and ignores them there too.
            if tail_from_end {
                warnings.push(
                    "tail_from_end has no effect with decompression: compressed files are read whole"
                        .to_string(),
                );
            }
            if on_positions_file_error == OnPositionsFileError::RestartFromEnd {
                warnings.push(
                    "on_positions_file_error = \"restart_from_end\" is read as \"restart_from_beginning\" with decompression"
                        .to_string(),
                );
            }
        }
        Ok(Arguments {
            targets,
            forward_to,
            encoding,
            codec,
            decompression,
            file_watch,
            file_match,
            tail_from_end,
            legacy_positions_file,
            on_positions_file_error,
            warnings,
        })
    }
}
