//! Whole-config tests of the controller with small test components: a config, then the expected graph,
//! health and exports; reloads good → bad → good that prove the running graph is never disturbed.

use std::sync::Arc;
use std::time::Duration;

use ingot_runtime::controller::{Controller, Options};
use ingot_runtime::health::HealthState;
use ingot_runtime::source::from_text;
use ingot_syntax::value::Value;
use ingot_testkit::components::{counts_of, registry, set_source, Counts};
use tokio_util::sync::CancellationToken;

fn controller() -> Arc<Controller> {
    Controller::new(Arc::new(registry()), Options::default())
}

fn apply(c: &Controller, text: &str) -> Result<(), Vec<String>> {
    let (config, diags) = from_text("main.alloy", text);
    assert!(!diags.has_errors(), "{}", diags.render());
    c.apply(&config)
        .map_err(|d| d.iter().map(|d| d.short()).collect())
}

fn export(c: &Controller, id: &str, field: &str) -> Value {
    c.component(id)
        .unwrap_or_else(|| panic!("no component {id}"))
        .exports
        .get(field)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn exports_flow_along_references_in_dependency_order() {
    let c = controller();
    apply(
        &c,
        r#"
test.passthrough "flow_c" { input = test.passthrough.flow_b.output + 1 }
test.passthrough "flow_b" { input = test.passthrough.flow_a.output * 10 }
test.passthrough "flow_a" { input = 4 }
"#,
    )
    .unwrap();
    assert_eq!(
        export(&c, "test.passthrough.flow_c", "output"),
        Value::int(41)
    );
    let info = c.component("test.passthrough.flow_b").unwrap();
    assert_eq!(info.references_to, vec!["test.passthrough.flow_a"]);
    assert_eq!(info.referenced_by, vec!["test.passthrough.flow_c"]);
    assert_eq!(info.health.state, HealthState::Healthy);
    assert!(c.is_loaded());
}

#[test]
fn a_bad_config_is_rejected_whole_and_the_running_graph_is_untouched() {
    let c = controller();
    let good = r#"
test.passthrough "keep_a" { input = "one" }
test.passthrough "keep_b" { input = test.passthrough.keep_a.output }
"#;
    apply(&c, good).unwrap();
    let before = (
        counts_of("test.passthrough.keep_a"),
        counts_of("test.passthrough.keep_b"),
    );

    // Each of these must be refused, with Alloy's message at the right place.
    let bad_configs = [
        (r#"test.passthrough "keep_a" { input = 1 / 0 }"#, "main.alloy:1:41: 0 divide by zero error"),
        (r#"test.passthrough "keep_a" { }"#, "main.alloy:1:1: missing required attribute \"input\""),
        (r#"test.passthrough "keep_a" { input = 1, inptu = 2 }"#, "main.alloy:1:38: expected TERMINATOR, got ,"),
        (r#"test.nothing "x" { }"#, "main.alloy:1:1: cannot find the definition of component name \"test.nothing\""),
        (r#"test.passthrough "keep_a" { input = test.passthrough.nope.output }"#, "main.alloy:1:37: component \"test.passthrough.nope.output\" does not exist or is out of scope"),
        (r#"test.health "keep_h" { fail_build = true }"#, "main.alloy:1:1: building component test.health.keep_h: asked to fail"),
        (r#"test.experimental "keep_x" { input = 1 }"#, "main.alloy:1:1: component \"test.experimental\" is at stability level \"experimental\", which is below the minimum allowed stability level \"generally-available\". Use --stability.level command-line flag to enable \"experimental\" features"),
    ];
    for (bad, expected) in bad_configs {
        let (config, parse_diags) = from_text("main.alloy", bad);
        let errors: Vec<String> = if parse_diags.has_errors() {
            parse_diags.iter().map(|d| d.short()).collect()
        } else {
            c.apply(&config)
                .expect_err(bad)
                .iter()
                .map(|d| d.short())
                .collect()
        };
        assert_eq!(errors.first().map(String::as_str), Some(expected), "{bad}");
    }
    assert_eq!(c.metrics.load_failures(), 6);

    // Nothing was rebuilt or updated, and the exports are the old ones.
    assert_eq!(
        (
            counts_of("test.passthrough.keep_a"),
            counts_of("test.passthrough.keep_b")
        ),
        before
    );
    assert_eq!(
        export(&c, "test.passthrough.keep_b", "output"),
        Value::string("one")
    );

    // A good config again: only the component whose arguments changed is updated; none is rebuilt.
    apply(&c, &good.replace("\"one\"", "\"two\"")).unwrap();
    assert_eq!(
        counts_of("test.passthrough.keep_a"),
        Counts {
            builds: 1,
            updates: 1
        }
    );
    assert_eq!(
        export(&c, "test.passthrough.keep_a", "output"),
        Value::string("two")
    );
}

#[test]
fn equal_arguments_cause_no_update_and_removed_components_stop() {
    let c = controller();
    let config = r#"
test.passthrough "same_a" { input = [1, 2] }
test.passthrough "same_b" { input = {x = 1} }
"#;
    apply(&c, config).unwrap();
    apply(&c, config).unwrap();
    assert_eq!(
        counts_of("test.passthrough.same_a"),
        Counts {
            builds: 1,
            updates: 0
        }
    );
    apply(&c, r#"test.passthrough "same_a" { input = [1, 2] }"#).unwrap();
    assert!(c.component("test.passthrough.same_b").is_none());
    assert_eq!(c.components().len(), 1);
}

#[test]
fn runtime_health_is_reported_and_names_the_cause() {
    let c = controller();
    apply(
        &c,
        r#"test.health "sick" { unhealthy = "cannot reach 127.0.0.1:1: connection refused" }"#,
    )
    .unwrap();
    let unhealthy = c.unhealthy_components();
    assert_eq!(unhealthy.len(), 1);
    assert_eq!(unhealthy[0].0, "test.health.sick");
    assert_eq!(
        unhealthy[0].1.message,
        "cannot reach 127.0.0.1:1: connection refused"
    );
    apply(&c, r#"test.health "sick" { }"#).unwrap();
    assert!(c.unhealthy_components().is_empty());
}

#[tokio::test]
async fn a_changed_export_reevaluates_only_dependants_and_a_failed_evaluation_keeps_the_last_good_arguments(
) {
    let c = controller();
    apply(
        &c,
        r#"
test.source "dyn_src" { initial = 1 }
test.passthrough "dyn_dep" { input = 100 / test.source.dyn_src.value }
test.passthrough "dyn_other" { input = "unrelated" }
"#,
    )
    .unwrap();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(c.clone().run(shutdown.clone()));
    assert_eq!(
        export(&c, "test.passthrough.dyn_dep", "output"),
        Value::int(100)
    );

    set_source("test.source.dyn_src", Value::int(4));
    wait_until(|| export(&c, "test.passthrough.dyn_dep", "output") == Value::int(25)).await;

    // Division by zero: the dependant turns unhealthy and keeps its last good arguments.
    set_source("test.source.dyn_src", Value::int(0));
    wait_until(|| {
        c.component("test.passthrough.dyn_dep")
            .unwrap()
            .health
            .state
            == HealthState::Unhealthy
    })
    .await;
    let info = c.component("test.passthrough.dyn_dep").unwrap();
    assert_eq!(
        info.health.message,
        "main.alloy:3:44: test.source.dyn_src.value divide by zero error"
    );
    assert_eq!(
        export(&c, "test.passthrough.dyn_dep", "output"),
        Value::int(25)
    );

    // It recovers by itself when the input is good again.
    set_source("test.source.dyn_src", Value::int(50));
    wait_until(|| export(&c, "test.passthrough.dyn_dep", "output") == Value::int(2)).await;
    assert_eq!(
        c.component("test.passthrough.dyn_dep")
            .unwrap()
            .health
            .state,
        HealthState::Healthy
    );
    assert_eq!(
        counts_of("test.passthrough.dyn_other"),
        Counts {
            builds: 1,
            updates: 0
        }
    );

    // Each of the three changes re-evaluated the one dependant, observed as Alloy observes it: the time it
    // waited since the change, and the time its evaluation took.
    let sample = |name: &str| {
        let mut set = ingot_prom::exposition::FamilySet::new();
        c.collect_metrics(&mut set);
        let text = set.encode_to_string();
        text.lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.rsplit(' ').next().unwrap().to_string())
    };
    wait_until(|| {
        sample("alloy_component_evaluation_seconds_count{").as_deref() == Some("3")
            && sample("alloy_component_dependencies_wait_seconds_count{").as_deref() == Some("3")
    })
    .await;
    assert_eq!(
        sample("alloy_component_controller_evaluating{").as_deref(),
        Some("0")
    );
    // Data flows from the source to its dependant (an export that is not a receiver).
    assert_eq!(
        c.component("test.source.dyn_src")
            .unwrap()
            .data_flow_edges_to,
        vec!["test.passthrough.dyn_dep"]
    );
    assert!(c
        .component("test.passthrough.dyn_dep")
        .unwrap()
        .data_flow_edges_to
        .is_empty());
    shutdown.cancel();
    task.await.unwrap();
}

async fn wait_until(mut f: impl FnMut() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached within 2s");
}

#[test]
fn a_validate_error_on_a_huge_string_quotes_only_its_start() {
    let c = controller();
    let huge = "x".repeat(1_000_000);
    let (config, diags) = from_text(
        "main.alloy",
        &format!("test.slow \"huge\" {{\n  value = \"{huge}\"\n}}\n"),
    );
    assert!(!diags.has_errors());
    let diags = c.check(&config);
    let rendered = diags.render();
    // Alloy's message, with the string cut, and the line cut around the place.
    let first = rendered.lines().next().unwrap();
    assert!(
        first.starts_with("Error: main.alloy:2:11: \"xxxx")
            && first.ends_with("x…\" should be number, got string"),
        "{first}"
    );
    assert!(rendered.len() < 1_000, "{} bytes", rendered.len());
}
