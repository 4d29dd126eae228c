//! `loki.process`'s templates against Go itself: the rows of `ingot-gocompat`'s `template` table that Go
//! 1.26.5 printed with Alloy's template functions (`ToUpper`, `Replace`, `Trim*`, `Hash`, `Sha2Hash`,
//! `regexReplaceAll`, ...; see `crates/gocompat/oracle/main.go`) must come out of ingot's `stage.template`
//! and `stage.replace` template engine byte for byte, refused where Go refuses them. (That the table is still
//! what Go prints is checked by ingot-gocompat's oracle test.)

use std::collections::BTreeMap;
use std::path::Path;

use ingot_gocompat::template::Val;
use ingot_loki::process::stages::template::Template;

fn unhex(field: &str) -> String {
    let hex = field.strip_prefix('x').expect("hex field");
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    String::from_utf8(bytes).expect("utf-8")
}

#[test]
fn alloy_template_functions_match_go() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../gocompat/tests/data/template.txt");
    let text = std::fs::read_to_string(&path).expect("the template table");
    let pairs = [
        ("Value", "Hello World"),
        ("app", "loki"),
        ("num", "42"),
        ("empty", ""),
        ("level", "WARN"),
    ];
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for line in text.lines().skip(1) {
        let row: Vec<&str> = line.split('\t').collect();
        if row[0] != "alloy" {
            continue;
        }
        checked += 1;
        let tmpl = unhex(row[2]);
        let ours = Template::parse("pipeline_template", &tmpl)
            .map_err(|_| "parse")
            .and_then(|t| {
                if row[1] == "any" {
                    let data: BTreeMap<String, Val> = pairs
                        .iter()
                        .map(|(k, v)| (k.to_string(), Val::from(*v)))
                        .collect();
                    t.execute_any(data).map_err(|_| "exec")
                } else {
                    let data: Vec<(String, String)> = pairs
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    t.execute_map(&data).map_err(|_| "exec")
                }
            });
        let want = match row[3] {
            "ok" => Ok(unhex(row[4])),
            other => Err(other),
        };
        if ours != want {
            mismatches.push(format!(
                "{tmpl:?} on {}: Go {want:?}, ingot {ours:?}",
                row[1]
            ));
        }
    }
    assert!(checked > 250, "only {checked} rows");
    assert!(
        mismatches.is_empty(),
        "{} of {checked} differ from Go:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// The timestamp stage's formats against Go: every row of `ingot-gocompat`'s `timestamp_stage` table (named
/// formats, `Unix*` with Go's `strconv` and `math.Pow`, reference layouts with and without a year, in three
/// locations, at three "now"s around New Year) gives the same instant or fails where Go fails.
#[test]
fn timestamp_formats_match_go() {
    use ingot_loki::process::stages::timestamp::Parser;
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../gocompat/tests/data/timestamp_stage.txt");
    let text = std::fs::read_to_string(&path).expect("the timestamp_stage table");
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for line in text.lines().skip(1) {
        let row: Vec<&str> = line.split('\t').collect();
        let format = unhex(row[0]);
        let loc = match row[1] {
            "-" => None,
            name => Some(ingot_gocompat::time::load_location(name).expect("a zone Go knows")),
        };
        let now = ingot_gocompat::time::parse("2006-01-02T15:04:05Z07:00", row[2])
            .expect("now")
            .unix;
        let value = unhex(row[3]);
        let parser = Parser::new(&format, &[], loc);
        let ours = match parser.parse(&value, now) {
            Ok(t) => format!("ok\t{}\t{}", t.unix, t.nsec),
            Err(_) => "err".to_string(),
        };
        let want = match row[4] {
            "ok" => format!("ok\t{}\t{}", row[5], row[6]),
            _ => "err".to_string(),
        };
        checked += 1;
        if ours != want {
            mismatches.push(format!(
                "{format:?} {} now {} {value:?}: Go {want}, ingot {ours}",
                row[1], row[2]
            ));
        }
    }
    assert!(checked > 10_000, "only {checked} rows");
    let shown: Vec<&String> = mismatches.iter().take(40).collect();
    assert!(
        mismatches.is_empty(),
        "{} of {checked} differ from Go:\n{}",
        mismatches.len(),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
