//! The JMESPath that `stage.json` evaluates against the compliance suite Alloy's library is tested with.
//!
//! Alloy 1.18 compiles `expressions` with `github.com/jmespath-community/go-jmespath` v1.1.1, which runs
//! the JMESPath Community suite (`jmespath-community/jmespath.test` at ffa8a5ac, its `compliance`
//! submodule; `benchmarks.json` and `legacy/legacy-literal.json` left out as it leaves them out). Those files
//! are in `tests/data/jmespath/`. Every case must give the expected result (compared as JSON values, numbers
//! as float64) or an error where one is expected; the cases ingot's engine does not pass are listed in
//! [`KNOWN`] with why, and the test fails both when another case fails and when a listed one passes, so
//! the list stays the truth (docs/components/loki.process.md repeats it).

use std::path::Path;

use ingot_loki::process::jmespath;

/// Cases (file, expression) that are known to differ from the suite, and why.
const KNOWN: &[(&str, &str, &str)] = &[
    ("arithmetic.json", "`1` + `2`", ARITH),
    ("arithmetic.json", "`1` - `2`", ARITH),
    ("arithmetic.json", "`2` * `4`", ARITH),
    ("arithmetic.json", "`2` \u{d7} `4`", ARITH),
    ("arithmetic.json", "`2` / `3`", ARITH),
    ("arithmetic.json", "`2` \u{f7} `3`", ARITH),
    ("arithmetic.json", "`10` % `3`", ARITH),
    ("arithmetic.json", "`10` // `3`", ARITH),
    ("arithmetic.json", "-`1` - + `2`", ARITH),
    ("arithmetic.json", "{ ab: a.b, cd: c.d } | ab + cd", ARITH),
    ("arithmetic.json", "{ ab: a.b, cd: c.d } | ab + cd \u{d7} cd", ARITH),
    ("arithmetic.json", "{ ab: a.b, cd: c.d } | (ab + cd) \u{d7} cd", ARITH),
    ("letexpr.json", "let $foo = foo in $foo", LET),
    ("letexpr.json", "let $foo = foo.bar in $foo", LET),
    ("letexpr.json", "let $foo = foo.bar in [$foo, $foo]", LET),
    ("letexpr.json", "let $foo = 'foo', $bar = 'bar' in [$foo, $bar]", LET),
    ("letexpr.json", "let $a = a in b[*].[a, $a, let $a = 'shadow' in $a]", LET),
    ("letexpr.json", "let $a = 'top-a' in let $a = 'in-a', $b = $a in $b", LET),
    ("letexpr.json", "let $foo = foo[*] in $foo[0]", LET),
    ("letexpr.json", "[*].[let $home_state = home_state in states[? name == $home_state].cities[]][]", LET),
    ("letexpr.json", "imageDetails[].[\n  let $repo = repositoryName,\n      $digest = imageDigest\n  in\n    imageTags[].[@, $digest, $repo]\n][][]\n", LET),
    ("root_node.json", "states[?name==$.first_choice].cities[]", LET),
    ("pipe.json", "`null`|[@]", NULL_MULTISELECT),
    ("pipe.json", "`null`|{foo: @}", NULL_MULTISELECT),
    ("slice.json", "'e\u{301}le\u{301}ment'[::-1]", STRING_SLICE),
];

/// The Community's arithmetic (JEP-16) does not parse: such an expression is refused at load.
const ARITH: &str = "arithmetic operators do not parse (refused at load)";
/// `let` and `$` (JEP-18, JEP-17) do not parse: refused at load.
const LET: &str = "let expressions and $ do not parse (refused at load)";
/// A multi-select applied to null gives null, as the original specification says; the Community gives a
/// list or object of nulls.
const NULL_MULTISELECT: &str = "a multi-select on null gives null (original specification)";
/// Slicing a string gives null (original specification); the Community slices it.
const STRING_SLICE: &str = "slicing a string gives null (original specification)";

fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => x.as_f64() == y.as_f64(),
        (V::Array(x), V::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (V::Object(x), V::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn community_compliance_suite() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/jmespath");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "the suite is missing from {}",
        dir.display()
    );
    let mut cases = 0;
    let mut failures: Vec<(String, String, String)> = Vec::new();
    for path in &files {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let suites: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for suite in suites {
            let given = &suite["given"];
            for case in suite["cases"].as_array().unwrap() {
                cases += 1;
                let expr = case["expression"].as_str().unwrap();
                let got = jmespath::compile(expr).and_then(|e| e.search_json(given));
                let ok = match (case.get("error"), &got) {
                    (Some(_), Err(_)) => true,
                    (Some(want), Ok(v)) => {
                        failures.push((
                            file.clone(),
                            expr.to_string(),
                            format!("want error {want}, got {v}"),
                        ));
                        continue;
                    }
                    (None, Ok(v)) => same(v, &case["result"]),
                    (None, Err(e)) => {
                        failures.push((
                            file.clone(),
                            expr.to_string(),
                            format!("want {}, got error {e}", case["result"]),
                        ));
                        continue;
                    }
                };
                if !ok {
                    failures.push((
                        file.clone(),
                        expr.to_string(),
                        format!("want {}, got {}", case["result"], got.unwrap()),
                    ));
                }
            }
        }
    }
    assert!(cases > 800, "only {cases} cases");
    let unexpected: Vec<String> = failures
        .iter()
        .filter(|(f, e, _)| !KNOWN.iter().any(|(kf, ke, _)| kf == f && ke == e))
        .map(|(f, e, why)| format!("{f}: {e:?}: {why}"))
        .collect();
    let fixed: Vec<String> = KNOWN
        .iter()
        .filter(|(kf, ke, _)| !failures.iter().any(|(f, e, _)| kf == f && ke == e))
        .map(|(f, e, _)| format!("{f}: {e:?}"))
        .collect();
    assert!(
        unexpected.is_empty() && fixed.is_empty(),
        "{cases} cases; {} fail that are not in KNOWN:\n{}\n\nlisted in KNOWN but passing now:\n{}",
        unexpected.len(),
        unexpected.join("\n"),
        fixed.join("\n")
    );
}
