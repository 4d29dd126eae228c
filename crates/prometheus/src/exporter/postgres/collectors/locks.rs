//! The `locks` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, text, Error, Input};
use MetricType::Gauge;

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

pub(super) async fn locks(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    for r in rows(input.client, LOCKS_QUERY).await? {
        let (Some(datname), Some(mode)) = (text(&r, 0), text(&r, 1)) else {
            continue;
        };
        out.push(&LOCKS, &[datname, mode], num(&r, 2).unwrap_or(0.0));
    }
    Ok(())
}
