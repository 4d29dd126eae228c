//! `stage.timestamp`: sets the entry's timestamp from an extracted value (`source`) read with `format` (a
//! named format: `RFC3339`, `RFC3339Nano`, `ANSIC`, `UnixDate`, `RubyDate`, `RFC822`, `RFC822Z`, `RFC850`,
//! `RFC1123`, `RFC1123Z`, `Unix`, `UnixMs`, `UnixUs`, `UnixNs`; or a Go reference layout), then each of
//! `fallback_formats`. A layout is read in `location` when one is given (named formats never are); a layout
//! without a year (`"Jan 02 15:04:05"`) takes the current year, or the one before or after across New Year.
//!
//! On failure (`action_on_failure`): `fudge` (the default) sets the timestamp 1ns after the last one this
//! stage set for the same label set, `skip` leaves it. With `action_on_duplicate_timestamp = "fudge"` (the
//! default) an entry whose parsed timestamp equals the previous one of its label set gets 1ns after the one
//! that entry was given, so order survives. The last timestamps are kept for 10,000 label sets (LRU).

use ingot_gocompat::time::{self as gotime, Location};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::lru::Lru;
use crate::process::pipeline::{in_place_stage, labels_fingerprint, InPlace, PEntry};
use crate::process::value::with_str;

/// How many label sets' last timestamps are kept (Alloy's `maxLastKnownTimestampsCacheSize`).
const LAST_KNOWN: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OnFailure {
    Fudge,
    Skip,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OnDuplicate {
    Fudge,
    Keep,
}

/// One format: a named layout (read without the location), a Unix count, or a reference layout.
#[derive(Clone, Debug, PartialEq)]
enum Format {
    Named(&'static str),
    Unix,
    UnixScaled(i64),
    Layout { layout: String, has_year: bool },
}

const NAMED: &[(&str, &str)] = &[
    ("ANSIC", "Mon Jan _2 15:04:05 2006"),
    ("UnixDate", "Mon Jan _2 15:04:05 MST 2006"),
    ("RubyDate", "Mon Jan 02 15:04:05 -0700 2006"),
    ("RFC822", "02 Jan 06 15:04 MST"),
    ("RFC822Z", "02 Jan 06 15:04 -0700"),
    ("RFC850", "Monday, 02-Jan-06 15:04:05 MST"),
    ("RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"),
    ("RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"),
    ("RFC3339", "2006-01-02T15:04:05Z07:00"),
    ("RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"),
];

impl Format {
    fn of(text: &str) -> Format {
        if let Some((_, layout)) = NAMED.iter().find(|(n, _)| *n == text) {
            return Format::Named(layout);
        }
        match text {
            "Unix" => Format::Unix,
            "UnixMs" => Format::UnixScaled(1_000_000),
            "UnixUs" => Format::UnixScaled(1_000),
            "UnixNs" => Format::UnixScaled(1),
            // Alloy looks for "06" (which "2006" contains) to tell a layout with a year.
            _ => Format::Layout {
                layout: text.to_string(),
                has_year: text.contains("06"),
            },
        }
    }
}

/// A parsed instant: seconds and nanoseconds since the epoch (Go's `time.Time` without its location).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instant {
    pub unix: i64,
    pub nsec: u32,
}

impl Instant {
    /// Go's `time.Unix(sec, nsec)`: nanoseconds outside [0, 1e9) move into the seconds.
    fn from_unix(sec: i64, nsec: i64) -> Instant {
        let sec = sec.wrapping_add(nsec.div_euclid(1_000_000_000));
        let nsec = nsec.rem_euclid(1_000_000_000);
        Instant {
            unix: sec,
            nsec: nsec as u32,
        }
    }

    /// Nanoseconds since the epoch, as the entry keeps them; instants past what 64 bits of nanoseconds hold
    /// (before 1678, after 2262) are held at the nearest end.
    pub fn nanos(&self) -> i64 {
        let n = i128::from(self.unix) * 1_000_000_000 + i128::from(self.nsec);
        n.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

/// The formats of one stage, with its location: Alloy's `convertDateLayout` and fallbacks.
#[derive(Clone, Debug, PartialEq)]
pub struct Parser {
    formats: Vec<Format>,
    location: Option<Location>,
}

impl Parser {
    pub fn new(format: &str, fallback: &[String], location: Option<Location>) -> Parser {
        let mut formats = vec![Format::of(format)];
        formats.extend(fallback.iter().map(|f| Format::of(f)));
        Parser { formats, location }
    }

    /// The instant `value` names, trying each format in turn; the first format's error when none reads
    /// it. `now` (Unix seconds) gives the year to layouts without one.
    pub fn parse(&self, value: &str, now: i64) -> Result<Instant, String> {
        self.parse_now(value, &|| now)
    }

    /// [`Parser::parse`] asking for the time only when a layout without a year needs it.
    pub fn parse_now(&self, value: &str, now: &dyn Fn() -> i64) -> Result<Instant, String> {
        let mut first_err = None;
        for f in &self.formats {
            match self.parse_one(f, value, now) {
                Ok(t) => return Ok(t),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        Err(first_err.unwrap_or_default())
    }

    fn parse_one(&self, f: &Format, value: &str, now: &dyn Fn() -> i64) -> Result<Instant, String> {
        use ingot_gocompat::strconv::parse_int;
        match f {
            Format::Named(layout) => {
                // Go's time.Parse reads these two with a fast path first, and so do we.
                if layout.starts_with("2006-01-02T15:04:05") {
                    if let Some(t) = parse_rfc3339(value.as_bytes()) {
                        return Ok(t);
                    }
                }
                gotime::parse(layout, value).map(|t| Instant {
                    unix: t.unix,
                    nsec: t.nsec,
                })
            }
            Format::Unix => {
                if value.matches('.').count() == 1 {
                    let (whole, frac) = value.split_once('.').unwrap_or((value, ""));
                    let sec = parse_int(whole)?;
                    let f = parse_int(frac)?;
                    // As Alloy scales it: in float64, with Go's math.Pow, truncated.
                    let scale = ingot_gocompat::math::pow_int(10.0, 9 - frac.len() as i64);
                    let nsec = go_float_to_int64(f as f64 * scale);
                    return Ok(Instant::from_unix(sec, nsec));
                }
                Ok(Instant::from_unix(parse_int(value)?, 0))
            }
            // Go multiplies in int64, which wraps.
            Format::UnixScaled(unit) => {
                Ok(Instant::from_unix(0, parse_int(value)?.wrapping_mul(*unit)))
            }
            Format::Layout { layout, has_year } => {
                let t = match &self.location {
                    Some(loc) => gotime::parse_in_location(layout, value, loc)?,
                    None => gotime::parse(layout, value)?,
                };
                if *has_year {
                    return Ok(Instant {
                        unix: t.unix,
                        nsec: t.nsec,
                    });
                }
                let c = t.civil();
                if c.year != 0 {
                    return Err(format!(
                        "timestamp '{value}' is expected to not contain the year date component"
                    ));
                }
                let now = gotime::Time {
                    unix: now(),
                    nsec: 0,
                    loc: Location::Utc,
                }
                .civil();
                let year = match (c.month, now.month) {
                    (12, 1) => now.year - 1,
                    (1, 12) => now.year + 1,
                    _ => now.year,
                };
                let t = t.add_date(year, 0, 0);
                Ok(Instant {
                    unix: t.unix,
                    nsec: t.nsec,
                })
            }
        }
    }
}

/// Go's `parseRFC3339` (the fast path of `time.Parse` for `RFC3339` and `RFC3339Nano`): `None` when it does
/// not apply, and the general parser decides.
fn parse_rfc3339(s: &[u8]) -> Option<Instant> {
    fn num(s: &[u8], min: i64, max: i64) -> Option<i64> {
        let mut x = 0i64;
        for &c in s {
            if !c.is_ascii_digit() {
                return None;
            }
            x = x * 10 + i64::from(c - b'0');
        }
        (min..=max).contains(&x).then_some(x)
    }
    if s.len() < 19 {
        return None;
    }
    let year = num(&s[0..4], 0, 9999)?;
    let month = num(&s[5..7], 1, 12)?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month as usize - 1];
    let day = num(&s[8..10], 1, days_in)?;
    let hour = num(&s[11..13], 0, 23)?;
    let min = num(&s[14..16], 0, 59)?;
    let sec = num(&s[17..19], 0, 59)?;
    if !(s[4] == b'-' && s[7] == b'-' && s[10] == b'T' && s[13] == b':' && s[16] == b':') {
        return None;
    }
    let mut rest = &s[19..];
    let mut nsec = 0i64;
    if rest.len() >= 2 && rest[0] == b'.' && rest[1].is_ascii_digit() {
        let n = 1 + rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        // Up to nine digits count; more are ignored.
        let digits = &rest[1..n.min(10)];
        for &d in digits {
            nsec = nsec * 10 + i64::from(d - b'0');
        }
        for _ in digits.len()..9 {
            nsec *= 10;
        }
        rest = &rest[n..];
    }
    let days = {
        // Days from 1970-01-01 to the date (proleptic Gregorian).
        let (y, m) = if month <= 2 {
            (year - 1, month + 9)
        } else {
            (year, month - 3)
        };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * m + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    };
    let mut unix = days * 86_400 + hour * 3600 + min * 60 + sec;
    if rest != b"Z" {
        if rest.len() != 6 {
            return None;
        }
        let hr = num(&rest[1..3], 0, 23)?;
        let mm = num(&rest[4..6], 0, 59)?;
        if !((rest[0] == b'-' || rest[0] == b'+') && rest[3] == b':') {
            return None;
        }
        let offset = (hr * 60 + mm) * 60;
        unix -= if rest[0] == b'-' { -offset } else { offset };
    }
    Some(Instant {
        unix,
        nsec: nsec as u32,
    })
}

/// Go's `int64(f)` on amd64 (CVTTSD2SQ): truncation, and the "integer indefinite" value for NaN and for
/// what is out of range.
fn go_float_to_int64(f: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-TWO_63..TWO_63).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub source: String,
    pub format: String,
    pub fallback_formats: Vec<String>,
    pub location: Option<String>,
    pub on_failure: OnFailure,
    pub on_duplicate: OnDuplicate,
    parser: Parser,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let source: String = d.required("source")?;
        let format: String = d.required("format")?;
        let fallback_formats: Vec<String> = d.optional_or("fallback_formats", Vec::new())?;
        let location: Option<String> = d.optional("location")?;
        let on_failure: String = d.optional_or("action_on_failure", String::new())?;
        let on_duplicate: String = d.optional_or("action_on_duplicate_timestamp", String::new())?;
        if source.is_empty() {
            return Err(d.error_at_attr(
                "source",
                invalid("timestamp source value is required if timestamp is specified"),
            ));
        }
        if format.is_empty() {
            return Err(d.error_at_attr("format", invalid("timestamp format is required")));
        }
        let loc = match &location {
            None => None,
            Some(name) => Some(gotime::load_location(name).map_err(|e| {
                // Alloy's message keeps its format verb unfilled.
                d.error_at_attr(
                    "location",
                    invalid(format!("invalid location specified: %v: {e}")),
                )
            })?),
        };
        let on_failure = match on_failure.as_str() {
            "" | "fudge" => OnFailure::Fudge,
            "skip" => OnFailure::Skip,
            _ => {
                return Err(d.error_at_attr(
                    "action_on_failure",
                    invalid("invalid action on failure (supported values are [skip fudge])"),
                ))
            }
        };
        let on_duplicate =
            match on_duplicate.as_str() {
                "" | "fudge" => OnDuplicate::Fudge,
                "keep" => OnDuplicate::Keep,
                _ => return Err(d.error_at_attr(
                    "action_on_duplicate_timestamp",
                    invalid(
                        "invalid action on duplicate timestamp (supported values are [keep fudge])",
                    ),
                )),
            };
        let parser = Parser::new(&format, &fallback_formats, loc);
        Ok(Config {
            source,
            format,
            fallback_formats,
            location,
            on_failure,
            on_duplicate,
            parser,
        })
    }
}

impl Config {
    pub fn build(&self) -> Timestamp {
        let fudging =
            self.on_failure == OnFailure::Fudge || self.on_duplicate == OnDuplicate::Fudge;
        Timestamp {
            cfg: self.clone(),
            last: fudging.then(|| Lru::new(LAST_KNOWN)),
        }
    }
}

/// The last timestamp of a label set: what was parsed, and what the entry was given.
#[derive(Clone, Copy)]
struct Last {
    parsed: Instant,
    adjusted: i64,
}

pub struct Timestamp {
    cfg: Config,
    last: Option<Lru<u128, Last>>,
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Timestamp {
    fn parsed(&self, e: &PEntry) -> Result<Instant, ()> {
        let Some(v) = e.extracted.get(&self.cfg.source) else {
            tracing::debug!(
                stage = "timestamp",
                "extracted data did not contain a timestamp"
            );
            return Err(());
        };
        with_str(v, |s| {
            self.cfg.parser.parse_now(s, &now_unix).map_err(|err| {
                tracing::debug!(stage = "timestamp", format = %self.cfg.format, value = %s, "failed to parse time: {err}");
            })
        })
        .map_err(|err| {
            tracing::debug!(stage = "timestamp", "failed to convert extracted time to string: {err}");
        })?
    }
}

in_place_stage!(Timestamp);

impl InPlace for Timestamp {
    fn apply(&mut self, e: &mut PEntry) -> bool {
        match self.parsed(e) {
            Ok(parsed) => {
                e.timestamp_ns = parsed.nanos();
                if let Some(last) = &mut self.last {
                    let key = labels_fingerprint(&e.labels);
                    // Alloy's Get then Add: either makes the label set the most recent one.
                    match last.get_mut(&key) {
                        Some(prev) => {
                            if self.cfg.on_duplicate == OnDuplicate::Fudge && prev.parsed == parsed
                            {
                                e.timestamp_ns = prev.adjusted.saturating_add(1);
                            }
                            *prev = Last {
                                parsed,
                                adjusted: e.timestamp_ns,
                            };
                        }
                        None => last.insert(
                            key,
                            Last {
                                parsed,
                                adjusted: e.timestamp_ns,
                            },
                        ),
                    }
                }
            }
            Err(()) => {
                if self.cfg.on_failure == OnFailure::Fudge {
                    if let Some(last) = &mut self.last {
                        let key = labels_fingerprint(&e.labels);
                        if let Some(prev) = last.get_mut(&key) {
                            e.timestamp_ns = prev.adjusted.saturating_add(1);
                            prev.adjusted = e.timestamp_ns;
                        }
                    }
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::process::pipeline::PEntry;
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    fn nanos(rfc3339: &str) -> i64 {
        let t =
            ingot_gocompat::time::parse("2006-01-02T15:04:05.999999999Z07:00", rfc3339).unwrap();
        t.unix_nano()
    }

    fn with(extracted: &[(&str, &str)], labels: &[(&str, &str)]) -> PEntry {
        let mut e = entry(labels, "");
        for (k, v) in extracted {
            e.extracted.insert(k.to_string(), Value::from(*v));
        }
        e
    }

    fn run(cfg: &str, entries: Vec<PEntry>) -> Vec<i64> {
        let (mut p, _) = pipeline(cfg);
        let mut out = Vec::new();
        for e in entries {
            p.run(e, &mut out);
        }
        out.iter().map(|e| e.timestamp_ns).collect()
    }

    // Alloy's TestTimestampPipeline: json then timestamp.
    #[test]
    fn json_then_rfc3339() {
        let out = run_line(
            r#"
            stage.json { expressions = { ts = "time" } }
            stage.timestamp {
                source = "ts"
                format = "RFC3339"
            }"#,
            r#"{"time":"2012-11-01T22:08:41-04:00","app":"loki"}"#,
        );
        assert_eq!(out[0].timestamp_ns, nanos("2012-11-01T22:08:41-04:00"));
    }

    // Alloy's TestTimestampStage_Process: every named Unix format and a location.
    #[test]
    fn formats() {
        let cases = [
            (
                "RFC3339",
                None,
                "2106-01-02T23:04:05-04:00",
                "2106-01-02T23:04:05-04:00",
            ),
            ("Unix", None, "1562708916", "2019-07-09T21:48:36Z"),
            (
                "Unix",
                None,
                "1562708916.414123",
                "2019-07-09T21:48:36.414123Z",
            ),
            (
                "Unix",
                None,
                "1562708916.000000123",
                "2019-07-09T21:48:36.000000123Z",
            ),
            ("UnixMs", None, "1562708916414", "2019-07-09T21:48:36.414Z"),
            (
                "UnixUs",
                None,
                "1562708916414123",
                "2019-07-09T21:48:36.414123Z",
            ),
            (
                "UnixNs",
                None,
                "1562708916000000123",
                "2019-07-09T21:48:36.000000123Z",
            ),
            (
                "2006-01-02 15:04:05",
                Some("America/New_York"),
                "2019-07-22 20:29:32",
                "2019-07-22T20:29:32-04:00",
            ),
        ];
        for (format, loc, value, want) in cases {
            let loc = loc
                .map(|l| format!("location = \"{l}\""))
                .unwrap_or_default();
            let cfg =
                format!("stage.timestamp {{\nsource = \"ts\"\nformat = \"{format}\"\n{loc}\n}}");
            let got = run(&cfg, vec![with(&[("ts", value)], &[])]);
            assert_eq!(got, vec![nanos(want)], "{format} {value}");
        }
    }

    #[test]
    fn fallback_formats_and_year_less_layouts() {
        let cfg = r#"stage.timestamp {
            source = "ts"
            format = "UnixMs"
            fallback_formats = ["2006-01-02 03:04:05.000000000 +0000 UTC", "RFC3339"]
        }"#;
        let got = run(cfg, vec![with(&[("ts", "2012-11-01T22:08:41-04:00")], &[])]);
        assert_eq!(got, vec![nanos("2012-11-01T22:08:41-04:00")]);
        let cfg = r#"stage.timestamp {
            source = "ts"
            format = "Jan 02 15:04:05"
        }"#;
        let (mut p, _) = pipeline(cfg);
        let mut out = Vec::new();
        p.run(with(&[("ts", "Jul 15 01:02:03")], &[]), &mut out);
        let year = ingot_gocompat::time::Time {
            unix: super::now_unix(),
            nsec: 0,
            loc: ingot_gocompat::time::Location::Utc,
        }
        .civil()
        .year;
        // Within a day of New Year the year may be the next or previous one; July is never moved.
        assert_eq!(
            out[0].timestamp_ns,
            nanos(&format!("{year}-07-15T01:02:03Z"))
        );
    }

    // Alloy's TestTimestampStage_ProcessActionOnFailure.
    #[test]
    fn fudging() {
        let base = r#"stage.timestamp {
            source = "time"
            format = "RFC3339Nano"
        "#;
        let t = "2019-10-01T01:02:03.400000000Z";
        let u = "2019-10-01T01:02:03.800000000Z";
        let n = |s: &str| nanos(s);
        // Duplicates fudged by default, failures fudged from the last adjusted value.
        let got = run(
            &format!("{base}}}"),
            vec![
                with(&[("time", t)], &[]),
                with(&[("time", t)], &[]),
                with(&[], &[]),
                with(&[("time", t)], &[]),
            ],
        );
        assert_eq!(got, vec![n(t), n(t) + 1, n(t) + 2, n(t) + 3]);
        // keep: duplicates left alone.
        let got = run(
            &format!("{base}action_on_duplicate_timestamp = \"keep\"\n}}"),
            vec![with(&[("time", t)], &[]), with(&[("time", t)], &[])],
        );
        assert_eq!(got, vec![n(t), n(t)]);
        // Per label set; unknown label set keeps the entry's own timestamp; skip leaves failures.
        let got = run(
            &format!("{base}}}"),
            vec![
                with(&[("time", t)], &[("filename", "/1.log")]),
                with(&[("time", u)], &[("filename", "/2.log")]),
                with(&[], &[("filename", "/1.log")]),
                with(&[], &[("filename", "/2.log")]),
                with(&[], &[("filename", "/3.log")]),
            ],
        );
        assert_eq!(got, vec![n(t), n(u), n(t) + 1, n(u) + 1, 1_000_000_000]);
        let got = run(
            &format!("{base}action_on_failure = \"skip\"\n}}"),
            vec![with(&[("time", t)], &[]), with(&[], &[])],
        );
        assert_eq!(got, vec![n(t), 1_000_000_000]);
    }

    #[test]
    fn errors() {
        assert!(
            error("stage.timestamp {\nsource = \"\"\nformat = \"RFC3339\"\n}").contains(
                "invalid stage config timestamp source value is required if timestamp is specified"
            )
        );
        assert!(error("stage.timestamp {\nsource = \"a\"\nformat = \"\"\n}")
            .contains("timestamp format is required"));
        let e = error("stage.timestamp {\nsource = \"a\"\nformat = \"RFC3339\"\nlocation = \"America/Canada\"\n}");
        assert!(e.contains("test.alloy:4:12"), "{e}");
        assert!(
            e.contains("invalid location specified: %v: unknown time zone America/Canada"),
            "{e}"
        );
        assert!(error("stage.timestamp {\nsource = \"a\"\nformat = \"RFC3339\"\naction_on_failure = \"foo\"\n}")
            .contains("invalid action on failure (supported values are [skip fudge])"));
        assert!(error("stage.timestamp {\nsource = \"a\"\nformat = \"RFC3339\"\naction_on_duplicate_timestamp = \"x\"\n}")
            .contains("invalid action on duplicate timestamp (supported values are [keep fudge])"));
        assert!(error("stage.timestamp {\nsource = \"a\"\n}").contains("format"));
    }
}
