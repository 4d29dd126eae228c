//! The logind collector against a private D-Bus with python-dbusmock's logind template, and Debian's
//! node_exporter on the same bus as the oracle: its logind collector is the same code as 1.12's
//! (only the logger type changed), so `node_logind_sessions` must match byte for byte.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ingot_prometheus::exporter::unix::{UnixConfig, UnixExporter};
use pretty_assertions::assert_eq;

const PYTHON: &str = "/usr/bin/python3";
const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";

struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn require_tools() {
    let dbusmock = Command::new(PYTHON)
        .args(["-c", "import dbusmock"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        dbusmock && Path::new("/usr/bin/dbus-daemon").exists(),
        "the logind test needs dbus-daemon and python3-dbusmock: \
         apt-get install --no-install-recommends dbus-daemon python3-dbusmock"
    );
    assert!(
        Path::new(NODE_EXPORTER).exists(),
        "{NODE_EXPORTER} is missing: apt-get install prometheus-node-exporter"
    );
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

/// Sessions on two seats and none (remote logins), with types and classes logind knows and
/// some it does not (counted as `other`).
const SETUP: &str = r#"
import time, dbus
bus = dbus.SystemBus()
for _ in range(500):
    if bus.name_has_owner('org.freedesktop.login1'):
        break
    time.sleep(0.02)
MOCK = 'org.freedesktop.DBus.Mock'
SESSION = 'org.freedesktop.login1.Session'
manager = bus.get_object('org.freedesktop.login1', '/org/freedesktop/login1')
mock = dbus.Interface(manager, MOCK)

def session(sid, seat, uid, name, kind, klass, remote, no_seat=False):
    path = mock.AddSession(sid, seat, dbus.UInt32(uid), name, True)
    props = dbus.Interface(bus.get_object('org.freedesktop.login1', path), 'org.freedesktop.DBus.Properties')
    props.Set(SESSION, 'Type', kind)
    props.Set(SESSION, 'Class', klass)
    props.Set(SESSION, 'Remote', dbus.Boolean(remote))
    if no_seat:
        props.Set(SESSION, 'Seat', dbus.Struct(('', dbus.ObjectPath('/')), signature='so'))

session('1', 'seat0', 1000, 'alice', 'x11', 'user', False)
session('2', 'seat0', 1000, 'alice', 'wayland', 'user', False)
session('3', 'seat0', 1001, 'gdm', 'x11', 'greeter', False)
session('4', 'seat1', 1002, 'bob', 'tty', 'user', False)
session('5', 'seat0', 1003, 'carol', 'tty', 'user', True, no_seat=True)
session('6', 'seat0', 1003, 'carol', 'unspecified', 'manager', True, no_seat=True)
session('7', 'seat1', 1004, 'dave', 'vnc', 'background', False)
print('ready', flush=True)
"#;

fn family(text: &str, name: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            inside = rest.split(' ').next() == Some(name);
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
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

fn gather() -> (String, Vec<String>) {
    let config = UnixConfig {
        set_collectors: vec!["logind".into()],
        ..UnixConfig::default()
    };
    let mut exporter = UnixExporter::new(&config).unwrap();
    let mut out = Vec::new();
    let errors = exporter
        .gather_into(&mut out)
        .iter()
        .map(ToString::to_string)
        .collect();
    (String::from_utf8(out).unwrap(), errors)
}

#[test]
fn logind_sessions_match_node_exporter_on_the_same_bus() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();

    // First, no bus at all: the collector fails with node_exporter's words.
    let missing = dir.path().join("no_bus");
    // The only test in this binary, so no other thread reads the environment meanwhile.
    std::env::set_var(
        "DBUS_SYSTEM_BUS_ADDRESS",
        format!("unix:path={}", missing.display()),
    );
    let (text, errors) = gather();
    assert!(text.contains("node_scrape_collector_success{collector=\"logind\"} 0\n"));
    assert_eq!(
        errors,
        [format!(
            "collector logind failed: unable to connect to dbus: dial unix {}: connect: no such file or directory",
            missing.display()
        )]
    );

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
            .args(["-m", "dbusmock", "--system", "--template", "logind"])
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

    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &address);
    let (ours, errors) = gather();
    assert!(errors.is_empty(), "{errors:?}");
    let ours = family(&ours, "node_logind_sessions");
    // 2 remote values × 7 types × 5 classes × 3 seats (seat0, seat1 and none).
    assert_eq!(ours.lines().count(), 2 + 2 * 7 * 5 * 3, "{ours}");
    for line in [
        "node_logind_sessions{class=\"user\",remote=\"false\",seat=\"seat0\",type=\"x11\"} 1\n",
        "node_logind_sessions{class=\"user\",remote=\"false\",seat=\"seat0\",type=\"wayland\"} 1\n",
        "node_logind_sessions{class=\"greeter\",remote=\"false\",seat=\"seat0\",type=\"x11\"} 1\n",
        "node_logind_sessions{class=\"user\",remote=\"false\",seat=\"seat1\",type=\"tty\"} 1\n",
        "node_logind_sessions{class=\"user\",remote=\"true\",seat=\"\",type=\"tty\"} 1\n",
        "node_logind_sessions{class=\"other\",remote=\"true\",seat=\"\",type=\"unspecified\"} 1\n",
        "node_logind_sessions{class=\"background\",remote=\"false\",seat=\"seat1\",type=\"other\"} 1\n",
    ] {
        assert!(ours.contains(line), "{line} in\n{ours}");
    }

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
                "--collector.logind",
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
        theirs.contains("node_scrape_collector_success{collector=\"logind\"} 1"),
        "node_exporter failed:\n{theirs}"
    );
    assert_eq!(ours, family(&theirs, "node_logind_sessions"));
}
