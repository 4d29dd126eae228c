//! The families nginx-prometheus-exporter serves, with its names and help texts.

use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::client::ScrapeError;
use super::stub_status::StubStatus;

const UP: Desc = Desc::new(
    "nginx_up",
    "Status of the last metric scrape",
    MetricType::Gauge,
    &[],
);
const ACTIVE: Desc = Desc::new(
    "nginx_connections_active",
    "Active client connections",
    MetricType::Gauge,
    &[],
);
const ACCEPTED: Desc = Desc::new(
    "nginx_connections_accepted",
    "Accepted client connections",
    MetricType::Counter,
    &[],
);
const HANDLED: Desc = Desc::new(
    "nginx_connections_handled",
    "Handled client connections",
    MetricType::Counter,
    &[],
);
const READING: Desc = Desc::new(
    "nginx_connections_reading",
    "Connections where NGINX is reading the request header",
    MetricType::Gauge,
    &[],
);
const WRITING: Desc = Desc::new(
    "nginx_connections_writing",
    "Connections where NGINX is writing the response back to the client",
    MetricType::Gauge,
    &[],
);
const WAITING: Desc = Desc::new(
    "nginx_connections_waiting",
    "Idle client connections",
    MetricType::Gauge,
    &[],
);
const REQUESTS: Desc = Desc::new(
    "nginx_http_requests_total",
    "Total http requests",
    MetricType::Counter,
    &[],
);

/// The families of one scrape: all eight after a good scrape, only `nginx_up 0` after a failed one (as the
/// standalone exporter does, so that dashboards see gaps rather than stale numbers).
pub fn encode(
    result: &Result<StubStatus, ScrapeError>,
    families: &mut FamilySet,
    out: &mut Vec<u8>,
) {
    families.clear();
    match result {
        Ok(s) => {
            families.push(&UP, &[], 1.0);
            families.push(&ACTIVE, &[], s.active as f64);
            families.push(&ACCEPTED, &[], s.accepts as f64);
            families.push(&HANDLED, &[], s.handled as f64);
            families.push(&READING, &[], s.reading as f64);
            families.push(&WRITING, &[], s.writing as f64);
            families.push(&WAITING, &[], s.waiting as f64);
            families.push(&REQUESTS, &[], s.requests as f64);
        }
        Err(_) => families.push(&UP, &[], 0.0),
    }
    families.encode(out);
}
