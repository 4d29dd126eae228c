//! The systemd collector against a private D-Bus with python-dbusmock's systemd template, and
//! against Debian's node_exporter pointed at the same bus (the oracle for the families both
//! versions share).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ingot_prometheus::exporter::unix::{SystemdConfig, UnixConfig, UnixExporter};
use pretty_assertions::assert_eq;

const PYTHON: &str = "/usr/bin/python3";
const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";

/// Kills the child when the test ends, however it ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tools_present() -> bool {
    let dbusmock = Command::new(PYTHON)
        .args(["-c", "import dbusmock"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let ok = dbusmock && Path::new("/usr/bin/dbus-daemon").exists();
    if !ok {
        let msg = "systemd test needs dbus-daemon and python3-dbusmock: \
                   apt-get install --no-install-recommends dbus-daemon python3-dbusmock";
        // A missing peer fails the test with its install command; it never skips silently.
        panic!("{msg}");
    }
    ok
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Units of the mock: name, load state, active state, properties of the type interface.
const SETUP: &str = r#"
import sys, time, dbus
bus = dbus.SystemBus()
for _ in range(500):
    if bus.name_has_owner('org.freedesktop.systemd1'):
        break
    time.sleep(0.02)
MOCK = 'org.freedesktop.DBus.Mock'
MANAGER = 'org.freedesktop.systemd1.Manager'
manager = bus.get_object('org.freedesktop.systemd1', '/org/freedesktop/systemd1')
dbus.Interface(manager, 'org.freedesktop.DBus.Properties').Set(MANAGER, 'Version', '252.22-1~deb12u1')
mock = dbus.Interface(manager, MOCK)
mock.AddProperty(MANAGER, 'Virtualization', 'kvm')
mock.AddProperty(MANAGER, 'SystemState', 'running')

def path(name):
    out = ''
    for i, c in enumerate(name.encode()):
        ch = chr(c)
        if ch.isascii() and (ch.isalpha() or (ch.isdigit() and i > 0)):
            out += ch
        else:
            out += '_%x' % c
    return '/org/freedesktop/systemd1/unit/' + out

units = [
    ('ssh.service', 'loaded', 'active', 'Service',
     {'Type': 'notify', 'NRestarts': dbus.UInt32(2), 'TasksCurrent': dbus.UInt64(3),
      'TasksMax': dbus.UInt64(4915)}),
    ('cron.service', 'loaded', 'failed', 'Service',
     {'Type': 'simple', 'NRestarts': dbus.UInt32(0), 'TasksCurrent': dbus.UInt64(2**64 - 1),
      'TasksMax': dbus.UInt64(2**64 - 1)}),
    ('user@1000.service', 'loaded', 'activating', 'Service', {'Type': 'notify-reload'}),
    ('logrotate.timer', 'loaded', 'inactive', 'Timer', {'LastTriggerUSec': dbus.UInt64(1700000000500000)}),
    ('dbus.socket', 'loaded', 'active', 'Socket',
     {'NAccepted': dbus.UInt32(5), 'NConnections': dbus.UInt32(1), 'NRefused': dbus.UInt32(7)}),
    ('old.socket', 'loaded', 'deactivating', 'Socket', {'NAccepted': dbus.UInt32(1)}),
    ('home.mount', 'loaded', 'active', 'Mount', {'Type': 'ext4'}),
    ('sys-devices-x.device', 'loaded', 'active', None, {}),
    ('missing.service', 'not-found', 'inactive', 'Service', {'Type': 'simple'}),
    ('odd.target', 'loaded', 'maintenance', None, {}),
]
rows = ', '.join(
    '(%r, "", %r, %r, "sub", "", dbus.ObjectPath(%r), dbus.UInt32(0), "", dbus.ObjectPath("/"))'
    % (name, load, active, path(name)) for name, load, active, _, _ in units)
mock.AddMethod(MANAGER, 'ListUnits', '', 'a(ssssssouso)', 'ret = [' + rows + ']')
for name, load, active, kind, props in units:
    unit_props = {'Id': name, 'LoadState': load, 'ActiveState': active}
    if active == 'active':
        unit_props['ActiveEnterTimestamp'] = dbus.UInt64(1700000000123456)
    mock.AddObject(path(name), 'org.freedesktop.systemd1.Unit', unit_props, [])
    if kind:
        obj = dbus.Interface(bus.get_object('org.freedesktop.systemd1', path(name)), MOCK)
        obj.AddProperties('org.freedesktop.systemd1.' + kind, props)
print('ready', flush=True)
"#;

fn families(text: &str, prefix: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            out.push((rest.split(' ').next().unwrap().to_owned(), String::new()));
        }
        if let Some((_, family)) = out.last_mut() {
            family.push_str(line);
            family.push('\n');
        }
    }
    out.retain(|(name, _)| name.starts_with(prefix));
    out
}

fn http_get(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

#[test]
fn systemd_collector_reads_the_mock_like_node_exporter() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("system_bus_socket");
    let address = format!("unix:path={}", socket.display());
    let _bus = Reaped(
        Command::new("/usr/bin/dbus-daemon")
            .args([
                "--session",
                "--nofork",
                "--nopidfile",
                &format!("--address={address}"),
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("start dbus-daemon"),
    );
    wait_for("the bus socket", || socket.exists());
    let _mock = Reaped(
        Command::new(PYTHON)
            .args(["-m", "dbusmock", "--system", "--template", "systemd"])
            .env("DBUS_SYSTEM_BUS_ADDRESS", &address)
            .stdout(Stdio::null())
            .spawn()
            .expect("start dbusmock"),
    );
    let setup = Command::new(PYTHON)
        .args(["-c", SETUP])
        .env("DBUS_SYSTEM_BUS_ADDRESS", &address)
        .output()
        .expect("configure the mock");
    assert!(
        String::from_utf8_lossy(&setup.stdout).contains("ready"),
        "mock setup failed: {}",
        String::from_utf8_lossy(&setup.stderr)
    );

    // The only test in this binary, so no other thread reads the environment meanwhile.
    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &address);
    let config = UnixConfig {
        set_collectors: vec!["systemd".into()],
        systemd: SystemdConfig {
            enable_restarts: true,
            start_time: true,
            task_metrics: true,
            ..SystemdConfig::default()
        },
        ..UnixConfig::default()
    };
    let mut exporter = UnixExporter::new(&config).unwrap();
    let mut out = Vec::new();
    let errors = exporter.gather_into(&mut out).to_vec();
    assert!(errors.is_empty(), "{errors:?}");
    let ours = String::from_utf8(out).unwrap();

    let expected = r#"# HELP node_systemd_service_restart_total Service unit count of Restart triggers
# TYPE node_systemd_service_restart_total counter
node_systemd_service_restart_total{name="cron.service"} 0
node_systemd_service_restart_total{name="ssh.service"} 2
# HELP node_systemd_socket_accepted_connections_total Total number of accepted socket connections
# TYPE node_systemd_socket_accepted_connections_total counter
node_systemd_socket_accepted_connections_total{name="dbus.socket"} 5
node_systemd_socket_accepted_connections_total{name="old.socket"} 1
# HELP node_systemd_socket_current_connections Current number of socket connections
# TYPE node_systemd_socket_current_connections gauge
node_systemd_socket_current_connections{name="dbus.socket"} 1
# HELP node_systemd_socket_refused_connections_total Total number of refused socket connections
# TYPE node_systemd_socket_refused_connections_total gauge
node_systemd_socket_refused_connections_total{name="dbus.socket"} 7
# HELP node_systemd_system_running Whether the system is operational (see 'systemctl is-system-running')
# TYPE node_systemd_system_running gauge
node_systemd_system_running 1
# HELP node_systemd_timer_last_trigger_seconds Seconds since epoch of last trigger.
# TYPE node_systemd_timer_last_trigger_seconds gauge
node_systemd_timer_last_trigger_seconds{name="logrotate.timer"} 1.7000000005e+09
# HELP node_systemd_unit_start_time_seconds Start time of the unit since unix epoch in seconds.
# TYPE node_systemd_unit_start_time_seconds gauge
node_systemd_unit_start_time_seconds{name="cron.service"} 0
node_systemd_unit_start_time_seconds{name="dbus.socket"} 1.700000000123456e+09
node_systemd_unit_start_time_seconds{name="logrotate.timer"} 0
node_systemd_unit_start_time_seconds{name="odd.target"} 0
node_systemd_unit_start_time_seconds{name="old.socket"} 0
node_systemd_unit_start_time_seconds{name="ssh.service"} 1.700000000123456e+09
node_systemd_unit_start_time_seconds{name="user@1000.service"} 0
# HELP node_systemd_unit_state Systemd unit
# TYPE node_systemd_unit_state gauge
node_systemd_unit_state{name="cron.service",state="activating",type="simple"} 0
node_systemd_unit_state{name="cron.service",state="active",type="simple"} 0
node_systemd_unit_state{name="cron.service",state="deactivating",type="simple"} 0
node_systemd_unit_state{name="cron.service",state="failed",type="simple"} 1
node_systemd_unit_state{name="cron.service",state="inactive",type="simple"} 0
node_systemd_unit_state{name="dbus.socket",state="activating",type=""} 0
node_systemd_unit_state{name="dbus.socket",state="active",type=""} 1
node_systemd_unit_state{name="dbus.socket",state="deactivating",type=""} 0
node_systemd_unit_state{name="dbus.socket",state="failed",type=""} 0
node_systemd_unit_state{name="dbus.socket",state="inactive",type=""} 0
node_systemd_unit_state{name="logrotate.timer",state="activating",type=""} 0
node_systemd_unit_state{name="logrotate.timer",state="active",type=""} 0
node_systemd_unit_state{name="logrotate.timer",state="deactivating",type=""} 0
node_systemd_unit_state{name="logrotate.timer",state="failed",type=""} 0
node_systemd_unit_state{name="logrotate.timer",state="inactive",type=""} 1
node_systemd_unit_state{name="odd.target",state="activating",type=""} 0
node_systemd_unit_state{name="odd.target",state="active",type=""} 0
node_systemd_unit_state{name="odd.target",state="deactivating",type=""} 0
node_systemd_unit_state{name="odd.target",state="failed",type=""} 0
node_systemd_unit_state{name="odd.target",state="inactive",type=""} 0
node_systemd_unit_state{name="old.socket",state="activating",type=""} 0
node_systemd_unit_state{name="old.socket",state="active",type=""} 0
node_systemd_unit_state{name="old.socket",state="deactivating",type=""} 1
node_systemd_unit_state{name="old.socket",state="failed",type=""} 0
node_systemd_unit_state{name="old.socket",state="inactive",type=""} 0
node_systemd_unit_state{name="ssh.service",state="activating",type="notify"} 0
node_systemd_unit_state{name="ssh.service",state="active",type="notify"} 1
node_systemd_unit_state{name="ssh.service",state="deactivating",type="notify"} 0
node_systemd_unit_state{name="ssh.service",state="failed",type="notify"} 0
node_systemd_unit_state{name="ssh.service",state="inactive",type="notify"} 0
node_systemd_unit_state{name="user@1000.service",state="activating",type="notify-reload"} 1
node_systemd_unit_state{name="user@1000.service",state="active",type="notify-reload"} 0
node_systemd_unit_state{name="user@1000.service",state="deactivating",type="notify-reload"} 0
node_systemd_unit_state{name="user@1000.service",state="failed",type="notify-reload"} 0
node_systemd_unit_state{name="user@1000.service",state="inactive",type="notify-reload"} 0
# HELP node_systemd_unit_tasks_current Current number of tasks per Systemd unit
# TYPE node_systemd_unit_tasks_current gauge
node_systemd_unit_tasks_current{name="ssh.service"} 3
# HELP node_systemd_unit_tasks_max Maximum number of tasks per Systemd unit
# TYPE node_systemd_unit_tasks_max gauge
node_systemd_unit_tasks_max{name="ssh.service"} 4915
# HELP node_systemd_units Summary of systemd unit states
# TYPE node_systemd_units gauge
node_systemd_units{state="activating"} 1
node_systemd_units{state="active"} 4
node_systemd_units{state="deactivating"} 1
node_systemd_units{state="failed"} 1
node_systemd_units{state="inactive"} 2
node_systemd_units{state="maintenance"} 1
# HELP node_systemd_version Detected systemd version
# TYPE node_systemd_version gauge
node_systemd_version{version="252.22-1~deb12u1"} 252.22
# HELP node_systemd_virtualization_info Detected virtualization technology
# TYPE node_systemd_virtualization_info gauge
node_systemd_virtualization_info{virtualization_type="kvm"} 1
"#;
    let ours_systemd: String = families(&ours, "node_systemd_")
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    assert_eq!(ours_systemd, expected);
    assert!(ours.contains("node_scrape_collector_success{collector=\"systemd\"} 1\n"));

    // Debian's node_exporter on the same bus, for the families its (older) version has.
    assert!(
        Path::new(NODE_EXPORTER).exists(),
        "{NODE_EXPORTER} is missing: apt-get install prometheus-node-exporter"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _node_exporter = Reaped(
        Command::new(NODE_EXPORTER)
            .args([
                &format!("--web.listen-address=127.0.0.1:{port}"),
                "--web.disable-exporter-metrics",
                "--collector.disable-defaults",
                "--collector.systemd",
                "--collector.systemd.unit-exclude=.+\\.(automount|device|mount|scope|slice)",
                "--collector.systemd.enable-task-metrics",
                "--collector.systemd.enable-restarts-metrics",
                "--collector.systemd.enable-start-time-metrics",
            ])
            .env("DBUS_SYSTEM_BUS_ADDRESS", &address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node_exporter"),
    );
    wait_for("node_exporter", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let theirs = http_get(port);
    assert!(
        theirs.contains("node_scrape_collector_success{collector=\"systemd\"} 1"),
        "node_exporter failed:\n{theirs}"
    );
    let ours_by_name = families(&ours, "node_systemd_");
    let mut compared = 0;
    for (name, family) in families(&theirs, "node_systemd_") {
        // Families whose definition changed after Debian's 1.5.0.
        if ["node_systemd_version", "node_systemd_virtualization_info"].contains(&name.as_str()) {
            continue;
        }
        let ours_family = ours_by_name
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| f.as_str());
        assert_eq!(ours_family, Some(family.as_str()), "family {name}");
        compared += 1;
    }
    assert!(
        compared >= 10,
        "compared only {compared} families with node_exporter"
    );
}
