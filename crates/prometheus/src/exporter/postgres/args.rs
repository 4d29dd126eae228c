//! `prometheus.exporter.postgres`'s arguments and blocks, with Alloy's defaults and validation messages,
//! and what they resolve to: the data sources, the collectors and the custom queries.

use std::sync::Arc;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Secret;

use super::collectors::{Kind, NOT_IMPLEMENTED};
use super::dsn::DataSource;
use super::exporter::{Settings, SCRAPE_TIMEOUT};
use super::user_queries::UserQueries;

/// Read when `data_source_names` is empty, comma-separated (Alloy's fallback).
pub const DSN_ENV: &str = "POSTGRES_EXPORTER_DATA_SOURCE_NAME";

#[derive(Clone, Debug, PartialEq, Default)]
pub struct AutoDiscovery {
    pub enabled: bool,
    pub database_allowlist: Vec<String>,
    pub database_denylist: Vec<String>,
}

impl Decode for AutoDiscovery {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(AutoDiscovery {
            enabled: d.optional_or("enabled", false)?,
            database_allowlist: d.optional_or("database_allowlist", Vec::new())?,
            database_denylist: d.optional_or("database_denylist", Vec::new())?,
        })
    }
}

/// Settings of the `stat_statements` collector (Alloy's block, with its defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct StatStatements {
    pub include_query: bool,
    pub query_length: u64,
    pub limit: u64,
    pub exclude_databases: Vec<String>,
    pub exclude_users: Vec<String>,
}

impl Default for StatStatements {
    fn default() -> Self {
        StatStatements {
            include_query: false,
            query_length: 120,
            limit: 100,
            exclude_databases: Vec::new(),
            exclude_users: Vec::new(),
        }
    }
}

impl Decode for StatStatements {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = StatStatements::default();
        Ok(StatStatements {
            include_query: d.optional_or("include_query", def.include_query)?,
            query_length: d.optional_or("query_length", def.query_length)?,
            limit: d.optional_or("limit", def.limit)?,
            exclude_databases: d.optional_or("exclude_databases", def.exclude_databases)?,
            exclude_users: d.optional_or("exclude_users", def.exclude_users)?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Arguments {
    pub data_source_names: Vec<Secret>,
    pub disable_settings_metrics: bool,
    pub disable_default_metrics: bool,
    pub custom_queries_config_path: String,
    pub enabled_collectors: Vec<String>,
    pub autodiscovery: AutoDiscovery,
    pub stat_statements: StatStatements,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let args = Arguments {
            data_source_names: d.optional_or("data_source_names", Vec::new())?,
            disable_settings_metrics: d.optional_or("disable_settings_metrics", false)?,
            disable_default_metrics: d.optional_or("disable_default_metrics", false)?,
            custom_queries_config_path: d
                .optional_or("custom_queries_config_path", String::new())?,
            enabled_collectors: d.optional_or("enabled_collectors", Vec::new())?,
            autodiscovery: d.block("autodiscovery")?.unwrap_or_default(),
            stat_statements: d.block("stat_statements")?.unwrap_or_default(),
        };
        // Alloy's own checks, with its words.
        if args.disable_default_metrics && args.custom_queries_config_path.is_empty() {
            return Err(d.error_at_attr(
                "disable_default_metrics",
                "custom_queries_config_path must be set when disable_default_metrics is true",
            ));
        }
        if args.disable_default_metrics && !args.enabled_collectors.is_empty() {
            return Err(d.error_at_attr(
                "enabled_collectors",
                "enabled_collectors cannot be set when disable_default_metrics is true",
            ));
        }
        if !args.custom_queries_config_path.is_empty() && args.autodiscovery.enabled {
            // Upstream runs the custom queries on every discovered database; ingot discovers none.
            return Err(d.error_at_attr(
                "custom_queries_config_path",
                "custom_queries_config_path together with autodiscovery { enabled = true } is not \
                 supported by ingot yet: the queries would run on the listed data sources only",
            ));
        }
        for name in &args.enabled_collectors {
            if Kind::from_name(name).is_some() {
                continue;
            }
            let supported = Kind::ALL.map(Kind::name).join(", ");
            let msg = if NOT_IMPLEMENTED.contains(&name.as_str()) {
                format!("collector {name:?} not supported by ingot yet; supported collectors: {supported}")
            } else {
                format!("missing collector: {name}; known collectors: {supported}")
            };
            return Err(d.error_at_attr("enabled_collectors", msg));
        }
        Ok(args)
    }
}

impl Arguments {
    /// The collectors that run: `enabled_collectors` when set (any known collector, default or not), else
    /// v0.20's defaults; `disable_settings_metrics` removes `settings`; none with `disable_default_metrics`
    /// (Alloy then builds no collector at all).
    pub fn collectors(&self) -> Vec<Kind> {
        if self.disable_default_metrics {
            return Vec::new();
        }
        let mut kinds: Vec<Kind> = if self.enabled_collectors.is_empty() {
            Kind::defaults()
        } else {
            self.enabled_collectors
                .iter()
                .filter_map(|n| Kind::from_name(n))
                .collect()
        };
        if self.disable_settings_metrics {
            kinds.retain(|k| *k != Kind::Settings);
        }
        kinds.sort();
        kinds.dedup();
        kinds
    }

    /// The data sources: the argument, else the environment variable, else an error with Alloy's words.
    pub fn sources(&self) -> Result<Vec<DataSource>, String> {
        let raw: Vec<Secret> = if self.data_source_names.is_empty() {
            match std::env::var(DSN_ENV) {
                Ok(v) => v.split(',').map(Secret::new).collect(),
                Err(_) => {
                    return Err(format!(
                        "cannot create postgres_exporter; neither postgres_exporter.data_source_name or ${DSN_ENV} is set"
                    ))
                }
            }
        } else {
            self.data_source_names.clone()
        };
        raw.iter().map(DataSource::parse).collect()
    }

    /// The custom queries file, read now: a file that cannot be read or parsed is a configuration error
    /// that names it.
    pub fn user_queries(&self) -> Result<Option<Arc<UserQueries>>, String> {
        if self.custom_queries_config_path.is_empty() {
            return Ok(None);
        }
        let queries = UserQueries::load(&self.custom_queries_config_path)
            .map_err(|e| format!("custom_queries_config_path: {e}"))?;
        Ok(Some(Arc::new(queries)))
    }

    /// What the exporter runs with. `read_files` false (under `ingot validate`) leaves the custom queries
    /// file unread.
    pub(super) fn settings(&self, read_files: bool) -> Result<Settings, String> {
        Ok(Settings {
            sources: self.sources()?,
            collectors: self.collectors(),
            // Alloy hands the deny list to the collectors whether or not discovery is on.
            exclude_databases: self.autodiscovery.database_denylist.clone(),
            timeout: SCRAPE_TIMEOUT,
            default_metrics: !self.disable_default_metrics,
            user_queries: if read_files {
                self.user_queries()?
            } else {
                None
            },
        })
    }
}
