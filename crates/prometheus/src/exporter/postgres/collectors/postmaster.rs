//! The `postmaster` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, Error, Input};
use MetricType::Gauge;

const POSTMASTER_START: Desc = Desc::new(
    "pg_postmaster_start_time_seconds",
    "Time at which postmaster started",
    Gauge,
    &[],
);

pub(super) async fn postmaster(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
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
