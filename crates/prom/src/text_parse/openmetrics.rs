//! OpenMetrics 1.0 text, with the acceptance rules of Prometheus'
//! `openmetricslex.l`/`openmetricsparse.go`: single-space separators, `# EOF`
//! required and final, exemplars, float-second timestamps, `_created` start
//! timestamps.

use super::class::{label_cont, label_start, metric_cont, metric_start};
use super::float::parse_prom_float;
use super::{
    duplicate_error, find_duplicate, go_quote, Entry, Escapes, Exemplar, MetricType, ParseError,
    Sample, Span, Tok,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Init,
    Comment,
    Meta1,
    Meta2,
    Labels,
    LValue,
    Value,
    Timestamp,
    Exemplar,
    EValue,
    ETimestamp,
}

/// Prometheus' OpenMetrics lexer. Unlike the text format, no newline is
/// appended: a body must end with `# EOF`.
#[derive(Clone)]
struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
    start: usize,
    state: St,
}

impl<'a> Lexer<'a> {
    #[inline]
    fn next(&mut self) -> u8 {
        self.i += 1;
        if self.i >= self.b.len() {
            return 0;
        }
        if matches!(self.state, St::LValue | St::Meta2 | St::Comment) {
            while self.b[self.i] == 0 {
                self.i += 1;
                if self.i >= self.b.len() {
                    return 0;
                }
            }
        }
        self.b[self.i]
    }

    fn lex(&mut self) -> Tok {
        if self.i >= self.b.len() {
            return Tok::Eof;
        }
        self.start = self.i;
        let c = self.b[self.i];
        self.dispatch(c)
    }

    /// Quoted string; `allow_newline` selects `[^\\"]` over `[^\\"\n]`.
    fn quoted(&mut self, allow_newline: bool) -> bool {
        let mut c = self.next();
        loop {
            match c {
                b'"' => {
                    self.next();
                    return true;
                }
                b'\\' => {
                    c = self.next();
                    if c == 0 || c == b'\n' {
                        return false;
                    }
                    c = self.next();
                }
                0 => return false,
                b'\n' if !allow_newline => return false,
                _ => c = self.next(),
            }
        }
    }

    /// `' '[^ \n]+` (value or timestamp); the leading space is the current byte.
    fn spaced_word(&mut self) -> bool {
        let c = self.next();
        if matches!(c, 0 | b' ' | b'\n') {
            return false;
        }
        while !matches!(self.next(), 0 | b' ' | b'\n') {}
        true
    }

    fn keyword(&mut self, rest: &[u8]) -> bool {
        for &w in rest {
            if self.next() != w {
                return false;
            }
        }
        self.next() == b' ' && {
            self.next();
            true
        }
    }

    fn dispatch(&mut self, c: u8) -> Tok {
        match self.state {
            St::Init => match c {
                b'#' => {
                    if self.next() != b' ' {
                        return Tok::Invalid;
                    }
                    let c = self.next();
                    self.state = St::Comment;
                    self.dispatch(c)
                }
                b'{' => {
                    self.next();
                    self.state = St::Labels;
                    Tok::BraceOpen
                }
                c if metric_start(c) => {
                    while metric_cont(self.next()) {}
                    self.state = St::Value;
                    Tok::MName
                }
                _ => Tok::Invalid,
            },
            St::Comment => {
                let (rest, tok): (&[u8], Tok) = match c {
                    b'H' => (b"ELP", Tok::Help),
                    b'T' => (b"YPE", Tok::Type),
                    b'U' => (b"NIT", Tok::Unit),
                    b'E' => {
                        if self.next() != b'O' || self.next() != b'F' {
                            return Tok::Invalid;
                        }
                        if self.next() == b'\n' {
                            self.next();
                        }
                        self.state = St::Init;
                        return Tok::EofWord;
                    }
                    _ => return Tok::Invalid,
                };
                if self.keyword(rest) {
                    self.state = St::Meta1;
                    tok
                } else {
                    Tok::Invalid
                }
            }
            St::Meta1 => match c {
                b'"' => {
                    if self.quoted(true) {
                        self.state = St::Meta2;
                        Tok::MName
                    } else {
                        Tok::Invalid
                    }
                }
                c if metric_start(c) => {
                    while metric_cont(self.next()) {}
                    self.state = St::Meta2;
                    Tok::MName
                }
                _ => Tok::Invalid,
            },
            St::Meta2 => {
                if c != b' ' {
                    return Tok::Invalid;
                }
                loop {
                    match self.next() {
                        b'\n' => {
                            self.next();
                            self.state = St::Init;
                            return Tok::Text;
                        }
                        0 => return Tok::Invalid,
                        _ => {}
                    }
                }
            }
            St::Labels | St::Exemplar => {
                let in_labels = self.state == St::Labels;
                match c {
                    b'"' => {
                        if self.quoted(in_labels) {
                            Tok::QString
                        } else {
                            Tok::Invalid
                        }
                    }
                    b'}' => {
                        self.next();
                        self.state = if in_labels { St::Value } else { St::EValue };
                        Tok::BraceClose
                    }
                    b'=' => {
                        self.next();
                        self.state = if in_labels { St::LValue } else { St::EValue };
                        Tok::Equal
                    }
                    b',' => {
                        self.next();
                        Tok::Comma
                    }
                    c if label_start(c) => {
                        while label_cont(self.next()) {}
                        Tok::LName
                    }
                    _ => Tok::Invalid,
                }
            }
            St::LValue => {
                if c == b'"' && self.quoted(false) {
                    self.state = St::Labels;
                    Tok::LValue
                } else {
                    Tok::Invalid
                }
            }
            St::EValue => match c {
                b'"' => {
                    if self.quoted(false) {
                        self.state = St::Exemplar;
                        Tok::LValue
                    } else {
                        Tok::Invalid
                    }
                }
                b' ' => {
                    if self.spaced_word() {
                        self.state = St::ETimestamp;
                        Tok::Value
                    } else {
                        Tok::Invalid
                    }
                }
                _ => Tok::Invalid,
            },
            St::Value => match c {
                b'{' => {
                    self.next();
                    self.state = St::Labels;
                    Tok::BraceOpen
                }
                b' ' => {
                    if self.spaced_word() {
                        self.state = St::Timestamp;
                        Tok::Value
                    } else {
                        Tok::Invalid
                    }
                }
                _ => Tok::Invalid,
            },
            St::Timestamp | St::ETimestamp => match c {
                b'\n' => {
                    self.next();
                    self.state = St::Init;
                    Tok::Linebreak
                }
                b' ' => {
                    let c = self.next();
                    if matches!(c, 0 | b' ' | b'\n') {
                        return Tok::Invalid;
                    }
                    if c == b'#' && self.state == St::Timestamp {
                        // " # {" opens an exemplar; " #..." otherwise is a
                        // timestamp token, except " # " + anything but '{'.
                        let c2 = self.next();
                        if c2 == b' ' {
                            if self.next() == b'{' {
                                self.next();
                                self.state = St::Exemplar;
                                return Tok::Comment;
                            }
                            return Tok::Invalid;
                        }
                        if matches!(c2, 0 | b'\n') {
                            return Tok::Timestamp;
                        }
                    }
                    while !matches!(self.next(), 0 | b' ' | b'\n') {}
                    Tok::Timestamp
                }
                _ => Tok::Invalid,
            },
        }
    }

    fn buf(&self) -> &'a [u8] {
        &self.b[self.start..self.i.min(self.b.len())]
    }
}

/// Options matching Prometheus' OpenMetrics parser options.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenMetricsOptions {
    /// Drop `_created` series of counters, summaries and histograms (their
    /// value is exposed through [`OpenMetricsParser::start_timestamp`]),
    /// as Prometheus does when start-timestamp ingestion is on.
    pub skip_created_series: bool,
}

/// Pull parser for OpenMetrics 1.0 text. After `# EOF` it returns `Ok(None)`;
/// after an error, the parser is finished.
pub struct OpenMetricsParser<'a> {
    l: Lexer<'a>,
    start: usize,
    name: Span,
    labels: Vec<(Span, Span)>,
    series: Span,
    value: f64,
    ts: Option<i64>,
    mtype: MetricType,
    /// Length of the family name in the last metadata line.
    mf_name_len: usize,
    ex_labels: Vec<(Span, Span)>,
    exemplar: Option<(f64, Option<i64>)>,
    opts: OpenMetricsOptions,
    done: bool,
    /// Start-timestamp cache: key of the series it belongs to, and the value.
    st_key: Vec<u8>,
    st: i64,
    fast: bool,
}

impl<'a> OpenMetricsParser<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Self::with_options(input, OpenMetricsOptions::default())
    }

    pub fn with_options(input: &'a [u8], opts: OpenMetricsOptions) -> Self {
        OpenMetricsParser {
            l: Lexer {
                b: input,
                i: 0,
                start: 0,
                state: St::Init,
            },
            start: 0,
            name: (0, 0),
            labels: Vec::with_capacity(16),
            series: (0, 0),
            value: 0.0,
            ts: None,
            mtype: MetricType::Unknown,
            mf_name_len: 0,
            ex_labels: Vec::new(),
            exemplar: None,
            opts,
            done: false,
            st_key: Vec::new(),
            st: 0,
            fast: true,
        }
    }

    /// Disables the fast path, for checking it against the exact path.
    #[doc(hidden)]
    pub fn exact_only(mut self) -> Self {
        self.fast = false;
        self
    }

    /// The next entry; `Ok(None)` after `# EOF`.
    pub fn next_entry(&mut self) -> Result<Option<Entry<'_, 'a>>, ParseError> {
        if self.done {
            return Ok(None);
        }
        match self.advance(self.opts.skip_created_series) {
            Ok(Some(k)) => Ok(Some(self.entry(k))),
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// Reads the next line as a sample only if its series text is exactly `series` (that of a
    /// line an OpenMetrics parser accepted before) followed by ` value\n`: no timestamp, no
    /// exemplar. Returns the value, or `None` without moving for anything else, which
    /// [`OpenMetricsParser::next_entry`] then reads. See [`super::PromParser::next_known_sample`].
    pub fn next_known_sample(&mut self, series: &[u8]) -> Option<f64> {
        // Skipping `_created` lines depends on the family's type: leave those to the full parse.
        if self.done || self.opts.skip_created_series || self.l.state != St::Init {
            return None;
        }
        let b = self.l.b;
        let start = self.l.i;
        let end = start + series.len();
        if series.is_empty() || end >= b.len() || &b[start..end] != series || b[end] != b' ' {
            return None;
        }
        let vs = end + 1;
        let ve = vs
            + b[vs..]
                .iter()
                .position(|&c| matches!(c, 0 | b' ' | b'\n'))?;
        if ve == vs || b[ve] != b'\n' {
            return None;
        }
        let value = parse_prom_float(&b[vs..ve]).ok()?;
        self.l.i = ve + 1;
        self.l.start = self.l.i;
        Some(value)
    }

    fn entry(&self, k: Kind<'a>) -> Entry<'_, 'a> {
        match k {
            Kind::Help(m, t) => Entry::Help {
                metric: m,
                text: t,
                escapes: Escapes::Label,
            },
            Kind::Type(m, kind) => Entry::Type { metric: m, kind },
            Kind::Unit(m, unit) => Entry::Unit { metric: m, unit },
            Kind::Sample => Entry::Sample(Sample {
                input: self.l.b,
                series: self.series,
                name: self.name,
                labels: &self.labels,
                value: self.value,
                timestamp: self.ts,
                metric_type: self.mtype,
                exemplar: self.exemplar.map(|(value, timestamp)| Exemplar {
                    input: self.l.b,
                    labels: &self.ex_labels,
                    value,
                    timestamp,
                }),
            }),
        }
    }

    fn parse_error(&self, expected: &str, got: Tok) -> ParseError {
        let b = self.l.b;
        let e = b.len().min(self.l.i + 1);
        ParseError::at(
            b,
            self.l.start,
            format!(
                "{}, got {} ({}) while parsing: {}",
                expected,
                go_quote(&b[self.l.start.min(e)..e]),
                go_quote(got.go_name().as_bytes()),
                go_quote(&b[self.start.min(e)..e])
            ),
        )
    }

    fn line_error(&self, at: usize, prefix: &str) -> ParseError {
        let b = self.l.b;
        let e = self.l.i.min(b.len());
        ParseError::at(
            b,
            at,
            format!("{} while parsing: {}", prefix, go_quote(&b[self.start..e])),
        )
    }

    fn plain_error(&self, at: usize, msg: String) -> ParseError {
        ParseError::at(self.l.b, at, msg)
    }

    fn no_eof(&self) -> ParseError {
        self.plain_error(self.l.b.len(), "data does not end with # EOF".to_string())
    }

    fn advance(&mut self, skip_created: bool) -> Result<Option<Kind<'a>>, ParseError> {
        loop {
            self.start = self.l.i;
            self.labels.clear();
            self.ex_labels.clear();
            self.exemplar = None;
            if self.fast && self.l.state == St::Init && self.l.b.get(self.l.i) == Some(&b'#') {
                if let Some(k) = self.fast_metadata() {
                    return Ok(Some(k));
                }
            }
            let t = self.l.lex();
            match t {
                Tok::EofWord => {
                    if self.l.lex() != Tok::Eof {
                        return Err(self
                            .plain_error(self.l.start, "unexpected data after # EOF".to_string()));
                    }
                    return Ok(None);
                }
                Tok::Eof => return Err(self.no_eof()),
                Tok::Help | Tok::Type | Tok::Unit => return self.metadata(t).map(Some),
                Tok::BraceOpen => {
                    self.name = (usize::MAX, usize::MAX);
                    self.parse_label_values(false)?;
                    self.series = (self.start, self.l.i);
                    let t2 = self.l.lex();
                    self.series_end(t2)?;
                }
                Tok::MName => {
                    self.name = (self.start, self.l.i);
                    self.series = (self.start, self.l.i);
                    let mut t2 = self.l.lex();
                    if t2 == Tok::BraceOpen {
                        self.parse_label_values(false)?;
                        self.series = (self.start, self.l.i);
                        t2 = self.l.lex();
                    }
                    self.series_end(t2)?;
                }
                _ => return Err(self.parse_error("expected a valid start token", t)),
            }
            if skip_created && self.is_created_series() {
                continue;
            }
            return Ok(Some(Kind::Sample));
        }
    }

    /// The common metadata lines without the state machine: `# HELP`, `# TYPE` or `# UNIT`, an
    /// unquoted name, one blank and the text up to a newline. `None` for anything else, and for
    /// anything the exact path would reject, which it then reads and reports.
    fn fast_metadata(&mut self) -> Option<Kind<'a>> {
        let b = self.l.b;
        let start = self.l.i;
        let rest = b.get(start..)?;
        let t = match rest.get(..7)? {
            b"# HELP " => Tok::Help,
            b"# TYPE " => Tok::Type,
            b"# UNIT " => Tok::Unit,
            _ => return None,
        };
        let ms = start + 7;
        if !metric_start(*b.get(ms)?) {
            return None;
        }
        let me = super::prom::scan_name(b, ms + 1, 2);
        if b.get(me) != Some(&b' ') {
            return None;
        }
        let ts = me + 1;
        let te = ts + memchr::memchr(b'\n', &b[ts..])?;
        // The exact lexer reads one byte past the newline while still in the text's state, where NULs
        // are skipped and kept in the token (as Prometheus' lexer does): leave that case to it.
        if b.get(te + 1) == Some(&0) {
            return None;
        }
        let text = &b[ts..te];
        let kind = self.metadata_kind(t, &b[ms..me], text, ts).ok()?;
        self.mf_name_len = me - ms;
        self.l.i = te + 1;
        self.l.start = te + 1;
        Some(kind)
    }

    fn metadata(&mut self, t: Tok) -> Result<Kind<'a>, ParseError> {
        let t2 = self.l.lex();
        if t2 != Tok::MName {
            return Err(
                self.parse_error(&format!("expected metric name after {}", t.go_name()), t2)
            );
        }
        let b = self.l.b;
        let (mut ms, mut me) = (self.l.start, self.l.i);
        if b[ms] == b'"' && b[me - 1] == b'"' {
            ms += 1;
            me -= 1;
        }
        self.mf_name_len = me - ms;
        let metric = &b[ms..me];
        let at = self.l.i;
        if self.l.lex() != Tok::Text {
            return Err(self.plain_error(at, format!("expected text in {}", t.go_name())));
        }
        // Drop the leading space and the trailing newline.
        let buf = self.l.buf();
        let text = if buf.len() > 1 {
            &buf[1..buf.len() - 1]
        } else {
            &buf[..0]
        };
        let text_at = self.l.start + 1;
        self.metadata_kind(t, metric, text, text_at)
    }

    /// What a metadata line of kind `t` (HELP, TYPE or UNIT) says, from its metric name and text
    /// (`text_at`: where the text starts, for errors).
    fn metadata_kind(
        &mut self,
        t: Tok,
        metric: &'a [u8],
        text: &'a [u8],
        text_at: usize,
    ) -> Result<Kind<'a>, ParseError> {
        match t {
            Tok::Type => {
                let Some(k) = MetricType::from_model_str(text) else {
                    return Err(self
                        .plain_error(text_at, format!("invalid metric type {}", go_quote(text))));
                };
                self.mtype = k;
                Ok(Kind::Type(metric, k))
            }
            Tok::Help => {
                if std::str::from_utf8(text).is_err() {
                    return Err(self.plain_error(
                        text_at,
                        format!("help text {} is not a valid utf8 string", go_quote(text)),
                    ));
                }
                Ok(Kind::Help(metric, text))
            }
            _ => {
                let is_suffix = metric.len() > text.len()
                    && metric.ends_with(text)
                    && metric[metric.len() - text.len() - 1] == b'_';
                if !text.is_empty() && !is_suffix {
                    return Err(self.plain_error(
                        text_at,
                        format!(
                            "unit {} not a suffix of metric {}",
                            go_quote(text),
                            go_quote(metric)
                        ),
                    ));
                }
                Ok(Kind::Unit(metric, text))
            }
        }
    }

    fn parse_label_values(&mut self, exemplar: bool) -> Result<(), ParseError> {
        let mut t = self.l.lex();
        loop {
            let (mut ns, mut ne) = (self.l.start, self.l.i);
            let quoted = match t {
                Tok::BraceClose => return Ok(()),
                Tok::LName => false,
                Tok::QString => true,
                _ => return Err(self.parse_error("expected label name", t)),
            };
            t = self.l.lex();
            if quoted && (t == Tok::Comma || t == Tok::BraceClose) {
                if exemplar {
                    return Err(self.parse_error("expected label name", t));
                }
                if self.name.0 != usize::MAX {
                    let e = self.l.i.min(self.l.b.len());
                    return Err(self.plain_error(
                        ns,
                        format!(
                            "metric name already set while parsing: {}",
                            go_quote(&self.l.b[self.start..e])
                        ),
                    ));
                }
                self.check_utf8_name((ns + 1, ne - 1))?;
                self.name = (ns + 1, ne - 1);
                if t == Tok::BraceClose {
                    return Ok(());
                }
                t = self.l.lex();
                continue;
            }
            if quoted {
                ns += 1;
                ne -= 1;
                self.check_utf8_name((ns, ne))?;
            }
            if t != Tok::Equal {
                return Err(self.parse_error("expected equal", t));
            }
            let t2 = self.l.lex();
            if t2 != Tok::LValue {
                return Err(self.parse_error("expected label value", t2));
            }
            let raw = self.l.buf();
            if std::str::from_utf8(raw).is_err() {
                return Err(self.plain_error(
                    self.l.start,
                    format!("invalid UTF-8 label value: {}", go_quote(raw)),
                ));
            }
            let pair = ((ns, ne), (self.l.start + 1, self.l.i - 1));
            if exemplar {
                self.ex_labels.push(pair);
            } else {
                self.labels.push(pair);
            }
            t = self.l.lex();
            if t == Tok::Comma {
                t = self.l.lex();
            } else if t != Tok::BraceClose {
                return Err(self.parse_error("expected comma or brace close", t));
            }
        }
    }

    fn check_utf8_name(&self, s: Span) -> Result<(), ParseError> {
        let raw = &self.l.b[s.0..s.1];
        if std::str::from_utf8(raw).is_err() {
            return Err(
                self.plain_error(s.0, format!("invalid UTF-8 label name: {}", go_quote(raw)))
            );
        }
        Ok(())
    }

    /// A float value token (which starts with its separating space).
    fn float_value(&mut self, t: Tok, after: &str) -> Result<f64, ParseError> {
        if t != Tok::Value {
            return Err(self.parse_error(&format!("expected value after {}", after), t));
        }
        let raw = &self.l.buf()[1..];
        parse_prom_float(raw).map_err(|e| self.line_error(self.l.start + 1, &e.message(raw)))
    }

    /// Float seconds to integer milliseconds, as Go's `int64(ts*1000)`.
    fn timestamp_ms(&mut self, what: &str) -> Result<i64, ParseError> {
        let raw = &self.l.buf()[1..];
        let at = self.l.start + 1;
        let ts = parse_prom_float(raw).map_err(|e| self.line_error(at, &e.message(raw)))?;
        if !ts.is_finite() {
            let shown = if ts.is_nan() {
                "NaN"
            } else if ts > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            return Err(self.plain_error(at, format!("invalid {} {}", what, shown)));
        }
        // Go's conversion truncates toward zero; out-of-range values saturate
        // here where Go's result is platform-defined.
        Ok((ts * 1000.0) as i64)
    }

    fn series_end(&mut self, t: Tok) -> Result<(), ParseError> {
        if self.name.0 == usize::MAX {
            let e = self.l.i.min(self.l.b.len());
            return Err(self.plain_error(
                self.start,
                format!(
                    "metric name not set while parsing: {}",
                    go_quote(&self.l.b[self.start..e])
                ),
            ));
        }
        self.value = self.float_value(t, "metric")?;
        self.ts = None;
        match self.l.lex() {
            Tok::Eof => return Err(self.no_eof()),
            Tok::Linebreak => {}
            Tok::Comment => self.exemplar_tail()?,
            Tok::Timestamp => {
                self.ts = Some(self.timestamp_ms("timestamp")?);
                match self.l.lex() {
                    Tok::Linebreak => {}
                    Tok::Comment => self.exemplar_tail()?,
                    t3 => return Err(self.parse_error("expected next entry after timestamp", t3)),
                }
            }
            // Prometheus ignores anything else here and resumes lexing at the
            // same spot on the next call, which then fails; do the same.
            _ => {}
        }
        if let Some(span) = find_duplicate(self.l.b, &self.labels) {
            return Err(duplicate_error(self.l.b, span));
        }
        Ok(())
    }

    fn exemplar_tail(&mut self) -> Result<(), ParseError> {
        self.parse_label_values(true)?;
        let t = self.l.lex();
        let value = self.float_value(t, "exemplar labels")?;
        let mut ts = None;
        match self.l.lex() {
            Tok::Eof => return Err(self.no_eof()),
            Tok::Linebreak => {}
            Tok::Timestamp => {
                ts = Some(self.timestamp_ms("exemplar timestamp")?);
                let t3 = self.l.lex();
                if t3 != Tok::Linebreak {
                    return Err(
                        self.parse_error("expected next entry after exemplar timestamp", t3)
                    );
                }
            }
            t2 => return Err(self.parse_error("expected timestamp or comment", t2)),
        }
        self.exemplar = Some((value, ts));
        Ok(())
    }

    fn is_created_series(&self) -> bool {
        let name = &self.l.b[self.name.0..self.name.1];
        self.mtype.has_created() && name.ends_with(b"_created")
    }

    /// The series key Prometheus uses to pair a sample with its `_created`
    /// line: label pairs (minus `le`/`quantile` where they split a family)
    /// followed by the family name.
    fn st_series_key(&self, out: &mut Vec<u8>, family: &[u8]) {
        out.clear();
        let b = self.l.b;
        for &(n, v) in &self.labels {
            let name = &b[n.0..n.1];
            if (self.mtype == MetricType::Summary && name == b"quantile")
                || (self.mtype == MetricType::Histogram && name == b"le")
            {
                continue;
            }
            out.extend_from_slice(name);
            out.extend_from_slice(&b[v.0..v.1]);
        }
        out.extend_from_slice(family);
    }

    /// Start timestamp (ms) of the current sample from its family's
    /// `_created` line, found by reading ahead within the family as
    /// Prometheus does; 0 when unknown or the type has none.
    pub fn start_timestamp(&mut self) -> i64 {
        if !self.mtype.has_created() {
            self.st_key.clear();
            return 0;
        }
        let b = self.l.b;
        let fam_end = (self.name.0 + self.mf_name_len).min(b.len());
        let family = &b[self.name.0..fam_end];
        let mut key = Vec::new();
        self.st_series_key(&mut key, family);
        if !self.st_key.is_empty() && key == self.st_key && self.st > 0 {
            return self.st;
        }
        // Read ahead on a copy; the real parser state is untouched.
        let mut peek = OpenMetricsParser {
            l: self.l.clone(),
            start: self.start,
            name: self.name,
            labels: Vec::new(),
            series: self.series,
            value: 0.0,
            ts: None,
            mtype: self.mtype,
            mf_name_len: self.mf_name_len,
            ex_labels: Vec::new(),
            exemplar: None,
            opts: OpenMetricsOptions::default(),
            done: false,
            st_key: Vec::new(),
            st: 0,
            fast: self.fast,
        };
        let mut peek_key = Vec::new();
        loop {
            match peek.advance(false) {
                Ok(Some(Kind::Sample)) => {}
                _ => {
                    self.st_key.clear();
                    return 0;
                }
            }
            let name = &b[peek.name.0..peek.name.1];
            let Some(base) = name.strip_suffix(b"_created") else {
                continue;
            };
            peek.st_series_key(&mut peek_key, base);
            if peek_key != key {
                self.st_key.clear();
                return 0;
            }
            let st = (peek.value * 1000.0) as i64;
            self.st_key = key;
            self.st = st;
            return st;
        }
    }
}

enum Kind<'a> {
    Help(&'a [u8], &'a [u8]),
    Type(&'a [u8], MetricType),
    Unit(&'a [u8], &'a [u8]),
    Sample,
}
