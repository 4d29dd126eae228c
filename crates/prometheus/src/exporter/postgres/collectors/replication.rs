//! The `replication` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, Error, Input};
use MetricType::Gauge;

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

pub(super) async fn replication(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    if let Some(r) = rows(input.client, REPLICATION_QUERY).await?.first() {
        out.push(&REPLICATION_LAG, &[], num(r, 0).unwrap_or(0.0));
        out.push(&REPLICATION_IS_REPLICA, &[], num(r, 1).unwrap_or(0.0));
        out.push(&REPLICATION_LAST_REPLAY, &[], num(r, 2).unwrap_or(0.0));
    }
    Ok(())
}
