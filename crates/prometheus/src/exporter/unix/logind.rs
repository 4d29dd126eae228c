//! node_exporter's `logind` collector: sessions registered with systemd-logind, counted by seat,
//! remoteness, type and class, over the system D-Bus.
//!
//! Like node_exporter, each gather opens its own connection to the system bus
//! (`DBUS_SYSTEM_BUS_ADDRESS`, else `/var/run/dbus/system_bus_socket`) and closes it after.

use std::time::Duration;

use ingot_prom::exposition::{Desc, FamilySet, MetricType};
use zbus::blocking::connection::Builder;
use zbus::blocking::Connection;
use zbus::zvariant::{OwnedObjectPath, OwnedValue};

use super::systemd::{check_socket, system_bus_address};
use super::{Collector, UnixConfig};

const SESSIONS: Desc = Desc::new(
    "node_logind_sessions",
    "Number of sessions registered in logind.",
    MetricType::Gauge,
    &["seat", "remote", "type", "class"],
);

const DESTINATION: &str = "org.freedesktop.login1";
const MANAGER_PATH: &str = "/org/freedesktop/login1";
const MANAGER: &str = "org.freedesktop.login1.Manager";
const SESSION: &str = "org.freedesktop.login1.Session";
/// godbus waits this long for a reply by default.
const CALL_TIMEOUT: Duration = Duration::from_secs(25);

/// The values node_exporter enumerates (logind's as of systemd v229); others count as `other`.
const REMOTE_VALUES: [&str; 2] = ["true", "false"];
const TYPE_VALUES: [&str; 7] = [
    "other",
    "unspecified",
    "tty",
    "x11",
    "wayland",
    "mir",
    "web",
];
const CLASS_VALUES: [&str; 5] = ["other", "user", "greeter", "lock-screen", "background"];

/// `ListSessions` rows: id, uid, user name, seat, object path.
type SessionRow = (String, u32, String, String, OwnedObjectPath);

pub(super) struct LogindCollector;

impl LogindCollector {
    pub(super) fn new(_config: &UnixConfig) -> LogindCollector {
        LogindCollector
    }
}

fn connect() -> Result<Connection, String> {
    let address = system_bus_address();
    if let Some(path) = address.strip_prefix("unix:path=") {
        check_socket(path.split(',').next().unwrap_or(path))?;
    }
    Builder::address(address.as_str())
        .and_then(|b| b.method_timeout(CALL_TIMEOUT).build())
        .map_err(|e| e.to_string())
}

fn property(conn: &Connection, path: &str, name: &str) -> zbus::Result<OwnedValue> {
    let reply = conn.call_method(
        Some(DESTINATION),
        path,
        Some("org.freedesktop.DBus.Properties"),
        "Get",
        &(SESSION, name),
    )?;
    reply.body().deserialize::<OwnedValue>()
}

fn known_or_other<'a>(value: &'a str, known: &[&'static str]) -> &'a str {
    if known.contains(&value) {
        value
    } else {
        "other"
    }
}

/// A session's (remote, type, class) as node_exporter labels them; `None` (the session is not
/// counted) when a property cannot be read or has the wrong type.
fn session(conn: &Connection, path: &str) -> Option<(String, String, String)> {
    let remote = bool::try_from(property(conn, path, "Remote").ok()?).ok()?;
    let kind = String::try_from(property(conn, path, "Type").ok()?).ok()?;
    let class = String::try_from(property(conn, path, "Class").ok()?).ok()?;
    Some((
        remote.to_string(),
        known_or_other(&kind, &TYPE_VALUES).to_owned(),
        known_or_other(&class, &CLASS_VALUES).to_owned(),
    ))
}

impl Collector for LogindCollector {
    fn name(&self) -> &'static str {
        "logind"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let conn = connect().map_err(|e| format!("unable to connect to dbus: {e}"))?;
        let call = |method: &str| {
            conn.call_method(Some(DESTINATION), MANAGER_PATH, Some(MANAGER), method, &())
        };
        let mut seats: Vec<String> = call("ListSeats")
            .and_then(|r| r.body().deserialize::<Vec<(String, OwnedObjectPath)>>())
            .map_err(|e| format!("unable to get seats: {e}"))?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        // The empty seat: remote sessions such as SSH logins.
        seats.push(String::new());
        let rows = call("ListSessions")
            .and_then(|r| r.body().deserialize::<Vec<SessionRow>>())
            .map_err(|e| format!("unable to get sessions: {e}"))?;
        let mut counts: Vec<((String, String, String, String), f64)> = Vec::new();
        for (_, _, _, seat, path) in &rows {
            let Some((remote, kind, class)) = session(&conn, path.as_str()) else {
                continue;
            };
            let key = (seat.clone(), remote, kind, class);
            match counts.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1.0,
                None => counts.push((key, 1.0)),
            }
        }
        let family = out.family(&SESSIONS);
        for remote in REMOTE_VALUES {
            for kind in TYPE_VALUES {
                for class in CLASS_VALUES {
                    for seat in &seats {
                        let n = counts
                            .iter()
                            .find(|((s, r, t, c), _)| {
                                s == seat && r == remote && t == kind && c == class
                            })
                            .map_or(0.0, |(_, n)| *n);
                        family.push(&[seat, remote, kind, class], n);
                    }
                }
            }
        }
        Ok(())
    }
}
