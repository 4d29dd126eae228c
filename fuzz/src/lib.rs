//! The bodies of ingot's fuzz targets, as plain functions: the `fuzz_targets/*.rs` binaries hand
//! libFuzzer's input to them, and `tests/seeds.rs` runs every file under `seeds/<target>/` through
//! them on the stable toolchain.
//!
//! Each function must not panic whatever the bytes are; beyond that, each asserts a few properties
//! the code under test promises (a formatted file parses again, the fast parser paths agree with the
//! exact ones, a decoded remote-write request survives a round trip). A failed assertion is a finding
//! like any other panic.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use ingot_prom::labels::Labels;
use ingot_prom::remote_write::encode::{encode_v1, encode_v2, snappy_compress};
use ingot_prom::remote_write::{ExternalLabels, Protocol};
use ingot_prom::sample::{is_stale_nan, Sample};
use ingot_prom::scrape::{ScrapeCache, ScrapeOptions};
use ingot_prom::text_parse::{
    select_format, Entry, Format, OpenMetricsOptions, OpenMetricsParser, PromParser, ScrapeProtocol,
};
use ingot_prometheus::receive_http::decode::decode_request;
use ingot_syntax::ast::{Body, Stmt};
use ingot_syntax::eval::{Evaluator, Scope, Stability};
use ingot_syntax::parser::{parse_expression, parse_file};
use ingot_syntax::printer::format_file;
use ingot_syntax::stdlib::codec;
use ingot_syntax::value::{FromValue, Value};
use ingot_syntax::SourceFile;

/// A target's body.
pub type TargetFn = fn(&[u8]);

/// Every target: its name (that of `fuzz_targets/<name>.rs` and `seeds/<name>/`) and its body.
pub const TARGETS: &[(&str, TargetFn)] = &[
    ("parse_config", parse_config),
    ("eval_config", eval_config),
    ("parse_exposition", parse_exposition),
    ("receive_http_decode", receive_http_decode),
];

/// The body of the named target.
pub fn target(name: &str) -> Option<TargetFn> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Makes libFuzzer's SIGSEGV handler run on an alternate signal stack, so that a stack overflow is
/// reported as a crash with its input saved under `artifacts/`, like any other crash. Without a
/// sanitizer nothing else sets one up (the Rust runtime that would is not started: libFuzzer owns
/// `main`), and the handler, needing the overflowed stack, never runs: the process just dies.
///
/// The fuzz binaries call it on every input; it acts once, after libFuzzer has installed its
/// handlers, on the thread that runs the inputs. Not for tests: the test harness has its own.
#[cfg(unix)]
pub fn handle_stack_overflows() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        const SIZE: usize = 1 << 20;
        let stack: &'static mut [u8] = Box::leak(vec![0u8; SIZE].into_boxed_slice());
        let ss = libc::stack_t {
            ss_sp: stack.as_mut_ptr().cast(),
            ss_flags: 0,
            ss_size: SIZE,
        };
        // SAFETY: `ss` describes a live allocation of SIZE bytes that is never freed; sigaction is
        // given a zeroed struct to fill, then the same handler back with only SA_ONSTACK added.
        unsafe {
            if libc::sigaltstack(&ss, std::ptr::null_mut()) != 0 {
                return;
            }
            let mut act: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGSEGV, std::ptr::null(), &mut act) != 0
                || act.sa_sigaction == libc::SIG_DFL
                || act.sa_sigaction == libc::SIG_IGN
            {
                return;
            }
            act.sa_flags |= libc::SA_ONSTACK;
            libc::sigaction(libc::SIGSEGV, &act, std::ptr::null_mut());
        }
    });
}

// ---------------------------------------------------------------------------------------------------------
// parse_config

/// The `.alloy` parser and formatter: the bytes (as lossy UTF-8) parsed as a file; a file without
/// errors is formatted, and the formatted text must parse again without errors and format to itself.
/// The same bytes are also parsed as a single expression.
pub fn parse_config(data: &[u8]) {
    let source = SourceFile::new("fuzz.alloy", String::from_utf8_lossy(data).into_owned());
    let (file, diags) = parse_file(source.clone());
    let _ = diags.render();
    if !diags.has_errors() {
        if let Ok(formatted) = format_file(&file) {
            let (again, diags) = parse_file(SourceFile::new("again.alloy", formatted.clone()));
            assert!(
                !diags.has_errors(),
                "formatted output does not parse:\n{formatted}\n{}",
                diags.render()
            );
            assert_eq!(
                format_file(&again).ok().as_deref(),
                Some(formatted.as_str()),
                "formatting is not idempotent"
            );
        }
    }
    let (expr, diags) = parse_expression(source);
    let _ = diags.render();
    drop(expr);
}

// ---------------------------------------------------------------------------------------------------------
// eval_config

/// The evaluator and the standard library: the bytes parsed as a file, every attribute at every
/// depth evaluated with an empty scope (experimental functions allowed), and the bytes as one
/// expression likewise; each value is then printed and converted to the Rust types components
/// decode into. The stdlib's decoders also get the raw text directly: `encoding.from_json`,
/// `from_yaml`, `from_base64`, `from_URLbase64`, `url_decode`, `json_path` (as document and as
/// path) and `string.format` (as the format).
pub fn eval_config(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let source = SourceFile::new("fuzz.alloy", text.clone());
    let scope = Scope::new();

    let (file, _) = parse_file(source.clone());
    let mut eval = Evaluator::new(&source, &scope).with_min_stability(Stability::Experimental);
    eval_body(&mut eval, &file.body);

    let (expr, _) = parse_expression(source.clone());
    if let Some(expr) = expr {
        if let Ok(v) = eval.eval(&expr) {
            exercise_value(&v);
        }
    }
    for d in eval.take_warnings() {
        let _ = d.render();
    }

    let s = Value::string(text.as_str());
    for name in [
        "from_json",
        "from_yaml",
        "from_base64",
        "from_URLbase64",
        "url_decode",
    ] {
        call_stdlib(&["encoding", name], std::slice::from_ref(&s));
    }
    let args = [
        s.clone(),
        Value::int(-7),
        Value::uint(u64::MAX),
        Value::float(1.5e300),
        Value::string("x\u{1F600}"),
        Value::Bool(true),
        Value::Null,
        Value::array([Value::int(1), Value::string("a")]),
        Value::object([("k", Value::float(f64::NAN))]),
    ];
    call_stdlib(&["string", "format"], &args);
    call_stdlib(&["json_path"], &[s.clone(), Value::string("$..*")]);
    call_stdlib(
        &["json_path"],
        &[
            Value::string(r#"{"a": [1, {"b": "c", "d": [true, null, 2.5]}], "e": {"f": -1}}"#),
            s,
        ],
    );
    // The codec functions underneath, where they take more than the stdlib passes them.
    let _ = codec::parse_json(&text, codec::JsonNumbers::KeepIntegers);
    let _ = codec::query_unescape(&text);
    let _ = codec::clean_path(&text);
}

fn eval_body(eval: &mut Evaluator<'_>, body: &Body) {
    for stmt in body {
        match stmt {
            Stmt::Attribute(a) => match eval.eval(&a.value) {
                Ok(v) => exercise_value(&v),
                Err(d) => {
                    let _ = d.render();
                }
            },
            Stmt::Block(b) => eval_body(eval, &b.body),
        }
    }
}

/// Calls the stdlib function at `path` (`["encoding", "from_json"]`) and exercises its result.
fn call_stdlib(path: &[&str], args: &[Value]) {
    let mut v = ingot_syntax::stdlib::lookup(path[0]).expect("a stdlib identifier");
    for name in &path[1..] {
        v = v.get(name).expect("a stdlib function");
    }
    let Value::Function(f) = v else {
        panic!("{path:?} is not a function")
    };
    if let Ok(out) = f.call(args) {
        exercise_value(&out);
    }
}

/// Prints a value the ways ingot prints values, and converts it to the types arguments decode into.
fn exercise_value(v: &Value) {
    let _ = v.to_string();
    let _ = v.describe();
    if matches!(v, Value::Object(_)) {
        let _ = codec::to_json(v);
    }
    let _ = String::from_value(v);
    let _ = bool::from_value(v);
    let _ = i64::from_value(v);
    let _ = u64::from_value(v);
    let _ = u32::from_value(v);
    let _ = f64::from_value(v);
    let _ = Duration::from_value(v);
    let _ = Vec::<String>::from_value(v);
    let _ = BTreeMap::<String, String>::from_value(v);
    let _ = Option::<Vec<BTreeMap<String, Value>>>::from_value(v);
}

// ---------------------------------------------------------------------------------------------------------
// parse_exposition

/// The scrape parsers and scrape cache: the bytes as a text-format and as an OpenMetrics body. The
/// parsers' fast paths must read every body exactly as their exact paths do, and a body scraped a
/// second time through a warm [`ScrapeCache`] (which reads known lines through
/// `next_known_sample`) must give the samples a fresh cache gives. The bytes also go to the
/// `Content-Type` negotiation as a header value.
pub fn parse_exposition(data: &[u8]) {
    let fast = render_prom(PromParser::new(data));
    let exact = render_prom(PromParser::new(data).exact_only());
    assert_eq!(fast, exact, "text format: fast and exact paths disagree");

    let fast = render_om(OpenMetricsParser::new(data));
    let exact = render_om(OpenMetricsParser::new(data).exact_only());
    assert_eq!(fast, exact, "OpenMetrics: fast and exact paths disagree");
    let opts = OpenMetricsOptions {
        skip_created_series: true,
    };
    let _ = render_om(OpenMetricsParser::with_options(data, opts));

    for format in [Format::PromText, Format::OpenMetrics] {
        let fresh = scrape_once(&mut ScrapeCache::new(), data, format);
        let mut warm = ScrapeCache::new();
        scrape_once(&mut warm, data, format);
        let again = scrape_once(&mut warm, data, format);
        assert_eq!(
            fresh, again,
            "{format:?}: a second scrape of the same body through a warm cache differs"
        );
    }

    if let Ok(ct) = std::str::from_utf8(data) {
        let _ = select_format(ct, None);
        let _ = select_format(ct, Some(ScrapeProtocol::PrometheusText0_0_4));
    }
}

/// One line per entry, with everything a scrape reads from it.
fn render_entry(out: &mut String, e: &Entry<'_, '_>) {
    match e {
        Entry::Help { metric, text, .. } => {
            let _ = writeln!(
                out,
                "help {:?} {:?} {:?} {:?}",
                metric,
                text,
                e.metadata_metric(),
                e.help_text()
            );
        }
        Entry::Type { metric, kind } => {
            let _ = writeln!(
                out,
                "type {metric:?} {} {:?}",
                kind.as_str(),
                e.metadata_metric()
            );
        }
        Entry::Unit { metric, unit } => {
            let _ = writeln!(out, "unit {metric:?} {unit:?} {:?}", e.metadata_metric());
        }
        Entry::Comment(c) => {
            let _ = writeln!(out, "comment {c:?}");
        }
        Entry::Sample(s) => {
            let _ = write!(
                out,
                "sample {:?} {:?} {} {} {:#x} {:?} {:?}",
                s.series(),
                s.metric_name(),
                s.label_count(),
                s.to_labels(),
                s.value().to_bits(),
                s.timestamp(),
                s.metric_type()
            );
            if let Some(ex) = s.exemplar() {
                let _ = write!(
                    out,
                    " # {} {:#x} {:?}",
                    ex.to_labels(),
                    ex.value().to_bits(),
                    ex.timestamp()
                );
            }
            out.push('\n');
        }
    }
}

fn render_prom(mut p: PromParser<'_>) -> String {
    let mut out = String::new();
    loop {
        match p.next_entry() {
            Ok(Some(e)) => render_entry(&mut out, &e),
            Ok(None) => break,
            Err(e) => {
                let _ = writeln!(out, "error {}", e.with_position());
                break;
            }
        }
    }
    out
}

fn render_om(mut p: OpenMetricsParser<'_>) -> String {
    let mut out = String::new();
    loop {
        match p.next_entry() {
            Ok(Some(e)) => {
                let is_sample = matches!(e, Entry::Sample(_));
                render_entry(&mut out, &e);
                if is_sample {
                    let _ = writeln!(out, "st {}", p.start_timestamp());
                }
            }
            Ok(None) => break,
            Err(e) => {
                let _ = writeln!(out, "error {}", e.with_position());
                break;
            }
        }
    }
    out
}

/// One scrape of `body` at a fixed time: the outcome's error and sample count, and the samples
/// appended (staleness markers left out: they depend on the scrape before), one line each.
fn scrape_once(
    cache: &mut ScrapeCache,
    body: &[u8],
    format: Format,
) -> (Option<String>, u64, Vec<String>) {
    let target = Labels::from_pairs(&[("instance", "localhost:9100"), ("job", "fuzz")]);
    let mut out = Vec::new();
    let outcome = cache.append_body(
        body,
        format,
        &target,
        &ScrapeOptions::default(),
        1_000,
        &mut out,
    );
    let samples = out
        .iter()
        .filter(|s| !is_stale_nan(s.value))
        .map(sample_line)
        .collect();
    (outcome.error, outcome.samples_scraped, samples)
}

fn sample_line(s: &Sample) -> String {
    let mut line = format!("{} @{} {:#x}", s.labels, s.timestamp_ms, s.value.to_bits());
    if let Some(ex) = &s.exemplar {
        let _ = write!(
            line,
            " # {} {:#x} {:?}",
            ex.labels,
            ex.value.to_bits(),
            ex.timestamp_ms
        );
    }
    line
}

// ---------------------------------------------------------------------------------------------------------
// receive_http_decode

/// The `Content-Type`s `prometheus.receive_http` accepts: none, RW 1.0 by default and by name, RW 2.0.
pub const RECEIVE_HTTP_CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("application/x-protobuf"),
    Some("application/x-protobuf;proto=prometheus.WriteRequest"),
    Some("application/x-protobuf; proto=io.prometheus.write.v2.Request"),
];

/// The `Content-Encoding`s it accepts: none (the body is snappy all the same) and `snappy`.
pub const RECEIVE_HTTP_ENCODINGS: &[Option<&str>] = &[None, Some("snappy")];

/// `prometheus.receive_http`'s request decoder: the bytes as a request body under every content type
/// and encoding it accepts, and also snappy-compressed first, so that the bytes themselves are the
/// protobuf message. A request that decodes must decode to the same samples once encoded again by
/// ingot's own remote-write encoder.
pub fn receive_http_decode(data: &[u8]) {
    let mut compressed = Vec::new();
    snappy_compress(data, &mut compressed);
    for body in [data, compressed.as_slice()] {
        for &ct in RECEIVE_HTTP_CONTENT_TYPES {
            for &enc in RECEIVE_HTTP_ENCODINGS {
                let Ok(decoded) = decode_request(ct, enc, body, &[Protocol::V1, Protocol::V2])
                else {
                    continue;
                };
                let v2 = ct.is_some_and(|c| c.contains("v2"));
                check_round_trip(&decoded.samples, v2);
            }
        }
    }
}

fn check_round_trip(samples: &[Sample], v2: bool) {
    let mut raw = Vec::new();
    let (ct, protocol) = if v2 {
        encode_v2(
            &mut raw,
            &ExternalLabels::default(),
            samples,
            false,
            &Default::default(),
        );
        (RECEIVE_HTTP_CONTENT_TYPES[3], Protocol::V2)
    } else {
        encode_v1(&mut raw, &ExternalLabels::default(), samples, false, &[]);
        (None, Protocol::V1)
    };
    let mut body = Vec::new();
    snappy_compress(&raw, &mut body);
    let again = match decode_request(ct, Some("snappy"), &body, &[protocol]) {
        Ok(d) => d.samples,
        Err(e) => panic!("re-encoded request refused ({}): {}", e.status, e.reason),
    };
    let lines = |s: &[Sample]| s.iter().map(sample_line).collect::<Vec<_>>();
    assert_eq!(
        lines(samples),
        lines(&again),
        "samples changed in a round trip"
    );
}
