//! The `stat_activity` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, text, Error, Input};
use MetricType::Gauge;

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

pub(super) async fn stat_activity(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
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
