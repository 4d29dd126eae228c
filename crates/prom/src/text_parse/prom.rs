//! Prometheus text format 0.0.4, with the acceptance rules of Prometheus'
//! `promlex.l`/`promparse.go`.
//!
//! Two paths produce identical results: a straight-line fast path for the
//! common sample shape (`name{l="v",...} value [ts]`), and a state-machine
//! lexer that reproduces Prometheus' lexer token by token, including where it
//! stops on bad input, so error messages match. Any line the fast path is not
//! sure about is re-read by the exact path from its start.

use super::class::{label_cont, label_start, metric_cont, metric_start};
use super::float::{parse_go_int, parse_prom_float};
use super::{
    duplicate_error, find_duplicate, go_quote, Entry, Escapes, MetricType, ParseError, Sample,
    Span, Tok,
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
}

/// Prometheus' lexer over the body with a virtual `\n` appended (Prometheus
/// appends one, which is why a missing final newline is fine).
#[derive(Clone)]
struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
    start: usize,
    state: St,
}

impl<'a> Lexer<'a> {
    /// Length including the virtual newline.
    #[inline]
    fn len(&self) -> usize {
        self.b.len() + 1
    }

    #[inline]
    fn at(&self, i: usize) -> u8 {
        if i < self.b.len() {
            self.b[i]
        } else {
            b'\n'
        }
    }

    /// Advance one byte. Inside label values, help text and comments NUL bytes
    /// are skipped, as Prometheus' lexer does.
    #[inline]
    fn next(&mut self) -> u8 {
        self.i += 1;
        if self.i >= self.len() {
            return 0;
        }
        if matches!(self.state, St::LValue | St::Meta2 | St::Comment) {
            // Terminates: the virtual final byte is '\n'.
            while self.at(self.i) == 0 {
                self.i += 1;
            }
        }
        self.at(self.i)
    }

    fn lex(&mut self) -> Tok {
        if self.i >= self.len() {
            return Tok::Eof;
        }
        let c = self.at(self.i);
        self.start = self.i;
        self.dispatch(c)
    }

    fn whitespace(&mut self) -> Tok {
        let mut c = self.next();
        while c == b' ' || c == b'\t' {
            c = self.next();
        }
        Tok::Whitespace
    }

    /// `"(\\.|[^\\"])*"`: on success leaves `i` after the closing quote.
    fn quoted(&mut self) -> bool {
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
                _ => c = self.next(),
            }
        }
    }

    fn consume_comment(&mut self) -> Tok {
        let mut c = self.at(self.i);
        loop {
            match c {
                0 => return Tok::Eof,
                b'\n' => {
                    self.state = St::Init;
                    return Tok::Comment;
                }
                _ => c = self.next(),
            }
        }
    }

    /// Matches `word` then `[ \t]+`; on a mismatch the comment is swallowed.
    fn keyword(&mut self, word: &[u8], tok: Tok) -> Tok {
        // The first letter is the current byte.
        for &w in &word[1..] {
            if self.next() != w {
                return self.consume_comment();
            }
        }
        let mut c = self.next();
        if c != b' ' && c != b'\t' {
            return self.consume_comment();
        }
        while c == b' ' || c == b'\t' {
            c = self.next();
        }
        self.state = St::Meta1;
        tok
    }

    fn dispatch(&mut self, c: u8) -> Tok {
        match self.state {
            St::Init => match c {
                b'#' => {
                    let mut c = self.next();
                    if c == b' ' || c == b'\t' {
                        while c == b' ' || c == b'\t' {
                            c = self.next();
                        }
                        self.state = St::Comment;
                        return self.dispatch(c);
                    }
                    self.consume_comment()
                }
                b'\n' => {
                    self.next();
                    self.state = St::Init;
                    Tok::Linebreak
                }
                b' ' | b'\t' => self.whitespace(),
                0 => {
                    self.next();
                    Tok::Eof
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
            St::Comment => match c {
                b'H' => self.keyword(b"HELP", Tok::Help),
                b'T' => self.keyword(b"TYPE", Tok::Type),
                b' ' | b'\t' => self.whitespace(),
                _ => self.consume_comment(),
            },
            St::Meta1 => match c {
                b'"' => {
                    if self.quoted() {
                        self.state = St::Meta2;
                        Tok::MName
                    } else {
                        Tok::Invalid
                    }
                }
                b' ' | b'\t' => self.whitespace(),
                c if metric_start(c) => {
                    while metric_cont(self.next()) {}
                    self.state = St::Meta2;
                    Tok::MName
                }
                _ => Tok::Invalid,
            },
            St::Meta2 => {
                if c == b' ' || c == b'\t' {
                    // A run of blanks is whitespace unless text follows it.
                    let mut c = self.next();
                    while c == b' ' || c == b'\t' {
                        c = self.next();
                    }
                    if c == b'\n' || c == 0 {
                        return Tok::Whitespace;
                    }
                }
                if c != b'\n' && c != 0 {
                    loop {
                        let c = self.next();
                        if c == b'\n' || c == 0 {
                            break;
                        }
                    }
                }
                self.state = St::Init;
                Tok::Text
            }
            St::Labels => match c {
                b'"' => {
                    if self.quoted() {
                        Tok::QString
                    } else {
                        Tok::Invalid
                    }
                }
                b',' => {
                    self.next();
                    Tok::Comma
                }
                b'=' => {
                    self.next();
                    self.state = St::LValue;
                    Tok::Equal
                }
                b'}' => {
                    self.next();
                    self.state = St::Value;
                    Tok::BraceClose
                }
                b' ' | b'\t' => self.whitespace(),
                c if label_start(c) => {
                    while label_cont(self.next()) {}
                    Tok::LName
                }
                _ => Tok::Invalid,
            },
            St::LValue => match c {
                b'"' => {
                    if self.quoted() {
                        self.state = St::Labels;
                        Tok::LValue
                    } else {
                        Tok::Invalid
                    }
                }
                b' ' | b'\t' => self.whitespace(),
                _ => Tok::Invalid,
            },
            St::Value => match c {
                b' ' | b'\t' => self.whitespace(),
                b'{' => {
                    self.next();
                    self.state = St::Labels;
                    Tok::BraceOpen
                }
                0 | b'\n' => Tok::Invalid,
                _ => {
                    while !matches!(self.next(), 0 | b'\t' | b'\n' | b' ' | b'{') {}
                    self.state = St::Timestamp;
                    Tok::Value
                }
            },
            St::Timestamp => match c {
                b'\n' => {
                    self.next();
                    self.state = St::Init;
                    Tok::Linebreak
                }
                b' ' | b'\t' => self.whitespace(),
                b'0'..=b'9' => {
                    while self.next().is_ascii_digit() {}
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

/// Pull parser for the Prometheus text format. Call [`PromParser::next_entry`]
/// until it returns `Ok(None)`. After an error, the parser is finished.
pub struct PromParser<'a> {
    l: Lexer<'a>,
    /// Start of the current line, including leading blanks (Prometheus keeps
    /// them in the metric name of such a line).
    start: usize,
    name: Span,
    labels: Vec<(Span, Span)>,
    series: Span,
    value: f64,
    ts: Option<i64>,
    mtype: MetricType,
    done: bool,
    fast: bool,
}

impl<'a> PromParser<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        PromParser {
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
            done: false,
            fast: true,
        }
    }

    /// Disables the fast path, for checking it against the exact path.
    #[doc(hidden)]
    pub fn exact_only(mut self) -> Self {
        self.fast = false;
        self
    }

    /// The next entry, `Ok(None)` at the end of the body.
    pub fn next_entry(&mut self) -> Result<Option<Entry<'_, 'a>>, ParseError> {
        if self.done {
            return Ok(None);
        }
        match self.advance() {
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

    fn entry(&self, k: Kind<'a>) -> Entry<'_, 'a> {
        match k {
            Kind::Help(m, t) => Entry::Help {
                metric: m,
                text: t,
                escapes: Escapes::Help,
            },
            Kind::Type(m, kind) => Entry::Type { metric: m, kind },
            Kind::Comment(t) => Entry::Comment(t),
            Kind::Sample => Entry::Sample(Sample {
                input: self.l.b,
                series: self.series,
                name: self.name,
                labels: &self.labels,
                value: self.value,
                timestamp: self.ts,
                metric_type: self.mtype,
                exemplar: None,
            }),
        }
    }

    fn next_token(&mut self) -> Tok {
        loop {
            let t = self.l.lex();
            if t != Tok::Whitespace {
                return t;
            }
        }
    }

    /// Go's `parseError`: the token plus one byte of lookahead, and the line so far.
    fn parse_error(&self, expected: &str, got: Tok) -> ParseError {
        let e = self.l.len().min(self.l.i + 1);
        let tok: Vec<u8> = (self.l.start..e).map(|i| self.l.at(i)).collect();
        let line: Vec<u8> = (self.start..e).map(|i| self.l.at(i)).collect();
        ParseError::at(
            self.l.b,
            self.l.start,
            format!(
                "{}, got {} ({}) while parsing: {}",
                expected,
                go_quote(&tok),
                go_quote(got.go_name().as_bytes()),
                go_quote(&line)
            ),
        )
    }

    /// An error quoting the line from its start to the lexer position.
    fn line_error(&self, at: usize, prefix: &str) -> ParseError {
        let line: Vec<u8> = (self.start..self.l.i).map(|i| self.l.at(i)).collect();
        ParseError::at(
            self.l.b,
            at,
            format!("{} while parsing: {}", prefix, go_quote(&line)),
        )
    }

    fn advance(&mut self) -> Result<Option<Kind<'a>>, ParseError> {
        loop {
            self.start = self.l.i;
            self.labels.clear();
            if self.fast && self.l.state == St::Init {
                if self.l.b.get(self.start) == Some(&b'#') {
                    if let Some(k) = self.fast_metadata() {
                        return Ok(Some(k));
                    }
                } else if let Some(()) = self.fast_sample() {
                    return Ok(Some(Kind::Sample));
                }
                // Not sure: re-read the line exactly.
                self.labels.clear();
                self.l.i = self.start;
                self.l.state = St::Init;
            }
            let t = self.next_token();
            match t {
                Tok::Eof => return Ok(None),
                Tok::Linebreak => continue,
                Tok::Help | Tok::Type => return self.metadata(t).map(Some),
                Tok::Comment => {
                    let text = self.l.buf();
                    let t2 = self.next_token();
                    if t2 != Tok::Linebreak {
                        if t2 == Tok::Eof {
                            // A NUL ended the comment: Prometheus stops there.
                            return Ok(None);
                        }
                        return Err(self.parse_error("linebreak expected after comment", t2));
                    }
                    return Ok(Some(Kind::Comment(text)));
                }
                Tok::BraceOpen => {
                    self.name = (usize::MAX, usize::MAX);
                    self.parse_label_values()?;
                    self.series = (self.start, self.l.i);
                    let t2 = self.next_token();
                    self.metric_suffix(t2)?;
                    return Ok(Some(Kind::Sample));
                }
                Tok::MName => {
                    self.name = (self.start, self.l.i);
                    self.series = (self.start, self.l.i);
                    let mut t2 = self.next_token();
                    if t2 == Tok::BraceOpen {
                        self.parse_label_values()?;
                        self.series = (self.start, self.l.i);
                        t2 = self.next_token();
                    }
                    self.metric_suffix(t2)?;
                    return Ok(Some(Kind::Sample));
                }
                _ => return Err(self.parse_error("expected a valid start token", t)),
            }
        }
    }

    fn metadata(&mut self, t: Tok) -> Result<Kind<'a>, ParseError> {
        let t2 = self.next_token();
        if t2 != Tok::MName {
            return Err(
                self.parse_error(&format!("expected metric name after {}", t.go_name()), t2)
            );
        }
        let (mut ms, mut me) = (self.l.start, self.l.i);
        if self.l.at(ms) == b'"' && self.l.at(me - 1) == b'"' {
            ms += 1;
            me -= 1;
        }
        let metric = &self.l.b[ms..me];
        let t2 = self.next_token();
        if t2 != Tok::Text {
            return Err(ParseError::at(
                self.l.b,
                self.l.start,
                format!("expected text in {}, got {}", t.go_name(), t2.go_name()),
            ));
        }
        let text_at = self.l.start;
        let buf = self.l.buf();
        // The text token includes the separating blank.
        let text = if buf.len() > 1 { &buf[1..] } else { &buf[..0] };
        let kind = if t == Tok::Type {
            let Some(k) = MetricType::from_text_type(text) else {
                return Err(ParseError::at(
                    self.l.b,
                    text_at,
                    format!("invalid metric type {}", go_quote(text)),
                ));
            };
            self.mtype = k;
            Kind::Type(metric, k)
        } else {
            if std::str::from_utf8(text).is_err() {
                return Err(ParseError::at(
                    self.l.b,
                    text_at,
                    format!("help text {} is not a valid utf8 string", go_quote(text)),
                ));
            }
            Kind::Help(metric, text)
        };
        let t3 = self.next_token();
        if t3 != Tok::Linebreak {
            return Err(self.parse_error("linebreak expected after metadata", t3));
        }
        Ok(kind)
    }

    fn parse_label_values(&mut self) -> Result<(), ParseError> {
        let mut t = self.next_token();
        loop {
            let (mut ns, mut ne) = (self.l.start, self.l.i);
            let quoted = match t {
                Tok::BraceClose => return Ok(()),
                Tok::LName => false,
                Tok::QString => true,
                _ => return Err(self.parse_error("expected label name", t)),
            };
            t = self.next_token();
            if quoted && (t == Tok::Comma || t == Tok::BraceClose) {
                // A lone quoted string is the metric name.
                if self.name.0 != usize::MAX {
                    let line: Vec<u8> = (self.start..self.l.i).map(|i| self.l.at(i)).collect();
                    return Err(ParseError::at(
                        self.l.b,
                        ns,
                        format!("metric name already set while parsing: {}", go_quote(&line)),
                    ));
                }
                check_utf8_name(self.l.b, (ns + 1, ne - 1))?;
                self.name = (ns + 1, ne - 1);
                if t == Tok::BraceClose {
                    return Ok(());
                }
                t = self.next_token();
                continue;
            }
            if quoted {
                ns += 1;
                ne -= 1;
                check_utf8_name(self.l.b, (ns, ne))?;
            }
            if t != Tok::Equal {
                return Err(self.parse_error("expected equal", t));
            }
            let t2 = self.next_token();
            if t2 != Tok::LValue {
                return Err(self.parse_error("expected label value", t2));
            }
            let raw = self.l.buf();
            if std::str::from_utf8(raw).is_err() {
                return Err(ParseError::at(
                    self.l.b,
                    self.l.start,
                    format!("invalid UTF-8 label value: {}", go_quote(raw)),
                ));
            }
            self.labels
                .push(((ns, ne), (self.l.start + 1, self.l.i - 1)));
            // Prometheus allows a trailing comma and, unlike OpenMetrics, no
            // comma at all between pairs.
            t = self.next_token();
            if t == Tok::Comma {
                t = self.next_token();
            }
        }
    }

    fn metric_suffix(&mut self, t: Tok) -> Result<(), ParseError> {
        if self.name.0 == usize::MAX {
            let line: Vec<u8> = (self.start..self.l.i).map(|i| self.l.at(i)).collect();
            return Err(ParseError::at(
                self.l.b,
                self.start,
                format!("metric name not set while parsing: {}", go_quote(&line)),
            ));
        }
        if t != Tok::Value {
            return Err(self.parse_error("expected value after metric", t));
        }
        let raw = self.l.buf();
        let at = self.l.start;
        self.value = match parse_prom_float(raw) {
            Ok(v) => v,
            Err(e) => return Err(self.line_error(at, &e.message(raw))),
        };
        self.ts = None;
        match self.next_token() {
            Tok::Linebreak => {}
            Tok::Timestamp => {
                let at = self.l.start;
                match parse_go_int(self.l.buf()) {
                    Ok(ts) => self.ts = Some(ts),
                    Err(msg) => return Err(self.line_error(at, &msg)),
                }
                let t2 = self.next_token();
                if t2 != Tok::Linebreak {
                    return Err(self.parse_error("expected next entry after timestamp", t2));
                }
            }
            t => return Err(self.parse_error("expected timestamp or new record", t)),
        }
        if let Some(span) = find_duplicate(self.l.b, &self.labels) {
            return Err(duplicate_error(self.l.b, span));
        }
        Ok(())
    }

    /// The common line shape without the state machine. Returns `None`
    /// whenever the line is anything else, including every error; the exact
    /// path then re-reads it. Must accept only lines the exact path accepts,
    /// with identical results.
    #[inline]
    fn fast_sample(&mut self) -> Option<()> {
        let b = self.l.b;
        let n = b.len();
        let start = self.start;
        let mut i = start;
        if i >= n || !metric_start(b[i]) {
            return None;
        }
        i = scan_name(b, i + 1, 2);
        self.name = (start, i);
        if i < n && b[i] == b'{' {
            i += 1;
            let mut ordered = true;
            loop {
                if i >= n {
                    return None;
                }
                if b[i] == b'}' {
                    i += 1;
                    break;
                }
                let ns = i;
                if !label_start(b[i]) {
                    return None;
                }
                i = scan_name(b, i + 1, 1);
                let ne = i;
                if i + 1 >= n || b[i] != b'=' || b[i + 1] != b'"' {
                    return None;
                }
                if !self.new_label_name((ns, ne), &mut ordered) {
                    return None;
                }
                i += 2;
                let vs = i;
                let mut non_ascii = false;
                loop {
                    i = skip_plain_value(b, i);
                    match b.get(i) {
                        None => return None,
                        Some(b'"') => break,
                        Some(b'\\') => match b.get(i + 1) {
                            // The exact lexer skips NULs after a backslash and
                            // rejects a newline; leave both to it.
                            None | Some(0) | Some(b'\n') => return None,
                            Some(&c) => {
                                non_ascii |= c >= 0x80;
                                i += 2;
                            }
                        },
                        Some(_) => {
                            non_ascii = true;
                            i += 1;
                        }
                    }
                }
                let ve = i;
                if non_ascii && std::str::from_utf8(&b[vs..ve]).is_err() {
                    return None;
                }
                self.labels.push(((ns, ne), (vs, ve)));
                i += 1;
                match b.get(i) {
                    // After a comma only '}' or a plain name is taken here.
                    Some(b',') => i += 1,
                    Some(b'}') => {}
                    _ => return None,
                }
            }
            return self.after_labels(i);
        } else {
            self.series = (start, i);
            if i >= n || (b[i] != b' ' && b[i] != b'\t') {
                return None;
            }
            while i < n && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
        }
        self.value_tail(i)
    }

    /// The common metadata lines without the state machine: `# HELP name text` and
    /// `# TYPE name type` with single blanks, an unquoted name and a newline. `None` for anything
    /// else, which the exact path then reads. Must accept only lines the exact path accepts, with
    /// identical results.
    #[inline]
    fn fast_metadata(&mut self) -> Option<Kind<'a>> {
        let b = self.l.b;
        let start = self.start;
        let rest = b.get(start..)?;
        let help = if rest.starts_with(b"# HELP ") {
            true
        } else if rest.starts_with(b"# TYPE ") {
            false
        } else {
            return None;
        };
        let ms = start + 7;
        if !metric_start(*b.get(ms)?) {
            return None;
        }
        let me = scan_name(b, ms + 1, 2);
        if b.get(me) != Some(&b' ') {
            return None;
        }
        let ts = me + 1;
        let te = ts + memchr::memchr(b'\n', &b[ts..])?;
        let text = &b[ts..te];
        let kind = if help {
            // A blank first would start a blank run the exact lexer treats apart; NULs it skips.
            if matches!(text.first(), Some(b' ' | b'\t'))
                || memchr::memchr(0, text).is_some()
                || std::str::from_utf8(text).is_err()
            {
                return None;
            }
            Kind::Help(&b[ms..me], text)
        } else {
            let k = MetricType::from_text_type(text)?;
            self.mtype = k;
            Kind::Type(&b[ms..me], k)
        };
        self.l.i = te + 1;
        self.l.start = te + 1;
        Some(kind)
    }

    /// Whether a label name may join those of the line so far: not `__name__`, and not one of
    /// them. Exposition libraries sort label names, so checking the order proves uniqueness;
    /// past the first name out of order (a histogram's `le` after the sorted ones), each name is
    /// compared with those before it.
    #[inline]
    fn new_label_name(&self, name: Span, ordered: &mut bool) -> bool {
        let b = self.l.b;
        let text = &b[name.0..name.1];
        if let Some(&(prev, _)) = self.labels.last() {
            if !(*ordered && name_lt(b, prev, name)) {
                *ordered = false;
                if self.labels.iter().any(|&((s, e), _)| &b[s..e] == text) {
                    return false;
                }
            }
        }
        text != b"__name__"
    }

    /// The line from just after its `}`: the value may follow without a blank.
    #[inline]
    fn after_labels(&mut self, mut i: usize) -> Option<()> {
        let b = self.l.b;
        self.series = (self.start, i);
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        self.value_tail(i)
    }

    /// The rest of a sample line from its value on (`i` is past the series and any blanks):
    /// `value [timestamp]` and the end of the line. Sets the value and timestamp and moves past the
    /// line; `None` (nothing moved) for anything the exact path must judge.
    #[inline]
    fn value_tail(&mut self, mut i: usize) -> Option<()> {
        let b = self.l.b;
        let n = b.len();
        // Value: up to a blank, newline, '{' or NUL (or the end of the body).
        let vs = i;
        while i < n && !matches!(b[i], 0 | b'\t' | b'\n' | b' ' | b'{') {
            i += 1;
        }
        if i == vs || (i < n && (b[i] == 0 || b[i] == b'{')) {
            return None;
        }
        self.value = parse_prom_float(&b[vs..i]).ok()?;
        self.ts = None;
        while i < n && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i < n && b[i].is_ascii_digit() {
            let ts_start = i;
            while i < n && b[i].is_ascii_digit() {
                i += 1;
            }
            self.ts = Some(parse_go_int(&b[ts_start..i]).ok()?);
            while i < n && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
        }
        // Must end the line (or the body, which has a virtual newline).
        if i < n {
            if b[i] != b'\n' {
                return None;
            }
            i += 1;
        } else {
            i = n + 1;
        }
        self.l.i = i;
        self.l.start = i;
        self.l.state = St::Init;
        Some(())
    }

    /// Reads the next line as a sample only if its series text is exactly `series`, the series
    /// text of a line this parser (or an earlier one on the same target) accepted, followed by a
    /// blank: then its labels are known to be that line's, and only the value and timestamp are
    /// read. Returns them, or `None` without moving when the line is anything else (a comment,
    /// another series, a value the fast path is unsure of), so the caller goes on with
    /// [`PromParser::next_entry`].
    ///
    /// This is how a scrape loop with a series cache skips re-parsing labels it has seen.
    #[inline]
    pub fn next_known_sample(&mut self, series: &[u8]) -> Option<(f64, Option<i64>)> {
        if self.done || !self.fast || self.l.state != St::Init || series.is_empty() {
            return None;
        }
        let start = self.l.i;
        let b = self.l.b;
        let end = start + series.len();
        if end >= b.len() || &b[start..end] != series || !matches!(b[end], b' ' | b'\t') {
            return None;
        }
        let mut i = end + 1;
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        self.start = start;
        self.value_tail(i)?;
        Some((self.value, self.ts))
    }
}

/// Bytes that end the plain run of a label value: quote, backslash, non-ASCII.
static VALUE_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = c == b'"' as usize || c == b'\\' as usize || c >= 0x80;
        c += 1;
    }
    t
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// First index at or after `i` holding `"`, `\\` or a non-ASCII byte (or
/// `b.len()`). Sixteen bytes at a time where SSE2 is there, else eight: label
/// values are the bulk of a line.
#[inline]
fn skip_plain_value(b: &[u8], mut i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    while i + 16 <= b.len() {
        // SAFETY: SSE2 is part of x86_64's baseline; the 16 bytes at `i` are in bounds.
        let stops = unsafe { sse2::value_stops(b.as_ptr().add(i)) };
        if stops != 0 {
            return i + stops.trailing_zeros() as usize;
        }
        i += 16;
    }
    while i + 8 <= b.len() {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
        let q = w ^ (ONES * b'"' as u64);
        let s = w ^ (ONES * b'\\' as u64);
        // Zero-byte detection; a false positive can only follow a true hit,
        // so the lowest set bit is exact.
        let hits = (q.wrapping_sub(ONES) & !q) | (s.wrapping_sub(ONES) & !s) | w;
        let hits = hits & HIGHS;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !VALUE_STOP[b[i] as usize] {
        i += 1;
    }
    i
}

/// First index at or after `i` whose byte is not a name byte (`class` 2: metric name, 1: label
/// name), or `b.len()`. Eight bytes per step: one table lookup each, ANDed, one branch.
#[inline]
pub(super) fn scan_name(b: &[u8], mut i: usize, class: u8) -> usize {
    #[cfg(target_arch = "x86_64")]
    while i + 16 <= b.len() {
        // SAFETY: SSE2 is part of x86_64's baseline; the 16 bytes at `i` are in bounds.
        let stops = unsafe { sse2::name_stops(b.as_ptr().add(i), class == 2) };
        if stops != 0 {
            return i + stops.trailing_zeros() as usize;
        }
        i += 16;
    }
    while let Some(c) = b.get(i..i + 8) {
        let all = NAME_CLASS[c[0] as usize]
            & NAME_CLASS[c[1] as usize]
            & NAME_CLASS[c[2] as usize]
            & NAME_CLASS[c[3] as usize]
            & NAME_CLASS[c[4] as usize]
            & NAME_CLASS[c[5] as usize]
            & NAME_CLASS[c[6] as usize]
            & NAME_CLASS[c[7] as usize];
        if all & class == 0 {
            break;
        }
        i += 8;
    }
    while i < b.len() && NAME_CLASS[b[i] as usize] & class != 0 {
        i += 1;
    }
    i
}

/// Sixteen-byte classifiers: bit k of the result is set when byte k stops a token.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    /// `"`, `\\` or a non-ASCII byte.
    ///
    /// # Safety
    /// 16 bytes must be readable at `p`.
    #[inline]
    pub(super) unsafe fn value_stops(p: *const u8) -> u32 {
        let v = _mm_loadu_si128(p.cast());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // movemask takes each byte's top bit: non-ASCII bytes mark themselves.
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), v)) as u32
    }

    /// Any byte outside `[a-zA-Z0-9_]` (and `:` too when `colon` is false).
    ///
    /// # Safety
    /// 16 bytes must be readable at `p`.
    #[inline]
    pub(super) unsafe fn name_stops(p: *const u8, colon: bool) -> u32 {
        let v = _mm_loadu_si128(p.cast());
        // Signed compares: bytes >= 0x80 are negative and fall outside every range.
        let within = |lo: u8, hi: u8, x: __m128i| {
            _mm_and_si128(
                _mm_cmpgt_epi8(x, _mm_set1_epi8(lo as i8 - 1)),
                _mm_cmplt_epi8(x, _mm_set1_epi8(hi as i8 + 1)),
            )
        };
        // Setting bit 5 folds upper case onto lower case and nothing else onto a..z.
        let letter = within(b'a', b'z', _mm_or_si128(v, _mm_set1_epi8(0x20)));
        let digit = within(b'0', b'9', v);
        let underscore = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'_' as i8));
        let mut ok = _mm_or_si128(_mm_or_si128(letter, digit), underscore);
        if colon {
            ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, _mm_set1_epi8(b':' as i8)));
        }
        !(_mm_movemask_epi8(ok) as u32) & 0xFFFF
    }
}

/// bit 0: label-name continuation `[a-zA-Z0-9_]`; bit 1: metric-name continuation `[a-zA-Z0-9_:]`.
static NAME_CLASS: [u8; 256] = {
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

/// Whether the name at `a` sorts before the name at `c`. Compares the first eight bytes of each
/// as one big-endian number (names hold no zero bytes, so zero padding sorts a prefix first):
/// one branch instead of a byte loop whose exit the CPU cannot predict.
#[inline]
fn name_lt(b: &[u8], a: Span, c: Span) -> bool {
    let key = |s: Span| -> Option<u64> {
        let w = u64::from_be_bytes(b.get(s.0..s.0 + 8)?.try_into().ok()?);
        let len = s.1 - s.0;
        Some(if len >= 8 {
            w
        } else {
            w & !(u64::MAX >> (8 * len))
        })
    };
    if let (Some(ka), Some(kc)) = (key(a), key(c)) {
        if ka != kc {
            return ka < kc;
        }
        if a.1 - a.0 <= 8 && c.1 - c.0 <= 8 {
            // The same name.
            return false;
        }
    }
    b[a.0..a.1] < b[c.0..c.1]
}

fn check_utf8_name(input: &[u8], s: Span) -> Result<(), ParseError> {
    let raw = &input[s.0..s.1];
    if std::str::from_utf8(raw).is_err() {
        return Err(ParseError::at(
            input,
            s.0,
            format!("invalid UTF-8 label name: {}", go_quote(raw)),
        ));
    }
    Ok(())
}

enum Kind<'a> {
    Help(&'a [u8], &'a [u8]),
    Type(&'a [u8], MetricType),
    Comment(&'a [u8]),
    Sample,
}
