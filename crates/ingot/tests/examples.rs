//! Every config in `examples/` passes `ingot validate`. A component that is not in the registry yet must fail with
//! exactly Alloy's "cannot find the definition" error at its block, and nothing else: once the component is
//! registered, the same test demands a clean validation, with no change here.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ingot");

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .canonicalize()
        .unwrap_or_else(|e| panic!("examples/{name}: {e}"))
}

/// The components a config declares, each with the 1-based line of its block (top-level blocks with a label).
fn components(text: &str) -> Vec<(String, usize)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let (name, rest) = line.split_once(' ')?;
            let is_name = !name.is_empty()
                && name.contains('.')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            (is_name && rest.starts_with('"') && rest.trim_end().ends_with('{'))
                .then(|| (name.to_string(), i + 1))
        })
        .collect()
}

/// Validates `examples/<name>`, which must declare exactly `expected` components (in order), and checks the
/// outcome against the registry.
fn check(name: &str, expected: &[&str]) {
    let path = example(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let declared = components(&text);
    assert_eq!(
        declared.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        expected,
        "examples/{name} declares other components than this test expects"
    );

    let out = Command::new(BIN)
        .arg("validate")
        .arg(&path)
        .output()
        .expect("running ingot validate");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();

    let registry = ingot::registry::registry();
    let missing: Vec<&(String, usize)> = declared
        .iter()
        .filter(|(n, _)| registry.get(n).is_none())
        .collect();

    if missing.is_empty() {
        assert_eq!(
            (out.status.code(), stdout.as_str(), stderr.as_str()),
            (Some(0), "", ""),
            "examples/{name} must validate: every component it uses is registered"
        );
        return;
    }

    assert_eq!(
        out.status.code(),
        Some(1),
        "examples/{name} uses unregistered components {missing:?}, validate must fail:\n{stderr}"
    );
    let mut wanted: Vec<String> = missing
        .iter()
        .map(|(n, line)| {
            format!(
                "{}:{line}:1: cannot find the definition of component name {n:?}",
                path.display()
            )
        })
        .collect();
    for w in &wanted {
        assert!(
            stderr.contains(w.as_str()),
            "examples/{name}: expected `{w}` in:\n{stderr}"
        );
    }
    // Nothing else may be wrong: every `file:line:col: message` line is one of the expected ones, or (as in
    // Alloy) a reference into a missing component from a block whose component exists.
    let prefix = format!("{}:", path.display());
    let dangling = |line: &str| {
        missing.iter().any(|(n, _)| {
            line.contains(&format!(": component \"{n}."))
                && line.ends_with("\" does not exist or is out of scope")
        })
    };
    let mut reported: Vec<String> = stderr
        .lines()
        .filter_map(|l| l.find(&prefix).map(|at| l[at..].trim_end().to_string()))
        .filter(|l| !dangling(l))
        .collect();
    reported.sort();
    reported.dedup();
    wanted.sort();
    assert_eq!(
        reported, wanted,
        "examples/{name}: validate reported other errors than the missing components:\n{stderr}"
    );
}

#[test]
fn pull_mode_host_validates() {
    // The pull-mode config is complete today: its one component must be registered, so `check` demands a
    // clean validation.
    assert!(ingot::registry::registry()
        .get("prometheus.exporter.unix")
        .is_some());
    check("host-pull.alloy", &["prometheus.exporter.unix"]);
}

#[test]
fn push_mode_host_validates_once_scrape_and_remote_write_exist() {
    check(
        "host-push.alloy",
        &[
            "prometheus.exporter.unix",
            "prometheus.scrape",
            "prometheus.remote_write",
        ],
    );
}

#[test]
fn postgres_and_nginx_host_validates_once_their_exporters_exist() {
    check(
        "host-postgres-nginx.alloy",
        &[
            "prometheus.exporter.unix",
            "prometheus.exporter.postgres",
            "prometheus.exporter.nginx",
        ],
    );
}

#[test]
fn every_example_is_checked_and_formatted() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".alloy"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "host-postgres-nginx.alloy",
            "host-pull.alloy",
            "host-push.alloy"
        ],
        "a new example needs its own check in this file"
    );
    for name in &names {
        let out = Command::new(BIN)
            .args(["fmt", "-t"])
            .arg(example(name))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "examples/{name} is not formatted as `ingot fmt` formats it:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
