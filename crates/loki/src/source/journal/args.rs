//! `loki.source.journal`'s arguments: Alloy 1.18's names and defaults (`internal/component/loki/source/
//! journal/types.go`).

use std::collections::BTreeMap;
use std::time::Duration;

use ingot_common::receiver::LogsReceiver;
use ingot_common::relabel::Rules;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

/// How far back reading starts without a saved position (or with one older than this).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(7 * 3600);

/// The `legacy_position` block: a Promtail or static-agent positions file and the journal job's name
/// in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyPosition {
    pub file: String,
    pub name: String,
}

impl Decode for LegacyPosition {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(LegacyPosition {
            file: d.required("file")?,
            name: d.required("name")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub format_as_json: bool,
    pub max_age: Duration,
    /// `""`: `/var/log/journal` and `/run/log/journal`.
    pub path: String,
    pub relabel_rules: Rules,
    pub matches: String,
    /// `matches` parsed: groups of `FIELD=value` (same field: any of them; different fields: all).
    pub match_groups: Vec<Vec<Vec<u8>>>,
    pub forward_to: Vec<LogsReceiver>,
    pub labels: BTreeMap<String, String>,
    pub legacy_position: Option<LegacyPosition>,
}

impl Arguments {
    /// Whether `other` reads the same entries (so that the reader can be kept across an update).
    pub fn same_source(&self, other: &Arguments) -> bool {
        self.path == other.path && self.match_groups == other.match_groups
    }
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let format_as_json = d.optional_or("format_as_json", false)?;
        let max_age = d.optional_or("max_age", DEFAULT_MAX_AGE)?;
        let path = d.optional_or("path", String::new())?;
        let relabel_rules: Rules = d.optional_or("relabel_rules", Rules(Default::default()))?;
        let matches: String = d.optional_or("matches", String::new())?;
        // Alloy finds a bad `matches` only when its tailer starts (the component turns unhealthy and
        // reads nothing); ingot refuses the config, naming the attribute.
        let match_groups =
            ingot_journal::parse_matches(&matches).map_err(|e| d.error_at_attr("matches", e))?;
        let forward_to = d.required("forward_to")?;
        let labels = d.optional_or("labels", BTreeMap::new())?;
        let legacy_position = d.block("legacy_position")?;
        Ok(Arguments {
            format_as_json,
            max_age,
            path,
            relabel_rules,
            matches,
            match_groups,
            forward_to,
            labels,
            legacy_position,
        })
    }
}
