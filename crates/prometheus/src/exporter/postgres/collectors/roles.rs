//! The `roles` collector.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{num, rows, text, Error, Input};
use MetricType::Gauge;

const ROLES_CONNECTION_LIMIT: Desc = Desc::new(
    "pg_roles_connection_limit",
    "Connection limit set for the role",
    Gauge,
    &["rolname"],
);

pub(super) async fn roles(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
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
