//! Loading grows linearly with the size of the configuration: parsing, checking (`validate`), a first load and
//! a reload of the same configuration take about four times as long for 20,000 components as for 5,000 (a
//! quadratic step would make it sixteen). The figures are printed; only their ratio is asserted, as the machine
//! is shared. The components form one chain, each reading the one before, which also proves that no step
//! recurses along the dependencies (the chain is 20,000 deep).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_runtime::controller::{Controller, Options};
use ingot_runtime::source::from_text;
use ingot_syntax::value::Value;
use ingot_testkit::components::registry;

/// `n` components in a chain, plus a few unrelated ones at every hundredth place, as a real config has.
fn config(n: usize) -> String {
    let mut text = String::with_capacity(n * 90);
    text.push_str("test.passthrough \"c0\" { input = 0 }\n");
    for i in 1..n {
        text.push_str(&format!(
            "test.passthrough \"c{i}\" {{ input = test.passthrough.c{}.output + 1 }}\n",
            i - 1
        ));
        if i % 100 == 0 {
            text.push_str(&format!("test.health \"h{i}\" {{ }}\n"));
        }
    }
    text
}

struct Figures {
    parse: Duration,
    validate: Duration,
    apply: Duration,
    reapply: Duration,
}

fn min(a: Duration, b: Duration) -> Duration {
    a.min(b)
}

/// The best of two runs of each step, for `n` components.
fn measure(n: usize) -> Figures {
    let text = config(n);
    let mut best: Option<Figures> = None;
    for _ in 0..2 {
        let started = Instant::now();
        let (config, diags) = from_text("big.alloy", &text);
        let parse = started.elapsed();
        assert!(!diags.has_errors(), "{}", diags.render());

        let controller = Controller::new(Arc::new(registry()), Options::default());
        let started = Instant::now();
        let diags = controller.check(&config);
        let validate = started.elapsed();
        assert!(!diags.has_errors(), "{}", diags.render());

        let started = Instant::now();
        controller.apply(&config).unwrap();
        let apply = started.elapsed();
        let last = controller
            .component(&format!("test.passthrough.c{}", n - 1))
            .unwrap();
        assert_eq!(last.exports.get("output"), Some(&Value::int(n as i64 - 1)));

        let started = Instant::now();
        controller.apply(&config).unwrap();
        let reapply = started.elapsed();

        let run = Figures {
            parse,
            validate,
            apply,
            reapply,
        };
        best = Some(match best {
            None => run,
            Some(b) => Figures {
                parse: min(b.parse, run.parse),
                validate: min(b.validate, run.validate),
                apply: min(b.apply, run.apply),
                reapply: min(b.reapply, run.reapply),
            },
        });
    }
    best.unwrap()
}

#[test]
fn loading_time_grows_linearly_with_the_number_of_components() {
    // The chain is as deep as the config is long: run where a reload runs, on a 2 MiB stack.
    let (small, large) = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| (measure(5_000), measure(20_000)))
        .unwrap()
        .join()
        .unwrap();
    let steps = [
        ("parse", small.parse, large.parse),
        ("validate", small.validate, large.validate),
        ("apply", small.apply, large.apply),
        ("reapply", small.reapply, large.reapply),
    ];
    for (step, a, b) in steps {
        let ratio = b.as_secs_f64() / a.as_secs_f64().max(1e-6);
        println!("{step:>8}: 5,000 components {a:>10.2?}, 20,000 components {b:>10.2?}, ratio {ratio:.1}");
    }
    for (step, a, b) in steps {
        let ratio = b.as_secs_f64() / a.as_secs_f64().max(1e-6);
        // Linear is 4; quadratic would be 16. The margin absorbs a busy machine.
        assert!(
            ratio < 8.0,
            "{step} took {ratio:.1} times as long for 4 times the components ({a:?} then {b:?})"
        );
    }
}
