//! Pull parsers for the Prometheus text exposition format 0.0.4 and
//! OpenMetrics 1.0, with Prometheus' (`model/textparse`) acceptance rules and
//! error wording, plus scrape content negotiation.
//!
//! Both parsers borrow the body: names, label names and values are slices of
//! the input (still escaped; decode with [`Sample::write_labels`] or
//! [`unescape_into`]). Nothing is allocated per sample once the parser's small
//! reusable buffers have grown.
//!
//! ```
//! use ingot_prom::text_parse::{Entry, PromParser};
//! let mut p = PromParser::new(b"# TYPE up gauge\nup{job=\"a\"} 1\n");
//! let mut n = 0;
//! while let Some(e) = p.next_entry().unwrap() {
//!     if let Entry::Sample(s) = e {
//!         assert_eq!(s.metric_name(), "up");
//!         assert_eq!(s.value(), 1.0);
//!         n += 1;
//!     }
//! }
//! assert_eq!(n, 1);
//! ```

mod float;
mod negotiate;
mod openmetrics;
mod prom;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;

use crate::labels::{Labels, LabelsBuilder, METRIC_NAME};

pub use float::{
    go_parse_float, parse_prom_float, write_go_float_g, write_openmetrics_float, FloatError,
    NORMAL_NAN,
};
pub use negotiate::{
    accept_header, select_format, EscapingScheme, Format, FormatSelection, ScrapeProtocol,
    UnknownProtocol,
};
pub use openmetrics::{OpenMetricsOptions, OpenMetricsParser};
pub use prom::PromParser;

/// A byte range into the parsed body.
pub(crate) type Span = (usize, usize);

/// A family's type from its `# TYPE` line (the text format's `untyped` is `Unknown`).
pub use crate::MetricType;

/// A parse failure: Prometheus' message plus where it happened.
///
/// `Display` prints only the message, so it reads exactly like Prometheus'
/// scrape error; `line`/`column` (1-based, column in bytes) point at the start
/// of the offending token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    /// Byte offset of the offending token in the body.
    pub offset: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn at(input: &[u8], offset: usize, message: String) -> Self {
        let upto = &input[..offset.min(input.len())];
        let line = memchr::memchr_iter(b'\n', upto).count() + 1;
        let line_start = memchr::memrchr(b'\n', upto).map_or(0, |p| p + 1);
        ParseError {
            line,
            column: offset - line_start + 1,
            offset,
            message,
        }
    }

    /// `line:column: message`, for logs where the position helps.
    pub fn with_position(&self) -> String {
        format!("{}:{}: {}", self.line, self.column, self.message)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// Which escape set a piece of text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escapes {
    /// `\\` and `\n` only (text-format HELP).
    Help,
    /// `\\`, `\n` and `\"` (label values, quoted names, OpenMetrics HELP).
    Label,
}

/// One parsed line.
#[derive(Debug)]
pub enum Entry<'p, 'a> {
    /// `# HELP name text`. `text` is raw (escaped); see [`Entry::help_text`].
    Help {
        metric: &'a [u8],
        text: &'a [u8],
        escapes: Escapes,
    },
    /// `# TYPE name type`.
    Type {
        metric: &'a [u8],
        kind: MetricType,
    },
    /// `# UNIT name unit` (OpenMetrics only).
    Unit {
        metric: &'a [u8],
        unit: &'a [u8],
    },
    /// Any other `#` line (text format only); includes the `#`.
    Comment(&'a [u8]),
    Sample(Sample<'p, 'a>),
}

impl<'a> Entry<'_, 'a> {
    /// The decoded HELP text, borrowed when it has no escapes.
    pub fn help_text(&self) -> Option<Cow<'a, str>> {
        match self {
            Entry::Help { text, escapes, .. } => Some(unescape(text, *escapes)),
            _ => None,
        }
    }

    /// The metric name of a metadata line, unquoted and unescaped.
    pub fn metadata_metric(&self) -> Option<Cow<'a, str>> {
        match self {
            Entry::Help { metric, .. }
            | Entry::Type { metric, .. }
            | Entry::Unit { metric, .. } => Some(unescape(metric, Escapes::Label)),
            _ => None,
        }
    }
}

/// An exemplar attached to an OpenMetrics sample.
#[derive(Debug, Clone, Copy)]
pub struct Exemplar<'p, 'a> {
    input: &'a [u8],
    labels: &'p [(Span, Span)],
    value: f64,
    timestamp: Option<i64>,
}

impl<'p, 'a: 'p> Exemplar<'p, 'a> {
    /// Raw label pairs. Prometheus does not unescape exemplar label values.
    pub fn labels(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'p {
        let input = self.input;
        self.labels
            .iter()
            .map(move |&(n, v)| (&input[n.0..n.1], &input[v.0..v.1]))
    }
    pub fn value(&self) -> f64 {
        self.value
    }
    /// Milliseconds, converted from OpenMetrics float seconds.
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }
    /// The exemplar's labels as a set (raw values, as Prometheus keeps them).
    pub fn to_labels(&self) -> Labels {
        let mut b = LabelsBuilder::new();
        for (n, v) in self.labels() {
            b.push_unchecked(&String::from_utf8_lossy(n), &String::from_utf8_lossy(v));
        }
        b.labels()
    }
}

/// One sample line. Slices borrow the body (`'a`); the label index borrows
/// the parser (`'p`) and is valid until the next call to `next_entry`.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'p, 'a> {
    pub(crate) input: &'a [u8],
    pub(crate) series: Span,
    pub(crate) name: Span,
    pub(crate) labels: &'p [(Span, Span)],
    pub(crate) value: f64,
    pub(crate) timestamp: Option<i64>,
    pub(crate) metric_type: MetricType,
    pub(crate) exemplar: Option<Exemplar<'p, 'a>>,
}

impl<'p, 'a: 'p> Sample<'p, 'a> {
    /// The series text as written (`name{labels}`), e.g. for a scrape cache key.
    pub fn series(&self) -> &'a [u8] {
        &self.input[self.series.0..self.series.1]
    }

    /// The metric name as written (quotes stripped, escapes kept).
    pub fn metric_name_raw(&self) -> &'a [u8] {
        &self.input[self.name.0..self.name.1]
    }

    /// The decoded metric name; borrowed unless it had escapes.
    pub fn metric_name(&self) -> Cow<'a, str> {
        unescape(self.metric_name_raw(), Escapes::Label)
    }

    /// Raw `(name, value)` pairs in exposition order: quotes stripped, escapes
    /// kept, `le`/`quantile` not normalised.
    pub fn labels_raw(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'p {
        let input = self.input;
        self.labels
            .iter()
            .map(move |&(n, v)| (&input[n.0..n.1], &input[v.0..v.1]))
    }

    /// Number of labels, not counting the metric name.
    pub fn label_count(&self) -> usize {
        self.labels.len()
    }

    /// The value; NaN is always [`NORMAL_NAN`].
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Explicit timestamp in milliseconds, if the line had one.
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }

    /// The type of the most recent `# TYPE` line. Like Prometheus, this is not
    /// reset when a new family starts without metadata.
    pub fn metric_type(&self) -> MetricType {
        self.metric_type
    }

    pub fn exemplar(&self) -> Option<Exemplar<'p, 'a>> {
        self.exemplar
    }

    /// Fills `b` with the label set Prometheus' `Labels()` produces:
    /// `__name__` plus every label, unescaped, with `le` (histograms) and
    /// `quantile` (summaries) normalised to OpenMetrics float text. Duplicate
    /// names were already rejected by the parser. Allocation-free once `b`
    /// has grown.
    pub fn write_labels(&self, b: &mut LabelsBuilder) {
        b.clear();
        let name = self.metric_name_raw();
        b.push_with(
            |s| s.push_str(METRIC_NAME),
            |s| unescape_into(s, name, Escapes::Label),
        );
        for &(n, v) in self.labels {
            let n = &self.input[n.0..n.1];
            let v = &self.input[v.0..v.1];
            let normalise = match self.metric_type {
                MetricType::Histogram => n == b"le",
                MetricType::Summary => n == b"quantile",
                _ => false,
            };
            b.push_with(
                |s| unescape_into(s, n, Escapes::Label),
                |s| {
                    if normalise {
                        normalise_float_label(s, v)
                    } else {
                        unescape_into(s, v, Escapes::Label)
                    }
                },
            );
        }
    }

    /// The sorted label set; see [`Sample::write_labels`].
    pub fn to_labels(&self) -> Labels {
        let mut b = LabelsBuilder::new();
        self.write_labels(&mut b);
        b.labels()
    }
}

/// Prometheus' `normalizeFloatsInLabelValues`: reformat when the value parses
/// as a float, keep it verbatim otherwise.
fn normalise_float_label(out: &mut String, raw: &[u8]) {
    let start = out.len();
    unescape_into(out, raw, Escapes::Label);
    if let Ok(f) = float::go_parse_float(&out.as_bytes()[start..]) {
        out.truncate(start);
        write_openmetrics_float(out, f);
    }
}

/// Decodes `raw` with the given escape set, borrowing when nothing changes.
/// Unknown escapes are kept verbatim, as Go's `strings.Replacer` does.
pub fn unescape(raw: &[u8], escapes: Escapes) -> Cow<'_, str> {
    if memchr::memchr(b'\\', raw).is_none() {
        return String::from_utf8_lossy(raw);
    }
    let mut s = String::with_capacity(raw.len());
    unescape_into(&mut s, raw, escapes);
    Cow::Owned(s)
}

/// Appends the decoded form of `raw` to `out`.
pub fn unescape_into(out: &mut String, raw: &[u8], escapes: Escapes) {
    let mut rest = raw;
    while let Some(p) = memchr::memchr(b'\\', rest) {
        push_lossy(out, &rest[..p]);
        match (rest.get(p + 1), escapes) {
            (Some(b'\\'), _) => out.push('\\'),
            (Some(b'n'), _) => out.push('\n'),
            (Some(b'"'), Escapes::Label) => out.push('"'),
            _ => {
                out.push('\\');
                rest = &rest[p + 1..];
                continue;
            }
        }
        rest = &rest[p + 2..];
    }
    push_lossy(out, rest);
}

fn push_lossy(out: &mut String, b: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(s) => out.push_str(s),
        Err(_) => out.push_str(&String::from_utf8_lossy(b)),
    }
}

/// Go's `strconv.Quote` of a Go string holding any bytes (invalid UTF-8 as `\xff`), so error messages match
/// Prometheus' text exactly.
pub use ingot_gocompat::strconv::quote_bytes as go_quote;

/// Byte classes shared by both lexers.
pub(crate) mod class {
    /// `[a-zA-Z_:]`
    #[inline]
    pub fn metric_start(c: u8) -> bool {
        c.is_ascii_alphabetic() || c == b'_' || c == b':'
    }
    /// `[a-zA-Z0-9_:]`
    #[inline]
    pub fn metric_cont(c: u8) -> bool {
        NAME_CONT[c as usize] & 2 != 0
    }
    /// `[a-zA-Z_]`
    #[inline]
    pub fn label_start(c: u8) -> bool {
        c.is_ascii_alphabetic() || c == b'_'
    }
    /// `[a-zA-Z0-9_]`
    #[inline]
    pub fn label_cont(c: u8) -> bool {
        NAME_CONT[c as usize] & 1 != 0
    }

    /// bit 0: label-name continuation; bit 1: metric-name continuation.
    static NAME_CONT: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut c = 0;
        while c < 256 {
            let b = c as u8;
            if b.is_ascii_alphanumeric() || b == b'_' {
                t[c] = 3;
            } else if b == b':' {
                t[c] = 2;
            }
            c += 1;
        }
        t
    };
}

/// Token kinds of Prometheus' lexers; the names are what Go prints in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Invalid,
    Eof,
    Linebreak,
    Whitespace,
    Help,
    Type,
    Unit,
    EofWord,
    Text,
    Comment,
    MName,
    QString,
    BraceOpen,
    BraceClose,
    LName,
    LValue,
    Comma,
    Equal,
    Timestamp,
    Value,
}

impl Tok {
    pub(crate) fn go_name(self) -> &'static str {
        match self {
            Tok::Invalid => "INVALID",
            Tok::Eof => "EOF",
            Tok::Linebreak => "LINEBREAK",
            Tok::Whitespace => "WHITESPACE",
            Tok::Help => "HELP",
            Tok::Type => "TYPE",
            Tok::Unit => "UNIT",
            Tok::EofWord => "EOFWORD",
            Tok::Text => "TEXT",
            Tok::Comment => "COMMENT",
            Tok::MName => "MNAME",
            Tok::QString => "QSTRING",
            Tok::BraceOpen => "BOPEN",
            Tok::BraceClose => "BCLOSE",
            Tok::LName => "LNAME",
            Tok::LValue => "LVALUE",
            Tok::Comma => "COMMA",
            Tok::Equal => "EQUAL",
            Tok::Timestamp => "TIMESTAMP",
            Tok::Value => "VALUE",
        }
    }
}

/// Rejects a label set with a repeated name (including a `__name__` label
/// next to the metric name). Prometheus' parser lets these through and its
/// storage then fails the scrape; we fail at parse time with storage's words.
/// Returns the offending name's span.
pub(crate) fn find_duplicate(input: &[u8], labels: &[(Span, Span)]) -> Option<Span> {
    let name = |s: Span| &input[s.0..s.1];
    let mut sorted = true;
    for (i, &(n, _)) in labels.iter().enumerate() {
        let nb = name(n);
        if nb == METRIC_NAME.as_bytes() {
            return Some(n);
        }
        if i > 0 && name(labels[i - 1].0) >= nb {
            sorted = false;
        }
    }
    // Only quoted names can hold escapes, and two different raw spellings can
    // then decode to the same name, so the sorted shortcut needs none.
    let has_escape = labels.iter().any(|&(n, _)| name(n).contains(&b'\\'));
    if sorted && !has_escape {
        return None;
    }
    for i in 1..labels.len() {
        for j in 0..i {
            let (a, b) = (name(labels[j].0), name(labels[i].0));
            let equal = if has_escape {
                unescape(a, Escapes::Label) == unescape(b, Escapes::Label)
            } else {
                a == b
            };
            if equal {
                return Some(labels[i].0);
            }
        }
    }
    if has_escape {
        // An escaped quoted name can decode to `__name__`.
        for &(n, _) in labels {
            if unescape(name(n), Escapes::Label) == METRIC_NAME {
                return Some(n);
            }
        }
    }
    None
}

pub(crate) fn duplicate_error(input: &[u8], span: Span) -> ParseError {
    let name = unescape(&input[span.0..span.1], Escapes::Label);
    ParseError::at(
        input,
        span.0,
        format!(
            "label name {} is not unique: invalid sample",
            go_quote(name.as_bytes())
        ),
    )
}
