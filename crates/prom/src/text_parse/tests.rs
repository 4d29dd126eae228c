//! Data-driven cases, most taken from Prometheus' own parser tests
//! (`promparse_test.go`, `openmetricsparse_test.go`), so the accepted inputs,
//! the resulting label sets and the error texts stay Prometheus'.

use super::*;
use expect_test::{expect, Expect};
use std::fmt::Write as _;

/// One line per entry; samples show the label set Prometheus' `Labels()`
/// would build, then value, timestamp, exemplar.
fn render_entry(out: &mut String, e: &Entry<'_, '_>) {
    match e {
        Entry::Help { .. } => {
            let _ = writeln!(
                out,
                "help {} {}",
                go_quote(e.metadata_metric().unwrap().as_bytes()),
                go_quote(e.help_text().unwrap().as_bytes())
            );
        }
        Entry::Type { metric, kind } => {
            let _ = writeln!(out, "type {} {}", go_quote(metric), kind.as_str());
        }
        Entry::Unit { metric, unit } => {
            let _ = writeln!(out, "unit {} {}", go_quote(metric), go_quote(unit));
        }
        Entry::Comment(c) => {
            let _ = writeln!(out, "comment {}", go_quote(c));
        }
        Entry::Sample(s) => {
            let v = s.value();
            let vs = if v.is_nan() {
                format!("NaN(0x{:x})", v.to_bits())
            } else {
                format!("{v:?}")
            };
            let _ = write!(out, "sample {} {}", s.to_labels(), vs);
            if let Some(ts) = s.timestamp() {
                let _ = write!(out, " @{ts}");
            }
            if let Some(ex) = s.exemplar() {
                let _ = write!(out, " # {} {:?}", ex.to_labels(), ex.value());
                if let Some(ts) = ex.timestamp() {
                    let _ = write!(out, " @{ts}");
                }
            }
            out.push('\n');
        }
    }
}

fn render_prom(input: &[u8]) -> String {
    let fast = render_prom_with(PromParser::new(input));
    let exact = render_prom_with(PromParser::new(input).exact_only());
    assert_eq!(fast, exact, "fast and exact paths disagree");
    fast
}

fn render_prom_with(mut p: PromParser<'_>) -> String {
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

fn render_om(input: &[u8], opts: openmetrics::OpenMetricsOptions) -> String {
    render_om_with(OpenMetricsParser::with_options(input, opts))
}

fn render_om_with(mut p: OpenMetricsParser<'_>) -> String {
    let mut out = String::new();
    loop {
        match p.next_entry() {
            Ok(Some(e)) => {
                let is_sample = matches!(e, Entry::Sample(_));
                render_entry(&mut out, &e);
                if is_sample {
                    let st = p.start_timestamp();
                    if st != 0 {
                        out.pop();
                        let _ = writeln!(out, " st={st}");
                    }
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

fn check_prom(input: &str, expect: Expect) {
    expect.assert_eq(&render_prom(input.as_bytes()));
}

fn check_om(input: &str, expect: Expect) {
    expect.assert_eq(&render_om(input.as_bytes(), Default::default()));
}

fn prom_error(input: &[u8]) -> Option<ParseError> {
    let mut p = PromParser::new(input);
    let mut q = PromParser::new(input).exact_only();
    let a = loop {
        match p.next_entry() {
            Ok(Some(_)) => {}
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let b = loop {
        match q.next_entry() {
            Ok(Some(_)) => {}
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    assert_eq!(a, b, "fast and exact paths disagree on {:?}", input);
    a
}

fn om_error(input: &[u8]) -> Option<ParseError> {
    let mut p = OpenMetricsParser::new(input);
    loop {
        match p.next_entry() {
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(e) => return Some(e),
        }
    }
}

#[test]
fn prom_parse_prometheus_fixture() {
    let mut input = String::from(
        r#"# HELP go_gc_duration_seconds A summary of the GC invocation durations.
# 	TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 4.9351e-05
go_gc_duration_seconds{quantile="0.25",} 7.424100000000001e-05
go_gc_duration_seconds{quantile="0.5",a="b"} 8.3835e-05
go_gc_duration_seconds{quantile="0.8", a="b"} 8.3835e-05
go_gc_duration_seconds{ quantile="0.9", a="b"} 8.3835e-05
# HELP prometheus_http_request_duration_seconds Histogram of latencies for HTTP requests.
# TYPE prometheus_http_request_duration_seconds histogram
prometheus_http_request_duration_seconds_bucket{handler="/",le="1"} 423
prometheus_http_request_duration_seconds_bucket{handler="/",le="2"} 1423
prometheus_http_request_duration_seconds_bucket{handler="/",le="+Inf"} 1423
prometheus_http_request_duration_seconds_sum{handler="/"} 2000
prometheus_http_request_duration_seconds_count{handler="/"} 1423
# Hrandom comment starting with prefix of HELP
#
wind_speed{A="2",c="3"} 12345
# comment with escaped \n newline
# comment with escaped \ escape character
# HELP nohelp1
# HELP nohelp2 
go_gc_duration_seconds{ quantile="1.0", a="b" } 8.3835e-05
go_gc_duration_seconds { quantile="1.0", a="b" } 8.3835e-05
go_gc_duration_seconds { quantile= "1.0", a= "b", } 8.3835e-05
go_gc_duration_seconds { quantile = "1.0", a = "b" } 8.3835e-05
go_gc_duration_seconds { quantile = "2.0" a = "b" } 8.3835e-05
go_gc_duration_seconds_count 99
some:aggregate:rate5m{a_b="c"}	1
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 33  	123123
# TYPE some_counter_total counter
# HELP some_counter_total Help after type.
some_counter_total 12
# HELP nohelp3
_metric_starting_with_underscore 1
testmetric{_label_starting_with_underscore="foo"} 1
testmetric{label="\"bar\""} 1
testmetric{le="10"} 1"#,
    );
    input.push_str("\n# HELP metric foo\x00bar");
    input.push_str("\nnull_byte_metric{a=\"abc\x00\"} 1");
    check_prom(
        &input,
        expect![[r##"
            help "go_gc_duration_seconds" "A summary of the GC invocation durations."
            type "go_gc_duration_seconds" summary
            sample {__name__="go_gc_duration_seconds", quantile="0.0"} 4.9351e-5
            sample {__name__="go_gc_duration_seconds", quantile="0.25"} 7.424100000000001e-5
            sample {__name__="go_gc_duration_seconds", a="b", quantile="0.5"} 8.3835e-5
            sample {__name__="go_gc_duration_seconds", a="b", quantile="0.8"} 8.3835e-5
            sample {__name__="go_gc_duration_seconds", a="b", quantile="0.9"} 8.3835e-5
            help "prometheus_http_request_duration_seconds" "Histogram of latencies for HTTP requests."
            type "prometheus_http_request_duration_seconds" histogram
            sample {__name__="prometheus_http_request_duration_seconds_bucket", handler="/", le="1.0"} 423.0
            sample {__name__="prometheus_http_request_duration_seconds_bucket", handler="/", le="2.0"} 1423.0
            sample {__name__="prometheus_http_request_duration_seconds_bucket", handler="/", le="+Inf"} 1423.0
            sample {__name__="prometheus_http_request_duration_seconds_sum", handler="/"} 2000.0
            sample {__name__="prometheus_http_request_duration_seconds_count", handler="/"} 1423.0
            comment "# Hrandom comment starting with prefix of HELP"
            comment "#"
            sample {A="2", __name__="wind_speed", c="3"} 12345.0
            comment "# comment with escaped \\n newline"
            comment "# comment with escaped \\ escape character"
            help "nohelp1" ""
            help "nohelp2" ""
            sample {__name__="go_gc_duration_seconds", a="b", quantile="1.0"} 8.3835e-5
            sample {__name__="go_gc_duration_seconds", a="b", quantile="1.0"} 8.3835e-5
            sample {__name__="go_gc_duration_seconds", a="b", quantile="1.0"} 8.3835e-5
            sample {__name__="go_gc_duration_seconds", a="b", quantile="1.0"} 8.3835e-5
            sample {__name__="go_gc_duration_seconds", a="b", quantile="2.0"} 8.3835e-5
            sample {__name__="go_gc_duration_seconds_count"} 99.0
            sample {__name__="some:aggregate:rate5m", a_b="c"} 1.0
            help "go_goroutines" "Number of goroutines that currently exist."
            type "go_goroutines" gauge
            sample {__name__="go_goroutines"} 33.0 @123123
            type "some_counter_total" counter
            help "some_counter_total" "Help after type."
            sample {__name__="some_counter_total"} 12.0
            help "nohelp3" ""
            sample {__name__="_metric_starting_with_underscore"} 1.0
            sample {__name__="testmetric", _label_starting_with_underscore="foo"} 1.0
            sample {__name__="testmetric", label="\"bar\""} 1.0
            sample {__name__="testmetric", le="10"} 1.0
            help "metric" "foo\x00bar"
            sample {__name__="null_byte_metric", a="abc\x00"} 1.0
        "##]],
    );
}

#[test]
fn prom_parse_utf8_names() {
    check_prom(
        r#"# HELP "go.gc_duration_seconds" A summary of the GC invocation durations.
# 	TYPE "go.gc_duration_seconds" summary
{"go.gc_duration_seconds",quantile="0"} 4.9351e-05
{"go.gc_duration_seconds",quantile="0.25",} 7.424100000000001e-05
{"go.gc_duration_seconds",quantile="0.5",a="b"} 8.3835e-05
{"go.gc_duration_seconds",quantile="0.8", a="b"} 8.3835e-05
{"go.gc_duration_seconds", quantile="0.9", a="b"} 8.3835e-05
{"go.gc_duration_seconds", quantile="1.0", a="b" } 8.3835e-05
{ "go.gc_duration_seconds", quantile="1.0", a="b" } 8.3835e-05
{ "go.gc_duration_seconds", quantile= "1.0", a= "b", } 8.3835e-05
{ "go.gc_duration_seconds", quantile = "1.0", a = "b" } 8.3835e-05
{"go.gc_duration_seconds_count"} 99
{"Heizölrückstoßabdämpfung 10€ metric with \"interesting\" {character\nchoices}","strange©™\n'quoted' \"name\""="6"} 10.0"#,
        expect![[r##"
            help "go.gc_duration_seconds" "A summary of the GC invocation durations."
            type "go.gc_duration_seconds" summary
            sample {__name__="go.gc_duration_seconds", quantile="0.0"} 4.9351e-5
            sample {__name__="go.gc_duration_seconds", quantile="0.25"} 7.424100000000001e-5
            sample {__name__="go.gc_duration_seconds", a="b", quantile="0.5"} 8.3835e-5
            sample {__name__="go.gc_duration_seconds", a="b", quantile="0.8"} 8.3835e-5
            sample {__name__="go.gc_duration_seconds", a="b", quantile="0.9"} 8.3835e-5
            sample {__name__="go.gc_duration_seconds", a="b", quantile="1.0"} 8.3835e-5
            sample {__name__="go.gc_duration_seconds", a="b", quantile="1.0"} 8.3835e-5
            sample {__name__="go.gc_duration_seconds", a="b", quantile="1.0"} 8.3835e-5
            sample {__name__="go.gc_duration_seconds", a="b", quantile="1.0"} 8.3835e-5
            sample {__name__="go.gc_duration_seconds_count"} 99.0
            sample {__name__="Heizölrückstoßabdämpfung 10€ metric with \"interesting\" {character\nchoices}", strange©™
            'quoted' "name"="6"} 10.0
        "##]],
    );
}

#[test]
fn prom_parse_errors_match_prometheus() {
    // (input, Prometheus' exact error, line:column of the token).
    let cases: &[(&[u8], &str, (usize, usize))] = &[
        (
            b"a",
            r###"expected value after metric, got "\n" ("INVALID") while parsing: "a\n""###,
            (1, 2),
        ),
        (
            b"a{b='c'} 1\n",
            r###"expected label value, got "'" ("INVALID") while parsing: "a{b='""###,
            (1, 5),
        ),
        (
            b"a{b=\n",
            r###"expected label value, got "\n" ("INVALID") while parsing: "a{b=\n""###,
            (1, 5),
        ),
        (
            b"a{\xff=\"foo\"} 1\n",
            r###"expected label name, got "\xff" ("INVALID") while parsing: "a{\xff""###,
            (1, 3),
        ),
        (
            b"a{b=\"\xff\"} 1\n",
            r###"invalid UTF-8 label value: "\"\xff\"""###,
            (1, 5),
        ),
        (
            br###"{"a", "b = "c"}"###,
            r###"expected equal, got "c\"" ("LNAME") while parsing: "{\"a\", \"b = \"c\"""###,
            (1, 13),
        ),
        (
            br###"{"a",b\nc="d"} 1"###,
            r###"expected equal, got "\\" ("INVALID") while parsing: "{\"a\",b\\""###,
            (1, 7),
        ),
        (
            b"a true\n",
            r###"strconv.ParseFloat: parsing "true": invalid syntax while parsing: "a true""###,
            (1, 3),
        ),
        (
            b"something_weird{problem=\"",
            r###"expected label value, got "\"\n" ("INVALID") while parsing: "something_weird{problem=\"\n""###,
            (1, 25),
        ),
        (
            b"empty_label_name{=\"\"} 0",
            r###"expected label name, got "=\"" ("EQUAL") while parsing: "empty_label_name{=\"""###,
            (1, 18),
        ),
        (
            b"{A}0",
            r###"expected equal, got "}0" ("BCLOSE") while parsing: "{A}0""###,
            (1, 3),
        ),
        (
            b"foo 1_2\n",
            r###"unsupported character in float while parsing: "foo 1_2""###,
            (1, 5),
        ),
        (
            b"foo 0x1p-3\n",
            r###"unsupported character in float while parsing: "foo 0x1p-3""###,
            (1, 5),
        ),
        (
            b"foo 0x1P-3\n",
            r###"unsupported character in float while parsing: "foo 0x1P-3""###,
            (1, 5),
        ),
        (
            b"foo 0 1_2\n",
            r###"expected next entry after timestamp, got "_" ("INVALID") while parsing: "foo 0 1_""###,
            (1, 8),
        ),
        (
            br###"{a="ok"} 1"###,
            r###"metric name not set while parsing: "{a=\"ok\"} 1""###,
            (1, 1),
        ),
        (
            b"# TYPE #\n#EOF\n",
            r##"expected metric name after TYPE, got "#" ("INVALID") while parsing: "# TYPE #""##,
            (1, 8),
        ),
        (
            b"# HELP #\n#EOF\n",
            r##"expected metric name after HELP, got "#" ("INVALID") while parsing: "# HELP #""##,
            (1, 8),
        ),
        // Null bytes (TestPromNullByteHandling).
        (
            b"a{b=\x00\"ssss\"} 1\n",
            r###"expected label value, got "\x00" ("INVALID") while parsing: "a{b=\x00""###,
            (1, 5),
        ),
        (
            b"a{b=\"\x00",
            r###"expected label value, got "\"\x00\n" ("INVALID") while parsing: "a{b=\"\x00\n""###,
            (1, 5),
        ),
        (
            b"a{b\x00=\"hiih\"}\t1",
            r###"expected equal, got "\x00" ("INVALID") while parsing: "a{b\x00""###,
            (1, 4),
        ),
        (
            b"a\x00{b=\"ddd\"} 1",
            r###"expected value after metric, got "\x00" ("INVALID") while parsing: "a\x00""###,
            (1, 2),
        ),
        (
            b"a 0 1\x00",
            r###"expected next entry after timestamp, got "\x00" ("INVALID") while parsing: "a 0 1\x00""###,
            (1, 6),
        ),
        // More edge cases, with the messages Prometheus' lexer yields.
        (
            b"# TYPE foo bar\n",
            r###"invalid metric type "bar""###,
            (1, 11),
        ),
        (
            b"# TYPE foo  counter\n",
            r###"invalid metric type " counter""###,
            (1, 11),
        ),
        (
            b"# TYPE foo counter\r\n",
            r###"invalid metric type "counter\r""###,
            (1, 11),
        ),
        (
            b"foo 1\r\n",
            r###"strconv.ParseFloat: parsing "1\r": invalid syntax while parsing: "foo 1\r""###,
            (1, 5),
        ),
        (
            b"foo 1 2\r\n",
            r###"expected next entry after timestamp, got "\r" ("INVALID") while parsing: "foo 1 2\r""###,
            (1, 8),
        ),
        (
            b"foo 1 -2\n",
            r###"expected timestamp or new record, got "-" ("INVALID") while parsing: "foo 1 -""###,
            (1, 7),
        ),
        (
            b"foo 1 1.5\n",
            r###"expected next entry after timestamp, got "." ("INVALID") while parsing: "foo 1 1.""###,
            (1, 8),
        ),
        (
            b"foo 1 99999999999999999999\n",
            r###"strconv.ParseInt: parsing "99999999999999999999": value out of range while parsing: "foo 1 99999999999999999999""###,
            (1, 7),
        ),
        (
            b"foo 1e400\n",
            r###"strconv.ParseFloat: parsing "1e400": value out of range while parsing: "foo 1e400""###,
            (1, 5),
        ),
        (
            b"foo StaleNaN\n",
            r###"strconv.ParseFloat: parsing "StaleNaN": invalid syntax while parsing: "foo StaleNaN""###,
            (1, 5),
        ),
        (
            b"foo +nan\n",
            r###"strconv.ParseFloat: parsing "+nan": invalid syntax while parsing: "foo +nan""###,
            (1, 5),
        ),
        (
            b"foo{a=\"1\"}{b=\"2\"} 1\n",
            r###"expected value after metric, got "{b" ("BOPEN") while parsing: "foo{a=\"1\"}{b""###,
            (1, 11),
        ),
        (
            b"foo{a=\"1\",,} 1\n",
            r###"expected label name, got ",}" ("COMMA") while parsing: "foo{a=\"1\",,}""###,
            (1, 11),
        ),
        (
            b"foo{a:b=\"1\"} 1\n",
            r###"expected equal, got ":" ("INVALID") while parsing: "foo{a:""###,
            (1, 6),
        ),
        (
            b"foo{\"x\"} 1\n",
            r###"metric name already set while parsing: "foo{\"x\"}""###,
            (1, 5),
        ),
        (
            b"{\"x\",\"y\"} 1\n",
            r###"metric name already set while parsing: "{\"x\",\"y\"}""###,
            (1, 6),
        ),
        (
            b"9abc 1\n",
            r###"expected a valid start token, got "9" ("INVALID") while parsing: "9""###,
            (1, 1),
        ),
        (
            b"ok 1\n\nbad\n",
            r###"expected value after metric, got "\n" ("INVALID") while parsing: "bad\n""###,
            (3, 4),
        ),
        (
            b"# HELP foo \xff\n",
            r###"help text "\xff" is not a valid utf8 string"###,
            (1, 11),
        ),
        // Duplicate names: Prometheus' storage rejects these and fails the scrape.
        (
            b"test{a=\"1\",a=\"1\"} 1\n",
            r###"label name "a" is not unique: invalid sample"###,
            (1, 12),
        ),
        (
            b"test{b=\"1\",a=\"2\",b=\"3\"} 1\n",
            r###"label name "b" is not unique: invalid sample"###,
            (1, 18),
        ),
        (
            b"test{__name__=\"x\"} 1\n",
            r###"label name "__name__" is not unique: invalid sample"###,
            (1, 6),
        ),
        (
            b"test{a=\"1\",\"a\"=\"2\"} 1\n",
            r###"label name "a" is not unique: invalid sample"###,
            (1, 13),
        ),
    ];
    for (i, (input, msg, pos)) in cases.iter().enumerate() {
        let err = prom_error(input).unwrap_or_else(|| panic!("case {i}: {:?} parsed", input));
        assert_eq!(err.message, *msg, "case {i}: {}", go_quote(input));
        assert_eq!(
            (err.line, err.column),
            *pos,
            "case {i}: {}",
            go_quote(input)
        );
    }
}

#[test]
fn prom_null_bytes_accepted() {
    for input in [
        &b"null_byte_metric{a=\"abc\x00\"} 1"[..],
        b"a{b=\"\x00ss\"} 1\n",
        b"a{b=\"\x00\"} 1\n",
    ] {
        assert_eq!(prom_error(input), None, "{}", go_quote(input));
    }
    // A NUL at the start of a line ends the body, as in Prometheus' lexer.
    check_prom(
        "a 1\n\x00b 2\n",
        expect![[r##"
            sample {__name__="a"} 1.0
        "##]],
    );
    // Escapes with NULs between the backslash and the escaped byte.
    check_prom(
        "a{b=\"x\\\x00\"\"} 1\n",
        expect![[r##"
            sample {__name__="a", b="x\\\x00\""} 1.0
        "##]],
    );
}

#[test]
fn prom_bare_identifier_in_braces_does_not_panic() {
    assert_eq!(
        prom_error(b"{A} 0\n").unwrap().message,
        r#"expected equal, got "} " ("BCLOSE") while parsing: "{A} ""#
    );
}

#[test]
fn prom_values_and_timestamps() {
    check_prom(
        "a NaN\nb +Inf\nc -Inf\nd Inf\ne nan\nf 1e3 0\ng .5 0\nh 5. 1700000000000\ni -0\nj Infinity\nk 0x10\n",
        expect![[r##"
            sample {__name__="a"} NaN(0x7ff8000000000001)
            sample {__name__="b"} inf
            sample {__name__="c"} -inf
            sample {__name__="d"} inf
            sample {__name__="e"} NaN(0x7ff8000000000001)
            sample {__name__="f"} 1000.0 @0
            sample {__name__="g"} 0.5 @0
            sample {__name__="h"} 5.0 @1700000000000
            sample {__name__="i"} -0.0
            sample {__name__="j"} inf
            error 11:3: strconv.ParseFloat: parsing "0x10": invalid syntax while parsing: "k 0x10"
        "##]],
    );
}

/// Lines of the common shape with one thing wrong or unusual, long enough and far enough from
/// the end of the body for the fast path's sixteen-byte scans: it must answer exactly as the
/// exact path does.
#[test]
fn prom_fast_paths_agree_on_odd_long_lines() {
    let pad = "x".repeat(60);
    let lines = [
        format!("m{{a=\"{pad}\",b=\"2\"}} 1"),
        format!("m{{a.b=\"{pad}\"}} 1"),
        format!("m{{a-b=\"{pad}\"}} 1"),
        format!("m{{9a=\"{pad}\"}} 1"),
        format!("m{{=\"{pad}\"}} 1"),
        format!("m{{a=\"{pad}\",a=\"2\"}} 1"),
        format!("m{{b=\"{pad}\",a=\"2\",b=\"3\"}} 1"),
        format!("m{{__name__=\"{pad}\"}} 1"),
        format!("m{{a=\"{pad}\",}} 1"),
        format!("m{{a=\"{pad}\",,b=\"1\"}} 1"),
        format!("m{{a=\"{pad}\" b=\"1\"}} 1"),
        format!("m{{a=\"{pad}\"b=\"1\"}} 1"),
        format!("m{{a =\"{pad}\"}} 1"),
        format!("m{{a= \"{pad}\"}} 1"),
        format!("m{{a=\"{pad}\"}}1"),
        format!("m{{a=\"{pad}\"}}\t1\t2"),
        format!("m{{a=\"{pad}é\"}} 1"),
        format!("m{{a=\"{pad}\\\"\"}} 1"),
        format!("m{{a=\"{pad}\"}} 1 2 3"),
        format!("m{{a=\"{pad}\"}} 0x1"),
        format!("m{{a=\"{pad}\",b=\"unterminated}} 1"),
        format!("m{{a=\"{pad}\"}}"),
        format!("m{{\"quoted\"=\"{pad}\"}} 1"),
        format!("m{{\"m2\",a=\"{pad}\"}} 1"),
        format!("m:x{{a=\"{pad}\"}} 1"),
        format!("m{{a:b=\"{pad}\"}} 1"),
    ];
    for line in &lines {
        for body in [
            format!("{line}\n# {pad}{pad}{pad}{pad}\n"),
            format!("{line}\n{line}\n# {pad}{pad}{pad}{pad}{pad}\n"),
        ] {
            assert_eq!(
                render_prom_with(PromParser::new(body.as_bytes())),
                render_prom_with(PromParser::new(body.as_bytes()).exact_only()),
                "{line}"
            );
        }
    }
}

/// Metadata lines near the common shape: the fast path answers exactly as the exact path, or
/// leaves them to it.
#[test]
fn prom_fast_paths_agree_on_odd_metadata_lines() {
    let lines: &[&[u8]] = &[
        b"# HELP a x y z",
        b"# HELP a ",
        b"# HELP a   ",
        b"# HELP a",
        b"# HELP a  x",
        b"# HELP a \tx",
        b"# HELP a x\0y",
        b"# HELP a x\\ny \\\\",
        b"# HELP a \xc3\xa9",
        b"# HELP a \xff",
        b"# HELP a{ x",
        b"# HELP a:b_c x",
        b"# HELP \"a\" x",
        b"#  HELP a x",
        b"#\tHELP a x",
        b"# HELP  a x",
        b"# HELPa x",
        b"# TYPE a gauge",
        b"# TYPE a gauge ",
        b"# TYPE a  gauge",
        b"# TYPE a info",
        b"# TYPE a untyped",
        b"# TYPE a",
        b"# TYPE a Gauge",
        b"# TYPE 1a gauge",
    ];
    for line in lines {
        for end in [&b"\n"[..], b"\nm 1\n", b""] {
            let body = [*line, end].concat();
            assert_eq!(
                render_prom_with(PromParser::new(&body)),
                render_prom_with(PromParser::new(&body).exact_only()),
                "{}",
                String::from_utf8_lossy(&body)
            );
        }
    }
}

/// OpenMetrics metadata lines near the common shape: the fast path answers exactly as the exact
/// path, or leaves them to it.
#[test]
fn om_fast_paths_agree_on_odd_metadata_lines() {
    let lines: &[&[u8]] = &[
        b"# HELP a x y z",
        b"# HELP a ",
        b"# HELP a",
        b"# HELP a  x",
        b"# HELP a x\0y",
        b"# HELP a \\\"q\\\" \\n",
        b"# HELP a \xc3\xa9",
        b"# HELP a \xff",
        b"# HELP a{ x",
        b"# HELP \"a\" x",
        b"#  HELP a x",
        b"# HELP  a x",
        b"# TYPE a gauge",
        b"# TYPE a gauge ",
        b"# TYPE a info",
        b"# TYPE a stateset",
        b"# TYPE a untyped",
        b"# TYPE a",
        b"# UNIT a_seconds seconds",
        b"# UNIT a_seconds bytes",
        b"# UNIT a_seconds ",
        b"# UNIT seconds seconds",
        b"# UNIT a seconds",
    ];
    for line in lines {
        for end in [&b"\n# EOF\n"[..], b"\na 1\n# EOF\n", b""] {
            let body = [*line, end].concat();
            assert_eq!(
                render_om_with(OpenMetricsParser::new(&body)),
                render_om_with(OpenMetricsParser::new(&body).exact_only()),
                "{}",
                String::from_utf8_lossy(&body)
            );
        }
    }
}

#[test]
fn prom_known_series_reads_only_that_line() {
    let body =
        b"m{a=\"1\"} 1\nm{a=\"1\"}\t2 1700\nm 3\nm {a=\"1\"} 4\nm{a=\"1\"}5\n# c\nm{a=\"1\"} 6";
    let mut p = PromParser::new(body);
    // Another series, or a prefix of this one: not taken, nothing consumed.
    assert_eq!(p.next_known_sample(b"m{a=\"2\"}"), None);
    assert_eq!(p.next_known_sample(b"m{a=\"1\""), None);
    assert_eq!(p.next_known_sample(b"m"), None);
    assert_eq!(p.next_known_sample(b"m{a=\"1\"}"), Some((1.0, None)));
    assert_eq!(p.next_known_sample(b"m{a=\"1\"}"), Some((2.0, Some(1700))));
    assert_eq!(p.next_known_sample(b"m"), Some((3.0, None)));
    // `m {a="1"} 4` carries labels after the blank: `m` alone must not take it.
    assert_eq!(p.next_known_sample(b"m"), None);
    match p.next_entry().unwrap() {
        Some(Entry::Sample(s)) => assert_eq!((s.series(), s.value()), (&b"m {a=\"1\"}"[..], 4.0)),
        _ => panic!("expected the sample"),
    }
    // No blank after the series: left to the full parse.
    assert_eq!(p.next_known_sample(b"m{a=\"1\"}"), None);
    assert!(matches!(p.next_entry().unwrap(), Some(Entry::Sample(_))));
    // A comment line is never a known sample.
    assert_eq!(p.next_known_sample(b"m{a=\"1\"}"), None);
    assert!(matches!(p.next_entry().unwrap(), Some(Entry::Comment(_))));
    // The last line has no newline.
    assert_eq!(p.next_known_sample(b"m{a=\"1\"}"), Some((6.0, None)));
    assert!(p.next_entry().unwrap().is_none());
}

#[test]
fn prom_whitespace_and_lines() {
    check_prom(
        "\n\n  \t\na{x=\"1\"}2\nb\t3\t4\n  \nc{} 5  \nd 6 7 \t\n",
        expect![[r##"
            sample {__name__="a", x="1"} 2.0
            sample {__name__="b"} 3.0 @4
            sample {__name__="c"} 5.0
            sample {__name__="d"} 6.0 @7
        "##]],
    );
    // Prometheus keeps leading blanks in the metric name (its offsets start
    // at the line start); name validation later rejects such a series.
    check_prom(
        "  lead 1\n",
        expect![[r##"
            sample {__name__="  lead"} 1.0
        "##]],
    );
    // A raw newline inside a quoted label value is accepted by the text format.
    check_prom(
        "a{b=\"x\ny\"} 1\n",
        expect![[r##"
            sample {__name__="a", b="x\ny"} 1.0
        "##]],
    );
}

#[test]
fn prom_escapes() {
    check_prom(
        r#"# HELP m a\\b\nc\"d\t
m{a="x\\y",b="q\"r",c="l1\nl2",d="t\tu"} 1
"#,
        expect![[r##"
            help "m" "a\\b\nc\\\"d\\t"
            sample {__name__="m", a="x\\y", b="q\"r", c="l1\nl2", d="t\\tu"} 1.0
        "##]],
    );
}

#[test]
fn prom_comments_and_metadata_quirks() {
    check_prom(
        "#HELP x y\n# HELP\n# HELP  a  b\n# TYPE u untyped\n# FOO bar\n#\ttype x\n# HELP a{b} c\n",
        expect![[r##"
            comment "#HELP x y"
            comment "# HELP"
            help "a" " b"
            type "u" unknown
            comment "# FOO bar"
            comment "#\ttype x"
            help "a" "b} c"
        "##]],
    );
}

#[test]
fn prom_type_inheritance_normalises_le() {
    // Like Prometheus, the last TYPE applies until the next one, so `le` of a
    // following untyped family is still normalised.
    check_prom(
        "# TYPE h histogram\nh_bucket{le=\"1e6\"} 1\nother{le=\"5\"} 1\nh_bucket{le=\"abc\"} 1\n# TYPE s summary\ns{quantile=\"0.990\",le=\"1\"} 1\n",
        expect![[r##"
            type "h" histogram
            sample {__name__="h_bucket", le="1e+06"} 1.0
            sample {__name__="other", le="5.0"} 1.0
            sample {__name__="h_bucket", le="abc"} 1.0
            type "s" summary
            sample {__name__="s", le="1", quantile="0.99"} 1.0
        "##]],
    );
}

#[test]
fn om_parse_prometheus_fixture() {
    let mut input = String::from(
        r#"# HELP go_gc_duration_seconds A summary of the GC invocation durations.
# TYPE go_gc_duration_seconds summary
# UNIT go_gc_duration_seconds seconds
go_gc_duration_seconds{quantile="0"} 4.9351e-05
go_gc_duration_seconds{quantile="0.25"} 7.424100000000001e-05
go_gc_duration_seconds{quantile="0.5",a="b"} 8.3835e-05
# HELP nohelp1 
# HELP help2 escape \ \n \\ \" \x chars
# UNIT nounit 
go_gc_duration_seconds{quantile="1.0",a="b"} 8.3835e-05
go_gc_duration_seconds_count 99
some:aggregate:rate5m{a_b="c"} 1
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 33 123.123
# TYPE hh histogram
hh_bucket{le="+Inf"} 1
# TYPE gh gaugehistogram
gh_bucket{le="+Inf"} 1
# TYPE hhh histogram
hhh_bucket{le="+Inf"} 1 # {id="histogram-bucket-test"} 4
hhh_count 1 # {id="histogram-count-test"} 4
# TYPE ggh gaugehistogram
ggh_bucket{le="+Inf"} 1 # {id="gaugehistogram-bucket-test",xx="yy"} 4 123.123
ggh_count 1 # {id="gaugehistogram-count-test",xx="yy"} 4 123.123
# TYPE smr_seconds summary
smr_seconds_count 2.0 # {id="summary-count-test"} 1 123.321
smr_seconds_sum 42.0 # {id="summary-sum-test"} 1 123.321
# TYPE ii info
ii{foo="bar"} 1
# TYPE ss stateset
ss{ss="foo"} 1
ss{ss="bar"} 0
ss{A="a"} 0
# TYPE un unknown
_metric_starting_with_underscore 1
testmetric{_label_starting_with_underscore="foo"} 1
testmetric{label="\"bar\""} 1
# HELP foo Counter with and without labels to certify ST is parsed for both cases
# TYPE foo counter
foo_total 17.0 1520879607.789 # {id="counter-test"} 5
foo_created 1520872607.123
foo_total{a="b"} 17.0 1520879607.789 # {id="counter-test"} 5
foo_created{a="b"} 1520872607.123
foo_total{le="c"} 21.0
foo_created{le="c"} 1520872621.123
foo_total{le="1"} 10.0
# HELP bar Summary with ST at the end, making sure we find ST even if it's multiple lines a far
# TYPE bar summary
bar_count 17.0
bar_sum 324789.3
bar{quantile="0.95"} 123.7
bar{quantile="0.99"} 150.0
bar_created 1520872608.124
# HELP baz Histogram with the same objective as above's summary
# TYPE baz histogram
baz_bucket{le="0.0"} 0
baz_bucket{le="+Inf"} 17
baz_count 17
baz_sum 324789.3
baz_created 1520872609.125
# HELP fizz_created Gauge which shouldn't be parsed as ST
# TYPE fizz_created gauge
fizz_created 17.0
# HELP something Histogram with _created between buckets and summary
# TYPE something histogram
something_count 18
something_sum 324789.4
something_created 1520430001
something_bucket{le="0.0"} 1
something_bucket{le="1"} 2
something_bucket{le="+Inf"} 18
# HELP yum Summary with _created between sum and quantiles
# TYPE yum summary
yum_count 20
yum_sum 324789.5
yum_created 1520430003
yum{quantile="0.95"} 123.7
yum{quantile="0.99"} 150.0
# HELP foobar Summary with _created as the first line
# TYPE foobar summary
foobar_count 21
foobar_created 1520430004
foobar_sum 324789.6
foobar{quantile="0.95"} 123.8
foobar{quantile="0.99"} 150.1
# HELP nansum Summary with NaN value
# TYPE nansum summary
nansum_count 0
nansum_sum 0.0
nansum{quantile="0.95"} nan
nansum{quantile="0.99"} NaN"#,
    );
    input.push_str("\n# HELP metric foo\x00bar");
    input.push_str("\nnull_byte_metric{a=\"abc\x00\"} 1");
    input.push_str("\n# EOF\n");
    expect![[r#"
        help "go_gc_duration_seconds" "A summary of the GC invocation durations."
        type "go_gc_duration_seconds" summary
        unit "go_gc_duration_seconds" "seconds"
        sample {__name__="go_gc_duration_seconds", quantile="0.0"} 4.9351e-5
        sample {__name__="go_gc_duration_seconds", quantile="0.25"} 7.424100000000001e-5
        sample {__name__="go_gc_duration_seconds", a="b", quantile="0.5"} 8.3835e-5
        help "nohelp1" ""
        help "help2" "escape \\ \n \\ \" \\x chars"
        unit "nounit" ""
        sample {__name__="go_gc_duration_seconds", a="b", quantile="1.0"} 8.3835e-5
        sample {__name__="go_gc_duration_seconds_count"} 99.0
        sample {__name__="some:aggregate:rate5m", a_b="c"} 1.0
        help "go_goroutines" "Number of goroutines that currently exist."
        type "go_goroutines" gauge
        sample {__name__="go_goroutines"} 33.0 @123123
        type "hh" histogram
        sample {__name__="hh_bucket", le="+Inf"} 1.0
        type "gh" gaugehistogram
        sample {__name__="gh_bucket", le="+Inf"} 1.0
        type "hhh" histogram
        sample {__name__="hhh_bucket", le="+Inf"} 1.0 # {id="histogram-bucket-test"} 4.0
        sample {__name__="hhh_count"} 1.0 # {id="histogram-count-test"} 4.0
        type "ggh" gaugehistogram
        sample {__name__="ggh_bucket", le="+Inf"} 1.0 # {id="gaugehistogram-bucket-test", xx="yy"} 4.0 @123123
        sample {__name__="ggh_count"} 1.0 # {id="gaugehistogram-count-test", xx="yy"} 4.0 @123123
        type "smr_seconds" summary
        sample {__name__="smr_seconds_count"} 2.0 # {id="summary-count-test"} 1.0 @123321
        sample {__name__="smr_seconds_sum"} 42.0 # {id="summary-sum-test"} 1.0 @123321
        type "ii" info
        sample {__name__="ii", foo="bar"} 1.0
        type "ss" stateset
        sample {__name__="ss", ss="foo"} 1.0
        sample {__name__="ss", ss="bar"} 0.0
        sample {A="a", __name__="ss"} 0.0
        type "un" unknown
        sample {__name__="_metric_starting_with_underscore"} 1.0
        sample {__name__="testmetric", _label_starting_with_underscore="foo"} 1.0
        sample {__name__="testmetric", label="\"bar\""} 1.0
        help "foo" "Counter with and without labels to certify ST is parsed for both cases"
        type "foo" counter
        sample {__name__="foo_total"} 17.0 @1520879607789 # {id="counter-test"} 5.0 st=1520872607123
        sample {__name__="foo_created"} 1520872607.123 st=1520872607123
        sample {__name__="foo_total", a="b"} 17.0 @1520879607789 # {id="counter-test"} 5.0 st=1520872607123
        sample {__name__="foo_created", a="b"} 1520872607.123 st=1520872607123
        sample {__name__="foo_total", le="c"} 21.0 st=1520872621123
        sample {__name__="foo_created", le="c"} 1520872621.123 st=1520872621123
        sample {__name__="foo_total", le="1"} 10.0
        help "bar" "Summary with ST at the end, making sure we find ST even if it's multiple lines a far"
        type "bar" summary
        sample {__name__="bar_count"} 17.0 st=1520872608124
        sample {__name__="bar_sum"} 324789.3 st=1520872608124
        sample {__name__="bar", quantile="0.95"} 123.7 st=1520872608124
        sample {__name__="bar", quantile="0.99"} 150.0 st=1520872608124
        sample {__name__="bar_created"} 1520872608.124 st=1520872608124
        help "baz" "Histogram with the same objective as above's summary"
        type "baz" histogram
        sample {__name__="baz_bucket", le="0.0"} 0.0 st=1520872609125
        sample {__name__="baz_bucket", le="+Inf"} 17.0 st=1520872609125
        sample {__name__="baz_count"} 17.0 st=1520872609125
        sample {__name__="baz_sum"} 324789.3 st=1520872609125
        sample {__name__="baz_created"} 1520872609.125 st=1520872609125
        help "fizz_created" "Gauge which shouldn't be parsed as ST"
        type "fizz_created" gauge
        sample {__name__="fizz_created"} 17.0
        help "something" "Histogram with _created between buckets and summary"
        type "something" histogram
        sample {__name__="something_count"} 18.0 st=1520430001000
        sample {__name__="something_sum"} 324789.4 st=1520430001000
        sample {__name__="something_created"} 1520430001.0 st=1520430001000
        sample {__name__="something_bucket", le="0.0"} 1.0 st=1520430001000
        sample {__name__="something_bucket", le="1.0"} 2.0 st=1520430001000
        sample {__name__="something_bucket", le="+Inf"} 18.0 st=1520430001000
        help "yum" "Summary with _created between sum and quantiles"
        type "yum" summary
        sample {__name__="yum_count"} 20.0 st=1520430003000
        sample {__name__="yum_sum"} 324789.5 st=1520430003000
        sample {__name__="yum_created"} 1520430003.0 st=1520430003000
        sample {__name__="yum", quantile="0.95"} 123.7 st=1520430003000
        sample {__name__="yum", quantile="0.99"} 150.0 st=1520430003000
        help "foobar" "Summary with _created as the first line"
        type "foobar" summary
        sample {__name__="foobar_count"} 21.0 st=1520430004000
        sample {__name__="foobar_created"} 1520430004.0 st=1520430004000
        sample {__name__="foobar_sum"} 324789.6 st=1520430004000
        sample {__name__="foobar", quantile="0.95"} 123.8 st=1520430004000
        sample {__name__="foobar", quantile="0.99"} 150.1 st=1520430004000
        help "nansum" "Summary with NaN value"
        type "nansum" summary
        sample {__name__="nansum_count"} 0.0
        sample {__name__="nansum_sum"} 0.0
        sample {__name__="nansum", quantile="0.95"} NaN(0x7ff8000000000001)
        sample {__name__="nansum", quantile="0.99"} NaN(0x7ff8000000000001)
        help "metric" "foo\x00bar"
        sample {__name__="null_byte_metric", a="abc\x00"} 1.0
    "#]]
    .assert_eq(&render_om(input.as_bytes(), Default::default()));
}

#[test]
fn om_skip_created_series() {
    let input = "# TYPE foo counter\nfoo_total 17.0\nfoo_created 1520872607.123\n# TYPE g gauge\ng_created 1\n# EOF\n";
    expect![[r##"
        type "foo" counter
        sample {__name__="foo_total"} 17.0 st=1520872607123
        type "g" gauge
        sample {__name__="g_created"} 1.0
    "##]]
    .assert_eq(&render_om(
        input.as_bytes(),
        openmetrics::OpenMetricsOptions {
            skip_created_series: true,
        },
    ));
}

#[test]
fn om_utf8_names() {
    check_om(
        r#"# HELP "go.gc_duration_seconds" A summary of the GC invocation durations.
# TYPE "go.gc_duration_seconds" summary
# UNIT "go.gc_duration_seconds" seconds
{"go.gc_duration_seconds",quantile="0"} 4.9351e-05
{"go.gc_duration_seconds",quantile="0.25"} 7.424100000000001e-05
{"go.gc_duration_seconds_created"} 1520872607.123
{"go.gc_duration_seconds",quantile="0.5",a="b"} 8.3835e-05
{"http.status",q="0.9",a="b"} 8.3835e-05
{q="0.9","http.status",a="b"} 8.3835e-05
{"go.gc_duration_seconds_sum"} 0.004304266
{"Heizölrückstoßabdämpfung 10€ metric with \"interesting\" {character\nchoices}","strange©™\n'quoted' \"name\""="6"} 10.0
quotedexemplar_count 1 # {"id.thing"="histogram-count-test"} 4
quotedexemplar2_count 1 # {"id.thing"="histogram-count-test",other="hello"} 4
# EOF
"#,
        expect![[r#"
            help "go.gc_duration_seconds" "A summary of the GC invocation durations."
            type "go.gc_duration_seconds" summary
            unit "go.gc_duration_seconds" "seconds"
            sample {__name__="go.gc_duration_seconds", quantile="0.0"} 4.9351e-5 st=1520872607123
            sample {__name__="go.gc_duration_seconds", quantile="0.25"} 7.424100000000001e-5 st=1520872607123
            sample {__name__="go.gc_duration_seconds_created"} 1520872607.123 st=1520872607123
            sample {__name__="go.gc_duration_seconds", a="b", quantile="0.5"} 8.3835e-5
            sample {__name__="http.status", a="b", q="0.9"} 8.3835e-5
            sample {__name__="http.status", a="b", q="0.9"} 8.3835e-5
            sample {__name__="go.gc_duration_seconds_sum"} 0.004304266
            sample {__name__="Heizölrückstoßabdämpfung 10€ metric with \"interesting\" {character\nchoices}", strange©™
            'quoted' "name"="6"} 10.0
            sample {__name__="quotedexemplar_count"} 1.0 # {id.thing="histogram-count-test"} 4.0
            sample {__name__="quotedexemplar2_count"} 1.0 # {id.thing="histogram-count-test", other="hello"} 4.0
        "#]],
    );
}

#[test]
fn om_parse_errors_match_prometheus() {
    // `None` means the body is valid and ends with # EOF.
    let cases: &[(&[u8], Option<&str>)] = &[
        (b"# EOF", None),
        (b"# EOF\n", None),
        (b"", Some("data does not end with # EOF")),
        (
            b"\n",
            Some(r###"expected a valid start token, got "\n" ("INVALID") while parsing: "\n""###),
        ),
        (
            b"metric",
            Some(
                r###"expected value after metric, got "metric" ("EOF") while parsing: "metric""###,
            ),
        ),
        (b"metric 1", Some("data does not end with # EOF")),
        (b"metric 1\n", Some("data does not end with # EOF")),
        (
            b"metric_total 1 # {aa=\"bb\"} 4",
            Some("data does not end with # EOF"),
        ),
        (
            b"a\n#EOF\n",
            Some(r###"expected value after metric, got "\n" ("INVALID") while parsing: "a\n""###),
        ),
        (
            b"\n\n#EOF\n",
            Some(r###"expected a valid start token, got "\n" ("INVALID") while parsing: "\n""###),
        ),
        (
            b" a 1\n#EOF\n",
            Some(r###"expected a valid start token, got " " ("INVALID") while parsing: " ""###),
        ),
        (
            b"9\n#EOF\n",
            Some(r###"expected a valid start token, got "9" ("INVALID") while parsing: "9""###),
        ),
        (
            b"# TYPE u untyped\n#EOF\n",
            Some(r###"invalid metric type "untyped""###),
        ),
        (
            b"# TYPE c counter \n#EOF\n",
            Some(r###"invalid metric type "counter ""###),
        ),
        (
            b"#  TYPE c counter\n#EOF\n",
            Some(r##"expected a valid start token, got "#  " ("INVALID") while parsing: "#  ""##),
        ),
        (
            b"# TYPE \n#EOF\n",
            Some(
                r###"expected metric name after TYPE, got "\n" ("INVALID") while parsing: "# TYPE \n""###,
            ),
        ),
        (b"# TYPE m\n#EOF\n", Some("expected text in TYPE")),
        (
            b"# UNIT metric suffix\n#EOF\n",
            Some(r###"unit "suffix" not a suffix of metric "metric""###),
        ),
        (
            b"# UNIT metricsuffix suffix\n#EOF\n",
            Some(r###"unit "suffix" not a suffix of metric "metricsuffix""###),
        ),
        (
            b"# UNIT m suffix\n#EOF\n",
            Some(r###"unit "suffix" not a suffix of metric "m""###),
        ),
        (
            b"# UNIT \n#EOF\n",
            Some(
                r###"expected metric name after UNIT, got "\n" ("INVALID") while parsing: "# UNIT \n""###,
            ),
        ),
        (b"# UNIT m\n#EOF\n", Some("expected text in UNIT")),
        (
            b"# HELP \n#EOF\n",
            Some(
                r###"expected metric name after HELP, got "\n" ("INVALID") while parsing: "# HELP \n""###,
            ),
        ),
        (b"# HELP m\n#EOF\n", Some("expected text in HELP")),
        (
            b"a\t1\n#EOF\n",
            Some(r###"expected value after metric, got "\t" ("INVALID") while parsing: "a\t""###),
        ),
        (
            b"a 1\t2\n#EOF\n",
            Some(
                r###"strconv.ParseFloat: parsing "1\t2": invalid syntax while parsing: "a 1\t2""###,
            ),
        ),
        (
            b"a 1 2 \n#EOF\n",
            Some(
                r###"expected next entry after timestamp, got " \n" ("INVALID") while parsing: "a 1 2 \n""###,
            ),
        ),
        (
            b"a 1 2 #\n#EOF\n",
            Some(
                r##"expected next entry after timestamp, got " #\n" ("TIMESTAMP") while parsing: "a 1 2 #\n""##,
            ),
        ),
        (
            b"a 1 1z\n#EOF\n",
            Some(r###"strconv.ParseFloat: parsing "1z": invalid syntax while parsing: "a 1 1z""###),
        ),
        (
            b" # EOF\n",
            Some(r###"expected a valid start token, got " " ("INVALID") while parsing: " ""###),
        ),
        (b"# EOF\na 1", Some("unexpected data after # EOF")),
        (b"# EOF\n\n", Some("unexpected data after # EOF")),
        (b"# EOFa 1", Some("unexpected data after # EOF")),
        (
            b"#\tTYPE c counter\n",
            Some(r##"expected a valid start token, got "#\t" ("INVALID") while parsing: "#\t""##),
        ),
        (
            b"# TYPE c  counter\n",
            Some(r###"invalid metric type " counter""###),
        ),
        (
            b"a 1 1 1\n# EOF\n",
            Some(
                r###"expected next entry after timestamp, got " 1\n" ("TIMESTAMP") while parsing: "a 1 1 1\n""###,
            ),
        ),
        (
            b"a{b='c'} 1\n# EOF\n",
            Some(r###"expected label value, got "'" ("INVALID") while parsing: "a{b='""###),
        ),
        (
            b"a{,b=\"c\"} 1\n# EOF\n",
            Some(r###"expected label name, got ",b" ("COMMA") while parsing: "a{,b""###),
        ),
        (
            b"a{b=\"c\"d=\"e\"} 1\n# EOF\n",
            Some(
                r###"expected comma or brace close, got "d=" ("LNAME") while parsing: "a{b=\"c\"d=""###,
            ),
        ),
        (
            b"a{b=\"c\",,d=\"e\"} 1\n# EOF\n",
            Some(r###"expected label name, got ",d" ("COMMA") while parsing: "a{b=\"c\",,d""###),
        ),
        (
            b"a{b=\n# EOF\n",
            Some(r###"expected label value, got "\n" ("INVALID") while parsing: "a{b=\n""###),
        ),
        (
            b"a{\xff=\"foo\"} 1\n# EOF\n",
            Some(r###"expected label name, got "\xff" ("INVALID") while parsing: "a{\xff""###),
        ),
        (
            b"a{b=\"\xff\"} 1\n# EOF\n",
            Some(r###"invalid UTF-8 label value: "\"\xff\"""###),
        ),
        (
            b"{\"a\",\"b = \"c\"}\n# EOF\n",
            Some(r###"expected equal, got "c\"" ("LNAME") while parsing: "{\"a\",\"b = \"c\"""###),
        ),
        (
            b"{\"a\",b\\nc=\"d\"} 1\n# EOF\n",
            Some(r###"expected equal, got "\\" ("INVALID") while parsing: "{\"a\",b\\""###),
        ),
        (
            b"a true\n",
            Some(
                r###"strconv.ParseFloat: parsing "true": invalid syntax while parsing: "a true""###,
            ),
        ),
        (
            b"something_weird{problem=\"\n# EOF\n",
            Some(
                r###"expected label value, got "\"\n" ("INVALID") while parsing: "something_weird{problem=\"\n""###,
            ),
        ),
        (
            b"empty_label_name{=\"\"} 0\n# EOF\n",
            Some(
                r###"expected label name, got "=\"" ("EQUAL") while parsing: "empty_label_name{=\"""###,
            ),
        ),
        (
            b"{A}0\n# EOF\n",
            Some(r###"expected equal, got "}0" ("BCLOSE") while parsing: "{A}0""###),
        ),
        (
            b"foo 1_2\n\n# EOF\n",
            Some(r###"unsupported character in float while parsing: "foo 1_2""###),
        ),
        (
            b"foo 0x1p-3\n\n# EOF\n",
            Some(r###"unsupported character in float while parsing: "foo 0x1p-3""###),
        ),
        (
            b"foo 0x1P-3\n\n# EOF\n",
            Some(r###"unsupported character in float while parsing: "foo 0x1P-3""###),
        ),
        (
            b"foo 0 1_2\n\n# EOF\n",
            Some(r###"unsupported character in float while parsing: "foo 0 1_2""###),
        ),
        (
            b"custom_metric_total 1 # {aa=bb}\n# EOF\n",
            Some(
                r###"expected label value, got "b" ("INVALID") while parsing: "custom_metric_total 1 # {aa=b""###,
            ),
        ),
        (
            b"custom_metric_total 1 # {aa=\"bb\"}\n# EOF\n",
            Some(
                r###"expected value after exemplar labels, got "\n" ("INVALID") while parsing: "custom_metric_total 1 # {aa=\"bb\"}\n""###,
            ),
        ),
        (
            b"custom_metric_total 1 # {aa=\"bb\"}",
            Some(
                r###"expected value after exemplar labels, got "}" ("EOF") while parsing: "custom_metric_total 1 # {aa=\"bb\"}""###,
            ),
        ),
        (
            b"custom_metric_total 1 # {bb}",
            Some(
                r###"expected equal, got "}" ("BCLOSE") while parsing: "custom_metric_total 1 # {bb}""###,
            ),
        ),
        (
            b"custom_metric_total 1 # {bb, a=\"dd\"}",
            Some(
                r###"expected equal, got ", " ("COMMA") while parsing: "custom_metric_total 1 # {bb, ""###,
            ),
        ),
        (
            b"custom_metric_total 1 # {aa=\"bb\",,cc=\"dd\"} 1",
            Some(
                r###"expected label name, got ",c" ("COMMA") while parsing: "custom_metric_total 1 # {aa=\"bb\",,c""###,
            ),
        ),
        (
            b"custom_metric_total 1 # {aa=\"bb\"} 1_2",
            Some(
                r###"unsupported character in float while parsing: "custom_metric_total 1 # {aa=\"bb\"} 1_2""###,
            ),
        ),
        (
            b"custom_metric_total 1 # {aa=\"bb\"} 0x1p-3",
            Some(
                r###"unsupported character in float while parsing: "custom_metric_total 1 # {aa=\"bb\"} 0x1p-3""###,
            ),
        ),
        (
            b"custom_metric_total 1 # {aa=\"bb\"} true",
            Some(
                r###"strconv.ParseFloat: parsing "true": invalid syntax while parsing: "custom_metric_total 1 # {aa=\"bb\"} true""###,
            ),
        ),
        (
            b"custom_metric_total 1 # {aa=\"bb\",cc=}",
            Some(
                r###"expected label value, got "}" ("INVALID") while parsing: "custom_metric_total 1 # {aa=\"bb\",cc=}""###,
            ),
        ),
        (
            b"custom_metric_total 1 # {aa=\\\"\xff\\\"} 9.0",
            Some(
                r###"expected label value, got "\\" ("INVALID") while parsing: "custom_metric_total 1 # {aa=\\""###,
            ),
        ),
        (
            b"{b=\"c\",} 1",
            Some(r###"metric name not set while parsing: "{b=\"c\",} 1""###),
        ),
        (b"a 1 NaN", Some("invalid timestamp NaN")),
        (b"a 1 -Inf", Some("invalid timestamp -Inf")),
        (b"a 1 Inf", Some("invalid timestamp +Inf")),
        (
            b"# TYPE hhh histogram\nhhh_bucket{le=\"+Inf\"} 1 # {aa=\"bb\"} 4 NaN",
            Some("invalid exemplar timestamp NaN"),
        ),
        (
            b"# TYPE hhh histogram\nhhh_bucket{le=\"+Inf\"} 1 # {aa=\"bb\"} 4 -Inf",
            Some("invalid exemplar timestamp -Inf"),
        ),
        // TestOMNullByteHandling.
        (b"null_byte_metric{a=\"abc\x00\"} 1\n# EOF\n", None),
        (b"a{b=\"\x00ss\"} 1\n# EOF\n", None),
        (b"a{b=\"\x00\"} 1\n# EOF\n", None),
        (b"a{b=\"\x00\"} 1\n# EOF", None),
        (
            b"a{b=\x00\"ssss\"} 1\n# EOF\n",
            Some(r###"expected label value, got "\x00" ("INVALID") while parsing: "a{b=\x00""###),
        ),
        (
            b"a{b=\"\x00",
            Some(
                r###"expected label value, got "\"\x00" ("INVALID") while parsing: "a{b=\"\x00""###,
            ),
        ),
        (
            b"a{b\x00=\"hiih\"}\t1",
            Some(r###"expected equal, got "\x00" ("INVALID") while parsing: "a{b\x00""###),
        ),
        (
            b"a\x00{b=\"ddd\"} 1",
            Some(
                r###"expected value after metric, got "\x00" ("INVALID") while parsing: "a\x00""###,
            ),
        ),
        (
            b"#",
            Some(r##"expected a valid start token, got "#" ("INVALID") while parsing: "#""##),
        ),
        (
            b"# H",
            Some(r##"expected a valid start token, got "# H" ("INVALID") while parsing: "# H""##),
        ),
        (
            b"custom_metric_total 1 # {b=\x00\"ssss\"} 1\n",
            Some(
                r###"expected label value, got "\x00" ("INVALID") while parsing: "custom_metric_total 1 # {b=\x00""###,
            ),
        ),
        (
            b"custom_metric_total 1 # {b=\"\x00ss\"} 1\n",
            Some(
                r###"expected label value, got "\"\x00" ("INVALID") while parsing: "custom_metric_total 1 # {b=\"\x00""###,
            ),
        ),
        // Beyond Prometheus' table.
        (
            b"# comment\n# EOF\n",
            Some(r##"expected a valid start token, got "# c" ("INVALID") while parsing: "# c""##),
        ),
        (
            b"a 1\r\n# EOF\n",
            Some(r###"strconv.ParseFloat: parsing "1\r": invalid syntax while parsing: "a 1\r""###),
        ),
        (
            b"a{b=\"x\ny\"} 1\n# EOF\n",
            Some(r###"expected label value, got "\"x\n" ("INVALID") while parsing: "a{b=\"x\n""###),
        ),
        (
            b"a{b=\"1\",b=\"2\"} 1\n# EOF\n",
            Some(r###"label name "b" is not unique: invalid sample"###),
        ),
        // Prometheus accepts the sample and fails on the next line start.
        (
            b"a 1 # x\n# EOF\n",
            Some(r##"expected a valid start token, got "x" ("INVALID") while parsing: "x""##),
        ),
    ];
    for (i, (input, want)) in cases.iter().enumerate() {
        let got = om_error(input);
        assert_eq!(
            got.as_ref().map(|e| e.message.as_str()),
            *want,
            "case {i}: {}",
            go_quote(input)
        );
    }
}

#[test]
fn om_error_positions() {
    let e = om_error(b"a 1\nb{c=\"d\" 2\n# EOF\n").unwrap();
    assert_eq!((e.line, e.column), (2, 8), "{}", e.message);
    let e = om_error(b"a 1\nb 2").unwrap();
    assert_eq!(e.message, "data does not end with # EOF");
    assert_eq!((e.line, e.column), (2, 4));
}

#[test]
fn om_trailing_invalid_after_value_resumes_like_prometheus() {
    // Prometheus accepts "a 1" here and fails on the next call with a
    // linebreak token where a line should start.
    let input = b"a 1 \nb 2\n# EOF\n";
    let mut p = OpenMetricsParser::new(input);
    assert!(matches!(p.next_entry(), Ok(Some(Entry::Sample(_)))));
    let e = p.next_entry().unwrap_err();
    assert_eq!(
        e.message,
        r#"expected a valid start token, got "\nb" ("LINEBREAK") while parsing: "\nb""#
    );
}

#[test]
fn om_exemplar_escapes_kept_raw() {
    check_om(
        "a_total 1 # {t=\"x\\\"y\"} 2 1.5\n# EOF\n",
        expect![[r##"
            sample {__name__="a_total"} 1.0 # {t="x\\\"y"} 2.0 @1500
        "##]],
    );
}

#[test]
fn om_float_timestamps() {
    check_om(
        "a 1 1520879607.789\nb 1 -1.5\nc 1 0\nd 1 1e3\n# EOF\n",
        expect![[r##"
            sample {__name__="a"} 1.0 @1520879607789
            sample {__name__="b"} 1.0 @-1500
            sample {__name__="c"} 1.0 @0
            sample {__name__="d"} 1.0 @1000000
        "##]],
    );
}

#[test]
fn negotiation_accept_header() {
    assert_eq!(
        accept_header(&ScrapeProtocol::DEFAULT, EscapingScheme::Underscores),
        "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
    );
    assert_eq!(
        accept_header(
            &[ScrapeProtocol::PrometheusProto, ScrapeProtocol::OpenMetricsText1_0_0],
            EscapingScheme::AllowUtf8
        ),
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,*/*;q=0.4"
    );
    assert_eq!(
        accept_header(
            &[ScrapeProtocol::PrometheusText0_0_4],
            EscapingScheme::Underscores
        ),
        "text/plain;version=0.0.4;q=0.6,*/*;q=0.5"
    );
    let names: Vec<ScrapeProtocol> = [
        "OpenMetricsText1.0.0",
        "OpenMetricsText0.0.1",
        "PrometheusText1.0.0",
        "PrometheusText0_0_4",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    assert_eq!(names, ScrapeProtocol::DEFAULT);
    assert!("PrometheusText9".parse::<ScrapeProtocol>().is_err());
}

#[test]
fn negotiation_content_type() {
    let fb = Some(ScrapeProtocol::PrometheusText0_0_4);
    let pick = |ct: &str, fb| select_format(ct, fb).map(|s| (s.format, s.warning));
    assert_eq!(
        pick(
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            None
        ),
        Ok((Format::OpenMetrics, None))
    );
    assert_eq!(
        pick("text/plain; version=0.0.4", None),
        Ok((Format::PromText, None))
    );
    assert_eq!(pick("Text/Plain", None), Ok((Format::PromText, None)));
    assert_eq!(
        pick("application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited", None),
        Ok((Format::Protobuf, None))
    );
    assert_eq!(
        pick("", None),
        Err("non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target".into())
    );
    assert_eq!(
        pick("", fb),
        Ok((
            Format::PromText,
            Some("non-compliant scrape target sending blank Content-Type, using fallback_scrape_protocol \"text/plain\"".into())
        ))
    );
    assert_eq!(
        pick("application/json", None),
        Err("received unsupported Content-Type \"application/json\" and no fallback_scrape_protocol specified for target".into())
    );
    assert_eq!(
        pick(
            "application/json",
            Some(ScrapeProtocol::OpenMetricsText1_0_0)
        )
        .unwrap()
        .0,
        Format::OpenMetrics
    );
    assert_eq!(
        pick("text/plain;;", None),
        Err("cannot parse Content-Type \"text/plain;;\" and no fallback_scrape_protocol for target\nmime: invalid media parameter".into())
    );
    assert_eq!(
        pick("text/", fb).unwrap().1.unwrap(),
        "could not parse received Content-Type \"text/\", using fallback_scrape_protocol \"text/plain\"\nmime: expected token after slash"
    );
    assert_eq!(pick("text/plain;", None), Ok((Format::PromText, None)));
}

#[test]
fn parser_is_finished_after_error() {
    let mut p = PromParser::new(b"a b\nc 1\n");
    assert!(p.next_entry().is_err());
    assert!(p.next_entry().unwrap().is_none());
}

#[test]
fn labels_are_borrowed_and_raw_access_works() {
    let input = b"m{a=\"x\\\\y\",b=\"z\"} 3 42\n";
    let mut p = PromParser::new(input);
    let Some(Entry::Sample(s)) = p.next_entry().unwrap() else {
        panic!("expected a sample")
    };
    assert_eq!(s.series(), b"m{a=\"x\\\\y\",b=\"z\"}");
    let raw: Vec<_> = s.labels_raw().collect();
    assert_eq!(raw, [(&b"a"[..], &b"x\\\\y"[..]), (&b"b"[..], &b"z"[..])]);
    assert_eq!(s.to_labels().get("a"), Some("x\\y"));
    assert_eq!(s.timestamp(), Some(42));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn metric_name() -> impl Strategy<Value = String> {
        "[a-zA-Z_:][a-zA-Z0-9_:]{0,12}"
    }
    fn label_name() -> impl Strategy<Value = String> {
        "[a-zA-Z_][a-zA-Z0-9_]{0,8}".prop_filter("reserved", |s| s != "__name__")
    }
    fn label_value() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-z0-9 \"\\\\\n/.é€-]{0,10}").unwrap()
    }
    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<i32>().prop_map(f64::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            (0u32..100000, 0u32..4).prop_map(|(m, e)| m as f64 / 10f64.powi(e as i32)),
        ]
    }

    #[derive(Debug, Clone)]
    struct GenSample {
        name: String,
        labels: Vec<(String, String)>,
        value: f64,
        ts: Option<i64>,
    }

    fn sample() -> impl Strategy<Value = GenSample> {
        (
            metric_name(),
            proptest::collection::btree_map(label_name(), label_value(), 0..6),
            value(),
            proptest::option::of(0i64..10_000_000_000_000),
        )
            .prop_map(|(name, labels, value, ts)| GenSample {
                name,
                labels: labels.into_iter().collect(),
                value,
                ts,
            })
    }

    fn escape(v: &str) -> String {
        v.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    }

    fn fmt_value(v: f64) -> String {
        if v == f64::INFINITY {
            "+Inf".into()
        } else if v == f64::NEG_INFINITY {
            "-Inf".into()
        } else {
            format!("{v:?}")
        }
    }

    fn expose(samples: &[GenSample], om: bool) -> String {
        let mut out = String::new();
        for s in samples {
            out.push_str(&s.name);
            if !s.labels.is_empty() {
                out.push('{');
                let parts: Vec<String> = s
                    .labels
                    .iter()
                    .map(|(n, v)| format!("{n}=\"{}\"", escape(v)))
                    .collect();
                out.push_str(&parts.join(","));
                out.push('}');
            }
            out.push(' ');
            out.push_str(&fmt_value(s.value));
            if let Some(ts) = s.ts {
                if om {
                    // Whole seconds, so ms conversion is exact.
                    out.push_str(&format!(" {}", ts / 1000));
                } else {
                    out.push_str(&format!(" {ts}"));
                }
            }
            out.push('\n');
        }
        if om {
            out.push_str("# EOF\n");
        }
        out
    }

    /// `input` followed by a long comment line, so that every line of `input` lies well before
    /// the end of the body, where the fast path reads sixteen bytes at a time.
    fn padded(input: &[u8]) -> Vec<u8> {
        let mut v = input.to_vec();
        v.extend_from_slice(b"\n#");
        v.extend_from_slice(&[b' '; 300]);
        v.push(b'\n');
        v
    }

    fn check_roundtrip(samples: &[GenSample], got: Vec<(Labels, f64, Option<i64>)>, om: bool) {
        assert_eq!(got.len(), samples.len());
        for (s, (l, v, ts)) in samples.iter().zip(got) {
            let mut want: Vec<(String, String)> = s.labels.clone();
            want.push(("__name__".into(), s.name.clone()));
            assert_eq!(l, Labels::from_pairs(&want));
            assert_eq!(v.to_bits(), s.value.to_bits());
            let want_ts = s.ts.map(|t| if om { (t / 1000) * 1000 } else { t });
            assert_eq!(ts, want_ts);
        }
    }

    proptest! {
        #[test]
        fn prom_roundtrip(samples in proptest::collection::vec(sample(), 0..20)) {
            let text = expose(&samples, false);
            for exact in [false, true] {
                let mut p = PromParser::new(text.as_bytes());
                if exact { p = p.exact_only(); }
                let mut got = Vec::new();
                while let Some(e) = p.next_entry().unwrap() {
                    if let Entry::Sample(s) = e {
                        got.push((s.to_labels(), s.value(), s.timestamp()));
                    }
                }
                check_roundtrip(&samples, got, false);
            }
        }

        #[test]
        fn om_roundtrip(samples in proptest::collection::vec(sample(), 0..20)) {
            let text = expose(&samples, true);
            let mut p = OpenMetricsParser::new(text.as_bytes());
            let mut got = Vec::new();
            while let Some(e) = p.next_entry().unwrap() {
                if let Entry::Sample(s) = e {
                    got.push((s.to_labels(), s.value(), s.timestamp()));
                }
            }
            check_roundtrip(&samples, got, true);
        }

        /// Arbitrary bytes never panic, and the fast path always agrees with
        /// the exact one.
        #[test]
        fn prom_arbitrary_bytes(input in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(render_prom_with(PromParser::new(&input)), render_prom_with(PromParser::new(&input).exact_only()));
            let padded = padded(&input);
            prop_assert_eq!(render_prom_with(PromParser::new(&padded)), render_prom_with(PromParser::new(&padded).exact_only()));
        }

        /// Near-valid input built from exposition fragments reaches far more
        /// parser states than random bytes.
        #[test]
        fn prom_fragments(parts in proptest::collection::vec(prop_oneof![
            Just("a"), Just("b_c:d"), Just("{"), Just("}"), Just("=\""), Just("\""), Just(","), Just(" "),
            Just("\t"), Just("\n"), Just("\\"), Just("\\n"), Just("1"), Just("-2.5e3"), Just("NaN"),
            Just("+Inf"), Just("# HELP "), Just("# TYPE "), Just("counter"), Just("#"), Just("\0"),
            Just("x=\"y\""), Just("\r"), Just("é"), Just("123456789012345678901"), Just("le"),
            Just("a_very_long_label_name_of_forty_bytes_xx=\""), Just("a{x=\"y\",z=\"w\"} 1\n"),
        ], 0..60)) {
            let input = parts.concat();
            let a = render_prom_with(PromParser::new(input.as_bytes()));
            let b = render_prom_with(PromParser::new(input.as_bytes()).exact_only());
            prop_assert_eq!(a, b);
            let padded = padded(input.as_bytes());
            let a = render_prom_with(PromParser::new(&padded));
            let b = render_prom_with(PromParser::new(&padded).exact_only());
            prop_assert_eq!(a, b);
        }

        /// `next_known_sample` answers only for a line whose series is exactly the known text,
        /// with the value and timestamp a full parse gives; everything else stays with
        /// `next_entry`, and the two together read the body as a full parse does.
        #[test]
        fn prom_known_series_agree_with_full_parse(parts in proptest::collection::vec(prop_oneof![
            Just("a"), Just("a_b"), Just("{"), Just("}"), Just("x=\"y\""), Just("x=\"\""), Just(","),
            Just(" "), Just("\t"), Just("\n"), Just("\n"), Just("1"), Just("-2.5e3"), Just("NaN"),
            Just("17"), Just("# HELP a h\n"), Just("# TYPE a counter\n"), Just("#"), Just("\0"),
            Just("\"\\\""), Just("é"), Just("{"), Just("12345678901234567890"),
        ], 0..40)) {
            let input = parts.concat();
            let input = input.as_bytes();
            // Per entry: `Some((series, value bits, timestamp))` for a sample, `None` for others.
            type Read = Result<Option<Option<(Vec<u8>, u64, Option<i64>)>>, String>;
            let full = |p: &mut PromParser<'_>| -> Read {
                match p.next_entry() {
                    Ok(Some(Entry::Sample(s))) => Ok(Some(Some((s.series().to_vec(), s.value().to_bits(), s.timestamp())))),
                    Ok(Some(_)) => Ok(Some(None)),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e.with_position()),
                }
            };
            let mut want = Vec::new();
            let mut p = PromParser::new(input);
            let want_end = loop {
                match full(&mut p) {
                    Ok(Some(Some(s))) => want.push(s),
                    Ok(Some(None)) => {}
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            };
            // Every series text seen, and each cut one byte short (a prefix of a real series).
            let mut known: Vec<Vec<u8>> = want.iter().map(|s| s.0.clone()).collect();
            known.extend(want.iter().filter(|s| s.0.len() > 1).map(|s| s.0[..s.0.len() - 1].to_vec()));
            known.sort();
            known.dedup();
            let mut got = Vec::new();
            let mut p = PromParser::new(input);
            let got_end = 'lines: loop {
                for text in &known {
                    if let Some((v, ts)) = p.next_known_sample(text) {
                        got.push((text.clone(), v.to_bits(), ts));
                        continue 'lines;
                    }
                }
                match full(&mut p) {
                    Ok(Some(Some(s))) => got.push(s),
                    Ok(Some(None)) => {}
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            };
            prop_assert_eq!(got, want);
            prop_assert_eq!(got_end, want_end);
        }

        /// The OpenMetrics parser's `next_known_sample`, as the text parser's above.
        #[test]
        fn om_known_series_agree_with_full_parse(parts in proptest::collection::vec(prop_oneof![
            Just("a"), Just("a_total"), Just("{"), Just("}"), Just("x=\"y\""), Just(","), Just(" "),
            Just("\n"), Just("\n"), Just("1"), Just("1.5"), Just("NaN"), Just(" # {x=\"1\"} 2"),
            Just("# TYPE a counter\n"), Just("# HELP a h\n"), Just("# EOF\n"), Just("\0"), Just("\t"),
            Just("a{x=\"y\"} 1\n"), Just("a 2\n"), Just("a_total 3 1700000000\n"),
        ], 0..40)) {
            let input = parts.concat();
            let input = input.as_bytes();
            type Read = Result<Option<Option<(Vec<u8>, u64, Option<i64>)>>, String>;
            let full = |p: &mut OpenMetricsParser<'_>| -> Read {
                match p.next_entry() {
                    Ok(Some(Entry::Sample(s))) => Ok(Some(Some((s.series().to_vec(), s.value().to_bits(), s.timestamp())))),
                    Ok(Some(_)) => Ok(Some(None)),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e.with_position()),
                }
            };
            let mut want = Vec::new();
            let mut p = OpenMetricsParser::new(input);
            let want_end = loop {
                match full(&mut p) {
                    Ok(Some(Some(s))) => want.push(s),
                    Ok(Some(None)) => {}
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            };
            let mut known: Vec<Vec<u8>> = want.iter().map(|s| s.0.clone()).collect();
            known.extend(want.iter().filter(|s| s.0.len() > 1).map(|s| s.0[..s.0.len() - 1].to_vec()));
            known.sort();
            known.dedup();
            let mut got = Vec::new();
            let mut p = OpenMetricsParser::new(input);
            let got_end = 'lines: loop {
                for text in &known {
                    if let Some(v) = p.next_known_sample(text) {
                        got.push((text.clone(), v.to_bits(), None));
                        continue 'lines;
                    }
                }
                match full(&mut p) {
                    Ok(Some(Some(s))) => got.push(s),
                    Ok(Some(None)) => {}
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            };
            prop_assert_eq!(got, want);
            prop_assert_eq!(got_end, want_end);
        }

        #[test]
        fn om_arbitrary_bytes(input in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = render_om(&input, Default::default());
            let _ = render_om(&input, openmetrics::OpenMetricsOptions { skip_created_series: true });
        }

        /// The OpenMetrics fast paths agree with the exact one.
        #[test]
        fn om_fast_path_agrees_with_exact(parts in proptest::collection::vec(prop_oneof![
            Just("a"), Just("a_total"), Just("_seconds"), Just("{"), Just("}"), Just("x=\"y\""), Just(" "),
            Just("\n"), Just("1"), Just("# HELP "), Just("# TYPE "), Just("# UNIT "), Just("counter"),
            Just("gauge"), Just("seconds"), Just("help text"), Just("\0"), Just("\t"), Just("é"),
            Just("# EOF\n"), Just("\\"), Just("\""), Just("#"),
        ], 0..40)) {
            let input = parts.concat();
            let bytes: Vec<u8> = input.bytes().map(|c| if c == 0xc3 { 0xff } else { c }).collect();
            for body in [input.as_bytes(), &bytes[..]] {
                prop_assert_eq!(
                    render_om_with(OpenMetricsParser::new(body)),
                    render_om_with(OpenMetricsParser::new(body).exact_only())
                );
            }
        }

        #[test]
        fn om_fragments(parts in proptest::collection::vec(prop_oneof![
            Just("a"), Just("_total"), Just("_created"), Just("{"), Just("}"), Just("=\""), Just("\""), Just(","),
            Just(" "), Just("\n"), Just("\\"), Just("1"), Just("1.5"), Just("# {"), Just(" # {x=\"1\"} 2"),
            Just("# HELP a "), Just("# TYPE a counter\n"), Just("# UNIT a_s s\n"), Just("# EOF"), Just("\0"),
            Just("NaN"), Just("le=\"1\""),
        ], 0..40)) {
            let input = parts.concat();
            let _ = render_om(input.as_bytes(), Default::default());
            let _ = render_om(input.as_bytes(), openmetrics::OpenMetricsOptions { skip_created_series: true });
        }

        #[test]
        fn negotiation_never_panics(ct in ".{0,40}") {
            let _ = select_format(&ct, None);
            let _ = select_format(&ct, Some(ScrapeProtocol::PrometheusText0_0_4));
        }
    }
}
