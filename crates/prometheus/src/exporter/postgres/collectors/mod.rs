//! postgres_exporter v0.20's collectors: the same queries (casts adjusted so every value reads as text), the
//! same families, labels and HELP, and the same per-version choices for PostgreSQL 13 to 17. One file per
//! collector, named as its `--collector.<name>` flag.

mod database;
mod locks;
mod postmaster;
mod replication;
mod replication_slots;
mod roles;
mod settings;
mod stat_activity;
mod stat_archiver;
mod stat_bgwriter;
mod stat_checkpointer;
mod stat_database;
mod stat_progress_vacuum;
mod stat_replication;
mod stat_user_tables;
mod statio_user_tables;
mod wal;

use ingot_prom::exposition::FamilySet;
use tokio_postgres::{Client, SimpleQueryMessage, SimpleQueryRow};

/// A collector of the upstream `collector` package, by its `--collector.<name>` name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Database,
    Locks,
    Postmaster,
    Replication,
    ReplicationSlots,
    Roles,
    Settings,
    StatActivity,
    StatArchiver,
    StatBgwriter,
    StatCheckpointer,
    StatDatabase,
    StatProgressVacuum,
    StatReplication,
    StatUserTables,
    StatioUserTables,
    Wal,
}

impl Kind {
    pub const ALL: [Kind; 17] = [
        Kind::Database,
        Kind::Locks,
        Kind::Postmaster,
        Kind::Replication,
        Kind::ReplicationSlots,
        Kind::Roles,
        Kind::Settings,
        Kind::StatActivity,
        Kind::StatArchiver,
        Kind::StatBgwriter,
        Kind::StatCheckpointer,
        Kind::StatDatabase,
        Kind::StatProgressVacuum,
        Kind::StatReplication,
        Kind::StatUserTables,
        Kind::StatioUserTables,
        Kind::Wal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Database => "database",
            Kind::Locks => "locks",
            Kind::Postmaster => "postmaster",
            Kind::Replication => "replication",
            Kind::ReplicationSlots => "replication_slots",
            Kind::Roles => "roles",
            Kind::Settings => "settings",
            Kind::StatActivity => "stat_activity",
            Kind::StatArchiver => "stat_archiver",
            Kind::StatBgwriter => "stat_bgwriter",
            Kind::StatCheckpointer => "stat_checkpointer",
            Kind::StatDatabase => "stat_database",
            Kind::StatProgressVacuum => "stat_progress_vacuum",
            Kind::StatReplication => "stat_replication",
            Kind::StatUserTables => "stat_user_tables",
            Kind::StatioUserTables => "statio_user_tables",
            Kind::Wal => "wal",
        }
    }

    /// Enabled when `enabled_collectors` is empty (v0.20's `defaultEnabled`).
    pub fn default_enabled(self) -> bool {
        !matches!(self, Kind::Postmaster | Kind::StatCheckpointer)
    }

    /// A name from `enabled_collectors`. Alloy's documentation still says `replication_slot`, the name
    /// before v0.20, so both are accepted.
    pub fn from_name(name: &str) -> Option<Kind> {
        if name == "replication_slot" {
            return Some(Kind::ReplicationSlots);
        }
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn defaults() -> Vec<Kind> {
        Kind::ALL
            .into_iter()
            .filter(|k| k.default_enabled())
            .collect()
    }
}

/// Collectors upstream has that ingot does not run yet; naming one is a configuration error that says so.
pub const NOT_IMPLEMENTED: &[&str] = &[
    "buffercache_summary",
    "database_wraparound",
    "long_running_transactions",
    "process_idle",
    "stat_activity_autovacuum",
    "stat_statements",
    "stat_wal_receiver",
    "statio_user_indexes",
    "xlog_location",
];

/// What a collector needs besides the connection.
pub struct Input<'a> {
    pub client: &'a Client,
    /// `server_version_num`: 150018 for 15.18.
    pub version_num: i32,
    /// Databases left out of the `database` collector (the autodiscovery deny list, as Alloy passes it).
    pub exclude_databases: &'a [String],
}

pub type Error = tokio_postgres::Error;

async fn rows(client: &Client, sql: &str) -> Result<Vec<SimpleQueryRow>, Error> {
    Ok(client
        .simple_query(sql)
        .await?
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r),
            _ => None,
        })
        .collect())
}

/// A column as a number; NULL (and anything that is not a number) is `None`.
fn num(row: &SimpleQueryRow, i: usize) -> Option<f64> {
    let s = row.get(i)?;
    match s {
        "t" => Some(1.0),
        "f" => Some(0.0),
        _ => s.parse().ok(),
    }
}

fn text(row: &SimpleQueryRow, i: usize) -> Option<&str> {
    row.get(i)
}

/// Runs one collector, pushing its samples into `out`.
pub async fn run(kind: Kind, input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    match kind {
        Kind::Database => database::database(input, out).await,
        Kind::Locks => locks::locks(input, out).await,
        Kind::Postmaster => postmaster::postmaster(input, out).await,
        Kind::Replication => replication::replication(input, out).await,
        Kind::ReplicationSlots => replication_slots::replication_slots(input, out).await,
        Kind::Roles => roles::roles(input, out).await,
        Kind::Settings => settings::settings(input, out).await,
        Kind::StatActivity => stat_activity::stat_activity(input, out).await,
        Kind::StatArchiver => stat_archiver::stat_archiver(input, out).await,
        Kind::StatBgwriter => stat_bgwriter::stat_bgwriter(input, out).await,
        Kind::StatCheckpointer => stat_checkpointer::stat_checkpointer(input, out).await,
        Kind::StatDatabase => stat_database::stat_database(input, out).await,
        Kind::StatProgressVacuum => stat_progress_vacuum::stat_progress_vacuum(input, out).await,
        Kind::StatReplication => stat_replication::stat_replication(input, out).await,
        Kind::StatUserTables => stat_user_tables::stat_user_tables(input, out).await,
        Kind::StatioUserTables => statio_user_tables::statio_user_tables(input, out).await,
        Kind::Wal => wal::wal(input, out).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collector_names_and_defaults() {
        assert_eq!(
            Kind::from_name("replication_slot"),
            Some(Kind::ReplicationSlots)
        );
        assert_eq!(
            Kind::from_name("replication_slots"),
            Some(Kind::ReplicationSlots)
        );
        assert_eq!(Kind::from_name("nope"), None);
        let defaults: Vec<&str> = Kind::defaults().into_iter().map(Kind::name).collect();
        assert_eq!(
            defaults,
            [
                "database",
                "locks",
                "replication",
                "replication_slots",
                "roles",
                "settings",
                "stat_activity",
                "stat_archiver",
                "stat_bgwriter",
                "stat_database",
                "stat_progress_vacuum",
                "stat_replication",
                "stat_user_tables",
                "statio_user_tables",
                "wal"
            ]
        );
    }
}
