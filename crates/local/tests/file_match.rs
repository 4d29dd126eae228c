//! `local.file_match` in a controller: the matched files are exported as targets at once, new files are
//! found at the next sync, and a directory that cannot be read makes the component unhealthy with the
//! path and the cause.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_runtime::component::{Registration, Registry};
use ingot_runtime::controller::{Controller, Options};
use ingot_runtime::health::HealthState;
use ingot_runtime::source::from_text;
use ingot_syntax::value::Value;
use tokio_util::sync::CancellationToken;

fn controller(storage: &std::path::Path) -> Arc<Controller> {
    let registry = Registry::new(vec![
        Registration::of::<ingot_local::file_match::Component>(),
    ]);
    Controller::new(
        Arc::new(registry),
        Options {
            storage_path: storage.to_path_buf(),
            ..Options::default()
        },
    )
}

fn apply(c: &Controller, text: &str) {
    let (config, diags) = from_text("main.alloy", text);
    assert!(!diags.has_errors(), "{}", diags.render());
    if let Err(d) = c.apply(&config) {
        panic!("{}", d.render());
    }
}

fn paths(c: &Controller, id: &str) -> Vec<String> {
    let exports = c.component(id).unwrap().exports;
    let mut out: Vec<String> = exports
        .get("targets")
        .and_then(Value::as_array)
        .unwrap_or(&[])
        .iter()
        .map(|t| {
            t.get("__path__")
                .and_then(Value::as_str)
                .unwrap()
                .to_string()
        })
        .collect();
    out.sort();
    out
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_matches_and_reports_unreadable_directories() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap().to_string();
    std::fs::create_dir_all(dir.path().join("app/sub")).unwrap();
    std::fs::write(dir.path().join("app/a.log"), "x").unwrap();
    std::fs::write(dir.path().join("app/sub/b.log"), "x").unwrap();
    std::fs::write(dir.path().join("app/c.gz"), "x").unwrap();
    let c = controller(dir.path());
    let run = tokio::spawn(c.clone().run(CancellationToken::new()));
    apply(
        &c,
        &format!(
            r#"
local.file_match "logs" {{
  path_targets = [{{ __path__ = "{root}/app/**/*.{{log,gz}}", __path_exclude__ = "**/*.gz", job = "app" }}]
  sync_period  = "100ms"
}}
"#
        ),
    );
    assert_eq!(
        paths(&c, "local.file_match.logs"),
        [format!("{root}/app/a.log"), format!("{root}/app/sub/b.log")]
    );
    let exports = c.component("local.file_match.logs").unwrap().exports;
    let first = &exports.get("targets").unwrap().as_array().unwrap()[0];
    assert_eq!(first.get("job").and_then(Value::as_str), Some("app"));
    assert_eq!(
        first.get("__path_exclude__").and_then(Value::as_str),
        Some("**/*.gz")
    );

    std::fs::write(dir.path().join("app/new.log"), "x").unwrap();
    wait_for("the new file", || {
        paths(&c, "local.file_match.logs").len() == 3
    })
    .await;

    // A directory named in the pattern that is missing: unhealthy, with the path and the cause.
    apply(
        &c,
        &format!(
            r#"
local.file_match "logs" {{
  path_targets = [{{ __path__ = "{root}/missing/*.log" }}]
  sync_period  = "100ms"
}}
"#
        ),
    );
    wait_for("unhealthy", || {
        let h = c.component("local.file_match.logs").unwrap().health;
        h.state == HealthState::Unhealthy
            && h.message
                .contains(&format!("{root}/missing: no such file or directory"))
    })
    .await;
    assert!(paths(&c, "local.file_match.logs").is_empty());
    c.shutdown(Duration::from_secs(5)).await;
    run.abort();
}
