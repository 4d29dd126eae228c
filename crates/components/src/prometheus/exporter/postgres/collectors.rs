//! postgres_exporter v0.20's collectors: the same queries (casts adjusted so every value reads as text), the
//! same families, labels and HELP, and the same per-version choices for PostgreSQL 13 to 17.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};
use tokio_postgres::{Client, SimpleQueryMessage, SimpleQueryRow};

use MetricType::{Counter, Gauge};

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
        Kind::Database => database(input, out).await,
        Kind::Locks => locks(input, out).await,
        Kind::Postmaster => postmaster(input, out).await,
        Kind::Replication => replication(input, out).await,
        Kind::ReplicationSlots => replication_slots(input, out).await,
        Kind::Roles => roles(input, out).await,
        Kind::Settings => settings(input, out).await,
        Kind::StatActivity => stat_activity(input, out).await,
        Kind::StatArchiver => stat_archiver(input, out).await,
        Kind::StatBgwriter => stat_bgwriter(input, out).await,
        Kind::StatCheckpointer => stat_checkpointer(input, out).await,
        Kind::StatDatabase => stat_database(input, out).await,
        Kind::StatProgressVacuum => stat_progress_vacuum(input, out).await,
        Kind::StatReplication => stat_replication(input, out).await,
        Kind::StatUserTables => stat_user_tables(input, out).await,
        Kind::StatioUserTables => statio_user_tables(input, out).await,
        Kind::Wal => wal(input, out).await,
    }
}

// database ------------------------------------------------------------------------------------------------

const DATABASE_SIZE: Desc = Desc::new(
    "pg_database_size_bytes",
    "Disk space used by the database",
    Gauge,
    &["datname"],
);
const DATABASE_CONNECTION_LIMIT: Desc = Desc::new(
    "pg_database_connection_limit",
    "Connection limit set for the database",
    Gauge,
    &["datname"],
);

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

async fn database(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    let listed = rows(
        input.client,
        "SELECT pg_database.datname, pg_database.datconnlimit FROM pg_database",
    )
    .await?;
    let mut names = Vec::new();
    for r in &listed {
        let Some(datname) = text(r, 0) else { continue };
        if input.exclude_databases.iter().any(|d| d == datname) {
            continue;
        }
        out.push(
            &DATABASE_CONNECTION_LIMIT,
            &[datname],
            num(r, 1).unwrap_or(0.0),
        );
        names.push(datname.to_string());
    }
    if names.is_empty() {
        return Ok(());
    }
    // One round trip for every size instead of upstream's one query per database; same values.
    let sql = names
        .iter()
        .map(|n| {
            let lit = quote_literal(n);
            format!("SELECT {lit}, pg_database_size({lit})")
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    for r in rows(input.client, &sql).await? {
        if let Some(datname) = text(&r, 0) {
            out.push(&DATABASE_SIZE, &[datname], num(&r, 1).unwrap_or(0.0));
        }
    }
    Ok(())
}

// locks ---------------------------------------------------------------------------------------------------

const LOCKS: Desc = Desc::new(
    "pg_locks_count",
    "Number of locks",
    Gauge,
    &["datname", "mode"],
);

const LOCKS_QUERY: &str = "SELECT pg_database.datname AS datname, tmp.mode AS mode, COALESCE(count, 0) AS count \
FROM (VALUES ('accesssharelock'), ('rowsharelock'), ('rowexclusivelock'), ('shareupdateexclusivelock'), \
('sharelock'), ('sharerowexclusivelock'), ('exclusivelock'), ('accessexclusivelock'), ('sireadlock')) AS tmp(mode) \
CROSS JOIN pg_database \
LEFT JOIN (SELECT database, lower(mode) AS mode, count(*) AS count FROM pg_locks WHERE database IS NOT NULL \
GROUP BY database, lower(mode)) AS tmp2 ON tmp.mode = tmp2.mode AND pg_database.oid = tmp2.database ORDER BY 1";

async fn locks(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    for r in rows(input.client, LOCKS_QUERY).await? {
        let (Some(datname), Some(mode)) = (text(&r, 0), text(&r, 1)) else {
            continue;
        };
        out.push(&LOCKS, &[datname, mode], num(&r, 2).unwrap_or(0.0));
    }
    Ok(())
}

// postmaster ----------------------------------------------------------------------------------------------

const POSTMASTER_START: Desc = Desc::new(
    "pg_postmaster_start_time_seconds",
    "Time at which postmaster started",
    Gauge,
    &[],
);

async fn postmaster(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    for r in rows(
        input.client,
        "SELECT extract(epoch from pg_postmaster_start_time)::float8 from pg_postmaster_start_time()",
    )
    .await?
    {
        if let Some(v) = num(&r, 0) {
            out.push(&POSTMASTER_START, &[], v);
        }
    }
    Ok(())
}

// replication ---------------------------------------------------------------------------------------------

const REPLICATION_LAG: Desc = Desc::new(
    "pg_replication_lag_seconds",
    "Replication lag behind master in seconds",
    Gauge,
    &[],
);
const REPLICATION_IS_REPLICA: Desc = Desc::new(
    "pg_replication_is_replica",
    "Indicates if the server is a replica",
    Gauge,
    &[],
);
const REPLICATION_LAST_REPLAY: Desc = Desc::new(
    "pg_replication_last_replay_seconds",
    "Age of last replay in seconds",
    Gauge,
    &[],
);

const REPLICATION_QUERY: &str = "SELECT \
CASE WHEN NOT pg_is_in_recovery() THEN 0 \
WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
ELSE GREATEST(0, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))) END AS lag, \
CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END AS is_replica, \
GREATEST(0, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))) AS last_replay";

async fn replication(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    if let Some(r) = rows(input.client, REPLICATION_QUERY).await?.first() {
        out.push(&REPLICATION_LAG, &[], num(r, 0).unwrap_or(0.0));
        out.push(&REPLICATION_IS_REPLICA, &[], num(r, 1).unwrap_or(0.0));
        out.push(&REPLICATION_LAST_REPLAY, &[], num(r, 2).unwrap_or(0.0));
    }
    Ok(())
}

// replication_slots ---------------------------------------------------------------------------------------

const SLOTS_ACTIVE: Desc = Desc::new(
    "pg_replication_slots_active",
    "Flag indicating if the slot is active",
    Gauge,
    &["slot_name", "database"],
);
const SLOTS_WAL_LSN_DIFF: Desc = Desc::new(
    "pg_replication_slots_pg_wal_lsn_diff",
    "Replication lag in bytes",
    Gauge,
    &["slot_name", "database"],
);
const SLOTS_CURRENT_WAL_LSN: Desc = Desc::new(
    "pg_replication_slots_slot_current_wal_lsn",
    "current wal lsn value",
    Gauge,
    &["slot_name", "slot_type"],
);
const SLOTS_CONFIRMED_FLUSH_LSN: Desc = Desc::new(
    "pg_replication_slots_slot_confirmed_flush_lsn",
    "last lsn confirmed flushed to the replication slot",
    Gauge,
    &["slot_name", "slot_type"],
);
const SLOTS_IS_ACTIVE: Desc = Desc::new(
    "pg_replication_slots_slot_is_active",
    "whether the replication slot is active or not",
    Gauge,
    &["slot_name", "slot_type"],
);
const SLOTS_SAFE_WAL_SIZE: Desc = Desc::new(
    "pg_replication_slots_safe_wal_size_bytes",
    "number of bytes that can be written to WAL such that this slot is not in danger of getting in state lost",
    Gauge,
    &["slot_name", "slot_type"],
);
const SLOTS_WAL_STATUS: Desc = Desc::new(
    "pg_replication_slots_wal_status",
    "availability of WAL files claimed by this slot",
    Gauge,
    &["slot_name", "slot_type", "wal_status"],
);

async fn replication_slots(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    let diff = rows(
        input.client,
        "SELECT slot_name, database, active, \
         (CASE pg_is_in_recovery() WHEN 't' THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), restart_lsn) \
         ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) END) AS pg_wal_lsn_diff \
         FROM pg_replication_slots",
    )
    .await?;
    for r in &diff {
        let labels = [text(r, 0).unwrap_or(""), text(r, 1).unwrap_or("")];
        if let Some(active) = num(r, 2) {
            out.push(&SLOTS_ACTIVE, &labels, active);
        }
        if let Some(d) = num(r, 3) {
            out.push(&SLOTS_WAL_LSN_DIFF, &labels, d);
        }
    }
    // safe_wal_size and wal_status exist since PostgreSQL 13.
    let pg13 = input.version_num >= 130000;
    let sql = format!(
        "SELECT slot_name, slot_type, \
         CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() - '0/0' ELSE pg_current_wal_lsn() - '0/0' END AS current_wal_lsn, \
         COALESCE(confirmed_flush_lsn, '0/0') - '0/0' AS confirmed_flush_lsn, active{} FROM pg_replication_slots",
        if pg13 { ", safe_wal_size, wal_status" } else { "" }
    );
    for r in rows(input.client, &sql).await? {
        let name = text(&r, 0).unwrap_or("unknown");
        let kind = text(&r, 1).unwrap_or("unknown");
        let labels = [name, kind];
        if let Some(v) = num(&r, 2) {
            out.push(&SLOTS_CURRENT_WAL_LSN, &labels, v);
        }
        let active = num(&r, 4);
        if let (Some(1.0), Some(flush)) = (active, num(&r, 3)) {
            out.push(&SLOTS_CONFIRMED_FLUSH_LSN, &labels, flush);
        }
        if let Some(a) = active {
            out.push(&SLOTS_IS_ACTIVE, &labels, a);
        }
        if pg13 {
            if let Some(v) = num(&r, 5) {
                out.push(&SLOTS_SAFE_WAL_SIZE, &labels, v);
            }
            if let Some(status) = text(&r, 6) {
                out.push(&SLOTS_WAL_STATUS, &[name, kind, status], 1.0);
            }
        }
    }
    Ok(())
}

// roles ---------------------------------------------------------------------------------------------------

const ROLES_CONNECTION_LIMIT: Desc = Desc::new(
    "pg_roles_connection_limit",
    "Connection limit set for the role",
    Gauge,
    &["rolname"],
);

async fn roles(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    for r in rows(
        input.client,
        "SELECT pg_roles.rolname, pg_roles.rolconnlimit FROM pg_roles",
    )
    .await?
    {
        if let (Some(name), Some(limit)) = (text(&r, 0), num(&r, 1)) {
            out.push(&ROLES_CONNECTION_LIMIT, &[name], limit);
        }
    }
    Ok(())
}

// settings ------------------------------------------------------------------------------------------------

const SETTINGS_QUERY: &str =
    "SELECT name, setting, COALESCE(unit, ''), COALESCE(short_desc, ''), vartype \
FROM pg_settings WHERE vartype IN ('bool', 'integer', 'real') \
AND name NOT IN ('sync_commit_cancel_wait', 'google_dataplex.max_messages')";

/// A setting's value in base units and the unit suffix of its metric name (`seconds`, `bytes`), as
/// upstream's `normaliseUnit`; `None` for a value or unit it cannot convert (upstream logs and skips those).
pub fn normalise_setting(setting: &str, unit: &str) -> Option<(f64, &'static str)> {
    let mut setting = setting;
    // Upstream strips a unit written after the number (with the separator before it).
    for suffix in ["ms", "s", "min", "h", "d", "B", "kB", "MB", "GB", "TB"] {
        if setting.ends_with(suffix) {
            setting = &setting[..setting.len().saturating_sub(suffix.len() + 1)];
            break;
        }
    }
    let mut val: f64 = setting.parse().ok()?;
    let (suffix, factor) = match unit {
        "" => return Some((val, "")),
        "ms" => ("seconds", 1.0 / 1000.0),
        "s" => ("seconds", 1.0),
        "min" => ("seconds", 60.0),
        "h" => ("seconds", 3600.0),
        "d" => ("seconds", 86400.0),
        "B" => ("bytes", 1.0),
        "kB" | "1kB" => ("bytes", 1024.0),
        "2kB" => ("bytes", 2048.0),
        "4kB" => ("bytes", 4096.0),
        "8kB" => ("bytes", 8192.0),
        "16kB" => ("bytes", 16384.0),
        "32kB" => ("bytes", 32768.0),
        "64kB" => ("bytes", 65536.0),
        "MB" => ("bytes", 1048576.0),
        "16MB" => ("bytes", 16777216.0),
        "32MB" => ("bytes", 33554432.0),
        "64MB" => ("bytes", 67108864.0),
        "GB" => ("bytes", 1073741824.0),
        "TB" => ("bytes", 1099511627776.0),
        _ => return None,
    };
    // -1 means "disabled" and stays -1 in any unit.
    if val != -1.0 {
        if unit == "ms" {
            val /= 1000.0;
        } else {
            val *= factor;
        }
    }
    Some((val, suffix))
}

async fn settings(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    let mut name_buf = String::new();
    let mut help_buf = String::new();
    for r in rows(input.client, SETTINGS_QUERY).await? {
        let (Some(name), Some(setting), Some(unit), Some(vartype)) =
            (text(&r, 0), text(&r, 1), text(&r, 2), text(&r, 4))
        else {
            continue;
        };
        name_buf.clear();
        name_buf.push_str("pg_settings_");
        name_buf.extend(
            name.chars()
                .map(|c| if c == '.' || c == '-' { '_' } else { c }),
        );
        help_buf.clear();
        help_buf.push_str("Server Parameter: ");
        help_buf.push_str(name);
        let value = match vartype {
            "bool" => {
                if setting == "on" {
                    1.0
                } else {
                    0.0
                }
            }
            _ => {
                let Some((v, suffix)) = normalise_setting(setting, unit) else {
                    continue;
                };
                if !suffix.is_empty() {
                    name_buf.push('_');
                    name_buf.push_str(suffix);
                    help_buf.push_str(" [Units converted to ");
                    help_buf.push_str(suffix);
                    help_buf.push_str(".]");
                }
                v
            }
        };
        out.family_with(&name_buf, &help_buf, Gauge, &[])
            .push(&[], value);
    }
    Ok(())
}

// stat_activity -------------------------------------------------------------------------------------------

const STAT_ACTIVITY_LABELS: &[&str] = &[
    "datname",
    "state",
    "usename",
    "application_name",
    "backend_type",
    "wait_event_type",
    "wait_event",
];
const STAT_ACTIVITY_COUNT: Desc = Desc::new(
    "pg_stat_activity_count",
    "number of connections in this state",
    Gauge,
    STAT_ACTIVITY_LABELS,
);
const STAT_ACTIVITY_MAX_TX: Desc = Desc::new(
    "pg_stat_activity_max_tx_duration",
    "max duration in seconds any active transaction has been running",
    Gauge,
    STAT_ACTIVITY_LABELS,
);

const STAT_ACTIVITY_QUERY: &str = "SELECT pg_database.datname, tmp.state, tmp2.usename, tmp2.application_name, \
tmp2.backend_type, tmp2.wait_event_type, tmp2.wait_event, COALESCE(count, 0) AS count, \
COALESCE(max_tx_duration, 0) AS max_tx_duration \
FROM (VALUES ('active'), ('idle'), ('idle in transaction'), ('idle in transaction (aborted)'), \
('fastpath function call'), ('disabled')) AS tmp(state) CROSS JOIN pg_database \
LEFT JOIN (SELECT datname, state, usename, application_name, backend_type, wait_event_type, wait_event, \
count(*) AS count, MAX(EXTRACT(EPOCH FROM now() - xact_start))::float AS max_tx_duration \
FROM pg_stat_activity WHERE pid <> pg_backend_pid() \
GROUP BY datname, state, usename, application_name, backend_type, wait_event_type, wait_event) AS tmp2 \
ON tmp.state = tmp2.state AND pg_database.datname = tmp2.datname";

async fn stat_activity(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    for r in rows(input.client, STAT_ACTIVITY_QUERY).await? {
        let labels: [&str; 7] = std::array::from_fn(|i| text(&r, i).unwrap_or(""));
        if let Some(c) = num(&r, 7) {
            out.push(&STAT_ACTIVITY_COUNT, &labels, c);
        }
        if let Some(d) = num(&r, 8) {
            out.push(&STAT_ACTIVITY_MAX_TX, &labels, d);
        }
    }
    Ok(())
}

// stat_archiver -------------------------------------------------------------------------------------------

const ARCHIVER_ARCHIVED: Desc = Desc::new(
    "pg_stat_archiver_archived_count",
    "Number of WAL files that have been successfully archived",
    Counter,
    &[],
);
const ARCHIVER_FAILED: Desc = Desc::new(
    "pg_stat_archiver_failed_count",
    "Number of failed attempts for archiving WAL files",
    Counter,
    &[],
);
const ARCHIVER_LAST_AGE: Desc = Desc::new(
    "pg_stat_archiver_last_archive_age",
    "Time in seconds since last WAL segment was successfully archived",
    Gauge,
    &[],
);

async fn stat_archiver(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    if let Some(r) = rows(
        input.client,
        "SELECT archived_count, failed_count, extract(epoch from now() - last_archived_time) AS last_archive_age \
         FROM pg_stat_archiver",
    )
    .await?
    .first()
    {
        if let Some(v) = num(r, 0) {
            out.push(&ARCHIVER_ARCHIVED, &[], v);
        }
        if let Some(v) = num(r, 1) {
            out.push(&ARCHIVER_FAILED, &[], v);
        }
        if let Some(v) = num(r, 2) {
            out.push(&ARCHIVER_LAST_AGE, &[], v);
        }
    }
    Ok(())
}

// stat_bgwriter -------------------------------------------------------------------------------------------

const BGW_CHECKPOINTS_TIMED: Desc = Desc::new(
    "pg_stat_bgwriter_checkpoints_timed_total",
    "Number of scheduled checkpoints that have been performed",
    Counter,
    &[],
);
const BGW_CHECKPOINTS_REQ: Desc = Desc::new(
    "pg_stat_bgwriter_checkpoints_req_total",
    "Number of requested checkpoints that have been performed",
    Counter,
    &[],
);
const BGW_CHECKPOINT_WRITE_TIME: Desc = Desc::new(
    "pg_stat_bgwriter_checkpoint_write_time_total",
    "Total amount of time that has been spent in the portion of checkpoint processing where files are written to disk, in milliseconds",
    Counter,
    &[],
);
const BGW_CHECKPOINT_SYNC_TIME: Desc = Desc::new(
    "pg_stat_bgwriter_checkpoint_sync_time_total",
    "Total amount of time that has been spent in the portion of checkpoint processing where files are synchronized to disk, in milliseconds",
    Counter,
    &[],
);
const BGW_BUFFERS_CHECKPOINT: Desc = Desc::new(
    "pg_stat_bgwriter_buffers_checkpoint_total",
    "Number of buffers written during checkpoints",
    Counter,
    &[],
);
const BGW_BUFFERS_CLEAN: Desc = Desc::new(
    "pg_stat_bgwriter_buffers_clean_total",
    "Number of buffers written by the background writer",
    Counter,
    &[],
);
const BGW_MAXWRITTEN_CLEAN: Desc = Desc::new(
    "pg_stat_bgwriter_maxwritten_clean_total",
    "Number of times the background writer stopped a cleaning scan because it had written too many buffers",
    Counter,
    &[],
);
const BGW_BUFFERS_BACKEND: Desc = Desc::new(
    "pg_stat_bgwriter_buffers_backend_total",
    "Number of buffers written directly by a backend",
    Counter,
    &[],
);
const BGW_BUFFERS_BACKEND_FSYNC: Desc = Desc::new(
    "pg_stat_bgwriter_buffers_backend_fsync_total",
    "Number of times a backend had to execute its own fsync call (normally the background writer handles those even when the backend does its own write)",
    Counter,
    &[],
);
const BGW_BUFFERS_ALLOC: Desc = Desc::new(
    "pg_stat_bgwriter_buffers_alloc_total",
    "Number of buffers allocated",
    Counter,
    &[],
);
const BGW_STATS_RESET: Desc = Desc::new(
    "pg_stat_bgwriter_stats_reset_total",
    "Time at which these statistics were last reset",
    Counter,
    &[],
);

async fn stat_bgwriter(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    // PostgreSQL 17 moved the checkpoint and backend columns to pg_stat_checkpointer / pg_stat_io.
    let (sql, descs): (&str, &[&Desc]) = if input.version_num >= 170000 {
        (
            "SELECT buffers_clean, maxwritten_clean, buffers_alloc, floor(extract(epoch from stats_reset)) \
             FROM pg_stat_bgwriter",
            &[
                &BGW_BUFFERS_CLEAN,
                &BGW_MAXWRITTEN_CLEAN,
                &BGW_BUFFERS_ALLOC,
                &BGW_STATS_RESET,
            ],
        )
    } else {
        (
            "SELECT checkpoints_timed, checkpoints_req, checkpoint_write_time, checkpoint_sync_time, \
             buffers_checkpoint, buffers_clean, maxwritten_clean, buffers_backend, buffers_backend_fsync, \
             buffers_alloc, floor(extract(epoch from stats_reset)) FROM pg_stat_bgwriter",
            &[
                &BGW_CHECKPOINTS_TIMED,
                &BGW_CHECKPOINTS_REQ,
                &BGW_CHECKPOINT_WRITE_TIME,
                &BGW_CHECKPOINT_SYNC_TIME,
                &BGW_BUFFERS_CHECKPOINT,
                &BGW_BUFFERS_CLEAN,
                &BGW_MAXWRITTEN_CLEAN,
                &BGW_BUFFERS_BACKEND,
                &BGW_BUFFERS_BACKEND_FSYNC,
                &BGW_BUFFERS_ALLOC,
                &BGW_STATS_RESET,
            ],
        )
    };
    if let Some(r) = rows(input.client, sql).await?.first() {
        for (i, desc) in descs.iter().enumerate() {
            out.push(desc, &[], num(r, i).unwrap_or(0.0));
        }
    }
    Ok(())
}

// stat_checkpointer (PostgreSQL 17+) ----------------------------------------------------------------------

const CHECKPOINTER: [Desc; 9] = [
    Desc::new(
        "pg_stat_checkpointer_num_timed_total",
        "Number of scheduled checkpoints due to timeout",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_num_requested_total",
        "Number of requested checkpoints that have been performed",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_restartpoints_timed_total",
        "Number of scheduled restartpoints due to timeout or after a failed attempt to perform it",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_restartpoints_req_total",
        "Number of requested restartpoints",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_restartpoints_done_total",
        "Number of restartpoints that have been performed",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_write_time_total",
        "Total amount of time that has been spent in the portion of processing checkpoints and restartpoints where files are written to disk, in milliseconds",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_sync_time_total",
        "Total amount of time that has been spent in the portion of processing checkpoints and restartpoints where files are synchronized to disk, in milliseconds",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_buffers_written_total",
        "Number of buffers written during checkpoints and restartpoints",
        Counter,
        &[],
    ),
    Desc::new(
        "pg_stat_checkpointer_stats_reset_total",
        "Time at which these statistics were last reset",
        Counter,
        &[],
    ),
];

async fn stat_checkpointer(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    // The view exists from PostgreSQL 17; upstream succeeds with nothing before that.
    if input.version_num < 170000 {
        return Ok(());
    }
    if let Some(r) = rows(
        input.client,
        "SELECT num_timed, num_requested, restartpoints_timed, restartpoints_req, restartpoints_done, \
         write_time, sync_time, buffers_written, floor(extract(epoch from stats_reset)) FROM pg_stat_checkpointer",
    )
    .await?
    .first()
    {
        for (i, desc) in CHECKPOINTER.iter().enumerate() {
            out.push(desc, &[], num(r, i).unwrap_or(0.0));
        }
    }
    Ok(())
}

// stat_database -------------------------------------------------------------------------------------------

const DATID_DATNAME: &[&str] = &["datid", "datname"];

const STAT_DATABASE: [Desc; 17] = [
    Desc::new("pg_stat_database_numbackends", "Number of backends currently connected to this database. This is the only column in this view that returns a value reflecting current state; all other columns return the accumulated values since the last reset.", Gauge, DATID_DATNAME),
    Desc::new("pg_stat_database_xact_commit", "Number of transactions in this database that have been committed", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_xact_rollback", "Number of transactions in this database that have been rolled back", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_blks_read", "Number of disk blocks read in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_blks_hit", "Number of times disk blocks were found already in the buffer cache, so that a read was not necessary (this only includes hits in the PostgreSQL buffer cache, not the operating system's file system cache)", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_tup_returned", "Number of rows returned by queries in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_tup_fetched", "Number of rows fetched by queries in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_tup_inserted", "Number of rows inserted by queries in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_tup_updated", "Number of rows updated by queries in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_tup_deleted", "Number of rows deleted by queries in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_conflicts", "Number of queries canceled due to conflicts with recovery in this database. (Conflicts occur only on standby servers; see pg_stat_database_conflicts for details.)", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_temp_files", "Number of temporary files created by queries in this database. All temporary files are counted, regardless of why the temporary file was created (e.g., sorting or hashing), and regardless of the log_temp_files setting.", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_temp_bytes", "Total amount of data written to temporary files by queries in this database. All temporary files are counted, regardless of why the temporary file was created, and regardless of the log_temp_files setting.", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_deadlocks", "Number of deadlocks detected in this database", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_blk_read_time", "Time spent reading data file blocks by backends in this database, in milliseconds", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_blk_write_time", "Time spent writing data file blocks by backends in this database, in milliseconds", Counter, DATID_DATNAME),
    Desc::new("pg_stat_database_stats_reset", "Time at which these statistics were last reset", Counter, DATID_DATNAME),
];
const STAT_DATABASE_ACTIVE_TIME: Desc = Desc::new(
    "pg_stat_database_active_time_seconds_total",
    "Time spent executing SQL statements in this database, in seconds",
    Counter,
    DATID_DATNAME,
);

async fn stat_database(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    // active_time exists since PostgreSQL 14.
    let active_time = input.version_num >= 140000;
    let sql = format!(
        "SELECT datid, datname, numbackends, xact_commit, xact_rollback, blks_read, blks_hit, tup_returned, \
         tup_fetched, tup_inserted, tup_updated, tup_deleted, conflicts, temp_files, temp_bytes, deadlocks, \
         blk_read_time, blk_write_time, floor(extract(epoch from stats_reset)){} FROM pg_stat_database",
        if active_time { ", active_time" } else { "" }
    );
    for r in rows(input.client, &sql).await? {
        // Upstream skips a row with any NULL among these (the row for shared objects has no datname).
        let (Some(datid), Some(datname)) = (text(&r, 0), text(&r, 1)) else {
            continue;
        };
        let mut values = [0.0; 16];
        let mut complete = true;
        for (i, v) in values.iter_mut().enumerate() {
            match num(&r, 2 + i) {
                Some(x) => *v = x,
                None => complete = false,
            }
        }
        let active = if active_time { num(&r, 19) } else { Some(0.0) };
        if !complete || active.is_none() {
            continue;
        }
        let labels = [datid, datname];
        for (desc, v) in STAT_DATABASE.iter().zip(values) {
            out.push(desc, &labels, v);
        }
        out.push(&STAT_DATABASE[16], &labels, num(&r, 18).unwrap_or(0.0));
        if let (true, Some(ms)) = (active_time, active) {
            out.push(&STAT_DATABASE_ACTIVE_TIME, &labels, ms / 1000.0);
        }
    }
    Ok(())
}

// stat_progress_vacuum ------------------------------------------------------------------------------------

const VACUUM_PHASES: [&str; 7] = [
    "initializing",
    "scanning heap",
    "vacuuming indexes",
    "vacuuming heap",
    "cleaning up indexes",
    "truncating heap",
    "performing final cleanup",
];
const DATNAME_RELNAME: &[&str] = &["datname", "relname"];
const VACUUM_PHASE: Desc = Desc::new(
    "pg_stat_progress_vacuum_phase",
    "Current vacuum phase (1 = active, 0 = inactive). Label 'phase' is human-readable.",
    Gauge,
    &["datname", "relname", "phase"],
);
const VACUUM: [Desc; 6] = [
    Desc::new(
        "pg_stat_progress_vacuum_heap_blks",
        "Total number of heap blocks in the table being vacuumed.",
        Gauge,
        DATNAME_RELNAME,
    ),
    Desc::new(
        "pg_stat_progress_vacuum_heap_blks_scanned",
        "Number of heap blocks scanned so far.",
        Gauge,
        DATNAME_RELNAME,
    ),
    Desc::new(
        "pg_stat_progress_vacuum_heap_blks_vacuumed",
        "Number of heap blocks vacuumed so far.",
        Gauge,
        DATNAME_RELNAME,
    ),
    Desc::new(
        "pg_stat_progress_vacuum_index_vacuums",
        "Number of completed index vacuum cycles.",
        Gauge,
        DATNAME_RELNAME,
    ),
    Desc::new(
        "pg_stat_progress_vacuum_max_dead_tuples",
        "Maximum number of dead tuples that can be stored before cleanup is performed.",
        Gauge,
        DATNAME_RELNAME,
    ),
    Desc::new(
        "pg_stat_progress_vacuum_num_dead_tuples",
        "Current number of dead tuples found so far.",
        Gauge,
        DATNAME_RELNAME,
    ),
];

const PROGRESS_VACUUM_QUERY: &str = "SELECT d.datname, \
COALESCE(CASE WHEN d.datname = current_database() THEN s.relid::regclass::text END, s.relid::text) AS relname, \
s.param1 AS phase, s.param2 AS heap_blks_total, s.param3 AS heap_blks_scanned, s.param4 AS heap_blks_vacuumed, \
s.param5 AS index_vacuum_count, s.param6 AS max_dead_tuples, s.param7 AS num_dead_tuples \
FROM pg_stat_get_progress_info('VACUUM'::text) s(pid, datid, relid, param1, param2, param3, param4, param5, \
param6, param7, param8, param9, param10, param11, param12, param13, param14, param15, param16, param17, param18, \
param19, param20) LEFT JOIN pg_database d ON s.datid = d.oid";

async fn stat_progress_vacuum(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    for r in rows(input.client, PROGRESS_VACUUM_QUERY).await? {
        let datname = text(&r, 0).unwrap_or("unknown");
        let relname = text(&r, 1).unwrap_or("unknown");
        let phase = num(&r, 2);
        for (i, label) in VACUUM_PHASES.iter().enumerate() {
            let active = phase == Some(i as f64);
            out.push(
                &VACUUM_PHASE,
                &[datname, relname, label],
                if active { 1.0 } else { 0.0 },
            );
        }
        for (i, desc) in VACUUM.iter().enumerate() {
            out.push(desc, &[datname, relname], num(&r, 3 + i).unwrap_or(0.0));
        }
    }
    Ok(())
}

// stat_replication ----------------------------------------------------------------------------------------

const STAT_REPLICATION_LABELS: &[&str] = &["application_name", "client_addr", "state", "slot_name"];
const STAT_REPLICATION_CURRENT_WAL: Desc = Desc::new(
    "pg_stat_replication_pg_current_wal_lsn_bytes",
    "WAL position in bytes",
    Gauge,
    STAT_REPLICATION_LABELS,
);
const STAT_REPLICATION_WAL_DIFF: Desc = Desc::new(
    "pg_stat_replication_pg_wal_lsn_diff",
    "Lag in bytes between master and slave",
    Gauge,
    STAT_REPLICATION_LABELS,
);

const STAT_REPLICATION_QUERY: &str = "SELECT application_name, client_addr::text, state, s.slot_name, \
(CASE pg_is_in_recovery() WHEN 't' THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_lsn('0/0'))::float \
ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), pg_lsn('0/0'))::float END) AS pg_current_wal_lsn_bytes, \
(CASE pg_is_in_recovery() WHEN 't' THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), replay_lsn)::float \
ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float END) AS pg_wal_lsn_diff \
FROM pg_stat_replication LEFT JOIN pg_replication_slots s ON s.active_pid = pg_stat_replication.pid";

async fn stat_replication(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    for r in rows(input.client, STAT_REPLICATION_QUERY).await? {
        let labels: [&str; 4] = std::array::from_fn(|i| text(&r, i).unwrap_or(""));
        if let Some(v) = num(&r, 4) {
            out.push(&STAT_REPLICATION_CURRENT_WAL, &labels, v);
        }
        if let Some(v) = num(&r, 5) {
            out.push(&STAT_REPLICATION_WAL_DIFF, &labels, v);
        }
    }
    Ok(())
}

// stat_user_tables ----------------------------------------------------------------------------------------

const TABLE_LABELS: &[&str] = &["datname", "schemaname", "relname"];

const USER_TABLES: [Desc; 21] = [
    Desc::new(
        "pg_stat_user_tables_seq_scan",
        "Number of sequential scans initiated on this table",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_seq_tup_read",
        "Number of live rows fetched by sequential scans",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_idx_scan",
        "Number of index scans initiated on this table",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_idx_tup_fetch",
        "Number of live rows fetched by index scans",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_tup_ins",
        "Number of rows inserted",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_tup_upd",
        "Number of rows updated",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_tup_del",
        "Number of rows deleted",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_tup_hot_upd",
        "Number of rows HOT updated (i.e., with no separate index update required)",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_live_tup",
        "Estimated number of live rows",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_dead_tup",
        "Estimated number of dead rows",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_n_mod_since_analyze",
        "Estimated number of rows changed since last analyze",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_last_vacuum",
        "Last time at which this table was manually vacuumed (not counting VACUUM FULL)",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_last_autovacuum",
        "Last time at which this table was vacuumed by the autovacuum daemon",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_last_analyze",
        "Last time at which this table was manually analyzed",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_last_autoanalyze",
        "Last time at which this table was analyzed by the autovacuum daemon",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_vacuum_count",
        "Number of times this table has been manually vacuumed (not counting VACUUM FULL)",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_autovacuum_count",
        "Number of times this table has been vacuumed by the autovacuum daemon",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_analyze_count",
        "Number of times this table has been manually analyzed",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_autoanalyze_count",
        "Number of times this table has been analyzed by the autovacuum daemon",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_index_size_bytes",
        "Total disk space used by this index, in bytes",
        Gauge,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_stat_user_tables_table_size_bytes",
        "Total disk space used by this table, in bytes",
        Gauge,
        TABLE_LABELS,
    ),
];

const USER_TABLES_QUERY: &str = "SELECT current_database() datname, schemaname, relname, seq_scan, seq_tup_read, \
idx_scan, idx_tup_fetch, n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd, n_live_tup, n_dead_tup, n_mod_since_analyze, \
floor(extract(epoch from COALESCE(last_vacuum, '1970-01-01Z'))), \
floor(extract(epoch from COALESCE(last_autovacuum, '1970-01-01Z'))), \
floor(extract(epoch from COALESCE(last_analyze, '1970-01-01Z'))), \
floor(extract(epoch from COALESCE(last_autoanalyze, '1970-01-01Z'))), \
vacuum_count, autovacuum_count, analyze_count, autoanalyze_count, pg_indexes_size(relid) AS indexes_size, \
pg_table_size(relid) AS table_size FROM pg_stat_user_tables";

async fn stat_user_tables(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    for r in rows(input.client, USER_TABLES_QUERY).await? {
        let labels: [&str; 3] = std::array::from_fn(|i| text(&r, i).unwrap_or("unknown"));
        for (i, desc) in USER_TABLES.iter().enumerate() {
            out.push(desc, &labels, num(&r, 3 + i).unwrap_or(0.0));
        }
    }
    Ok(())
}

// statio_user_tables --------------------------------------------------------------------------------------

const STATIO_USER_TABLES: [Desc; 8] = [
    Desc::new(
        "pg_statio_user_tables_heap_blocks_read",
        "Number of disk blocks read from this table",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_heap_blocks_hit",
        "Number of buffer hits in this table",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_idx_blocks_read",
        "Number of disk blocks read from all indexes on this table",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_idx_blocks_hit",
        "Number of buffer hits in all indexes on this table",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_toast_blocks_read",
        "Number of disk blocks read from this table's TOAST table (if any)",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_toast_blocks_hit",
        "Number of buffer hits in this table's TOAST table (if any)",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_tidx_blocks_read",
        "Number of disk blocks read from this table's TOAST table indexes (if any)",
        Counter,
        TABLE_LABELS,
    ),
    Desc::new(
        "pg_statio_user_tables_tidx_blocks_hit",
        "Number of buffer hits in this table's TOAST table indexes (if any)",
        Counter,
        TABLE_LABELS,
    ),
];

async fn statio_user_tables(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    for r in rows(
        input.client,
        "SELECT current_database() datname, schemaname, relname, heap_blks_read, heap_blks_hit, idx_blks_read, \
         idx_blks_hit, toast_blks_read, toast_blks_hit, tidx_blks_read, tidx_blks_hit FROM pg_statio_user_tables",
    )
    .await?
    {
        let labels: [&str; 3] = std::array::from_fn(|i| text(&r, i).unwrap_or("unknown"));
        for (i, desc) in STATIO_USER_TABLES.iter().enumerate() {
            out.push(desc, &labels, num(&r, 3 + i).unwrap_or(0.0));
        }
    }
    Ok(())
}

// wal -----------------------------------------------------------------------------------------------------

const WAL_SEGMENTS: Desc = Desc::new("pg_wal_segments", "Number of WAL segments", Gauge, &[]);
const WAL_SIZE: Desc = Desc::new(
    "pg_wal_size_bytes",
    "Total size of WAL segments",
    Gauge,
    &[],
);

async fn wal(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    if let Some(r) = rows(
        input.client,
        "SELECT COUNT(*) AS segments, SUM(size) AS size FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'",
    )
    .await?
    .first()
    {
        out.push(&WAL_SEGMENTS, &[], num(r, 0).unwrap_or(0.0));
        if let Some(size) = num(r, 1) {
            out.push(&WAL_SIZE, &[], size);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_units_as_upstream_normalises_them() {
        assert_eq!(normalise_setting("200", "ms"), Some((0.2, "seconds")));
        assert_eq!(normalise_setting("5", "min"), Some((300.0, "seconds")));
        assert_eq!(
            normalise_setting("16384", "8kB"),
            Some((134217728.0, "bytes"))
        );
        assert_eq!(normalise_setting("-1", "kB"), Some((-1.0, "bytes")));
        assert_eq!(normalise_setting("100", ""), Some((100.0, "")));
        assert_eq!(normalise_setting("1", "parsecs"), None);
        assert_eq!(normalise_setting("abc", "s"), None);
    }

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
