//! node_exporter's `systemd` collector: unit states and a few unit properties, read from systemd
//! over D-Bus.
//!
//! Like node_exporter (go-systemd's `NewWithContext`), each gather connects to the system bus
//! (`DBUS_SYSTEM_BUS_ADDRESS`, else `/var/run/dbus/system_bus_socket`) and, as root, falls back
//! to systemd's private socket when the bus is unreachable. Unit properties are read from the
//! object path go-systemd derives from the unit name, not from the path `ListUnits` returns.

use std::os::unix::net::UnixStream;
use std::time::Duration;

use ingot_prom::exposition::{Desc, FamilySet, MetricType};
use regex::Regex;
use zbus::blocking::connection::Builder;
use zbus::blocking::Connection;
use zbus::zvariant::{OwnedObjectPath, OwnedValue};

use super::{Collector, ConfigError, UnixConfig};

const UNIT_STATE: Desc = Desc::new(
    "node_systemd_unit_state",
    "Systemd unit",
    MetricType::Gauge,
    &["name", "state", "type"],
);
const UNIT_START_TIME: Desc = Desc::new(
    "node_systemd_unit_start_time_seconds",
    "Start time of the unit since unix epoch in seconds.",
    MetricType::Gauge,
    &["name"],
);
const UNIT_TASKS_CURRENT: Desc = Desc::new(
    "node_systemd_unit_tasks_current",
    "Current number of tasks per Systemd unit",
    MetricType::Gauge,
    &["name"],
);
const UNIT_TASKS_MAX: Desc = Desc::new(
    "node_systemd_unit_tasks_max",
    "Maximum number of tasks per Systemd unit",
    MetricType::Gauge,
    &["name"],
);
const SYSTEM_RUNNING: Desc = Desc::new(
    "node_systemd_system_running",
    "Whether the system is operational (see 'systemctl is-system-running')",
    MetricType::Gauge,
    &[],
);
const UNITS: Desc = Desc::new(
    "node_systemd_units",
    "Summary of systemd unit states",
    MetricType::Gauge,
    &["state"],
);
const SERVICE_RESTARTS: Desc = Desc::new(
    "node_systemd_service_restart_total",
    "Service unit count of Restart triggers",
    MetricType::Counter,
    &["name"],
);
const TIMER_LAST_TRIGGER: Desc = Desc::new(
    "node_systemd_timer_last_trigger_seconds",
    "Seconds since epoch of last trigger.",
    MetricType::Gauge,
    &["name"],
);
const SOCKET_ACCEPTED: Desc = Desc::new(
    "node_systemd_socket_accepted_connections_total",
    "Total number of accepted socket connections",
    MetricType::Counter,
    &["name"],
);
const SOCKET_CURRENT: Desc = Desc::new(
    "node_systemd_socket_current_connections",
    "Current number of socket connections",
    MetricType::Gauge,
    &["name"],
);
// node_exporter declares this counter-named family as a gauge.
const SOCKET_REFUSED: Desc = Desc::new(
    "node_systemd_socket_refused_connections_total",
    "Total number of refused socket connections",
    MetricType::Gauge,
    &["name"],
);
const VERSION: Desc = Desc::new(
    "node_systemd_version",
    "Detected systemd version",
    MetricType::Gauge,
    &["version"],
);
const VIRTUALIZATION: Desc = Desc::new(
    "node_systemd_virtualization_info",
    "Detected virtualization technology",
    MetricType::Gauge,
    &["virtualization_type"],
);

const UNIT_STATES: [&str; 5] = ["active", "activating", "deactivating", "inactive", "failed"];
/// The first systemd with the `SystemState` manager property and `LastTriggerUSec` on timers.
const MIN_VERSION_SYSTEM_STATE: f64 = 212.0;

const DESTINATION: &str = "org.freedesktop.systemd1";
const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
const MANAGER: &str = "org.freedesktop.systemd1.Manager";
const DEFAULT_SYSTEM_BUS: &str = "unix:path=/var/run/dbus/system_bus_socket";
const PRIVATE_SOCKET: &str = "/run/systemd/private";
/// go-systemd's calls wait as long as godbus does by default.
const CALL_TIMEOUT: Duration = Duration::from_secs(25);

/// `ListUnits` rows: name, description, load state, active state, sub state, followed unit,
/// object path, job id, job type, job path.
type UnitRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    OwnedObjectPath,
    u32,
    String,
    OwnedObjectPath,
);

pub(super) struct SystemdCollector {
    include: Regex,
    exclude: Regex,
    restarts: bool,
    start_time: bool,
    tasks: bool,
    version_pattern: Regex,
}

impl SystemdCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<SystemdCollector, ConfigError> {
        let anchored = |option: &str, pattern: &str| {
            Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|e| ConfigError(format!("invalid regular expression for {option}: {e}")))
        };
        let systemd = &config.systemd;
        Ok(SystemdCollector {
            include: anchored("systemd.unit_include", &systemd.unit_include)?,
            exclude: anchored("systemd.unit_exclude", &systemd.unit_exclude)?,
            restarts: systemd.enable_restarts,
            start_time: systemd.start_time,
            tasks: systemd.task_metrics,
            version_pattern: Regex::new(r"[0-9]{3,}(\.[0-9]+)?").expect("valid"),
        })
    }

    /// `(numeric version, full version string)`; `(0, "")` if unknown, as node_exporter reports.
    fn version(&self, conn: &Connection) -> (f64, String) {
        let Some(full) = manager_string(conn, "Version") else {
            return (0.0, String::new());
        };
        match self
            .version_pattern
            .find(&full)
            .and_then(|m| ingot_hostfs::num::parse_f64(m.as_str()))
        {
            Some(v) => (v, full),
            None => (0.0, String::new()),
        }
    }
}

pub(super) fn system_bus_address() -> String {
    std::env::var("DBUS_SYSTEM_BUS_ADDRESS").unwrap_or_else(|_| DEFAULT_SYSTEM_BUS.to_owned())
}

/// Go's `dial unix <path>: connect: <errno text>` for a socket that does not answer, so the
/// collector's error reads like node_exporter's.
pub(super) fn check_socket(path: &str) -> Result<(), String> {
    UnixStream::connect(path).map(drop).map_err(|e| {
        format!(
            "dial unix {path}: connect: {}",
            ingot_hostfs::errno::go_error_text(&e)
        )
    })
}

fn connect() -> Result<Connection, String> {
    let address = system_bus_address();
    let bus = (|| {
        if let Some(path) = address.strip_prefix("unix:path=") {
            check_socket(path.split(',').next().unwrap_or(path))?;
        }
        Builder::address(address.as_str())
            .and_then(|b| b.method_timeout(CALL_TIMEOUT).build())
            .map_err(|e| e.to_string())
    })();
    match bus {
        Ok(conn) => Ok(conn),
        Err(_) if ingot_hostfs::sys::is_root() => {
            check_socket(PRIVATE_SOCKET)?;
            Builder::address(format!("unix:path={PRIVATE_SOCKET}").as_str())
                .map(|b| b.p2p().method_timeout(CALL_TIMEOUT))
                .and_then(|b| b.build())
                .map_err(|e| e.to_string())
        }
        Err(e) => Err(e),
    }
}

/// `org.freedesktop.DBus.Properties.Get` on `path`.
fn property(
    conn: &Connection,
    path: &str,
    interface: &str,
    name: &str,
) -> zbus::Result<OwnedValue> {
    let reply = conn.call_method(
        Some(DESTINATION),
        path,
        Some("org.freedesktop.DBus.Properties"),
        "Get",
        &(interface, name),
    )?;
    reply.body().deserialize::<OwnedValue>()
}

fn manager_string(conn: &Connection, name: &str) -> Option<String> {
    String::try_from(property(conn, MANAGER_PATH, MANAGER, name).ok()?).ok()
}

/// go-systemd's `PathBusEscape`: every byte but ASCII letters and (not first) digits becomes
/// `_` and its hex value.
fn unit_path(name: &str) -> String {
    let mut path = String::from("/org/freedesktop/systemd1/unit/");
    if name.is_empty() {
        path.push('_');
        return path;
    }
    for (i, b) in name.bytes().enumerate() {
        if b.is_ascii_alphabetic() || (b.is_ascii_digit() && i > 0) {
            path.push(b as char);
        } else {
            path.push_str(&format!("_{b:x}"));
        }
    }
    path
}

/// A unit-type property (`org.freedesktop.systemd1.<kind>`) of `unit`, converted to `T`.
fn unit_property<T: TryFrom<OwnedValue>>(
    conn: &Connection,
    unit: &str,
    kind: &str,
    name: &str,
) -> Option<T> {
    let interface = format!("org.freedesktop.systemd1.{kind}");
    T::try_from(property(conn, &unit_path(unit), &interface, name).ok()?).ok()
}

impl Collector for SystemdCollector {
    fn name(&self) -> &'static str {
        "systemd"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let conn = connect().map_err(|e| format!("couldn't get dbus connection: {e}"))?;

        let (version, full_version) = self.version(&conn);
        out.push(&VERSION, &[&full_version], version);
        let virtualization = match manager_string(&conn, "Virtualization") {
            None => "unknown".to_owned(),
            Some(v) if v.is_empty() => "none".to_owned(),
            Some(v) => v,
        };
        out.push(&VIRTUALIZATION, &[&virtualization], 1.0);

        let units: Vec<UnitRow> = conn
            .call_method(
                Some(DESTINATION),
                MANAGER_PATH,
                Some(MANAGER),
                "ListUnits",
                &(),
            )
            .and_then(|reply| reply.body().deserialize::<Vec<UnitRow>>())
            .map_err(|e| format!("couldn't get units: {e}"))?;

        // The summary counts every unit, filtered or not; unusual states get their own series.
        let mut summary: Vec<(&str, f64)> = UNIT_STATES.iter().map(|s| (*s, 0.0)).collect();
        for unit in &units {
            let state = unit.3.as_str();
            match summary.iter_mut().find(|(s, _)| *s == state) {
                Some((_, n)) => *n += 1.0,
                None => summary.push((state, 1.0)),
            }
        }
        for (state, n) in &summary {
            out.push(&UNITS, &[state], *n);
        }

        let units: Vec<&UnitRow> = units
            .iter()
            .filter(|u| {
                self.include.is_match(&u.0) && !self.exclude.is_match(&u.0) && u.2 == "loaded"
            })
            .collect();

        for unit in &units {
            let (name, active_state) = (unit.0.as_str(), unit.3.as_str());
            let unit_type = if name.ends_with(".service") {
                unit_property::<String>(&conn, name, "Service", "Type").unwrap_or_default()
            } else if name.ends_with(".mount") {
                unit_property::<String>(&conn, name, "Mount", "Type").unwrap_or_default()
            } else {
                String::new()
            };
            for state in UNIT_STATES {
                let value = if state == active_state { 1.0 } else { 0.0 };
                out.push(&UNIT_STATE, &[name, state, &unit_type], value);
            }
            if self.restarts && name.ends_with(".service") {
                if let Some(n) = unit_property::<u32>(&conn, name, "Service", "NRestarts") {
                    out.push(&SERVICE_RESTARTS, &[name], f64::from(n));
                }
            }
        }

        if self.start_time {
            for unit in &units {
                let micros = if unit.3 != "active" {
                    0
                } else {
                    match unit_property::<u64>(&conn, &unit.0, "Unit", "ActiveEnterTimestamp") {
                        Some(v) => v,
                        None => continue,
                    }
                };
                out.push(&UNIT_START_TIME, &[&unit.0], micros as f64 / 1e6);
            }
        }

        if self.tasks {
            for unit in units.iter().filter(|u| u.0.ends_with(".service")) {
                for (property, desc) in [
                    ("TasksCurrent", &UNIT_TASKS_CURRENT),
                    ("TasksMax", &UNIT_TASKS_MAX),
                ] {
                    // systemd reports "no limit / not counted" as the largest u64.
                    if let Some(v) = unit_property::<u64>(&conn, &unit.0, "Service", property) {
                        if v != u64::MAX {
                            out.push(desc, &[&unit.0], v as f64);
                        }
                    }
                }
            }
        }

        if version >= MIN_VERSION_SYSTEM_STATE {
            for unit in units.iter().filter(|u| u.0.ends_with(".timer")) {
                if let Some(v) = unit_property::<u64>(&conn, &unit.0, "Timer", "LastTriggerUSec") {
                    out.push(&TIMER_LAST_TRIGGER, &[&unit.0], v as f64 / 1e6);
                }
            }
        }

        for unit in units.iter().filter(|u| u.0.ends_with(".socket")) {
            let name = unit.0.as_str();
            let Some(accepted) = unit_property::<u32>(&conn, name, "Socket", "NAccepted") else {
                continue;
            };
            out.push(&SOCKET_ACCEPTED, &[name], f64::from(accepted));
            let Some(current) = unit_property::<u32>(&conn, name, "Socket", "NConnections") else {
                continue;
            };
            out.push(&SOCKET_CURRENT, &[name], f64::from(current));
            // NRefused appeared in systemd 239.
            if let Some(refused) = unit_property::<u32>(&conn, name, "Socket", "NRefused") {
                out.push(&SOCKET_REFUSED, &[name], f64::from(refused));
            }
        }

        if version >= MIN_VERSION_SYSTEM_STATE {
            let state = property(&conn, MANAGER_PATH, MANAGER, "SystemState")
                .map_err(|e| format!("couldn't get system state: {e}"))?;
            let running = String::try_from(state).is_ok_and(|s| s == "running");
            out.push(&SYSTEM_RUNNING, &[], if running { 1.0 } else { 0.0 });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_unit_names_like_go_systemd() {
        assert_eq!(
            unit_path("ssh.service"),
            "/org/freedesktop/systemd1/unit/ssh_2eservice"
        );
        assert_eq!(
            unit_path("user@1000.service"),
            "/org/freedesktop/systemd1/unit/user_401000_2eservice"
        );
        assert_eq!(unit_path("1x"), "/org/freedesktop/systemd1/unit/_31x");
        assert_eq!(unit_path("a\tb"), "/org/freedesktop/systemd1/unit/a_9b");
        assert_eq!(unit_path(""), "/org/freedesktop/systemd1/unit/_");
    }

    #[test]
    fn unreachable_bus_names_the_socket() {
        let err = check_socket("/nonexistent/ingot/bus").unwrap_err();
        assert_eq!(
            err,
            "dial unix /nonexistent/ingot/bus: connect: no such file or directory"
        );
    }
}
