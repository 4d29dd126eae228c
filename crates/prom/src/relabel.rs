//! Prometheus relabeling, with the rule semantics and validation of Alloy's copy of it
//! (`internal/component/common/relabel`, itself Prometheus' `model/relabel`):
//!
//! - regexes are fully anchored, `^(?s:…)$`, with Go's RE2 meaning of `\d`, `\w`, `\s`, `\b` (ASCII);
//! - `$1`, `${1}`, `$name`, `${name}` and `$$` expand as Go's `Regexp.Expand` (`$1x` is the group named
//!   `1x`, which does not exist, so it expands to nothing);
//! - defaults: `separator = ";"`, `regex = "(.*)"`, `replacement = "$1"`, `action = "replace"`;
//! - label names are checked with the UTF-8 scheme Alloy 1.18 uses (any non-empty name).
//!
//! Rules are compiled once ([`Rule::new`]) and applied to a [`LabelsBuilder`] ([`process`]); the
//! scratch space they need can be reused across calls ([`Scratch`]) so that the scrape path does not
//! allocate per sample for the common actions.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use crate::labels::{Labels, LabelsBuilder};

/// What a rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Replace,
    Keep,
    Drop,
    KeepEqual,
    DropEqual,
    HashMod,
    LabelMap,
    LabelDrop,
    LabelKeep,
    Lowercase,
    Uppercase,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::Replace,
        Action::Keep,
        Action::Drop,
        Action::KeepEqual,
        Action::DropEqual,
        Action::HashMod,
        Action::LabelMap,
        Action::LabelDrop,
        Action::LabelKeep,
        Action::Lowercase,
        Action::Uppercase,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = String;

    /// Exact, case-sensitive names, as Alloy's `UnmarshalText`.
    fn from_str(s: &str) -> Result<Action, String> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unrecognized action type {}",
                    crate::text_parse::go_quote(s.as_bytes())
                )
            })
    }
}

/// An anchored regular expression with Go RE2 semantics, compared by its source text.
#[derive(Clone)]
pub struct Regex {
    source: String,
    re: regex::Regex,
    /// `(.*)`: matches every string whole, so the engine can skip running it.
    match_all: bool,
}

impl Regex {
    /// Compiles `source` as `^(?s:source)$`.
    pub fn new(source: &str) -> Result<Regex, String> {
        let anchored = format!("^(?s:{})$", translate_go_regex(source));
        let re = regex::RegexBuilder::new(&anchored)
            .build()
            .map_err(|e| format!("error parsing regexp: {}", regex_error_text(&e)))?;
        Ok(Regex {
            source: source.to_string(),
            re,
            match_all: source == "(.*)",
        })
    }

    /// The expression as written (without the anchors).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn is_match(&self, s: &str) -> bool {
        self.match_all || self.re.is_match(s)
    }

    fn find<'s>(&self, s: &'s str) -> Option<Found<'s>> {
        if self.match_all {
            return Some(Found::All(s));
        }
        self.re.captures(s).map(Found::Caps)
    }

    /// Go's `Regexp.Expand` of `template` for a match of this regex in `src`, appended to `out`.
    /// `None` when the regex does not match.
    pub fn expand_match(&self, template: &str, src: &str, out: &mut String) -> bool {
        match self.find(src) {
            Some(found) => {
                expand(self, template, &found, out);
                true
            }
            None => false,
        }
    }
}

impl PartialEq for Regex {
    fn eq(&self, other: &Regex) -> bool {
        self.source == other.source
    }
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Regex({:?})", self.source)
    }
}

impl fmt::Display for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// The default regex, compiled once.
fn default_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(DEFAULT_REGEX).expect("default regex compiles"))
}

/// Rust's multi-line error text reduced to its last line, the one that says what is wrong.
fn regex_error_text(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("error:"))
        .map(|l| {
            l.trim_start()
                .trim_start_matches("error:")
                .trim()
                .to_string()
        });
    last.unwrap_or(text)
}

/// Rewrites a Go RE2 pattern into the Rust `regex` dialect where the two disagree: Perl classes and
/// word boundaries are ASCII in Go (Unicode in Rust), `\Q…\E` quotes literally, and inside a
/// bracket class `[` is a literal (Rust nests classes) and `&&`/`~~` are not set operators.
fn translate_go_regex(go: &str) -> String {
    let mut out = String::with_capacity(go.len() + 8);
    let mut chars = go.char_indices().peekable();
    let mut in_class = false;
    // Position of the first item inside the current class, where `]` is a literal.
    let mut class_start = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let Some((_, e)) = chars.next() else {
                    out.push('\\');
                    break;
                };
                class_start = false;
                match e {
                    'd' => out.push_str("[0-9]"),
                    'D' => out.push_str("[^0-9]"),
                    'w' => out.push_str("[0-9A-Za-z_]"),
                    'W' => out.push_str("[^0-9A-Za-z_]"),
                    's' => out.push_str("[\\t\\n\\f\\r ]"),
                    'S' => out.push_str("[^\\t\\n\\f\\r ]"),
                    'b' if !in_class => out.push_str("(?-u:\\b)"),
                    'B' if !in_class => out.push_str("(?-u:\\B)"),
                    'Q' => {
                        let rest = &go[i + 2..];
                        let (lit, consumed) = match rest.find("\\E") {
                            Some(end) => (&rest[..end], end + 2),
                            None => (rest, rest.len()),
                        };
                        if in_class {
                            for ch in lit.chars() {
                                push_class_literal(&mut out, ch);
                            }
                        } else {
                            out.push_str(&regex::escape(lit));
                        }
                        // Skip what was quoted.
                        let stop = i + 2 + consumed;
                        while chars.peek().is_some_and(|&(j, _)| j < stop) {
                            chars.next();
                        }
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.peek().is_some_and(|&(_, n)| n == '^') {
                    chars.next();
                    out.push('^');
                }
            }
            '[' if in_class => {
                // A POSIX class `[:alpha:]` stays; any other `[` is a literal in Go.
                if go[i..].starts_with("[:") {
                    if let Some(end) = go[i + 2..].find(":]") {
                        let stop = i + 2 + end + 2;
                        out.push_str(&go[i..stop]);
                        while chars.peek().is_some_and(|&(j, _)| j < stop) {
                            chars.next();
                        }
                        class_start = false;
                        continue;
                    }
                }
                out.push_str("\\[");
                class_start = false;
            }
            ']' if in_class && !class_start => {
                in_class = false;
                out.push(']');
            }
            ']' if in_class => {
                out.push_str("\\]");
                class_start = false;
            }
            '&' | '~' if in_class => {
                push_class_literal(&mut out, c);
                class_start = false;
            }
            _ => {
                out.push(c);
                class_start = false;
            }
        }
    }
    out
}

fn push_class_literal(out: &mut String, c: char) {
    if c.is_ascii_punctuation() {
        out.push('\\');
    }
    out.push(c);
}

/// A successful match: either the `(.*)` shortcut or real captures.
enum Found<'s> {
    All(&'s str),
    Caps(regex::Captures<'s>),
}

impl<'s> Found<'s> {
    fn group(&self, i: usize) -> Option<&'s str> {
        match self {
            Found::All(s) => (i <= 1).then_some(*s),
            Found::Caps(c) => c.get(i).map(|m| m.as_str()),
        }
    }
}

/// Go's `Regexp.Expand`: `$$` is `$`; `$name`/`${name}` take the longest run of letters, digits and
/// `_`; an all-digit name below 1e8 without a leading zero is a group number; unknown groups expand to
/// nothing; a malformed reference leaves the `$` as text.
fn expand(re: &Regex, template: &str, found: &Found<'_>, out: &mut String) {
    let mut rest = template;
    while let Some(p) = rest.find('$') {
        out.push_str(&rest[..p]);
        rest = &rest[p + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        let Some((name, after)) = extract_ref(rest) else {
            out.push('$');
            continue;
        };
        rest = after;
        match group_number(name) {
            Some(n) => {
                if let Some(g) = found.group(n) {
                    out.push_str(g);
                }
            }
            None => {
                if matches!(found, Found::All(_)) {
                    continue;
                }
                let index = re.re.capture_names().position(|n| n == Some(name));
                if let Some(g) = index.and_then(|i| found.group(i)) {
                    out.push_str(g);
                }
            }
        }
    }
    out.push_str(rest);
}

/// The reference after a `$`: its name and the text after it.
fn extract_ref(s: &str) -> Option<(&str, &str)> {
    let (body, brace) = match s.strip_prefix('{') {
        Some(b) => (b, true),
        None => (s, false),
    };
    let end = body
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_'))
        .map_or(body.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let name = &body[..end];
    let mut after = &body[end..];
    if brace {
        after = after.strip_prefix('}')?;
    }
    Some((name, after))
}

fn group_number(name: &str) -> Option<usize> {
    if !name.bytes().all(|b| b.is_ascii_digit()) || (name.len() > 1 && name.starts_with('0')) {
        return None;
    }
    let mut n: usize = 0;
    for b in name.bytes() {
        if n >= 100_000_000 {
            return None;
        }
        n = n * 10 + (b - b'0') as usize;
    }
    Some(n)
}

pub const DEFAULT_SEPARATOR: &str = ";";
pub const DEFAULT_REGEX: &str = "(.*)";
pub const DEFAULT_REPLACEMENT: &str = "$1";

/// A rule as configured (the `rule` block), before validation.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleConfig {
    /// `None` when not set: `labeldrop`/`labelkeep` reject even an empty list.
    pub source_labels: Option<Vec<String>>,
    pub separator: String,
    pub regex: Regex,
    pub modulus: u64,
    pub target_label: String,
    pub replacement: String,
    pub action: Action,
}

impl Default for RuleConfig {
    fn default() -> RuleConfig {
        RuleConfig {
            source_labels: None,
            separator: DEFAULT_SEPARATOR.into(),
            regex: default_regex().clone(),
            modulus: 0,
            target_label: String::new(),
            replacement: DEFAULT_REPLACEMENT.into(),
            action: Action::Replace,
        }
    }
}

/// Alloy's `relabelTarget`: a label name that may contain `$1`/`${name}` references.
fn is_valid_target_template(s: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"^(?:(?:[a-zA-Z_]|\$(?:\{[0-9A-Za-z_]+\}|[0-9A-Za-z_]+))+[0-9A-Za-z_]*)+$",
        )
        .expect("static regex")
    })
    .is_match(s)
}

/// A label name under the UTF-8 validation scheme (Rust strings are always UTF-8).
fn is_valid_label_name(s: &str) -> bool {
    !s.is_empty()
}

/// Which label names a `replace` rule may write at run time. Alloy validates every rule under the
/// UTF-8 scheme, and `discovery.relabel` applies them that way; `prometheus.relabel` and
/// `prometheus.remote_write` hand them to Prometheus' relabeling with the legacy scheme, where a
/// replace whose target is not `[a-zA-Z_][a-zA-Z0-9_]*` (e.g. `service.name`) does nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NameScheme {
    #[default]
    Utf8,
    Legacy,
}

impl NameScheme {
    fn allows(self, name: &str) -> bool {
        match self {
            NameScheme::Utf8 => is_valid_label_name(name),
            NameScheme::Legacy => {
                let mut bytes = name.bytes();
                bytes
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                    && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
            }
        }
    }
}

/// A validated rule, ready to apply.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    config: RuleConfig,
}

impl Rule {
    /// Validates `config` with Alloy's checks and messages.
    pub fn new(config: RuleConfig) -> Result<Rule, String> {
        validate(&config)?;
        Ok(Rule { config })
    }

    pub fn config(&self) -> &RuleConfig {
        &self.config
    }
}

fn validate(rc: &RuleConfig) -> Result<(), String> {
    use Action::*;
    let a = rc.action;
    let q = |s: &str| crate::text_parse::go_quote(s.as_bytes());
    if rc.modulus == 0 && a == HashMod {
        return Err("relabel configuration for hashmod requires non-zero modulus".into());
    }
    if matches!(
        a,
        Replace | HashMod | Lowercase | Uppercase | KeepEqual | DropEqual
    ) && rc.target_label.is_empty()
    {
        return Err(format!(
            "relabel configuration for {a} action requires 'target_label' value"
        ));
    }
    let has_ref = rc.target_label.contains('$');
    if a == Replace
        && ((!has_ref && !is_valid_label_name(&rc.target_label))
            || (has_ref && !is_valid_target_template(&rc.target_label)))
    {
        return Err(format!(
            "{} is invalid 'target_label' for {a} action",
            q(&rc.target_label)
        ));
    }
    if matches!(a, Lowercase | Uppercase | KeepEqual | DropEqual) {
        if !is_valid_label_name(&rc.target_label) {
            return Err(format!(
                "{} is invalid 'target_label' for {a} action",
                q(&rc.target_label)
            ));
        }
        if rc.replacement != DEFAULT_REPLACEMENT {
            return Err(format!("'replacement' can not be set for {a} action"));
        }
    }
    if a == LabelMap && !is_valid_target_template(&rc.replacement) {
        return Err(format!(
            "{} is invalid 'replacement' for {a} action",
            q(&rc.replacement)
        ));
    }
    if a == HashMod && !is_valid_label_name(&rc.target_label) {
        return Err(format!(
            "{} is invalid 'target_label' for {a} action",
            q(&rc.target_label)
        ));
    }
    if matches!(a, LabelDrop | LabelKeep)
        && (rc.source_labels.is_some()
            || !rc.target_label.is_empty()
            || rc.modulus != 0
            || rc.separator != DEFAULT_SEPARATOR
            || rc.replacement != DEFAULT_REPLACEMENT)
    {
        return Err(format!(
            "{a} action requires only 'regex', and no other fields"
        ));
    }
    if matches!(a, KeepEqual | DropEqual)
        && (rc.regex.as_str() != DEFAULT_REGEX
            || rc.modulus != 0
            || rc.separator != DEFAULT_SEPARATOR
            || rc.replacement != DEFAULT_REPLACEMENT)
    {
        return Err(format!(
            "{a} action requires only 'source_labels' and 'target_label', and no other fields"
        ));
    }
    Ok(())
}

/// Reusable buffers for [`process_with`].
#[derive(Default)]
pub struct Scratch {
    value: String,
    target: String,
    result: String,
    mapped: Vec<(String, String)>,
}

/// Applies `rules` in order to `lb`; `false` when a rule dropped the set (then `lb` is left as the
/// dropping rule found it).
pub fn process(rules: &[Rule], lb: &mut LabelsBuilder) -> bool {
    process_with(rules, lb, &mut Scratch::default(), NameScheme::Utf8)
}

/// [`process`] on a label set: `None` when dropped.
pub fn process_labels(rules: &[Rule], labels: &Labels) -> Option<Labels> {
    let mut lb = labels.to_builder();
    process(rules, &mut lb).then(|| lb.labels())
}

/// [`process`] with caller-owned scratch space and the run-time label name scheme.
pub fn process_with(
    rules: &[Rule],
    lb: &mut LabelsBuilder,
    scratch: &mut Scratch,
    scheme: NameScheme,
) -> bool {
    rules.iter().all(|r| apply(&r.config, lb, scratch, scheme))
}

fn apply(cfg: &RuleConfig, lb: &mut LabelsBuilder, s: &mut Scratch, scheme: NameScheme) -> bool {
    s.value.clear();
    if let Some(names) = &cfg.source_labels {
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                s.value.push_str(&cfg.separator);
            }
            s.value.push_str(lb.get(n).unwrap_or(""));
        }
    }
    let val = s.value.as_str();
    match cfg.action {
        Action::Drop => return !cfg.regex.is_match(val),
        Action::Keep => return cfg.regex.is_match(val),
        Action::DropEqual => return lb.get(&cfg.target_label).unwrap_or("") != val,
        Action::KeepEqual => return lb.get(&cfg.target_label).unwrap_or("") == val,
        Action::Replace => {
            let Some(found) = cfg.regex.find(val) else {
                return true;
            };
            s.target.clear();
            expand(&cfg.regex, &cfg.target_label, &found, &mut s.target);
            if !scheme.allows(&s.target) {
                return true;
            }
            s.result.clear();
            expand(&cfg.regex, &cfg.replacement, &found, &mut s.result);
            if s.result.is_empty() {
                lb.del(&s.target);
            } else {
                lb.set(&s.target, &s.result);
            }
        }
        Action::Lowercase => {
            s.result.clear();
            // Go maps rune by rune (unicode.ToLower), without Rust's context rules for final sigma.
            s.result
                .extend(val.chars().map(|c| c.to_lowercase().next().unwrap_or(c)));
            lb.set(&cfg.target_label, &s.result);
        }
        Action::Uppercase => {
            s.result.clear();
            s.result.extend(val.chars().map(simple_uppercase));
            lb.set(&cfg.target_label, &s.result);
        }
        Action::HashMod => {
            let m = hashmod(val, cfg.modulus);
            s.result.clear();
            s.result.push_str(&m.to_string());
            lb.set(&cfg.target_label, &s.result);
        }
        Action::LabelMap => {
            // Every label is tested against the set as it was before this rule (Go's Range works on a
            // copy), so a new name cannot be mapped again by the same rule.
            s.mapped.clear();
            for (name, value) in lb.iter() {
                if let Some(found) = cfg.regex.find(name) {
                    let mut res = String::new();
                    expand(&cfg.regex, &cfg.replacement, &found, &mut res);
                    s.mapped.push((res, value.to_string()));
                }
            }
            for (n, v) in s.mapped.drain(..) {
                lb.set(&n, &v);
            }
        }
        Action::LabelDrop => lb.retain(|n, _| !cfg.regex.is_match(n)),
        Action::LabelKeep => lb.retain(|n, _| cfg.regex.is_match(n)),
    }
    true
}
/// Go's `unicode.ToUpper`: Unicode's one-to-one (simple) mapping. Rust only offers the full mapping;
/// where that is one character the two agree. Where it is several (`ß` → `SS`, `ﬁ` → `FI`) the
/// simple mapping keeps the character, except for the Greek letters with iota subscript, which
/// map to their capital-with-prosgegrammeni form.
fn simple_uppercase(c: char) -> char {
    let mut full = c.to_uppercase();
    match (full.next(), full.next()) {
        (Some(only), None) => only,
        _ => match c as u32 {
            0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => {
                char::from_u32(c as u32 + 8).unwrap_or(c)
            }
            0x1FB3 | 0x1FC3 | 0x1FF3 => char::from_u32(c as u32 + 9).unwrap_or(c),
            _ => c,
        },
    }
}

/// Prometheus' hashmod: the md5 of the value, its last 8 bytes read big-endian, modulo `modulus`.
pub fn hashmod(value: &str, modulus: u64) -> u64 {
    use md5::{Digest, Md5};
    let digest = Md5::digest(value.as_bytes());
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&digest[8..16]);
    u64::from_be_bytes(tail) % modulus
}

mod cache;
#[cfg(test)]
mod tests;

pub use cache::{CacheLimit, RelabelCache};
